"""Malformed answers to the preflight's reads, against the sandbox over HTTP: each is a clear ``JiraError``
before the first write (a problem in the preflight's list where it concerns one check), never a ``KeyError``
or ``AttributeError``."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from escalator.authoring.files import load_policy_file
from escalator.jira import JiraAdapter, JiraProtocolError, JiraSettings, PreflightFailed, RetryPolicy
from jira_sandbox.testing import Sandbox

from .conftest import OPS, seeded_sandbox

POLICY = load_policy_file(Path(OPS)).policy


@pytest.fixture
def jira() -> Iterator[tuple[Sandbox, JiraAdapter]]:
    for sandbox in seeded_sandbox("cloud"):
        settings = JiraSettings(url=sandbox.url, email=sandbox.user, api_token=sandbox.token)  # type: ignore[arg-type]
        with JiraAdapter.connect(settings, retry=RetryPolicy(attempts=1)) as adapter:
            yield sandbox, adapter


def test_a_count_that_is_not_a_number_is_a_preflight_problem(jira: tuple[Sandbox, JiraAdapter]) -> None:
    sandbox, adapter = jira
    sandbox.add_fault(action="answer", status=200, path=r"/search/approximate-count$", answer_body={"count": "lots"})
    with pytest.raises(PreflightFailed) as failed:
        adapter.preflight(POLICY)
    (problem,) = failed.value.problems
    assert problem == (
        "the scope JQL could not be checked: search/approximate-count answered a count that is str, not a whole number"
    )


@pytest.mark.parametrize(
    ("path", "body", "why"),
    [
        (r"/myself$", ["acc-admin"], "myself answered list, not an object"),
        (r"/priority$", {"values": []}, "priority answered dict, not a list"),
        (r"/user$", "acc-alice", "user answered str, not an object"),
    ],
    ids=["myself", "priorities", "user"],
)
def test_a_malformed_answer_to_a_preflight_read_is_a_protocol_error(
    jira: tuple[Sandbox, JiraAdapter], path: str, body: object, why: str
) -> None:
    sandbox, adapter = jira
    sandbox.add_fault(action="answer", status=200, method="GET", path=path, answer_body=body)
    with pytest.raises(JiraProtocolError, match=why):
        adapter.preflight(POLICY)
