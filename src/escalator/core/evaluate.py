"""``evaluate(issues, policy, now) -> Plan``: the escalation rules, deterministic and free of I/O.

Given the same issues, policy, instant and inactive users, it returns the same plan, whatever the order of the
issues. It reads no clock, file, environment or network; the caller supplies all of them.

The rules, in the order they apply to an issue (one function each below, named after its rule):

1. Resolved issues and exempt ones (label, issue type, status) are left alone.
2. The category is the first whose ``match`` holds (all given criteria; any listed value within one). An issue
   escalated before stays in the category it was escalated under while that category exists, so the priority
   escalator raised cannot move it elsewhere. An issue escalated by another policy is left to that policy.
3. An issue escalated before is past its deadline once ``escalation_deadline`` (wall-clock time) has passed
   since its first escalation; every decision about it says so, whatever else it decides.
4. The current level's clock starts, before L1, when the issue was created or when a person last assigned it,
   whichever is later (an issue someone just took is not taken away); after an escalation, when escalator
   escalated it; and if a person has since changed the assignee or priority, at that change: humans win.
   A person's change is read from the changelog (any author but escalator's own account), so reassigning
   away and back counts too; when the changelog is cut short, an assignee or priority that differs from what
   escalator set counts, at the latest change time known (or now). escalator never reverts a person's change;
   the level's clock restarts from it, so the new owner gets a full window. With ``on_human_change: stop``
   escalator leaves an issue alone once a person has changed it after escalator.
5. An issue at the top level of its category goes no higher.
6. Within ``cooldown`` of its last escalation an issue is not escalated again.
7. The issue moves up when the working time on the category's calendar since the clock started reaches the
   next level's window (the ``unassigned_window`` instead when it is shorter and nobody owns the issue). A
   backlog issue whose windows have all run out goes straight to the highest level due, and the decision
   names the levels passed. Working time while the issue was in one of its category's ``pause_statuses`` (read
   from the status history in the changelog) does not count; an issue in a pause status now is not escalated, and
   its clock resumes when it leaves. When Jira returned only part of the status history, the time before it counts
   as paused (a short history can delay an escalation, never hasten it), and the decision says so.
8. The new owner is the first available owner (active in Jira, not listed under ``unavailable`` for today) of
   that level, else of the levels above, else (when catching up) of the highest level below it that is still
   above the issue's current one; if nobody is available, the issue is reported as skipped with every reason.
   A ``rotation:NAME`` owner is whoever is on call at ``now``, then the next members in rotation order; a
   ``group:NAME`` owner is the group's members as its ``pick`` orders them (``escalator.core.routing``).
   Issues are decided in the order of their numbers, so ``least_loaded`` counts the plan's own earlier
   escalations the same way in a dry run and in the live run after it.
9. The priority is raised as the levels passed and reached ask (``set`` a named priority or ``raise`` by steps on
   the ladder), never lowered, never past the top.
10. If more issues would be escalated than ``max_escalations_per_run``, the whole plan is blocked before any
    write.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from functools import cached_property
from typing import NamedTuple
from zoneinfo import ZoneInfo

from escalator.core.calendar import Calendar
from escalator.core.decision import (
    Actions,
    ClockStart,
    Decision,
    Plan,
    ReasonCode,
    SkippedOwner,
    StatusSummary,
    Verdict,
    format_instant,
    format_timedelta,
    notable,
)
from escalator.core.issue import EscalationState, IssueSnapshot
from escalator.core.matching import matches
from escalator.core.pause import Pauses, clock_pauses, due_instant, in_pause_status, running_time
from escalator.core.policy import Category, Level, Policy, PolicyIdentity, shortest_window, working_window
from escalator.core.priority import raise_priority
from escalator.core.routing import Candidate, Roster, Routing, counts_workload, issue_order
from escalator.core.state import StateInUse, state_in_use

__all__ = ["evaluate", "left_alone", "merge_plans", "youngest_actionable_age"]


def evaluate(
    issues: Iterable[IssueSnapshot],
    policy: Policy,
    now: datetime,
    *,
    inactive_users: Collection[str] = frozenset(),
    identity: PolicyIdentity | None = None,
    roster: Roster | None = None,
    keep: Collection[str] | None = None,
) -> Plan:
    """Decide, for every issue, whether to escalate it now and how. ``now`` must be timezone-aware. ``roster``
    gives the members of the policy's groups and everyone's open issues.

    ``keep``: a sweep's plan (see ``Plan``). The decisions that are not ``notable`` are counted in ``Plan.quiet``
    instead of kept, except those about the issues in ``keep`` (say, the issues an audit register holds, whose
    decision ends their entry); an issue that is simply not due yet is counted without writing its reason.
    ``None`` keeps every decision."""
    if now.tzinfo is None:
        raise ValueError("evaluate needs a timezone-aware 'now'")
    rules = _Rules(policy, now, frozenset(inactive_users), roster or Roster(), keep)
    decisions: list[Decision] = []
    quiet: dict[ReasonCode, int] = {}
    if counts_workload(policy.groups):  # the only rule that depends on the order of the issues (rule 8)
        issues = sorted(issues, key=lambda i: issue_order(i.key))
    for issue in issues:
        decided = rules.decide_isolated(issue)
        if isinstance(decided, Decision) and (keep is None or notable(decided) or decided.issue_key in keep):
            decisions.append(decided)
        else:
            code = decided if isinstance(decided, str) else decided.reason_code
            quiet[code] = quiet.get(code, 0) + 1
    return _plan(decisions, policy, now, identity or PolicyIdentity.of(policy), quiet)


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
    quiet: dict[ReasonCode, int] = {}
    for part in parts:  # a sweep reads each issue once (``escalator.sweep.histories``), so counts add up
        for code, count in part.quiet.items():
            quiet[code] = quiet.get(code, 0) + count
    return _plan(decisions, policy, first.now, first.policy, quiet)


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


def _plan(
    decisions: list[Decision],
    policy: Policy,
    now: datetime,
    identity: PolicyIdentity,
    quiet: dict[ReasonCode, int] | None = None,
) -> Plan:
    decisions.sort(key=lambda d: d.issue_key)
    blocked = _rule_10_blast_radius(decisions, policy)
    return Plan(policy=identity, now=now, decisions=tuple(decisions), blocked=blocked, quiet=quiet or {})


def _rule_10_blast_radius(decisions: list[Decision], policy: Policy) -> str | None:
    """Why the whole plan is blocked, or None: more escalations than ``max_escalations_per_run``."""
    escalations = sum(1 for d in decisions if d.outcome == "escalate")
    limit = policy.max_escalations_per_run
    if limit is None or escalations <= limit:
        return None
    return (
        f"{escalations} escalations planned, more than this policy's max_escalations_per_run of {limit}; "
        "nothing was applied. Check the policy and the backlog, then raise the limit if this is intended."
    )


# -- what the rules find out about an issue, step by step ------------------------------------------------------


class _Place(NamedTuple):
    """Where an issue stands under the policy (rules 2 and 3): category, calendar, level, deadline. A named tuple,
    not a frozen dataclass: every issue of a sweep gets one, and it is made in a third of the time."""

    key: str
    category: Category
    calendar: Calendar
    state: EscalationState | None  # the state the rules go by (``escalator.core.state``)
    state_problem: str | None  # why that is not the stored state
    current: int  # the 1-based level the issue is at, 0 before L1
    deadline_at: datetime | None
    breached: bool

    @property
    def from_level(self) -> str | None:
        return self.category.levels[self.current - 1].name if self.current else None

    @property
    def next_level(self) -> Level:
        return self.category.levels[self.current]


@dataclass(frozen=True)
class _Clock:
    """When the current level's clock started, and why (rule 4)."""

    started: datetime
    start: ClockStart
    human_at: datetime | None

    def since(self, place: _Place) -> str:
        if self.start == "created":
            return "creation"
        return f"escalation to {place.from_level}" if self.start == "escalated" else "a manual change"


