"""A backlog on file: the open issues in the scopes of some policies, as the core sees them (``IssueSnapshot``
with the escalation state), plus the users Jira reported inactive, taken read-only from Jira.

``escalator policy diff --snapshot FILE`` evaluates two versions of a policy against it offline (in CI), and the
sandbox loads it (``escalator sandbox start --load FILE``) to rehearse against the same backlog. A snapshot
holds no credentials and no Jira URL. ``pseudonymise`` replaces the people a policy does not name with stable
pseudonyms, so the file can be shared while owners still match the policy.

Taking a snapshot runs the preflight (reads) and the search (reads); it never constructs a writer.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Iterable, Sequence
from datetime import datetime
from pathlib import Path
from typing import Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, ValidationError

from escalator.core.issue import IssueSnapshot
from escalator.core.policy import Policy
from escalator.core.routing import Roster, workload
from escalator.jira.adapter import JiraAdapter

__all__ = [
    "SNAPSHOT_FORMAT",
    "Backlog",
    "Snapshot",
    "SnapshotError",
    "SnapshotScope",
    "people_named",
    "pseudonymise",
    "read_snapshot",
    "take_snapshot",
    "write_snapshot",
]

SNAPSHOT_FORMAT: Literal["escalator-snapshot"] = "escalator-snapshot"


class SnapshotError(Exception):
    """A snapshot file that cannot be read or is not a snapshot."""


class SnapshotScope(BaseModel):
    """One scope JQL, the policies that had it when the snapshot was taken, and the issues it matched."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    scope: str
    policies: tuple[str, ...]
    issue_keys: tuple[str, ...]


