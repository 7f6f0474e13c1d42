"""The tamper suite, on the sink alone: every way of changing a chain an auditor should doubt ends with
`escalator audit verify` exiting 1 and naming the place, or (two writers) with the chain intact and complete.

Each case builds a fresh chain through the real writer, damages it the way an attacker or an accident would, and
runs the real command. A cut that the chain cannot show by itself (tail, newest file, whole chain, consistent
rewrite) is caught by a head kept outside the sink (`--expect-head`, as an auditor wrote it down); the same heads
recorded in Prefect are checked in `tests/tamper/test_anchors.py`.
"""

from __future__ import annotations

import json
import random
import re
import shutil
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from pathlib import Path

import pytest
from typer.testing import CliRunner

from escalator.audit.keys import AuditKeyring
from escalator.audit.sink import AuditSink, AuditSinkError
from escalator.audit.verify import verify_sink
from escalator.cli.app import app
from tests.audit.chainfiles import forged, hash_of, lines_of, write_lines
from tests.audit.test_sink import T0, record

ROOT = Path(__file__).resolve().parents[2]
KEY = "k1:" + "a" * 64
NEW_KEY = "k2:" + "b" * 64
runner = CliRunner()


def verify(sink: Path, *args: str, code: int, env: dict[str, str] | None = None) -> str:
    result = runner.invoke(app, ["audit", "verify", "--sink-only", "--sink", str(sink), *args], env=env)
    assert result.exit_code == code, result.output
    assert "Traceback" not in result.output
    return result.output


def build(tmp_path: Path, keyring: AuditKeyring | None = None) -> tuple[Path, str]:
    """A chain of 7 records over two day files (3, then 4) and a second chain; the outage chain's head."""
    root = tmp_path / "audit"
    sink = AuditSink(str(root))
    sink.append("outage-matrix", [record(f"OPS-{n}") for n in range(1, 4)], now=T0, keyring=keyring)
    sink.append("outage-matrix", [record(f"OPS-{n}") for n in range(4, 8)], now=T0 + timedelta(days=1), keyring=keyring)
    sink.append("support-matrix", [record("SUP-1", policy="support-matrix")], now=T0, keyring=keyring)
    return root, str(sink.head("outage-matrix"))


def day(root: Path, n: int) -> Path:
    return root / "outage-matrix" / f"2026-03-0{3 + n}.jsonl"


def test_an_untouched_chain_verifies_and_names_its_heads(tmp_path: Path) -> None:
    root, head = build(tmp_path)
    output = verify(root, "--expect-head", head, code=0)
    assert f"head {head}" in output and "OK" in output and "1 recorded head(s) checked" in output


FIELDS = {
    "written_at": lambda e: {**e, "written_at": "2026-03-03T08:00:00+00:00"},
    "seq": lambda e: {**e, "seq": e["seq"] + 10},
    "prev_hash": lambda e: {**e, "prev_hash": "1" * 64},
    "chain": lambda e: {**e, "chain": "support-matrix"},
    "kind": lambda e: {**e, "kind": "intent"},
    "kid": lambda e: {**e, "kid": "k9"},
    "v": lambda e: {**e, "v": 3},
    "record field": lambda e: {**e, "body": {**e["body"], "to_level": "L3"}},
    "record field added": lambda e: {**e, "body": {**e["body"], "note": "approved"}},
    "hash": lambda e: {**e, "hash": "f" * 64},
}


@pytest.mark.parametrize("field", FIELDS)
def test_editing_any_field_of_a_line_fails_at_that_line(tmp_path: Path, field: str) -> None:
    root, _ = build(tmp_path)
    path = day(root, 0)
    lines = lines_of(path)
    entry = json.loads(lines[1])
    edited = FIELDS[field](entry)
    lines[1] = '{"hash":"' + edited.pop("hash") + '",' + json.dumps(edited, sort_keys=True, separators=(",", ":"))[1:]
    write_lines(path, lines)
    output = verify(root, code=1)
    assert re.search(rf"{re.escape(str(path))}:2\b", output), output
    report = verify_sink(AuditSink(str(root)))
    if field == "kid":  # a key this verifier does not hold: the line cannot be checked, and is named as such
        assert report.unchecked_at == {"outage-matrix": f"{path}:2"}
    else:
        assert any(p.path == str(path) and p.line_no == 2 for p in report.problems), report.problems


