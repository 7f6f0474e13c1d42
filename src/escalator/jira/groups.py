"""The members of the Jira groups a policy names as owners, read once per run: ``GET group/member`` on Cloud
(``/rest/api/3``) and Data Center (``/rest/api/2``), page by page until ``isLast``, inactive members included
so the core can say why it skipped them.

Both cap a page at 50 members (Cloud: ``maxResults`` 1-50, default 50; Data Center's ``GroupResource`` Javadoc:
"the maximum number of users to return (max 50)", default 50), so pages of 50 are asked for on both. The
permission differs: Cloud needs *Browse users and groups* (or *Administer Jira*); Data Center answers only
"sysadmin or admin" users, and lists the members of the group's nested groups too, ordered by username. A 403 is
a preflight problem that names the permission (``MEMBERS_NEED``). Not verified against a running Data Center
(the Javadoc of Jira 11 is the source): the exact 403 body, and whether an older release caps the page.

People are Jira ids as elsewhere: accountId on Cloud, username on Data Center. What Jira answers is checked
before it is trusted: a page that is not an object, a member without an id, or paging that does not advance is
a protocol error, never a shorter group.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from escalator.jira.errors import JiraProtocolError
from escalator.jira.snapshot import Deployment
from escalator.jira.transport import Transport

__all__ = ["MEMBERS_NEED", "GroupMembers", "read_group"]

PAGE_SIZE = 50  # the cap for group/member on Cloud and Data Center alike
MAX_PAGES = 200  # 10,000 members: a group that size is not an escalation owner

MEMBERS_NEED: Mapping[Deployment, str] = {
    "cloud": "Jira Cloud needs the 'Browse users and groups' global permission (or 'Administer Jira')",
    "server": "Jira Data Center lets only administrators ('Jira Administrators' or 'Jira System Administrators' "
    "global permission) read a group's members",
}
"""What escalator's account needs to read a group's members, by deployment."""


@dataclass(frozen=True)
class GroupMembers:
    name: str
    members: tuple[str, ...]
    """every member in Jira's order"""
    inactive: frozenset[str]
    names: Mapping[str, str] = field(default_factory=dict)
    """display names by id, where Jira gave one"""


def read_group(transport: Transport, deployment: Deployment, name: str) -> GroupMembers:
    """The members of group ``name``; ``JiraNotFound`` when Jira has no such group."""
    members: list[str] = []
    inactive: set[str] = set()
    names: dict[str, str] = {}
    id_field = "accountId" if deployment == "cloud" else "name"
    start = 0
    for page in range(MAX_PAGES):
        params = {"groupname": name, "includeInactiveUsers": "true", "startAt": start, "maxResults": PAGE_SIZE}
        answer = transport.get("group/member", params)
        if not isinstance(answer, dict) or not isinstance(answer.get("values"), list):
            raise JiraProtocolError(f"group/member for {name!r} answered without a list of 'values'")
        values: list[Any] = answer["values"]
        start += len(values)
        for value in values:
            person = value.get(id_field) if isinstance(value, dict) else None
            if not isinstance(person, str) or not person:
                raise JiraProtocolError(f"group/member for {name!r} listed a member without an {id_field}")
            if person not in members:
                members.append(person)
            if value.get("active", True) is not True:
                inactive.add(person)
            if isinstance(value.get("displayName"), str) and value["displayName"]:
                names.setdefault(person, value["displayName"])
        if _last(answer, start):
            return GroupMembers(name, tuple(members), frozenset(inactive), names)
        if not values:
            raise JiraProtocolError(f"group/member for {name!r} gave an empty page {page + 1} that is not the last")
    raise JiraProtocolError(f"group/member for {name!r} did not end after {MAX_PAGES} pages")


def _last(answer: dict[str, Any], read: int) -> bool:
    """Whether this is the last page: ``isLast`` when Jira gives it, else whether ``total`` has been read."""
    last, total = answer.get("isLast"), answer.get("total")
    if isinstance(last, bool):
        return last
    if isinstance(total, int) and not isinstance(total, bool):
        return read >= total
    raise JiraProtocolError("group/member answered a page with neither 'isLast' nor 'total'")
