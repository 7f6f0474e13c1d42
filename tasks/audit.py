"""Record a run's audit, per policy (or shard): settle what a killed run left in the chain, bracket every Jira
write with its intent and outcome, append the decision records to the audit sink (when one is set), publish them
as a table artifact and a markdown summary, each naming the chain's head, and checkpoint the chain.

The flow drives it through ``PolicyAudit``: ``policy_audit(...)`` opens the chain as its only writer,
``settle(jira)`` first, ``journaled(writer, plan)`` for the writes, ``record(...)`` at the end, whatever happened.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import datetime
from typing import Any

import orjson
from prefect import get_client, get_run_logger, task
from prefect.cache_policies import NO_CACHE
from prefect.client.schemas.actions import ArtifactCreate
from prefect.client.schemas.filters import ArtifactFilter, ArtifactFilterFlowRunId, ArtifactFilterKey
from prefect.client.schemas.sorting import ArtifactSort
from prefect.utilities.annotations import quote
from prefect.utilities.context import get_task_and_flow_run_ids

from escalator.audit.anchors import anchor_metadata, anchor_text
from escalator.audit.breaches import OpenBreach, breach_notices, register_from, register_rows
from escalator.audit.held import HeldIssue, held_notices, held_register_from, held_rows
from escalator.audit.keys import load_keyring
from escalator.audit.record import AuditRecord, People, RunInfo, table_columns
from escalator.audit.sink import AuditSink, ChainHead, resolve_sink_url
from escalator.audit.trail import AuditTarget, AuditTrail
from escalator.core.decision import Outcome, Plan
from escalator.core.issue import SnapshotProblem
from escalator.jira.adapter import JiraAdapter
from escalator.sweep.apply import Writer
from escalator.sweep.journal import JournaledWriter
from escalator.sweep.policies import PolicyRun
from escalator.sweep.reconcile import reconcile_intents
from escalator.sweep.records import ArtifactKeys, run_records


@task(name="check-audit-sink", cache_policy=NO_CACHE)
def check_audit_sink(explicit: str | None) -> str | None:
    """The run's audit sink, proven writable before anything is written to Jira (``AuditSinkError`` if not)."""
    url = resolve_sink_url(explicit)
    if url is not None:
        AuditSink(url).check_writable()
    return url


def audit_target(url: str | None, key_block: str | None) -> AuditTarget | None:
    """The sink with the keys its chains are signed with (``ESCALATOR_AUDIT_KEY`` or the Secret block). Loaded in
    the flow, not a task, so the keys are never a task's parameter or result."""
    return AuditTarget(url, load_keyring(key_block)) if url is not None else None


@contextmanager
def policy_audit(
    target: AuditTarget | None, chain: str, keys: ArtifactKeys, policy_run: PolicyRun, run: RunInfo
) -> Iterator[PolicyAudit]:
    """The audit of one policy's (or shard's) sweep, holding its chain's writer lock while it is open."""
    with AuditTrail.open(target, chain, holder=run.flow_run_name or run.flow_run_id) as trail:
        yield PolicyAudit(trail, keys, policy_run, run)


