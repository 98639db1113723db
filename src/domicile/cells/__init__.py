"""Residency cells: a named store in one country, its schema and its keys."""
