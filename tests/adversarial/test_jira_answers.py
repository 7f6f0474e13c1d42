"""Attacks on what Jira answers a search, through the sweep flow, over HTTP, against the sandbox.

The sandbox answers with a page the test made (a fault rule of action ``answer``): the real page with one issue
broken, or a page that breaks the rules of paging. A broken issue must cost that issue alone (a ``data_problem``
record naming it, the others escalated exactly as without the attack); a broken page or paging that would never
end stops that policy's sweep with a ``JiraProtocolError`` that says so, its records published, and the run goes
on with the next policy.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from jira_sandbox.testing import Sandbox

from .conftest import (
    OPS,
    OPS_PAGES,
    SUP,
    artifact,
    decision_rows,
    escalated,
    expected,
    in_jira,
    keys_of,
    point_at,
    search_answer,
    seeded_sandbox,
    sweep,
)

pytestmark = pytest.mark.usefixtures("prefect_harness")

SEARCH = r"/search/jql$"
Mutation = Callable[[list[Any]], None]


def test_without_an_attack_every_issue_is_escalated_to_its_l1_owner(sandbox: Sandbox) -> None:
    """The baseline the attacks are judged against."""
    state, reports = sweep(policies=[OPS, SUP])
    assert state.is_completed(), state.message
    ops, sup = keys_of(sandbox, "OPS"), keys_of(sandbox, "SUP")
    assert escalated(state, "adversarial-ops") == expected(ops)
    assert escalated(state, "adversarial-sup") == expected(sup)
    assert in_jira(sandbox, ops + sup) == expected(ops + sup)
    assert [r["data_problems"] for r in reports] == [0, 0]


def serve_broken_page(sandbox: Sandbox, mutate: Mutation) -> str:
    """The OPS search answers its real page with the second issue changed by ``mutate``; returns that issue."""
    answer = search_answer(sandbox, "project = OPS ORDER BY key ASC")
    victim = str(answer["issues"][1]["key"])
    mutate(answer["issues"])
    sandbox.add_fault(
        body=OPS_PAGES, action="answer", status=200, method="POST", path=SEARCH, times=1, answer_body=answer
    )
    return victim


def assert_only_the_victim_was_affected(sandbox: Sandbox, state: Any, victim: str, recorded_as: str, why: str) -> None:
    assert state.is_completed(), state.message
    ops, sup = keys_of(sandbox, "OPS"), keys_of(sandbox, "SUP")
    others = [key for key in ops if key != victim]
    assert escalated(state, "adversarial-ops") == expected(others)
    assert escalated(state, "adversarial-sup") == expected(sup)
    assert in_jira(sandbox, others + sup) == expected(others + sup)
    assert in_jira(sandbox, [victim]) == {victim: (None, "Medium")}, "the broken issue was written to"
    (row,) = [row for row in decision_rows(state, "adversarial-ops") if row["outcome"] == "data_problem"]
    assert row["issue_key"] == recorded_as
    assert why in row["reason"], row["reason"]


def test_an_issue_that_is_not_an_object_costs_only_itself(sandbox: Sandbox) -> None:
    def bare_key(issues: list[Any]) -> None:
        issues[1] = issues[1]["key"]

    victim = serve_broken_page(sandbox, bare_key)
    state, _ = sweep(policies=[OPS, SUP])
    assert_only_the_victim_was_affected(
        sandbox, state, victim, "(search result 2 of its page)", "expected an issue object, got text"
    )


def test_an_issue_without_fields_costs_only_itself(sandbox: Sandbox) -> None:
    def no_fields(issues: list[Any]) -> None:
        del issues[1]["fields"]

    victim = serve_broken_page(sandbox, no_fields)
    state, _ = sweep(policies=[OPS, SUP])
    assert_only_the_victim_was_affected(sandbox, state, victim, victim, "fields: expected an object, got null")


WRONG_TYPES: dict[str, tuple[Mutation, str]] = {
    "labels-as-text": (
        lambda issues: issues[1]["fields"].update(labels="urgent"),
        "fields.labels: expected a list of texts, got text",
    ),
    "status-as-text": (
        lambda issues: issues[1]["fields"].update(status="Open"),
        "fields.status: expected null or an object with a text 'name', got text",
    ),
    "created-as-number": (
        lambda issues: issues[1]["fields"].update(created=1_700_000_000),
        "fields.created: expected a time as text, got a number",
    ),
    "changelog-history-as-list": (
        lambda issues: issues[1].update(changelog={"histories": [["not", "a", "history"]]}),
        "changelog.histories[0]: expected an object, got a list",
    ),
    "state-nested-too-deep": (
        lambda issues: issues[1].update(properties={"escalator.state": [[[[[[[[[[[[[[[[[[]]]]]]]]]]]]]]]]]]}),
        "properties.escalator.state: nested deeper than 16 levels",
    ),
}


@pytest.mark.parametrize("attack", sorted(WRONG_TYPES))
def test_an_issue_with_a_field_of_the_wrong_type_costs_only_itself(sandbox: Sandbox, attack: str) -> None:
    mutate, why = WRONG_TYPES[attack]
    victim = serve_broken_page(sandbox, mutate)
    state, _ = sweep(policies=[OPS, SUP])
    assert_only_the_victim_was_affected(sandbox, state, victim, victim, why)


def assert_ops_stopped_and_sup_swept(sandbox: Sandbox, state: Any, reports: list[dict[str, Any]], why: str) -> None:
    """The OPS policy's sweep stopped with ``why`` and wrote nothing; its audit is published all the same; the
    SUP policy after it was swept as without the attack; the run ended Failed, saying so."""
    assert state.is_failed()
    assert "adversarial-ops stopped" in (state.message or "") and why in (state.message or "")
    ops_report, sup_report = reports
    assert why in (ops_report["error"] or "") and ops_report["applied"] == 0
    assert sup_report["error"] is None
    ops, sup = keys_of(sandbox, "OPS"), keys_of(sandbox, "SUP")
    assert in_jira(sandbox, ops) == {key: (None, "Medium") for key in ops}
    assert escalated(state, "adversarial-sup") == expected(sup) and in_jira(sandbox, sup) == expected(sup)
    summary = str(artifact(state, "escalator-adversarial-ops-summary"))
    assert "FAILED" in summary and why in summary
    assert sandbox.token not in (state.message or "") + summary


NOT_PAGES: dict[str, tuple[Any, str]] = {
    "a-list": (["OPS-1", "OPS-2"], "a search answered a list, not a page object"),
    "text": ("Service Unavailable", "a search answered text, not a page object"),
    "issues-as-object": ({"issues": {"OPS-1": {}}}, "a search answered a page whose 'issues' is an object, not a list"),
}


@pytest.mark.parametrize("attack", sorted(NOT_PAGES))
def test_a_page_that_is_not_a_page_stops_that_policy_only(sandbox: Sandbox, attack: str) -> None:
    body, why = NOT_PAGES[attack]
    sandbox.add_fault(
        body=OPS_PAGES, action="answer", status=200, method="POST", path=SEARCH, times=1, answer_body=body
    )
    state, reports = sweep(policies=[OPS, SUP])
    assert_ops_stopped_and_sup_swept(sandbox, state, reports, why)


def test_a_repeated_next_page_token_ends_the_search(sandbox: Sandbox) -> None:
    """The jira client would page such a search for ever; the sweep stops it at the first repeat."""
    answer = search_answer(sandbox, "project = OPS ORDER BY key ASC")
    page = {**answer, "nextPageToken": "page-2", "isLast": False}
    sandbox.add_fault(body=OPS_PAGES, action="answer", status=200, method="POST", path=SEARCH, answer_body=page)
    state, reports = sweep(policies=[OPS, SUP])
    assert sandbox.request_counts().faults == 2, "OPS's search was not stopped at its second page"
    assert_ops_stopped_and_sup_swept(sandbox, state, reports, "gives the nextPageToken of page 1 again")


def test_not_last_without_a_token_ends_the_search(sandbox: Sandbox) -> None:
    """``isLast: false`` with no token: more issues that cannot be asked for are not quietly left out."""
    answer = search_answer(sandbox, "project = OPS ORDER BY key ASC")
    page = {**answer, "isLast": False}
    sandbox.add_fault(
        body=OPS_PAGES, action="answer", status=200, method="POST", path=SEARCH, times=1, answer_body=page
    )
    state, reports = sweep(policies=[OPS, SUP])
    assert_ops_stopped_and_sup_swept(sandbox, state, reports, "is not the last (isLast: false) but has no token")


def test_more_pages_than_the_first_page_announced_end_the_search(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """Data Center: the first page says 2 issues in all, then every page says there are 1,000. The sweep reads
    what the first page implied plus its margin (4 pages), then stops."""
    policies = []
    for policy in (OPS, SUP):
        path = tmp_path / Path(policy).name
        path.write_text(Path(policy).read_text().replace("acc-", ""))  # Data Center names people by username
        policies.append(str(path))
    for sandbox in seeded_sandbox("server"):
        point_at(sandbox, monkeypatch)
        answer = search_answer(sandbox, "project = OPS ORDER BY key ASC")
        first = {**answer, "total": 2, "issues": answer["issues"][:1]}
        later = {**answer, "total": 1000, "issues": answer["issues"][1:2]}
        # OPS's first page, then every later one
        sandbox.add_fault(body=OPS_PAGES, action="answer", status=200, path=r"/search$", times=1, answer_body=first)
        sandbox.add_fault(body=OPS_PAGES, action="answer", status=200, path=r"/search$", answer_body=later)
        state, reports = sweep(policies=policies)
        assert sandbox.request_counts().faults == 4, "OPS's search did not stop at its fourth page"
        assert state.is_failed()
        ops_report, sup_report = reports
        assert "after 4 pages, well beyond what its first page implied" in (ops_report["error"] or "")
        assert ops_report["applied"] == 0 and sup_report["error"] is None
        assert sup_report["applied"] == sup_report["escalations"] == 2