class PolicyAudit:
    """What one policy's sweep records, and where (see the module docstring)."""

    def __init__(self, trail: AuditTrail, keys: ArtifactKeys, policy_run: PolicyRun, run: RunInfo) -> None:
        self.trail = trail
        self.keys = keys
        self.policy_run = policy_run
        self.run = run
        self.carried: list[AuditRecord] = []
        self.register: dict[str, OpenBreach] = {}
        self.held: dict[str, HeldIssue] = {}

    def settle(self, jira: JiraAdapter) -> None:
        """Before anything else: reconcile a killed run's pending intents against Jira, find records that never
        reached Prefect (published with this run's), and read the open deadline breaches and held issues."""
        settle = settle_audit.with_options(task_run_name=f"settle-audit[{self.trail.chain}]")
        self.carried = settle(quote(self.trail), jira, self.keys.records, self.run)
        if self.trail.writer is not None:
            self.register, self.held = self.trail.register(), self.trail.held()
        else:
            self.register = register_from(latest_rows(breaches_key(self.trail.chain)))
            self.held = held_register_from(latest_rows(held_key(self.trail.chain)))

    def registered(self) -> frozenset[str]:
        """The issues the registers hold (open breaches, held issues): their decisions in this run end or keep
        their entries, so a sweep's plan keeps them whatever they are (``escalator.core.evaluate``'s ``keep``)."""
        return frozenset(self.register) | frozenset(self.held)

    def journaled(self, writer: Writer, plan: Plan, people: People | None = None) -> Writer:
        """``writer`` with each write bracketed by its intent and outcome in the chain (live runs with a sink)."""
        if writer.dry_run or self.trail.writer is None:
            return writer
        deadline = self.policy_run.policy.escalation_deadline
        limit = deadline.wall_clock() if deadline is not None else None
        return JournaledWriter(writer, self.trail, plan, self.policy_run.git, self.run, limit, people)

    def record(
        self,
        plan: Plan | None,
        outcomes: Sequence[Outcome],
        problems: Sequence[SnapshotProblem],
        *,
        now: datetime,
        error: str | None = None,
        states_signed: bool | None = None,
        people: People | None = None,
    ) -> None:
        """The run's records (deadline breaches and issues held by their state only when due, ``people``'s display
        names beside the ids), to the sink first (the store escalator owns) and
        then to Prefect whatever happened to the sink; a sink failure is raised after the artifacts are published,
        so the run fails loudly with its records still in Prefect. Then the checkpoint."""
        records, summary = run_records(
            plan,
            outcomes,
            self.policy_run,
            self.run,
            self.keys,
            problems,
            now=now,
            error=error,
            states_signed=states_signed,
            people=people,
        )
        records, register = breach_notices(
            records,
            plan,
            self.register,
            complete=error is None,
            unreadable=[p.issue_key for p in problems],
            git=self.policy_run.git,
            run=self.run,
        )
        held_records, held = held_notices(
            plan,
            self.held,
            complete=error is None,
            unreadable=[p.issue_key for p in problems],
            git=self.policy_run.git,
            run=self.run,
        )
        records += held_records
        kept = register if not self.run.dry_run else self.register  # a dry run predicts, it does not record
        kept_held = held if not self.run.dry_run else self.held
        if self.carried:
            reconciled = sum(1 for record in self.carried if record.reconciled_by)
            summary += (
                f"\n## Records of earlier runs\n\n{len(self.carried)} records of earlier runs that were stopped "
                f"before publishing them are published with this run's ({reconciled} of them reconciled with Jira: "
                "the run was stopped between a write and the record of its outcome).\n"
            )
        head = None
        try:
            head = append_audit.with_options(task_run_name=f"append-audit[{self.trail.chain}]")(
                quote(self.trail), quote(records)
            )
        finally:
            sink = self.trail.writer.sink.identity if self.trail.writer is not None else None
            publish = publish_audit.with_options(task_run_name=f"publish-audit[{self.trail.chain}]")
            publish(quote(self.carried + records), summary, self.keys, head, sink)
            if self.trail.writer is None:  # without a sink, Prefect keeps the registers
                if kept != self.register:
                    publish_register(register_rows(kept), breaches_key(self.trail.chain), BREACHES)
                if kept_held != self.held:
                    publish_register(held_rows(kept_held), held_key(self.trail.chain), HELD)
        self.trail.checkpoint(self.run.flow_run_id, kept, kept_held)


@task(name="settle-audit", cache_policy=NO_CACHE)
def settle_audit(trail: AuditTrail, jira: JiraAdapter, records_key: str, run: RunInfo) -> list[AuditRecord]:
    """Reconcile the chain's pending intents (appending their outcomes) and return the records to publish with
    this run because their own run never published them."""
    if trail.writer is None:
        return []
    logger = get_run_logger()
    pending = trail.pending_intents()
    reconciled = reconcile_intents(pending, jira, run)
    trail.append_records(reconciled)
    for record in reconciled:
        logger.warning("%s: %s", record.issue_key, record.reason)
    runs = trail.unsettled_runs()
    published = _published_runs(records_key, [r for r in runs if r is not None])
    carried = [record for run_id, records in runs.items() if run_id not in published for record in records]
    carried += [record for record in reconciled if record.flow_run_id not in published]
    if carried:
        logger.warning(
            "%s: %d records of earlier runs were not in Prefect; published with this run's", trail.chain, len(carried)
        )
    trail.mark_settled()
    return carried


def _published_runs(records_key: str, run_ids: list[str]) -> set[str]:
    """Which of ``run_ids`` published their decisions artifact (one request)."""
    ids = []
    for run_id in run_ids:
        try:
            ids.append(uuid.UUID(run_id))
        except ValueError:
            continue
    if not ids:
        return set()
    with get_client(sync_client=True) as client:
        artifacts = client.read_artifacts(
            artifact_filter=ArtifactFilter(
                key=ArtifactFilterKey(any_=[records_key]), flow_run_id=ArtifactFilterFlowRunId(any_=ids)
            )
        )
    return {str(artifact.flow_run_id) for artifact in artifacts}


