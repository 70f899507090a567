"""Dispatch: urgent offer cascades, day plans and route optimisation."""
