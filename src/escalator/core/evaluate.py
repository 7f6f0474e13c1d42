"""``evaluate(issues, policy, now) -> Plan``: the escalation rules, deterministic and free of I/O.

Given the same issues, policy, instant and inactive users, it returns the same plan, whatever the order of the
issues. It reads no clock, file, environment or network; the caller supplies all of them.

The rules, in the order they apply to an issue:

1. Resolved issues and exempt ones (label, issue type, status) are left alone.
2. The category is the first whose match holds; an issue escalated before stays in the category it was
   escalated under while that category exists, so the priority escalator raised cannot move it elsewhere.
   An issue escalated by another policy is left to that policy.
3. The clock of the current level starts when the issue was created (before L1), when escalator escalated it,
   or, if a person has since changed the assignee or priority escalator set, at that change: humans win, and
   escalator never reverts them (with ``on_human_change: stop`` it stops escalating such an issue).
4. Within ``cooldown`` of its last escalation an issue is not escalated again.
5. The issue moves up when the working time on the category's calendar since the clock started reaches the
   next level's window (the ``unassigned_window`` instead, when it is shorter and nobody owns the issue). If
   several windows have run out (a first sweep over an old backlog), it moves straight to the highest level
   due, and the decision names the levels passed.
6. The new owner is the first listed owner of that level who is active in Jira and not unavailable today; if
   none is, the next level up is tried; past the top, the issue is skipped with the reasons.
7. The priority is raised as the levels passed and reached ask, never lowered and never past the ladder's top.
8. A plan with more escalations than ``max_escalations_per_run`` is blocked as a whole: nothing is applied.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from escalator.core.calendar import Calendar
from escalator.core.decision import (
    Actions,
    ClockStart,
    Decision,
    Plan,
    SkippedOwner,
    format_instant,
    format_timedelta,
)
from escalator.core.issue import EscalationState, IssueSnapshot
from escalator.core.policy import Category, Level, Policy, PolicyIdentity, PriorityChange, working_window

__all__ = ["category_mismatch", "evaluate", "merge_plans", "raise_priority", "youngest_actionable_age"]


def evaluate(
    issues: Iterable[IssueSnapshot],
    policy: Policy,
    now: datetime,
    *,
    inactive_users: Collection[str] = frozenset(),
    identity: PolicyIdentity | None = None,
) -> Plan:
    """Decide, for every issue, whether to escalate it now and how. ``now`` must be timezone-aware."""
    if now.tzinfo is None:
        raise ValueError("evaluate needs a timezone-aware 'now'")
    context = _Context(policy, now, frozenset(inactive_users))
    decisions = [context.decide(issue) for issue in issues]
    return _plan(decisions, policy, now, identity or PolicyIdentity.of(policy))


def merge_plans(parts: Iterable[Plan], policy: Policy) -> Plan:
    """One plan from plans evaluated page by page (same policy and instant): each issue decided once (its
    first decision kept) and the blast-radius limit checked against the whole, as if every issue had been
    evaluated at once."""
    parts = list(parts)
    if not parts:
        raise ValueError("merge_plans needs at least one plan")
    first = parts[0]
    if any(part.now != first.now or part.policy != first.policy for part in parts):
        raise ValueError("plans evaluated at different instants or under different policies cannot be merged")
    seen: set[str] = set()
    decisions = []
    for decision in (d for part in parts for d in part.decisions):
        if decision.issue_key not in seen:  # pages that shifted under a concurrent change repeat an issue
            seen.add(decision.issue_key)
            decisions.append(decision)
    return _plan(decisions, policy, first.now, first.policy)


def _plan(decisions: list[Decision], policy: Policy, now: datetime, identity: PolicyIdentity) -> Plan:
    decisions.sort(key=lambda d: d.issue_key)
    escalations = sum(1 for d in decisions if d.outcome == "escalate")
    blocked = None
    limit = policy.max_escalations_per_run
    if limit is not None and escalations > limit:
        blocked = (
            f"{escalations} escalations planned, more than this policy's max_escalations_per_run of {limit}; "
            "nothing was applied. Check the policy and the backlog, then raise the limit if this is intended."
        )
    return Plan(policy=identity, now=now, decisions=tuple(decisions), blocked=blocked)


def youngest_actionable_age(policy: Policy) -> timedelta:
    """The wall-clock age since creation below which ``evaluate`` can only answer ``no_action`` for an issue:
    the shortest level window, unassigned window or escalation deadline of the policy.

    Every escalation or skip needs the working time since the clock started to reach some window, and a
    deadline breach needs the deadline to pass since the first escalation. Clocks never start before the issue
    was created and working time never exceeds wall time, so a younger issue cannot be due, whatever its
    changelog or calendar. A sweep may leave such issues out of its search (``created <= -age``). (An escalation
    state is never older than its issue unless it was copied onto it, say by cloning; such an issue is then
    left alone until it is old enough.)
    """
    ages = [
        working_window(duration, policy.calendar_for(category))
        for category in policy.categories
        for duration in [*(level.window for level in category.levels), category.unassigned_window]
        if duration is not None
    ]
    if policy.escalation_deadline is not None:
        ages.append(policy.escalation_deadline.wall_clock())
    return min(ages, default=timedelta())


def raise_priority(current: str | None, change: PriorityChange, ladder: tuple[str, ...]) -> str | None:
    """The priority after ``change``: higher or equal on ``ladder`` (lowest first), never past its top.

    A priority that is not on the ladder cannot be compared, so it is left as it is.
    """
    if current is not None and current not in ladder:
        return current
    rank = -1 if current is None else ladder.index(current)
    if change.set is not None:
        if change.set not in ladder:  # no ladder at all: the named priority is the only order we know
            return change.set if current is None else current
        return change.set if ladder.index(change.set) > rank else current
    steps = change.raise_by or 0
    if not ladder:
        return current
    return ladder[min(rank + steps, len(ladder) - 1)] if steps else current


class _Context:
    """One evaluation's fixed inputs and per-calendar caches."""

    def __init__(self, policy: Policy, now: datetime, inactive: frozenset[str]) -> None:
        self.policy = policy
        self.now = now
        self.inactive = inactive
        self._windows: dict[tuple[str, int], timedelta] = {}
        self._categories = {category.name: category for category in policy.categories}
        self._calendars = {category.name: policy.calendar_for(category) for category in policy.categories}

    # -- the rules ---------------------------------------------------------------------------------------

    def decide(self, issue: IssueSnapshot) -> Decision:
        policy = self.policy
        key = issue.key
        if issue.status_category == "done":
            return _no_action(key, "resolved", f"{key} is resolved ({issue.status}).")
        exempt = self._exemption(issue)
        if exempt is not None:
            return exempt
        state = issue.state
        if state is not None and state.policy != policy.name:
            return _no_action(key, "other_policy", f"{key} was escalated by policy {state.policy!r}, which governs it.")
        category = self._category(issue, state)
        if category is None:
            return _no_action(key, "no_category", f"{key} matches no category of policy {policy.name}.")
        calendar = self._calendars[category.name]
        current = self._current_level(category, state)
        from_level = category.levels[current - 1].name if current else None
        deadline_at, breached = self._deadline(state)
        common = {
            "issue_key": key,
            "category": category.name,
            "calendar": calendar.name,
            "from_level": from_level,
            "deadline_at": deadline_at,
            "deadline_breached": breached,
        }

        human_at = issue.overridden_at(self.now)
        clock_start: ClockStart
        if state is None:
            started, clock_start = _first_clock_start(issue)
        elif human_at is not None:
            if policy.on_human_change == "stop":
                return Decision(
                    outcome="no_action",
                    reason_code="human_override",
                    reason=f"A person changed {key} after escalator set it on {format_instant(state.at)}; "
                    "this policy stops escalating such issues (on_human_change: stop).",
                    human_change_at=human_at,
                    **common,
                )
            started, clock_start = human_at, "human_change"
        else:
            started, clock_start = state.at, "escalated"

        if current >= len(category.levels):
            return Decision(
                outcome="no_action",
                reason_code="at_top_level",
                reason=f"{key} is at {from_level}, the top level of category {category.name}; it goes no higher.",
                clock_started_at=started,
                clock_start=clock_start,
                human_change_at=human_at,
                **common,
            )
        if state is not None and policy.cooldown is not None:
            cooldown_ends = state.at + policy.cooldown.wall_clock()
            if self.now < cooldown_ends:
                return Decision(
                    outcome="no_action",
                    reason_code="cooldown",
                    reason=f"{key} was escalated at {format_instant(state.at)}; the cooldown of "
                    f"{policy.cooldown} lasts until {format_instant(cooldown_ends)}.",
                    clock_started_at=started,
                    clock_start=clock_start,
                    **common,
                )

        elapsed = calendar.business_time_between(started, self.now)
        windows = self._windows_from(category, calendar, current, unassigned=issue.assignee is None)
        target, passed_time = current, timedelta()
        for window in windows:
            if passed_time + window > elapsed:
                break
            passed_time += window
            target += 1
        first_window = windows[0]
        due_at = calendar.add_business_time(started, first_window)
        timing = {
            "clock_started_at": started,
            "clock_start": clock_start,
            "elapsed": elapsed,
            "window": first_window,
            "due_at": due_at,
            "human_change_at": human_at,
        }
        next_name = category.levels[current].name
        since = {
            "created": "creation",
            "escalated": f"escalation to {from_level}",
            "human_change": "a manual change",
        }
        if target == current:
            return Decision(
                outcome="no_action",
                reason_code="not_due",
                reason=f"{key} has been open {format_timedelta(elapsed)} of working time since "
                f"{since[clock_start]}; {next_name} is due after {format_timedelta(first_window)}, "
                f"at {format_instant(due_at.astimezone(ZoneInfo(calendar.timezone)))}.",
                **common,
                **timing,
            )
        return self._escalate(issue, category, calendar, current, target, elapsed, since[clock_start], common, timing)

    def _escalate(
        self,
        issue: IssueSnapshot,
        category: Category,
        calendar: Calendar,
        current: int,
        target: int,
        elapsed: timedelta,
        since: str,
        common: Mapping[str, Any],
        timing: Mapping[str, Any],
    ) -> Decision:
        key = issue.key
        today = self.now.astimezone(ZoneInfo(calendar.timezone)).date()
        skipped: list[SkippedOwner] = []
        chosen: tuple[int, str] | None = None
        # The due level, then the levels above it; if nobody there can act, the highest level below it that
        # is still above the issue's current level.
        for index in [*range(target, len(category.levels) + 1), *range(target - 1, current, -1)]:
            level = category.levels[index - 1]
            for owner in level.owners:
                why = self._unavailable(owner, today)
                if why is None:
                    chosen = (index, owner)
                    break
                skipped.append(SkippedOwner(owner=owner, level=level.name, reason=why))
            if chosen is not None:
                break
        if chosen is None:
            names = ", ".join(f"{s.owner} ({s.reason})" for s in skipped)
            return Decision(
                outcome="skipped",
                reason_code="no_available_owner",
                reason=f"{key} is due for {category.levels[target - 1].name} but no owner from there up can "
                f"take it: {names}.",
                to_level=category.levels[target - 1].name,
                owners_skipped=tuple(skipped),
                **common,
                **timing,
            )
        reached, owner = chosen
        climbed = category.levels[current:reached]
        passed = tuple(level.name for level in climbed[:-1])
        final = climbed[-1]
        priority = issue.priority
        for level in climbed:
            if level.priority is not None:
                priority = raise_priority(priority, level.priority, self.policy.priorities)
        labels = tuple(sorted({label for level in climbed for label in level.labels} - set(issue.labels)))
        state = issue.state
        new_state = EscalationState(
            policy=self.policy.name,
            policy_version=self.policy.version,
            category=category.name,
            level=final.name,
            level_index=reached,
            at=self.now,
            first_at=state.first_at if state is not None else self.now,
            assignee_set=owner,
            priority_set=priority,
            escalations=(state.escalations + 1) if state is not None else 1,
        )
        from_name = common["from_level"]
        window = timing["window"]
        assert isinstance(window, timedelta)
        unowned = issue.assignee is None and window < self._window(category, calendar, current)
        which = "the unassigned window (nobody owns the issue)" if unowned else "the window"
        reason = (
            f"{key} has been open {format_timedelta(elapsed)} of working time since {since} on calendar "
            f"{calendar.name}; {which} for {category.levels[current].name} is {format_timedelta(window)}."
        )
        if passed:
            reason += f" Windows also ran out for {', '.join(passed)}, so it goes straight to {final.name}."
        comment = _status_summary(
            issue,
            self.policy,
            category,
            calendar,
            from_name,
            final,
            owner,
            priority,
            labels,
            skipped,
            reason,
            self.now,
        )
        actions = Actions(
            assignee_from=issue.assignee,
            assignee_to=owner,
            priority_from=issue.priority,
            priority_to=priority,
            labels_add=labels,
            notify_reporter=final.notify.reporter,
            notify_assignee=final.notify.assignee,
            notify_watchers=final.notify.watchers,
            notify_users=final.notify.users,
            comment=comment,
        )
        return Decision(
            outcome="escalate",
            reason_code="due",
            reason=reason,
            to_level=final.name,
            levels_passed=passed,
            owners_skipped=tuple(skipped),
            actions=actions,
            new_state=new_state,
            **common,
            **timing,
        )

    # -- lookups -----------------------------------------------------------------------------------------

    def _exemption(self, issue: IssueSnapshot) -> Decision | None:
        exempt = self.policy.exempt
        labels = sorted(set(issue.labels) & set(exempt.labels))
        if labels:
            return _no_action(issue.key, "exempt_label", f"{issue.key} has the exempt label {labels[0]!r}.")
        if issue.issue_type in exempt.issue_types:
            return _no_action(issue.key, "exempt_issue_type", f"{issue.key} is a {issue.issue_type}, which is exempt.")
        if issue.status in exempt.statuses:
            return _no_action(
                issue.key, "exempt_status", f"{issue.key} is in status {issue.status!r}, which is exempt."
            )
        return None

    def _category(self, issue: IssueSnapshot, state: EscalationState | None) -> Category | None:
        if state is not None:
            sticky = self._categories.get(state.category)
            if sticky is not None:
                return sticky
        return next((c for c in self.policy.categories if _matches(c, issue)), None)

    @staticmethod
    def _current_level(category: Category, state: EscalationState | None) -> int:
        """The 1-based level the issue is at (0 before L1), found by name first, as a policy may reorder."""
        if state is None or state.category != category.name:
            return 0
        names = [level.name for level in category.levels]
        if state.level in names:
            return names.index(state.level) + 1
        return min(state.level_index, len(category.levels))

    def _windows_from(
        self, category: Category, calendar: Calendar, current: int, *, unassigned: bool
    ) -> list[timedelta]:
        """Working-time windows of the levels above ``current``, the first shortened for an unowned issue."""
        windows = [self._window(category, calendar, index) for index in range(current, len(category.levels))]
        if unassigned and category.unassigned_window is not None:
            windows[0] = min(windows[0], self._window(category, calendar, -1))
        return windows

    def _window(self, category: Category, calendar: Calendar, index: int) -> timedelta:
        """Working time of level ``index``'s window (index -1: the unassigned window), computed once a run."""
        cache_key = (category.name, index)
        window = self._windows.get(cache_key)
        if window is None:
            duration = category.unassigned_window if index == -1 else category.levels[index].window
            assert duration is not None
            window = working_window(duration, calendar)
            self._windows[cache_key] = window
        return window

    def _unavailable(self, owner: str, today: date) -> str | None:
        if owner in self.inactive:
            return "inactive in Jira"
        for absence in self.policy.unavailable:
            if absence.owner == owner and absence.covers(today):
                return f"{absence.reason} until {absence.until.isoformat()}"
        return None

    def _deadline(self, state: EscalationState | None) -> tuple[datetime | None, bool]:
        limit = self.policy.escalation_deadline
        if state is None or limit is None:
            return None, False
        deadline = state.first_at + limit.wall_clock()
        return deadline, self.now > deadline


