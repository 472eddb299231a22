"""Compliance rules: one registry, pure functions of a stored snapshot."""
