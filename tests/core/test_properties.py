"""Properties that must hold for every input: priority never lowered, order does not matter, evaluation is pure."""

from __future__ import annotations

import random
from datetime import datetime, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from escalator.core import evaluate, raise_priority, youngest_actionable_age
from escalator.core.decision import notable
from escalator.core.policy import PriorityChange

from .policy_builders import BERLIN, make_issue, make_policy, state

LADDER = ("Lowest", "Low", "Medium", "High", "Highest")
POLICY = make_policy(cooldown="1h", escalation_deadline="5d")
START = datetime(2026, 11, 2, 0, 0, tzinfo=BERLIN)

priorities = st.sampled_from((*LADDER, None, "Blocker"))
changes = st.one_of(
    st.builds(lambda name: PriorityChange(set=name), st.sampled_from(LADDER)),
    st.builds(lambda steps: PriorityChange.model_validate({"raise": steps}), st.integers(1, 6)),
)
minutes = st.integers(0, 60 * 24 * 40)


@st.composite
def issues(draw: st.DrawFn, key: str) -> object:
    project = draw(st.sampled_from(["SUP", "OPS", "ENG"]))
    created = START + timedelta(minutes=draw(minutes))
    fields: dict[str, object] = {
        "key": f"{project}-{key}",
        "priority": draw(priorities),
        "assignee": draw(st.sampled_from([None, "dave", "erin", "mallory"])),
        "labels": draw(st.lists(st.sampled_from(["outage", "no-escalation", "vip"]), max_size=2)),
        "created": created,
    }
    if draw(st.booleans()):
        level = draw(st.integers(1, 3))
        at = created + timedelta(minutes=draw(st.integers(0, 60 * 24 * 10)))
        fields["state"] = state(
            category=draw(st.sampled_from(["support", "outage"])),
            level=f"L{level}",
            level_index=level,
            at=at,
            first_at=at,
            assignee_set=draw(st.sampled_from(["dave", "erin", "mallory"])),
            priority_set=draw(st.sampled_from(LADDER)),
        )
    return make_issue(**fields)


@given(current=priorities, change=changes)
def test_priority_is_never_lowered_nor_raised_past_the_top(current: str | None, change: PriorityChange) -> None:
    result = raise_priority(current, change, LADDER)
    if current in LADDER:
        assert result in LADDER
        assert LADDER.index(result) >= LADDER.index(current)
    elif current is not None:
        assert result == current  # not on the ladder: cannot compare, so never touched


@settings(max_examples=60, deadline=None)
@given(
    batch=st.lists(st.integers(0, 10_000), min_size=1, max_size=12, unique=True).flatmap(
        lambda keys: st.tuples(*(issues(str(k)) for k in keys))
    ),
    now_minutes=st.integers(0, 60 * 24 * 60),
    inactive=st.sets(st.sampled_from(["dave", "erin", "frank", "alice"])),
    seed=st.integers(0, 1000),
)
def test_plan_does_not_depend_on_issue_order_and_is_pure(
    batch: tuple[object, ...], now_minutes: int, inactive: set[str], seed: int
) -> None:
    now = START + timedelta(minutes=now_minutes)
    shuffled = list(batch)
    random.Random(seed).shuffle(shuffled)
    first = evaluate(batch, POLICY, now, inactive_users=inactive)  # type: ignore[arg-type]
    again = evaluate(shuffled, POLICY, now, inactive_users=inactive)  # type: ignore[arg-type]
    assert first == again
    for decision in first.decisions:
        if decision.actions is not None:
            before, after = decision.actions.priority_from, decision.actions.priority_to
            if before in LADDER:
                assert LADDER.index(after) >= LADDER.index(before)  # type: ignore[arg-type]
        if decision.outcome == "escalate":
            assert decision.new_state is not None and decision.new_state.at == now
            assert decision.to_level is not None and decision.to_level != decision.from_level
        else:
            assert decision.actions is None and decision.new_state is None


@settings(max_examples=40, deadline=None)
@given(issue=issues("1"), offsets=st.tuples(st.integers(0, 60 * 24 * 30), st.integers(0, 60 * 24 * 30)))
def test_an_escalated_issue_is_not_escalated_again_for_the_same_level(issue: object, offsets: tuple[int, int]) -> None:
    """Applying a decision and evaluating again at the same instant never escalates twice."""
    now = START + timedelta(minutes=max(offsets))
    decision = evaluate([issue], POLICY, now).decisions[0]  # type: ignore[list-item]
    if decision.outcome != "escalate":
        return
    assert decision.actions is not None
    applied = issue.model_copy(
        update={  # type: ignore[attr-defined]
            "assignee": decision.actions.assignee_to,
            "priority": decision.actions.priority_to,
            "state": decision.new_state,
            "labels": tuple(sorted({*issue.labels, *decision.actions.labels_add})),  # type: ignore[attr-defined]
        }
    )
    assert evaluate([applied], POLICY, now).decisions[0].outcome == "no_action"


