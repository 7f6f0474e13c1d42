"""The auditor's report on records of real sweeps: a dry run and a live run of a small policy against the sandbox
(under the Prefect test harness, over HTTP), then people act on the escalated issues in Jira (comments,
resolutions at chosen times), then the report is computed and checked against a count by hand.

The scenario (policy ``audit-report-test``: L1 after 1h to frank (inactive) or alice, L2 after 1d to bob,
escalation deadline 30d), ``now`` being the test's start and T the live sweep's instant:

| issue | before the sweeps | live sweep | afterwards |
|---|---|---|---|
| AUD-1 | created now-5h, carol assigns dave at now-4h | L1 (alice; frank skipped) | alice comments T+30m, done T+2h |
| AUD-2 | created now-6h, assigned at now-3h | L1 | alice resolves T+1h |
| AUD-3 | created now-10h, assigned at now-2h | L1 | nothing: open, within its deadline |
| AUD-4 | created now-41d assigned to alice, escalated to L1 at now-40d | L2 (bob) | bob resolves T+4h: late |
| AUD-5 | as AUD-4 | L2 (bob) | bob comments T+2h; open past its deadline |
| AUD-6 | created now-7h, assigned at now-5h | 403 on the write: failed | - |
| AUD-7 | created now-3h, assigned at now-30m, an unreadable escalation state | data problem (not due) | - |

The report is read as if on T+1d (its clock), so every action above happened before it.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from escalator.audit.report.collect import period_records, report_for
from escalator.audit.report.model import AuditReport
from escalator.cli.app import app
from escalator.cli.sweep import load_sweep_flow
from escalator.jira.settings import JiraSettings
from escalator.sweep.parameters import SweepParameters
from jira_sandbox import catalog, jiratime
from jira_sandbox import issues as issue_store
from jira_sandbox.testing import Sandbox, running_sandbox

pytestmark = pytest.mark.usefixtures("prefect_harness")

ROOT = Path(__file__).resolve().parents[2]
POLICY = "audit-report-test"
POLICY_YAML = f"""
name: {POLICY}
version: "1"
scope: project = AUD AND statusCategory != Done
priorities: [Lowest, Low, Medium, High, Highest]
calendars:
  - name: always
    timezone: UTC
    working_days: [mon, tue, wed, thu, fri, sat, sun]
    working_hours: [{{start: "00:00", end: "24:00"}}]
default_calendar: always
escalation_deadline: 30d
categories:
  - name: all
    levels:
      - {{name: L1, window: 1h, owners: [acc-frank, acc-alice]}}
      - {{name: L2, window: 1d, owners: [acc-bob]}}
