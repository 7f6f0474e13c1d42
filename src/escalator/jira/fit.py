"""Does Jira let escalator write what the policy asks, in every project and issue type the sweep reaches? What a
real Jira can refuse, asked before the first write (reads only), so that a misfit stops the run with every
problem listed instead of failing one write per issue:

- escalator's own permissions in each project (``mypermissions``): browse, edit (which also covers setting
  the escalation state, an issue property), assign and comment;
- each owner who may receive the project's issues is assignable there (``user/assignable/search``);
- on Cloud, each priority the policy may set there is in the project's priority scheme (``priority/search``);
- the fields escalator writes (assignee, and priority and labels where a level changes them) are on the edit
  screen of each project and issue type (``editmeta`` of one issue of each).

What the policy may write to a project and issue type comes from the pure core (``core/footprint.py``); which
pairs the sweep reaches, from ``samples.py``. Each problem names its project and issue types.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from escalator.core.footprint import Footprint, footprint
from escalator.core.policy import Policy
from escalator.jira.errors import JiraUnexpectedResponse
from escalator.jira.samples import Sample
from escalator.jira.snapshot import Deployment
from escalator.jira.transport import Transport

__all__ = ["PERMISSIONS", "fit_problems"]

PERMISSIONS: dict[str, str] = {
    "BROWSE_PROJECTS": "browse the project",
    "EDIT_ISSUES": "edit its issues (nor set their escalation state, an issue property)",
    "ASSIGN_ISSUES": "assign its issues",
    "ADD_COMMENTS": "comment on its issues",
}
"""the project permissions an escalation needs, and what lacking each means"""

Reached = list[tuple[Sample, Footprint]]

PROJECTS_AT_ONCE = 4
"""projects whose fit is checked at once (each a handful of requests)"""


def fit_problems(
    transport: Transport,
    deployment: Deployment,
    policy: Policy,
    samples: Iterable[Sample],
    *,
    account: str,
    unchecked_owners: frozenset[str] = frozenset(),
    unknown_priorities: frozenset[str] = frozenset(),
    groups: Mapping[str, tuple[str, ...]] | None = None,
) -> list[str]:
    """Every misfit between ``policy`` and the projects and issue types of ``samples``. ``account`` is who
    escalator acts as; owners in ``unchecked_owners`` (inactive, or unknown to Jira) and priorities in
    ``unknown_priorities`` are reported elsewhere and not looked up again."""
    by_project: dict[str, Reached] = {}
    for sample in sorted(samples, key=lambda sample: (sample.project, sample.issue_type)):  # a stable report
        reach = footprint(policy, sample.project, sample.issue_type, groups)
        if not reach.empty:
            by_project.setdefault(sample.project, []).append((sample, reach))

    def project_problems(project: str, reached: Reached) -> list[str]:
        denied = _denied(transport, project)
        problems = [
            f"{_where(project, reached)}: escalator's account {account} may not {PERMISSIONS[key]} "
            f"(Jira permission {key})"
            for key in denied
        ]
        if "BROWSE_PROJECTS" in denied:
            return problems  # a project escalator cannot see answers nothing more
        if "ASSIGN_ISSUES" not in denied:  # else who is assignable is moot (and Jira may refuse to say)
            problems += _unassignable(transport, deployment, project, reached, unchecked_owners)
        if deployment == "cloud":
            problems += _outside_priority_scheme(transport, project, reached, unknown_priorities)
        if "EDIT_ISSUES" not in denied:
            problems += _off_screen(transport, project, reached, assign_denied="ASSIGN_ISSUES" in denied)
        return problems

    # Each project's checks are a few requests, each after the last; projects are checked at once, and their
    # problems listed in project order.
    with ThreadPoolExecutor(max_workers=PROJECTS_AT_ONCE, thread_name_prefix="preflight-fit") as pool:
        return [
            problem for found in pool.map(project_problems, by_project.keys(), by_project.values()) for problem in found
        ]


def _where(project: str, reached: Sequence[tuple[Sample, Footprint]]) -> str:
    return f"{project} ({', '.join(sample.issue_type for sample, _ in reached)})"


def _denied(transport: Transport, project: str) -> list[str]:
    """The permissions of ``PERMISSIONS`` escalator's account lacks in ``project``."""
    answer = transport.get("mypermissions", {"projectKey": project, "permissions": ",".join(PERMISSIONS)})
    granted = answer.get("permissions") if isinstance(answer, dict) else None
    if not isinstance(granted, dict):
        raise JiraUnexpectedResponse("mypermissions answered without 'permissions'")
    return [key for key in PERMISSIONS if not _have(granted.get(key))]


