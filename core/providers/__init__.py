"""Providers: profiles, skills, service areas, working hours, media."""
