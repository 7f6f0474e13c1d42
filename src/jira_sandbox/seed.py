"""The seeder: installs the demo organisation (`demo.py`) and generates issues deterministically from
an RNG seed, relative to an explicit `now`: ages spread over six weeks, assignees (a share unassigned),
priorities, labels, components, custom fields, comments and a changelog per issue. Bulk inserts, so
20,000 issues take seconds.
"""

from __future__ import annotations

import random
import sqlite3
from dataclasses import dataclass

from jira_sandbox import catalog, demo, jiratime
from jira_sandbox.issues import ChangeItem, ChangeRecord, NewIssue, insert_changes, insert_issues
from jira_sandbox.settings import SandboxSettings
from jira_sandbox.users import User, save_user

_PRIORITY_WEIGHTS = (8, 20, 45, 20, 7)  # Highest..Lowest, percent
_SUMMARIES = {
    "OPS": (
        "{c} latency above SLO",
        "{c} errors spiking",
        "{c} node unreachable",
        "Disk filling up on {c} host",
        "Certificate expiring for {c}",
        "{c} failover did not complete",
        "Alert storm from {c} monitoring",
    ),
    "SUP": (
        "Customer cannot log in ({c})",
        "Refund not processed ({c})",
        "Invoice shows wrong amount ({c})",
        "App crashes on start ({c})",
        "Password reset email missing ({c})",
        "Account locked ({c})",
    ),
    "ENG": (
        "Flaky test in {c}",
        "Upgrade dependency in {c}",
        "Slow query in {c}",
        "Add metrics to {c}",
        "Refactor {c} module",
        "Regression in {c} after release",
    ),
}


@dataclass(frozen=True)
class SeedReport:
    issues: int
    changes: int
    comments: int


def admin_user(settings: SandboxSettings) -> User:
    return User(
        account_id=settings.admin_account_id,
        name=settings.admin_name,
        display_name="Sandbox Admin",
        email=settings.admin_email,
        token=settings.admin_token,
        is_admin=True,
    )


def install_base(db: sqlite3.Connection, settings: SandboxSettings) -> None:
    """What every sandbox has, seeded or not: Jira's default schemes and the admin user."""
    catalog.install_defaults(db)
    save_user(db, admin_user(settings), demo.ADMIN.groups)


def install_organisation(db: sqlite3.Connection) -> None:
    """The demo users, groups, projects, components and custom fields (idempotent)."""
    for member in demo.USERS:
        if member is not demo.ADMIN:
            save_user(db, member.user, member.groups)
    for project in demo.PROJECTS:
        project_id = catalog.ensure_project(db, project.key, project.name, project.lead.account_id)
        for component in project.components:
            catalog.ensure_component(db, project_id, component)
    catalog.ensure_custom_field(db, demo.SEVERITY_FIELD_ID, "Severity", "string")
    catalog.ensure_custom_field(db, demo.AFFECTED_CUSTOMERS_FIELD_ID, "Affected customers", "number")


def _item(db_names: dict[str, dict[int, str]], field: str, table: str, old: int | None, new: int) -> ChangeItem:
    names = db_names[table]
    return ChangeItem(field, None if old is None else str(old), names.get(old or -1), str(new), names[new])


