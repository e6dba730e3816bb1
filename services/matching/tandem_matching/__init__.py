"""Tandem matching service."""