@dataclass(frozen=True)
class _Due:
    """How far the clock has run against the windows (rule 7): ``target`` is the highest level due."""

    elapsed: timedelta
    window: timedelta
    target: int
    calendar: Calendar
    started: datetime
    pauses: Pauses
    paused: timedelta | None = None  # working time the clock stood still, when the category has pause statuses
    paused_now: bool = False  # the issue is in a pause status: not escalated
    history_note: str | None = None  # the status history was incomplete, and what was done about it

    @cached_property
    def due_at(self) -> datetime:
        """When the next level is (or was) due: worked out only for a decision that says it, since a sweep counts
        most not-due issues without one."""
        return due_instant(self.calendar, self.started, self.window, self.pauses)

    def pause_words(self) -> str:
        return f" (not counting {format_timedelta(self.paused)} paused)" if self.paused else ""


@dataclass(frozen=True)
class _Owner:
    """Who takes the issue (rule 8): the level reached, the owner, and everyone skipped on the way."""

    level_index: int
    owner: str
    why: str | None = None  # how a rotation or group led to this owner


def _youngest_due(category: Category, calendar: Calendar, pauses: frozenset[str]) -> timedelta | None:
    """The wall-clock age below which an issue of ``category`` without an escalation state cannot be due: its
    shortest window (or unassigned window) as working time. None when the category pauses its clock, whose
    decision also reads the status history."""
    return None if pauses else shortest_window(category, calendar)


