"""Tandem shared kit: event contracts, messaging, database and test harness."""
