"""Event handlers. Intake produces the partner, programme and application events; the only
events it consumes are its own `partner.registered`, through the kit's partner directory
(see bootstrap.build_kit), which keeps the local credentials table in step everywhere."""