def test_any_changed_byte_fails_at_its_line(tmp_path: Path) -> None:
    rng = random.Random(20260303)  # seeded: the same bytes every run
    root, _ = build(tmp_path)
    path = day(root, 1)
    original = path.read_bytes()
    lines = original.split(b"\n")[:-1]
    for index, line in enumerate(lines):
        for offset in rng.sample(range(len(line)), 12):
            changed = bytearray(line)
            changed[offset] = (changed[offset] + rng.randrange(1, 255)) % 256
            damaged = [*lines[:index], bytes(changed), *lines[index + 1 :]]
            path.write_bytes(b"\n".join(damaged) + b"\n")
            problems = verify_sink(AuditSink(str(root))).problems
            assert any(p.line_no == index + 1 for p in problems), (index, offset, problems)
    path.write_bytes(original)
    assert verify_sink(AuditSink(str(root))).ok


def test_a_deleted_middle_line_is_a_gap(tmp_path: Path) -> None:
    root, _ = build(tmp_path)
    path = day(root, 1)
    lines = lines_of(path)
    del lines[1]
    write_lines(path, lines)
    output = verify(root, code=1)
    assert f"GAP {path}:2: gap: found seq 6, seq 5 missing or moved" in output


def test_reordered_lines_are_a_reorder(tmp_path: Path) -> None:
    root, _ = build(tmp_path)
    path = day(root, 1)
    lines = lines_of(path)
    lines[1], lines[2] = lines[2], lines[1]
    write_lines(path, lines)
    output = verify(root, code=1)
    assert f"{path}:3: reorder: found seq 5 after seq 6" in output


def test_a_line_moved_from_another_chain_is_misplaced(tmp_path: Path) -> None:
    root, _ = build(tmp_path)
    stranger = lines_of(root / "support-matrix" / "2026-03-03.jsonl")[0]
    path = day(root, 1)
    write_lines(path, [*lines_of(path), stranger])
    output = verify(root, code=1)
    assert f"{path}:5: misplaced: seq 1 belongs to chain support-matrix" in output


def test_a_truncated_tail_fails_against_the_head_kept_outside(tmp_path: Path) -> None:
    root, head = build(tmp_path)
    path = day(root, 1)
    write_lines(path, lines_of(path)[:-2])
    assert "OK" in verify(root, code=0), "the chain alone cannot tell a cut tail from a shorter chain"
    output = verify(root, "--expect-head", head, code=1)
    assert f"{path}:2: head: the chain ends at seq 5, short of seq 7; head {head} recorded by --expect-head" in output


def test_a_deleted_newest_day_file_fails_against_the_head_kept_outside(tmp_path: Path) -> None:
    root, head = build(tmp_path)
    day(root, 1).unlink()
    output = verify(root, "--expect-head", head, code=1)
    assert f"{day(root, 0)}:3: head: the chain ends at seq 3, short of seq 7" in output


def test_a_deleted_chain_directory_fails_against_the_head_kept_outside(tmp_path: Path) -> None:
    root, head = build(tmp_path)
    shutil.rmtree(root / "outage-matrix")
    output = verify(root, "--expect-head", head, code=1)
    assert "chain outage-matrix is gone" in output and str(root / "outage-matrix") in output


def test_a_deleted_sink_fails_against_the_head_kept_outside(tmp_path: Path) -> None:
    root, head = build(tmp_path)
    shutil.rmtree(root)
    assert "does not exist" in verify(root, code=2)  # nothing to verify, and nothing said it should be there
    assert "chain outage-matrix is gone" in verify(root, "--expect-head", head, code=1)


def test_an_unkeyed_chain_rewritten_consistently_fails_against_the_head_kept_outside(tmp_path: Path) -> None:
    root, head = build(tmp_path)
    _rewrite_chain(root, AuditKeyring(), lambda body: {**body, "to_level": "L9"})
    assert "OK" in verify(root, code=0), "sha256 needs no secret: a consistent rewrite passes the chain alone"
    output = verify(root, "--expect-head", head, code=1)
    assert f"{day(root, 1)}:4: head: seq 7 has hash" in output


def test_a_keyed_chain_cannot_be_rewritten_consistently_without_the_key(tmp_path: Path) -> None:
    keyring = AuditKeyring.parse(KEY)
    root, _ = build(tmp_path, keyring)
    env = {"ESCALATOR_AUDIT_KEY": KEY}
    assert "OK" in verify(root, code=0, env=env)
    # Without the key, the forger can only write unkeyed lines (or keep a kid and guess the MAC).
    _rewrite_chain(root, AuditKeyring(), lambda body: {**body, "to_level": "L9"})
    output = verify(root, code=1, env=env)
    assert f"{day(root, 1)}:4: unkeyed: a key was given but the newest line carries no MAC" in output
    # Keeping the kid: every line fails its MAC.
    root, _ = build(tmp_path / "again", keyring)
    path = day(root, 1)
    lines = lines_of(path)
    lines[3] = lines[3].replace('"to_level":"L2"', '"to_level":"L9"')
    write_lines(path, lines)
    assert f"{path}:4: altered" in verify(root, code=1, env=env)


