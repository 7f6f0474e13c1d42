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

import orjson
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from escalator.jira.errors import JiraError, JiraProtocolError
from escalator.jira.page_schema import CheckedPage, page_parser
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


json64_values = st.recursive(  # what a body of JSON text can hold for both parsers (orjson reads larger as floats)
    st.none() | st.booleans() | st.integers(-(2**63), 2**64 - 1) | st.floats(allow_nan=False) | st.text(max_size=12),
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
@given(st.data())
def test_a_page_parsed_with_its_types_checked_reads_as_the_careful_read_does(
    real_issues: tuple[Deployment, list[dict[str, Any]]], data: st.DataObject
) -> None:
    """``page_schema``: a page whose types all check is read without ``issue_problem``'s type checks; any page,
    poisoned or not, gives the same snapshots, problems, people and ids either way."""
    deployment, issues = real_issues
    entries, intact = data.draw(pages(RealIssues(issues)))
    for answer in ({"issues": entries}, {"issues": intact}):
        assume(all(abs(n) < 2**63 for n in _integers(answer)))  # orjson writes no larger ones, and reads them as floats
        content = orjson.dumps(answer)
        parsed = page_parser(deployment)(content)
        if answer["issues"] is intact:
            assert isinstance(parsed, CheckedPage), "intact issues take the fast path"
        careful = read_page(orjson.loads(content), deployment, CUSTOM, ADMIN[deployment])
        assert read_page(parsed, deployment, CUSTOM, ADMIN[deployment]) == careful


CHECKED = [  # every value whose JSON type issue_problem checks, and so the page's schema
    ("key",),
    ("fields",),
    *(("fields", name) for name in ("project", "issuetype", "status", "priority", "assignee", "reporter")),
    *(("fields", name) for name in ("labels", "components", "created", "updated", *CUSTOM)),
    ("fields", "project", "key"),
    ("fields", "issuetype", "name"),
    ("fields", "status", "name"),
    ("fields", "status", "statusCategory"),
    ("fields", "priority", "name"),
    ("fields", "assignee", "accountId"),
    ("fields", "assignee", "name"),
    ("fields", "reporter", "accountId"),
    ("fields", "reporter", "name"),
    ("fields", "labels", 0),
    ("fields", "components", 0),
    ("fields", "components", 0, "name"),
    ("properties",),
    ("changelog",),
]


@FUZZ
@given(st.data())
def test_a_checked_value_of_any_type_reads_as_the_careful_read_does(
    real_issues: tuple[Deployment, list[dict[str, Any]]], data: st.DataObject
) -> None:
    """Each value the page's schema checks, replaced by any JSON value or removed, on one issue of a page: the
    page reads the same whichever path reads it."""
    deployment, issues = real_issues
    issue = copy.deepcopy(data.draw(st.sampled_from(issues)))
    path = data.draw(st.sampled_from([p for p in CHECKED if _settable(issue, p)]))
    parent = _container(issue, path[:-1])
    if data.draw(st.booleans()) and isinstance(parent, dict):
        parent.pop(path[-1], None)
    else:
        parent[path[-1]] = data.draw(json64_values)
    content = orjson.dumps({"issues": [issue]})
    careful = read_page(orjson.loads(content), deployment, CUSTOM, ADMIN[deployment])
    assert read_page(page_parser(deployment)(content), deployment, CUSTOM, ADMIN[deployment]) == careful


def _integers(value: Any) -> Iterator[int]:
    for path in paths(value):
        node = value
        for step in path:
            node = node[step]
        if isinstance(node, int) and not isinstance(node, bool):
            yield node


def _container(value: Any, path: tuple[Any, ...]) -> Any:
    """The object or list at ``path`` inside ``value``, or None."""
    for step in path:
        if (isinstance(value, dict) and step in value) or (
            isinstance(value, list) and isinstance(step, int) and step < len(value)
        ):
            value = value[step]
        else:
            return None
    return value if isinstance(value, dict | list) else None


def _settable(issue: dict[str, Any], path: tuple[Any, ...]) -> bool:
    parent = _container(issue, path[:-1])
    return isinstance(parent, dict) or (isinstance(parent, list) and path[-1] < len(parent))


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
