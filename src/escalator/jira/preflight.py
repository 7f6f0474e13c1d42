"""Before the first write of a run: does the policy fit this Jira? Checks the credentials, the priorities,
the pause statuses, the people, the custom fields and the scope JQL, then (for a run that writes) what Jira can
refuse in each project and issue type the scope reaches (``fit.py``: permissions, assignable owners, priority
schemes, edit screens), collects every problem, and raises them together. Reads only.

Inactive owners are not a problem here: they are reported, and the core skips them
(``evaluate(..., inactive_users=report.inactive_users)``).
"""

from __future__ import annotations

from collections.abc import Mapping
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

from escalator.core.policy import Policy
from escalator.jira.errors import (
    JiraBadRequest,
    JiraError,
    JiraNotFound,
    JiraPermissionError,
    JiraProtocolError,
    PreflightFailed,
)
from escalator.jira.fit import fit_problems
from escalator.jira.groups import MEMBERS_NEED, read_group
from escalator.jira.samples import Sample, scope_samples
from escalator.jira.snapshot import MAX_DISPLAY_NAME, Deployment
from escalator.jira.transport import Transport

__all__ = ["PreflightReport", "run_preflight"]


@dataclass(frozen=True)
class PreflightReport:
    deployment: Deployment
    user: str
    """who escalator acts as: accountId on Cloud, username on Data Center"""
    priorities: tuple[str, ...]
    """every priority this Jira knows, in Jira's order"""
    inactive_users: frozenset[str]
    scope_count: int | None
    """issues the scope matches now (approximate on Cloud)"""
    states_signed: bool = False
    """whether escalation states are sealed with a state key; unsigned, any Jira user who may edit an issue can
    forge its state"""
    people: Mapping[str, str] = field(default_factory=dict)
    """the display names of the policy's owners (group members too), by id, as the look-ups answered them"""
    status_names: Mapping[str, str] = field(default_factory=dict)
    """status id -> name, read when the policy pauses clocks (a status history names statuses as they are now)"""
    groups: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    """the members of each group the policy names, in Jira's order (inactive ones are in ``inactive_users``)"""


def run_preflight(
    transport: Transport, deployment: Deployment, policy: Policy, *, jql: str | None = None, writes: bool = True
) -> PreflightReport:
    """The report, or ``PreflightFailed`` listing every problem. Reads only; never writes. ``jql`` is the
    query the sweep will search (the scope narrowed), counted instead of the bare scope. ``writes=False`` (a
    caller that only reads, e.g. a snapshot) leaves out what only writing needs: permissions, assignable
    owners, priority schemes and edit screens."""
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="preflight-samples") as background:
        # The scope's samples take a chain of small searches, each after the last: they run beside the other
        # checks, which need none of them, rather than after (the fit checks then read them).
        samples = background.submit(scope_samples, transport, deployment, jql or policy.scope) if writes else None
        return _checked(transport, deployment, policy, jql, samples)


