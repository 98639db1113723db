"""Data map: ``replace: null`` written by hand (YAML null) means NULL, and a scan round-trips."""

from __future__ import annotations

from pathlib import Path

from domicile.localize.datamap import Replace, dump_datamap, parse_datamap
from domicile.localize.scan import scan
from domicile.synthetic.labeled_db import build_labeled_db

MAP = """
format: domicile.datamap/1
tables:
  users:
    primary_key: [id]
    subject: {key: id}
    columns:
      id: {category: null}
      born: {category: birth_date, replace: null}
      email: {category: email, replace: 'null'}
      phone: {category: phone}
"""


def test_yaml_null_means_null() -> None:
    """``replace: null`` (YAML null) and ``'null'`` both mean NULL; omitted means token for PD."""
    users = parse_datamap(MAP).table("users")
    assert users.column("born").replace is Replace.NULL
    assert users.column("email").replace is Replace.NULL
    assert users.column("phone").replace is Replace.TOKEN
    assert users.column("id").replace is Replace.KEEP


def test_scanned_map_round_trips(tmp_path: Path) -> None:
    """dump(parse(dump(scan))) is stable: the drafted map is valid YAML for load_datamap."""
    url = f"sqlite:///{tmp_path / 'l.db'}"
    build_labeled_db(url, rows=60, seed=2, sizes={"payments": 0})
    dm = scan(url)
    text = dump_datamap(dm)
    again = parse_datamap(text)
    assert dump_datamap(again) == text
