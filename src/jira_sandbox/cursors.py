"""`nextPageToken`s for Cloud's `search/jql`: the first page of a query snapshots the ordered issue ids
(so writes between pages neither skip nor repeat issues); tokens name the snapshot and an offset.

A token whose snapshot was evicted (or from before a restart) still works: it also carries a digest of
the query, and the search re-runs the query and continues at the offset. A token for another query, or
one that does not decode, is Jira's 400 "invalid or expired".
"""

from __future__ import annotations

import base64
import hashlib
import json
import secrets
import threading
from collections import OrderedDict
from dataclasses import dataclass

from jira_sandbox.errors import bad_request

SNAPSHOT_LIMIT = 64


@dataclass(frozen=True)
class PageToken:
    snapshot: str
    offset: int
    digest: str


def query_digest(jql: str, user: str) -> str:
    return hashlib.sha1(f"{user}\n{jql}".encode()).hexdigest()[:16]


def encode(token: PageToken) -> str:
    raw = json.dumps({"s": token.snapshot, "o": token.offset, "q": token.digest}, separators=(",", ":"))
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def decode(text: str, digest: str) -> PageToken:
    try:
        padded = text + "=" * (-len(text) % 4)
        raw = json.loads(base64.urlsafe_b64decode(padded.encode()))
        token = PageToken(str(raw["s"]), int(raw["o"]), str(raw["q"]))
    except (ValueError, KeyError, TypeError):
        raise bad_request("The provided next page token is invalid or expired.") from None
    if token.digest != digest or token.offset < 0:
        raise bad_request("The provided next page token is invalid or expired.")
    return token


class SearchSnapshots:
    """A small LRU of ordered id lists, keyed by snapshot id."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._snapshots: OrderedDict[str, list[int]] = OrderedDict()

    def save(self, ids: list[int]) -> str:
        name = secrets.token_hex(6)
        with self._lock:
            self._snapshots[name] = ids
            while len(self._snapshots) > SNAPSHOT_LIMIT:
                self._snapshots.popitem(last=False)
        return name

    def get(self, name: str) -> list[int] | None:
        with self._lock:
            ids = self._snapshots.get(name)
            if ids is not None:
                self._snapshots.move_to_end(name)
            return ids
