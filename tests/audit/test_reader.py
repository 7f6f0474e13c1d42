"""The Prefect reader against a fake API client: pages of 200, lazily, stops at the time range, skips what is
not a record (summaries, the placeholder row of a run without records)."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

from prefect.client.schemas.objects import Artifact

from escalator.audit.query import RecordQuery
from escalator.audit.reader import PAGE_SIZE, prefect_records

T0 = datetime(2026, 3, 31, 12, tzinfo=UTC)


def row(key: str, at: datetime) -> dict[str, Any]:
    return {
        "evaluated_at": at.isoformat(),
        "issue_key": key,
        "outcome": "applied",
        "decision": "escalate",
        "reason_code": "window_elapsed",
        "reason": "waited",
        "policy": "outage-matrix",
        "policy_version": "3",
    }


class FakeClient:
    """Artifacts of ``runs`` runs, one an hour back from T0, newest first, as the API pages them."""

    def __init__(self, runs: int) -> None:
        self.pages: list[int] = []
        self.artifacts = []
        for n in range(runs):
            at = T0 - timedelta(hours=n)
            rows = [row(f"OPS-{n}", at)] if n % 3 else [{"issue_key": "none", "outcome": "no escalation"}]
            self.artifacts.append(self._artifact("escalator-outage-matrix-decisions", "table", json.dumps(rows), at))
            self.artifacts.append(self._artifact("escalator-outage-matrix-summary", "markdown", "# s", at))

    @staticmethod
    def _artifact(key: str, kind: str, data: str, at: datetime) -> Artifact:
        return Artifact(id=uuid.uuid4(), key=key, type=kind, data=data, created=at + timedelta(seconds=5))

    def read_artifacts(self, *, limit: int, offset: int, **_: Any) -> list[Artifact]:
        self.pages.append(offset)
        tables = [a for a in self.artifacts if a.type == "table"]  # the server filters by type
        return tables[offset : offset + limit]


def test_pages_through_thousands_of_runs_lazily() -> None:
    client = FakeClient(3000)
    records = prefect_records(RecordQuery(), client)  # type: ignore[arg-type]
    first = next(records)
    assert first.issue_key == "OPS-1" and client.pages == [0], "one page read for the first record"
    rest = list(records)
    assert len(rest) + 1 == 2000  # every third run had nothing to record
    assert client.pages == list(range(0, 3000 + 1, PAGE_SIZE)), "200 at a time, until a short page"


def test_stops_paging_before_the_time_range() -> None:
    client = FakeClient(3000)
    since = T0 - timedelta(hours=450)
    found = list(prefect_records(RecordQuery(since=since), client))  # type: ignore[arg-type]
    assert found and all(r.evaluated_at >= since for r in found)
    assert len(client.pages) == 3, "pages older than --since are not read"


def test_limit_stops_early() -> None:
    client = FakeClient(3000)
    assert len(list(prefect_records(RecordQuery(limit=5), client))) == 5  # type: ignore[arg-type]
    assert client.pages == [0]
