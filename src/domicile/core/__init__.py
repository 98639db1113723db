"""Shared kernel: errors, clock, ids."""
