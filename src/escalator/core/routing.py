"""Owners that stand for several people: ``rotation:NAME`` (whoever is on call) and ``group:NAME`` (a Jira group,
one member picked ``first``, ``round_robin`` or ``least_loaded``), expanded into the people to try, in order.

The policy declares rotations and groups; Jira's side (each group's members, each person's open issues in the
policy's scope) comes in as a ``Roster`` the sweep reads once per run. Every pick is a function of the data and
the instant, never of a counter kept between runs, so a dry run names the same people as the live run after it:
``round_robin`` deals by the issue's number (consecutive issues go to consecutive members) and ``least_loaded``
takes the fewest open issues, ties by id, counting the escalations the plan has made so far.
"""

from __future__ import annotations

import re
import zlib
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Literal

from pydantic import BaseModel, ConfigDict, Field

from escalator.core.rotation import OnCall, Rotation, on_call

if TYPE_CHECKING:
    from escalator.core.decision import Plan
    from escalator.core.issue import IssueSnapshot

__all__ = [
    "GROUP_PREFIX",
    "ROTATION_PREFIX",
    "Candidate",
    "Group",
    "Pick",
    "Roster",
    "Routing",
    "counts_workload",
    "in_issue_order",
    "issue_order",
    "people_behind",
    "reference_problems",
    "workload",
]

ROTATION_PREFIX = "rotation:"
GROUP_PREFIX = "group:"
Pick = Literal["first", "round_robin", "least_loaded"]
_NUMBER = re.compile(r"-(\d+)$")