SLOW_POLICY = make_policy(escalation_deadline="5h")  # shortest: the outage L1 window, 30m of 24x7 time


@settings(max_examples=80, deadline=None)
@given(issue=issues("1"), age_minutes=st.one_of(st.integers(0, 45), st.integers(0, 60 * 24 * 3)))
def test_no_issue_younger_than_the_youngest_actionable_age_gets_more_than_no_action(
    issue: object, age_minutes: int
) -> None:
    """What lets a sweep search only ``created <= -age``: a younger issue is never escalated, skipped or past
    its deadline, whatever its state, assignee or category."""
    youngest = youngest_actionable_age(SLOW_POLICY)
    assert youngest == timedelta(minutes=30)
    now = issue.created + timedelta(minutes=age_minutes)  # type: ignore[attr-defined]
    (decision,) = evaluate([issue], SLOW_POLICY, now).decisions  # type: ignore[list-item]
    if now - issue.created < youngest:  # type: ignore[attr-defined]
        assert decision.outcome == "no_action" and not decision.deadline_breached, decision


@settings(max_examples=80, deadline=None)
@given(
    batch=st.lists(st.integers(0, 10_000), min_size=1, max_size=12, unique=True).flatmap(
        lambda keys: st.tuples(*(issues(str(k)) for k in keys))
    ),
    now_minutes=st.integers(0, 60 * 24 * 60),
    kept=st.sets(st.integers(0, 11), max_size=4),
)
def test_a_sweeps_plan_keeps_what_is_recorded_and_counts_the_rest(
    batch: tuple[object, ...], now_minutes: int, kept: set[int]
) -> None:
    """``keep`` (a sweep's plan, Plan.quiet): the decisions kept are exactly the full plan's notable ones and those
    of the issues asked for, unchanged; every other issue is counted under its reason; nothing else differs."""
    now = START + timedelta(minutes=now_minutes)
    keys = [issue.key for issue in batch]  # type: ignore[attr-defined]
    keep = {keys[i] for i in kept if i < len(keys)}
    whole = evaluate(batch, POLICY, now)  # type: ignore[arg-type]
    sweeps = evaluate(batch, POLICY, now, keep=keep)  # type: ignore[arg-type]
    expected = tuple(d for d in whole.decisions if notable(d) or d.issue_key in keep)
    assert sweeps.decisions == expected
    assert sweeps.evaluated == whole.evaluated == len(batch)
    assert sweeps.counts() == whole.counts()
    assert sweeps.reasons_left_alone() == whole.reasons_left_alone()
    assert sweeps.blocked == whole.blocked
    assert not whole.quiet


@settings(max_examples=200, deadline=None, derandomize=True)
@given(
    batch=st.lists(st.integers(0, 10_000), min_size=1, max_size=8, unique=True).flatmap(
        lambda keys: st.tuples(*(issues(str(k)) for k in keys))
    ),
    ages=st.lists(st.sampled_from(range(-30, 4 * 60, 5)), min_size=8, max_size=8),  # minutes, evenly drawn
    day=st.sampled_from(range(14)),
    minute=st.sampled_from(range(7 * 60, 19 * 60, 10)),  # around the working hours of the support calendar
)
def test_a_sweep_counts_young_issues_exactly_as_the_full_plan_decides_them(
    batch: tuple[object, ...], ages: list[int], day: int, minute: int
) -> None:
    """Issues around the age of their shortest window (the sweep counts a younger one without working out its
    clock): the kept decisions and the counts are the full plan's."""
    now = START + timedelta(days=day, minutes=minute)
    young = [
        issue.model_copy(update={"created": now - timedelta(minutes=age)})  # type: ignore[attr-defined]
        for issue, age in zip(batch, ages, strict=False)
    ]
    whole, sweeps = evaluate(young, POLICY, now), evaluate(young, POLICY, now, keep=frozenset())
    assert sweeps.decisions == tuple(d for d in whole.decisions if notable(d))
    assert sweeps.counts() == whole.counts()
