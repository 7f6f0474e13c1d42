"""One issue of each project and issue type a query matches: the pairs a sweep may write to, each with an issue
whose edit screen (``editmeta``) stands for all of them.

Found with one small search per pair and per project, whatever the scope's size: the first search finds an issue
of some project, the next ones within that project exclude the issue types already found, and when a project
has no more, the next search excludes the projects already found. For a scope of P projects and T pairs that is
T + P + 1 searches of one issue each.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from escalator.jira.errors import JiraUnexpectedResponse
from escalator.jira.scope import split_order_by
from escalator.jira.snapshot import Deployment
from escalator.jira.transport import Transport

__all__ = ["Sample", "jql_string", "scope_samples"]


@dataclass(frozen=True)
class Sample:
    """An issue of one (project, issue type) pair of a scope."""

    project: str
    """the project's key"""
    project_id: str
    issue_type: str
    """the issue type's name"""
    issue_key: str


def jql_string(value: str) -> str:
    """``value`` as a JQL string literal."""
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


def scope_samples(transport: Transport, deployment: Deployment, jql: str) -> list[Sample]:
    """One issue of each (project, issue type) pair ``jql`` matches, by project then in the order found."""
    where, _ = split_order_by(jql)
    scope = f"({where})" if where else ""
    samples: list[Sample] = []
    projects: list[str] = []
    while True:
        excluded = f"project not in ({', '.join(map(jql_string, projects))})" if projects else ""
        first = _first(transport, deployment, _and(scope, excluded))
        if first is None:
            return samples
        if first.project in projects:  # Jira ignored the exclusion: stop rather than ask forever
            raise JiraUnexpectedResponse(f"a search excluding project {first.project} answered one of its issues")
        projects.append(first.project)
        found = [first]
        while True:
            types = ", ".join(jql_string(sample.issue_type) for sample in found)
            within = f"project = {jql_string(first.project)} AND issuetype not in ({types})"
            more = _first(transport, deployment, _and(scope, within))
            if more is None:
                break
            if more.project != first.project or more.issue_type in {sample.issue_type for sample in found}:
                raise JiraUnexpectedResponse(f"a search within {first.project} answered {more.issue_key}, out of it")
            found.append(more)
        samples.extend(found)


def _and(*clauses: str) -> str:
    return " AND ".join(clause for clause in clauses if clause)


def _first(transport: Transport, deployment: Deployment, jql: str) -> Sample | None:
    body: dict[str, Any] = {"jql": jql, "maxResults": 1, "fields": ["project", "issuetype"]}
    answer = transport.post("search/jql" if deployment == "cloud" else "search", body, read=True)
    issues = answer.get("issues") if isinstance(answer, dict) else None
    if not isinstance(issues, list):
        raise JiraUnexpectedResponse("a search answered without an 'issues' list")
    if not issues:
        return None
    try:
        issue = issues[0]
        fields = issue["fields"]
        return Sample(
            project=str(fields["project"]["key"]),
            project_id=str(fields["project"]["id"]),
            issue_type=str(fields["issuetype"]["name"]),
            issue_key=str(issue["key"]),
        )
    except (KeyError, TypeError):
        raise JiraUnexpectedResponse("a search answered an issue without its project or issue type") from None
