"""Catalogue: categories, items, tiers, price bands, quotes."""
