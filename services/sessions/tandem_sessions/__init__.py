"""Tandem sessions service."""
