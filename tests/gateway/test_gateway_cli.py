"""``domicile serve``, ``apikeys`` and ``transfers``: output, exit codes, nothing stored on bad input."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import httpx
import pytest

from domicile.cli import serve as serve_module
from domicile.cli.app import main
from domicile.client.testing import AppTransport
from domicile.gateway.demo import DEMO_ORIGINS
from domicile.synthetic.people import make_people


def _run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(list(args))
    out = capsys.readouterr()
    return code, out.out, out.err


def test_apikeys_lifecycle(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """create prints the key once; list shows it without the secret; revoke marks it."""
    d = ["--data-dir", str(tmp_path / "data")]
    create = ["apikeys", "create", "--principal", "svc", "--location", "DE", *d]
    code, out, _ = _run(capsys, *create, "--role", "app", "--json")
    assert code == 0
    created = json.loads(out)
    key, key_id = created["api_key"], created["key"]["key_id"]
    assert key.startswith(f"dmk_{key_id}.")
    code, out, _ = _run(capsys, "apikeys", "list", *d)
    assert code == 0 and key_id in out and key.split(".")[1] not in out
    code, out, _ = _run(capsys, "apikeys", "revoke", key_id, *d)
    assert code == 0 and "revoked" in out
    code, _, err = _run(capsys, *create, "--role", "root")
    assert code == 3 and "unknown role" in err
    code, out, _ = _run(capsys, "apikeys", "list", *d, "--json")
    assert len(json.loads(out)) == 1


def test_transfers_commands(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """Notices, kill switches and the dry-run check; a refusal exits 8 and names the rule."""
    d = ["--data-dir", str(tmp_path / "data")]
    de = ["--destination", "DE"]
    check = ["transfers", "check", *de, "--purpose", "support.contact", *d]
    code, out, _ = _run(capsys, "transfers", "adequacy")
    assert code == 0 and "RKN Order No. 128" in out and " DE " in f" {out} "
    notice = ["transfers", "notices", "add", "--reference", "RKN-1", "--recipient", "Beispiel GmbH", *d]
    code, out, _ = _run(capsys, *notice, *de, "--filed-at", "2025-03-03", "--assessed-on", "2025-02-20")
    assert code == 0 and "RU -> DE" in out
    code, out, _ = _run(capsys, *check)
    assert code == 0 and out.startswith("ALLOWED") and "ru.xb.wait" in out
    code, out, _ = _run(capsys, "transfers", "kill-switch", "engage", *de, "--decision", "RKN-ban-2", *d)
    assert code == 0
    code, out, err = _run(capsys, *check)
    assert code == 8 and "FAIL  ru.xb.ban" in out and "kill switch" in err
    code, out, _ = _run(capsys, "transfers", "kill-switch", "release", *de, *d)
    assert code == 0
    code, out, _ = _run(capsys, "transfers", "kill-switch", "list", *d)
    assert "released" in out
    code, _, err = _run(capsys, "transfers", "kill-switch", "release", *de, *d)
    assert code == 4 and "no kill switch is engaged" in err
    code, _, err = _run(capsys, *notice, "--destination", "US", "--filed-at", "2025-03-03T10:00")
    assert code == 3 and "UTC offset" in err
    code, out, _ = _run(capsys, "transfers", "notices", "list", *d, "--json")
    assert [n["destination"] for n in json.loads(out)] == ["DE"]
    code, out, _ = _run(capsys, "transfers", "ledger", *d)
    assert code == 0 and "empty" in out


def test_serve_demo_prints_working_keys_and_no_pd(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """serve --demo initialises the data folder, seeds synthetic users and prints keys that work."""
    started: list[Any] = []
    monkeypatch.setattr(serve_module, "_run_server", lambda *args: started.append(args))
    d = tmp_path / "data"
    code, out, _ = _run(capsys, "serve", "--demo", "--people", "1", "--port", "8799", "--data-dir", str(d))
    assert code == 0 and len(started) == 1
    app, host, port, access_log = started[0]
    assert (host, port, access_log) == ("127.0.0.1", 8799, True) and (d / "cells.yaml").exists()
    assert "curl" in out and "export KEY=dmk_" in out and "ru.xb.notice" in out
    people = make_people(len(DEMO_ORIGINS), origins=DEMO_ORIGINS, seed=7)
    ru = [v for p in people if p.origin == "RU" for v in p.pd_fields().values()]
    assert not [v for v in ru if v in out]
    key = re.search(r"export KEY=(dmk_\S+)", out)
    assert key is not None
    sid = re.search(r"/v1/subjects/(sub_[0-9a-f]{32})\?", out)
    assert sid is not None
    transport = AppTransport(app)
    with httpx.Client(transport=transport, base_url="http://demo") as http:
        response = http.get(
            f"/v1/subjects/{sid.group(1)}",
            params={"purpose": "support.ticket"},
            headers={"Authorization": f"Bearer {key.group(1)}"},
        )
    transport.close()
    app.state.runtime.close()
    assert response.status_code == 200 and response.json()["cell"] == "ru-msk-1"
    assert set(response.json()["values"].values()) <= set(ru)
    # a second start keeps the users and issues new keys (the old demo keys are revoked)
    code, out2, _ = _run(capsys, "serve", "--demo", "--people", "1", "--data-dir", str(d))
    assert code == 0 and sid.group(1) in out2 and key.group(1) not in out2
    started[-1][0].state.runtime.close()
