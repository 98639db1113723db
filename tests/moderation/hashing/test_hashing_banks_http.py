"""Bank and match routes through the gateway (/v1/moderation) on a fresh data folder, as ``serve`` runs it."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from domicile.app import init_data_dir
from domicile.client.testing import AppTransport
from domicile.gateway.app import create_app
from domicile.gateway.authz import Role
from domicile.settings import DomicileSettings

PDQ_DIR = Path(__file__).resolve().parents[3] / ".." / "shared" / "fixtures" / "pdq"
BRIDGE = "f8f8f0cee0f4a84f06370a22038f63f0b36e2ed596621e1d33e6b39c4e9c9b22"
MOD = "/v1/moderation"


@dataclass
class Gw:
    """The gateway app over a data folder and a client holding one key per role."""

    app: Any
    http: httpx.Client
    keys: dict[Role, str]

    def call(self, method: str, path: str, role: Role, **kw: Any) -> httpx.Response:
        headers = {"Authorization": f"Bearer {self.keys[role]}", **kw.pop("headers", {})}
        return self.http.request(method, f"{MOD}{path}", headers=headers, **kw)


@pytest.fixture
def gw(tmp_path: Path) -> Iterator[Gw]:
    """``domicile serve`` on a data folder made by ``init_data_dir`` only: the runtime creates the tables."""
    settings = DomicileSettings(data_dir=tmp_path / "data")
    init_data_dir(settings)
    app = create_app(settings)
    runtime = app.state.runtime
    keys = {
        r: runtime.gateway.keys.create(f"t-{r.value}", r, "RU").api_key
        for r in (Role.MODERATOR, Role.ADMIN, Role.DPO)
    }
    transport = AppTransport(app)
    client = httpx.Client(transport=transport, base_url="http://gateway.test")
    yield Gw(app, client, keys)
    client.close()
    transport.close()
    runtime.close()


def test_fresh_data_folder_serves_moderation_not_503(gw: Gw) -> None:
    """The gateway created the moderation tables (queue and banks) like the desk's: 200, not 503."""
    assert gw.call("GET", "/cases", Role.MODERATOR).status_code == 200
    r = gw.call("GET", "/banks", Role.MODERATOR)
    assert r.status_code == 200 and r.json() == []


def test_admin_manages_banks_moderator_matches_with_evidence(gw: Gw) -> None:
    """admin: create, import, disable; moderator: list, match image/hash, export; each refused the other's."""
    new = {"name": "bridge", "signal_type": "pdq", "description": "fictitious"}
    assert gw.call("POST", "/banks", Role.MODERATOR, json=new).status_code == 403
    assert gw.call("POST", "/banks", Role.ADMIN, json=new).status_code == 201
    body = {"format": "csv", "text": f"hash,label,content_id\n{BRIDGE},C-TEST,ref-1\n"}
    assert gw.call("POST", "/banks/bridge/entries", Role.MODERATOR, json=body).status_code == 403
    r = gw.call("POST", "/banks/bridge/entries", Role.ADMIN, json=body)
    assert r.status_code == 200 and r.json() == {"bank": "bridge", "added": 1, "entries": 1}
    listed = gw.call("GET", "/banks", Role.MODERATOR).json()
    assert [(s["bank"]["name"], s["entries"]) for s in listed] == [("bridge", 1)]
    image = (PDQ_DIR / "dih" / "bridge-5-flipx.jpg").read_bytes()
    r = gw.call("POST", "/match/image", Role.MODERATOR, content=image, headers={"Content-Type": "image/jpeg"})
    assert r.status_code == 200, r.text
    (hit,) = r.json()["matches"]
    assert (hit["bank"], hit["entry_id"], hit["content_id"], hit["label"]) == ("bridge", 1, "ref-1", "C-TEST")
    assert hit["result"]["distance"] <= hit["result"]["threshold"] == 31
    assert hit["quality"] >= 50 and hit["variant"] not in (None, "original")
    r = gw.call("POST", "/match/hash", Role.MODERATOR, json={"signal_type": "pdq", "value": BRIDGE})
    assert r.json()["matches"][0]["result"]["distance"] == 0
    r = gw.call("GET", "/banks/bridge/export?format=tx-signals", Role.MODERATOR)
    assert r.status_code == 200 and r.text == f"pdq {BRIDGE}\n"
    assert gw.call("POST", "/banks/bridge/disable", Role.MODERATOR).status_code == 403
    assert gw.call("POST", "/banks/bridge/disable", Role.ADMIN).json()["enabled"] is False
    r = gw.call("POST", "/match/hash", Role.MODERATOR, json={"signal_type": "pdq", "value": BRIDGE})
    assert r.json()["matches"] == []
    assert gw.call("POST", "/banks/bridge/enable", Role.ADMIN).json()["enabled"] is True
    assert gw.call("GET", "/banks", Role.DPO).status_code == 403


@pytest.mark.parametrize(
    ("method", "path", "kwargs", "status", "needle"),
    [
        ("POST", "/banks/nope/entries", {"json": {"text": f"pdq {BRIDGE}\n"}}, 404, "nope"),
        ("POST", "/banks/p/entries", {"json": {"text": f"pdq {BRIDGE}\npdq 12\n"}}, 422, "line 2"),
        ("POST", "/banks/p/entries", {"json": {"text": "", "format": "xml"}}, 422, "unknown bank format"),
        ("POST", "/banks", {"json": {"name": "p", "signal_type": "pdq"}}, 422, "already exists"),
        ("POST", "/banks", {"json": {"name": "bad name", "signal_type": "pdq"}}, 422, "bank name"),
        (
            "POST",
            "/match/image",
            {"content": b"not an image", "headers": {"Content-Type": "image/png"}},
            422,
            "decode",
        ),
        ("POST", "/match/image", {"content": b""}, 422, "image bytes"),
        ("POST", "/match/hash", {"json": {"signal_type": "pdq", "value": "zz"}}, 422, "pdq"),
        ("GET", "/banks/p/export?format=xml", {}, 422, "unknown export format"),
        ("GET", "/banks/nope/export", {}, 404, "nope"),
    ],
)
def test_bad_input_is_4xx_with_a_reason_and_stores_nothing(
    gw: Gw, method: str, path: str, kwargs: dict[str, Any], status: int, needle: str
) -> None:
    """Unknown bank 404; malformed file, bad name, not an image, bad hash 422; the bank stays empty."""
    assert gw.call("POST", "/banks", Role.ADMIN, json={"name": "p", "signal_type": "pdq"}).status_code == 201
    r = gw.call(method, path, Role.ADMIN, **kwargs)
    assert r.status_code == status, r.text
    assert needle in r.json()["message"]
    assert [s["entries"] for s in gw.call("GET", "/banks", Role.ADMIN).json()] == [0]
