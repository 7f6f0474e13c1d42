"""Golden test cases for policies: an issue and an instant in, the expected decision out.

Policy owners keep them beside the policies (``*.cases.yaml``) so a change to a policy is tested like code:
``escalator policy test`` runs them, and so does pytest. A case only checks the fields its ``expect`` names,
so "must NOT escalate" is simply ``expect: {outcome: no_action}``.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

from escalator.authoring.files import CASES_SUFFIXES, LoadedPolicy, load_policy_file, read_yaml, validate_yaml
from escalator.core.decision import Decision, ReasonCode, Verdict, format_timedelta
from escalator.core.evaluate import evaluate
from escalator.core.issue import IssueSnapshot
from escalator.core.policy import NonEmpty
from escalator.core.routing import Roster

__all__ = [
    "CaseFile",
    "CaseResult",
    "Expectation",
    "PolicyCase",
    "find_case_files",
    "load_case_file",
    "run_cases",
]


class _Strict(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class Expectation(_Strict):
    outcome: Verdict | None = None
    reason_code: ReasonCode | None = None
    category: str | None = None
    from_level: str | None = None
    to_level: str | None = None
    assignee: str | None = Field(default=None, description="the owner the issue is assigned to")
    priority: str | None = Field(default=None, description="the priority after the escalation")
    levels_passed: tuple[str, ...] | None = None
    owners_skipped: tuple[str, ...] | None = None
    labels_add: tuple[str, ...] | None = None
    deadline_breached: bool | None = None
    notify_reporter: bool | None = None
    paused: str | None = Field(default=None, description="working time the clock stood still, as in '2h 00m'")


class PolicyCase(_Strict):
    name: str
    at: AwareDatetime = Field(description="the sweep's instant: who is on call follows from it")
    issue: IssueSnapshot
    inactive_users: tuple[str, ...] | None = None
    groups: dict[str, tuple[str, ...]] | None = Field(
        default=None, description="members of the policy's groups, in Jira's order; default: the file's"
    )
    workload: dict[str, int] | None = Field(
        default=None, description="open issues assigned to each person in the scope, for least_loaded"
    )
    expect: Expectation


class CaseFile(_Strict):
    policy: str = Field(description="the policy file, relative to this file")
    inactive_users: tuple[str, ...] = ()
    groups: dict[str, tuple[str, ...]] = Field(default_factory=dict, description="members of the policy's groups")
    workload: dict[str, int] = Field(default_factory=dict, description="open issues assigned to each person")
    cases: Annotated[tuple[PolicyCase, ...], NonEmpty]


@dataclass(frozen=True)
class CaseResult:
    file: Path
    case: PolicyCase
    decision: Decision
    mismatches: tuple[str, ...]

    @property
    def passed(self) -> bool:
        return not self.mismatches


def find_case_files(paths: Iterable[Path]) -> list[Path]:
    found: list[Path] = []
    for path in paths:
        if path.is_dir():
            found.extend(sorted(p for p in path.rglob("*") if p.name.endswith(CASES_SUFFIXES)))
        else:
            found.append(path)
    return found


def load_case_file(path: Path) -> tuple[CaseFile, LoadedPolicy]:
    data, _ = read_yaml(path)
    cases: CaseFile = validate_yaml(CaseFile, data, str(path))
    policy_path = (path.parent / cases.policy).resolve()
    with contextlib.suppress(ValueError):  # keep paths in messages short when they are under the cwd
        policy_path = policy_path.relative_to(Path.cwd())
    return cases, load_policy_file(policy_path)


def run_cases(path: Path) -> list[CaseResult]:
    """Evaluate every case of one case file; raises ``PolicyLoadError`` if the file or its policy is invalid."""
    cases, loaded = load_case_file(path)
    results: list[CaseResult] = []
    for case in cases.cases:
        inactive = case.inactive_users if case.inactive_users is not None else cases.inactive_users
        roster = Roster(
            case.groups if case.groups is not None else cases.groups,
            case.workload if case.workload is not None else cases.workload,
        )
        plan = evaluate([case.issue], loaded.policy, case.at, inactive_users=frozenset(inactive), roster=roster)
        decision = plan.decisions[0]
        results.append(CaseResult(path, case, decision, tuple(_compare(case.expect, decision))))
    return results


def _observed(decision: Decision) -> dict[str, Any]:
    actions = decision.actions
    return {
        "outcome": decision.outcome,
        "reason_code": decision.reason_code,
        "category": decision.category,
        "from_level": decision.from_level,
        "to_level": decision.to_level,
        "assignee": actions.assignee_to if actions else None,
        "priority": actions.priority_to if actions else None,
        "levels_passed": decision.levels_passed,
        "owners_skipped": tuple(s.owner for s in decision.owners_skipped),
        "labels_add": actions.labels_add if actions else (),
        "deadline_breached": decision.deadline_breached,
        "notify_reporter": actions.notify_reporter if actions else False,
        "paused": format_timedelta(decision.paused) if decision.paused is not None else None,
    }


def _compare(expect: Expectation, decision: Decision) -> Iterable[str]:
    observed = _observed(decision)
    for name, wanted in expect.model_dump(exclude_none=True).items():
        got = observed[name]
        if isinstance(wanted, list):
            wanted = tuple(wanted)
        if got != wanted:
            yield f"{name}: expected {wanted!r}, got {got!r}"
