"""The audit report's computation and its two forms, pure: records and issue histories built here, no Jira, no
Prefect. The report on real sweeps is in test_report_sweep.py."""

from __future__ import annotations

import html as html_lib
import re
from datetime import UTC, date, datetime, timedelta, timezone
from typing import Any

import pytest

from escalator.audit.record import AuditRecord
from escalator.audit.report.as_html import report_html
from escalator.audit.report.as_markdown import report_markdown
from escalator.audit.report.compute import NOT_IN_JIRA, build_report, percentile, week_of
from escalator.audit.report.model import AuditReport, Period
from escalator.core.history import IssueHistory

T = datetime(2026, 3, 4, 10, 0, tzinfo=UTC)  # a Wednesday
H = timedelta(hours=1)
D = timedelta(days=1)
BOT = "acc-escalator"


def record(key: str, outcome: str = "applied", at: datetime = T, **fields: Any) -> AuditRecord:
    data: dict[str, Any] = {
        "evaluated_at": at,
        "issue_key": key,
        "outcome": outcome,
        "decision": "escalate" if outcome in ("applied", "dry_run", "failed") else "no_action",
        "reason_code": "due",
        "reason": "due",
        "policy": "p",
        "policy_version": "1",
        "policy_sha256": "f" * 64,
        "to_level": "L1" if outcome in ("applied", "dry_run", "failed") else None,
        "dry_run": outcome == "dry_run",
    }
    return AuditRecord.model_validate(data | fields)


def history(key: str, **fields: Any) -> IssueHistory:
    return IssueHistory.model_validate({"key": key, "created": T - 5 * H} | fields)


def report_of(records: list[AuditRecord], histories: list[IssueHistory], as_of: datetime = T + D) -> AuditReport:
    return build_report(records, {h.key: h for h in histories}, Period(as_of=as_of), bots={BOT})


@pytest.mark.parametrize(
    ("values", "fraction", "expected"),
    [
        ([4], 0.5, 4),
        ([4], 0.9, 4),
        ([1, 3], 0.5, 2),
        ([1, 2, 3, 4, 5], 0.5, 3),
        ([1, 2, 3, 4, 5], 0.9, 4.6),  # rank 3.6: 60% from 4 to 5
        ([10, 0, 5], 0.9, 9),  # unsorted in: sorted 0, 5, 10; rank 1.8
    ],
)
def test_percentile_interpolates_between_ranks(values: list[int], fraction: float, expected: float) -> None:
    assert percentile([v * H for v in values], fraction) == expected * H


def test_weeks_start_on_monday_utc() -> None:
    assert week_of(datetime(2026, 3, 8, 23, 59, tzinfo=UTC)) == date(2026, 3, 2)  # Sunday
    assert week_of(datetime(2026, 3, 9, 0, 0, tzinfo=UTC)) == date(2026, 3, 9)  # Monday
    berlin_monday_morning = datetime(2026, 3, 9, 0, 30, tzinfo=timezone(timedelta(hours=1)))
    assert week_of(berlin_monday_morning) == date(2026, 3, 2)  # still Sunday in UTC


ASSIGN = {"field": "assignee", "author": "acc-carol"}


@pytest.mark.parametrize(
    ("fields", "owned_at", "reason"),
    [
        ({"assignee": "acc-dave"}, T - 5 * H, None),  # created assigned, never changed
        ({}, None, None),  # never owned (yet)
        ({"assignee": "acc-dave", "changes": [ASSIGN | {"at": T - 2 * H, "to_value": "acc-dave"}]}, T - 2 * H, None),
        ({"changes": [ASSIGN | {"at": T - H, "from_value": "acc-bob", "to_value": "acc-dave"}]}, T - 5 * H, None),
        ({"changes": [ASSIGN | {"at": T - H, "to_value": None}, ASSIGN | {"at": T, "to_value": "x"}]}, T, None),
        ({"assignee": "acc-dave", "changes_complete": False}, None, "Jira returned only part of its changelog"),
    ],
)
def test_first_owner_from_jiras_history(fields: dict[str, Any], owned_at: datetime | None, reason: str | None) -> None:
    answer = history("A-1", **fields).first_owned_at()
    assert (answer.at, answer.reason) == (owned_at, reason)


