"""Matching: eligibility and ranking of providers for a request."""
