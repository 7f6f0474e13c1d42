"""Reading the changelog only where it can change a decision gives the plan the whole changelog gives.

The property: for any issues (Jira's JSON, with changelogs by people and by escalator's own account, stored states
trusted, impossible or unreadable) and any instant, a plan from the issues read without their changelog, those that
``HistoryNeed`` picks completed with their whole changelog (``history_fields``, as the sweep does after the bulk
read), equals the plan from every issue read with its whole changelog (``plan_differences``: not-due decisions
about issues left without their history may name another clock, nothing else may differ). The premise: escalator's
own changes show on an issue only with its state property there (or unreadable); a deleted state is the one case
found later, shown by its own test below.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from escalator.core import evaluate
from escalator.core.history_need import HistoryNeed
from escalator.core.issue import IssueSnapshot
from escalator.jira.snapshot import history_fields, snapshot_from_json
from escalator.sweep.histories import plan_differences, unread_history
from tests.core.policy_builders import BERLIN, make_policy

ESCALATOR = "escalator-bot"
PEOPLE = ["dave", "erin", "frank", "grace", "alice", "bob", "mallory"]
LADDER = ["Lowest", "Low", "Medium", "High", "Highest"]
POLICIES = {
    "restart": make_policy(cooldown="1h", escalation_deadline="5d"),
    "stop": make_policy(on_human_change="stop"),
    "pause": make_policy(pause_statuses=["Waiting for customer"], escalation_deadline="5d"),
}
STATUSES = ["To Do", "In Progress", "Waiting for customer"]
START = datetime(2026, 11, 2, 0, 0, tzinfo=BERLIN)


def jira_time(moment: datetime) -> str:
    return moment.isoformat(timespec="milliseconds")


@st.composite
def histories(draw: st.DrawFn, created: datetime, now: datetime, escalator: bool) -> list[dict[str, Any]]:
    """Changes between creation and now, oldest first, by people and (``escalator``) by escalator's own account."""
    found: list[dict[str, Any]] = []
    at = created
    for number in range(draw(st.integers(0, 6))):
        at += timedelta(minutes=draw(st.one_of(st.integers(1, 40), st.integers(1, 60 * 24 * 4))))
        if at > now:
            break
        author = draw(st.sampled_from([*PEOPLE, ESCALATOR] if escalator else PEOPLE))
        items: list[dict[str, Any]] = []
        for field in draw(
            st.lists(
                st.sampled_from(["assignee", "priority", "assignee", "priority", "labels", "status"]),
                min_size=1,
                max_size=3,
                unique=True,
            )
        ):
            if field == "assignee":
                to = draw(st.sampled_from([*PEOPLE, None]))
                items.append({"field": "assignee", "fieldId": "assignee", "from": None, "to": to, "toString": to})
            elif field == "priority":
                name = draw(st.sampled_from(LADDER))
                items.append({"field": "priority", "fieldId": "priority", "from": "3", "to": "4", "toString": name})
            elif field == "labels":
                added = draw(st.sampled_from(["escalated", "outage", "vip"]))
                items.append({"field": "labels", "fieldId": "labels", "fromString": "", "toString": added})
            else:
                before, after = draw(st.sampled_from(STATUSES)), draw(st.sampled_from(STATUSES))
                items.append({"field": "status", "fieldId": "status", "fromString": before, "toString": after})
        found.append({"id": str(number + 1), "author": {"accountId": author}, "created": jira_time(at), "items": items})
    return found


