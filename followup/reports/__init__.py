"""Reports for clinical leads: figures computed in the database, pages, CSV exports and SVG charts."""
