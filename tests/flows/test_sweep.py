"""The sweep flow end to end: Prefect (test harness), the Jira adapter, the sandbox over real HTTP.

Each test starts its own sandbox seeded with the demo organisation and sweeps it with the example policies,
then checks Jira's side through the API and the audit through the Prefect API.
"""

from __future__ import annotations

import itertools
import json
import os
import re
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from prefect import get_client
from prefect.client.schemas.filters import ArtifactFilter, ArtifactFilterFlowRunId, ArtifactFilterKey
from prefect.settings import PREFECT_API_URL
from typer.testing import CliRunner

from escalator.cli.app import app
from escalator.cli.sweep import load_sweep_flow
from escalator.jira import RetryPolicy
from escalator.sweep.parameters import SweepParameters
from jira_sandbox.testing import Sandbox, running_sandbox
from tests.conftest import demo_jira, example_version

pytestmark = pytest.mark.usefixtures("prefect_harness")

ROOT = Path(__file__).resolve().parents[2]
OUTAGE = str(ROOT / "policies" / "outage.yaml")
ALL = str(ROOT / "policies")


@pytest.fixture()
def sandbox(monkeypatch: pytest.MonkeyPatch) -> Iterator[Sandbox]:
    with demo_jira(monkeypatch) as running:
        yield running


# Backoff as in production (exponential, jitter, at least Retry-After), in tens of milliseconds, not seconds.
FAST_RETRY = RetryPolicy(base_delay=0.05, max_delay=0.4)


def sweep(shard: dict[str, Any] | None = None, **params: Any) -> tuple[Any, list[dict[str, Any]]]:
    state = load_sweep_flow()(SweepParameters(**{"retry": FAST_RETRY, **params}), shard=shard, return_state=True)
    data = state.result(raise_on_failure=False)
    return state, data if isinstance(data, list) else []


def records(flow_run_id: Any, key: str) -> list[dict[str, Any]]:
    with get_client(sync_client=True) as client:
        artifacts = client.read_artifacts(
            artifact_filter=ArtifactFilter(
                flow_run_id=ArtifactFilterFlowRunId(any_=[flow_run_id]), key=ArtifactFilterKey(any_=[key])
            )
        )
    assert len(artifacts) == 1, f"expected one {key} artifact for the run, got {len(artifacts)}"
    return json.loads(artifacts[0].data)  # type: ignore[arg-type]


def escalation_comments(sandbox: Sandbox, keys: list[str]) -> dict[str, list[str]]:
    jira = sandbox.jira()
    return {key: [c.body for c in jira.comments(key) if "Policy: " in c.body] for key in keys}


def test_live_sweep_escalates_in_jira_and_records_every_decision(sandbox: Sandbox) -> None:
    state, reports = sweep(policies=[OUTAGE])
    assert state.is_completed(), state.message
    (report,) = reports
    applied = [o["issue_key"] for o in report["outcomes"] if o["status"] == "applied"]
    assert report["escalations"] == len(applied) > 10
    counts = sandbox.request_counts()
    notified = sum(1 for n in sandbox.outbox())
    assert counts.write == len(applied) + notified, "one PUT per escalation, plus notify where a level asks"
    assert sandbox.runtime.settings.strict and 400 not in counts.by_status, "every request passed strict mode"

    rows = records(state.state_details.flow_run_id, "escalator-outage-matrix-decisions")
    by_key = {row["issue_key"]: row for row in rows}
    columns = list(rows[0])  # the Prefect UI shows them in this order: what an auditor reads first comes first
    assert columns[:10] == [
        "issue_key",
        "outcome",
        "decision",
        "from_level",
        "to_level",
        "assignee_before",
        "assignee_after",
        "priority_before",
        "priority_after",
        "reason",
    ]
    assert columns[10:12] == ["assignee_before_name", "assignee_after_name"]
    assert columns[-10] == "schema_version" and columns[-1] == "policy_authored_at"
    jira = sandbox.jira()
    for key in applied[:12]:
        row = by_key[key]
        issue = jira.issue(key, properties="escalator.state")
        assert issue.fields.assignee.accountId == row["assignee_after"]
        assert issue.fields.priority.name == row["priority_after"]
        state_property = jira.issue_property(key, "escalator.state").value
        assert state_property.level == row["to_level"]
        assert state_property.policy == "outage-matrix" and state_property.policy_version == example_version("outage")
        (comment,) = escalation_comments(sandbox, [key])[key]
        assert f"to {row['to_level']} ([~accountid:{row['assignee_after']}])" in comment  # a mention: Jira shows a name
        assert "Run: " in comment and str(state.state_details.flow_run_id) in comment
        assert "None/" not in comment  # a link to a real UI, or the run's name and id, never a broken link
    for field in (
        "issue_key",
        "category",
        "from_level",
        "to_level",
        "assignee_before",
        "assignee_after",
        "priority_before",
        "priority_after",
        "owners_skipped",
        "elapsed",
        "window",
        "outcome",
        "error",
        "policy",
        "policy_version",
        "policy_sha256",
        "git_commit",
        "dry_run",
    ):
        assert field in rows[0], field
    assert {row["policy_sha256"] for row in rows} == {
        __import__("hashlib").sha256(Path(OUTAGE).read_bytes()).hexdigest()
    }
    summary = records_markdown(state.state_details.flow_run_id, "escalator-outage-matrix-summary")
    assert f"outage-matrix version {example_version('outage')}" in summary and "| applied |" in summary