def _checked(
    transport: Transport, deployment: Deployment, policy: Policy, jql: str | None, samples: Future[list[Sample]] | None
) -> PreflightReport:
    problems: list[str] = []
    myself = _object(transport.get("myself"), "myself")  # a 401 here is the whole answer: raised as it is
    user = str(myself.get("accountId") if deployment == "cloud" else myself.get("name"))

    known = tuple(str(_object(p, "a priority").get("name")) for p in _list(transport.get("priority"), "priority"))
    for name in sorted(policy.all_priorities() - set(known)):
        problems.append(f"priority {name!r} does not exist in this Jira (it has: {', '.join(known)})")

    status_names = _status_names(transport) if _pause_statuses(policy) else {}
    problems += _pause_status_problems(policy, status_names)

    inactive: set[str] = set()
    missing: set[str] = set()
    people: dict[str, str] = {}
    for owner in sorted(policy.all_owners()):
        params = {"accountId": owner} if deployment == "cloud" else {"username": owner}
        try:
            found = _object(transport.get("user", params), "user")
        except JiraNotFound:
            who = "accountId" if deployment == "cloud" else "username"
            problems.append(f"user {owner!r} does not exist in this Jira (owners are given by {who})")
            missing.add(owner)
            continue
        if not found.get("active", True):
            inactive.add(owner)
        if isinstance(found.get("displayName"), str) and found["displayName"]:
            people[owner] = found["displayName"][:MAX_DISPLAY_NAME]

    groups: dict[str, tuple[str, ...]] = {}
    for group in policy.groups:  # read once per run: the core picks among them for every issue
        try:
            members = read_group(transport, deployment, group.name)
        except JiraNotFound:
            problems.append(f"group {group.name!r} does not exist in this Jira (or escalator may not browse it)")
            continue
        except JiraPermissionError:
            problems.append(
                f"escalator's account may not read the members of group {group.name!r}: {MEMBERS_NEED[deployment]}"
            )
            continue
        groups[group.name] = members.members
        inactive |= members.inactive
        people.update({m: name[:MAX_DISPLAY_NAME] for m, name in members.names.items() if m not in people})

    custom = policy.fields_read()
    if custom:
        field_ids = {str(_object(f, "a field").get("id")) for f in _list(transport.get("field"), "field")}
        problems.extend(f"custom field {name!r} does not exist in this Jira" for name in sorted(custom - field_ids))

    count: int | None = None
    try:
        count = _scope_count(transport, deployment, jql or policy.scope)
    except JiraBadRequest as exc:
        what = f"the scope JQL {policy.scope!r}" + (f" (searched as {jql!r})" if jql and jql != policy.scope else "")
        problems.append(f"{what} is not valid: {'; '.join(exc.messages) or exc}")
    except JiraError as exc:
        problems.append(f"the scope JQL could not be checked: {exc}")

    if samples is not None and count is not None:  # where the scope reaches, is everything escalator writes allowed?
        problems += fit_problems(
            transport,
            deployment,
            policy,
            samples.result(),
            account=user,
            unchecked_owners=frozenset(inactive | missing),
            unknown_priorities=frozenset(policy.all_priorities() - set(known)),
            groups=groups,
        )

    if problems:
        raise PreflightFailed(problems)
    return PreflightReport(
        deployment, user, known, frozenset(inactive), count, people=people, status_names=status_names, groups=groups
    )


def _pause_statuses(policy: Policy) -> set[str]:
    return {*policy.pause_statuses, *(name for c in policy.categories for name in c.pause_statuses or ())}


def _status_names(transport: Transport) -> dict[str, str]:
    statuses = [_object(s, "a status") for s in _list(transport.get("status"), "status")]
    return {str(s.get("id")): str(s.get("name")) for s in statuses}


def _pause_status_problems(policy: Policy, status_names: Mapping[str, str]) -> list[str]:
    """Every pause status the policy names must exist: a misspelt one would never pause a clock."""
    known = set(status_names.values())
    folded = {name.casefold() for name in known}
    return [
        f"pause status {name!r} does not exist in this Jira (it has: {', '.join(sorted(known))})"
        for name in sorted(_pause_statuses(policy))
        if name.casefold() not in folded
    ]


def _scope_count(transport: Transport, deployment: Deployment, jql: str) -> int:
    """How many issues ``jql`` matches (approximate on Cloud, which counts recent changes late)."""
    if deployment == "cloud":
        answer = transport.post("search/approximate-count", {"jql": jql}, read=True)
        return _count(_object(answer, "search/approximate-count").get("count"), "search/approximate-count")
    answer = transport.post("search", {"jql": jql, "maxResults": 0, "fields": ["id"]}, read=True)
    return _count(_object(answer, "search").get("total"), "search")


def _object(value: Any, what: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise JiraProtocolError(f"{what} answered {type(value).__name__}, not an object")
    return value


def _list(value: Any, what: str) -> list[Any]:
    if not isinstance(value, list):
        raise JiraProtocolError(f"{what} answered {type(value).__name__}, not a list")
    return value


def _count(value: Any, what: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise JiraProtocolError(f"{what} answered a count that is {type(value).__name__}, not a whole number")
    return value