def _first_clock_start(issue: IssueSnapshot) -> tuple[datetime, ClockStart]:
    """Before its first escalation, an issue's clock starts when it was created, or when a person last
    assigned or re-prioritised it, whichever is later: an issue someone just took is not taken away."""
    changed = [t for t in (issue.human_changed_at, issue.assignee_changed_at) if t is not None]
    latest = max(changed, default=issue.created)
    return (latest, "human_change") if latest > issue.created else (issue.created, "created")


def _matches(category: Category, issue: IssueSnapshot) -> bool:
    return _failing_criterion(category, issue) is None


def _failing_criterion(category: Category, issue: IssueSnapshot) -> str | None:
    """The first match criterion ``issue`` fails (a Match field name or a custom field id), or None."""
    match = category.match
    if match.projects and issue.project not in match.projects:
        return "projects"
    if match.issue_types and issue.issue_type not in match.issue_types:
        return "issue_types"
    if match.priorities and issue.priority not in match.priorities:
        return "priorities"
    if match.components and not set(match.components).intersection(issue.components):
        return "components"
    if match.labels and not set(match.labels).intersection(issue.labels):
        return "labels"
    for field, accepted in match.fields.items():
        value = issue.fields.get(field)
        values = value if isinstance(value, tuple) else (value,)
        if not {str(v) for v in values if v is not None} & set(accepted):
            return field
    return None


