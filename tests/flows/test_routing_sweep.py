"""Rotations and groups through the real sweep: Prefect (test harness), the adapter, the sandbox over HTTP.

The sweep reads the clock once, so these tests build their rotations around the real instant: a daily rotation
whose shifts began before the zone's latest DST change, with today's handoff half an hour from now on the side
where counting in UTC instead of local wall time would name someone else; and a rotation with an override
covering now. The expected person comes from a slow reference (every handoff as a local wall time, counted).
"""

from __future__ import annotations

import textwrap
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from escalator.cli.sweep import load_sweep_flow
from escalator.jira import RetryPolicy
from escalator.sweep.parameters import SweepParameters
from jira_sandbox.testing import Sandbox
from jira_sandbox.users import User
from tests.conftest import demo_jira

pytestmark = pytest.mark.usefixtures("prefect_harness")

FAST_RETRY = RetryPolicy(base_delay=0.05, max_delay=0.4)
ZONES = ("Europe/Berlin", "America/New_York", "Australia/Sydney", "America/Santiago", "Pacific/Auckland")
ROTA = ("acc-alice", "acc-bob", "acc-carol")


@pytest.fixture()
def sandbox(monkeypatch: pytest.MonkeyPatch) -> Iterator[Sandbox]:
    with demo_jira(monkeypatch) as running:
        yield running


def sweep(policy: Path, **params: Any) -> list[dict[str, Any]]:
    state = load_sweep_flow()(SweepParameters(policies=[str(policy)], retry=FAST_RETRY, **params), return_state=True)
    assert state.is_completed(), state.message
    data = state.result()
    assert isinstance(data, list)
    return data


def assignee(sandbox: Sandbox, key: str) -> str | None:
    person = sandbox.jira().issue(key).fields.assignee
    return None if person is None else str(person.accountId)


def latest_dst_change(now: datetime) -> tuple[ZoneInfo, date, bool]:
    """The zone among ``ZONES`` that changed its offset most recently before ``now``: the zone, the local day
    before the change, and whether the clocks went forward."""
    found: list[tuple[date, ZoneInfo, bool]] = []
    for name in ZONES:
        zone = ZoneInfo(name)
        for back in range(1, 400):
            day, before = now - timedelta(days=back), now - timedelta(days=back + 1)
            after_offset, before_offset = day.astimezone(zone).utcoffset(), before.astimezone(zone).utcoffset()
            assert after_offset is not None and before_offset is not None
            if after_offset != before_offset:
                found.append((before.astimezone(zone).date(), zone, after_offset > before_offset))
                break
    day, zone, forward = max(found, key=lambda item: item[0])
    return zone, day, forward


def reference_on_call(zone: ZoneInfo, start: date, at_time: datetime, now: datetime) -> tuple[str, datetime]:
    """Slowly: every daily handoff at ``at_time``'s wall-clock time in ``zone`` since ``start``, counted; who is
    on call and since when."""
    handoffs, day, last = 0, start, None
    while (boundary := datetime.combine(day, at_time.time()).replace(tzinfo=zone)) <= now:
        handoffs, day, last = handoffs + 1, day + timedelta(days=1), boundary
    assert last is not None
    return ROTA[(handoffs - 1) % len(ROTA)], last


