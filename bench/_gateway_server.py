"""Shared by the gateway benchmarks: a data folder with synthetic subjects and a gateway on loopback."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx

from domicile.app import init_data_dir, open_domicile
from domicile.core.clock import SystemClock
from domicile.gateway.auth import ApiKeys
from domicile.gateway.authz import Role
from domicile.gateway.runtime import gateway_db_url
from domicile.gateway.settings import GatewaySettings
from domicile.gateway.store import GatewayStore
from domicile.residency.resolver import Signals
from domicile.service import Domicile, PutResult
from domicile.settings import DomicileSettings

LOOPBACK = frozenset({"127.0.0.1", "::1", "localhost"})
GIVEN = ["Анна", "Мария", "Елена", "Ольга", "Иван", "Сергей", "Алексей", "Дмитрий"]
FAMILY = ["Иванова", "Петрова", "Смирнов", "Кузнецов", "Попова", "Соколов", "Лебедева"]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def seed(data_dir: Path, n: int) -> tuple[Domicile, list[PutResult]]:
    """Initialise the embedded default in *data_dir* and store *n* Russian subjects (no tokens)."""
    settings = DomicileSettings(data_dir=data_dir)
    init_data_dir(settings)
    dom = open_domicile(settings)
    items = [
        (
            {
                "given_name": GIVEN[i % len(GIVEN)],
                "family_name": FAMILY[i % len(FAMILY)],
                "email": f"user{i}@mail.ru",
                "phone": f"+7916{i:07d}",
            },
            Signals(citizenship=("RU",)),
        )
        for i in range(n)
    ]
    results: list[PutResult] = []
    for start in range(0, n, 1000):
        results += dom.put_many(
            items[start : start + 1000], actor="bench", purpose="registration", issue_tokens=True
        )
    return dom, results


def api_key(data_dir: Path, role: Role = Role.APP, location: str = "RU") -> str:
    store = GatewayStore.open(gateway_db_url(GatewaySettings(), data_dir))
    key = (
        ApiKeys(store, SystemClock()).create(f"bench-{role.value}-{location.lower()}", role, location).api_key
    )
    store.close()
    return key


class Server:
    """``domicile serve`` in a child process on a loopback port (no access log)."""

    def __init__(self, data_dir: Path, host: str = "127.0.0.1", port: int | None = None) -> None:
        if host not in LOOPBACK:
            raise SystemExit(f"refusing to run against {host}: the benchmarks use loopback only")
        self.host = host
        self.port = port or free_port()
        self.url = f"http://{host}:{self.port}"
        cmd = [sys.executable, "-m", "domicile", "serve", "--data-dir", str(data_dir)]
        cmd += ["--host", host, "--port", str(self.port), "--no-access-log"]
        env = {**os.environ, "PYTHONUNBUFFERED": "1"}
        self.proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=env)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                err = self.proc.stderr.read().decode() if self.proc.stderr else ""
                raise SystemExit(f"gateway exited early: {err[-2000:]}")
            try:
                if httpx.get(f"{self.url}/v1/health", timeout=1).status_code == 200:
                    return
            except httpx.TransportError:
                time.sleep(0.1)
        self.stop()
        raise SystemExit("gateway did not start within 60 s")

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()

    def __enter__(self) -> Server:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


def email_tokens(dom: Domicile, subjects: list[PutResult]) -> list[str]:
    """Issue an e-mail token per subject (in batches of 1,000), as the global app would hold."""
    from domicile.gateway.batch import TokenRequest, tokenize_many

    out: list[str] = []
    for start in range(0, len(subjects), 1000):
        batch = [TokenRequest(s.subject_id, "email") for s in subjects[start : start + 1000]]
        out += [t.token for t in tokenize_many(dom, batch, actor="bench", purpose="bench.setup")]
    return out
