"""Which issues need their changelog for a decision: a sweep reads its pages without the changelog and asks Jira for
the history of these issues alone (Jira Cloud embeds at most an issue's 40 newest histories in a search anyway).

Read without its changelog, an issue is decided as if nobody had changed its assignee, priority or status and
escalator had never changed it: its clock starts as early as its fields allow (at creation, or at the stored state's
escalation) and runs all the time it was not in a pause status, judged by its status now. The changelog can only
start a clock later (a person's change, rule 4), stop it for a while (a pause status it was in, ``pause.py``),
rebuild a missing or replayed state from escalator's own changes (``state.py``), or show a person's override. So,
rule by rule:

- an issue that rule 1 leaves alone (resolved, exempt) is decided without any history: not needed;
- an issue with a stored escalation state (trusted or not) may have been changed by a person since escalator
  changed it (humans win), or carry a state put back: always needed;
- an issue without a state is due only once the working time since its clock started reaches a window, and its
  clock never starts before creation; a state rebuilt from escalator's changes keeps the category the issue
  matches (any category, when it matches none) and restarts the clock after creation. So it is needed once the
  working time since creation reaches the shortest window (any level, or the unassigned window) of its category
  (of every category when it matches none), or once the escalation deadline has passed since creation.

An issue that needs no history is therefore decided, with or without it, with the same outcome, reason code,
levels, actions and state; only the clock it names may differ (the earliest possible instead of a person's later
change). An issue whose stored state was deleted was escalated when it was due, so it is old enough to need its
history now and its state is rebuilt as before, unless it was escalated under a shorter window than its category
has now (a policy version since, another category): that one is decided as never escalated, and its data problem
recorded, from the sweep in which it could first be due.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from escalator.core.calendar import Calendar
from escalator.core.evaluate import left_alone
from escalator.core.issue import IssueSnapshot
from escalator.core.matching import matches
from escalator.core.policy import Category, Policy, shortest_window

__all__ = ["HistoryNeed"]


class HistoryNeed:
    """``needs(issue)`` for one policy at one instant, with each category's shortest window worked out once."""

    def __init__(self, policy: Policy, now: datetime) -> None:
        if now.tzinfo is None:
            raise ValueError("HistoryNeed needs a timezone-aware 'now'")
        self.policy = policy
        self.now = now
        self._shortest: dict[str, tuple[Calendar, timedelta]] = {}
        for category in policy.categories:
            calendar = policy.calendar_for(category)
            self._shortest[category.name] = (calendar, shortest_window(category, calendar))
        # Working time never exceeds wall time: younger than every shortest window, no category can be due.
        self._young = min((window for _, window in self._shortest.values()), default=timedelta.max)
        deadline = policy.escalation_deadline
        self._deadline = deadline.wall_clock() if deadline is not None else None
        self.pauses = any(policy.pause_statuses_for(category) for category in policy.categories)
        """whether any category pauses its clock, so the status history matters"""

    def needs(self, issue: IssueSnapshot) -> bool:
        """Whether the decision about ``issue`` (read without its changelog) can depend on its changelog."""
        if issue.state is None and issue.state_problem is None:
            age = self.now - issue.created
            if age < self._young and (self._deadline is None or age <= self._deadline):
                return False  # the cheapest answer first: most issues of a sweep are this young
            if self._deadline is None or age <= self._deadline:
                return left_alone(issue, self.policy) is None and any(
                    self._could_be_due(issue, category) for category in self._categories(issue)
                )
        return left_alone(issue, self.policy) is None

    def _categories(self, issue: IssueSnapshot) -> list[Category]:
        matched = next((category for category in self.policy.categories if matches(category, issue)), None)
        return [matched] if matched is not None else list(self.policy.categories)

    def _could_be_due(self, issue: IssueSnapshot, category: Category) -> bool:
        calendar, shortest = self._shortest[category.name]
        if self.now - issue.created < shortest:
            return False
        try:
            return calendar.business_time_between(issue.created, self.now) >= shortest
        except (ValueError, OverflowError):  # the evaluation makes this a data problem, from the full history
            return True
