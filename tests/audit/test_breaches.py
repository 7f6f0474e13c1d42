"""Deadline breaches recorded once (pure, no Prefect): when a breach starts, once a UTC day while it lasts, and
when it ends; sweeps of the same day record nothing new; a sweep that stopped part-way ends nothing it did not
see; dry runs predict but never change what is kept. One table row per sweep of a breach's life."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from escalator.audit.breaches import OpenBreach, breach_notices, register_from, register_rows
from escalator.audit.record import AuditRecord, RunInfo, records_for
from escalator.authoring.provenance import GitProvenance
from escalator.core.decision import Decision, Outcome, Plan
from escalator.core.policy import PolicyIdentity

DEADLINE = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
IDENTITY = PolicyIdentity(name="outage-matrix", version="3")
GIT = GitProvenance()


def decision(key: str, kind: str) -> Decision:
    """``breached`` (at the top level, past the deadline), ``fine`` (not past it), ``resolved``, ``escalated``
    (escalated while past the deadline), ``skipped`` (past the deadline and no owner)."""
    past = {"deadline_at": DEADLINE, "deadline_breached": True}
    if kind == "breached":
        return Decision(issue_key=key, outcome="no_action", reason_code="at_top_level", reason="top", **past)
    if kind == "fine":
        return Decision(issue_key=key, outcome="no_action", reason_code="not_due", reason="not due")
    if kind == "resolved":
        return Decision(issue_key=key, outcome="no_action", reason_code="resolved", reason=f"{key} is resolved (Done).")
    if kind == "escalated":
        return Decision(issue_key=key, outcome="escalate", reason_code="due", reason="due", to_level="L3", **past)
    assert kind == "skipped"
    return Decision(issue_key=key, outcome="skipped", reason_code="no_available_owner", reason="nobody", **past)


def sweep(
    at: datetime,
    issues: dict[str, str],
    register: dict[str, OpenBreach],
    *,
    complete: bool = True,
    statuses: dict[str, str] | None = None,
    dry_run: bool = False,
    unreadable: tuple[str, ...] = (),
) -> tuple[list[AuditRecord], dict[str, OpenBreach]]:
    plan = Plan(policy=IDENTITY, now=at, decisions=tuple(decision(k, v) for k, v in sorted(issues.items())))
    statuses = statuses or {}
    outcomes = [
        Outcome(issue_key=d.issue_key, status=statuses.get(d.issue_key, "applied"))  # type: ignore[arg-type]
        for d in plan.escalations
    ]
    run = RunInfo(flow_run_id=f"run-{at.isoformat()}", dry_run=dry_run)
    records = records_for(plan, outcomes, GIT, run)
    return breach_notices(records, plan, register, complete=complete, unreadable=unreadable, git=GIT, run=run)


def breaches(records: list[AuditRecord]) -> list[tuple[str, str | None, str]]:
    return [(r.issue_key, r.breach, r.reason_code) for r in records if r.breach is not None]


DAY1 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def test_a_breach_is_recorded_when_it_starts_once_a_day_and_when_it_ends() -> None:
    register: dict[str, OpenBreach] = {}
    life = [
        (DAY1, {"OPS-1": "breached"}, [("OPS-1", "started", "at_top_level")]),
        (DAY1 + timedelta(minutes=15), {"OPS-1": "breached"}, []),
        (DAY1 + timedelta(hours=14, minutes=59), {"OPS-1": "breached"}, []),  # 23:59 UTC, same day
        (DAY1 + timedelta(hours=15), {"OPS-1": "breached"}, [("OPS-1", "ongoing", "at_top_level")]),  # next day
        (DAY1 + timedelta(hours=15, minutes=15), {"OPS-1": "breached"}, []),
        (DAY1 + timedelta(days=3), {"OPS-1": "breached"}, [("OPS-1", "ongoing", "at_top_level")]),  # days skipped
        (DAY1 + timedelta(days=3, minutes=15), {"OPS-1": "resolved"}, [("OPS-1", "ended", "resolved")]),
        (DAY1 + timedelta(days=3, minutes=30), {"OPS-1": "resolved"}, []),
    ]
    for at, issues, expected in life:
        records, register = sweep(at, issues, register)
        assert breaches(records) == expected, at
    assert register == {}


def test_the_register_remembers_when_the_breach_was_first_recorded() -> None:
    _, register = sweep(DAY1, {"OPS-1": "breached"}, {})
    _, register = sweep(DAY1 + timedelta(days=1), {"OPS-1": "breached"}, register)
    assert register["OPS-1"] == OpenBreach(
        issue_key="OPS-1", deadline_at=DEADLINE, since=DAY1, last_recorded=date(2026, 3, 3)
    )


@pytest.mark.parametrize(
    ("now", "statuses", "ended"),
    [
        ("escalated", {}, [("OPS-1", "ended", "escalated")]),
        ("escalated", {"OPS-1": "failed"}, []),  # the escalation did not happen: the breach goes on
        ("escalated", {"OPS-1": "over_budget"}, []),
        ("skipped", {}, []),  # still past its deadline; the skip record says so
        ("fine", {}, [("OPS-1", "ended", "not_due")]),  # e.g. the deadline was lengthened
        ("gone", {}, [("OPS-1", "ended", "left_search")]),  # resolved out of the scope, moved or deleted
    ],
)
def test_how_a_breach_ends(now: str, statuses: dict[str, str], ended: list[tuple[str, str, str]]) -> None:
    _, register = sweep(DAY1, {"OPS-1": "breached", "OPS-2": "fine"}, {})
    issues = {"OPS-2": "fine"} if now == "gone" else {"OPS-1": now, "OPS-2": "fine"}
    records, after = sweep(DAY1 + timedelta(minutes=15), issues, register, statuses=statuses)
    assert breaches(records) == ended
    assert ("OPS-1" in after) == (not ended)
    if ended:
        (end,) = [r for r in records if r.breach == "ended"]
        assert end.outcome == "breach_ended" and end.deadline_at == DEADLINE and "OPS-1" in end.reason


def test_a_sweep_that_did_not_see_an_issue_ends_nothing_it_cannot_know() -> None:
    _, register = sweep(DAY1, {"OPS-1": "breached", "OPS-2": "breached"}, {})
    records, after = sweep(DAY1 + timedelta(minutes=15), {}, register, complete=False)  # stopped part-way
    assert breaches(records) == [] and set(after) == {"OPS-1", "OPS-2"}
    records, after = sweep(DAY1 + timedelta(minutes=30), {"OPS-2": "breached"}, register, unreadable=("OPS-1",))
    assert breaches(records) == [] and set(after) == {"OPS-1", "OPS-2"}  # OPS-1's data could not be read


def test_a_dry_run_predicts_the_records_but_its_records_never_change_the_register() -> None:
    dry_records, _ = sweep(DAY1, {"OPS-1": "breached"}, {}, dry_run=True)
    live_records, _ = sweep(DAY1, {"OPS-1": "breached"}, {})
    assert breaches(dry_records) == breaches(live_records) == [("OPS-1", "started", "at_top_level")]
    assert register_from([], dry_records) == {}
    assert set(register_from([], live_records)) == {"OPS-1"}


def test_the_register_folds_from_a_checkpoint_and_the_records_after_it() -> None:
    first, register = sweep(DAY1, {"OPS-1": "breached", "OPS-2": "breached"}, {})
    rows = register_rows(register)
    later, expected = sweep(DAY1 + timedelta(days=1), {"OPS-1": "breached", "OPS-2": "resolved"}, register)
    assert register_from(rows, later) == expected
    assert register_from([], [*first, *later]) == expected
    assert register_from([{"issue_key": "OPS-9", "deadline_at": "garbage"}, *rows]) == register  # bad rows dropped
