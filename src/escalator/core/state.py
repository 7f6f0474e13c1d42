"""The escalation state the rules may trust: the stored one when it is possible for this issue and policy, else one
rebuilt from escalator's own changes in the changelog.

Any Jira user who may edit an issue may write its ``escalator.state`` property. The adapter reads its form (and
its MAC when a state key is configured); here it is checked against what the property cannot change: the issue's
creation time, the sweep's instant, the policy's categories and levels, and escalator's own entries in the
changelog (only Jira writes the changelog). A state that fails is not used, and the decision says why
(``StateInUse.problem``), so the sweep records a data problem for the issue and goes on with the others.

Rebuilding never sends an issue back down and never silences it: the level is the highest that escalator's own
changes point to (the labels it added, else the owner it last assigned), and the clock restarts at escalator's last
change, which is a real time in the past. When escalator's changes cannot tell the level, the issue is taken to
be at the first level (it was escalated at least once), so it moves up when that window runs out. A level's
owners are people, a rotation's members, or a Jira group's members: the caller hands in the members of each group
(read once per run), as the core reads nothing from Jira.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta

from escalator.core.issue import EscalationState, EscalatorChange, IssueSnapshot
from escalator.core.matching import matches
from escalator.core.policy import Category, Level, Policy
from escalator.core.routing import people_behind

__all__ = ["CLOCK_SKEW", "REPLAY_MARGIN", "StateInUse", "state_in_use"]

CLOCK_SKEW = timedelta(minutes=5)
"""How far escalator's clock and Jira's may disagree: a state's times may run this far ahead of the sweep."""

REPLAY_MARGIN = timedelta(minutes=30)
"""A state older than escalator's last change in the changelog by more than this (a sweep's writes land after the
instant it judged at) is an earlier state put back: it would make escalator repeat an escalation."""


@dataclass(frozen=True)
class StateInUse:
    """The state the rules go by, and why it is not the stored one (None when it is)."""

    state: EscalationState | None
    problem: str | None = None


_NO_STATE = StateInUse(None)
"""The state in use of an issue escalator never changed: most issues of a sweep, so made once."""

Groups = Mapping[str, tuple[str, ...]]
"""The members of each group the policy names, by group name."""


def state_in_use(issue: IssueSnapshot, policy: Policy, now: datetime, groups: Groups | None = None) -> StateInUse:
    """The stored state if it holds up, else a rebuilt one (or none, when escalator never changed the issue).
    ``groups``: the members of the policy's groups, to tell which level a ``group:NAME`` owner stands for."""
    stored = issue.state
    problem = issue.state_problem
    if stored is not None and problem is None:
        problem = _impossible(stored, issue, policy, now)
        if problem is None:
            return StateInUse(stored)
    if problem is None:  # no state stored: escalator's own changes may still show it escalated the issue
        if not issue.escalator_changes:
            return _NO_STATE
        problem = f"the {issue.key} escalation state is missing"
    rebuilt, how = _rebuilt(issue, policy, groups or {})
    return StateInUse(rebuilt, f"{problem}; {how}")


def _impossible(state: EscalationState, issue: IssueSnapshot, policy: Policy, now: datetime) -> str | None:
    """Why ``state`` cannot be what escalator wrote on this issue, or None."""
    if not issue.created - CLOCK_SKEW <= state.first_at <= state.at <= now + CLOCK_SKEW:
        return (
            f"the stored escalation state's times are impossible (first escalated {state.first_at.isoformat()}, "
            f"last {state.at.isoformat()}; the issue was created {issue.created.isoformat()} and it is now "
            f"{now.isoformat()})"
        )
    if state.escalations < 1 or state.level_index < 1:
        return "the stored escalation state counts no escalation"
    if state.policy == policy.name and state.policy_version == policy.version:
        category = next((c for c in policy.categories if c.name == state.category), None)
        names = [level.name for level in category.levels] if category else []
        if category is not None and (state.level not in names or names.index(state.level) + 1 != state.level_index):
            return (
                f"the stored escalation state names level {state.level} ({state.level_index}), which category "
                f"{state.category} of this policy version does not have"
            )
    latest = max(issue.escalator_changes, key=lambda change: change.at, default=None)
    if (
        latest is not None
        and latest.at > state.at + REPLAY_MARGIN
        and latest.assignee not in (None, state.assignee_set)
    ):
        return (
            f"the stored escalation state (escalated {state.at.isoformat()}) is older than escalator's last change "
            f"in the changelog ({latest.at.isoformat()}): an earlier state was put back"
        )
    return None


def _rebuilt(issue: IssueSnapshot, policy: Policy, groups: Groups) -> tuple[EscalationState | None, str]:
    """A state from escalator's own changes, with how it was found in words."""
    changes = sorted(issue.escalator_changes, key=lambda change: change.at)
    if not changes:
        return None, "escalator's account made no change to the issue, so it is treated as never escalated"
    owner = next((c.assignee for c in reversed(changes) if c.assignee is not None), None)
    category = _category(issue, policy, owner, groups)
    if category is None:
        return None, "no category of this policy fits escalator's changes, so it is treated as never escalated"
    index = _level(category, changes, policy, groups)
    level = category.levels[(index or 1) - 1]
    state = EscalationState(
        policy=policy.name,
        policy_version=policy.version,
        category=category.name,
        level=level.name,
        level_index=index or 1,
        at=changes[-1].at,
        first_at=changes[0].at,
        assignee_set=owner,
        priority_set=next((c.priority for c in reversed(changes) if c.priority is not None), None),
        escalations=len(changes),
    )
    found = (
        f"rebuilt from escalator's changes in the changelog: {level.name} of {category.name} since "
        f"{state.at.isoformat()}"
    )
    if index is None:
        found += f" (escalator's changes do not tell the level; the lowest, {level.name}, is assumed)"
    return state, found


def _category(issue: IssueSnapshot, policy: Policy, owner: str | None, groups: Groups) -> Category | None:
    """The category the issue matches now, else the first whose levels name the owner escalator last assigned."""
    matched = next((c for c in policy.categories if matches(c, issue)), None)
    if matched is not None:
        return matched
    return next(
        (c for c in policy.categories if any(owner in _people(level, policy, groups) for level in c.levels)), None
    )


def _level(category: Category, changes: list[EscalatorChange], policy: Policy, groups: Groups) -> int | None:
    """The highest level (1-based) that one of escalator's changes points to, None when none does. A change
    points to the levels whose labels it added (the surest sign, as several levels may share an owner), else to
    the highest level whose owners include the person it assigned."""
    pointed = [index for change in changes if (index := _pointed(category, change, policy, groups)) is not None]
    return max(pointed, default=None)


def _people(level: Level, policy: Policy, groups: Groups) -> frozenset[str]:
    """The people a level's owners name, its rotations' and groups' members included."""
    return frozenset(person for owner in level.owners for person in people_behind(owner, policy.rotations, groups))


def _pointed(category: Category, change: EscalatorChange, policy: Policy, groups: Groups) -> int | None:
    levels = list(enumerate(category.levels, start=1))
    by_labels = [i for i, level in levels if level.labels and set(level.labels) <= set(change.labels_added)]
    if by_labels:
        return max(by_labels)
    by_owner = [
        i for i, level in levels if change.assignee is not None and change.assignee in _people(level, policy, groups)
    ]
    return max(by_owner, default=None)
