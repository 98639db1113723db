"""Fixtures for the register tests: the shared dump samples and builders of small dumps."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from domicile.moderation.registry import Matcher, RegisterSnapshot, XmlDumpParser

REGISTRY_FIXTURES = Path(__file__).resolve().parents[3] / ".." / "shared" / "fixtures" / "registry"
XML_NAME = "rkn-dump-2015-02.xml"
CSV_NAME = "zapret-info-dump-2014.csv"

XML_HEAD = (
    '<?xml version="1.0" encoding="windows-1251"?>'
    '<reg:register xmlns:reg="http://rsoc.ru" xmlns:tns="http://rsoc.ru" '
    'updateTime="{update}" updateTimeUrgently="2018-04-16T11:10:00+03:00" formatVersion="{version}">'
)
XML_TAIL = "</reg:register>"

MakeXml = Callable[..., Path]


def _fixture(name: str) -> Path:
    path = REGISTRY_FIXTURES / name
    if not path.is_file():
        pytest.fail(f"shared register fixture not found at {path}")
    return path


@pytest.fixture
def xml_path() -> Path:
    """The official 2015 XML export (windows-1251, with a detached .sig)."""
    return _fixture(XML_NAME)


@pytest.fixture
def csv_path() -> Path:
    """The 2014 z-i mirror CSV (cp1251)."""
    return _fixture(CSV_NAME)


@pytest.fixture(scope="session")
def xml_snapshot() -> RegisterSnapshot:
    """The XML export parsed once per session (read-only)."""
    return XmlDumpParser().parse(_fixture(XML_NAME))


@pytest.fixture(scope="session")
def xml_matcher(xml_snapshot: RegisterSnapshot) -> Matcher:
    """A matcher over the XML export, built once per session (read-only)."""
    return Matcher.from_snapshot(xml_snapshot)


@pytest.fixture
def make_xml(tmp_path: Path) -> MakeXml:
    """Build a small XML dump from ``<content>`` snippets; returns its path."""

    def build(
        *contents: str,
        name: str = "dump.xml",
        version: str = "2.4",
        update: str = "2018-04-16T11:20:00+03:00",
        encoding: str = "cp1251",
    ) -> Path:
        text = XML_HEAD.format(version=version, update=update) + "\n" + "\n".join(contents) + "\n" + XML_TAIL
        path = tmp_path / name
        path.write_bytes(text.encode(encoding))
        return path

    return build
