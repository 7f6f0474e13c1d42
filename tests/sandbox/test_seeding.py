"""Seeding: the demo organisation is deterministic and shaped as documented, 20,000 issues take
seconds, issues can be placed at explicit ages with past changelogs, and JSON exports load."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta

import requests

from jira_sandbox import demo, jiratime
from jira_sandbox.jira_export import import_export
from jira_sandbox.seed import install_base, seed_demo, seed_issues
from jira_sandbox.settings import SandboxSettings
from jira_sandbox.store import Store
from jira_sandbox.testing import Sandbox, running_sandbox

NOW = jiratime.from_datetime(datetime(2026, 6, 1, tzinfo=UTC))


def fresh_store() -> Store:
    store = Store()
    with store.transaction() as db:
        install_base(db, SandboxSettings())
    return store


def snapshot(store: Store) -> list[tuple[object, ...]]:
    with store.transaction() as db:
        issues = [tuple(row) for row in db.execute("SELECT * FROM issues ORDER BY id")]
        items = [tuple(row) for row in db.execute("SELECT * FROM change_items ORDER BY change_id, seq")]
    return issues + items


def test_demo_is_deterministic_for_a_given_now() -> None:
    first, second = fresh_store(), fresh_store()
    with first.transaction() as db:
        seed_demo(db, now=NOW)
    with second.transaction() as db:
        seed_demo(db, now=NOW)
    assert snapshot(first) == snapshot(second)


def test_demo_organisation_shape() -> None:
    store = fresh_store()
    with store.transaction() as db:
        report = seed_demo(db, now=NOW)
        assert report.issues == demo.DEMO_ISSUE_COUNT
        projects = {row["key"] for row in db.execute("SELECT key FROM projects")}
        assert projects == {"OPS", "SUP", "ENG"}
        oldest = db.execute("SELECT MIN(created) FROM issues").fetchone()[0]
        assert NOW - oldest <= (demo.DEMO_SPAN_DAYS + 1) * jiratime.MS_PER_DAY
        unassigned = db.execute("SELECT COUNT(*) FROM issues WHERE assignee IS NULL").fetchone()[0]
        assert 0.15 * report.issues < unassigned < 0.5 * report.issues
        done = db.execute("SELECT COUNT(*) FROM issues WHERE resolution_id IS NOT NULL").fetchone()[0]
        assert done > 20
        labelled = {row[0] for row in db.execute("SELECT DISTINCT label FROM issue_labels")}
        assert {"outage", "customer-impact"} <= labelled
        types = {
            row[0]
            for row in db.execute(
                "SELECT DISTINCT t.name FROM issues i JOIN issue_types t ON t.id = i.issue_type_id"
                " JOIN projects p ON p.id = i.project_id WHERE p.key = 'OPS'"
            )
        }
        assert types == {"Incident", "Bug"}
        frank = db.execute("SELECT active FROM users WHERE name = 'frank'").fetchone()[0]
        assert frank == 0
        assert db.execute("SELECT COUNT(*) FROM changes").fetchone()[0] > report.issues / 2


def test_twenty_thousand_issues_take_seconds() -> None:
    store = fresh_store()
    started = time.perf_counter()
    with store.transaction() as db:
        report = seed_issues(db, 20_000, now=NOW)
    elapsed = time.perf_counter() - started
    assert report.issues == 20_000
    assert elapsed < 10, f"seeding 20,000 issues took {elapsed:.1f}s"


def test_issues_at_explicit_ages_with_past_changelog(cloud: Sandbox) -> None:
    created = datetime.now(UTC) - timedelta(days=3)
    escalated = created + timedelta(hours=5)
    key = cloud.add_issue(
        project="OPS",
        issuetype="Incident",
        summary="aged",
        priority="High",
        assignee="bob",
        labels=["outage"],
        created=created,
        properties={"escalator.state": {"level": 1}},
        changelog=[
            {"author": "admin", "created": escalated, "items": [{"field": "assignee", "from": "alice", "to": "bob"}]},
            {
                "author": "carol",
                "created": escalated + timedelta(hours=1),
                "items": [{"field": "priority", "from": "Medium", "to": "High"}],
            },
        ],
    )
    jira = cloud.jira()
    issue = jira.issue(key, expand="changelog", properties="escalator.state")
    assert issue.fields.created == jiratime.format_jira(jiratime.from_datetime(created))
    assert issue.fields.updated == jiratime.format_jira(jiratime.from_datetime(escalated + timedelta(hours=1)))
    first, second = issue.changelog.histories
    assert (first.author.accountId, first.items[0].fromString, first.items[0].to) == (
        "acc-admin",
        "Alice Adams",
        "acc-bob",
    )
    assert (second.author.displayName, second.items[0].toString) == ("Carol Chen", "High")
    assert issue.raw["properties"] == {"escalator.state": {"level": 1}}
    assert [i.key for i in jira.search_issues(f"key = {key} AND created < -2d AND updated < -1d")] == [key]


def test_admin_seed_and_issues_endpoints() -> None:
    with running_sandbox(mode="server") as sandbox:
        admin = f"{sandbox.url}/_sandbox"
        assert (
            requests.post(f"{admin}/seed", json={"issues": 50, "rng_seed": 7}, auth=sandbox.auth, timeout=30).json()[
                "issues"
            ]
            == 50
        )
        body = [{"key": "OPS-900", "summary": "explicit", "created": "2026-01-01T00:00:00Z", "assignee": "dave"}]
        assert requests.post(f"{admin}/issues", json=body, auth=sandbox.auth, timeout=10).json() == {
            "keys": ["OPS-900"]
        }
        issue = sandbox.jira().issue("OPS-900")
        assert issue.fields.created == "2026-01-01T00:00:00.000+0000"
        assert issue.fields.assignee.name == "dave"


def test_load_a_jira_search_export() -> None:
    export = {
        "issues": [
            {
                "key": "ACME-7",
                "fields": {
                    "project": {"key": "ACME", "name": "Acme"},
                    "summary": "Imported incident",
                    "issuetype": {"name": "Incident"},
                    "status": {"name": "Triage", "statusCategory": {"key": "indeterminate"}},
                    "priority": {"name": "Blocker"},
                    "assignee": {
                        "accountId": "5b10ac8d82e05b22cc7d4ef5",
                        "displayName": "Real Person",
                        "emailAddress": "rp@acme.test",
                    },
                    "labels": ["outage"],
                    "components": [{"name": "edge"}],
                    "created": "2025-12-01T10:00:00.000+0000",
                    "updated": "2025-12-02T10:00:00.000+0000",
                },
                "changelog": {
                    "histories": [
                        {
                            "author": {"accountId": "5b10ac8d82e05b22cc7d4ef5", "displayName": "Real Person"},
                            "created": "2025-12-01T11:00:00.000+0000",
                            "items": [
                                {
                                    "field": "assignee",
                                    "fieldtype": "jira",
                                    "from": None,
                                    "fromString": None,
                                    "to": "5b10ac8d82e05b22cc7d4ef5",
                                    "toString": "Real Person",
                                }
                            ],
                        }
                    ]
                },
            }
        ]
    }
    store = fresh_store()
    with store.transaction() as db:
        assert import_export(db, export, NOW) == ["ACME-7"]
    runtime_store = store
    with runtime_store.transaction() as db:
        row = db.execute("SELECT * FROM issues WHERE key = 'ACME-7'").fetchone()
        assert row["assignee"] == "5b10ac8d82e05b22cc7d4ef5"
        assert row["created"] == jiratime.parse_instant("2025-12-01T10:00:00.000+0000")
        assert db.execute("SELECT COUNT(*) FROM changes WHERE issue_id = ?", (row["id"],)).fetchone()[0] == 1
