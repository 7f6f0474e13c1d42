"""Who changed an issue: escalator's own changes are not a person's; settings errors never echo secrets."""

from __future__ import annotations

from typing import Any

import pytest

from escalator.jira.errors import JiraConfigError
from escalator.jira.settings import JiraSettings
from escalator.jira.snapshot import snapshot_from_json


def issue_json(histories: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        "key": "OPS-1",
        "fields": {
            "project": {"key": "OPS"},
            "issuetype": {"name": "Incident"},
            "status": {"name": "To Do", "statusCategory": {"key": "new"}},
            "priority": {"name": "High"},
            "assignee": {"accountId": "acc-bob"},
            "created": "2026-11-16T09:00:00.000+0000",
            "updated": "2026-11-17T12:00:00.000+0000",
        },
        "changelog": {"total": len(histories), "histories": histories},
    }


def change(author: str, at: str, field: str) -> dict[str, Any]:
    return {"author": {"accountId": author}, "created": at, "items": [{"field": field, "fieldId": field}]}


def test_a_persons_change_is_told_apart_from_escalators_own() -> None:
    raw = issue_json(
        [
            change("acc-escalator", "2026-11-17T10:00:00.000+0000", "assignee"),
            change("acc-carol", "2026-11-17T11:00:00.000+0000", "priority"),
            change("acc-escalator", "2026-11-17T12:00:00.000+0000", "assignee"),
        ]
    )
    snapshot = snapshot_from_json(raw, "cloud", (), acting_user="acc-escalator")
    assert snapshot.state_problem is None
    assert [c.at.hour for c in snapshot.escalator_changes] == [10, 12]  # escalator's own, for rebuilding a state
    assert snapshot.assignee_changed_at is not None and snapshot.assignee_changed_at.hour == 12
    assert snapshot.human_changed_at is not None and snapshot.human_changed_at.hour == 11


def test_without_knowing_escalators_account_no_change_is_called_human() -> None:
    raw = issue_json([change("acc-carol", "2026-11-17T11:00:00.000+0000", "assignee")])
    snapshot = snapshot_from_json(raw, "cloud", ())
    assert snapshot.human_changed_at is None and snapshot.assignee_changed_at is not None


def test_a_truncated_changelog_tells_nothing() -> None:
    raw = issue_json([change("acc-carol", "2026-11-17T11:00:00.000+0000", "assignee")])
    raw["changelog"]["total"] = 150
    snapshot = snapshot_from_json(raw, "cloud", (), acting_user="acc-escalator")
    assert snapshot.human_changed_at is None and snapshot.assignee_changed_at is None


def test_settings_from_a_block_never_echo_a_secret() -> None:
    with pytest.raises(JiraConfigError) as caught:
        JiraSettings.from_mapping({"url": "https://x", "pat": "SUPERSECRET", "email": "a@b"}, "Secret block 'jira'")
    assert "SUPERSECRET" not in str(caught.value) and "Secret block 'jira'" in str(caught.value)
    with pytest.raises(JiraConfigError) as caught:
        JiraSettings.from_mapping({"url": "https://x", "pat": "SUPERSECRET", "tokn": "SUPERSECRET"}, "block")
    assert "SUPERSECRET" not in str(caught.value)


def test_settings_from_a_secret_accept_json_text_or_an_object_and_say_what_is_wrong() -> None:
    text = '{"url": "https://x.example", "pat": "SUPERSECRET"}'
    assert JiraSettings.from_secret(text, "Secret block 'jira'").auth_kind == "bearer"
    assert JiraSettings.from_secret({"url": "https://x.example", "pat": "p"}, "block").auth_kind == "bearer"
    with pytest.raises(JiraConfigError, match="does not hold JSON settings"):
        JiraSettings.from_secret("SUPERSECRET not json", "Secret block 'jira'")
    with pytest.raises(JiraConfigError, match="must hold a JSON object"):
        JiraSettings.from_secret('["SUPERSECRET"]', "Secret block 'jira'")