def test_an_unkeyed_line_after_keyed_ones_is_a_downgrade(tmp_path: Path) -> None:
    keyring = AuditKeyring.parse(KEY)
    root, _ = build(tmp_path, keyring)
    AuditSink(str(root)).append("outage-matrix", [record("OPS-8")], now=T0 + timedelta(days=1))  # no key
    AuditSink(str(root)).append("outage-matrix", [record("OPS-9")], now=T0 + timedelta(days=1), keyring=keyring)
    output = verify(root, code=1, env={"ESCALATOR_AUDIT_KEY": KEY})
    assert f"{day(root, 1)}:5: downgrade: seq 8: an unkeyed line after keyed lines" in output


def test_a_keyed_chain_without_its_key_is_not_verified(tmp_path: Path) -> None:
    root, _ = build(tmp_path, AuditKeyring.parse(KEY))
    output = verify(root, code=2, env={"ESCALATOR_AUDIT_KEY": ""})
    assert "NOT VERIFIED" in output and f"outage-matrix (7, the first at {day(root, 0)}:1)" in output
    assert "a" * 64 not in output


def test_a_rotated_key_verifies_old_and_new_lines(tmp_path: Path) -> None:
    root = tmp_path / "audit"
    sink = AuditSink(str(root))
    sink.append("outage-matrix", [record("OPS-1")], now=T0, keyring=AuditKeyring.parse(KEY))
    rotated = AuditKeyring.parse(f"{NEW_KEY},{KEY}")  # the new key signs, the old one still verifies
    sink.append("outage-matrix", [record("OPS-2")], now=T0, keyring=rotated)
    kids = [json.loads(line)["kid"] for line in lines_of(day(root, 0))]
    assert kids == ["k1", "k2"]
    assert "OK" in verify(root, code=0, env={"ESCALATOR_AUDIT_KEY": f"{NEW_KEY},{KEY}"})
    retired = verify(root, code=2, env={"ESCALATOR_AUDIT_KEY": NEW_KEY})  # the old key left the keyring too early
    assert f"outage-matrix (1, the first at {day(root, 0)}:1)" in retired


def test_a_bad_key_or_head_is_a_clear_error(tmp_path: Path) -> None:
    root, _ = build(tmp_path)
    output = verify(root, code=2, env={"ESCALATOR_AUDIT_KEY": "k1:short-secret"})
    assert "shorter than 32 characters" in output and "short-secret" not in output
    assert "is not CHAIN:SEQ:HASH" in verify(root, "--expect-head", "outage-matrix:7", code=2)


def test_format_1_lines_stay_verifiable_and_cannot_follow_format_2(tmp_path: Path) -> None:
    from escalator.audit.entry import legacy_hash

    root = tmp_path / "audit"
    (root / "outage-matrix").mkdir(parents=True)
    old_lines, prev = [], "0" * 64
    for seq in (1, 2):
        body = record(f"OPS-{seq}").model_dump(mode="json")
        digest = legacy_hash(seq, prev, body)
        entry = {"hash": digest, "prev_hash": prev, "record": body, "seq": seq, "written_at": T0.isoformat()}
        old_lines.append(json.dumps(entry, sort_keys=True, separators=(",", ":")))
        prev = digest
    write_lines(day(root, 0), old_lines)
    sink = AuditSink(str(root))
    sink.append("outage-matrix", [record("OPS-3")], now=T0)  # a format 2 line continues the format 1 chain
    assert [r.issue_key for r in sink.records()] == ["OPS-1", "OPS-2", "OPS-3"]
    assert "OK" in verify(root, code=0)
    downgraded = json.loads(old_lines[0])
    downgraded.update(seq=4, prev_hash=sink.head("outage-matrix").digest)
    downgraded["hash"] = legacy_hash(4, downgraded["prev_hash"], downgraded["record"])
    write_lines(day(root, 0), [*lines_of(day(root, 0)), json.dumps(downgraded)])
    assert f"{day(root, 0)}:4: downgrade" in verify(root, code=1)


