"""Jira JSON -> IssueSnapshot, without a server: the edge cases the sandbox does not produce."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from escalator.jira import JiraUnexpectedResponse
from escalator.jira.snapshot import MAX_DISPLAY_NAME, display_names, parse_jira_time, snapshot_from_json


def raw(**fields: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "project": {"key": "OPS"},
        "issuetype": {"name": "Bug"},
        "status": {"name": "To Do", "statusCategory": {"key": "new"}},
        "priority": None,
        "assignee": {"accountId": "acc-a", "name": "a"},
        "reporter": None,
        "labels": [],
        "components": [],
        "created": "2026-11-01T09:30:00.000+0000",
        "updated": "2026-11-02T09:30:00.000+0100",
    }
    return {"key": "OPS-1", "fields": {**base, **fields}}


def test_people_by_deployment() -> None:
    assert snapshot_from_json(raw(), "cloud").assignee == "acc-a"
    assert snapshot_from_json(raw(), "server").assignee == "a"


def test_times() -> None:
    issue = snapshot_from_json(raw(), "cloud")
    assert issue.created == datetime(2026, 11, 1, 9, 30, tzinfo=UTC)
    assert issue.updated == datetime(2026, 11, 2, 8, 30, tzinfo=UTC)
    assert parse_jira_time("2026-11-01T09:30:00+00:00") == datetime(2026, 11, 1, 9, 30, tzinfo=UTC)


def test_custom_field_shapes() -> None:
    issue = snapshot_from_json(
        raw(
            customfield_1={"value": "EU", "id": "10"},
            customfield_2=[{"value": "a"}, {"value": "b"}],
            customfield_3=4.5,
            customfield_4=None,
            customfield_5=["x", "y"],
        ),
        "cloud",
        ["customfield_1", "customfield_2", "customfield_3", "customfield_4", "customfield_5", "customfield_6"],
    )
    assert issue.fields == {
        "customfield_1": "EU",
        "customfield_2": ("a", "b"),
        "customfield_3": 4.5,
        "customfield_4": None,
        "customfield_5": ("x", "y"),
        "customfield_6": None,
    }


def history(at: str, field: str) -> dict[str, Any]:
    return {"created": at, "items": [{"field": field, "fieldId": field}]}


def test_changelog_times_and_truncation() -> None:
    entries = [history("2026-11-01T10:00:00.000+0000", "assignee"), history("2026-11-01T12:00:00.000+0000", "status")]
    complete = {**raw(), "changelog": {"total": 2, "histories": entries}}
    issue = snapshot_from_json(complete, "cloud")
    assert issue.assignee_changed_at == datetime(2026, 11, 1, 10, tzinfo=UTC)
    assert issue.priority_changed_at is None
    truncated = {**raw(), "changelog": {"total": 150, "histories": entries}}
    issue = snapshot_from_json(truncated, "cloud")
    assert issue.assignee_changed_at is None  # the core falls back to `updated`, never earlier than the truth


@pytest.mark.parametrize("value", [{"level": 1}, "text", [1, 2], {"schema_version": 99, "policy": "p"}])
def test_unreadable_state_is_a_problem_not_a_crash(value: Any) -> None:
    issue = snapshot_from_json({**raw(), "properties": {"escalator.state": value}}, "cloud")
    assert issue.state is None
    assert issue.state_problem is not None and "escalation state" in issue.state_problem


def test_an_issue_without_created_is_an_unexpected_response() -> None:
    broken = raw()
    del broken["fields"]["created"]
    with pytest.raises(JiraUnexpectedResponse, match="OPS-1"):
        snapshot_from_json(broken, "cloud")
    with pytest.raises(JiraUnexpectedResponse):
        snapshot_from_json({"id": "1"}, "cloud")


def test_display_names_are_read_by_the_id_escalator_uses_and_never_trusted_blindly() -> None:
    fields = {
        "assignee": {"accountId": "acc-erin", "name": "erin", "displayName": "Erin Example"},
        "reporter": {"accountId": "acc-x", "name": "x", "displayName": "X" * 10_000},
    }
    assert display_names(fields, "cloud") == {"acc-erin": "Erin Example", "acc-x": "X" * MAX_DISPLAY_NAME}
    assert display_names(fields, "server")["erin"] == "Erin Example"
    hostile = {
        "assignee": {"accountId": ["acc-erin"], "displayName": "Erin"},
        "reporter": {"accountId": "r", "displayName": 7},
    }
    assert display_names(hostile, "cloud") == {}
    assert display_names({"assignee": None, "reporter": "text"}, "cloud") == {}
