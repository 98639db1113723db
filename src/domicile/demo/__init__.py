"""The scripted walk-through behind ``domicile demo``."""
