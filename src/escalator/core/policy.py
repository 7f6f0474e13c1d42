"""The escalation policy language: an escalation matrix of categories, each an ordered ladder of levels.

One pydantic model per YAML element, all frozen, unknown keys rejected, cross-references (calendars,
priorities, category order) checked when the policy is built, so a policy that validates can be evaluated.
Loading files and mapping errors to lines is the job of ``escalator.authoring.files``, not of this module.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    field_validator,
    model_validator,
)

from escalator.core.calendar import ALWAYS, Calendar
from escalator.core.duration import WorkDuration, WorkDurationField
from escalator.core.rotation import Rotation
from escalator.core.routing import GROUP_PREFIX, ROTATION_PREFIX, Group, reference_problems

__all__ = [
    "Category",
    "Exemptions",
    "Level",
    "Match",
    "Notify",
    "Policy",
    "PolicyIdentity",
    "PolicyReferenceError",
    "PriorityChange",
    "Unavailability",
    "dotted_path",
]

Location = tuple[str | int, ...]


class PolicyReferenceError(ValueError):
    """Cross-reference problems of a policy, each with the location (field path) it concerns."""

    def __init__(self, problems: tuple[tuple[Location, str], ...]) -> None:
        self.problems = problems
        super().__init__("; ".join(f"{dotted_path(loc)}: {message}" for loc, message in problems))


def dotted_path(loc: Location) -> str:
    """``("categories", 0, "levels")`` as ``categories[0].levels``: how error messages name a field."""
    return "".join(f"[{part}]" if isinstance(part, int) else f".{part}" for part in loc).lstrip(".")


def _at_least_one(value: tuple[Any, ...]) -> tuple[Any, ...]:
    # Not Field(min_length=1): pydantic counts only the items that validated, so one bad item would also be
    # reported as "too short", a second, misleading error.
    if not value:
        raise ValueError("give at least one")
    return value


NonEmpty = AfterValidator(_at_least_one)

Slug = Annotated[str, Field(pattern=r"^[a-z0-9][a-z0-9-]*$", max_length=80)]


def _text(value: Any) -> Any:
    """Versions are text: YAML turns ``version: 3`` into an int and ``version: 1.10`` into 1.1, so insist."""
    if isinstance(value, bool):
        raise ValueError('a version must be text, e.g. "3" or "2026.11.1"')
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        raise ValueError(f"write the version in quotes (YAML read {value!r} as a number)")
    return value


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class Match(_Frozen):
    """Which issues belong to a category. Every given criterion must hold; within one, any listed value does.

    An empty match is a catch-all and may only stand last.
    """

    projects: tuple[str, ...] = ()
    issue_types: tuple[str, ...] = ()
    priorities: tuple[str, ...] = ()
    components: tuple[str, ...] = Field(default=(), description="the issue has at least one of these")
    labels: tuple[str, ...] = Field(default=(), description="the issue has at least one of these")
    fields: dict[str, tuple[str, ...]] = Field(
        default_factory=dict, description="custom field id -> accepted values, e.g. customfield_10010: [EU]"
    )

    @property
    def is_catch_all(self) -> bool:
        return not (
            self.projects or self.issue_types or self.priorities or self.components or self.labels or self.fields
        )


class PriorityChange(_Frozen):
    """Raise the priority to a named one, or by a number of steps up the policy's ladder. Never lowers it."""

    set: str | None = None
    raise_by: int | None = Field(default=None, alias="raise", ge=1)

    model_config = ConfigDict(frozen=True, extra="forbid", populate_by_name=True)

    @model_validator(mode="after")
    def _exactly_one(self) -> PriorityChange:
        if (self.set is None) == (self.raise_by is None):
            raise ValueError("give exactly one of 'set: <priority name>' or 'raise: <steps>'")
        return self


class Notify(_Frozen):
    """Who Jira e-mails about the escalation, besides what Jira sends on the change itself."""

    reporter: bool = False
    assignee: bool = False
    watchers: bool = False
    users: tuple[str, ...] = ()
    channels: tuple[Annotated[str, Field(pattern=r"^([a-z0-9][a-z0-9-]*/)?[a-zA-Z0-9][\w.-]*$")], ...] = Field(
        default=(),
        description="Prefect notification blocks (e.g. slack-webhook/support-leads, or a block's name) sent the "
        "status summary and the issue's link once the escalation is in Jira",
    )

    @property
    def anyone(self) -> bool:
        return self.reporter or self.assignee or self.watchers or bool(self.users)


