"""Checks the audit sink's hash chains: every line intact, in order, none missing.

Walks each policy's chain line by line (one file open at a time) and reports each break with its file and line:
a line that is not a stored entry (``unreadable``), a line whose hash does not match its content (``altered``),
a ``seq`` beyond the next one (``gap``: lines deleted, or moved later), a ``seq`` at or before one already seen
(``reorder``), and a line whose ``prev_hash`` is not the hash of the line before (``broken-link``). After a break
it resynchronises on the line it found, so one deleted line is one problem, not every line after it.

A chain cut off at its end cannot be told from a shorter one by the chain alone: compare the head hash with the
one the run printed in its Prefect artifact's description.

Checking nothing is not success: a sink root that is missing or not a directory, a policy without a chain, or a
sink without a single stored line raise ``NothingToVerify``.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field

from escalator.audit.sink import GENESIS_HASH, AuditSink, SinkLine, entry_hash

__all__ = ["ChainProblem", "ChainReport", "NothingToVerify", "verify_sink"]


class NothingToVerify(Exception):
    """The sink (or the policy asked for) holds nothing to check: not a success."""


@dataclass(frozen=True)
class ChainProblem:
    policy: str
    path: str
    line_no: int
    kind: str
    detail: str

    def __str__(self) -> str:
        return f"{self.path}:{self.line_no}: {self.kind}: {self.detail}"


@dataclass
class ChainReport:
    """What was checked and what was wrong: ``ok`` only when every chain is whole."""

    records: dict[str, int] = field(default_factory=dict)
    heads: dict[str, str] = field(default_factory=dict)
    problems: list[ChainProblem] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems


def verify_sink(sink: AuditSink, policy: str | None = None) -> ChainReport:
    """Every chain (or ``policy``'s) checked; ``NothingToVerify`` when there is nothing to check."""
    problem = sink.root_problem()
    if problem is not None:
        raise NothingToVerify(problem)
    chains = sink.chains(policy)
    if policy and not chains:
        raise NothingToVerify(f"nothing to verify for policy {policy}: no chain in {sink.url}")
    report = ChainReport()
    for name in chains:
        _verify_chain(sink, name, report)
    if not sum(report.records.values()):
        raise NothingToVerify(f"nothing verified: no audit records in {sink.url}")
    return report


def _verify_chain(sink: AuditSink, policy: str, report: ChainReport) -> None:
    expected_seq, prev_hash, count = 1, GENESIS_HASH, 0
    for line in sink.lines(policy):
        count += 1
        entry = _entry(line)
        if entry is None:
            why = line.error or "not a stored audit entry"
            report.problems.append(_problem(line, "unreadable", why))
            continue
        seq, stored_prev, stored_hash, record = entry
        if entry_hash(seq, stored_prev, record) != stored_hash:
            report.problems.append(
                _problem(line, "altered", f"seq {seq} ({record.get('issue_key')}): content does not match its hash")
            )
        if seq > expected_seq:
            missing = f"seq {expected_seq}" if seq == expected_seq + 1 else f"seq {expected_seq}-{seq - 1}"
            report.problems.append(_problem(line, "gap", f"found seq {seq}, {missing} missing or moved"))
        elif seq < expected_seq:
            report.problems.append(_problem(line, "reorder", f"found seq {seq} after seq {expected_seq - 1}"))
            continue  # the chain goes on from the line before this one
        elif stored_prev != prev_hash:
            report.problems.append(_problem(line, "broken-link", f"seq {seq}: prev_hash is not the previous hash"))
        expected_seq, prev_hash = seq + 1, stored_hash
    report.records[policy] = count
    report.heads[policy] = prev_hash


def _entry(line: SinkLine) -> tuple[int, str, str, dict[str, object]] | None:
    if line.error is not None:
        return None
    try:
        data = json.loads(line.text)
        seq, prev_hash, digest, record = data["seq"], data["prev_hash"], data["hash"], data["record"]
    except (ValueError, KeyError, TypeError):
        return None
    if isinstance(seq, bool) or not isinstance(seq, int) or not isinstance(prev_hash, str):
        return None
    if not isinstance(digest, str) or not isinstance(record, dict):
        return None
    return seq, prev_hash, digest, record


def _problem(line: SinkLine, kind: str, detail: str) -> ChainProblem:
    return ChainProblem(line.policy, line.path, line.line_no, kind, detail)
