"""The audit trail under damage and misuse, without Prefect runs: undecodable and torn lines, a clock stepping
back over midnight, verifying nothing, unwritable outputs, and provenance that says which commit is whose."""

from __future__ import annotations

import json
import re
import subprocess
from datetime import timedelta
from pathlib import Path

import pytest
from typer.testing import CliRunner

from escalator.audit.query import RecordQuery
from escalator.audit.record import SCHEMA_VERSION, AuditRecord
from escalator.audit.sink import AuditSink, AuditSinkError
from escalator.audit.verify import NothingToVerify, verify_sink
from escalator.authoring.provenance import git_provenance
from escalator.cli.app import app
from tests.audit.test_sink import T0, filled, record

runner = CliRunner()
README = Path(__file__).resolve().parents[2] / "README.md"


def audit(*args: str, code: int = 0) -> str:
    result = runner.invoke(app, ["audit", *args])
    assert result.exit_code == code, result.output
    assert "Traceback" not in result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)
    return result.output


def test_non_utf8_bytes_are_one_unreadable_line(tmp_path: Path) -> None:
    sink = filled(tmp_path)
    path = tmp_path / "audit/support-matrix/2026-03-03.jsonl"
    path.write_bytes(path.read_bytes() + b'{"seq": 2, "bad": "\xff\xfe"}\n')
    (problem,) = verify_sink(sink).problems
    assert (problem.kind, problem.path, problem.line_no) == ("unreadable", str(path), 2)
    assert [r.issue_key for r in sink.records("support-matrix")] == ["SUP-1"]
    output = audit("verify", "--sink-only", "--sink", str(tmp_path / "audit"), code=1)
    assert "UNREADABLE" in output and f"{path}:2" in output
    rows = audit("--from", "sink", "--sink", str(tmp_path / "audit"), "--format", "jsonl")
    assert "SUP-1" in rows


def test_verify_fails_when_it_checked_nothing(tmp_path: Path) -> None:
    missing = tmp_path / "nowhere"
    assert "does not exist" in audit("verify", "--sink-only", "--sink", str(missing), code=2)
    a_file = tmp_path / "a-file"
    a_file.write_text("not a sink")
    assert "not a directory" in audit("verify", "--sink-only", "--sink", str(a_file), code=2)
    empty = tmp_path / "empty"
    (empty / "outage-matrix").mkdir(parents=True)
    (empty / "not-a-chain").mkdir()
    (empty / "outage-matrix/2026-03-03.jsonl").write_text("")
    assert "nothing verified" in audit("verify", "--sink-only", "--sink", str(empty), code=2)
    with pytest.raises(NothingToVerify, match="nothing verified"):
        verify_sink(AuditSink(str(empty)))
    sink = filled(tmp_path)
    (tmp_path / "audit/stray-dir").mkdir()
    assert "nothing to verify for policy nosuch" in audit(
        "verify", "--sink-only", "--sink", str(tmp_path / "audit"), "--policy", "nosuch", code=2
    )
    assert sink.policies() == ["outage-matrix", "support-matrix"]
    output = audit("verify", "--sink-only", "--sink", str(tmp_path / "audit"))
    assert "stray-dir" not in output and "OK" in output


def test_a_torn_last_line_does_not_block_appends(tmp_path: Path) -> None:
    sink = filled(tmp_path)
    path = tmp_path / "audit/outage-matrix/2026-03-04.jsonl"
    path.write_bytes(path.read_bytes() + b'{"hash": "abc", "prev_ha')  # the write died mid-line
    sink.check_writable()
    sink.check_writable(["outage-matrix"])
    sink.append("outage-matrix", [record("OPS-6")], now=T0 + timedelta(days=1, hours=1))
    lines = path.read_text().splitlines()
    assert lines[2] == '{"hash": "abc", "prev_ha'
    assert json.loads(lines[3])["seq"] == 6
    (problem,) = verify_sink(sink).problems
    assert (problem.kind, problem.line_no) == ("unreadable", 3)
    assert [r.issue_key for r in sink.records("outage-matrix")][-1] == "OPS-6"


def test_check_writable_finds_an_unreadable_chain_before_jira(tmp_path: Path) -> None:
    sink = filled(tmp_path)
    day = tmp_path / "audit/outage-matrix/2026-03-04.jsonl"
    day.unlink()
    day.mkdir()  # a day "file" that cannot be read
    with pytest.raises(AuditSinkError, match=r"outage-matrix .*cannot be continued"):
        sink.check_writable()


def test_a_clock_stepping_back_over_midnight_keeps_the_chain_in_order(tmp_path: Path) -> None:
    sink = AuditSink(str(tmp_path / "audit"))
    sink.append("outage-matrix", [record("OPS-1")], now=T0 + timedelta(days=1))  # D+1
    sink.append("outage-matrix", [record("OPS-2")], now=T0)  # D: the clock stepped back
    assert [p.rsplit("/", 1)[-1] for p in sink.files("outage-matrix")] == ["2026-03-04.jsonl"]
    report = verify_sink(sink)
    assert report.ok and report.records == {"outage-matrix": 2}


