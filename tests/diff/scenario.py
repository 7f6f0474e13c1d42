"""The policy change every diff test previews, the git repository holding its two commits, and the backlog.

Base (commit 1) -> head (commit 2) changes three things:
- the outage level L1 is owned by acc-carol instead of acc-alice (an owner change);
- the incident category moves above the outage category (a category reorder);
- the incident L1 window grows from 4h to 6h of office time (Friday 17:00 -> Monday 11:00: across a weekend).
"""

from __future__ import annotations

import subprocess
from datetime import UTC, datetime, timedelta
from pathlib import Path

NOW = datetime(2026, 11, 20, 15, 0, tzinfo=UTC)  # a Friday
FRI_1330 = NOW - timedelta(minutes=90)
AT = NOW.isoformat()

BASE_POLICY = """\
name: preview-matrix
version: "1"
scope: project = PRV AND statusCategory != Done
priorities: [Lowest, Low, Medium, High, Highest]
calendars:
  - {name: office, timezone: UTC, working_hours: [{start: "09:00", end: "17:00"}]}
  - name: always
    timezone: UTC
    working_days: [mon, tue, wed, thu, fri, sat, sun]
    working_hours: [{start: "00:00", end: "24:00"}]
default_calendar: office
categories:
  - name: outage
    match: {projects: [PRV], labels: [outage]}
    calendar: always
    levels:
      - {name: L1, window: 1h, owners: [acc-alice]}
      - {name: L2, window: 2h, owners: [acc-bob]}
  - name: incident
    match: {projects: [PRV], issue_types: [Incident]}
    levels:
      - {name: L1, window: 4h, owners: [acc-alice]}
  - name: prv-default
    match: {projects: [PRV]}
    levels:
      - {name: L1, window: 1d, owners: [acc-alice]}
"""

HEAD_POLICY = (
    BASE_POLICY.replace('version: "1"', 'version: "2"')
    .replace("{name: L1, window: 1h, owners: [acc-alice]}", "{name: L1, window: 1h, owners: [acc-carol]}")
    .replace("{name: L1, window: 4h, owners: [acc-alice]}", "{name: L1, window: 6h, owners: [acc-alice]}")
)
_OUTAGE = HEAD_POLICY[HEAD_POLICY.index("  - name: outage") : HEAD_POLICY.index("  - name: incident")]
_INCIDENT = HEAD_POLICY[HEAD_POLICY.index("  - name: incident") : HEAD_POLICY.index("  - name: prv-default")]
HEAD_POLICY = HEAD_POLICY.replace(_OUTAGE + _INCIDENT, _INCIDENT + _OUTAGE)

BROKEN_POLICY = BASE_POLICY.replace("window: 4h", "window: 4 hrs")

ISSUES = [
    # an outage Bug, 90 min old on a 24x7 calendar: L1 due on both sides, to acc-alice, then to acc-carol
    {"key": "PRV-1", "issuetype": "Bug", "labels": ["outage"], "created": FRI_1330},
    # an outage Incident: outage first at base (escalates), incident first at head (1.5h of 6h, not due)
    {"key": "PRV-2", "issuetype": "Incident", "labels": ["outage"], "created": FRI_1330},
    # an Incident 2h old: L1 due Friday 17:00 at base, Monday 11:00 at head
    {"key": "PRV-3", "issuetype": "Incident", "created": datetime(2026, 11, 20, 13, 0, tzinfo=UTC)},
    # a Task a working day old: escalates the same on both sides
    {"key": "PRV-4", "issuetype": "Task", "created": datetime(2026, 11, 19, 9, 0, tzinfo=UTC)},
    # a fresh Task: not due on either side
    {"key": "PRV-5", "issuetype": "Task", "created": datetime(2026, 11, 20, 14, 0, tzinfo=UTC)},
]
EXPECTED = {
    "PRV-1": ["owner_changed"],
    "PRV-2": ["no_longer_escalated", "category_changed"],
    "PRV-3": ["timing_changed"],
}


def git(repo: Path, *args: str) -> str:
    done = subprocess.run(
        ["git", "-c", "user.name=Policy Owner", "-c", "user.email=owner@example.com", *args],
        cwd=repo,
        capture_output=True,
        text=True,
        check=True,
    )
    return done.stdout


def policy_repo(root: Path, head_policy: str = HEAD_POLICY) -> Path:
    """A repository with the base policy on ``main`` and the change on branch ``change`` (checked out)."""
    repo = root / "repo"
    (repo / "policies").mkdir(parents=True)
    git(repo, "init", "-q", "-b", "main")
    (repo / "policies" / "preview.yaml").write_text(BASE_POLICY)
    git(repo, "add", "policies")
    git(repo, "commit", "-q", "-m", "base policy")
    git(repo, "checkout", "-q", "-b", "change")
    (repo / "policies" / "preview.yaml").write_text(head_policy)
    git(repo, "commit", "-q", "-am", "change the policy")
    return repo
