"""Tandem reporting service."""
