"""The ASGI layer in front of `/rest`: logs every request with its status, adds latency, and carries
out fault decisions (made-up errors, connection resets, delays before serving or before answering, trickled
bodies), reading the request body first only when a rule looks at bodies. Admin routes (`/_sandbox`) pass
straight through, unlogged and never faulted.
"""

from __future__ import annotations

import asyncio
import json
from typing import Any

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from jira_sandbox import connections
from jira_sandbox.faults import FaultDecision
from jira_sandbox.runtime import SandboxRuntime

SLOW_BODY_CHUNKS = 8


class SandboxMiddleware:
    def __init__(self, app: ASGIApp, runtime: SandboxRuntime) -> None:
        self.app = app
        self.runtime = runtime

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not str(scope["path"]).startswith("/rest/"):
            await self.app(scope, receive, send)
            return
        method, path = str(scope["method"]), str(scope["path"])
        query = scope.get("query_string", b"").decode("latin-1")
        latency = self.runtime.faults.latency_ms
        if latency:
            await asyncio.sleep(latency / 1000)
        body = b""
        if self.runtime.faults.reads_bodies:
            body, receive = await _buffered(receive)
        decision = self.runtime.faults.decide(method, path, query, body=body)
        label = None if decision is None else decision.label
        recorded = False

        def record(status: int) -> None:
            # Recorded when the status is known, before the body goes out, so a client that has its
            # answer always finds its request counted.
            nonlocal recorded
            if not recorded:
                recorded = True
                self.runtime.requests.record(method, path, query, status, label)

        async def recording_send(message: Message) -> None:
            if message["type"] == "http.response.start":
                record(int(message["status"]))
            await send(message)

        try:
            if decision is None:
                await self.app(scope, receive, recording_send)
            elif decision.action == "reset":
                record(0)
                await self._apply(decision, scope, receive, recording_send)
            else:
                await self._apply(decision, scope, receive, recording_send)
        finally:
            record(500)

    async def _apply(self, decision: FaultDecision, scope: Scope, receive: Receive, send: Send) -> None:
        if decision.action == "error":
            body = json.dumps(decision.body).encode()
            headers: list[tuple[bytes, bytes]] = [
                (b"content-type", b"application/json;charset=UTF-8"),
                (b"content-length", str(len(body)).encode()),
            ]
            headers += [(k.lower().encode(), v.encode()) for k, v in decision.headers.items()]
            await send({"type": "http.response.start", "status": decision.status, "headers": headers})
            await send({"type": "http.response.body", "body": body})
        elif decision.action == "reset":
            if not connections.abort(scope.get("server"), scope.get("client")):
                raise ConnectionResetError("injected connection reset (transport unknown)")
        elif decision.action == "delay":
            await asyncio.sleep(decision.delay_ms / 1000)
            await self.app(scope, receive, send)
        elif decision.action == "delay_response":
            held: list[Message] = []

            async def hold(message: Message) -> None:
                held.append(message)

            await self.app(scope, receive, hold)  # the request is served: its change is made
            await asyncio.sleep(decision.delay_ms / 1000)
            for message in held:
                await send(message)
        else:
            await self.app(scope, receive, _trickling(send, decision.delay_ms))


async def _buffered(receive: Receive) -> tuple[bytes, Receive]:
    """The whole request body, and a `receive` that hands it to the app as if it had not been read."""
    chunks: list[bytes] = []
    while True:
        message = await receive()
        if message["type"] != "http.request":  # the client went away: nothing more will come
            break
        chunks.append(bytes(message.get("body", b"")))
        if not message.get("more_body", False):
            break
    body = b"".join(chunks)
    replayed = False

    async def replay() -> Message:
        nonlocal replayed
        if not replayed:
            replayed = True
            return {"type": "http.request", "body": body, "more_body": False}
        return await receive()  # after the body: only a disconnect can come

    return body, replay


def _trickling(send: Send, delay_ms: int) -> Send:
    """A `send` that holds the body back and then sends it in chunks spread over `delay_ms`."""
    chunks: list[bytes] = []

    async def trickle(message: Message) -> None:
        if message["type"] != "http.response.body":
            await send(message)
            return
        chunks.append(bytes(message.get("body", b"")))
        if message.get("more_body", False):
            return
        body = b"".join(chunks)
        step = max(1, -(-len(body) // SLOW_BODY_CHUNKS))
        pieces: list[Any] = [body[i : i + step] for i in range(0, len(body), step)] or [b""]
        for index, piece in enumerate(pieces):
            last = index == len(pieces) - 1
            await send({"type": "http.response.body", "body": piece, "more_body": not last})
            if not last:
                await asyncio.sleep(delay_ms / 1000 / len(pieces))

    return trickle