def _decision(
    place: _Place,
    outcome: Verdict,
    code: ReasonCode,
    reason: str,
    clock: _Clock | None = None,
    due: _Due | None = None,
    *,
    human_at: datetime | None = None,
    to_level: str | None = None,
    levels_passed: tuple[str, ...] = (),
    skipped: tuple[SkippedOwner, ...] = (),
    owner_reason: str | None = None,
    actions: Actions | None = None,
    new_state: EscalationState | None = None,
    holding: bool = False,
) -> Decision:
    """A decision about an issue that has a category, with every fact the rules found so far. ``holding``: the
    issue's escalation state alone decided it (rules 4 to 6 keeping it quiet)."""
    return Decision(
        issue_key=place.key,
        outcome=outcome,
        reason_code=code,
        reason=reason,
        category=place.category.name,
        calendar=place.calendar.name,
        from_level=place.from_level,
        deadline_at=place.deadline_at,
        deadline_breached=place.breached,
        clock_started_at=clock.started if clock else None,
        clock_start=clock.start if clock else None,
        human_change_at=clock.human_at if clock else human_at,
        data_problem="; ".join(p for p in (place.state_problem, due.history_note if due else None) if p) or None,
        elapsed=due.elapsed if due else None,
        window=due.window if due else None,
        due_at=None if due is None or due.paused_now else due.due_at,
        paused=due.paused if due else None,
        to_level=to_level,
        levels_passed=levels_passed,
        owners_skipped=skipped,
        owner_reason=owner_reason,
        actions=actions,
        new_state=new_state,
        holding_state=place.state if holding else None,
    )


def _no_action(
    key: str,
    code: ReasonCode,
    reason: str,
    data_problem: str | None = None,
    *,
    holding_state: EscalationState | None = None,
) -> Decision:
    return Decision(
        issue_key=key,
        outcome="no_action",
        reason_code=code,
        reason=reason,
        data_problem=data_problem,
        holding_state=holding_state,
    )


def left_alone(issue: IssueSnapshot, policy: Policy) -> Decision | None:
    """Rule 1: the decision to leave a resolved or exempt (label, issue type, status) issue alone, or None. Needs
    nothing but the issue's fields (``escalator.core.history_need`` asks it before any changelog is read)."""
    key, exempt = issue.key, policy.exempt
    if issue.status_category == "done":
        return _no_action(key, "resolved", f"{key} is resolved ({issue.status}).")
    label = next((label for label in issue.labels if label in exempt.labels), None) if exempt.labels else None
    if label is not None:  # the first in the issue's sorted labels
        return _no_action(key, "exempt_label", f"{key} has the exempt label {label!r}.")
    if issue.issue_type in exempt.issue_types:
        return _no_action(key, "exempt_issue_type", f"{key} is a {issue.issue_type}, which is exempt.")
    if issue.status in exempt.statuses:
        return _no_action(key, "exempt_status", f"{key} is in status {issue.status!r}, which is exempt.")
    return None


