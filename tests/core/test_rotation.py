"""Who is on call at an instant: handoffs in local wall time across both DST changes, overrides, validation."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from pydantic import ValidationError

from escalator.core.rotation import Rotation, on_call

ROTATION: dict[str, Any] = {
    "name": "support-primary",
    "timezone": "Europe/Berlin",
    "members": ["ann", "ben", "cat"],
    "length": "1w",
    "handoff": {"weekday": "mon", "time": "09:00"},
    "start": "2026-03-01",  # a Sunday: the first shift starts Monday 2 March, 09:00
    "overrides": [{"owner": "zoe", "from": "2026-03-24T09:00", "until": "2026-03-25T18:00"}],
}


def rotation(**overrides: Any) -> Rotation:
    return Rotation.model_validate({**ROTATION, **overrides})


def utc(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


@pytest.mark.parametrize(
    ("instant", "person"),
    [
        ("2026-03-02T07:59", None),  # 08:59 CET, before the first handoff
        ("2026-03-02T08:00", "ann"),  # 09:00 CET
        ("2026-03-09T08:00", "ben"),
        ("2026-03-16T08:00", "cat"),
        ("2026-03-23T08:00", "ann"),  # the fourth shift wraps round
        # Berlin moves to CEST on Sunday 29 March: the handoff stays at 09:00 local, 07:00 UTC.
        ("2026-03-30T06:59", "ann"),  # 08:59 CEST: a UTC week after the last handoff, but not yet 09:00 local
        ("2026-03-30T07:00", "ben"),  # 09:00 CEST
        # and back to CET on Sunday 25 October: 09:00 local is 08:00 UTC again
        ("2026-10-26T07:59", "ann"),
        ("2026-10-26T08:00", "ben"),
    ],
)
def test_the_handoff_stays_at_local_wall_time_across_dst(instant: str, person: str | None) -> None:
    assert on_call(rotation(overrides=[]), utc(instant)).person == person


def test_an_override_replaces_the_scheduled_person_only_inside_its_window() -> None:
    rota = rotation()
    assert on_call(rota, utc("2026-03-24T07:59")).person == "ann"  # 08:59 CET, before it starts
    inside = on_call(rota, utc("2026-03-24T08:00"))
    assert inside.person == "zoe" and inside.order == ("zoe", "ann", "ben", "cat")
    assert "by override for ann" in inside.why
    assert on_call(rota, utc("2026-03-25T17:00")).person == "ann"  # 18:00 CET: the override has ended


def test_an_override_across_a_handoff_wins_and_the_rotation_counts_on_underneath() -> None:
    rota = rotation(overrides=[{"owner": "zoe", "from": "2026-03-08T00:00", "until": "2026-03-10T00:00"}])
    assert on_call(rota, utc("2026-03-09T10:00")).order == ("zoe", "ben", "cat", "ann")
    assert on_call(rota, utc("2026-03-10T10:00")).person == "ben"


def test_the_reason_names_the_shift_in_local_time() -> None:
    found = on_call(rotation(overrides=[]), utc("2026-03-30T07:00"))
    assert found.why == ("on call in rotation support-primary from 2026-03-30 09:00 CEST until 2026-04-06 09:00 CEST")


def test_a_handoff_in_the_spring_forward_gap_happens_at_the_same_time_as_on_the_day_before() -> None:
    rota = rotation(overrides=[], handoff={"weekday": "sun", "time": "02:30"}, length="1d")
    # 29 March 2026, 02:30 does not exist in Berlin (02:00 CET jumps to 03:00 CEST): read with the offset before
    # the jump, it is 01:30 UTC, 03:30 CEST, as 02:30 CET was 01:30 UTC the day before.
    assert on_call(rota, utc("2026-03-28T01:29")).person != on_call(rota, utc("2026-03-28T01:30")).person
    before, after = on_call(rota, utc("2026-03-29T01:29")), on_call(rota, utc("2026-03-29T01:30"))
    assert before.person != after.person
    assert after.why.endswith("from 2026-03-29 03:30 CEST until 2026-03-30 02:30 CEST")


def test_a_handoff_in_the_fall_back_fold_happens_at_its_first_reading() -> None:
    rota = rotation(overrides=[], handoff={"weekday": "sun", "time": "02:30"}, length="1d")
    # 25 October 2026: 02:30 happens twice in Berlin, first in CEST (00:30 UTC), then in CET (01:30 UTC).
    before, first, second = (
        on_call(rota, utc(t)).person for t in ("2026-10-25T00:29", "2026-10-25T00:30", "2026-10-25T01:30")
    )
    assert before != first == second


def test_daily_rotation_without_a_weekday_starts_on_the_start_day() -> None:
    rota = rotation(overrides=[], handoff={"time": "08:00"}, length="1d", start="2026-03-04")
    assert on_call(rota, utc("2026-03-04T07:00")).person == "ann"
    assert on_call(rota, utc("2026-03-05T07:00")).person == "ben"


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"members": []}, "at least one member"),
        ({"members": ["ann", "ann"]}, "repeated: ann"),
        ({"length": "36h"}, "whole days or weeks"),
        ({"timezone": "Europe/Berlinn"}, "unknown IANA time zone"),
        (
            {
                "overrides": [
                    {"owner": "zoe", "from": "2026-03-24T09:00", "until": "2026-03-25T18:00"},
                    {"owner": "yan", "from": "2026-03-25T09:00", "until": "2026-03-26T09:00"},
                ]
            },
            "overrides overlap",
        ),
        ({"overrides": [{"owner": "zoe", "from": "2026-03-24T09:00", "until": "2026-03-24T09:00"}]}, "not after"),
        ({"overrides": [{"owner": "zoe", "from": "2026-03-24T09:00+01:00", "until": "2026-03-25"}]}, "offset"),
    ],
)
def test_bad_rotations_are_rejected(change: dict[str, Any], message: str) -> None:
    with pytest.raises(ValidationError, match=message):
        rotation(**change)


def test_on_call_needs_an_aware_instant() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        on_call(rotation(), datetime(2026, 3, 24, 9))