def _have(permission: Any) -> bool:
    return isinstance(permission, dict) and permission.get("havePermission") is True


def _unassignable(
    transport: Transport, deployment: Deployment, project: str, reached: Reached, unchecked: frozenset[str]
) -> list[str]:
    owners = sorted({owner for _, reach in reached for owner in reach.owners} - unchecked)
    problems = []
    for owner in owners:
        if deployment == "cloud":
            found = transport.get("user/assignable/search", {"project": project, "accountId": owner})
            assignable = isinstance(found, list) and any(_field(user, "accountId") == owner for user in found)
        else:  # Data Center matches the username as a prefix: look for the exact one
            found = transport.get("user/assignable/search", {"project": project, "username": owner, "maxResults": 1000})
            assignable = isinstance(found, list) and any(
                _field(user, "name").lower() == owner.lower() for user in found
            )
        if not assignable:
            receiving = [(sample, reach) for sample, reach in reached if owner in reach.owners]
            problems.append(f"{_where(project, receiving)}: owner {owner!r} cannot be assigned issues in {project}")
    return problems


def _field(user: Any, name: str) -> str:
    return str(user.get(name) or "") if isinstance(user, dict) else ""


def _outside_priority_scheme(
    transport: Transport, project: str, reached: Reached, unknown: frozenset[str]
) -> list[str]:
    wanted = sorted({name for _, reach in reached for name in reach.priorities} - unknown)
    if not wanted:
        return []
    allowed = _scheme_priorities(transport, reached[0][0].project_id)
    problems = []
    for name in wanted:
        if name not in allowed:
            setting = [(sample, reach) for sample, reach in reached if name in reach.priorities]
            problems.append(
                f"{_where(project, setting)}: priority {name!r} is not in {project}'s priority scheme "
                f"(it has: {', '.join(allowed) or 'none'})"
            )
    return problems


def _scheme_priorities(transport: Transport, project_id: str) -> list[str]:
    """The priorities of a project's priority scheme (Cloud), page by page."""
    names: list[str] = []
    start = 0
    while True:
        page = transport.get("priority/search", {"projectId": project_id, "startAt": str(start), "maxResults": "100"})
        values = page.get("values") if isinstance(page, dict) else None
        if not isinstance(values, list):
            raise JiraUnexpectedResponse("priority/search answered without 'values'")
        names += [str(value.get("name")) for value in values if isinstance(value, dict)]
        start += len(values)
        if not values or page.get("isLast") is not False:
            return names


def _off_screen(transport: Transport, project: str, reached: Reached, *, assign_denied: bool) -> list[str]:
    problems = []
    for sample, reach in reached:
        meta = transport.get(f"issue/{sample.issue_key}/editmeta")
        fields = meta.get("fields") if isinstance(meta, dict) else None
        if not isinstance(fields, dict):
            raise JiraUnexpectedResponse(f"the editmeta of {sample.issue_key} has no 'fields'")
        missing = sorted(reach.fields - set(fields) - ({"assignee"} if assign_denied else set()))
        problems += [
            f"{project} ({sample.issue_type}): the edit screen has no {field!r} field, which the policy writes "
            f"(editmeta of {sample.issue_key})"
            for field in missing
        ]
    return problems
