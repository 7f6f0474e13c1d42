"""Fuzzing the adapter's reading of search answers (``escalator.jira.pages``) with real pages from the sandbox,
poisoned: whatever a page holds, reading it raises nothing but the adapter's errors, and the intact issues on
it are read exactly as they are alone. Paging is fuzzed too: it ends, or stops with a ``JiraProtocolError``,
within the pages its rules allow.

Seeded (``derandomize``), so CI sees the same examples every run; each test takes a few seconds.
"""

from __future__ import annotations

import copy
from collections.abc import Iterator
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from escalator.jira.errors import JiraError, JiraProtocolError
from escalator.jira.pages import CloudPaging, ServerPaging, page_limit, read_page
from escalator.jira.snapshot import Deployment
from jira_sandbox.testing import running_sandbox

from .conftest import search_answer

CUSTOM = ("customfield_10010", "customfield_10011")  # the demo organisation's Severity and Affected customers
ADMIN: dict[str, str] = {"cloud": "acc-admin", "server": "admin"}  # escalator's own account, as each names it
FUZZ = settings(
    derandomize=True,
    max_examples=150,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=12),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=10), inner, max_size=4),
    max_leaves=16,
)


@pytest.fixture(scope="module", params=["cloud", "server"])
def real_issues(request: pytest.FixtureRequest) -> Iterator[tuple[Deployment, list[dict[str, Any]]]]:
    """Up to twelve issues as the sandbox answers the sweep's search (fields, state property, changelog inline),
    some with an escalation state of their own."""
    mode: Deployment = request.param
    with running_sandbox(mode=mode, seed=40) as sandbox:
        jira = sandbox.jira()
        keys = [issue.key for issue in jira.search_issues("project = OPS ORDER BY key ASC", maxResults=12)]
        state = {"policy": "outage-matrix", "policy_version": "3", "category": "outage", "level": "L1"}
        at = {"level_index": 1, "at": "2026-11-01T09:00:00Z", "first_at": "2026-11-01T09:00:00Z"}
        for key in keys[:3]:
            jira.add_issue_property(key, "escalator.state", {**state, **at, "assignee_set": "acc-alice"})
        answer = search_answer(sandbox, f"key in ({', '.join(keys)}) ORDER BY key ASC")
        clean = read_page(answer, mode, CUSTOM, ADMIN[mode])
        assert len(clean.issues) == len(keys) >= 6 and not clean.problems
        assert sum(issue.state is not None for issue in clean.issues) == 3
        yield mode, answer["issues"]


def paths(value: Any, prefix: tuple[Any, ...] = ()) -> Iterator[tuple[Any, ...]]:
    """Every path to a value inside ``value``."""
    yield prefix
    if isinstance(value, dict):
        for key, child in value.items():
            yield from paths(child, (*prefix, key))
    elif isinstance(value, list):
        for index, child in enumerate(value):
            yield from paths(child, (*prefix, index))


@st.composite
def poisoned(draw: st.DrawFn, issue: dict[str, Any]) -> Any:
    """``issue`` with one value somewhere in it replaced by any JSON value, or removed."""
    issue = copy.deepcopy(issue)
    where = draw(st.sampled_from([path for path in paths(issue) if path]))
    parent = issue
    for step in where[:-1]:
        parent = parent[step]
    if draw(st.booleans()) and isinstance(parent, dict):
        del parent[where[-1]]
    else:
        parent[where[-1]] = draw(json_values)
    return issue


class RealIssues(list[dict[str, Any]]):
    """The sandbox's issues, named briefly where hypothesis shows the strategy (its repr would be 47 kB)."""

    def __repr__(self) -> str:
        return f"<{len(self)} real issues>"


@st.composite
def pages(draw: st.DrawFn, issues: list[dict[str, Any]]) -> tuple[list[Any], list[dict[str, Any]]]:
    """A page of intact issues with poisoned copies of the others and plain junk among them, in any order;
    and the intact issues."""
    chosen = draw(st.lists(st.sampled_from(range(len(issues))), unique=True, min_size=1, max_size=len(issues)))
    intact = [issues[i] for i in chosen[: len(chosen) // 2 + 1]]
    keys = {issue["key"] for issue in intact}

    def claims_no_intact_key(value: Any) -> bool:
        return not (isinstance(value, dict) and isinstance(value.get("key"), str) and value["key"] in keys)

    broken = [draw(poisoned(issues[i]).filter(claims_no_intact_key)) for i in chosen[len(chosen) // 2 + 1 :]]
    junk = draw(st.lists(json_values.filter(claims_no_intact_key), max_size=3))
    entries: list[Any] = draw(st.permutations([*intact, *broken, *junk]))
    return entries, intact


@FUZZ
@given(st.data())
def test_a_poisoned_page_costs_the_poisoned_entries_alone(
    real_issues: tuple[Deployment, list[dict[str, Any]]], data: st.DataObject
) -> None:
    deployment, issues = real_issues
    entries, intact = data.draw(pages(RealIssues(issues)))
    page = read_page({"issues": entries}, deployment, CUSTOM, ADMIN[deployment])
    read = {snapshot.key: snapshot for snapshot in page.issues}
    for issue in intact:
        (alone,) = read_page({"issues": [issue]}, deployment, CUSTOM, ADMIN[deployment]).issues
        assert read[issue["key"]] == alone
    unread = [problem for problem in page.problems if problem.issue_key not in read]
    assert len(page.issues) + len(unread) == len(entries), "an entry was neither read nor reported"


@FUZZ
@given(json_values | st.dictionaries(st.sampled_from(["issues", "isLast", "total"]), json_values, max_size=3))
def test_any_answer_is_a_page_or_a_protocol_error(answer: Any) -> None:
    for deployment in ("cloud", "server"):
        try:
            page = read_page(answer, deployment, CUSTOM)
        except JiraError as error:
            assert isinstance(error, JiraProtocolError)
        else:
            assert len(page.issues) + len(page.problems) >= len(answer["issues"])


tokens = st.none() | st.sampled_from(["", "a", "b", "c"]) | json_values
cloud_answers = st.fixed_dictionaries({}, optional={"nextPageToken": tokens, "isLast": st.none() | st.booleans()})


@FUZZ
@given(st.lists(cloud_answers, min_size=1, max_size=12))
def test_cloud_paging_never_asks_with_a_token_twice(answers: list[dict[str, Any]]) -> None:
    paging = CloudPaging()
    asked: list[str] = []
    for answer in answers:
        try:
            token = paging.next_token(answer)
        except JiraProtocolError:
            return
        if token is None:
            return
        assert token not in asked
        asked.append(token)


server_answers = st.fixed_dictionaries({"total": st.integers(-1, 500) | json_values})


@FUZZ
@given(st.lists(st.tuples(server_answers, st.integers(0, 100)), min_size=1, max_size=40))
def test_data_center_paging_stops_within_what_the_first_page_implied(pages_seen: list[tuple[Any, int]]) -> None:
    paging = ServerPaging()
    first_total, first_entries = pages_seen[0][0]["total"], pages_seen[0][1]
    for answer, entries in pages_seen:
        try:
            start = paging.next_start(answer, entries)
        except JiraProtocolError:
            return
        if start is None:
            return
        assert paging.pages < page_limit(-(-first_total // first_entries))