def _rewrite_chain(root: Path, keyring: AuditKeyring, change: object) -> None:
    """Rewrite every line of the outage chain consistently: new bodies, fresh hashes, links recomputed."""
    prev = "0" * 64
    for path in sorted((root / "outage-matrix").glob("*.jsonl")):
        rewritten = []
        for line in lines_of(path):
            body = change(json.loads(line)["body"])  # type: ignore[operator]
            new = forged(line, keyring, body=body, prev_hash=prev)
            rewritten.append(new)
            prev = hash_of(new)
        write_lines(path, rewritten)


WRITER = """
import sys
from datetime import UTC, datetime
from escalator.audit.record import AuditRecord
from escalator.audit.sink import AuditSink, AuditSinkError
root, name, count, wait = sys.argv[1], sys.argv[2], int(sys.argv[3]), float(sys.argv[4])
print("trying", flush=True)
try:
    writer = AuditSink(root).open_chain("outage-matrix", holder=name, wait=wait)
except AuditSinkError as error:
    print("refused:", error, flush=True)
    sys.exit(3)
print("locked", flush=True)
sys.stdin.readline()  # hold the chain until the test says go
records = [
    AuditRecord(evaluated_at=datetime.now(UTC), issue_key=f"{name}-{n}", outcome="applied", decision="escalate",
                reason_code="due", reason="r", policy="outage-matrix", policy_version="3").model_dump(mode="json")
    for n in range(count)
]
with writer:
    for body in records:
        writer.append("record", [body])
print("done", flush=True)
"""


def _writer(root: Path, name: str, count: int, wait: float) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-c", WRITER, str(root), name, str(count), str(wait)],
        cwd=ROOT,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )


def _expect(process: subprocess.Popen[str], word: str) -> str:
    assert process.stdout is not None
    line = process.stdout.readline()
    assert line.startswith(word), line
    return line


@contextmanager
def writers() -> Iterator[list[subprocess.Popen[str]]]:
    """The writer processes a test starts; any still running at its end (a failed test) are killed."""
    started: list[subprocess.Popen[str]] = []
    try:
        yield started
    finally:
        for process in started:
            if process.poll() is None:
                process.kill()
                process.wait(timeout=30)


def test_a_second_writer_fails_loudly_while_the_first_holds_the_chain(tmp_path: Path) -> None:
    root = tmp_path / "audit"
    with writers() as started:
        first = _writer(root, "A", 3, 600)
        started.append(first)
        _expect(first, "trying")
        _expect(first, "locked")
        second = _writer(root, "B", 3, 0)  # does not wait
        started.append(second)
        _expect(second, "trying")
        refusal = _expect(second, "refused")
        assert "has another writer" in refusal and '"holder": "A"' in refusal
        assert second.wait(timeout=600) == 3
        first.communicate("go\n", timeout=600)
        assert first.returncode == 0
    report = verify_sink(AuditSink(str(root)))
    assert report.ok and report.records == {"outage-matrix": 3}


def test_two_concurrent_writers_take_turns_and_the_chain_stays_whole(tmp_path: Path) -> None:
    root = tmp_path / "audit"
    with writers() as started:
        first = _writer(root, "A", 20, 600)
        started.append(first)
        _expect(first, "trying")
        _expect(first, "locked")
        second = _writer(root, "B", 20, 600)  # started once A holds the chain
        started.append(second)
        _expect(second, "trying")
        assert second.poll() is None  # it cannot get past the lock A holds
        first.communicate("go\n", timeout=600)
        second.communicate("go\n", timeout=600)
        assert first.returncode == 0 and second.returncode == 0
    sink = AuditSink(str(root))
    report = verify_sink(sink)
    assert report.ok and report.records == {"outage-matrix": 40}
    keys = [r.issue_key for r in sink.records()]
    assert keys == [f"A-{n}" for n in range(20)] + [f"B-{n}" for n in range(20)]


def test_a_remote_chain_has_one_writer_by_a_create_only_marker() -> None:
    sink = AuditSink("memory://escalator-tamper-writers")
    with (
        sink.open_chain("outage-matrix", holder="run-a"),
        pytest.raises(AuditSinkError, match=r"has another writer .*run-a.* delete the marker"),
    ):
        sink.open_chain("outage-matrix", holder="run-b", wait=0)
    with sink.open_chain("outage-matrix", holder="run-b") as writer:  # the marker went with the first writer
        writer.append("record", [record("OPS-1").model_dump(mode="json")])
    assert verify_sink(sink).ok
