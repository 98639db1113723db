"""Localization of an existing application database: scan for PD, move it home, prove nothing stayed.

Legal basis: 152-FZ art. 18 part 5 (PD-LOC-1..3) — Russian subjects' PD is recorded, stored and
updated in databases located in Russia; the global database keeps only tokens.
"""