def test_output_to_a_missing_directory_is_a_one_line_error(tmp_path: Path) -> None:
    filled(tmp_path)
    target = tmp_path / "nonexistent/dir/out.csv"
    output = audit("--from", "sink", "--sink", str(tmp_path / "audit"), "--format", "csv", "-o", str(target), code=1)
    assert "cannot write" in output and str(target) in output


def _git(repo: Path, *args: str) -> None:
    subprocess.run(["git", *args], cwd=repo, check=True, capture_output=True)


def test_provenance_names_head_and_the_policy_files_own_commit(tmp_path: Path) -> None:
    repo = tmp_path / "repo"
    repo.mkdir()
    _git(repo, "init", "-q")
    policy = repo / "policy.yaml"
    policy.write_text("name: p\n")
    _git(repo, "add", "policy.yaml")
    date = "2026-01-02T03:04:05+01:00"
    env_args = ["-c", "user.name=Alice", "-c", "user.email=alice@example.com"]
    subprocess.run(
        ["git", *env_args, "commit", "-q", "-m", "policy", "--date", date],
        cwd=repo,
        check=True,
        capture_output=True,
    )
    (repo / "other.txt").write_text("x\n")
    _git(repo, "add", "other.txt")
    subprocess.run(
        ["git", "-c", "user.name=Bob", "-c", "user.email=bob@example.com", "commit", "-q", "-m", "other"],
        cwd=repo,
        check=True,
        capture_output=True,
    )
    head = subprocess.run(["git", "rev-parse", "HEAD"], cwd=repo, capture_output=True, text=True).stdout.strip()
    first = subprocess.run(["git", "rev-parse", "HEAD~1"], cwd=repo, capture_output=True, text=True).stdout.strip()
    git = git_provenance(policy)
    assert (git.commit, git.author, git.dirty) == (head, "Bob <bob@example.com>", False)
    assert (git.policy_commit, git.policy_author, git.policy_authored_at) == (first, "Alice <alice@example.com>", date)


def test_commit_filter_and_show_pair_each_author_with_its_commit(tmp_path: Path) -> None:
    newer = record(
        "PAY-1",
        git_commit="aaaa1111bbbb2222",
        git_author="Bob <bob@example.com>",
        git_committed_at="2026-03-02T00:00:00+00:00",
        policy_commit="cccc3333dddd4444",
        policy_author="Alice <alice@example.com>",
        policy_authored_at="2026-01-02T03:04:05+01:00",
    )
    assert RecordQuery(commit="aaaa1111").matches(newer) and RecordQuery(commit="cccc3333").matches(newer)
    assert not RecordQuery(commit="eeee").matches(newer)
    sink = AuditSink(str(tmp_path / "audit"))
    sink.append("outage-matrix", [newer], now=T0)
    shown = audit("show", "PAY-1", "--from", "sink", "--sink", str(tmp_path / "audit"))
    assert re.search(r"commit aaaa1111bbbb by Bob <bob@example\.com> on 2026-03-02", shown)
    assert re.search(r"last changed in cccc3333dddd by Alice <alice@example\.com> on 2026-01-02", shown)
    rows = audit("--from", "sink", "--sink", str(tmp_path / "audit"), "--commit", "cccc", "--format", "jsonl")
    assert "PAY-1" in rows


def test_show_reads_the_sink_when_one_is_set_and_prefect_only_when_asked(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    AuditSink(str(tmp_path / "audit")).append("outage-matrix", [record("PAY-7")], now=T0)
    monkeypatch.setenv("ESCALATOR_AUDIT_SINK", str(tmp_path / "audit"))
    monkeypatch.delenv("PREFECT_API_URL", raising=False)
    shown = audit("show", "PAY-7")  # no --from: the sink, and no temporary Prefect API to wait for
    assert "PAY-7" in shown and "1 recorded step" in shown and "temporary Prefect API" not in shown


@pytest.mark.parametrize("version", [1, 2, 3, 4])
def test_records_of_older_schemas_load(version: int) -> None:
    data = record("OPS-1").model_dump(mode="json")
    new_fields = {"state_policy", "state_at", "assignee_before_name", "assignee_after_name", "owners_skipped_names"}
    if version <= 3:
        new_fields |= {"breach", "reconciled_by"}
    if version <= 2:
        new_fields |= {"policy_commit", "policy_author", "policy_authored_at"}
    if version == 1:
        new_fields.add("git_committed_at")
    old_data = {k: v for k, v in data.items() if k not in new_fields}
    old = AuditRecord.model_validate({**old_data, "schema_version": version})
    assert old.schema_version == version
    assert old.breach is None and old.reconciled_by is None
    if version <= 2:
        assert old.policy_commit is None and old.policy_author is None and old.policy_authored_at is None
    assert old.state_policy is None and old.state_at is None and old.assignee_after_name is None
    assert old.owners_skipped_names == ""
    assert SCHEMA_VERSION == 5 and record("OPS-2").schema_version == 5


def test_outcome_values_include_not_applied() -> None:
    description = AuditRecord.model_fields["outcome"].description or ""
    assert "not_applied" in description


def test_readme_for_auditors_names_every_record_field() -> None:
    text = README.read_text()
    section = text[text.index("## For auditors") :]
    section = section[: section.index("\n## ", 1)]
    missing = [name for name in AuditRecord.model_fields if f"`{name}`" not in section]
    assert not missing
    assert "exits 1 on any problem" not in section
    assert "one machine" in section