class _Rules:
    """The rules applied to one issue at a time, with one evaluation's fixed inputs and per-calendar caches."""

    def __init__(
        self, policy: Policy, now: datetime, inactive: frozenset[str], roster: Roster, keep: Collection[str] | None
    ) -> None:
        self.policy = policy
        self.now = now
        self.inactive = inactive
        self.keep = keep
        self.routing = Routing(policy.rotations, policy.groups, roster, now)
        self.groups = roster.groups  # a rebuilt state tells a group's level by its members
        self._windows: dict[tuple[str, int], timedelta] = {}
        self._categories = {category.name: category for category in policy.categories}
        self._calendars = {category.name: policy.calendar_for(category) for category in policy.categories}
        self._pauses = {category.name: policy.pause_statuses_for(category) for category in policy.categories}
        self._young = {
            c.name: _youngest_due(c, self._calendars[c.name], self._pauses[c.name]) for c in policy.categories
        }

    def decide_isolated(self, issue: IssueSnapshot) -> Decision | ReasonCode:
        """``decide``, with data that no rule can work with (say, dates outside the years a calendar covers)
        costing this issue alone: it is a data problem, and every other issue is decided as usual."""
        try:
            return self.decide(issue)
        except (ValueError, OverflowError) as error:
            problem = f"{issue.key} could not be evaluated: {error}"
            return _no_action(issue.key, "data_problem", problem, data_problem=problem)

    def decide(self, issue: IssueSnapshot) -> Decision | ReasonCode:
        """The rules in order: each returns the final decision, or what the next rule needs. A quiet not-due
        decision of a sweep's plan is only its reason code (``_quietly_not_due``)."""
        left_alone = self.rule_1_left_alone(issue)
        if left_alone is not None:
            return left_alone
        place = self.rule_2_place(issue, state_in_use(issue, self.policy, self.now, self.groups))
        if isinstance(place, Decision):
            return place
        if self._quietly_young(issue, place):
            return "not_due"
        clock = self.rule_4_clock(issue, place)
        if isinstance(clock, Decision):
            return clock
        quiet = self.rule_5_top_level(place, clock) or self.rule_6_cooldown(issue, place, clock)
        if quiet is not None:
            return quiet
        due = self.rule_7_due(issue, place, clock)
        if due.paused_now:
            return self._paused(issue, place, clock, due)
        if due.target == place.current:
            return "not_due" if self._quietly_not_due(place, due) else self._not_due(place, clock, due)
        return self._escalate(issue, place, clock, due)

    def _quietly_young(self, issue: IssueSnapshot, place: _Place) -> bool:
        """Whether a sweep's plan counts the issue as not due before its clock is worked out: never escalated,
        and younger than any window of its category, so no working time since creation can reach one (a clock
        never starts before creation, working time never exceeds wall time). Most issues of a sweep are."""
        if self.keep is None or place.key in self.keep or place.state is not None or place.state_problem is not None:
            return False
        young, age = self._young[place.category.name], self.now - issue.created
        return young is not None and timedelta() <= age < young

    def _quietly_not_due(self, place: _Place, due: _Due) -> bool:
        """Whether a not-due decision is counted and not kept (``evaluate``'s ``keep``): what ``notable`` would
        find, known before the decision and its reason are written, which most issues of a sweep would cost."""
        if self.keep is None or place.key in self.keep:
            return False
        return not place.breached and place.state_problem is None and due.history_note is None

    # -- the rules, one function each ----------------------------------------------------------------------

    def rule_1_left_alone(self, issue: IssueSnapshot) -> Decision | None:
        """Resolved issues and exempt ones (label, issue type, status) are left alone."""
        return left_alone(issue, self.policy)

    def rule_2_place(self, issue: IssueSnapshot, in_use: StateInUse) -> _Place | Decision:
        """The category (sticky once escalated, another policy's issue left to it) and the current level,
        with the deadline of rule 3. ``in_use`` is the state that holds up (``escalator.core.state``)."""
        key, state, problem = issue.key, in_use.state, in_use.problem
        if state is not None and state.policy != self.policy.name:
            reason = f"{key} was escalated by policy {state.policy!r}, which governs it."
            return _no_action(key, "other_policy", reason, problem, holding_state=state)
        sticky = self._categories.get(state.category) if state is not None else None
        if state is not None and sticky is None and problem is None:
            problem = (
                f"category {state.category!r} of the stored escalation state is not in policy version "
                f"{self.policy.version}; the issue is matched again"
            )
        category = sticky or next((c for c in self.policy.categories if matches(c, issue)), None)
        if category is None:
            return _no_action(key, "no_category", f"{key} matches no category of policy {self.policy.name}.", problem)
        deadline_at, breached = self.rule_3_deadline(state)
        current = _current_level(category, state)
        calendar = self._calendars[category.name]
        return _Place(key, category, calendar, state, problem, current, deadline_at, breached)

    def rule_3_deadline(self, state: EscalationState | None) -> tuple[datetime | None, bool]:
        """When the escalation must be closed by (``escalation_deadline`` after the first escalation), and
        whether that has passed."""
        limit = self.policy.escalation_deadline
        if state is None or limit is None:
            return None, False
        deadline = state.first_at + limit.wall_clock()
        return deadline, self.now > deadline

    def rule_4_clock(self, issue: IssueSnapshot, place: _Place) -> _Clock | Decision:
        """When the current level's clock started: humans win over escalator, and ``on_human_change: stop``
        leaves an issue a person changed alone."""
        state = place.state
        if state is None:
            return _first_clock(issue)
        human_at = _overridden_at(issue, state, self.now)
        if human_at is None:
            return _Clock(state.at, "escalated", None)
        if self.policy.on_human_change == "stop":
            reason = (
                f"A person changed {issue.key} after escalator set it on {format_instant(state.at)}; "
                "this policy stops escalating such issues (on_human_change: stop)."
            )
            return _decision(place, "no_action", "human_override", reason, human_at=human_at, holding=True)
        return _Clock(human_at, "human_change", human_at)

    def rule_5_top_level(self, place: _Place, clock: _Clock) -> Decision | None:
        """An issue at the top level of its category goes no higher."""
        if place.current < len(place.category.levels):
            return None
        reason = (
            f"{place.key} is at {place.from_level}, the top level of category {place.category.name}; it goes no higher."
        )
        return _decision(place, "no_action", "at_top_level", reason, clock, holding=True)

    def rule_6_cooldown(self, issue: IssueSnapshot, place: _Place, clock: _Clock) -> Decision | None:
        """Within ``cooldown`` of its last escalation an issue is not escalated again."""
        state, cooldown = place.state, self.policy.cooldown
        if state is None or cooldown is None:
            return None
        ends = state.at + cooldown.wall_clock()
        if self.now >= ends:
            return None
        reason = (
            f"{place.key} was escalated at {format_instant(state.at)}; the cooldown of {cooldown} lasts until "
            f"{format_instant(ends)}."
        )
        return _decision(place, "no_action", "cooldown", reason, _Clock(clock.started, clock.start, None), holding=True)

    def rule_7_due(self, issue: IssueSnapshot, place: _Place, clock: _Clock) -> _Due:
        """The working time since the clock started, less the time paused, against the windows above the current
        level."""
        calendar, statuses = place.calendar, self._pauses[place.category.name]
        pauses = clock_pauses(issue, statuses, clock.started, self.now) if statuses else Pauses()
        elapsed, paused = running_time(calendar, clock.started, self.now, pauses)
        windows = self._windows_from(place, unassigned=issue.assignee is None)
        target, passed_time = place.current, timedelta()
        for window in windows:
            if passed_time + window > elapsed:
                break
            passed_time += window
            target += 1
        if not statuses:
            return _Due(elapsed, windows[0], target, calendar, clock.started, pauses)
        note = None
        if pauses.unknown_until is not None:
            note = (
                f"Jira returned only part of the status history (complete from {format_instant(pauses.unknown_until)}"
                f"); the working time before then counts as paused, which can delay the escalation, never hasten it"
            )
        paused_now = in_pause_status(issue.status, statuses)
        return _Due(elapsed, windows[0], target, calendar, clock.started, pauses, paused, paused_now, note)

    def rule_8_owner(self, place: _Place, target: int) -> tuple[_Owner | None, tuple[SkippedOwner, ...]]:
        """The first available owner of the due level, then of the levels above it; if nobody there can act,
        of the highest level below it that is still above the issue's current level."""
        today = self.now.astimezone(ZoneInfo(place.calendar.timezone)).date()
        levels = place.category.levels
        skipped: list[SkippedOwner] = []
        for index in [*range(target, len(levels) + 1), *range(target - 1, place.current, -1)]:
            level = levels[index - 1]
            for owner in level.owners:
                candidates, nobody = self.routing.candidates(owner, place.key)
                if nobody is not None:
                    skipped.append(SkippedOwner(owner=owner, level=level.name, reason=nobody))
                for candidate in candidates:
                    why = self._unavailable(candidate.person, today)
                    if why is None:
                        return _Owner(index, candidate.person, candidate.why), tuple(skipped)
                    skipped.append(SkippedOwner(owner=candidate.person, level=level.name, reason=_via(why, candidate)))
        return None, tuple(skipped)

    def rule_9_priority(self, issue: IssueSnapshot, climbed: Iterable[Level]) -> str | None:
        """The priority after the levels climbed: raised as each asks, never lowered, never past the top."""
        priority = issue.priority
        for level in climbed:
            if level.priority is not None:
                priority = raise_priority(priority, level.priority, self.policy.priorities)
        return priority

    # -- the decisions the rules end in --------------------------------------------------------------------

    def _not_due(self, place: _Place, clock: _Clock, due: _Due) -> Decision:
        due_local = due.due_at.astimezone(ZoneInfo(place.calendar.timezone))
        reason = (
            f"{place.key} has been open {format_timedelta(due.elapsed)} of working time since {clock.since(place)}"
            f"{due.pause_words()}; {place.next_level.name} is due after {format_timedelta(due.window)}, "
            f"at {format_instant(due_local)}."
        )
        return _decision(place, "no_action", "not_due", reason, clock, due)

    def _paused(self, issue: IssueSnapshot, place: _Place, clock: _Clock, due: _Due) -> Decision:
        reason = (
            f"{place.key} is in status {issue.status!r}, a pause status: its clock stands still until it leaves. "
            f"So far {format_timedelta(due.elapsed)} of working time counted since {clock.since(place)}, "
            f"{format_timedelta(due.paused or timedelta())} paused; {place.next_level.name} is due after "
            f"{format_timedelta(due.window)}."
        )
        return _decision(place, "no_action", "paused", reason, clock, due)

    def _escalate(self, issue: IssueSnapshot, place: _Place, clock: _Clock, due: _Due) -> Decision:
        chosen, skipped = self.rule_8_owner(place, due.target)
        if chosen is None:
            return self._skip(place, clock, due, skipped)
        climbed = place.category.levels[place.current : chosen.level_index]
        final = climbed[-1]
        priority = self.rule_9_priority(issue, climbed)
        labels = tuple(sorted({label for level in climbed for label in level.labels} - set(issue.labels)))
        passed = tuple(level.name for level in climbed[:-1])
        reason = self._escalation_reason(issue, place, clock, due, passed, final)
        if chosen.why is not None:
            reason += f" {chosen.owner}: {chosen.why}."
        self.routing.assigned(issue.assignee, chosen.owner)
        summary = StatusSummary(
            from_level=place.from_level,
            to_level=final.name,
            owner=chosen.owner,
            at=self.now.astimezone(ZoneInfo(place.calendar.timezone)),
            why=reason,
            assignee_before=issue.assignee,
            priority_before=issue.priority,
            priority_after=priority,
            labels_added=labels,
            skipped=skipped,
            note=final.note,
            policy=self.policy.name,
            policy_version=self.policy.version,
            category=place.category.name,
            paused=due.paused or None,
        )
        return _decision(
            place,
            "escalate",
            "due",
            reason,
            clock,
            due,
            to_level=final.name,
            levels_passed=passed,
            skipped=skipped,
            owner_reason=chosen.why,
            actions=_actions(summary, final),
            new_state=self._new_state(place.state, place, final, chosen, priority),
        )

    def _skip(self, place: _Place, clock: _Clock, due: _Due, skipped: tuple[SkippedOwner, ...]) -> Decision:
        to_level = place.category.levels[due.target - 1].name
        names = ", ".join(f"{s.owner} ({s.reason})" for s in skipped)
        reason = f"{place.key} is due for {to_level} but no owner from there up can take it: {names}."
        return _decision(place, "skipped", "no_available_owner", reason, clock, due, to_level=to_level, skipped=skipped)

    def _escalation_reason(
        self, issue: IssueSnapshot, place: _Place, clock: _Clock, due: _Due, passed: tuple[str, ...], final: Level
    ) -> str:
        unowned = issue.assignee is None and due.window < self._window(place, place.current)
        which = "the unassigned window (nobody owns the issue)" if unowned else "the window"
        reason = (
            f"{place.key} has been open {format_timedelta(due.elapsed)} of working time since {clock.since(place)}"
            f"{due.pause_words()} on calendar {place.calendar.name}; {which} for {place.next_level.name} is "
            f"{format_timedelta(due.window)}."
        )
        if passed:
            reason += f" Windows also ran out for {', '.join(passed)}, so it goes straight to {final.name}."
        return reason

    def _new_state(
        self, state: EscalationState | None, place: _Place, final: Level, chosen: _Owner, priority: str | None
    ) -> EscalationState:
        """What escalator stores on the issue with this escalation."""
        return EscalationState(
            policy=self.policy.name,
            policy_version=self.policy.version,
            category=place.category.name,
            level=final.name,
            level_index=chosen.level_index,
            at=self.now,
            first_at=state.first_at if state is not None else self.now,
            assignee_set=chosen.owner,
            priority_set=priority,
            escalations=(state.escalations + 1) if state is not None else 1,
        )

    # -- lookups -----------------------------------------------------------------------------------------------

    def _windows_from(self, place: _Place, *, unassigned: bool) -> list[timedelta]:
        """Working-time windows of the levels above the current one, the first shortened for an unowned issue."""
        windows = [self._window(place, index) for index in range(place.current, len(place.category.levels))]
        if unassigned and place.category.unassigned_window is not None:
            windows[0] = min(windows[0], self._window(place, -1))
        return windows

    def _window(self, place: _Place, index: int) -> timedelta:
        """Working time of level ``index``'s window (index -1: the unassigned window), computed once a run."""
        category = place.category
        cache_key = (category.name, index)
        window = self._windows.get(cache_key)
        if window is None:
            duration = category.unassigned_window if index == -1 else category.levels[index].window
            assert duration is not None
            window = working_window(duration, place.calendar)
            self._windows[cache_key] = window
        return window

    def _unavailable(self, owner: str, today: date) -> str | None:
        if owner in self.inactive:
            return "inactive in Jira"
        for absence in self.policy.unavailable:
            if absence.owner == owner and absence.covers(today):
                return f"{absence.reason} until {absence.until.isoformat()}"
        return None