def records_markdown(flow_run_id: Any, key: str) -> str:
    with get_client(sync_client=True) as client:
        (artifact,) = client.read_artifacts(
            artifact_filter=ArtifactFilter(
                flow_run_id=ArtifactFilterFlowRunId(any_=[flow_run_id]), key=ArtifactFilterKey(any_=[key])
            )
        )
    return str(artifact.data)


def test_dry_run_writes_nothing_and_predicts_the_live_run(sandbox: Sandbox) -> None:
    dry_state, (dry,) = sweep(policies=[OUTAGE], dry_run=True)
    assert dry_state.is_completed()
    assert sandbox.request_counts().write == 0
    dry_rows = records(dry_state.state_details.flow_run_id, "escalator-outage-matrix-decisions")
    assert {row["outcome"] for row in dry_rows if row["decision"] == "escalate"} == {"dry_run"}
    _, (live,) = sweep(policies=[OUTAGE])
    assert live["escalations"] == dry["escalations"]
    assert sorted(o["issue_key"] for o in live["outcomes"]) == sorted(o["issue_key"] for o in dry["outcomes"])


def test_a_second_sweep_escalates_nothing_twice(sandbox: Sandbox) -> None:
    sweep(policies=[OUTAGE])
    writes = sandbox.request_counts().write
    second_state, (second,) = sweep(policies=[OUTAGE])
    assert second_state.is_completed()
    assert second["applied"] == 0 and sandbox.request_counts().write == writes


def test_overlapping_sweeps_never_escalate_an_issue_twice(sandbox: Sandbox) -> None:
    sandbox.update_faults(latency_ms=15)
    results: list[Any] = []
    threads = [threading.Thread(target=lambda: results.append(sweep(policies=[OUTAGE]))) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=300)
    assert len(results) == 2 and all(state.is_completed() for state, _ in results)
    applied = [o["issue_key"] for _, (report,) in results for o in report["outcomes"] if o["status"] == "applied"]
    assert len(applied) == len(set(applied)) > 10, "an issue was escalated by both sweeps"
    comments = escalation_comments(sandbox, applied)
    assert all(len(found) == 1 for found in comments.values())


def test_a_forbidden_write_fails_that_issue_only(sandbox: Sandbox) -> None:
    _, (dry,) = sweep(policies=[OUTAGE], dry_run=True)
    victim = dry["outcomes"][0]["issue_key"]
    sandbox.add_fault(status=403, method="PUT", path=f"/issue/{victim}$", message="You may not edit this issue")
    state, (report,) = sweep(policies=[OUTAGE])
    assert state.is_failed() and "1 escalation write(s) failed" in (state.message or "")
    outcomes = {o["issue_key"]: o for o in report["outcomes"]}
    assert outcomes[victim]["status"] == "failed" and outcomes[victim]["error_kind"] == "JiraPermissionError"
    assert report["applied"] == report["escalations"] - 1
    rows = records(state.state_details.flow_run_id, "escalator-outage-matrix-decisions")
    (failed_row,) = [row for row in rows if row["outcome"] == "failed"]
    assert failed_row["issue_key"] == victim and "may not edit" in failed_row["error"]


