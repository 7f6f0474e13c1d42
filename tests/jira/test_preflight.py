"""preflight(policy) over HTTP in both modes: what it reports, every problem at once, and no writes."""

from __future__ import annotations

import re
from typing import Any

import pytest

from escalator.core.policy import Policy
from escalator.jira import JiraAdapter, PreflightFailed
from jira_sandbox.demo import ADMIN, ALICE, BOB, FRANK
from jira_sandbox.testing import Sandbox

from .conftest import person, settings_for


def policy(sandbox: Sandbox, **changes: Any) -> Policy:
    document: dict[str, Any] = {
        "name": "ops",
        "version": "1",
        "scope": "project = OPS AND statusCategory != Done",
        "priorities": ["Low", "Medium", "High", "Highest"],
        "categories": [
            {
                "name": "incidents",
                "match": {"fields": {"customfield_10010": ["S1"]}},
                "levels": [
                    {"name": "L1", "window": "2h", "owners": [person(sandbox, ALICE)]},
                    {
                        "name": "L2",
                        "window": "4h",
                        "owners": [person(sandbox, FRANK), person(sandbox, BOB)],
                        "priority": {"set": "Highest"},
                    },
                ],
            }
        ],
    }
    document.update(changes)
    return Policy.model_validate(document)


def test_a_fitting_policy_passes_and_reports_inactive_owners(sandbox: Sandbox, jira: JiraAdapter) -> None:
    report = jira.preflight(policy(sandbox))
    assert report.deployment == sandbox.mode
    assert report.user == person(sandbox, ADMIN)
    assert report.inactive_users == {person(sandbox, FRANK)}
    assert "Highest" in report.priorities
    assert report.scope_count is not None and report.scope_count > 0
    assert sandbox.request_counts().write == 0


def test_every_problem_is_listed_and_nothing_is_written(sandbox: Sandbox, jira: JiraAdapter) -> None:
    bad = policy(
        sandbox,
        scope="project = OPS AND (",
        priorities=["Low", "Medium", "High", "Urgent"],
        categories=[
            {
                "name": "incidents",
                "match": {"fields": {"customfield_99999": ["x"]}},
                "levels": [{"name": "L1", "window": "2h", "owners": ["nobody-here"]}],
            }
        ],
    )
    with pytest.raises(PreflightFailed) as caught:
        jira.preflight(bad)
    problems = caught.value.problems
    assert len(problems) == 4, problems
    text = str(caught.value)
    assert "'Urgent' does not exist" in text
    assert "'nobody-here' does not exist" in text
    assert "customfield_99999" in text
    assert "scope JQL" in text
    assert sandbox.request_counts().write == 0


def test_pause_statuses_must_exist_in_jira_whatever_their_case(sandbox: Sandbox, jira: JiraAdapter) -> None:
    report = jira.preflight(policy(sandbox, pause_statuses=["waiting for customer"]))  # as "Waiting for customer"
    assert report.status_names["10002"] == "Waiting for customer"  # for status histories by id
    assert jira.status_names["10002"] == "Waiting for customer"
    assert jira.preflight(policy(sandbox)).status_names == {}  # read only for a policy that pauses clocks
    misspelt = policy(sandbox, pause_statuses=["Waiting for customer", "Waiting for custmer"])
    misspelt = misspelt.model_copy(
        update={"categories": (misspelt.categories[0].model_copy(update={"pause_statuses": ("On hold",)}),)}
    )
    with pytest.raises(PreflightFailed) as caught:
        jira.preflight(misspelt)
    assert [p.split(" (it has")[0] for p in caught.value.problems] == [
        "pause status 'On hold' does not exist in this Jira",
        "pause status 'Waiting for custmer' does not exist in this Jira",
    ]
    assert "Waiting for customer" in caught.value.problems[0]
    assert sandbox.request_counts().write == 0


# --- what a real Jira can refuse, asked before the first write ----------------------------------------------


def test_a_project_whose_edit_screen_lacks_priority_is_named_with_its_issue_type(
    sandbox: Sandbox, jira: JiraAdapter
) -> None:
    sandbox.configure_project("OPS", hidden_fields={"Incident": ["priority"]})
    with pytest.raises(PreflightFailed) as caught:
        jira.preflight(policy(sandbox))
    (problem,) = caught.value.problems
    assert problem.startswith("OPS (Incident): the edit screen has no 'priority' field, which the policy writes")
    assert sandbox.request_counts().write == 0


def test_an_owner_not_assignable_in_one_project(sandbox: Sandbox, jira: JiraAdapter) -> None:
    sandbox.configure_project("OPS", unassignable=[person(sandbox, BOB)])
    with pytest.raises(PreflightFailed) as caught:
        jira.preflight(policy(sandbox))
    assert list(caught.value.problems) == [
        f"OPS (Bug, Incident): owner {person(sandbox, BOB)!r} cannot be assigned issues in OPS"
    ]
    sandbox.reset_projects()
    sandbox.configure_project("SUP", unassignable=[person(sandbox, BOB)])  # not where the policy sends him
    assert jira.preflight(policy(sandbox)).scope_count
    assert sandbox.request_counts().write == 0