def _via(why: str, candidate: Candidate) -> str:
    return why if candidate.source is None else f"{candidate.source}: {why}"


def _actions(summary: StatusSummary, final: Level) -> Actions:
    """The changes an escalation makes on the issue, with its status summary as the comment."""
    return Actions(
        assignee_from=summary.assignee_before,
        assignee_to=summary.owner,
        priority_from=summary.priority_before,
        priority_to=summary.priority_after,
        labels_add=summary.labels_added,
        notify_reporter=final.notify.reporter,
        notify_assignee=final.notify.assignee,
        notify_watchers=final.notify.watchers,
        notify_users=final.notify.users,
        channels=final.notify.channels,
        comment=summary.text(),
        summary=summary,
    )


def _current_level(category: Category, state: EscalationState | None) -> int:
    """The 1-based level the issue is at (0 before L1), found by name first, as a policy may reorder."""
    if state is None or state.category != category.name:
        return 0
    names = [level.name for level in category.levels]
    if state.level in names:
        return names.index(state.level) + 1
    return min(state.level_index, len(category.levels))


def _first_clock(issue: IssueSnapshot) -> _Clock:
    """Before its first escalation, an issue's clock starts when it was created, or when a person last
    assigned or re-prioritised it, whichever is later: an issue someone just took is not taken away."""
    changed = [t for t in (issue.human_changed_at, issue.assignee_changed_at) if t is not None]
    latest = max(changed, default=issue.created)
    return _Clock(latest, "human_change", None) if latest > issue.created else _Clock(issue.created, "created", None)


def _overridden_at(issue: IssueSnapshot, state: EscalationState, now: datetime) -> datetime | None:
    """When a person overrode what escalator last did to the issue, or None if nobody did.

    A person's change after escalator's in the changelog counts even if they changed it back. Without a
    changelog entry, an assignee or priority that differs from what escalator set still means a person
    stepped in; then the latest change time known is used, and ``now`` if none is, so escalator never
    takes the issue back on a guess.
    """
    if issue.human_changed_at is not None and issue.human_changed_at > state.at:
        return issue.human_changed_at
    mismatch = issue.assignee != state.assignee_set or (
        state.priority_set is not None and issue.priority != state.priority_set
    )
    if not mismatch:
        return None
    known = [t for t in (issue.assignee_changed_at, issue.priority_changed_at, issue.updated) if t and t > state.at]
    return max(known) if known else now