def test_rate_limits_and_outages_are_ridden_out(sandbox: Sandbox) -> None:
    """A storm: every escalation's PUT is refused twice with 429 and ``Retry-After: 0``, three PUTs meet a 503
    besides, and the first search a 503 without ``Retry-After``. No request meets more faults than it may be
    retried, whatever the order of the writer threads, so every write lands; and no retry goes out before its
    backoff, even when Jira said 0."""
    sandbox.add_fault(status=503, method="POST", path="/search", times=1)  # no Retry-After: back off
    sandbox.add_fault(status=429, retry_after=0, method="PUT", path=r"/issue/[A-Z]+-\d+$", times_per_request=2)
    sandbox.add_fault(status=503, retry_after=0, method="PUT", times=3, times_per_request=1)
    state, (report,) = sweep(policies=[OUTAGE])
    assert state.is_completed(), state.message
    assert report["failed"] == 0 and report["applied"] == report["escalations"] > 10
    puts = [r for r in sandbox.requests() if r.method == "PUT"]
    by_issue: dict[str, list[Any]] = {}
    for put in puts:
        by_issue.setdefault(put.path, []).append(put)
    assert len(by_issue) == report["applied"]
    assert sandbox.request_counts().by_status[429] == 2 * report["applied"]
    assert sandbox.request_counts().by_status[503] == 1 + 3
    for attempts in by_issue.values():
        assert [a.status for a in attempts][-1] == 204 and [a.status for a in attempts[:2]] == [429, 429]
        for retry, (refused, again) in enumerate(itertools.pairwise(attempts), start=1):
            least = FAST_RETRY.base_delay * 2 ** (retry - 1) * (1 - FAST_RETRY.jitter)
            assert again.at - refused.at >= least, (refused, again)