class Group(BaseModel):
    """A Jira group whose members may own a level, and how one of them is picked."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    name: str = Field(min_length=1, max_length=255, description="the Jira group's name, e.g. support-l2")
    pick: Pick = Field(
        default="first",
        description="first: the first member in Jira's order; round_robin: issue number modulo the members; "
        "least_loaded: the fewest open issues assigned in the policy's scope, ties by id",
    )


@dataclass(frozen=True)
class Roster:
    """What Jira says about people for one sweep: the members of each group the policy names, in Jira's order
    (inactive ones too; the sweep's inactive users say who they are), and how many open issues in the policy's
    scope each person has assigned."""

    groups: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    workload: Mapping[str, int] = field(default_factory=dict)

    def after(self, plan: Plan) -> Roster:
        """The roster once ``plan``'s escalations have moved their issues: for the next batch of the sweep."""
        load = Counter(self.workload)
        for decision in plan.escalations:
            if decision.actions is not None:
                _move(load, decision.actions.assignee_from, decision.actions.assignee_to)
        return Roster(self.groups, dict(load))


def people_behind(
    owner: str, rotations: Iterable[Rotation], groups: Mapping[str, tuple[str, ...]] | None = None
) -> frozenset[str]:
    """Everyone ``owner`` may stand for: a rotation's members and override owners, a group's members (when
    ``groups`` says who they are), or the person named."""
    if owner.startswith(ROTATION_PREFIX):
        name = owner.removeprefix(ROTATION_PREFIX)
        return frozenset(p for r in rotations if r.name == name for p in (*r.members, *(o.owner for o in r.overrides)))
    if owner.startswith(GROUP_PREFIX):
        return frozenset((groups or {}).get(owner.removeprefix(GROUP_PREFIX), ()))
    return frozenset((owner,))


def counts_workload(groups: Iterable[Group]) -> bool:
    """Whether a pick counts open issues: the sweep then reads the whole scope, young issues too."""
    return any(group.pick == "least_loaded" for group in groups)


def workload(issues: Iterable[IssueSnapshot]) -> dict[str, int]:
    """Open (not done) issues per assignee, from the issues a sweep read."""
    return dict(Counter(i.assignee for i in issues if i.assignee is not None and i.status_category != "done"))


@dataclass(frozen=True)
class Candidate:
    """A person to try for a level owner, and how they were reached (None for an owner named directly)."""

    person: str
    source: str | None = None
    why: str | None = None


class Routing:
    """Expands a level's owners for one evaluation (one policy, one instant, one roster). It keeps the running
    workload, so ``least_loaded`` spreads the issues of one plan; the caller decides issues in key order."""

    def __init__(self, rotations: Iterable[Rotation], groups: Iterable[Group], roster: Roster, now: datetime) -> None:
        self._rotations = {r.name: r for r in rotations}
        self._groups = {g.name: g for g in groups}
        self._roster = roster
        self._load = Counter(roster.workload)
        self._now = now
        self._on_call: dict[str, OnCall] = {}

    def candidates(self, owner: str, issue_key: str) -> tuple[tuple[Candidate, ...], str | None]:
        """The people ``owner`` stands for, in the order to try, and why there are none when there are none."""
        if owner.startswith(ROTATION_PREFIX):
            return self._rotation(owner.removeprefix(ROTATION_PREFIX))
        if owner.startswith(GROUP_PREFIX):
            return self._group(owner.removeprefix(GROUP_PREFIX), issue_key)
        return (Candidate(owner),), None

    def assigned(self, before: str | None, after: str) -> None:
        """An escalation of this plan moved an issue from ``before`` to ``after``."""
        _move(self._load, before, after)

    def on_call(self, name: str) -> OnCall:
        if name not in self._on_call:
            self._on_call[name] = on_call(self._rotations[name], self._now)
        return self._on_call[name]

    def _rotation(self, name: str) -> tuple[tuple[Candidate, ...], str | None]:
        found = self.on_call(name)
        if not found.order:
            return (), found.why
        source = f"rotation {name}"
        first = Candidate(found.order[0], source, found.why)
        rest = (Candidate(p, source, f"next in rotation {name} after {found.order[0]}") for p in found.order[1:])
        return (first, *rest), None

    def _group(self, name: str, issue_key: str) -> tuple[tuple[Candidate, ...], str | None]:
        members = self._roster.groups.get(name)
        if not members:
            return (), f"group {name} has no members{'' if members is not None else ' known (not read from Jira)'}"
        pick = self._groups[name].pick
        source = f"group {name}"
        if pick == "first":
            return tuple(Candidate(m, source, f"first of group {name} in Jira's order") for m in members), None
        if pick == "round_robin":
            number = _issue_number(issue_key)
            start = number % len(members)
            why = (
                f"round robin in group {name}: issue number {number} modulo {len(members)} members "
                f"is member {start + 1}"
            )
            dealt = members[start:] + members[:start]
            return tuple(
                Candidate(m, source, why if i == 0 else f"next in group {name}") for i, m in enumerate(dealt)
            ), None
        ranked = sorted(members, key=lambda m: (self._load[m], m))
        loads = ", ".join(f"{m} {self._load[m]}" for m in ranked)
        return tuple(
            Candidate(
                m,
                source,
                f"least loaded in group {name} of the members who can take it: {self._load[m]} open "
                f"issues (all: {loads})",
            )
            for m in ranked
        ), None


def reference_problems(
    rotations: tuple[Rotation, ...], groups: tuple[Group, ...], owners: Iterable[tuple[tuple[str | int, ...], str]]
) -> list[tuple[tuple[str | int, ...], str]]:
    """Rotations and groups defined twice, and owners naming one that is not defined, each with its location."""
    problems: list[tuple[tuple[str | int, ...], str]] = []
    for kind, names in (("rotations", [r.name for r in rotations]), ("groups", [g.name for g in groups])):
        for index, name in enumerate(names):
            if name in names[:index]:
                problems.append(((kind, index, "name"), f"{kind[:-1]} {name!r} is defined twice"))
    known = {ROTATION_PREFIX: {r.name for r in rotations}, GROUP_PREFIX: {g.name for g in groups}}
    for location, owner in owners:
        for prefix, kind in ((ROTATION_PREFIX, "rotations"), (GROUP_PREFIX, "groups")):
            name = owner.removeprefix(prefix)
            if owner.startswith(prefix) and name not in known[prefix]:
                defined = ", ".join(sorted(known[prefix])) or "none"
                problems.append((location, f"{kind[:-1]} {name!r} is not defined under '{kind}' (defined: {defined})"))
    return problems


def issue_order(key: str) -> tuple[str, int, str]:
    """Issues in the order Jira numbers them (``OPS-99`` before ``OPS-100``): the order a plan's escalations
    count towards ``least_loaded``."""
    found = _NUMBER.search(key)
    return (key[: found.start()], int(found.group(1)), key) if found else (key, -1, key)


def in_issue_order(issues: Iterable[IssueSnapshot]) -> list[IssueSnapshot]:
    """The issues in ``issue_order``, each once (the first read kept, as pages that shifted may repeat one)."""
    first: dict[str, IssueSnapshot] = {}
    for issue in issues:
        first.setdefault(issue.key, issue)
    return sorted(first.values(), key=lambda issue: issue_order(issue.key))


def _issue_number(key: str) -> int:
    """The number of ``OPS-42`` (42): consecutive issues of a project go to consecutive members."""
    found = _NUMBER.search(key)
    return int(found.group(1)) if found else zlib.crc32(key.encode())


def _move(load: Counter[str], before: str | None, after: str) -> None:
    if before is not None and load[before] > 0:
        load[before] -= 1
    load[after] += 1