@st.composite
def raw_issues(draw: st.DrawFn, number: int, now: datetime) -> dict[str, Any]:
    """An issue of any kind, or (one in two) an open outage never escalated, within two hours of its 30-minute
    window: where a person's change decides whether it is due."""
    focused = draw(st.booleans())
    project = "OPS" if focused else draw(st.sampled_from(["SUP", "OPS", "OPS", "ENG"]))
    ages = st.one_of(st.integers(0, 120), st.integers(0, 60 * 24 * 3), st.integers(0, 60 * 24 * 40))
    created = now - timedelta(minutes=draw(st.integers(0, 150) if focused else ages))
    kind = "none" if focused else draw(st.sampled_from(["none", "none", "none", "trusted", "unreadable"]))
    changes = draw(histories(created, now, escalator=kind != "none"))
    properties: dict[str, Any] = {}
    if kind == "trusted":
        level = draw(st.integers(1, 3))
        at = min(now, created + timedelta(minutes=draw(st.one_of(st.integers(0, 90), st.integers(0, 60 * 24 * 12)))))
        properties["escalator.state"] = {
            "policy": "support",
            "policy_version": "7",
            "category": draw(st.sampled_from(["support", "outage", "gone"])),
            "level": f"L{level}",
            "level_index": level,
            "at": at.isoformat(),
            "first_at": at.isoformat(),
            "assignee_set": draw(st.sampled_from(PEOPLE)),
            "priority_set": draw(st.sampled_from([*LADDER, None])),
        }
    elif kind == "unreadable":
        properties["escalator.state"] = {"v": 9}
    states = [
        ("To Do", "new"),
        ("To Do", "new"),
        ("In Progress", "indeterminate"),
        ("Waiting for customer", "indeterminate"),
        ("Done", "done"),
    ]
    status, category = ("To Do", "new") if focused else draw(st.sampled_from(states))
    assignee = draw(st.sampled_from([*PEOPLE, None]))
    priority = draw(st.sampled_from([*LADDER, None]))
    updated = max([created] + [datetime.fromisoformat(h["created"]) for h in changes])
    fields = {
        "project": {"key": project},
        "issuetype": {"name": "Task" if focused else draw(st.sampled_from(["Task", "Task", "Task", "Epic"]))},
        "status": {"name": status, "statusCategory": {"key": category}},
        "priority": None if priority is None else {"name": priority},
        "assignee": None if assignee is None else {"accountId": assignee},
        "reporter": None,
        "labels": (["outage"] if focused or draw(st.booleans()) else [])
        + draw(st.sampled_from([[], [], ["vip"], ["vip"], ["no-escalation"]])),
        "components": [],
        "created": jira_time(created),
        "updated": jira_time(updated + timedelta(minutes=draw(st.integers(0, 600)))),
    }
    key = f"{project}-{number}"
    return {"id": str(10000 + number), "key": key, "fields": fields, "properties": properties, "histories": changes}


def whole(raw: dict[str, Any]) -> IssueSnapshot:
    changelog = {
        "startAt": 0,
        "maxResults": len(raw["histories"]),
        "total": len(raw["histories"]),
        "histories": raw["histories"],
    }
    return snapshot_from_json({**raw, "changelog": changelog}, "cloud", acting_user=ESCALATOR)


def selective(raw: dict[str, Any], need: HistoryNeed) -> tuple[IssueSnapshot, bool]:
    bare = snapshot_from_json(raw, "cloud", acting_user=ESCALATOR)  # read without the changelog
    if not need.needs(bare):
        return unread_history(bare, need), False
    changelog = {"histories": raw["histories"], "total": len(raw["histories"])}  # as the bulk read gives it
    return bare.model_copy(update=history_fields(changelog, "cloud", ESCALATOR)), True


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data(), policy_name=st.sampled_from(sorted(POLICIES)), later=st.integers(0, 60 * 24 * 50))
def test_the_selective_read_decides_as_the_whole_changelog(data: st.DataObject, policy_name: str, later: int) -> None:
    policy = POLICIES[policy_name]
    now = START + timedelta(minutes=later)
    numbers = data.draw(st.lists(st.integers(0, 10**6), min_size=1, max_size=12, unique=True))
    raws = [data.draw(raw_issues(number, now)) for number in numbers]
    need = HistoryNeed(policy, now)
    read = [selective(raw, need) for raw in raws]
    fetched = {issue.key for issue, was_fetched in read if was_fetched}
    full_plan = evaluate([whole(raw) for raw in raws], policy, now, inactive_users={"frank"})
    selective_plan = evaluate([issue for issue, _ in read], policy, now, inactive_users={"frank"})
    assert plan_differences(full_plan, selective_plan, fetched) == []


