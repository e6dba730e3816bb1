"""pytest plugin: broker and database fixtures (filled in below)."""
