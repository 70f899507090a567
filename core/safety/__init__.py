"""Safety: the location trail, "are you OK?" checks, SOS incidents and their escalation."""
