"""Tandem intake service."""
