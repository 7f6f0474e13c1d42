"""Checks the audit sink's chains: every line intact, in order, none missing, and each chain still reaching the
heads recorded outside it.

Walks each chain line by line (one file open at a time) and reports each break with its file and line:

- ``unreadable``: not a stored entry (torn, not JSON, not UTF-8, fields missing);
- ``altered``: the line does not match its hash (or, in a keyed chain, its MAC);
- ``misplaced``: the line names another chain (moved or copied from it);
- ``gap``: a ``seq`` beyond the next one (lines deleted, or moved later);
- ``reorder``: a ``seq`` at or before one already seen;
- ``broken-link``: ``prev_hash`` is not the hash of the line before (a line re-hashed after an edit);
- ``downgrade``: a format 1 line after a format 2 one, or an unkeyed line after a keyed one;
- ``unkeyed``: a key was given but the chain's newest line carries no MAC, so nothing binds it to the key;
- ``head``: a head recorded outside the sink (in Prefect, or ``--expect-head``) that the chain no longer reaches:
  the chain or the line is gone (truncated tail, deleted file or directory) or holds another hash (rewritten).

After a break it resynchronises on the line it found, so one deleted line is one problem, not every line after it.
Lines signed with a key the verifier does not hold are checked for order and links only and counted as
``unchecked``: without the key nobody can tell whether their content was changed.

Checking nothing is not success: a sink root that is missing or not a directory, a policy without a chain, or a
sink without a single stored line raise ``NothingToVerify`` (unless recorded heads say something should be there).
"""

from __future__ import annotations

import posixpath
import re
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field

from escalator.audit.entry import GENESIS_HASH, check_entry, parse_entry
from escalator.audit.keys import AuditKeyring
from escalator.audit.sink import AuditSink, SinkLine

__all__ = ["ChainProblem", "ChainReport", "HeadAnchor", "NothingToVerify", "parse_expected_head", "verify_sink"]


class NothingToVerify(Exception):
    """The sink (or the policy asked for) holds nothing to check: not a success."""


@dataclass(frozen=True)
class HeadAnchor:
    """A chain head recorded outside the sink: ``seq`` and hash of ``chain`` at that moment, and who recorded it.
    A head recorded before anchors carried a ``seq`` has ``seq`` None and ``chain`` naming the policy: its hash
    must then appear in one of the policy's chains."""

    chain: str
    seq: int | None
    digest: str
    source: str
    sink: str | None = None  # the sink it was recorded for (``AuditSink.identity``); None: whichever is verified

    def __str__(self) -> str:
        return f"{self.chain}:{self.seq if self.seq is not None else '?'}:{self.digest}"


_EXPECTED = re.compile(r"^(?P<chain>[^:\s]+):(?P<seq>[0-9]+):(?P<digest>[0-9a-f]{64})$")


def parse_expected_head(text: str) -> HeadAnchor:
    """``CHAIN:SEQ:HASH`` as an auditor wrote it down (``ValueError`` with the expected form otherwise)."""
    match = _EXPECTED.match(text.strip())
    if match is None or int(match["seq"]) < 1:
        raise ValueError(f"--expect-head {text!r} is not CHAIN:SEQ:HASH (e.g. outage-matrix:42:<64 hex digits>)")
    return HeadAnchor(match["chain"], int(match["seq"]), match["digest"], "--expect-head")


@dataclass(frozen=True)
class ChainProblem:
    policy: str
    path: str
    line_no: int
    kind: str
    detail: str

    def __str__(self) -> str:
        where = f"{self.path}:{self.line_no}" if self.line_no else self.path
        return f"{where}: {self.kind}: {self.detail}"


@dataclass
class ChainReport:
    """What was checked and what was wrong: ``ok`` only when every chain is whole."""

    records: dict[str, int] = field(default_factory=dict)
    heads: dict[str, str] = field(default_factory=dict)
    seqs: dict[str, int] = field(default_factory=dict)
    unchecked: dict[str, int] = field(default_factory=dict)
    unchecked_at: dict[str, str] = field(default_factory=dict)  # the first such line, ``path:line``
    anchors_checked: int = 0
    anchors_elsewhere: dict[str, int] = field(default_factory=dict)  # heads recorded for other sinks, by sink
    problems: list[ChainProblem] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems


def verify_sink(
    sink: AuditSink,
    policy: str | None = None,
    *,
    keyring: AuditKeyring | None = None,
    anchors: Iterable[HeadAnchor] = (),
) -> ChainReport:
    """Every chain (or ``policy``'s) checked, and every anchor of those chains; ``NothingToVerify`` when there is
    nothing to check."""
    keyring = keyring or AuditKeyring()
    report = ChainReport()
    wanted = []
    for anchor in anchors:
        if policy is not None and _policy_of(anchor.chain) != policy:
            continue
        if anchor.sink is not None and anchor.sink != sink.identity:
            report.anchors_elsewhere[anchor.sink] = report.anchors_elsewhere.get(anchor.sink, 0) + 1
            continue
        wanted.append(anchor)
    problem = sink.root_problem()
    if problem is not None:
        if not wanted:
            raise NothingToVerify(problem)
        chains: list[str] = []
    else:
        chains = sink.chains(policy)
    if policy and not chains and not wanted:
        raise NothingToVerify(f"nothing to verify for policy {policy}: no chain in {sink.url}")
    by_chain: dict[str, list[HeadAnchor]] = defaultdict(list)
    legacy: dict[str, list[HeadAnchor]] = defaultdict(list)
    for anchor in wanted:
        (by_chain[anchor.chain] if anchor.seq is not None else legacy[anchor.chain]).append(anchor)
    found_legacy: set[HeadAnchor] = set()
    for name in chains:
        _verify_chain(sink, name, keyring, by_chain.pop(name, []), legacy, found_legacy, report)
    for name, missing in sorted(by_chain.items()):
        for anchor in missing:
            report.anchors_checked += 1
            report.problems.append(
                ChainProblem(name, sink_path(sink, name), 0, "head", f"chain {name} is gone; {_recorded(anchor)}")
            )
    for anchors_of_policy in legacy.values():
        for anchor in anchors_of_policy:
            report.anchors_checked += 1
            if anchor not in found_legacy:
                where = sink_path(sink, anchor.chain)
                detail = f"no chain of {anchor.chain} holds hash {anchor.digest[:16]}…; {_recorded(anchor)}"
                report.problems.append(ChainProblem(anchor.chain, where, 0, "head", detail))
    if not sum(report.records.values()) and not report.problems:
        raise NothingToVerify(f"nothing verified: no audit records in {sink.url}")
    return report