def write_policy(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "routing.yaml"
    path.write_text(textwrap.dedent(text))
    return path


def test_a_rotation_across_a_dst_change_and_an_override(sandbox: Sandbox, tmp_path: Path) -> None:
    now = datetime.now(UTC)
    zone, day_before_change, forward = latest_dst_change(now)
    start = day_before_change - timedelta(days=2)  # the shifts began before the change
    local_now = now.astimezone(zone)
    # Forward: local handoffs now come an hour earlier in UTC; one 30 minutes ago has happened, though a count
    # in UTC would put it 30 minutes ahead. Back: the other way round.
    handoff = (local_now - timedelta(minutes=30)) if forward else (local_now + timedelta(minutes=30))
    handoff = handoff.replace(second=0, microsecond=0)  # as the policy writes it
    expected, shift_start = reference_on_call(zone, start, handoff, now)
    first = datetime.combine(start, handoff.time()).replace(tzinfo=zone)
    in_utc = ROTA[((now - first) // timedelta(days=1)) % len(ROTA)]
    assert in_utc != expected, "the case must tell local wall time from UTC"
    cover_from, cover_until = (local_now - timedelta(hours=1)), (local_now + timedelta(hours=2))
    policy = write_policy(
        tmp_path,
        f"""\
        name: routing-rotations
        version: "1"
        scope: project = OPS AND labels in (rot-dst, rot-override)
        rotations:
          - name: across-dst
            timezone: {zone.key}
            members: [{", ".join(ROTA)}]
            length: 1d
            handoff: {{time: "{handoff:%H:%M}"}}
            start: {start.isoformat()}
          - name: covered
            timezone: {zone.key}
            members: [acc-alice, acc-bob]
            length: 1w
            handoff: {{weekday: mon, time: "09:00"}}
            start: 2020-01-06
            overrides:
              - {{owner: acc-carol, from: {cover_from:%Y-%m-%dT%H:%M}, until: {cover_until:%Y-%m-%dT%H:%M}}}
        categories:
          - name: dst
            match: {{labels: [rot-dst]}}
            levels: [{{name: L1, window: 1h, owners: ["rotation:across-dst"]}}]
          - name: override
            match: {{labels: [rot-override]}}
            levels: [{{name: L1, window: 1h, owners: ["rotation:covered"]}}]
        """,
    )
    created = now - timedelta(hours=3)
    dst_key = sandbox.add_issue(project="OPS", issuetype="Incident", labels=["rot-dst"], created=created)
    covered_key = sandbox.add_issue(project="OPS", issuetype="Incident", labels=["rot-override"], created=created)

    (report,) = sweep(policy)

    assert report["applied"] == 2, report
    assert assignee(sandbox, dst_key) == expected
    assert assignee(sandbox, covered_key) == "acc-carol"
    routed = {line.split(" ")[0]: line for line in report["routed"]}
    assert f"on call in rotation across-dst from {shift_start:%Y-%m-%d %H:%M}" in routed[dst_key]
    assert "on call in rotation covered by override for" in routed[covered_key]


MEMBERS = ("ann", "ben", "cy", "dee")  # in the sandbox's (username) order; ann is inactive, ben is busy
GROUP_POLICY = """\
name: routing-groups
version: "1"
scope: project = OPS AND labels in (g-first, g-rr, g-ll, g-busy)
groups:
  - {name: team-first, pick: first}
  - {name: team-rr, pick: round_robin}
  - {name: team-ll, pick: least_loaded}
categories:
  - name: first
    match: {labels: [g-first]}
    levels: [{name: L1, window: 1h, owners: ["group:team-first"]}]
  - name: round-robin
    match: {labels: [g-rr]}
    levels: [{name: L1, window: 1h, owners: ["group:team-rr"]}]
  - name: least-loaded
    match: {labels: [g-ll]}
    levels: [{name: L1, window: 1h, owners: ["group:team-ll"]}]
  - name: busy
    match: {labels: [g-busy]}
    levels: [{name: L1, window: 30d, owners: [acc-ben]}]
"""


def test_a_group_with_an_inactive_and_a_busy_member_under_each_pick(sandbox: Sandbox, tmp_path: Path) -> None:
    for name in MEMBERS:
        user = User(f"acc-{name}", name, name.title(), f"{name}@example.com", active=name != "ann")
        sandbox.add_user(user, ("team-first", "team-rr", "team-ll"))
    old = datetime.now(UTC) - timedelta(hours=3)
    least = [sandbox.add_issue(project="OPS", labels=["g-ll"], created=old) for _ in range(2)]
    first = sandbox.add_issue(project="OPS", labels=["g-first"], created=old)
    robin = [sandbox.add_issue(project="OPS", labels=["g-rr"], created=old) for _ in range(4)]
    for person in ("acc-ben", "acc-ben", "acc-ben", "acc-cy"):  # open, assigned, young: counted, never due
        sandbox.add_issue(project="OPS", labels=["g-busy"], assignee=person)
    policy = write_policy(tmp_path, GROUP_POLICY)

    (dry,) = sweep(policy, dry_run=True)
    (live,) = sweep(policy)

    assert live["routed"] == dry["routed"] and len(live["routed"]) == 7  # the dry run named the same people
    # first: ann (inactive) is passed over, ben takes it however busy he is
    assert assignee(sandbox, first) == "acc-ben"
    # round robin: the issue number picks the member; ann's turn goes to the next one
    for key in robin:
        number = int(key.split("-")[1])
        dealt = MEMBERS[number % 4 :] + MEMBERS[: number % 4]
        assert assignee(sandbox, key) == f"acc-{next(m for m in dealt if m != 'ann')}", key
    # least loaded: ann 0 (inactive), dee 0, cy 1, ben 3 -> dee; then dee 1 and cy 1 tie -> cy (by id)
    assert [assignee(sandbox, key) for key in least] == ["acc-dee", "acc-cy"]
    routed = {line.split(" ")[0]: line for line in live["routed"]}
    assert (
        "least loaded in group team-ll of the members who can take it: 0 open issues (all: acc-ann 0, acc-dee 0, "
        "acc-cy 1, acc-ben 3)" in routed[least[0]]
    )
