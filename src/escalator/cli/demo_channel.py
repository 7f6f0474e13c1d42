"""The notification channel of `escalator demo`: a chat room on loopback, and the Prefect block that posts to it.

The example outage policy sends outages that reach L2 and L3 to the channel ``ops-incident-room``. In a real
deployment that is a block the operator made (a Slack or Microsoft Teams webhook, say); the demo has no chat
service, so it starts this room on ``127.0.0.1`` and saves a custom-webhook block of that name pointing at it
before the sweep, deletes the block after (a block left behind would point at a port nobody listens on), and
prints what the room received. The tests that sweep the example policies save the same block in their Prefect
test harness, pointing at their own receiver.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, HTTPServer
from typing import Any

__all__ = ["CHANNEL", "ChatMessage", "ChatRoom", "delete_channel", "running_chat_room", "save_channel"]

CHANNEL = "ops-incident-room"
"""The block's name, as policies/outage.yaml names it (by name alone: any notification block type will do)."""

MAX_BODY = 64 * 1024


@dataclass(frozen=True)
class ChatMessage:
    subject: str
    text: str


@dataclass
class ChatRoom:
    """A running room: ``url`` takes POSTs of ``{"subject": ..., "text": ...}``; ``messages`` in arrival order."""

    url: str
    messages: list[ChatMessage] = field(default_factory=list)


@contextmanager
def running_chat_room() -> Iterator[ChatRoom]:
    """A chat room on a free loopback port, for as long as the block is used."""
    lock = threading.Lock()
    room: ChatRoom

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            message = _message(self.rfile.read(length)) if 0 < length <= MAX_BODY else None
            if message is not None:
                with lock:
                    room.messages.append(message)
            self.send_response(200 if message is not None else 400)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, format: str, *args: Any) -> None:
            pass  # the demo prints what the room received; no access log on the terminal

    server = HTTPServer(("127.0.0.1", 0), Handler)
    room = ChatRoom(f"http://127.0.0.1:{server.server_address[1]}/messages")
    thread = threading.Thread(target=server.serve_forever, name="demo-chat-room", daemon=True)
    thread.start()
    try:
        yield room
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


def _message(body: bytes) -> ChatMessage | None:
    try:
        data = json.loads(body)
    except ValueError:
        return None
    if not isinstance(data, dict) or not isinstance(data.get("subject"), str) or not isinstance(data.get("text"), str):
        return None
    return ChatMessage(data["subject"], data["text"])


def save_channel(url: str) -> None:
    """Save the ``custom-webhook/ops-incident-room`` block (replacing one of that name) posting to ``url``."""
    from prefect.blocks.notifications import CustomWebhookNotificationBlock

    block = CustomWebhookNotificationBlock(
        name=CHANNEL, url=url, json_data={"subject": "{{subject}}", "text": "{{body}}"}
    )
    block.save(CHANNEL, overwrite=True)


def delete_channel() -> None:
    """Delete the block ``save_channel`` made, if it is there."""
    from prefect.client.orchestration import get_client
    from prefect.exceptions import ObjectNotFound

    with get_client(sync_client=True) as client:
        try:
            document = client.read_block_document_by_name(CHANNEL, "custom-webhook")
        except ObjectNotFound:
            return
        client.delete_block_document(document.id)
