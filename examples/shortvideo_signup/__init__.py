"""Example: the sign-up and profile service of a global short-video app that keeps only tokens."""
