"""The ASGI layer in front of the app: refuses a request body over the size limit with 413 before any route
reads it (every path, so an unauthenticated caller cannot fill the memory); and in front of `/rest`, logs
every request with its status, adds latency, and carries out fault decisions (made-up errors and answers,
connection resets, answers cut off, delays before serving or before answering, trickled bodies), which may look
at the request body (read once, within the limit, and handed on to the app). Admin routes (`/_sandbox`) pass
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
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        method, path = str(scope["method"]), str(scope["path"])
        query = scope.get("query_string", b"").decode("latin-1")
        limit = self.runtime.settings.max_body_bytes
        received = await _read_body(scope, receive, limit)
        if received is None:
            if path.startswith("/rest/"):
                self.runtime.requests.record(method, path, query, 413, None)
            await _too_large(send, limit)
            return
        receive = _replay(received, receive)
        if not path.startswith("/rest/"):
            await self.app(scope, receive, send)
            return
        latency = self.runtime.faults.latency_ms
        if latency:
            await asyncio.sleep(latency / 1000)
        body = b"".join(bytes(m.get("body", b"")) for m in received if m["type"] == "http.request")
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
        if decision.action in ("error", "answer"):
            body = json.dumps(decision.body).encode() if decision.text is None else decision.text.encode()
            given = {k.lower(): v for k, v in decision.headers.items()}
            headers: list[tuple[bytes, bytes]] = [
                (b"content-type", given.pop("content-type", "application/json;charset=UTF-8").encode()),
                (b"content-length", str(len(body)).encode()),
            ]
            headers += [(k.encode(), v.encode()) for k, v in given.items()]
            await send({"type": "http.response.start", "status": decision.status, "headers": headers})
            await send({"type": "http.response.body", "body": body})
        elif decision.action == "cut":
            await self.app(scope, receive, _cutting(send, scope))
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


async def _read_body(scope: Scope, receive: Receive, limit: int) -> list[Message] | None:
    """The request's body messages, read up to ``limit`` bytes; None when it is larger (a declared
    `content-length` over the limit is refused before a byte is read)."""
    for name, value in scope.get("headers", []):
        if name == b"content-length" and value.isdigit() and int(value) > limit:
            return None
    messages: list[Message] = []
    size = 0
    while True:
        message = await receive()
        messages.append(message)
        if message["type"] != "http.request":
            return messages
        size += len(message.get("body", b""))
        if size > limit:
            return None
        if not message.get("more_body", False):
            return messages


def _replay(messages: list[Message], receive: Receive) -> Receive:
    """A `receive` that hands out ``messages`` first, then waits on the real one (for a disconnect)."""
    pending = list(messages)

    async def replay() -> Message:
        return pending.pop(0) if pending else await receive()

    return replay


async def _too_large(send: Send, limit: int) -> None:
    message = f"The request body is larger than the sandbox accepts ({limit:,} bytes)."
    body = json.dumps({"errorMessages": [message], "errors": {}}).encode()
    headers = [
        (b"content-type", b"application/json;charset=UTF-8"),
        (b"content-length", str(len(body)).encode()),
        (b"connection", b"close"),
    ]
    await send({"type": "http.response.start", "status": 413, "headers": headers})
    await send({"type": "http.response.body", "body": body})


def _cutting(send: Send, scope: Scope) -> Send:
    """A `send` that sends the first half of the body (its `content-length` promising all of it), then
    aborts the connection: the client sees the answer cut off."""
    chunks: list[bytes] = []

    async def cut(message: Message) -> None:
        if message["type"] != "http.response.body":
            await send(message)
            return
        chunks.append(bytes(message.get("body", b"")))
        if message.get("more_body", False):
            return
        body = b"".join(chunks)
        await send({"type": "http.response.body", "body": body[: len(body) // 2], "more_body": True})
        if not connections.abort(scope.get("server"), scope.get("client")):
            raise ConnectionResetError("injected cut (transport unknown)")

    return cut


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
