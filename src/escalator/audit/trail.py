"""One chain's audit in one run: what the run finds at the end of the chain, and everything it appends to it.

A run that has a sink opens the chain of each policy (or shard) it sweeps as its only writer (``AuditTrail.open``)
and, in this order:

1. reads the entries after the chain's last checkpoint: the intents of a killed run that have no outcome yet
   (``pending_intents``, reconciled against Jira before anything else), the records of runs that never published
   them to Prefect (``unsettled_runs``), the open deadline breaches (``register``) and the issues recorded as
   held by their escalation state (``held``);
2. appends an intent before each Jira write and the outcome right after (``escalator.audit.intents``);
3. appends its other records (``append_records``: the escalation outcomes already journaled are not repeated);
4. after its artifacts are published, appends a ``checkpoint``: the run, the open breaches and the held issues.
   Everything before a checkpoint is settled: its intents have outcomes, and its records are in Prefect.

No checkpoint is written when the run could not settle what it found (a reconciliation failed) or appended
nothing, so the next run looks again. Without a sink there is nothing to open: the trail only carries the
records and register through the run.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass

from pydantic import ValidationError

from escalator.audit.breaches import OpenBreach, register_from, register_rows
from escalator.audit.entry import Kind
from escalator.audit.held import HeldIssue, held_register_from, held_rows
from escalator.audit.intents import pending_intents
from escalator.audit.keys import AuditKeyring
from escalator.audit.record import AuditRecord
from escalator.audit.sink import AuditSink, ChainHead, ChainWriter

__all__ = ["AuditTarget", "AuditTrail"]


@dataclass(frozen=True)
class AuditTarget:
    """Where a run keeps its audit besides Prefect: the sink, and the keys its chains are signed with."""

    url: str
    keyring: AuditKeyring


class AuditTrail:
    """The audit of one chain in one run (see the module docstring)."""

    def __init__(self, chain: str, writer: ChainWriter | None = None) -> None:
        self.chain = chain
        self.writer = writer
        self.settled = writer is None  # nothing to settle without a sink
        self._journaled: set[str] = set()
        self._appended = False
        self._tail: list[tuple[str, AuditRecord]] = []
        self._checkpoint: dict[str, object] = {}
        if writer is not None:
            tail = writer.tail
            self._checkpoint = dict(tail.checkpoint.body) if tail.checkpoint is not None else {}
            for entry in tail.entries:
                if entry.kind in {"record", "intent"}:
                    try:
                        self._tail.append((entry.kind, AuditRecord.model_validate(entry.body)))
                    except ValidationError:
                        continue  # not a record escalator wrote: verify reports the line

    @classmethod
    @contextmanager
    def open(cls, target: AuditTarget | None, chain: str, holder: str | None = None) -> Iterator[AuditTrail]:
        """The trail of ``chain``, holding the chain's writer lock while it is open (when there is a sink)."""
        if target is None:
            yield cls(chain)
            return
        with AuditSink(target.url).open_chain(chain, target.keyring, holder=holder) as writer:
            yield cls(chain, writer)

    @property
    def head(self) -> ChainHead | None:
        return self.writer.head if self.writer is not None else None

    # --- what the run finds ------------------------------------------------------------------------------

    def pending_intents(self) -> list[AuditRecord]:
        """Intents after the last checkpoint without an outcome record: their runs were stopped mid-write."""
        return pending_intents(self._tail)

    def unsettled_runs(self) -> dict[str | None, list[AuditRecord]]:
        """The records (not intents) after the last checkpoint, by the flow run that wrote them: those runs may
        not have published them to Prefect."""
        runs: dict[str | None, list[AuditRecord]] = {}
        for kind, record in self._tail:
            bucket = runs.setdefault(record.flow_run_id, [])
            if kind == "record":
                bucket.append(record)
        return runs

    def register(self) -> dict[str, OpenBreach]:
        """The open deadline breaches: the last checkpoint's, advanced by the breach records after it."""
        return register_from(self._checkpoint.get("breaches"), self._records())

    def held(self) -> dict[str, HeldIssue]:
        """The issues recorded as held by their escalation state: the last checkpoint's, advanced by the
        ``left_alone`` records after it."""
        return held_register_from(self._checkpoint.get("held"), self._records())

    def _records(self) -> Iterator[AuditRecord]:
        return (record for kind, record in self._tail if kind == "record")

    # --- what the run appends -----------------------------------------------------------------------------

    def append_intent(self, record: AuditRecord) -> None:
        self._append("intent", [record])

    def append_outcome(self, record: AuditRecord) -> None:
        self._append("record", [record])
        self._journaled.add(record.issue_key)

    def append_records(self, records: Sequence[AuditRecord]) -> ChainHead | None:
        """Append the run's records, less the escalation outcomes already appended one by one; the chain's head
        (None without a sink)."""
        rest = [r for r in records if not (r.decision == "escalate" and r.issue_key in self._journaled)]
        self._append("record", rest)
        return self.head

    def mark_settled(self) -> None:
        """Everything found after the last checkpoint now has its outcome in the chain (and will be published)."""
        self.settled = True

    def checkpoint(self, run_id: str | None, register: dict[str, OpenBreach], held: dict[str, HeldIssue]) -> None:
        """After the run's records are in Prefect: mark everything before as settled, with the open breaches and
        the issues held by their state."""
        if self.writer is None or not self.settled or not (self._appended or self._tail):
            return
        body = {"flow_run_id": run_id, "breaches": register_rows(register), "held": held_rows(held)}
        self.writer.append("checkpoint", [body])

    def _append(self, kind: Kind, records: Sequence[AuditRecord]) -> None:
        if self.writer is None or not records:
            return
        self.writer.append(kind, [record.model_dump(mode="json") for record in records])
        self._appended = True