"""
H = timedelta(hours=1)
D = timedelta(days=1)
runner = CliRunner()


@dataclass
class Scenario:
    sandbox: Sandbox
    now: datetime
    dry_at: datetime
    live_at: datetime
    since: datetime
    sink: Path

    @property
    def as_of(self) -> datetime:
        return self.live_at + D


def jira_time(moment: datetime) -> datetime:
    """Jira keeps milliseconds."""
    return moment.replace(microsecond=moment.microsecond // 1000 * 1000)


def assigned_issue(key: str, created: datetime, assigned: datetime) -> dict[str, Any]:
    return {
        "key": key,
        "assignee": "dave",
        "created": created,
        "changelog": [{"author": "carol", "created": assigned, "items": [{"field": "assignee", "to": "dave"}]}],
    }


def escalated_issue(key: str, now: datetime) -> dict[str, Any]:
    state = {
        "policy": POLICY,
        "policy_version": "1",
        "category": "all",
        "level": "L1",
        "level_index": 1,
        "at": (now - 40 * D).isoformat(),
        "first_at": (now - 40 * D).isoformat(),
        "assignee_set": "acc-alice",
    }
    return {"key": key, "assignee": "alice", "created": now - 41 * D, "properties": {"escalator.state": state}}


def act(sandbox: Sandbox, key: str, who: str, at: datetime, *, comment: bool = False, resolve: bool = False) -> None:
    """A person acts on an issue at ``at``, as Jira would record it."""
    with sandbox.store.transaction() as db:
        row = issue_store.find_issue(db, key)
        ms = jiratime.from_datetime(at)
        if comment:
            issue_store.add_comment(db, row, f"acc-{who}", "Looking into it.", ms)
        if resolve:
            edit = issue_store.IssueEdit(db, row, f"acc-{who}", ms)
            edit.set_status(catalog.find_id(db, "statuses", "Done") or 0)
            edit.set_resolution(catalog.find_id(db, "resolutions", "Done"))
            edit.save()


def sweep(policy: Path, **params: Any) -> Any:
    return load_sweep_flow()(SweepParameters(policies=[str(policy)], **params), return_state=True)


@pytest.fixture(scope="module")
def scenario(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Scenario]:
    tmp = tmp_path_factory.mktemp("report")
    policy = tmp / "audit.yaml"
    policy.write_text(POLICY_YAML)
    with running_sandbox(mode="cloud", seed="demo") as sandbox, pytest.MonkeyPatch.context() as patch:
        patch.setenv("JIRA_URL", sandbox.url)
        patch.setenv("JIRA_EMAIL", sandbox.user)
        patch.setenv("JIRA_API_TOKEN", sandbox.token)
        patch.delenv("JIRA_PAT", raising=False)
        patch.setenv("ESCALATOR_AUDIT_SINK", str(tmp / "audit"))
        patch.chdir(ROOT)
        now = datetime.now(UTC)
        sandbox.add_issues(
            assigned_issue("AUD-1", now - 5 * H, now - 4 * H),
            assigned_issue("AUD-2", now - 6 * H, now - 3 * H),
            assigned_issue("AUD-3", now - 10 * H, now - 2 * H),
            escalated_issue("AUD-4", now),
            escalated_issue("AUD-5", now),
            assigned_issue("AUD-6", now - 7 * H, now - 5 * H),
            # escalator's account never changed it, so it is decided as never escalated: not due (assigned 30m ago)
            {**assigned_issue("AUD-7", now - 3 * H, now - H / 2), "properties": {"escalator.state": {"policy": 5}}},
        )
        since = now - timedelta(seconds=1)
        assert sweep(policy, dry_run=True).is_completed()
        sandbox.add_fault(status=403, method="PUT", path="/issue/AUD-6$", message="You may not edit this issue")
        assert sweep(policy).is_failed()  # the failed write fails the run, after recording it
        runs = {r.dry_run: r.evaluated_at for r in period_records(since, None, [POLICY])}
        live_at = runs[False]
        act(sandbox, "AUD-1", "alice", live_at + 30 * timedelta(minutes=1), comment=True)
        act(sandbox, "AUD-1", "alice", live_at + 2 * H, resolve=True)
        act(sandbox, "AUD-2", "alice", live_at + 1 * H, resolve=True)
        act(sandbox, "AUD-4", "bob", live_at + 4 * H, resolve=True)
        act(sandbox, "AUD-5", "bob", live_at + 2 * H, comment=True)
        yield Scenario(sandbox, now, runs[True], live_at, since, tmp / "audit")


@pytest.fixture(scope="module")
def report(scenario: Scenario) -> AuditReport:
    return report_for(
        period_records(scenario.since, None, [POLICY]),
        JiraSettings.from_env(),
        since=scenario.since,
        until=None,
        policies=[POLICY],
        clock=lambda: scenario.as_of,
    )


def close(actual: timedelta | None, expected: timedelta) -> bool:
    """Equal but for Jira's millisecond clock (the records keep microseconds)."""
    return actual is not None and abs(actual - expected) <= timedelta(milliseconds=1)


def week(moment: datetime) -> date:
    day = moment.date()
    return day - timedelta(days=day.weekday())


def test_escalations_per_week_live_and_dry_run_apart(report: AuditReport, scenario: Scenario) -> None:
    expected: dict[tuple[date, str], list[int]] = {}
    for at, level, live, dry in [
        (scenario.dry_at, "L1", 0, 4),  # AUD-1, 2, 3 and 6 (the dry run writes nothing, so AUD-6 is no failure)
        (scenario.dry_at, "L2", 0, 2),  # AUD-4, 5
        (scenario.live_at, "L1", 3, 0),  # AUD-1, 2, 3 (AUD-6's write failed)
        (scenario.live_at, "L2", 2, 0),  # AUD-4, 5
    ]:
        counts = expected.setdefault((week(at), level), [0, 0])
        counts[0] += live
        counts[1] += dry
    assert {(r.week, r.level): [r.live, r.dry_run] for r in report.weekly} == expected
    assert {r.policy for r in report.weekly} == {POLICY}
    outcomes = {o.outcome: (o.live, o.dry_run) for o in report.outcomes}
    assert outcomes == {"applied": (5, 0), "dry_run": (0, 6), "failed": (1, 0), "data_problem": (1, 1)}