def test_a_bad_policy_stops_the_run_before_any_request(sandbox: Sandbox, tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text(Path(OUTAGE).read_text().replace("window: 30m", "window: soon"))
    result = CliRunner().invoke(app, ["run", "--policy", str(bad)])
    assert result.exit_code == 1
    assert f"{bad}:38: categories[0].levels[0].window: 'soon' is not a duration" in result.output
    assert "Traceback" not in result.output
    assert sandbox.request_counts().total == 0


def test_what_jira_would_refuse_stops_the_run_in_preflight_with_nothing_written(sandbox: Sandbox) -> None:
    """A project whose edit screen lacks priority, and an owner not assignable there: today's Jira would answer
    one 400 per issue; the run stops before the first write, naming each problem with project and issue type."""
    sandbox.configure_project("OPS", hidden_fields={"Incident": ["priority"]}, unassignable=["acc-bob"])
    result = CliRunner().invoke(app, ["run", "--policy", OUTAGE])
    assert result.exit_code == 1, result.output
    output = " ".join(result.output.split())  # rich wraps long lines
    assert "OPS (Incident): the edit screen has no 'priority' field, which the policy writes" in output
    assert "OPS (Bug, Incident): owner 'acc-bob' cannot be assigned issues in OPS" in output
    assert "Traceback" not in result.output
    assert sandbox.request_counts().write == 0


def test_a_sweep_killed_mid_apply_is_finished_by_the_next_without_repeats(sandbox: Sandbox) -> None:
    sandbox.update_faults(latency_ms=40)
    api_url = PREFECT_API_URL.value()  # the harness's server, so both runs share one Prefect API
    assert api_url
    env = {**os.environ, "PREFECT_API_URL": api_url}
    worker = subprocess.Popen(
        [sys.executable, "-m", "escalator", "run", "--policy", OUTAGE],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 120
    while sandbox.request_counts().write < 8 and time.monotonic() < deadline and worker.poll() is None:
        time.sleep(0.05)
    worker.kill()
    worker.wait(timeout=30)
    written_before = sandbox.request_counts().write
    assert written_before >= 8, "the worker did not get to apply before it was killed"
    sandbox.update_faults(latency_ms=0)
    state, (report,) = sweep(policies=[OUTAGE])
    assert state.is_completed()
    keys = sorted({m.group(1) for r in sandbox.requests() if (m := re.search(r"/issue/([A-Z]+-\d+)$", r.path))})
    comments = escalation_comments(sandbox, keys)
    per_issue = Counter({key: len(found) for key, found in comments.items()})
    assert per_issue and max(per_issue.values()) == 1, per_issue.most_common(3)
    assert report["applied"] < report["evaluated"]


def test_an_unreadable_escalation_state_is_recorded_and_the_issue_decided_from_its_changelog(
    sandbox: Sandbox,
) -> None:
    """The state cannot be read, and escalator's account never changed the issue (the changelog says so): the
    issue is a data problem on the record, and is escalated as one never escalated, once."""
    _, (dry,) = sweep(policies=[OUTAGE], dry_run=True)
    victim = dry["outcomes"][0]["issue_key"]
    sandbox.jira().add_issue_property(victim, "escalator.state", {"policy": "outage-matrix", "level": 7})
    state, (report,) = sweep(policies=[OUTAGE])
    assert state.is_completed()
    assert report["data_problems"] == 1
    assert victim in {o["issue_key"] for o in report["outcomes"] if o["status"] == "applied"}
    rows = records(state.state_details.flow_run_id, "escalator-outage-matrix-decisions")
    (problem,) = [row for row in rows if row["issue_key"] == victim and row["outcome"] == "data_problem"]
    assert "escalation state is unreadable" in problem["reason"] and "never escalated" in problem["reason"]
    assert len(escalation_comments(sandbox, [victim])[victim]) == 1


def test_a_failed_notification_keeps_the_escalation_and_says_so(sandbox: Sandbox) -> None:
    sandbox.add_fault(status=403, method="POST", path="/notify$", message="Notifications are off")
    state, (report,) = sweep(policies=[OUTAGE])
    assert state.is_completed(), state.message
    warned = [o for o in report["outcomes"] if o["warning"]]
    assert warned and all(o["status"] == "applied" for o in warned)
    assert "notification failed" in warned[0]["warning"]
    rows = records(state.state_details.flow_run_id, "escalator-outage-matrix-decisions")
    assert any(row["warning"] and "Notifications are off" in row["warning"] for row in rows)


def test_jira_failing_mid_fetch_still_publishes_the_audit_and_fails_the_run(sandbox: Sandbox) -> None:
    # The outage policy's second page (the first search with a nextPageToken: the preflight's searches have none)
    # fails on every attempt; the support policy after it runs normally.
    sandbox.add_fault(status=500, method="POST", path="/search/jql$", body='"nextPageToken"', times=5)
    state, (outage, support) = sweep(policies=[OUTAGE, str(ROOT / "policies" / "support.yaml")], page_size=20)
    assert state.is_failed() and "outage-matrix stopped" in (state.message or "")
    assert outage["error"] and "HTTP 500" in outage["error"] and outage["applied"] == 0
    assert support["error"] is None and support["applied"] > 0
    summary = records_markdown(state.state_details.flow_run_id, "escalator-outage-matrix-summary")
    assert "FAILED" in summary and "before any escalation was written" in summary


def test_the_write_budget_is_shared_by_the_policies_of_a_run(sandbox: Sandbox) -> None:
    state, reports = sweep(policies=[ALL], dry_run=True, write_budget=5)
    assert state.is_completed()
    assert sum(r["dry_run"] for r in reports) == 5
    assert sum(r["over_budget"] for r in reports) == sum(r["escalations"] for r in reports) - 5


def test_a_data_center_sweep_escalates_once(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    with running_sandbox(mode="server", seed="demo") as server:
        monkeypatch.setenv("JIRA_URL", server.url)
        monkeypatch.setenv("JIRA_EMAIL", server.user)
        monkeypatch.setenv("JIRA_API_TOKEN", server.token)
        monkeypatch.chdir(ROOT)
        server_policy = Path(OUTAGE).read_text().replace("acc-", "")  # Data Center names people by username
        path = tmp_path / "outage-server.yaml"
        path.write_text(server_policy)
        state, (report,) = sweep(policies=[str(path)])
        assert state.is_completed(), state.message
        assert report["applied"] == report["escalations"] > 10
        assert server.runtime.settings.strict and 400 not in server.request_counts().by_status
        key = next(o["issue_key"] for o in report["outcomes"])
        assert server.jira().issue(key).fields.assignee.name in {"alice", "bob", "carol"}
        _, (again,) = sweep(policies=[str(path)])
        assert again["applied"] == 0


def test_a_shard_sweeps_only_its_part_reports_it_and_is_never_run_twice_at_once(
    sandbox: Sandbox, tmp_path: Path
) -> None:
    """A shard run (what the sharded parent starts) reads only its shard of each policy's scope, with its share
    of the blast radius, writes its own audit chain and reports a row per policy; while another run holds the
    shard's concurrency limit, a second run of it is cancelled without a request to Jira."""
    from prefect.concurrency.sync import concurrency

    from escalator.audit.sink import AuditSink
    from escalator.orchestration.limits import ensure_limits
    from escalator.sharding.shards import REPORT_KEY, project_shards

    support = str(ROOT / "policies" / "support.yaml")  # scope: SUP and ENG
    eng = next(s for s in project_shards(["SUP", "ENG"]) if s.name == "project-eng")
    state, reports = sweep(policies=[support], shard=eng.model_dump(), audit_sink=str(tmp_path / "audit"))
    assert state.is_completed(), state.message
    (report,) = reports
    assert report["evaluated"] > 0 and {o["issue_key"].split("-")[0] for o in report["outcomes"]} == {"ENG"}
    (row,) = records(state.state_details.flow_run_id, REPORT_KEY)
    assert (
        row["shard"] == "project-eng"
        and row["policy"] == "support-matrix"
        and row["escalations"] == report["escalations"]
    )
    assert AuditSink(str(tmp_path / "audit")).policies() == ["support-matrix@project-eng"]

    name = eng.limit_name("support-matrix")
    ensure_limits({name: 1})
    sandbox.reset_requests()
    with concurrency(name, occupy=1, strict=True):  # another run of the same shard holds it
        state, _ = sweep(policies=[support], shard=eng.model_dump())
    assert state.is_cancelled() and "being swept already" in (state.message or "")
    assert sandbox.request_counts().total == 0


def test_the_shard_runner_refuses_a_run_without_a_shard(sandbox: Sandbox) -> None:
    """escalate-shard has no deployment-wide limit; a whole-scope sweep through it is refused before Jira."""
    from prefect import tags

    with tags("shard-runner"):
        state, _ = sweep(policies=[OUTAGE])
    assert state.is_failed() and "needs a shard" in (state.message or "")
    assert sandbox.request_counts().total == 0


def test_the_shards_of_a_sweep_share_each_policys_blast_radius(sandbox: Sandbox) -> None:
    """Shards take their escalations from one allowance per policy: the first shard's plan fits and is applied
    (a dry run here), the second's no longer fits and is blocked as a whole, and the allowance keeps count."""
    from escalator.orchestration.limits import delete_allowances, ensure_limits
    from escalator.sharding.shards import project_shards

    support = str(ROOT / "policies" / "support.yaml")  # scope: SUP and ENG
    sup, eng, _ = project_shards(["SUP", "ENG"])
    planned = {}
    for shard in (sup, eng):  # what each shard plans on its own (dry runs write nothing, so it stays the same)
        _, (report,) = sweep(policies=[support], shard=shard.model_dump(), dry_run=True)
        planned[shard.name] = report["escalations"]
    assert planned["project-sup"] > 0 and planned["project-eng"] > 0, planned

    sweep_id = "test-allowance"
    name = sup.model_copy(update={"sweep_id": sweep_id}).allowance_name("support-matrix")
    assert name is not None
    ensure_limits({name: planned["project-sup"] + planned["project-eng"] - 1})  # one short of both
    try:
        first_state, (first,) = sweep(
            policies=[support], shard={**sup.model_dump(), "sweep_id": sweep_id}, dry_run=True
        )
        second_state, (second,) = sweep(
            policies=[support], shard={**eng.model_dump(), "sweep_id": sweep_id}, dry_run=True
        )
        with get_client(sync_client=True) as client:
            taken = client.read_global_concurrency_limit_by_name(name).active_slots
    finally:
        delete_allowances([name])
    assert first_state.is_completed() and first["blocked"] is None and first["dry_run"] == planned["project-sup"]
    assert second_state.is_failed() and second["dry_run"] == 0
    assert "other shards of this sweep already planned" in second["blocked"]
    assert taken == planned["project-sup"], "a blocked plan takes nothing"


def test_task_runs_are_named_by_policy(sandbox: Sandbox) -> None:
    """With several policies in a run, the UI's timeline says which policy each step belongs to."""
    from prefect.client.schemas.filters import FlowRunFilter, FlowRunFilterId

    state, _ = sweep(policies=[ALL], dry_run=True)
    assert state.is_completed(), state.message
    with get_client(sync_client=True) as client:
        runs = client.read_task_runs(
            flow_run_filter=FlowRunFilter(id=FlowRunFilterId(any_=[state.state_details.flow_run_id]))
        )
    names = {run.name for run in runs}
    for policy in ("outage-matrix", "support-matrix"):
        for step in ("preflight", "fetch-issues", "evaluate", "apply", "publish-audit"):
            assert f"{step}[{policy}]" in names, (step, policy, sorted(names))
