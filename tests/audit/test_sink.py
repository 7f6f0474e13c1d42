"""The audit sink and its verification, without Prefect: append, chain across runs and days, detect tampering,
read back, query and export (10,000 records, timed)."""

from __future__ import annotations

import csv
import io
import itertools
import json
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from escalator.audit.export import write_records
from escalator.audit.query import RecordQuery
from escalator.audit.record import AuditRecord
from escalator.audit.sink import GENESIS_HASH, AuditSink, AuditSinkError
from escalator.audit.verify import verify_sink
from tests.audit.chainfiles import forged

T0 = datetime(2026, 3, 3, 9, 30, tzinfo=UTC)


def record(
    key: str, *, policy: str = "outage-matrix", version: str = "3", at: datetime = T0, **fields: object
) -> AuditRecord:
    values: dict[str, object] = {
        "evaluated_at": at,
        "issue_key": key,
        "outcome": "applied",
        "decision": "escalate",
        "reason_code": "window_elapsed",
        "reason": f"{key} waited too long",
        "from_level": "L1",
        "to_level": "L2",
        "policy": policy,
        "policy_version": version,
        "git_commit": "abc123def456",
        "git_dirty": False,
        "flow_run_name": "brave-otter",
    }
    values.update(fields)
    return AuditRecord.model_validate(values)


def filled(tmp_path: Path) -> AuditSink:
    sink = AuditSink(str(tmp_path / "audit"))
    sink.append("outage-matrix", [record(f"OPS-{n}") for n in range(1, 4)], now=T0)
    sink.append("outage-matrix", [record(f"OPS-{n}") for n in range(4, 6)], now=T0 + timedelta(days=1))
    sink.append("support-matrix", [record("SUP-1", policy="support-matrix")], now=T0)
    return sink


def lines_of(path: Path) -> list[str]:
    return path.read_text().splitlines()


def test_appends_chain_per_policy_across_runs_and_days(tmp_path: Path) -> None:
    sink = filled(tmp_path)
    day1, day2 = tmp_path / "audit/outage-matrix/2026-03-03.jsonl", tmp_path / "audit/outage-matrix/2026-03-04.jsonl"
    entries = [json.loads(line) for line in lines_of(day1) + lines_of(day2)]
    assert [e["seq"] for e in entries] == [1, 2, 3, 4, 5]
    assert entries[0]["prev_hash"] == GENESIS_HASH
    assert all(b["prev_hash"] == a["hash"] for a, b in itertools.pairwise(entries))
    assert json.loads(lines_of(tmp_path / "audit/support-matrix/2026-03-03.jsonl")[0])["seq"] == 1
    report = verify_sink(sink)
    assert report.ok and report.records == {"outage-matrix": 5, "support-matrix": 1}
    assert [r.issue_key for r in sink.records("outage-matrix")] == [f"OPS-{n}" for n in range(1, 6)]


def test_altered_record_is_reported_with_its_position(tmp_path: Path) -> None:
    sink = filled(tmp_path)
    path = tmp_path / "audit/outage-matrix/2026-03-03.jsonl"
    lines = lines_of(path)
    lines[1] = lines[1].replace('"to_level":"L2"', '"to_level":"L3"')
    path.write_text("\n".join(lines) + "\n")
    report = verify_sink(sink)
    assert [(p.kind, Path(p.path).name, p.line_no) for p in report.problems] == [("altered", path.name, 2)]


def test_deleted_record_is_a_gap(tmp_path: Path) -> None:
    sink = filled(tmp_path)
    path = tmp_path / "audit/outage-matrix/2026-03-03.jsonl"
    lines = lines_of(path)
    del lines[1]
    path.write_text("\n".join(lines) + "\n")
    (problem,) = verify_sink(sink).problems
    assert (problem.kind, problem.line_no) == ("gap", 2) and "seq 2 missing" in problem.detail


def test_swapped_records_are_a_reorder(tmp_path: Path) -> None:
    sink = filled(tmp_path)
    path = tmp_path / "audit/outage-matrix/2026-03-03.jsonl"
    lines = lines_of(path)
    lines[0], lines[1] = lines[1], lines[0]
    path.write_text("\n".join(lines) + "\n")
    kinds = [(p.kind, p.line_no) for p in verify_sink(sink).problems]
    assert ("reorder", 2) in kinds and all(kind in {"gap", "reorder"} for kind, _ in kinds)


def test_a_rehashed_forgery_breaks_the_link_to_the_next_line(tmp_path: Path) -> None:
    sink = filled(tmp_path)
    path = tmp_path / "audit/outage-matrix/2026-03-03.jsonl"
    lines = lines_of(path)
    lines[0] = forged(lines[0], body={"to_level": "L9"})
    path.write_text("\n".join(lines) + "\n")
    (problem,) = verify_sink(sink).problems
    assert (problem.kind, problem.line_no) == ("broken-link", 2)


