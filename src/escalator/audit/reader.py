"""Reads decision records back from the Prefect API: the `escalator-<policy>-decisions` table artifacts.

Pages through artifacts newest first, 200 at a time (the server's maximum), and yields records one by one, so
thousands of runs are never loaded at once. Works against whichever API the Prefect settings point at (the
ephemeral local one, or ``PREFECT_API_URL``). Narrowing happens on the server where Prefect can (artifact key
per policy, flow run, table type) and for the rest with ``RecordQuery.matches``.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from typing import Any

from prefect import get_client
from prefect.client.orchestration import SyncPrefectClient
from prefect.client.schemas.filters import (
    ArtifactFilter,
    ArtifactFilterFlowRunId,
    ArtifactFilterKey,
    ArtifactFilterType,
    FlowRunFilter,
    FlowRunFilterName,
)
from prefect.client.schemas.objects import Artifact
from prefect.client.schemas.sorting import ArtifactSort
from pydantic import ValidationError

from escalator.audit.query import RecordQuery
from escalator.audit.record import AuditRecord

__all__ = ["PAGE_SIZE", "prefect_records"]

PAGE_SIZE = 200  # PREFECT_SERVER_API_DEFAULT_LIMIT: the most one read returns


def prefect_records(query: RecordQuery, client: SyncPrefectClient | None = None) -> Iterator[AuditRecord]:
    """The records matching ``query``, newest run first."""
    if client is None:
        with get_client(sync_client=True) as own:
            yield from prefect_records(query, own)
        return
    seen: set[uuid.UUID] = set()  # a run finishing while we page shifts the offsets: skip what was read
    offset, count = 0, 0
    filters = _filters(query)
    while True:
        page = client.read_artifacts(**filters, sort=ArtifactSort.CREATED_DESC, limit=PAGE_SIZE, offset=offset)
        for artifact in page:
            if artifact.id in seen or not (artifact.key or "").endswith("-decisions"):
                continue
            if query.before_range(artifact.created):
                return
            seen.add(artifact.id)
            for record in _records(artifact):
                if query.matches(record):
                    yield record
                    count += 1
                    if query.limit is not None and count >= query.limit:
                        return
        if len(page) < PAGE_SIZE:
            return
        offset += len(page)


def _filters(query: RecordQuery) -> dict[str, Any]:
    key = (
        ArtifactFilterKey(any_=[f"escalator-{query.policy}-decisions"])
        if query.policy
        else ArtifactFilterKey(like_="escalator-%-decisions")
    )
    artifact_filter = ArtifactFilter(key=key, type=ArtifactFilterType(any_=["table"]))
    filters: dict[str, Any] = {"artifact_filter": artifact_filter}
    if query.flow_run:
        try:
            artifact_filter.flow_run_id = ArtifactFilterFlowRunId(any_=[uuid.UUID(query.flow_run)])
        except ValueError:  # not an id: a flow run's name
            filters["flow_run_filter"] = FlowRunFilter(name=FlowRunFilterName(any_=[query.flow_run]))
    return filters


def _records(artifact: Artifact) -> Iterator[AuditRecord]:
    """The records of one table artifact; the placeholder row of a run without records is not one."""
    try:
        rows = json.loads(artifact.data) if isinstance(artifact.data, str) else artifact.data
    except ValueError:
        return
    if not isinstance(rows, list):
        return
    for row in rows:
        if not isinstance(row, dict) or "policy" not in row:
            continue
        try:
            yield AuditRecord.model_validate(row)
        except ValidationError:
            continue