def test_next_human_action_ignores_escalator_and_anonymous_changes() -> None:
    issue = history(
        "A-1",
        changes=[
            {"at": T + 1 * H, "author": BOT, "field": "assignee", "to_value": "acc-alice"},
            {"at": T + 2 * H, "author": None, "field": "labels"},
            {"at": T + 5 * H, "author": "acc-alice", "field": "status"},
            {"at": T - 1 * H, "author": "acc-alice", "field": "status"},  # before the escalation
        ],
        comments=[{"at": T + 1 * H, "author": BOT}, {"at": T + 3 * H, "author": "acc-alice"}],
    )
    assert issue.next_human_action(T, {BOT}).at == T + 3 * H
    assert issue.next_human_action(T + 4 * H, {BOT}).at == T + 5 * H
    assert issue.next_human_action(T + 6 * H, {BOT}).at is None  # not yet
    partial = issue.model_copy(update={"comments_complete": False})
    assert partial.next_human_action(T, {BOT}).reason == "Jira returned only part of its comments"


def test_dry_runs_repeat_their_escalations_but_each_counts_once_a_week() -> None:
    records = [record("A-1", "dry_run", at=T + n * 15 * timedelta(minutes=1)) for n in range(20)]
    records += [record("A-1", "dry_run", at=T + 7 * D), record("A-2", "dry_run", at=T, to_level="L2")]
    records += [record("A-3", at=T), record("A-4", at=T + 7 * D, to_level="L2")]
    report = report_of(records, [])
    rows = {(r.week, r.level): (r.live, r.dry_run) for r in report.weekly}
    assert rows == {
        (date(2026, 3, 2), "L1"): (1, 1),
        (date(2026, 3, 2), "L2"): (0, 1),
        (date(2026, 3, 9), "L1"): (0, 1),
        (date(2026, 3, 9), "L2"): (1, 0),
    }
    outcomes = {o.outcome: (o.live, o.dry_run) for o in report.outcomes}
    assert outcomes == {"applied": (2, 0), "dry_run": (0, 22)}  # records, repeats included


def test_deadline_buckets_and_why_an_issue_is_not_judged() -> None:
    deadline = T + 30 * D
    records = [
        record("A-1", deadline_at=deadline),  # resolved exactly at the deadline: in time
        record("A-2", deadline_at=deadline),  # resolved a second later: late
        record("A-3", deadline_at=deadline),  # open, deadline not passed at as_of
        record("A-4", deadline_at=deadline),  # open past it
        record("A-5", schema_version=3),  # an old record without the deadline
        record("A-6"),  # schema 4 without a deadline: the policy has none
        record("A-7", deadline_at=deadline),  # not in Jira
        record("A-8", deadline_at=deadline),  # done without a resolution date
        record("A-9", outcome="deadline_breached", from_level="L2", deadline_at=T - D),  # escalated before the period
        record("A-10", outcome="dry_run", deadline_at=deadline),  # dry runs have no deadline to meet
        record("A-11", outcome="failed", error="403"),  # not escalated
    ]
    histories = [
        history("A-1", resolved_at=deadline, status_category="done"),
        history("A-2", resolved_at=deadline + timedelta(seconds=1), status_category="done"),
        history("A-3"),
        history("A-4", assignee="acc-bob"),
        history("A-5"),
        history("A-6"),
        history("A-8", status_category="done"),
        history("A-9"),
    ]
    on = {
        T + D: {"A-3": "open_within", "A-4": "open_within"},
        deadline + timedelta(seconds=1): {"A-3": "open_breached", "A-4": "open_breached"},
    }
    for as_of, open_ones in on.items():
        report = report_of(records, histories, as_of=as_of)
        status = {i.issue_key: i.status for i in report.escalated}
        assert (
            status
            == {
                "A-1": "closed_in_time",
                "A-2": "closed_late",
                "A-5": "not_judged",
                "A-6": "not_judged",
                "A-7": "not_judged",
                "A-8": "not_judged",
                "A-9": "open_breached",
            }
            | open_ones
        )
    why = {i.issue_key: i.why_not_judged for i in report.escalated if i.status == "not_judged"}
    assert why == {
        "A-5": "no record of it names its deadline (records before schema 4 name it only from the second step)",
        "A-6": "its policy sets no escalation deadline",
        "A-7": NOT_IN_JIRA,
        "A-8": "resolved without a resolution date",
    }
    breached = {i.issue_key: i for i in report.open_breaches}
    assert breached["A-9"].level == "L2" and breached["A-9"].overdue == deadline + timedelta(seconds=1) - (T - D)
    assert breached["A-4"].owner == "acc-bob" and breached["A-4"].age == deadline + timedelta(seconds=1) - (T - 5 * H)
    (counts,) = report.deadlines
    assert (counts.closed_in_time, counts.closed_late, counts.still_open, counts.not_judged) == (1, 1, 3, 4)