def test_time_to_first_owner_by_hand(report: AuditReport) -> None:
    # AUD-1 1h, AUD-2 3h, AUD-3 8h, AUD-6 2h after creation; AUD-4 and AUD-5 were created assigned: 0.
    stat = report.first_owner
    assert stat.measured == 6 and stat.not_yet == () and stat.gaps == ()
    assert [round(s / H, 3) for s in stat.samples] == [0, 0, 1, 2, 3, 8]
    assert close(stat.median, 1.5 * H)  # between the 3rd and 4th of six: (1h + 2h) / 2
    assert close(stat.p90, 3 * H + 0.5 * 5 * H)  # rank 0.9 * 5 = 4.5: halfway from 3h to 8h


def test_time_from_escalation_to_next_human_action_by_hand(report: AuditReport) -> None:
    # AUD-1 alice's comment after 30m, AUD-2 the resolution after 1h, AUD-5 bob's comment after 2h, AUD-4 the
    # resolution after 4h; AUD-3 nobody yet. escalator's own change and comment (as admin) do not count.
    stat = report.next_action
    assert stat.measured == 4 and stat.not_yet == ("AUD-3",) and stat.gaps == ()
    expected = [0.5 * H, 1 * H, 2 * H, 4 * H]
    assert all(close(a, e) for a, e in zip(stat.samples, expected, strict=True))
    assert close(stat.median, 1.5 * H)  # (1h + 2h) / 2
    assert close(stat.p90, 2 * H + 0.7 * 2 * H)  # rank 0.9 * 3 = 2.7: 70% of the way from 2h to 4h


def test_each_deadline_bucket_against_the_hand_count(report: AuditReport, scenario: Scenario) -> None:
    (counts,) = report.deadlines
    assert (counts.closed_in_time, counts.closed_late, counts.open_within, counts.open_breached) == (2, 1, 1, 1)
    assert counts.not_judged == 0
    status = {i.issue_key: i.status for i in report.escalated}
    assert status == {
        "AUD-1": "closed_in_time",  # resolved T+2h, deadline T+30d
        "AUD-2": "closed_in_time",
        "AUD-3": "open_within",
        "AUD-4": "closed_late",  # first escalated now-40d: deadline now-10d, resolved T+4h
        "AUD-5": "open_breached",
    }
    by_key = {i.issue_key: i for i in report.escalated}
    assert by_key["AUD-1"].deadline_at == scenario.live_at + 30 * D  # the first escalation names its deadline
    assert by_key["AUD-4"].deadline_at == scenario.now - 10 * D
    assert close(by_key["AUD-4"].overdue, scenario.live_at + 4 * H - (scenario.now - 10 * D))
    (breach,) = report.open_breaches
    assert (breach.issue_key, breach.level, breach.owner) == ("AUD-5", "L2", "acc-bob")
    assert close(breach.age, scenario.as_of - (scenario.now - 41 * D))
    assert close(breach.overdue, scenario.as_of - (scenario.now - 10 * D))


def test_owners_skipped_problems_failures_and_versions(report: AuditReport) -> None:
    (frank,) = report.skipped_owners
    # frank is skipped at L1 on AUD-1, 2, 3 and 6, in the dry run and again in the live run (AUD-6's record too)
    assert (frank.owner, frank.reason, frank.levels, frank.decisions, frank.issues) == (
        "acc-frank",
        "inactive in Jira",
        ("L1",),
        8,
        4,
    )
    assert report.unowned_issues == ()
    (problem,) = report.data_problems
    assert (problem.issue_key, problem.records) == ("AUD-7", 2) and "escalation state is unreadable" in problem.problem
    (failed,) = report.failed_writes
    assert failed.issue_key == "AUD-6" and failed.step == "new -> L1" and "may not edit" in failed.error
    (version,) = report.versions
    assert (version.policy, version.version, version.live_records, version.dry_run_records) == (POLICY, "1", 7, 7)
    assert version.head_commit is None and version.sha256 is not None  # a policy file outside git
    assert report.jira_notes == ()