def test_garbage_line_is_unreadable(tmp_path: Path) -> None:
    sink = filled(tmp_path)
    path = tmp_path / "audit/support-matrix/2026-03-03.jsonl"
    path.write_text(path.read_text() + "not json\n")
    (problem,) = verify_sink(sink).problems
    assert (problem.kind, problem.line_no) == ("unreadable", 2)


def test_unwritable_sink_fails_the_probe(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("not a directory")
    with pytest.raises(AuditSinkError, match="not writable"):
        AuditSink(str(blocker / "audit")).check_writable()
    with pytest.raises(AuditSinkError, match="could not be appended"):
        AuditSink(str(blocker / "audit")).append("outage-matrix", [record("OPS-1")])


def test_fsspec_memory_url_works() -> None:
    sink = AuditSink("memory://escalator-test-audit")
    sink.check_writable()
    sink.append("outage-matrix", [record("OPS-1"), record("OPS-2")])
    sink.append("outage-matrix", [record("OPS-3")])
    report = verify_sink(sink)
    assert report.ok and report.records == {"outage-matrix": 3}


def test_query_matches_the_auditors_questions() -> None:
    old = record("PAY-1234", version="2", at=T0 - timedelta(days=40), git_commit=None, git_dirty=None)
    new = record("PAY-1234", outcome="dry_run", dry_run=True)
    other = record("OPS-7", policy="support-matrix")
    rows = [old, new, other]

    def keys(query: RecordQuery) -> list[tuple[str, str]]:
        return [(r.issue_key, r.policy_version) for r in rows if query.matches(r)]

    assert keys(RecordQuery(issue_keys=frozenset({"PAY-1234"}))) == [("PAY-1234", "2"), ("PAY-1234", "3")]
    assert keys(RecordQuery(policy="outage-matrix", since=T0 - timedelta(days=1))) == [("PAY-1234", "3")]
    assert keys(RecordQuery(commit="none")) == [("PAY-1234", "2")]
    assert keys(RecordQuery(commit="abc123", dry_run=False)) == [("OPS-7", "3")]
    assert keys(RecordQuery(dirty=True)) == [("PAY-1234", "2")]
    assert keys(RecordQuery(outcomes=frozenset({"dry_run"}))) == [("PAY-1234", "3")]
    assert keys(RecordQuery(until=T0 - timedelta(days=1))) == [("PAY-1234", "2")]


def test_exports_every_field_and_old_records_stay_readable() -> None:
    v1 = {k: v for k, v in record("OPS-1").model_dump(mode="json").items() if k != "git_committed_at"}
    v1["schema_version"] = 1
    old = AuditRecord.model_validate(v1)
    assert old.git_committed_at is None and old.schema_version == 1
    buffer = io.StringIO()
    assert write_records([old, record("OPS-2", git_committed_at="2026-03-01T10:00:00+01:00")], buffer, "csv") == 2
    rows = list(csv.DictReader(io.StringIO(buffer.getvalue())))
    assert list(rows[0]) == list(AuditRecord.model_fields)
    assert rows[1]["git_committed_at"] == "2026-03-01T10:00:00+01:00"
    buffer = io.StringIO()
    write_records([old], buffer, "jsonl")
    assert AuditRecord.model_validate_json(buffer.getvalue()) == old
    buffer = io.StringIO()
    write_records([old], buffer, "table")
    assert "OPS-1" in buffer.getvalue() and "L1 -> L2" in buffer.getvalue()


def test_ten_thousand_records_export_in_seconds(tmp_path: Path) -> None:
    sink = AuditSink(str(tmp_path / "audit"))
    records = [record(f"OPS-{n}", at=T0 + timedelta(seconds=n)) for n in range(10_000)]
    started = time.perf_counter()
    sink.append("outage-matrix", records, now=T0)
    appended = time.perf_counter()
    assert verify_sink(sink).ok
    verified = time.perf_counter()
    counts = {}
    for fmt in ("jsonl", "csv", "table"):
        start = time.perf_counter()
        with (tmp_path / f"export.{fmt}").open("w") as out:
            counts[fmt] = write_records(sink.records(), out, fmt)  # type: ignore[arg-type]
        print(f"10,000 records read from the sink and exported as {fmt}: {time.perf_counter() - start:.2f} s")
    print(f"appended in {appended - started:.2f} s, verified in {verified - appended:.2f} s")
    assert counts == {"jsonl": 10_000, "csv": 10_000, "table": 10_000}
