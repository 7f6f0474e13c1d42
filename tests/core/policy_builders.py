"""Small builders for core tests: a realistic policy and issues, overridable field by field."""

from __future__ import annotations

import copy
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from escalator.core.issue import EscalationState, IssueSnapshot
from escalator.core.policy import Policy

BERLIN = ZoneInfo("Europe/Berlin")
NEW_YORK = ZoneInfo("America/New_York")

BASE_POLICY: dict[str, Any] = {
    "name": "support",
    "version": "7",
    "scope": "project in (SUP, OPS) AND statusCategory != Done",
    "priorities": ["Lowest", "Low", "Medium", "High", "Highest"],
    "calendars": [
        {
            "name": "berlin-office",
            "timezone": "Europe/Berlin",
            "working_hours": [{"start": "09:00", "end": "17:00"}],
            "holidays": {"country": "DE", "subdivision": "BY", "dates": ["2026-12-24", "2026-12-31"]},
        },
        {
            "name": "ops-24x7",
            "timezone": "UTC",
            "working_days": ["mon", "tue", "wed", "thu", "fri", "sat", "sun"],
            "working_hours": [{"start": "00:00", "end": "24:00"}],
        },
    ],
    "default_calendar": "berlin-office",
    "exempt": {"labels": ["no-escalation"], "issue_types": ["Epic"], "statuses": ["Waiting for customer"]},
    "categories": [
        {
            "name": "outage",
            "match": {"projects": ["OPS"], "labels": ["outage"]},
            "calendar": "ops-24x7",
            "levels": [
                {"name": "L1", "window": "30m", "owners": ["alice"], "priority": {"set": "High"}},
                {"name": "L2", "window": "1h", "owners": ["bob"], "priority": {"raise": 1}},
                {"name": "L3", "window": "2h", "owners": ["carol"], "notify": {"reporter": True}},
            ],
        },
        {
            "name": "support",
            "match": {"projects": ["SUP"]},
            "unassigned_window": "1h",
            "levels": [
                {"name": "L1", "window": "4h", "owners": ["dave"]},
                {"name": "L2", "window": "1d", "owners": ["frank", "erin"], "labels": ["escalated"]},
                {"name": "L3", "window": "2d", "owners": ["grace"], "priority": {"raise": 2}},
            ],
        },
    ],
}


def make_policy(**overrides: Any) -> Policy:
    data = copy.deepcopy(BASE_POLICY)
    data.update(overrides)
    return Policy.model_validate(data)


def make_issue(key: str = "SUP-1", **overrides: Any) -> IssueSnapshot:
    data: dict[str, Any] = {
        "key": key,
        "project": key.split("-")[0],
        "issue_type": "Task",
        "status": "To Do",
        "status_category": "new",
        "priority": "Medium",
        "assignee": "someone",
        "reporter": "rita",
        "created": datetime(2026, 11, 16, 9, 0, tzinfo=BERLIN),  # a Monday
    }
    data.update(overrides)
    return IssueSnapshot.model_validate(data)


def state(**overrides: Any) -> EscalationState:
    data: dict[str, Any] = {
        "policy": "support",
        "policy_version": "7",
        "category": "support",
        "level": "L1",
        "level_index": 1,
        "at": datetime(2026, 11, 16, 13, 0, tzinfo=BERLIN),
        "first_at": datetime(2026, 11, 16, 13, 0, tzinfo=BERLIN),
        "assignee_set": "dave",
        "priority_set": "Medium",
    }
    data.update(overrides)
    return EscalationState.model_validate(data)
