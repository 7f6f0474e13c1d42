"""Publish a run's audit: one table artifact of decision records and one markdown summary, per policy."""

from __future__ import annotations

from prefect import task
from prefect.artifacts import create_markdown_artifact, create_table_artifact
from prefect.cache_policies import NO_CACHE

from escalator.audit.record import AuditRecord
from escalator.sweep import ArtifactKeys


@task(name="publish-audit", cache_policy=NO_CACHE, retries=2, retry_delay_seconds=2)
def publish_audit(records: list[AuditRecord], summary: str, keys: ArtifactKeys) -> None:
    rows = [record.model_dump(mode="json") for record in records]
    create_table_artifact(
        table=rows or [{"issue_key": "none", "outcome": "no escalation, skip, failure or breach in this run"}],
        key=keys.records,
        description=f"Escalation decisions of this run ({len(rows)} records)",
    )
    create_markdown_artifact(markdown=summary, key=keys.summary, description="Escalation sweep summary")