def summary_row(markdown: str) -> list[str]:
    (row,) = [line for line in markdown.splitlines() if line.startswith(f"| {POLICY} |") and line.count("|") == 9]
    return [cell.strip() for cell in row.strip("|").split("|")]


def cli(*args: str) -> str:
    result = runner.invoke(app, ["audit", "report", "--policy", POLICY, *args])
    assert result.exit_code == 0, result.output
    return result.output


def test_the_command_prints_the_same_numbers_as_markdown_and_html(scenario: Scenario, tmp_path: Path) -> None:
    since = scenario.since.isoformat()
    markdown = cli("--since", since)
    # live 3 + 2, dry run 4 + 2, 2 in time, 1 late, 2 open of which 1 past its deadline, 1 failed write
    assert summary_row(markdown) == [POLICY, "5", "6", "2", "1", "2", "1", "1"]
    assert "| AUD-5 | audit-report-test | L2 | acc-bob |" in markdown
    assert "| creation -> first owner | 6 | 1h 30m | 5h 30m | 0 | 0 |" in markdown
    page = tmp_path / "report.html"
    cli("--since", since, "--format", "html", "-o", str(page))
    html = page.read_text()
    assert html.count("<svg") == 4  # escalations per week, speed, deadlines, owners skipped
    assert "<script" not in html and not re.search(r"(src|href)=\"(https?:)?//", html)  # opens offline
    assert "<td>AUD-5</td>" in html and "Still open past the deadline (1)" in html
    from_sink = cli("--since", since, "--from", "sink", "--sink", str(scenario.sink))
    assert summary_row(from_sink) == summary_row(markdown)


def test_bad_input_is_one_line_and_writes_nothing(scenario: Scenario, tmp_path: Path) -> None:
    result = runner.invoke(app, ["audit", "report", "--format", "pdf"])
    assert result.exit_code == 2 and "--format must be markdown or html" in result.output
    result = runner.invoke(app, ["audit", "report", "--since", "2026-03-01", "--until", "2026-02-01"])
    assert result.exit_code == 2 and "is not before" in result.output
    target = tmp_path / "missing-dir" / "report.html"
    result = runner.invoke(app, ["audit", "report", "--policy", POLICY, "--format", "html", "-o", str(target)])
    assert result.exit_code == 1 and "cannot write" in result.output and "Traceback" not in result.output
    assert not target.parent.exists()


def test_the_flow_publishes_the_markdown_artifact_and_writes_the_html(scenario: Scenario, tmp_path: Path) -> None:
    from prefect import get_client
    from prefect.client.schemas.filters import ArtifactFilter, ArtifactFilterKey
    from prefect.client.schemas.sorting import ArtifactSort
    from prefect.flows import load_flow_from_entrypoint

    from escalator.audit.report.parameters import ReportParameters

    flow = load_flow_from_entrypoint("flows/report.py:audit_report")
    params = ReportParameters(since=scenario.since, policies=[POLICY], html_dir=str(tmp_path / "reports"))
    state = flow(params, return_state=True)
    assert state.is_completed(), state.message
    result = state.result()
    assert (result["records"], result["escalated"], result["open_breaches"], result["failed_writes"]) == (14, 5, 1, 1)
    html = Path(result["html"])
    assert html.parent == tmp_path / "reports" and html.read_text().count("<svg") == 4
    with get_client(sync_client=True) as client:
        (artifact,) = client.read_artifacts(
            artifact_filter=ArtifactFilter(key=ArtifactFilterKey(any_=["escalator-audit-report"])),
            sort=ArtifactSort.CREATED_DESC,
            limit=1,
        )
    assert artifact.type == "markdown" and artifact.flow_run_id == state.state_details.flow_run_id
    markdown = artifact.data if isinstance(artifact.data, str) else json.dumps(artifact.data)
    assert summary_row(markdown) == [POLICY, "5", "6", "2", "1", "2", "1", "1"]
    assert str(html) in markdown
