"""Which TCP transport serves which request, so a fault can reset a connection mid-request.

ASGI hides the socket; `server.py` runs uvicorn with `TrackedH11Protocol`, which records each
connection's transport here under (server address, client address) — the same pair an ASGI scope
carries as `server` and `client`. Module-level because uvicorn builds protocol instances itself.
"""

from __future__ import annotations

import asyncio
import threading
from typing import Any

from uvicorn.protocols.http.h11_impl import H11Protocol

_lock = threading.Lock()
_transports: dict[tuple[Any, Any], asyncio.Transport] = {}


def _key(server: Any, client: Any) -> tuple[Any, Any]:
    return (tuple(server) if server else None, tuple(client) if client else None)


def abort(server: Any, client: Any) -> bool:
    """Abort (reset) the connection of a request; False when its transport is unknown."""
    with _lock:
        transport = _transports.get(_key(server, client))
    if transport is None:
        return False
    transport.abort()
    return True


class TrackedH11Protocol(H11Protocol):
    """uvicorn's h11 protocol, registering its transport for `abort`."""

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self._tracked_key = _key(self.server, self.client)
        with _lock:
            _transports[self._tracked_key] = transport

    def connection_lost(self, exc: Exception | None) -> None:
        with _lock:
            _transports.pop(getattr(self, "_tracked_key", None), None)  # type: ignore[arg-type]
        super().connection_lost(exc)
