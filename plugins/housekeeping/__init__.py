"""The housekeeping vertical: cleaners and home help."""
