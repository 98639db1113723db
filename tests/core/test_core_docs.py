"""Docs are tested artefacts: every CLI command is documented and has help."""

from __future__ import annotations

from pathlib import Path

import pytest
import typer

from domicile.cli.app import app
from domicile.cli.errors import EXIT_CODES, INTERNAL, USAGE

DOCS = Path(__file__).resolve().parents[2] / "docs"


def _commands(t: typer.Typer, prefix: str = "") -> list[tuple[str, str | None]]:
    out: list[tuple[str, str | None]] = []
    for cmd in t.registered_commands:
        name = cmd.name or (cmd.callback.__name__ if cmd.callback else "")
        doc = cmd.help or (cmd.callback.__doc__ if cmd.callback else None)
        out.append((f"{prefix}{name}".replace("_", "-"), doc))
    for group in t.registered_groups:
        assert group.typer_instance is not None and group.name
        out += _commands(group.typer_instance, f"{prefix}{group.name} ")
    return out


COMMANDS = _commands(app)


@pytest.mark.parametrize(("name", "doc"), COMMANDS, ids=[c[0] for c in COMMANDS])
def test_every_command_is_documented_with_help(name: str, doc: str | None) -> None:
    """Each command has a docstring (its --help) and a row in docs/cli.md."""
    assert doc and doc.strip()
    assert f"`{name}" in (DOCS / "cli.md").read_text("utf-8")


def test_exit_code_table_matches_docs() -> None:
    """docs/cli.md lists every exit code the CLI can return."""
    text = (DOCS / "cli.md").read_text("utf-8")
    for code in {c for _, c in EXIT_CODES} | {USAGE, INTERNAL}:
        assert f"| {code} |" in text
