"""The ``domicile`` command line (Typer + Rich): a thin adapter over the library."""
