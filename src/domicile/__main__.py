"""``python -m domicile`` runs the command line."""

from domicile.cli.app import run

run()