class Snapshot(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    format: Literal["escalator-snapshot"] = SNAPSHOT_FORMAT
    format_version: Literal[1, 2] = 2
    """2: issues carry their status history (``status_changes``, ``status_history_since``), for paused clocks"""
    taken_at: AwareDatetime
    deployment: Literal["cloud", "server"] | None = None
    pseudonymised: bool = False
    scopes: tuple[SnapshotScope, ...]
    people_named: tuple[str, ...] = ()
    """the people the policies name (owners, notified users): a sandbox loading the snapshot creates them"""
    inactive_users: tuple[str, ...] = ()
    groups: dict[str, tuple[str, ...]] = {}
    """the members of the groups the policies name, in Jira's order, as read when the snapshot was taken"""
    problems: tuple[str, ...] = ()
    """data problems found while reading (e.g. an unreadable escalation state), one line each"""
    issues: tuple[IssueSnapshot, ...]


class Backlog:
    """The issues of a snapshot by scope, for evaluating policies against it."""

    def __init__(self, snapshot: Snapshot) -> None:
        self.snapshot = snapshot
        self._issues = {issue.key: issue for issue in snapshot.issues}

    @property
    def inactive_users(self) -> frozenset[str]:
        return frozenset(self.snapshot.inactive_users)

    def roster(self, issues: Iterable[IssueSnapshot]) -> Roster:
        """The snapshot's group members, and the workload of ``issues`` (one policy's scope)."""
        return Roster(self.snapshot.groups, workload(issues))

    def issues_in(self, policy: Policy) -> list[IssueSnapshot] | None:
        """The issues in ``policy``'s scope as the snapshot recorded them; None when the snapshot does not
        hold that scope (its issues are unknown: another scope's issues are never used in its place)."""
        match = next((s for s in self.snapshot.scopes if s.scope == policy.scope), None)
        if match is None:
            return None
        return [self._issues[key] for key in match.issue_keys if key in self._issues]


def take_snapshot(jira: JiraAdapter, policies: Sequence[Policy], now: datetime) -> Snapshot:
    """Read-only: the preflight of every policy (for inactive users), then every distinct scope, page by
    page. A failed read raises (``JiraError``); it never becomes an empty backlog."""
    inactive: set[str] = set()
    groups: dict[str, tuple[str, ...]] = {}
    for policy in policies:
        report = jira.preflight(policy, writes=False)  # also tells the adapter who escalator is
        inactive |= report.inactive_users
        groups.update(report.groups)
    by_scope: dict[str, list[Policy]] = {}
    for policy in policies:
        by_scope.setdefault(policy.scope, []).append(policy)
    issues: dict[str, IssueSnapshot] = {}
    scopes: list[SnapshotScope] = []
    problems: list[str] = []
    for scope, owners in by_scope.items():
        fields = frozenset().union(*(p.fields_read() for p in owners))
        keys: dict[str, None] = {}  # ordered, and an issue seen on two pages once
        for page in jira.search_pages(scope, custom_fields=fields):
            for issue in page.issues:
                keys[issue.key] = None
                issues[issue.key] = _merge_fields(issues.get(issue.key), issue)
            problems.extend(f"{p.issue_key}: {p.problem}" for p in page.problems)
        scopes.append(SnapshotScope(scope=scope, policies=tuple(p.name for p in owners), issue_keys=tuple(keys)))
    return Snapshot(
        taken_at=now,
        deployment=jira.deployment,
        scopes=tuple(scopes),
        people_named=tuple(sorted(people_named(policies))),
        inactive_users=tuple(sorted(inactive)),
        groups=groups,
        problems=tuple(problems),
        issues=tuple(issues.values()),
    )


def _merge_fields(earlier: IssueSnapshot | None, later: IssueSnapshot) -> IssueSnapshot:
    """An issue read under two scopes keeps the custom fields of both reads."""
    if earlier is None:
        return later
    return later.model_copy(update={"fields": {**earlier.fields, **later.fields}})


def people_named(policies: Iterable[Policy]) -> frozenset[str]:
    """Everyone a policy names (owners, notified users, unavailable owners): kept as they are."""
    named: set[str] = set()
    for policy in policies:
        named |= policy.all_owners()
        named |= {entry.owner for entry in policy.unavailable}
    return frozenset(named)


def pseudonymise(snapshot: Snapshot, keep: frozenset[str], key: bytes) -> Snapshot:
    """Replace every person not in ``keep`` by ``person-<keyed hash>``: the same person gets the same
    pseudonym everywhere in the snapshot (assignee, reporter, the state's ``assignee_set``, inactive users)
    and in every snapshot taken with the same ``key``."""

    def alias(person: str | None) -> str | None:
        if person is None or person in keep:
            return person
        return "person-" + hmac.new(key, person.encode(), hashlib.sha256).hexdigest()[:12]

    issues = []
    for issue in snapshot.issues:
        state = issue.state
        if state is not None:
            state = state.model_copy(update={"assignee_set": alias(state.assignee_set)})
        issues.append(
            issue.model_copy(
                update={"assignee": alias(issue.assignee), "reporter": alias(issue.reporter), "state": state}
            )
        )
    inactive = tuple(sorted(a for a in (alias(p) for p in snapshot.inactive_users) if a is not None))
    groups = {name: tuple(str(alias(m)) for m in members) for name, members in snapshot.groups.items()}
    update = {"issues": tuple(issues), "inactive_users": inactive, "groups": groups, "pseudonymised": True}
    return snapshot.model_copy(update=update)


def write_snapshot(path: Path, snapshot: Snapshot) -> None:
    path.write_text(snapshot.model_dump_json(indent=1) + "\n")


def read_snapshot(path: Path) -> Snapshot:
    try:
        text = path.read_text()
    except OSError as error:
        raise SnapshotError(f"{path}: cannot read the file: {error.strerror}") from None
    try:
        document = json.loads(text)
    except json.JSONDecodeError as error:
        raise SnapshotError(f"{path}:{error.lineno}: not JSON: {error.msg}") from None
    if not isinstance(document, dict) or document.get("format") != SNAPSHOT_FORMAT:
        raise SnapshotError(f'{path}: not an escalator snapshot (no "format": "{SNAPSHOT_FORMAT}")')
    try:
        snapshot = Snapshot.model_validate(document)
    except ValidationError as error:
        first = error.errors()[0]
        where = ".".join(str(part) for part in first["loc"])
        raise SnapshotError(f"{path}: {where}: {first['msg']} ({error.error_count()} problems)") from None
    return snapshot if snapshot.format_version > 1 else _without_status_history(snapshot)


def _without_status_history(snapshot: Snapshot) -> Snapshot:
    """A format 1 snapshot was taken without status histories: each issue's status is known only since its last
    update, so a paused clock counts the time before as paused rather than guess it ran."""
    issues = tuple(
        issue.model_copy(update={"status_history_since": issue.updated or snapshot.taken_at})
        for issue in snapshot.issues
    )
    return snapshot.model_copy(update={"issues": issues})
