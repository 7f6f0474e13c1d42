"""Every REST request a sandbox answered: a bounded log plus exact counters by kind (search pages,
writes, other) and by status, for tests that count requests and for the admin endpoint."""

from __future__ import annotations

import threading
import time
from collections import Counter, deque
from dataclasses import asdict, dataclass, field
from typing import Any, Literal

RequestKind = Literal["search", "write", "other"]
LOG_LIMIT = 100_000


def classify(method: str, path: str) -> RequestKind:
    """`search` for search pages and counts, `write` for any other POST/PUT/DELETE, `other` for reads (the
    bulk changelog read, a POST, among them)."""
    parts = path.split("/")
    # /rest/api/{version}/search..., or anything else
    if len(parts) > 4 and parts[1] == "rest" and parts[2] == "api" and parts[4] == "search":
        return "search"
    if len(parts) > 5 and parts[1] == "rest" and parts[2] == "api" and parts[4:6] == ["changelog", "bulkfetch"]:
        return "other"
    if method.upper() in ("POST", "PUT", "DELETE", "PATCH"):
        return "write"
    return "other"


@dataclass(frozen=True)
class RequestRecord:
    seq: int
    at: float
    method: str
    path: str
    query: str
    kind: RequestKind
    status: int
    fault: str | None = None

    def as_json(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class RequestCounts:
    """Counts since the last reset. `faults` counts answers the fault injector made up."""

    search: int = 0
    write: int = 0
    other: int = 0
    faults: int = 0
    by_status: dict[int, int] = field(default_factory=dict)

    @property
    def total(self) -> int:
        return self.search + self.write + self.other

    def as_json(self) -> dict[str, Any]:
        return {
            "search": self.search,
            "write": self.write,
            "other": self.other,
            "total": self.total,
            "faults": self.faults,
            "byStatus": {str(status): n for status, n in sorted(self.by_status.items())},
        }


class RequestLog:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._records: deque[RequestRecord] = deque(maxlen=LOG_LIMIT)
        self._kinds: Counter[str] = Counter()
        self._statuses: Counter[int] = Counter()
        self._faults = 0
        self._seq = 0

    def record(self, method: str, path: str, query: str, status: int, fault: str | None) -> RequestRecord:
        kind = classify(method, path)
        with self._lock:
            self._seq += 1
            entry = RequestRecord(self._seq, time.time(), method, path, query, kind, status, fault)
            self._records.append(entry)
            self._kinds[kind] += 1
            self._statuses[status] += 1
            self._faults += fault is not None
        return entry

    def records(self, since: int = 0) -> list[RequestRecord]:
        with self._lock:
            return [entry for entry in self._records if entry.seq > since]

    def counts(self) -> RequestCounts:
        with self._lock:
            return RequestCounts(
                search=self._kinds["search"],
                write=self._kinds["write"],
                other=self._kinds["other"],
                faults=self._faults,
                by_status=dict(self._statuses),
            )

    def clear(self) -> None:
        with self._lock:
            self._records.clear()
            self._kinds.clear()
            self._statuses.clear()
            self._faults = 0
