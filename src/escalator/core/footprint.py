"""What a policy may write to an issue of one project and issue type: the owners it may assign, the priorities
it may set and the fields it writes. The preflight compares this with what Jira allows there (who is
assignable, the project's priority scheme, the edit screen), so a policy that does not fit a project stops the
run before its first write instead of failing one write per issue.

A category may apply to a (project, issue type) when its match names no projects or that project, and no issue
types or that type. Its other criteria (priorities, components, labels, custom fields) vary from issue to
issue, so they are taken to hold: the footprint is everything the policy *may* do there, never less. The first
category whose match is made of projects and issue types alone and covers the pair takes every such issue, so
the categories after it do not apply (first match wins, as in ``evaluate``).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from escalator.core.policy import Category, Level, Policy
from escalator.core.routing import people_behind

__all__ = ["Footprint", "footprint"]


@dataclass(frozen=True)
class Footprint:
    """What escalating an issue of one project and issue type may take."""

    owners: frozenset[str] = frozenset()
    """who may be made the assignee (each category's owners, at any level: a level may fall back on others)"""
    priorities: frozenset[str] = frozenset()
    """every priority a level may set: its ``set``, or for ``raise: n`` any priority of the ladder from the n-th
    step up (an issue without a priority, which Jira allows only where the field is off the edit screen, is
    left out: the edit screen check reports that case)"""
    fields: frozenset[str] = frozenset()
    """the fields an escalation writes: ``assignee``, and ``priority``, ``labels`` where a level changes them"""

    @property
    def empty(self) -> bool:
        return not self.fields


def footprint(
    policy: Policy, project: str, issue_type: str, groups: Mapping[str, tuple[str, ...]] | None = None
) -> Footprint:
    """The footprint of ``policy`` on issues of ``project`` (key) and ``issue_type`` (name); empty when no
    category can apply or the issue type is exempt. Rotations stand for their members, groups for the members
    ``groups`` gives."""
    if issue_type in policy.exempt.issue_types:
        return Footprint()
    levels: list[Level] = []
    for category in policy.categories:
        match = category.match
        if (match.projects and project not in match.projects) or (
            match.issue_types and issue_type not in match.issue_types
        ):
            continue
        levels.extend(category.levels)
        if _takes_all(category):
            break
    if not levels:
        return Footprint()
    priorities = {name for level in levels for name in _priorities(level, policy.priorities)}
    fields = (
        {"assignee"}
        | ({"priority"} if priorities else set())
        | ({"labels"} if any(lv.labels for lv in levels) else set())
    )
    return Footprint(
        owners=frozenset(
            person
            for level in levels
            for owner in level.owners
            for person in people_behind(owner, policy.rotations, groups)
        ),
        priorities=frozenset(priorities),
        fields=frozenset(fields),
    )


def _takes_all(category: Category) -> bool:
    """Whether every issue of a pair this category applies to is in it (its match looks at nothing else)."""
    match = category.match
    return not (match.priorities or match.components or match.labels or match.fields)


def _priorities(level: Level, ladder: tuple[str, ...]) -> tuple[str, ...]:
    change = level.priority
    if change is None:
        return ()
    if change.set is not None:
        return (change.set,)
    steps = change.raise_by or 0
    return ladder[min(steps, len(ladder) - 1) :] if steps and ladder else ()
