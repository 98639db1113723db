"""Loopback-only test sinks: an HTTP webhook sink and a minimal SMTP server, each in a thread."""

from __future__ import annotations

import socketserver
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


@dataclass
class HttpSink:
    """Records POSTed bodies and headers; answers ``status``."""

    url: str = ""
    status: int = 204
    received: list[tuple[dict[str, str], bytes]] = field(default_factory=list)


@contextmanager
def http_sink() -> Iterator[HttpSink]:
    """A webhook endpoint on 127.0.0.1 (random port), stopped on exit."""
    sink = HttpSink()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length", "0"))
            body = self.rfile.read(min(length, 1 << 20))
            sink.received.append(({k.lower(): v for k, v in self.headers.items()}, body))
            self.send_response(sink.status)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *args: Any) -> None:
            return

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    sink.url = f"http://127.0.0.1:{server.server_address[1]}/hook"
    try:
        yield sink
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


@dataclass
class SmtpSink:
    """Records (envelope sender, recipients, raw message) of every delivered mail."""

    host: str = "127.0.0.1"
    port: int = 0
    messages: list[tuple[str, list[str], bytes]] = field(default_factory=list)
    reject: bool = False


@contextmanager
def smtp_sink() -> Iterator[SmtpSink]:
    """A minimal SMTP server (HELO/EHLO, MAIL, RCPT, DATA, RSET, NOOP, QUIT) on 127.0.0.1."""
    sink = SmtpSink()

    class Handler(socketserver.StreamRequestHandler):
        def reply(self, line: str) -> None:
            self.wfile.write(line.encode("ascii") + b"\r\n")

        def handle(self) -> None:
            self.reply("220 sink ESMTP")
            sender, rcpts = "", []
            while True:
                raw = self.rfile.readline(4096)
                if not raw:
                    return
                cmd = raw.decode("ascii", "replace").strip()
                verb = cmd.split(" ", 1)[0].upper()
                if verb in ("EHLO", "HELO"):
                    self.reply("250 sink")
                elif verb == "MAIL":
                    if sink.reject:
                        self.reply("550 rejected")
                        continue
                    sender = cmd.split(":", 1)[1].strip().strip("<>").split(">")[0]
                    self.reply("250 OK")
                elif verb == "RCPT":
                    rcpts.append(cmd.split(":", 1)[1].strip().strip("<>"))
                    self.reply("250 OK")
                elif verb == "DATA":
                    self.reply("354 end with .")
                    lines = []
                    while True:
                        line = self.rfile.readline(1 << 16)
                        if not line or line in (b".\r\n", b".\n"):
                            break
                        lines.append(line[1:] if line.startswith(b"..") else line)
                    sink.messages.append((sender, list(rcpts), b"".join(lines)))
                    sender, rcpts = "", []
                    self.reply("250 queued")
                elif verb in ("RSET", "NOOP"):
                    self.reply("250 OK")
                elif verb == "QUIT":
                    self.reply("221 bye")
                    return
                else:
                    self.reply("502 not implemented")

    class Server(socketserver.ThreadingTCPServer):
        allow_reuse_address = True
        daemon_threads = True

    server = Server(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    sink.port = server.server_address[1]
    try:
        yield sink
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)