class Level(_Frozen):
    """One rung of a category's ladder: who takes over, after how long at the level below, and what changes."""

    name: str = Field(min_length=1, max_length=40)
    window: WorkDurationField = Field(
        description="working time an issue may stay at the level below (or, for the first level, since it "
        "was created) before it moves to this level"
    )
    owners: Annotated[tuple[str, ...], NonEmpty] = Field(
        description="Jira accountIds (Cloud) or usernames (Data Center), 'rotation:NAME' (whoever is on call, "
        "then the next in the rotation) or 'group:NAME' (its members, as the group's pick orders them), tried in order"
    )
    priority: PriorityChange | None = None
    labels: tuple[str, ...] = ()
    notify: Notify = Notify()
    note: str | None = Field(default=None, max_length=2000, description="extra text for the status comment")


class Category(_Frozen):
    name: Slug
    description: str | None = None
    match: Match = Match()
    calendar: str | None = Field(default=None, description="a calendar name; default: the policy's")
    unassigned_window: WorkDurationField | None = Field(
        default=None,
        description="an unassigned issue moves up after this much working time, if sooner than the level's "
        "window: someone keeps an eye on the case until it is owned",
    )
    pause_statuses: tuple[str, ...] | None = Field(
        default=None, description="statuses in which this category's clocks stand still; default: the policy's"
    )
    levels: Annotated[tuple[Level, ...], NonEmpty]

    @field_validator("levels")
    @classmethod
    def _unique_level_names(cls, levels: tuple[Level, ...]) -> tuple[Level, ...]:
        names = [level.name for level in levels]
        duplicates = sorted({name for name in names if names.count(name) > 1})
        if duplicates:
            raise ValueError(f"level names must be unique within a category; repeated: {', '.join(duplicates)}")
        return levels


class Exemptions(_Frozen):
    """Issues escalator never touches."""

    labels: tuple[str, ...] = ()
    issue_types: tuple[str, ...] = ()
    statuses: tuple[str, ...] = ()


class Unavailability(_Frozen):
    """An owner who cannot act for a while (leave, on-call handover): skipped in favour of the next one."""

    owner: str
    from_: date = Field(alias="from")
    until: date = Field(description="last unavailable day, inclusive")
    reason: str = "unavailable"

    model_config = ConfigDict(frozen=True, extra="forbid", populate_by_name=True)

    @model_validator(mode="after")
    def _ordered(self) -> Unavailability:
        if self.until < self.from_:
            raise ValueError(f"'until' ({self.until}) is before 'from' ({self.from_})")
        return self

    def covers(self, day: date) -> bool:
        return self.from_ <= day <= self.until