def test_an_issue_that_cannot_be_due_needs_no_history_and_one_that_can_does() -> None:
    policy = POLICIES["restart"]
    created = datetime(2026, 11, 16, 9, 0, tzinfo=BERLIN)  # a Monday; SUP's shortest window: 1h unassigned
    bare = snapshot_from_json(
        {
            "key": "SUP-1",
            "fields": {
                "project": {"key": "SUP"},
                "issuetype": {"name": "Task"},
                "status": {"name": "To Do"},
                "assignee": None,
                "created": jira_time(created),
            },
        },
        "cloud",
    )
    assert not HistoryNeed(policy, created + timedelta(minutes=59)).needs(bare)
    assert HistoryNeed(policy, created + timedelta(minutes=61)).needs(bare)
    assert not HistoryNeed(policy, created + timedelta(days=3)).needs(
        bare.model_copy(update={"status_category": "done"})
    )
    night = datetime(2026, 11, 16, 18, 0, tzinfo=BERLIN)  # after hours: no working time passes until Tuesday 9:00
    late = bare.model_copy(update={"created": night})
    assert not HistoryNeed(policy, night + timedelta(hours=14)).needs(late)


def test_a_deleted_state_is_found_once_the_issue_could_be_due() -> None:
    """Escalator's changes on an issue without its state, made under a shorter window than its category has now
    (20 minutes after creation; SUP's shortest window is 1h): the whole changelog rebuilds the state (a data
    problem); read without it, the issue is decided as never escalated until it could be due, then from its history.
    (Escalated under this policy, it would have been due then, so old enough to need its history now.)"""
    policy = POLICIES["restart"]
    created = datetime(2026, 11, 16, 9, 0, tzinfo=BERLIN)
    escalated = created + timedelta(minutes=20)
    raw = {
        "id": "10001",
        "key": "SUP-7",
        "fields": {
            "project": {"key": "SUP"},
            "issuetype": {"name": "Task"},
            "status": {"name": "To Do", "statusCategory": {"key": "new"}},
            "assignee": {"accountId": "frank"},
            "labels": ["escalated"],
            "created": jira_time(created),
        },
        "histories": [
            {
                "id": "1",
                "author": {"accountId": ESCALATOR},
                "created": jira_time(escalated),
                "items": [
                    {"field": "assignee", "fieldId": "assignee", "to": "frank"},
                    {"field": "labels", "fieldId": "labels", "fromString": "", "toString": "escalated"},
                ],
            }
        ],
    }
    early = created + timedelta(minutes=30)  # younger than SUP's shortest window (1h): no history read
    issue, fetched = selective(raw, HistoryNeed(policy, early))
    assert not fetched
    assert evaluate([whole(raw)], policy, early).decisions[0].data_problem is not None
    assert evaluate([issue], policy, early).decisions[0].data_problem is None
    later = created + timedelta(hours=2)
    issue, fetched = selective(raw, HistoryNeed(policy, later))
    assert fetched
    assert evaluate([issue], policy, later) == evaluate([whole(raw)], policy, later)


def test_a_pause_in_the_window_is_read_from_the_bulk_changelog() -> None:
    """An outage that waited for the customer most of its window: due without the pause, not due with it. Read
    selectively it could be due, so its whole changelog (status changes included) is read and the pause counts."""
    policy = POLICIES["pause"]
    created = datetime(2026, 11, 16, 9, 0, tzinfo=BERLIN)  # a Monday
    now = created + timedelta(hours=5)

    def moved(minutes: int, before: str, after: str) -> dict[str, Any]:
        item = {"field": "status", "fieldId": "status", "fromString": before, "toString": after}
        return {
            "id": str(minutes),
            "author": {"accountId": "dave"},
            "created": jira_time(created + timedelta(minutes=minutes)),
            "items": [item],
        }

    raw = {
        "id": "10001",
        "key": "OPS-1",
        "fields": {
            "project": {"key": "OPS"},
            "issuetype": {"name": "Task"},
            "status": {"name": "To Do", "statusCategory": {"key": "new"}},
            "assignee": None,
            "labels": ["outage"],
            "created": jira_time(created),
            "updated": jira_time(now),
        },
        "properties": {},
        "histories": [moved(5, "To Do", "Waiting for customer"), moved(290, "Waiting for customer", "To Do")],
    }
    issue, fetched = selective(raw, HistoryNeed(policy, now))
    assert fetched and len(issue.status_changes) == 2 and issue.status_history_since is None
    (decision,) = evaluate([issue], policy, now).decisions
    assert decision.reason_code == "not_due" and decision.paused == timedelta(hours=4, minutes=45)
    assert evaluate([issue], policy, now) == evaluate([whole(raw)], policy, now)