def test_numbers_that_cannot_be_computed_are_gaps_not_guesses() -> None:
    records = [record("A-1"), record("A-2"), record("A-3", "dry_run")]
    histories = [history("A-1", changes_complete=False), history("A-3", assignee="acc-x")]
    report = report_of(records, histories)
    owner = report.first_owner
    assert owner.measured == 1 and owner.samples == (timedelta(0),)  # A-3 was created assigned
    assert {g.reason: g.issue_keys for g in owner.gaps} == {
        "Jira returned only part of its changelog": ("A-1",),
        NOT_IN_JIRA: ("A-2",),
    }
    action = report.next_action  # live escalations only
    assert action.measured == 0 and action.median is None and action.population == 2
    unknown = build_report(records, {h.key: h for h in histories}, Period(as_of=T + D))  # escalator's account?
    assert {g.reason: g.issue_keys for g in unknown.next_action.gaps} == {
        "escalator's own Jira account is not known, so its changes cannot be told apart": ("A-1",),
        NOT_IN_JIRA: ("A-2",),
    }


def test_owners_skipped_and_why_problems_failures_and_versions() -> None:
    skipped = "acc-erin at L2 (parental leave until 2027-01-08); acc-frank at L1 (inactive in Jira)"
    records = [
        record("A-1", owners_skipped=skipped, at=T),
        record("A-2", "dry_run", owners_skipped="acc-frank at L1 (inactive in Jira)", at=T + H),
        record("A-2", "dry_run", owners_skipped="acc-frank at L1 (inactive in Jira)", at=T + 2 * H),
        record("A-3", "skipped", owners_skipped="something else entirely", at=T + 3 * H, policy_version="2"),
        record("A-4", "data_problem", reason="first", at=T + H),
        record("A-4", "data_problem", reason="second", at=T + 2 * H, dry_run=True),
        record("A-5", "failed", error="403 no", from_level="L1", to_level="L2"),
        record("A-6", warning="the notification was not sent"),
        record("A-7", schema_version=2, git_author="Old <o@x>", git_committed_at="2025-01-01", at=T - D),
    ]
    report = report_of(records, [])
    assert [(s.owner, s.reason, s.levels, s.decisions, s.issues) for s in report.skipped_owners] == [
        ("acc-erin", "parental leave until 2027-01-08", ("L2",), 1, 1),
        ("acc-frank", "inactive in Jira", ("L1",), 3, 2),
        ("something else entirely", "not recorded", ("?",), 1, 1),
    ]
    assert report.unowned_issues == ("A-3",)
    (problem,) = report.data_problems
    assert (problem.records, problem.problem, problem.first_seen, problem.last_seen) == (2, "second", T + H, T + 2 * H)
    (failed,) = report.failed_writes
    assert (failed.issue_key, failed.step, failed.error) == ("A-5", "L1 -> L2", "403 no")
    assert [(w.issue_key, w.error) for w in report.warnings] == [("A-6", "the notification was not sent")]
    versions = {v.version: v for v in report.versions}
    assert (versions["1"].first_used, versions["1"].last_used) == (T - D, T + 2 * H)
    # live: A-1, A-4 (first), A-5, A-6, A-7; dry run: A-2 twice, A-4 (second); A-3 is version 2
    assert (versions["1"].live_records, versions["1"].dry_run_records) == (5, 3)
    assert versions["2"].first_used == versions["2"].last_used == T + 3 * H
    assert versions["1"].file_author is None  # the newest record (schema 4) names no policy author


