"""Record a run's audit: append the decision records to the audit sink (when one is set), then publish one table
artifact of them and one markdown summary, per policy."""

from __future__ import annotations

import json

from prefect import get_client, task
from prefect.artifacts import create_markdown_artifact
from prefect.cache_policies import NO_CACHE
from prefect.client.schemas.actions import ArtifactCreate
from prefect.utilities.annotations import quote
from prefect.utilities.context import get_task_and_flow_run_ids

from escalator.audit.record import AuditRecord
from escalator.audit.sink import AuditSink, resolve_sink_url
from escalator.sweep.records import ArtifactKeys


@task(name="check-audit-sink", cache_policy=NO_CACHE)
def check_audit_sink(explicit: str | None) -> str | None:
    """The run's audit sink, proven writable before anything is written to Jira (``AuditSinkError`` if not)."""
    url = resolve_sink_url(explicit)
    if url is not None:
        AuditSink(url).check_writable()
    return url


@task(name="append-audit", cache_policy=NO_CACHE)  # no retries: a retry after a lost answer would append twice
def append_audit(records: list[AuditRecord], sink_url: str, chain: str) -> str | None:
    """Append to the hash chain ``chain`` (the policy's, or its shard's); the chain's new head
    (``AuditSinkError`` fails the run)."""
    return AuditSink(sink_url).append(chain, records)


@task(name="publish-audit", cache_policy=NO_CACHE, retries=2, retry_delay_seconds=2)
def publish_audit(records: list[AuditRecord], summary: str, keys: ArtifactKeys, chain_head: str | None = None) -> None:
    sunk = f"; audit sink chain head {chain_head}" if chain_head else ""
    create_json_table(
        records_json(records) if records else EMPTY_TABLE,
        key=keys.records,
        description=f"Escalation decisions of this run ({len(records)} records{sunk})",
    )
    create_markdown_artifact(markdown=summary, key=keys.summary, description="Escalation sweep summary")


EMPTY_TABLE = json.dumps([{"issue_key": "none", "outcome": "no escalation, skip, failure or breach in this run"}])


def records_json(records: list[AuditRecord]) -> str:
    """The records as a JSON array of rows, one record serialised at a time."""
    return "[" + ",".join(record.model_dump_json() for record in records) + "]"


def create_json_table(rows_json: str, *, key: str, description: str) -> None:
    """A table artifact from rows already serialised. Prefect's ``create_table_artifact`` validates the rows
    into a copy, copies them again to replace NaNs and then serialises them: for the ~8,000 records of a first
    sweep over 100,000 issues that peaked about 100 MB above the rows themselves."""
    task_run_id, flow_run_id = get_task_and_flow_run_ids()
    with get_client(sync_client=True) as client:
        client.create_artifact(
            artifact=ArtifactCreate(
                type="table",
                key=key,
                description=description,
                data=rows_json,
                flow_run_id=flow_run_id,
                task_run_id=task_run_id,
            )
        )


def record_audit(
    records: list[AuditRecord], summary: str, keys: ArtifactKeys, sink_url: str | None, chain: str
) -> None:
    """The sink first (the store escalator owns), the artifacts whatever happened to it; a sink failure is
    raised after the artifacts are published, so the run fails loudly with its records still in Prefect."""
    head = None
    try:
        if sink_url is not None and records:
            head = append_audit(quote(records), sink_url, chain)
    finally:
        publish_audit(quote(records), summary, keys, head)