class Policy(_Frozen):
    """An escalation matrix for the open issues that ``scope`` selects."""

    name: Slug
    version: Annotated[str, BeforeValidator(_text), Field(min_length=1, max_length=64)]
    description: str | None = None
    maintainers: tuple[str, ...] = Field(default=(), description="who reviews changes to this policy")
    scope: str = Field(min_length=1, description="JQL selecting the open issues this policy governs")
    priorities: tuple[str, ...] = Field(
        default=(), description="the priority ladder, lowest first, e.g. [Lowest, Low, Medium, High, Highest]"
    )
    calendars: tuple[Calendar, ...] = ()
    default_calendar: str | None = None
    unavailable: tuple[Unavailability, ...] = ()
    rotations: tuple[Rotation, ...] = Field(default=(), description="on-call rotations, named by 'rotation:NAME'")
    groups: tuple[Group, ...] = Field(default=(), description="Jira groups that own levels, named by 'group:NAME'")
    exempt: Exemptions = Exemptions()
    pause_statuses: tuple[str, ...] = Field(
        default=(),
        description="statuses (e.g. Waiting for customer) whose working time does not count towards a window; an "
        "issue in one is not escalated, and its clock resumes when it leaves",
    )
    cooldown: WorkDurationField | None = Field(
        default=None, description="wall-clock time that must pass between two escalations of one issue"
    )
    escalation_deadline: WorkDurationField | None = Field(
        default=None,
        description="wall-clock time from an issue's first escalation by which it must be resolved; "
        "breaches are reported",
    )
    max_escalations_per_run: int | None = Field(
        default=None,
        ge=0,
        description="blast-radius limit: a plan with more escalations is stopped before any write",
    )
    on_human_change: Literal["restart_clock", "stop"] = Field(
        default="restart_clock",
        description="when a person reassigns or re-prioritises an escalated issue: restart the level's clock "
        "from that change, or stop escalating the issue",
    )
    categories: Annotated[tuple[Category, ...], NonEmpty]

    model_config = ConfigDict(frozen=True, extra="forbid", populate_by_name=True)

    @model_validator(mode="after")
    def _references(self) -> Policy:
        problems = [*self._calendar_problems(), *self._ladder_problems()]
        owners = (
            (("categories", c, "levels", lv, "owners", o), owner)
            for c, category in enumerate(self.categories)
            for lv, level in enumerate(category.levels)
            for o, owner in enumerate(level.owners)
        )
        problems += reference_problems(self.rotations, self.groups, owners)
        for index, category in enumerate(self.categories):
            problems += self._category_problems(index, category)
        if problems:
            raise PolicyReferenceError(tuple(problems))
        return self

    def _calendar_problems(self) -> list[tuple[Location, str]]:
        problems: list[tuple[Location, str]] = []
        calendar_names = [c.name for c in self.calendars]
        for index, name in enumerate(calendar_names):
            if name in calendar_names[:index]:
                problems.append((("calendars", index, "name"), f"calendar {name!r} is defined twice"))
        if self.default_calendar is not None and self.default_calendar not in calendar_names:
            message = f"{self.default_calendar!r} is not one of the calendars {sorted(set(calendar_names))}"
            problems.append((("default_calendar",), message))
        return problems

    def _ladder_problems(self) -> list[tuple[Location, str]]:
        return [
            (("priorities", index), f"the priority ladder lists {priority!r} twice")
            for index, priority in enumerate(self.priorities)
            if priority in self.priorities[:index]
        ]

    def _category_problems(self, index: int, category: Category) -> list[tuple[Location, str]]:
        problems: list[tuple[Location, str]] = []
        where: Location = ("categories", index)
        ladder = set(self.priorities)
        if category.name in [c.name for c in self.categories[:index]]:
            problems.append(((*where, "name"), f"category {category.name!r} is defined twice"))
        if category.calendar is not None and category.calendar not in {c.name for c in self.calendars}:
            problems.append(((*where, "calendar"), f"calendar {category.calendar!r} is not defined under 'calendars'"))
        if category.match.is_catch_all and index != len(self.categories) - 1:
            hidden = ", ".join(c.name for c in self.categories[index + 1 :])
            message = f"catch-all category {category.name!r} must be last; it would hide {hidden}"
            problems.append(((*where, "match"), message))
        for position, priority in enumerate(category.match.priorities):
            if ladder and priority not in ladder:
                problems.append(
                    ((*where, "match", "priorities", position), f"{priority!r} is not on the priority ladder")
                )
        for level_index, level in enumerate(category.levels):
            change, at = level.priority, (*where, "levels", level_index, "priority")
            if change is not None and change.raise_by is not None and not ladder:
                problems.append(((*at, "raise"), "'raise' needs the policy's 'priorities' ladder"))
            if change is not None and change.set is not None and ladder and change.set not in ladder:
                problems.append(((*at, "set"), f"{change.set!r} is not on the priority ladder"))
        return problems

    def calendar_for(self, category: Category) -> Calendar:
        name = category.calendar or self.default_calendar
        if name is None:
            return self.calendars[0] if len(self.calendars) == 1 else ALWAYS
        return next(c for c in self.calendars if c.name == name)

    def pause_statuses_for(self, category: Category) -> frozenset[str]:
        """The category's pause statuses (else the policy's), case-folded."""
        names = self.pause_statuses if category.pause_statuses is None else category.pause_statuses
        return frozenset(name.casefold() for name in names)

    def category(self, name: str) -> Category | None:
        return next((c for c in self.categories if c.name == name), None)

    def all_owners(self) -> frozenset[str]:
        """Every person the policy may assign or notify by name: for the preflight check against Jira."""
        people = {owner for c in self.categories for level in c.levels for owner in level.owners}
        people = {p for p in people if not p.startswith((ROTATION_PREFIX, GROUP_PREFIX))}
        people |= {p for r in self.rotations for p in (*r.members, *(o.owner for o in r.overrides))}
        people |= {user for c in self.categories for level in c.levels for user in level.notify.users}
        return frozenset(people)

    def all_priorities(self) -> frozenset[str]:
        named = {
            level.priority.set for c in self.categories for level in c.levels if level.priority and level.priority.set
        }
        return frozenset(named | set(self.priorities))

    def fields_read(self) -> frozenset[str]:
        """The custom fields the categories match on, so the adapter asks Jira for exactly those."""
        return frozenset(field for c in self.categories for field in c.match.fields)


class PolicyIdentity(_Frozen):
    """Which policy, exactly: name and version as written, the file's sha256, and git provenance if known."""

    name: str
    version: str
    sha256: str | None = None
    path: str | None = None
    git_commit: str | None = None
    git_dirty: bool | None = None

    @classmethod
    def of(cls, policy: Policy, **extra: Any) -> PolicyIdentity:
        return cls(name=policy.name, version=policy.version, **extra)


def working_window(duration: WorkDuration, calendar: Calendar) -> timedelta:
    """A policy duration as working time on ``calendar``: a 'd' is that calendar's working day."""
    return duration.resolve(calendar.working_day_length(), len(calendar.working_days))


def shortest_window(category: Category, calendar: Calendar) -> timedelta:
    """The shortest of ``category``'s windows (any level's, or the unassigned window) as working time on
    ``calendar``: an issue never escalated cannot be due before that much working time since its creation."""
    windows = [level.window for level in category.levels]
    if category.unassigned_window is not None:
        windows.append(category.unassigned_window)
    return min(working_window(window, calendar) for window in windows)