def category_mismatch(category: Category, issue: IssueSnapshot) -> str | None:
    """Why ``issue`` is not in ``category``, in words (the first criterion that fails), or None when it is."""
    criterion = _failing_criterion(category, issue)
    if criterion is None:
        return None
    match = category.match
    described: dict[str, tuple[str, object, tuple[str, ...]]] = {
        "projects": ("project", issue.project, match.projects),
        "issue_types": ("issue type", issue.issue_type, match.issue_types),
        "priorities": ("priority", issue.priority or "none", match.priorities),
        "components": ("components", ", ".join(issue.components) or "none", match.components),
        "labels": ("labels", ", ".join(issue.labels) or "none", match.labels),
    }
    name, value, accepted = described.get(
        criterion, (criterion, issue.fields.get(criterion), match.fields.get(criterion, ()))
    )
    return f"{name} {value} is not among {', '.join(accepted)}"


def _no_action(key: str, code: str, reason: str) -> Decision:
    return Decision(issue_key=key, outcome="no_action", reason_code=code, reason=reason)


def _status_summary(
    issue: IssueSnapshot,
    policy: Policy,
    category: Category,
    calendar: Calendar,
    from_name: str | None,
    level: Level,
    owner: str,
    priority: str | None,
    labels: tuple[str, ...],
    skipped: list[SkippedOwner],
    reason: str,
    now: datetime,
) -> str:
    """The status summary an escalation e-mail would carry: who, what, when, why, under which policy."""
    local_now = now.astimezone(ZoneInfo(calendar.timezone))
    changes = [f"assignee {issue.assignee or 'unassigned'} → {owner}"]
    if priority != issue.priority:
        changes.append(f"priority {issue.priority or 'none'} → {priority}")
    if labels:
        changes.append("labels +" + ", +".join(labels))
    lines = [
        f"Escalated {'' if from_name is None else f'from {from_name} '}to {level.name} ({owner}) "
        f"on {format_instant(local_now)}.",
        f"Why: {reason}",
        f"What changed: {'; '.join(changes)}.",
    ]
    if skipped:
        lines.append("Skipped: " + "; ".join(f"{s.owner} at {s.level} ({s.reason})" for s in skipped) + ".")
    if level.note:
        lines.append(level.note.strip())
    lines.append(f"Policy: {policy.name} version {policy.version}, category {category.name}.")
    return "\n".join(lines)