def test_a_schema_2_record_names_its_files_author_in_git_author() -> None:
    old = record("A-1", schema_version=2, git_author="Old <o@x>", git_committed_at="2025-01-01")
    (version,) = report_of([old], []).versions
    assert (version.file_author, version.file_authored_at) == ("Old <o@x>", "2025-01-01")


def sample_report() -> AuditReport:
    records = [
        record("A-1", deadline_at=T - D, owners_skipped="acc-frank at L1 (inactive in Jira)"),
        record("A-2", "dry_run"),
        record("A-3", "failed", error="<script>alert(1)</script> | not | a table"),
        record("A-4", "data_problem", reason="[x](http://evil.example) *bold*"),
    ]
    histories = [
        history("A-1", assignee="acc-alice", comments=[{"at": T + H, "author": "acc-alice"}]),
        history("A-2"),
    ]
    return report_of(records, histories)


def test_markdown_and_html_carry_the_same_numbers() -> None:
    report = sample_report()
    markdown, page = report_markdown(report), report_html(report)
    rows = [line for line in markdown.splitlines() if line.startswith("| ") and "---" not in line]
    assert rows
    cells = {cell.strip() for row in rows for cell in row.strip("|").split(" | ")}
    shown = {html_lib.unescape(c) for c in re.findall(r"<t[dh](?: class=\"num\")?>(.*?)</t[dh]>", page)}
    assert {c.replace("\\<", "<").replace("\\|", "|") for c in cells} == shown


def test_text_from_records_opens_no_markup() -> None:
    report = sample_report()
    markdown, page = report_markdown(report), report_html(report)
    assert "<script>" not in page and "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "\\<script>" in markdown and "\\[x](http://evil.example) \\*bold\\*" in markdown
    assert "<script" not in page.lower() and not re.search(r"(src|href)=\"(https?:)?//", page)
    assert not re.search(r"<link|@import|url\((?!#)", page)  # no stylesheet, font or image from elsewhere


def test_the_page_has_a_chart_per_section_with_data_and_titled_axes() -> None:
    page = report_html(sample_report())
    assert page.count("<svg") == 4
    for text in (
        "issues escalated per week",
        "week starting Monday (UTC)",
        "to level",
        "hours",
        "median",
        "Escalated issues against their escalation deadline",
        "open, past deadline",
        "Owners skipped, and why",
    ):
        assert text in page, text


def test_an_empty_period_is_a_report_that_says_so() -> None:
    report = report_of([], [])
    markdown, page = report_markdown(report), report_html(report)
    assert "No escalation was recorded in the period." in markdown and "No owner was skipped." in markdown
    assert "<svg" not in page and "Records read: 0" in page


def test_the_markdown_reads_at_80_columns() -> None:
    """Prose wraps in any viewer; tables are what must stay narrow: the fixed ones fit 80 columns."""
    markdown = report_markdown(sample_report())
    for line in markdown.splitlines():
        if line.startswith("| ") and "A-" not in line and "p " not in line:
            assert len(line) <= 80, line
