"""JQL evaluation against a small, hand-made set of issues in SQLite: which issues each query matches,
Jira's empty-value rules, relative dates, functions, ORDER BY, and 400s for unknown fields and values."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest

from jira_sandbox import jiratime
from jira_sandbox.errors import JiraApiError
from jira_sandbox.issue_seeds import ChangeItemSeed, ChangeSeed, CommentSeed, IssueSeed, insert_seeds
from jira_sandbox.jql import TranslationContext, parse, translate
from jira_sandbox.seed import install_base, install_organisation
from jira_sandbox.settings import SandboxSettings
from jira_sandbox.store import Store

NOW = datetime(2026, 6, 10, 12, 0, tzinfo=UTC)  # a Wednesday


def ago(**delta: float) -> datetime:
    return NOW - timedelta(**delta)


ISSUES = [
    IssueSeed(
        key="OPS-1",
        issuetype="Incident",
        summary="Database down",
        status="To Do",
        priority="Highest",
        assignee="alice",
        labels=["outage", "customer-impact"],
        components=["database"],
        created=ago(hours=3),
        custom_fields={"customfield_10010": "S1", "customfield_10011": 250},
    ),
    IssueSeed(
        key="OPS-2",
        issuetype="Bug",
        summary="Network flaps",
        status="In Progress",
        priority="High",
        assignee="bob",
        labels=["degraded"],
        components=["network"],
        created=ago(days=3),
        duedate=(NOW - timedelta(days=1)).date(),
    ),
    IssueSeed(
        key="OPS-3",
        issuetype="Incident",
        summary="Payments slow",
        status="Done",
        priority="Medium",
        assignee=None,
        components=["payments"],
        created=ago(days=10),
        resolutiondate=ago(days=2),
        comments=[CommentSeed(author="carol", body="root cause: disk full", created=ago(days=9))],
    ),
    IssueSeed(
        key="SUP-1",
        issuetype="Support Request",
        summary="Cannot log in",
        status="To Do",
        priority="Low",
        assignee=None,
        labels=["vip"],
        components=["accounts"],
        created=ago(days=20),
        description="customer says the disk is fine",
    ),
    IssueSeed(
        key="SUP-2",
        issuetype="Task",
        summary="Refund",
        status="To Do",
        priority=None,
        assignee="frank",
        components=["billing"],
        created=ago(weeks=5),
        changelog=[
            ChangeSeed(
                author="erin",
                created=ago(weeks=4),
                items=[ChangeItemSeed(field="assignee", **{"from": None, "to": "frank"})],
            )
        ],
    ),
    IssueSeed(
        key="ENG-1",
        issuetype="Story",
        summary="Add metrics",
        status="In Progress",
        priority="Lowest",
        assignee="grace",
        created=ago(hours=30),
        reporter="heidi",
    ),
]


@pytest.fixture(scope="module")
def store() -> Iterator[Store]:
    store = Store()
    with store.transaction() as db:
        install_base(db, SandboxSettings())
        install_organisation(db)
        insert_seeds(db, ISSUES, jiratime.from_datetime(NOW))
    yield store
    store.close()


def keys(store: Store, jql: str, user: str | None = "acc-alice") -> list[str]:
    with store.transaction() as db:
        sql, params = translate(parse(jql), TranslationContext(db, jiratime.from_datetime(NOW), user)).select_ids()
        ids = [row[0] for row in db.execute(sql, params)]
        by_id = {row["id"]: row["key"] for row in db.execute("SELECT id, key FROM issues")}
    return [by_id[i] for i in ids]


def matched(store: Store, jql: str) -> set[str]:
    return set(keys(store, jql))


@pytest.mark.parametrize(
    ("jql", "expected"),
    [
        ("project = OPS", {"OPS-1", "OPS-2", "OPS-3"}),
        ("project in (SUP, ENG)", {"SUP-1", "SUP-2", "ENG-1"}),
        ("project != OPS", {"SUP-1", "SUP-2", "ENG-1"}),
        ("project = 'Operations'", {"OPS-1", "OPS-2", "OPS-3"}),
        ("key = OPS-2", {"OPS-2"}),
        ("key in (OPS-1, SUP-2)", {"OPS-1", "SUP-2"}),
        ("key > OPS-1 and key <= OPS-3", {"OPS-2", "OPS-3"}),
        ("issuetype = Incident", {"OPS-1", "OPS-3"}),
        ("type in (Story, Task)", {"SUP-2", "ENG-1"}),
        ("status = 'In Progress'", {"OPS-2", "ENG-1"}),
        ("status != 'To Do'", {"OPS-2", "OPS-3", "ENG-1"}),
        ("statusCategory = Done", {"OPS-3"}),
        ("statusCategory in (new, indeterminate)", {"OPS-1", "OPS-2", "SUP-1", "SUP-2", "ENG-1"}),
        ("statusCategory != 'To Do' AND project = OPS", {"OPS-2", "OPS-3"}),
        ("resolution = Unresolved", {"OPS-1", "OPS-2", "SUP-1", "SUP-2", "ENG-1"}),
        ("resolution is not empty", {"OPS-3"}),
        ("resolution = Done", {"OPS-3"}),
        ("priority = High", {"OPS-2"}),
        ("priority > Medium", {"OPS-1", "OPS-2"}),
        ("priority >= Medium", {"OPS-1", "OPS-2", "OPS-3"}),
        ("priority < Medium", {"SUP-1", "ENG-1"}),
        ("priority <= Low", {"SUP-1", "ENG-1"}),
        ("priority is EMPTY", {"SUP-2"}),
        ("priority != High", {"OPS-1", "OPS-3", "SUP-1", "ENG-1"}),  # empty priority never matches !=
        ("priority in (1, 2)", {"OPS-1", "OPS-2"}),
        ("assignee = alice", {"OPS-1"}),
        ("assignee = acc-bob", {"OPS-2"}),
        ("assignee = 'grace@example.com'", {"ENG-1"}),
        ("assignee is EMPTY", {"OPS-3", "SUP-1"}),
        ("assignee = EMPTY", {"OPS-3", "SUP-1"}),
        ("assignee is not empty", {"OPS-1", "OPS-2", "SUP-2", "ENG-1"}),
        ("assignee != alice", {"OPS-2", "SUP-2", "ENG-1"}),  # unassigned issues never match !=
        ("assignee not in (alice, bob)", {"SUP-2", "ENG-1"}),
        ("assignee in (alice, EMPTY)", {"OPS-1", "OPS-3", "SUP-1"}),
        ("assignee = currentUser()", {"OPS-1"}),
        ("assignee in membersOf('ops')", {"OPS-1", "OPS-2"}),
        ("assignee in membersOf(support)", {"SUP-2"}),
        ("reporter = heidi", {"ENG-1"}),
        ("labels = outage", {"OPS-1"}),
        ("labels in (outage, vip)", {"OPS-1", "SUP-1"}),
        ("labels = OUTAGE", {"OPS-1"}),
        ("labels != outage", {"OPS-2", "SUP-1"}),  # issues without labels never match !=
        ("labels not in (outage, degraded)", {"SUP-1"}),
        ("labels is EMPTY", {"OPS-3", "SUP-2", "ENG-1"}),
        ("labels is not EMPTY", {"OPS-1", "OPS-2", "SUP-1"}),
        ("labels in (vip, EMPTY)", {"OPS-3", "SUP-1", "SUP-2", "ENG-1"}),
        ("component = database", {"OPS-1"}),
        ("component in (billing, accounts)", {"SUP-1", "SUP-2"}),
        ("component is EMPTY", {"ENG-1"}),
        ("created >= -1d", {"OPS-1"}),
        ("created < -4d", {"OPS-3", "SUP-1", "SUP-2"}),
        ("created > -2d", {"OPS-1", "ENG-1"}),
        ("created >= -48h", {"OPS-1", "ENG-1"}),
        ("created <= -1w", {"OPS-3", "SUP-1", "SUP-2"}),
        ("NOT created >= -1d", {"OPS-2", "OPS-3", "SUP-1", "SUP-2", "ENG-1"}),
        ("created >= -4d AND created < -1d AND project = OPS", {"OPS-2"}),
        ("created >= -1d OR updated > -1w AND project = ENG", {"OPS-1", "ENG-1"}),
        ("created < '-4w 2d'", {"SUP-2"}),
        ("created >= startOfDay()", {"OPS-1"}),
        ("created >= startOfDay(-1d)", {"OPS-1", "ENG-1"}),
        ("created > startOfWeek()", {"OPS-1", "OPS-2", "ENG-1"}),  # weeks start on Sunday
        ("created >= startOfMonth()", {"OPS-1", "OPS-2", "ENG-1"}),
        ("created < endOfDay()", {"OPS-1", "OPS-2", "OPS-3", "SUP-1", "SUP-2", "ENG-1"}),
        ("created <= now()", {"OPS-1", "OPS-2", "OPS-3", "SUP-1", "SUP-2", "ENG-1"}),
        ("created >= '2026-06-01'", {"OPS-1", "OPS-2", "ENG-1"}),
        ("created < '2026/05/22 00:00'", {"SUP-1", "SUP-2"}),
        ("createdDate > -1d", {"OPS-1"}),
        ("updated > -1w", {"OPS-1", "OPS-2", "ENG-1"}),
        ("resolutiondate > -3d", {"OPS-3"}),
        ("resolved is empty and project = OPS", {"OPS-1", "OPS-2"}),
        ("duedate < now()", {"OPS-2"}),
        ("due is not empty", {"OPS-2"}),
        ("summary ~ 'network'", {"OPS-2"}),
        ("summary ~ 'data*'", {"OPS-1"}),
        ("summary !~ down AND project = OPS", {"OPS-2", "OPS-3"}),
        ("description ~ disk", {"SUP-1"}),
        ("comment ~ 'root cause'", {"OPS-3"}),
        ("text ~ disk", {"OPS-3", "SUP-1"}),
        ("cf[10010] = S1", {"OPS-1"}),
        ("customfield_10010 ~ S", {"OPS-1"}),
        ("cf[10011] > 100", {"OPS-1"}),
        ("cf[10011] is empty and project = OPS", {"OPS-2", "OPS-3"}),
        ("Severity = S1", {"OPS-1"}),
        ("project = OPS AND (priority = Highest OR status = Done)", {"OPS-1", "OPS-3"}),
        ("project = OPS AND NOT priority = Highest", {"OPS-2", "OPS-3"}),
        ("NOT assignee = alice AND project = OPS", {"OPS-2", "OPS-3"}),  # NOT keeps empty values
        ("not (project = OPS or project = SUP)", {"ENG-1"}),
        ("", {"OPS-1", "OPS-2", "OPS-3", "SUP-1", "SUP-2", "ENG-1"}),
    ],
)
def test_query_matches(store: Store, jql: str, expected: set[str]) -> None:
    assert matched(store, jql) == expected


def test_currentuser_without_user_matches_nothing(store: Store) -> None:
    assert keys(store, "assignee = currentUser()", user=None) == []


@pytest.mark.parametrize(
    ("jql", "expected"),
    [
        ("project = OPS ORDER BY priority DESC", ["OPS-1", "OPS-2", "OPS-3"]),
        ("project = OPS ORDER BY priority ASC", ["OPS-3", "OPS-2", "OPS-1"]),
        ("project = OPS ORDER BY created", ["OPS-3", "OPS-2", "OPS-1"]),
        ("project = OPS ORDER BY created DESC", ["OPS-1", "OPS-2", "OPS-3"]),
        ("project in (OPS, SUP) ORDER BY key", ["OPS-1", "OPS-2", "OPS-3", "SUP-1", "SUP-2"]),
        ("project = SUP ORDER BY priority DESC", ["SUP-1", "SUP-2"]),  # no priority sorts as the lowest
        ("project = OPS ORDER BY duedate ASC, key DESC", ["OPS-2", "OPS-3", "OPS-1"]),
        ("project = OPS ORDER BY assignee ASC", ["OPS-1", "OPS-2", "OPS-3"]),
        ("project = OPS", ["OPS-3", "OPS-2", "OPS-1"]),  # no ORDER BY: newest issue first
    ],
)
def test_order_by(store: Store, jql: str, expected: list[str]) -> None:
    assert keys(store, jql) == expected


@pytest.mark.parametrize(
    ("jql", "message"),
    [
        ("foo = bar", "Field 'foo' does not exist or you do not have permission to view it."),
        ("cf[99999] = 1", "Field 'cf[99999]' does not exist"),
        ("project = NOPE", "The value 'NOPE' does not exist for the field 'project'."),
        ("status = Frozen", "The value 'Frozen' does not exist for the field 'status'."),
        ("priority in (High, Urgent)", "The value 'Urgent' does not exist for the field 'priority'."),
        ("assignee = nobody", "The value 'nobody' does not exist for the field 'assignee'."),
        ("issuetype = Epicish", "does not exist for the field 'issuetype'"),
        ("component = toaster", "does not exist for the field 'component'"),
        ("statusCategory = Sideways", "does not exist for the field 'statusCategory'"),
        ("labels > x", "The operator '>' is not supported by the 'labels' field."),
        ("summary = x", "The operator '=' is not supported by the 'summary' field."),
        ("status ~ Done", "The operator '~' is not supported by the 'status' field."),
        ("created > yesterday", "Date value 'yesterday' for field 'created' is invalid."),
        ("created > startOfCentury()", "Unable to find JQL function 'startOfCentury()'"),
        ("assignee in membersOf(nogroup)", "the group does not exist"),
        ("key = 12abc", "The issue key '12abc' for field 'key' is invalid."),
        ("key = OPS-999", "An issue with key 'OPS-999' does not exist for field 'key'."),
        ("project = OPS ORDER BY labels", "Field 'labels' does not support sorting."),
        ("cf[10011] > many", "is not a valid number"),
    ],
)
def test_bad_values_are_400(store: Store, jql: str, message: str) -> None:
    with pytest.raises(JiraApiError) as raised:
        keys(store, jql)
    assert raised.value.status == 400
    assert message in raised.value.messages[0]
