"""The changelog where it can change a decision, and only there: a sweep reads its search pages without the
changelog, then asks Jira in bulk for the whole changelog of the issues that need it (``core/history_need.py``) and
decides those from it. Whatever the changelog holds, every decision is the one the whole changelog gives (its
outcome, reason code, levels, actions and state); an issue left without its history may name an earlier clock start
than a person's change (see ``plan_differences``).

Reading inline would not do: Jira Cloud embeds only an issue's 40 newest histories in a search answer, so a busy
issue's older human change would be missed, and embedding histories makes every page heavier for all issues.
"""

from __future__ import annotations

import logging
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from escalator.core.decision import Decision, Plan
from escalator.core.history_need import HistoryNeed
from escalator.core.issue import IssueSnapshot, SnapshotProblem
from escalator.core.policy import Policy
from escalator.jira.adapter import JiraAdapter, SearchPage
from escalator.jira.errors import JiraUnexpectedResponse
from escalator.jira.snapshot import history_fields
from escalator.sweep.records import readable_issues

__all__ = [
    "CLOCK_DETAILS",
    "HistoryRead",
    "plan_differences",
    "read_with_histories",
    "unread_history",
    "with_histories",
]

LOG = logging.getLogger(__name__)

CLOCK_DETAILS = ("reason", "clock_started_at", "clock_start", "elapsed", "due_at", "paused")
"""What a not-due (or paused) decision about an issue read without its history may say differently: the clock it
names, and how long it stood still."""

UNREAD_STATUS_HISTORY: dict[str, Any] = {"status_changes": (), "status_history_since": None}
"""An issue whose history is not read is decided as if its status had never changed (``core/history_need.py``):
in its current status since creation, the earliest its clock can run; not as a history Jira cut short, which would
make it a data problem."""


@dataclass(frozen=True)
class HistoryRead:
    """The issues of some pages, ready to evaluate (with their whole history where it was needed), the problems of
    those that are not, the keys whose history was read, and the requests that took."""

    issues: list[IssueSnapshot]
    problems: list[SnapshotProblem]
    fetched: frozenset[str]
    requests: int


def read_with_histories(
    jira: JiraAdapter, pages: Sequence[SearchPage], policy: Policy, now: datetime, *, need: HistoryNeed | None = None
) -> HistoryRead:
    """The readable issues of ``pages`` (read without the changelog), those that need it completed with their whole
    changelog, in one bulk read (``JiraAdapter.complete_changelogs``). An issue whose changelog cannot be read is
    a problem and is left out, as an unreadable issue of a page is."""
    need = need or HistoryNeed(policy, now)
    issues, problems = readable_issues(pages)
    ids = {key: issue_id for page in pages for key, issue_id in page.ids.items()}
    wanted = [issue.key for issue in issues if need.needs(issue)]
    if need.pauses:
        wanted_set = set(wanted)
        issues = [issue if issue.key in wanted_set else unread_history(issue, need) for issue in issues]
    if not wanted:
        return HistoryRead(issues, problems, frozenset(), 0)
    read = jira.complete_changelogs({key: ids.get(key) for key in wanted})
    unreadable = {problem.issue_key for problem in read.problems}
    completed: list[IssueSnapshot] = []
    for issue in issues:
        changelog = read.found.get(issue.key)
        if issue.key in unreadable:
            continue
        if changelog is not None:
            try:
                history = history_fields(changelog, jira.deployment, jira.acting_user, jira.status_names)
                issue = issue.model_copy(update=history)
            except JiraUnexpectedResponse as error:
                read.problems.append(SnapshotProblem(issue.key, f"issue {issue.key}: {error}"))
                continue
        completed.append(issue)
    LOG.info(
        "%s: the whole changelog of %d of %d issues read (%d requests)",
        policy.name,
        len(wanted),
        len(issues),
        read.requests,
    )
    return HistoryRead(completed, problems + read.problems, frozenset(read.found), read.requests)


def unread_history(issue: IssueSnapshot, need: HistoryNeed) -> IssueSnapshot:
    """``issue`` (read without its changelog, and not needing it) as it is decided: in its current status since
    creation where a category pauses (``UNREAD_STATUS_HISTORY``)."""
    return issue.model_copy(update=UNREAD_STATUS_HISTORY) if need.pauses else issue


def with_histories(
    jira: JiraAdapter, pages: Sequence[SearchPage], policy: Policy, now: datetime
) -> tuple[list[IssueSnapshot], list[SnapshotProblem]]:
    """``read_with_histories`` as the sweep's loop takes it: the issues to evaluate and the problems to record."""
    read = read_with_histories(jira, pages, policy, now)
    return read.issues, read.problems


def plan_differences(whole: Plan, selective: Plan, fetched: Collection[str]) -> list[str]:
    """Where ``selective`` (histories read where ``HistoryNeed`` asks, the keys in ``fetched``) decides otherwise
    than ``whole`` (every issue with its whole changelog), one line per issue; empty when they agree.

    They agree when every decision is the same, except that a not-due decision about an issue whose history was
    not read may name another clock (``CLOCK_DETAILS``): it is not due either way, and nothing is done or recorded
    about it."""
    theirs = {decision.issue_key: decision for decision in selective.decisions}
    lines = [f"blocked: {whole.blocked!r} vs {selective.blocked!r}"] if whole.blocked != selective.blocked else []
    for decision in whole.decisions:
        other = theirs.pop(decision.issue_key, None)
        if other is None:
            lines.append(f"{decision.issue_key}: decided from the whole history only")
            continue
        loose = decision.issue_key not in fetched and decision.reason_code in {"not_due", "paused"}
        mismatched = _fields(decision, loose) != _fields(other, loose)
        if mismatched:
            theirs_now = f"{other.reason_code} ({other.reason})"
            lines.append(f"{decision.issue_key}: {decision.reason_code} ({decision.reason}) vs {theirs_now}")
    lines += [f"{key}: decided without the whole history only" for key in sorted(theirs)]
    return lines


def _fields(decision: Decision, loose: bool) -> dict[str, Any]:
    return decision.model_dump(exclude=set(CLOCK_DETAILS) if loose else None)