@task(name="append-audit", cache_policy=NO_CACHE)  # no retries: a retry after a lost answer would append twice
def append_audit(trail: AuditTrail, records: list[AuditRecord]) -> ChainHead | None:
    """Append to the run's chain; the chain's new head (``AuditSinkError`` fails the run)."""
    return trail.append_records(records)


@task(name="publish-audit", cache_policy=NO_CACHE, retries=2, retry_delay_seconds=2)
def publish_audit(
    records: list[AuditRecord],
    summary: str,
    keys: ArtifactKeys,
    chain_head: ChainHead | None = None,
    sink: str | None = None,
) -> None:
    """The decisions table and the summary; both name the chain's head (description, metadata, summary text), so
    ``escalator audit verify`` can check the sink still reaches it."""
    sunk = f"; {anchor_text(chain_head)}" if chain_head else ""
    metadata = anchor_metadata(chain_head, sink or "") if chain_head else None
    create_json_table(
        records_json(records) if records else EMPTY_TABLE,
        key=keys.records,
        description=f"Escalation decisions of this run ({len(records)} records{sunk})",
        metadata=metadata,
    )
    if chain_head:
        summary += (
            f"\n## Audit chain\n\nHead after this run: `{chain_head}` (keep it outside the system to check the sink "
            f"later: `escalator audit verify --expect-head {chain_head}`).\n"
        )
    create_artifact("markdown", summary, key=keys.summary, description="Escalation sweep summary", metadata=metadata)


BREACHES = "Open escalation-deadline breaches"
HELD = "Issues left alone for their escalation state, recorded once"


def breaches_key(chain: str) -> str:
    """The artifact holding a chain's open deadline breaches: ``escalator-<policy>-breaches[-<shard>]``."""
    return _register_key(chain, "breaches")


def held_key(chain: str) -> str:
    """The artifact holding a chain's issues held by their state: ``escalator-<policy>-left-alone[-<shard>]``."""
    return _register_key(chain, "left-alone")


def _register_key(chain: str, what: str) -> str:
    policy, _, shard = chain.partition("@")
    return f"escalator-{policy}-{what}" + (f"-{shard}" if shard else "")


def latest_rows(key: str) -> object:
    """The rows of the latest table artifact under ``key`` (None when there is none, or it does not read)."""
    with get_client(sync_client=True) as client:
        latest = client.read_artifacts(
            artifact_filter=ArtifactFilter(key=ArtifactFilterKey(any_=[key])), sort=ArtifactSort.CREATED_DESC, limit=1
        )
    if not latest:
        return None
    data = latest[0].data
    try:
        return json.loads(data) if isinstance(data, str) else data
    except ValueError:
        return None


@task(name="publish-register", cache_policy=NO_CACHE, retries=2, retry_delay_seconds=2)
def publish_register(rows: list[dict[str, str]], key: str, what: str) -> None:
    """A register (breaches, held issues) as a table artifact, for the next run without a sink to read."""
    create_json_table(json.dumps(rows) if rows else "[]", key=key, description=f"{what} ({len(rows)})")


EMPTY_TABLE = json.dumps([{"issue_key": "none", "outcome": "no escalation, skip, failure or breach in this run"}])


def records_json(records: list[AuditRecord]) -> str:
    """The records as a JSON array of rows, one record serialised at a time, their columns in the order an auditor
    reads them (the Prefect UI shows a table's columns in the order of its first row's keys)."""
    columns = table_columns()
    return "[" + ",".join(orjson.dumps(_in_order(record, columns)).decode() for record in records) + "]"


def _in_order(record: AuditRecord, columns: tuple[str, ...]) -> dict[str, Any]:
    row = record.model_dump(mode="json")
    return {name: row[name] for name in columns}


def create_json_table(rows_json: str, *, key: str, description: str, metadata: dict[str, str] | None = None) -> None:
    """A table artifact from rows already serialised. Prefect's ``create_table_artifact`` validates the rows
    into a copy, copies them again to replace NaNs and then serialises them: for the ~8,000 records of a first
    sweep over 100,000 issues that peaked about 100 MB above the rows themselves."""
    create_artifact("table", rows_json, key=key, description=description, metadata=metadata)


def create_artifact(
    kind: str, data: str, *, key: str, description: str, metadata: dict[str, str] | None = None
) -> None:
    """An artifact of this task and flow run, with ``metadata`` (which Prefect's ``create_*`` helpers cannot set)."""
    task_run_id, flow_run_id = get_task_and_flow_run_ids()
    with get_client(sync_client=True) as client:
        client.create_artifact(
            artifact=ArtifactCreate(
                type=kind,
                key=key,
                description=description,
                data=data,
                metadata_=metadata,
                flow_run_id=flow_run_id,
                task_run_id=task_run_id,
            )
        )
