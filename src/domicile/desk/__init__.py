"""Regulator desk: authorities' requests, legal clocks and the Russian production calendar."""
