"""Tenants: one YAML file each, typed, validated as a whole, resolved from the Host header."""
