"""Languages: Babel catalogs (core, then plugins, then tenant wording) and formatting."""