def seed_issues(
    db: sqlite3.Connection, count: int, *, rng_seed: int = demo.DEMO_RNG_SEED, now: int | None = None
) -> SeedReport:
    """Generate `count` issues in the demo organisation (installing it first)."""
    install_organisation(db)
    now = jiratime.now_ms() if now is None else now
    rng = random.Random(rng_seed)
    names = {
        table: {row["id"]: row["name"] for row in db.execute(f"SELECT id, name FROM {table}")}
        for table in ("priorities", "statuses", "resolutions")
    }
    status_by_name = {name: sid for sid, name in names["statuses"].items()}
    todo, progress, done = (status_by_name[name] for name in demo.STATUSES)
    resolution_done = catalog.find_id(db, "resolutions", "Done")
    projects = {p.key: catalog.find_project_id(db, p.key) for p in demo.PROJECTS}
    type_ids = {name: catalog.ensure_issue_type(db, name) for p in demo.PROJECTS for name in p.issue_types}
    component_ids = {
        (p.key, c): catalog.ensure_component(db, projects[p.key] or 0, c) for p in demo.PROJECTS for c in p.components
    }
    # Issues are reported and changed by people; the admin account is the one escalator runs as in demos and
    # tests, so it never appears as a person here (its changes would be read as escalator's own).
    reporters = [u for u in demo.USERS if u.user.active and u is not demo.ADMIN]
    span = demo.DEMO_SPAN_DAYS * jiratime.MS_PER_DAY
    new_issues: list[NewIssue] = []
    histories: list[list[tuple[str | None, int, tuple[ChangeItem, ...]]]] = []
    comment_plan: list[list[tuple[str, str, int]]] = []
    for _ in range(count):
        project = rng.choices(demo.PROJECTS, weights=[p.share for p in demo.PROJECTS])[0]
        age = int(span * (rng.random() ** 1.3))  # more recent issues than old ones
        created = now - age - rng.randrange(jiratime.MS_PER_HOUR)
        priority = rng.choices(range(1, 6), weights=_PRIORITY_WEIGHTS)[0]
        component = rng.choice(project.components)
        labels = sorted({label for label in project.labels if rng.random() < 0.18})
        if project is demo.OPS and priority <= 2 and rng.random() < 0.5:
            labels = sorted({*labels, "outage"})
        reporter = rng.choice(reporters).account_id
        roll = rng.random()
        status = todo if roll < 0.55 else progress if roll < 0.8 else done
        assignee = None if (status == todo and rng.random() < 0.55) else rng.choice(project.assignees).account_id
        events: list[tuple[str | None, int, tuple[ChangeItem, ...]]] = []
        moment = created
        if assignee is not None:
            moment += rng.randrange(5, 6 * 60) * jiratime.MS_PER_MINUTE
            events.append((reporter, moment, (ChangeItem("assignee", None, None, assignee, None),)))
        if rng.random() < 0.2:
            old_priority = min(5, priority + 1)
            if old_priority != priority:
                moment += rng.randrange(10, 24 * 60) * jiratime.MS_PER_MINUTE
                events.append((reporter, moment, (_item(names, "priority", "priorities", old_priority, priority),)))
        if status in (progress, done):
            moment += rng.randrange(30, 3 * 24 * 60) * jiratime.MS_PER_MINUTE
            events.append((assignee, moment, (_item(names, "status", "statuses", todo, progress),)))
        resolution_date = None
        if status == done:
            moment += rng.randrange(60, 5 * 24 * 60) * jiratime.MS_PER_MINUTE
            resolution_date = min(moment, now - jiratime.MS_PER_MINUTE)
            events.append(
                (
                    assignee,
                    resolution_date,
                    (
                        _item(names, "status", "statuses", progress, done),
                        _item(names, "resolution", "resolutions", None, resolution_done or 10000),
                    ),
                )
            )
        events = [(author, min(when, now - jiratime.MS_PER_MINUTE), items) for author, when, items in events]
        comments: list[tuple[str, str, int]] = []
        for _ in range(rng.choice((0, 0, 0, 1, 1, 2))):
            comments.append(
                (
                    rng.choice(reporters).account_id,
                    "Looking into it.",
                    min(now, created + rng.randrange(span // 4 + 1)),
                )
            )
        last = max([created, *(when for _, when, _ in events), *(when for _, _, when in comments)])
        custom: dict[int, str | float] = {}
        if project is demo.OPS:
            custom[demo.SEVERITY_FIELD_ID] = f"S{min(4, priority)}"
        if "customer-impact" in labels:
            custom[demo.AFFECTED_CUSTOMERS_FIELD_ID] = float(rng.randrange(1, 500))
        new_issues.append(
            NewIssue(
                project_id=projects[project.key] or 0,
                issue_type_id=type_ids[rng.choice(project.issue_types)],
                summary=rng.choice(_SUMMARIES[project.key]).format(c=component),
                description=f"Reported via the demo seeder ({project.name}).",
                status_id=status,
                resolution_id=resolution_done if status == done else None,
                resolution_date=resolution_date,
                priority_id=priority,
                assignee=assignee,
                reporter=reporter,
                created=created,
                updated=last,
                due_date=(jiratime.start_of_day(created) + 14 * jiratime.MS_PER_DAY) if rng.random() < 0.25 else None,
                labels=labels,
                component_ids=[component_ids[(project.key, component)]],
                custom_values=custom,
            )
        )
        histories.append(events)
        comment_plan.append(comments)
    created_issues = insert_issues(db, new_issues)
    display = {
        row["account_id"]: row["display_name"] for row in db.execute("SELECT account_id, display_name FROM users")
    }
    records: list[ChangeRecord] = []
    comment_rows: list[tuple[int, str, str, int, int]] = []
    for (issue_id, _), events, comments in zip(created_issues, histories, comment_plan, strict=True):
        for author, when, items in events:
            fixed = tuple(
                ChangeItem(i.field, i.from_value, i.from_string, i.to_value, display.get(i.to_value or ""))
                if i.field == "assignee"
                else i
                for i in items
            )
            records.append(ChangeRecord(issue_id, author, when, fixed))
        comment_rows.extend((issue_id, author, body, when, when) for author, body, when in comments)
    insert_changes(db, records)
    db.executemany(
        "INSERT INTO comments (issue_id, author, body, created, updated) VALUES (?, ?, ?, ?, ?)", comment_rows
    )
    return SeedReport(len(created_issues), len(records), len(comment_rows))


def seed_demo(db: sqlite3.Connection, now: int | None = None) -> SeedReport:
    """The documented demo organisation: 300 issues over the last six weeks."""
    return seed_issues(db, demo.DEMO_ISSUE_COUNT, rng_seed=demo.DEMO_RNG_SEED, now=now)
