"""Tandem bursaries service."""