def test_a_narrower_priority_scheme_on_cloud(cloud: Sandbox, sleeps: list[float]) -> None:
    cloud.configure_project("OPS", priorities=["Low", "Medium", "High"])
    with (
        JiraAdapter.connect(settings_for(cloud), sleep=sleeps.append) as jira,
        pytest.raises(PreflightFailed) as caught,
    ):
        jira.preflight(policy(cloud))
    assert list(caught.value.problems) == [
        "OPS (Bug, Incident): priority 'Highest' is not in OPS's priority scheme (it has: High, Medium, Low)"
    ]
    assert cloud.request_counts().write == 0


def test_escalators_own_permissions_in_each_project(sandbox: Sandbox, jira: JiraAdapter) -> None:
    sandbox.configure_project("OPS", denied={"admin": ["ASSIGN_ISSUES", "ADD_COMMENTS"]})
    with pytest.raises(PreflightFailed) as caught:
        jira.preflight(policy(sandbox))
    me = person(sandbox, ADMIN)
    assert list(caught.value.problems) == [
        f"OPS (Bug, Incident): escalator's account {me} may not assign its issues (Jira permission ASSIGN_ISSUES)",
        f"OPS (Bug, Incident): escalator's account {me} may not comment on its issues (Jira permission ADD_COMMENTS)",
    ]  # and not again as an assignee missing from the edit screen: that is the same problem
    sandbox.configure_project("OPS", denied={"admin": ["EDIT_ISSUES"]}, unassignable=[person(sandbox, BOB)])
    with pytest.raises(PreflightFailed) as caught:
        jira.preflight(policy(sandbox))
    assert list(caught.value.problems) == [
        f"OPS (Bug, Incident): escalator's account {me} may not edit its issues (nor set their escalation state, "
        "an issue property) (Jira permission EDIT_ISSUES)",
        f"OPS (Bug, Incident): owner {person(sandbox, BOB)!r} cannot be assigned issues in OPS",
    ]  # the edit screen is not asked about: without the edit permission it is empty


def test_a_project_escalator_may_not_browse_is_one_problem(sandbox: Sandbox, jira: JiraAdapter) -> None:
    sandbox.configure_project("OPS", denied={"admin": ["BROWSE_PROJECTS"]}, hidden_fields={"*": ["priority"]})
    with pytest.raises(PreflightFailed) as caught:
        jira.preflight(policy(sandbox))
    assert list(caught.value.problems) == [
        f"OPS (Bug, Incident): escalator's account {person(sandbox, ADMIN)} may not browse the project "
        "(Jira permission BROWSE_PROJECTS)"
    ]


def test_every_misfit_of_every_project_at_once_and_nothing_written(sandbox: Sandbox, jira: JiraAdapter) -> None:
    wide = policy(
        sandbox,
        scope="project in (OPS, SUP) AND statusCategory != Done",
        categories=[
            {
                "name": "everything",
                "levels": [
                    {"name": "L1", "window": "2h", "owners": [person(sandbox, ALICE)], "labels": ["escalated"]},
                    {"name": "L2", "window": "4h", "owners": [person(sandbox, BOB)], "priority": {"set": "High"}},
                ],
            }
        ],
    )
    sandbox.configure_project("OPS", hidden_fields={"Bug": ["labels"]})
    sandbox.configure_project("SUP", unassignable=[person(sandbox, ALICE)], hidden_fields={"*": ["priority"]})
    with pytest.raises(PreflightFailed) as caught:
        jira.preflight(wide)
    problems = [re.sub(r"editmeta of [A-Z]+-\d+", "editmeta of KEY", problem) for problem in caught.value.problems]
    lacks = "the edit screen has no '{}' field, which the policy writes (editmeta of KEY)"
    assert problems == [
        f"OPS (Bug): {lacks.format('labels')}",
        f"SUP (Bug, Support Request, Task): owner {person(sandbox, ALICE)!r} cannot be assigned issues in SUP",
        f"SUP (Bug): {lacks.format('priority')}",
        f"SUP (Support Request): {lacks.format('priority')}",
        f"SUP (Task): {lacks.format('priority')}",
    ]
    assert sandbox.request_counts().write == 0


def test_a_read_only_caller_is_not_asked_about_writing(sandbox: Sandbox, jira: JiraAdapter) -> None:
    sandbox.configure_project("OPS", hidden_fields={"*": ["priority", "assignee"]}, denied={"admin": ["EDIT_ISSUES"]})
    report = jira.preflight(policy(sandbox), writes=False)
    assert report.scope_count
    assert "editmeta" not in {r.path.rsplit("/", 1)[-1] for r in sandbox.requests()}
