"""On-call rotations: who is on call at an instant, in the rotation's own time zone, across DST changes.

A rotation hands over at a wall-clock time (``handoff``) every ``length`` (whole days or weeks), starting at
the first handoff on or after ``start``. Shift boundaries are local wall times turned into instants one by one,
so a weekly 09:00 handoff stays at 09:00 local on both sides of a DST change (adding 168 hours in UTC would
drift by an hour), a handoff in a spring-forward gap happens as if the clocks had not yet jumped (02:30 that
day is 03:30 summer time), and one in a fall-back fold happens the first time the clock shows it. An override
replaces whoever is scheduled inside its window ``[from, until)`` (local times) and nowhere else; the rotation
counts on underneath it.

Pure: ``on_call`` takes the instant; nothing here reads a clock.
"""

from __future__ import annotations

import itertools
import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from datetime import time as Time
from typing import Annotated, Any, Literal, get_args
from zoneinfo import ZoneInfo

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    PlainSerializer,
    WithJsonSchema,
    field_validator,
    model_validator,
)

from escalator.core.calendar import known_timezone

__all__ = ["Handoff", "OnCall", "Override", "Rotation", "on_call"]

Weekday = Literal["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
_WEEKDAYS: tuple[str, ...] = get_args(Weekday)
_LENGTH = re.compile(r"^\s*(\d+)\s*([dw])\s*$")


def _days(value: Any) -> Any:
    """``1w`` or ``3d`` as a number of calendar days; a bare number is days."""
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    if isinstance(value, str) and (found := _LENGTH.match(value)):
        return int(found.group(1)) * (7 if found.group(2) == "w" else 1)
    raise ValueError(f"a rotation length is whole days or weeks, e.g. '1w' or '3d', not {value!r}")


ShiftDays = Annotated[
    int,
    BeforeValidator(_days),
    Field(ge=1, le=366),
    WithJsonSchema({"type": "string", "pattern": _LENGTH.pattern, "examples": ["1w", "2w", "1d"]}),
    PlainSerializer(lambda days: f"{days // 7}w" if days % 7 == 0 else f"{days}d", return_type=str),
]


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid", populate_by_name=True)


class Handoff(_Frozen):
    """When shifts change hands, in the rotation's time zone."""

    weekday: Weekday | None = Field(
        default=None, description="the weekday of the first handoff; default: the start day"
    )
    time: Time = Field(description="local wall-clock time, e.g. '09:00'")


class Override(_Frozen):
    """Someone else on call for a while: replaces the scheduled person inside ``[from, until)``, local time."""

    owner: str = Field(min_length=1)
    from_: datetime = Field(alias="from", description="local time in the rotation's time zone, no offset")
    until: datetime = Field(description="local time in the rotation's time zone, no offset; exclusive")

    @model_validator(mode="after")
    def _ordered_and_local(self) -> Override:
        if self.from_.tzinfo is not None or self.until.tzinfo is not None:
            raise ValueError("write override times without an offset: they are local to the rotation's time zone")
        if self.until <= self.from_:
            raise ValueError(f"'until' ({self.until.isoformat()}) is not after 'from' ({self.from_.isoformat()})")
        return self


class Rotation(_Frozen):
    """An on-call schedule: ``members`` take shifts of ``length`` in turn, from ``start``."""

    name: str = Field(pattern=r"^[a-z0-9][a-z0-9-]*$", max_length=80)
    timezone: str = Field(description="IANA time zone of the handoffs and overrides, e.g. 'Europe/Berlin'")
    members: tuple[str, ...] = Field(description="Jira ids in shift order; the first takes the first shift")
    length: ShiftDays = Field(description="how long a shift lasts: whole days or weeks, e.g. '1w'")
    handoff: Handoff
    start: date = Field(description="the first shift begins at the first handoff on or after this day")
    overrides: tuple[Override, ...] = ()

    @field_validator("timezone")
    @classmethod
    def _known_timezone(cls, value: str) -> str:
        return known_timezone(value)

    @field_validator("members")
    @classmethod
    def _someone(cls, members: tuple[str, ...]) -> tuple[str, ...]:
        if not members:
            raise ValueError("a rotation needs at least one member")
        repeated = sorted({m for m in members if members.count(m) > 1})
        if repeated:
            raise ValueError(f"a member may stand in a rotation once; repeated: {', '.join(repeated)}")
        return members

    @field_validator("overrides")
    @classmethod
    def _no_overlap(cls, overrides: tuple[Override, ...]) -> tuple[Override, ...]:
        ordered = sorted(overrides, key=lambda o: o.from_)
        for earlier, later in itertools.pairwise(ordered):
            if later.from_ < earlier.until:
                raise ValueError(
                    f"overrides overlap: {earlier.owner} until {earlier.until.isoformat()} and {later.owner} "
                    f"from {later.from_.isoformat()}; which one is on call would be a guess"
                )
        return overrides

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    def first_handoff(self) -> datetime:
        """The local wall time the first shift starts (naive, in the rotation's time zone)."""
        ahead = (
            0 if self.handoff.weekday is None else (_WEEKDAYS.index(self.handoff.weekday) - self.start.weekday()) % 7
        )
        return datetime.combine(self.start + timedelta(days=ahead), self.handoff.time)

    def boundary(self, shift: int) -> datetime:
        """The instant shift number ``shift`` begins: its local wall time, the first reading in a fold."""
        local = self.first_handoff() + timedelta(days=self.length * shift)
        return local.replace(tzinfo=self.zone, fold=0)


@dataclass(frozen=True)
class OnCall:
    """Who is on call at an instant and why; ``order`` is everyone to try, the on-call person first."""

    rotation: str
    person: str | None
    why: str
    order: tuple[str, ...]


def on_call(rotation: Rotation, at: datetime) -> OnCall:
    """Who is on call in ``rotation`` at the aware instant ``at``: an override covering it, else the scheduled
    member; ``order`` continues with the scheduled member (under an override) and the members after them."""
    if at.tzinfo is None:
        raise ValueError("on_call needs a timezone-aware instant")
    zone = rotation.zone
    override = next(
        (o for o in rotation.overrides if o.from_.replace(tzinfo=zone) <= at < o.until.replace(tzinfo=zone)),
        None,
    )
    shift = _shift(rotation, at)
    if shift is None:
        first = _local(rotation.boundary(0))
        scheduled: tuple[str, ...] = ()
        why = f"rotation {rotation.name} starts at {first}"
    else:
        n = len(rotation.members)
        scheduled = tuple(rotation.members[(shift + step) % n] for step in range(n))
        why = (
            f"on call in rotation {rotation.name} from {_local(rotation.boundary(shift))} "
            f"until {_local(rotation.boundary(shift + 1))}"
        )
    if override is not None:
        covering = f" for {scheduled[0]}" if scheduled else ""
        why = (
            f"on call in rotation {rotation.name} by override{covering} from {override.from_:%Y-%m-%d %H:%M} "
            f"until {override.until:%Y-%m-%d %H:%M} {rotation.timezone}"
        )
        order = (override.owner, *(m for m in scheduled if m != override.owner))
        return OnCall(rotation.name, override.owner, why, order)
    return OnCall(rotation.name, scheduled[0] if scheduled else None, why, scheduled)


def _shift(rotation: Rotation, at: datetime) -> int | None:
    """The number of the shift running at ``at`` (0 for the first), or None before the first handoff."""
    local = at.astimezone(rotation.zone).replace(tzinfo=None)
    guess = (local - rotation.first_handoff()) // timedelta(days=rotation.length)
    # The guess is off by at most one near a handoff that a DST change moved; settle it on real instants.
    while guess > 0 and rotation.boundary(guess) > at:
        guess -= 1
    while rotation.boundary(guess + 1) <= at:
        guess += 1
    return guess if guess >= 0 and rotation.boundary(guess) <= at else None


def _local(instant: datetime) -> str:
    """As a wall clock shows it: a time that does not exist locally (02:30 on a spring-forward day) as 03:30."""
    return f"{instant.astimezone(UTC).astimezone(instant.tzinfo):%Y-%m-%d %H:%M %Z}"
