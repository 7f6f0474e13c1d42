"""Whatever the input, the sandbox answers in Jira's error shape and never with a bare 500: random text
as JQL is a parse result or a 400; random clauses over the known fields translate to SQL that runs, or
are a 400; an unexpected exception in a route still answers `{"errorMessages": [...], "errors": {}}`."""

from __future__ import annotations

import logging
import re
import sqlite3
from collections.abc import Iterator

import pytest
import requests
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from jira_sandbox import jiratime
from jira_sandbox.app import build_runtime, create_app
from jira_sandbox.errors import JiraApiError
from jira_sandbox.jql import TranslationContext, parse, translate
from jira_sandbox.seed import install_base, seed_issues
from jira_sandbox.server import SandboxServer
from jira_sandbox.settings import SandboxSettings
from jira_sandbox.store import Store

FIELDS = [
    "project",
    "key",
    "status",
    "statusCategory",
    "priority",
    "assignee",
    "labels",
    "component",
    "created",
    "updated",
    "duedate",
    "resolution",
    "summary",
    "text",
    "cf[10010]",
    "cf[10011]",
    "issuetype",
    "nope",
]
OPERATORS = ["=", "!=", ">", ">=", "<", "<=", "~", "!~", "IN", "NOT IN", "IS", "IS NOT"]
VALUES = [
    "OPS",
    "High",
    "alice",
    "outage",
    "-2d",
    "'2026-01-01'",
    "EMPTY",
    "Done",
    "S1",
    "12",
    "currentUser()",
    "now()",
    "startOfDay(-1d)",
    "membersOf(ops)",
    "(High, Low)",
    "(OPS, EMPTY)",
    "'x y'",
    "OPS-1",
    "Unresolved",
]


@pytest.fixture(scope="module")
def db() -> Iterator[sqlite3.Connection]:
    store = Store()
    with store.transaction() as connection:
        install_base(connection, SandboxSettings())
        seed_issues(connection, 50)
    with store.transaction() as connection:
        yield connection
    store.close()


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet=st.sampled_from(list("abcOPS =!<>~()\"',[]-dEMPTYorANDnotinis0123")), max_size=40))
def test_random_text_parses_or_is_400(text: str) -> None:
    try:
        parse(text)
    except JiraApiError as error:
        assert error.status == 400


clause = st.builds(
    lambda f, o, v: f"{f} {o} {v}", st.sampled_from(FIELDS), st.sampled_from(OPERATORS), st.sampled_from(VALUES)
)
query = st.lists(clause, min_size=1, max_size=3).map(lambda parts: " AND ".join(parts))


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(query, st.sampled_from(["", " ORDER BY priority DESC", " ORDER BY created, key"]))
def test_random_clauses_run_or_are_400(db: sqlite3.Connection, where: str, order: str) -> None:
    try:
        sql, params = translate(
            parse(where + order), TranslationContext(db, jiratime.now_ms(), "acc-alice")
        ).select_ids()
    except JiraApiError as error:
        assert error.status == 400
        return
    db.execute(sql, params).fetchall()


def test_unexpected_exceptions_keep_jira_shape_and_keep_their_text_to_the_log(
    caplog: pytest.LogCaptureFixture,
) -> None:
    app = create_app(build_runtime(SandboxSettings()))

    def explode() -> None:
        raise RuntimeError("boom: /srv/secret/path")

    app.add_api_route("/rest/api/2/explode", explode)
    server = SandboxServer(app, log_level="critical")
    server.start_in_background()
    try:
        with caplog.at_level(logging.ERROR, logger="jira_sandbox.app"):
            response = requests.get(f"{server.url}/rest/api/2/explode", timeout=10)
    finally:
        server.stop()
    assert response.status_code == 500
    (message,) = response.json()["errorMessages"]
    assert response.json()["errors"] == {}
    assert "boom" not in response.text and "RuntimeError" not in response.text and "/srv" not in response.text
    reference = re.fullmatch(r"Internal server error \(reference ([0-9a-f]{12}) in the sandbox's log\)", message)
    assert reference is not None, message
    (record,) = [r for r in caplog.records if reference.group(1) in r.getMessage()]
    assert record.exc_info is not None and "boom" in str(record.exc_info[1])
