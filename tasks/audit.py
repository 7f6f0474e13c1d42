"""Record a run's audit: append the decision records to the audit sink (when one is set), then publish one table
artifact of them and one markdown summary, per policy."""

from __future__ import annotations

from prefect import task
from prefect.artifacts import create_markdown_artifact, create_table_artifact
from prefect.cache_policies import NO_CACHE
from prefect.utilities.annotations import quote

from escalator.audit.record import AuditRecord
from escalator.audit.sink import AuditSink, resolve_sink_url
from escalator.sweep import ArtifactKeys


@task(name="check-audit-sink", cache_policy=NO_CACHE)
def check_audit_sink(explicit: str | None) -> str | None:
    """The run's audit sink, proven writable before anything is written to Jira (``AuditSinkError`` if not)."""
    url = resolve_sink_url(explicit)
    if url is not None:
        AuditSink(url).check_writable()
    return url


@task(name="append-audit", cache_policy=NO_CACHE)  # no retries: a retry after a lost answer would append twice
def append_audit(records: list[AuditRecord], sink_url: str) -> str | None:
    """Append to the policy's hash chain; the chain's new head (``AuditSinkError`` fails the run)."""
    head = None
    sink = AuditSink(sink_url)
    for policy in dict.fromkeys(record.policy for record in records):
        head = sink.append(policy, [record for record in records if record.policy == policy])
    return head


@task(name="publish-audit", cache_policy=NO_CACHE, retries=2, retry_delay_seconds=2)
def publish_audit(records: list[AuditRecord], summary: str, keys: ArtifactKeys, chain_head: str | None = None) -> None:
    rows = [record.model_dump(mode="json") for record in records]
    sunk = f"; audit sink chain head {chain_head}" if chain_head else ""
    create_table_artifact(
        table=rows or [{"issue_key": "none", "outcome": "no escalation, skip, failure or breach in this run"}],
        key=keys.records,
        description=f"Escalation decisions of this run ({len(rows)} records{sunk})",
    )
    create_markdown_artifact(markdown=summary, key=keys.summary, description="Escalation sweep summary")


def record_audit(records: list[AuditRecord], summary: str, keys: ArtifactKeys, sink_url: str | None) -> None:
    """The sink first (the store escalator owns), the artifacts whatever happened to it; a sink failure is
    raised after the artifacts are published, so the run fails loudly with its records still in Prefect."""
    head = None
    try:
        if sink_url is not None and records:
            head = append_audit(quote(records), sink_url)
    finally:
        publish_audit(quote(records), summary, keys, head)