def sink_path(sink: AuditSink, chain: str) -> str:
    return posixpath.join(sink.url.rstrip("/"), chain)


def _verify_chain(
    sink: AuditSink,
    chain: str,
    keyring: AuditKeyring,
    anchors: list[HeadAnchor],
    legacy: dict[str, list[HeadAnchor]],
    found_legacy: set[HeadAnchor],
    report: ChainReport,
) -> None:
    expected_seq, prev_hash, count = 1, GENESIS_HASH, 0
    at_seq: dict[int, list[HeadAnchor]] = defaultdict(list)
    for anchor in anchors:
        assert anchor.seq is not None
        at_seq[anchor.seq].append(anchor)
    legacy_here = {a.digest: a for a in legacy.get(_policy_of(chain), [])}
    newest_format, keyed, last_kid, last_where = 0, False, None, ("", 0)
    for line in sink.lines(chain):
        count += 1
        last_where = (line.path, line.line_no)
        entry = parse_entry(line.raw) if line.error is None else None
        if entry is None:
            report.problems.append(_problem(line, "unreadable", line.error or "not a stored audit entry"))
            continue
        seq, what = entry.seq, _what(entry.kind, entry.body)
        verdict = check_entry(entry, keyring)
        if verdict == "altered":
            report.problems.append(_problem(line, "altered", f"seq {seq} ({what}): content does not match its hash"))
        elif verdict == "no-key":
            report.unchecked[chain] = report.unchecked.get(chain, 0) + 1
            report.unchecked_at.setdefault(chain, f"{line.path}:{line.line_no}")
        if entry.chain is not None and entry.chain != chain:
            report.problems.append(_problem(line, "misplaced", f"seq {seq} belongs to chain {entry.chain}"))
        if entry.version < newest_format:
            report.problems.append(_problem(line, "downgrade", f"seq {seq}: a format 1 line after format 2 lines"))
        elif keyed and entry.kid is None:
            report.problems.append(_problem(line, "downgrade", f"seq {seq}: an unkeyed line after keyed lines"))
        newest_format, keyed, last_kid = max(newest_format, entry.version), keyed or entry.kid is not None, entry.kid
        if entry.digest in legacy_here:
            found_legacy.add(legacy_here[entry.digest])
        for anchor in at_seq.pop(seq, []):
            report.anchors_checked += 1
            if anchor.digest != entry.digest:
                detail = f"seq {seq} has hash {entry.digest[:16]}…, not {anchor.digest[:16]}…; {_recorded(anchor)}"
                report.problems.append(_problem(line, "head", detail))
        if seq > expected_seq:
            missing = f"seq {expected_seq}" if seq == expected_seq + 1 else f"seq {expected_seq}-{seq - 1}"
            report.problems.append(_problem(line, "gap", f"found seq {seq}, {missing} missing or moved"))
        elif seq < expected_seq:
            report.problems.append(_problem(line, "reorder", f"found seq {seq} after seq {expected_seq - 1}"))
            continue  # the chain goes on from the line before this one
        elif entry.prev_hash != prev_hash:
            report.problems.append(_problem(line, "broken-link", f"seq {seq}: prev_hash is not the previous hash"))
        expected_seq, prev_hash = seq + 1, entry.digest
    if keyring and count and last_kid is None:
        detail = "a key was given but the newest line carries no MAC: nothing binds the chain to the key"
        report.problems.append(_at(chain, last_where, "unkeyed", detail))
    for seq, missing_anchors in sorted(at_seq.items()):
        for anchor in missing_anchors:
            report.anchors_checked += 1
            detail = f"the chain ends at seq {expected_seq - 1}, short of seq {seq}; {_recorded(anchor)}"
            report.problems.append(_at(chain, last_where, "head", detail))
    report.records[chain] = count
    report.heads[chain] = prev_hash
    report.seqs[chain] = expected_seq - 1


def _policy_of(chain: str) -> str:
    return chain.split("@", 1)[0]


def _what(kind: str, body: dict[str, object]) -> str:
    key = body.get("issue_key")
    if kind == "record":
        return str(key)
    return f"{kind} {key}" if key else kind


def _recorded(anchor: HeadAnchor) -> str:
    return f"head {anchor} recorded by {anchor.source}"


def _problem(line: SinkLine, kind: str, detail: str) -> ChainProblem:
    return ChainProblem(line.policy, line.path, line.line_no, kind, detail)


def _at(chain: str, where: tuple[str, int], kind: str, detail: str) -> ChainProblem:
    return ChainProblem(chain, where[0], where[1], kind, detail)
