"""Group members read over HTTP in both modes through the adapter's preflight: every page (more than Cloud's 50
a page), Jira's order, inactive members flagged, an unknown group a preflight problem, and a broken answer a
protocol error rather than a shorter group."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
import requests

from escalator.core.policy import Policy
from escalator.jira import JiraAdapter, PreflightFailed
from escalator.jira.errors import JiraProtocolError
from escalator.jira.groups import MEMBERS_NEED, read_group
from jira_sandbox.demo import ALICE, DAVE, ERIN, FRANK
from jira_sandbox.testing import Sandbox, fresh
from jira_sandbox.users import User

from .conftest import person, settings_for, unique


def group_policy(sandbox: Sandbox, *groups: str) -> Policy:
    return Policy.model_validate(
        {
            "name": "support",
            "version": "1",
            "scope": "project = SUP",
            "groups": [{"name": g, "pick": "least_loaded"} for g in groups],
            "categories": [
                {
                    "name": "all",
                    "levels": [{"name": "L1", "window": "4h", "owners": [f"group:{g}" for g in groups]}],
                }
            ],
        }
    )


def test_preflight_reads_the_members_and_flags_the_inactive(sandbox: Sandbox, jira: JiraAdapter) -> None:
    report = jira.preflight(group_policy(sandbox, "support"), writes=False)
    assert report.groups == {"support": tuple(person(sandbox, u) for u in (DAVE, ERIN, FRANK))}  # by username
    assert person(sandbox, FRANK) in report.inactive_users


def test_a_big_group_is_read_page_by_page(sandbox: Sandbox, jira: JiraAdapter) -> None:
    group = unique("big")
    names = [f"{group}-{n:03}" for n in range(120)]
    for name in names:
        sandbox.add_user(
            User(f"acc-{name}", name, name.title(), f"{name}@example.com", active=name[-1] != "7"), (group,)
        )
    report = jira.preflight(group_policy(sandbox, group), writes=False)
    ids = [f"acc-{n}" if sandbox.mode == "cloud" else n for n in names]
    assert report.groups[group] == tuple(ids)
    assert {i for i in ids if i.endswith("7")} <= report.inactive_users
    pages = [r for r in sandbox.requests() if r.path.endswith("/group/member")]
    assert len(pages) == 3  # 50 a page


def test_an_unknown_group_is_a_preflight_problem(sandbox: Sandbox, jira: JiraAdapter) -> None:
    with pytest.raises(PreflightFailed) as failed:
        jira.preflight(group_policy(sandbox, "support", "no-such-team"), writes=False)
    assert failed.value.problems == (
        "group 'no-such-team' does not exist in this Jira (or escalator may not browse it)",
    )


@pytest.fixture
def server(server_sandbox: Sandbox) -> Iterator[Sandbox]:
    """The Data Center sandbox alone, fresh, for what only Data Center does."""
    yield from fresh(server_sandbox)


def test_data_center_caps_a_page_at_50_members_too(server: Sandbox) -> None:
    group = unique("dc-big")
    for n in range(60):
        server.add_user(User(f"acc-{group}-{n}", f"{group}-{n}", f"M {n}", f"{group}-{n}@example.com"), (group,))
    answer = requests.get(
        f"{server.url}/rest/api/2/group/member",
        params={"groupname": group, "maxResults": 100},
        auth=server.auth,
        timeout=10,
    ).json()
    assert (answer["maxResults"], len(answer["values"]), answer["total"], answer["isLast"]) == (50, 50, 60, False)


def test_on_data_center_only_an_administrator_may_read_a_group_and_the_preflight_says_so(server: Sandbox) -> None:
    alice = settings_for(server, email=ALICE.user.email, token=ALICE.token)  # not a Jira administrator
    with JiraAdapter.connect(alice) as jira, pytest.raises(PreflightFailed) as failed:
        jira.preflight(group_policy(server, "support"), writes=False)
    assert f"escalator's account may not read the members of group 'support': {MEMBERS_NEED['server']}" in (
        failed.value.problems
    ), failed.value.problems


def test_paging_by_total_when_is_last_is_missing() -> None:
    pages = _Answers({"values": [{"accountId": "a"}], "total": 2}, {"values": [{"accountId": "b"}], "total": 2})
    assert read_group(pages, "cloud", "ops").members == ("a", "b")  # type: ignore[arg-type]


def test_a_member_who_cannot_be_assigned_is_a_preflight_problem(sandbox: Sandbox, jira: JiraAdapter) -> None:
    sandbox.configure_project("SUP", unassignable=[DAVE.account_id])
    with pytest.raises(PreflightFailed) as failed:
        jira.preflight(group_policy(sandbox, "support"))
    dave = person(sandbox, DAVE)
    assert any(f"owner {dave!r} cannot be assigned issues in SUP" in p for p in failed.value.problems), failed.value


class _Answers:
    """A transport that gives fixed answers: what a broken or hostile Jira might say."""

    def __init__(self, *answers: Any) -> None:
        self.answers = list(answers)

    def get(self, path: str, params: Any = None) -> Any:
        return self.answers.pop(0)


@pytest.mark.parametrize(
    "answers",
    [
        ([{"values": "nobody"}],),
        ([{"values": [{"displayName": "no id"}], "isLast": True}],),
        ([{"values": [], "isLast": False}],),
        ([{"values": [{"accountId": "a"}]}],),  # neither isLast nor total: never taken for the whole group
    ],
)
def test_a_broken_answer_is_a_protocol_error(answers: tuple[list[Any]]) -> None:
    with pytest.raises(JiraProtocolError):
        read_group(_Answers(*answers[0]), "cloud", "ops")  # type: ignore[arg-type]
