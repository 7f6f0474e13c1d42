"""A webhook receiver on loopback for notification-channel tests: keeps every POST's path and JSON body, and
answers 500 to paths under ``/fail``; and the loopback server under it, for tests with a handler of their own."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, HTTPServer
from typing import Any


class Receiver:
    def __init__(self, server: HTTPServer, received: list[tuple[str, Any]]) -> None:
        self.url = f"http://127.0.0.1:{server.server_address[1]}"
        self.received = received
        """(path, JSON body) of every request, in arrival order"""


@contextmanager
def loopback_receiver() -> Iterator[Receiver]:
    received: list[tuple[str, Any]] = []

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            received.append((self.path, json.loads(body or b"{}")))
            self.send_response(500 if self.path.startswith("/fail") else 200)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, format: str, *args: Any) -> None:
            pass

    with loopback_server(Handler) as server:
        yield Receiver(server, received)


@contextmanager
def loopback_server(handler: type[BaseHTTPRequestHandler]) -> Iterator[HTTPServer]:
    """An HTTP server on a free loopback port, answering with ``handler`` in a thread until the block ends."""
    server = HTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()
        thread.join()
