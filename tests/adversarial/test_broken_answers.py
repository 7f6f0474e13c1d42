"""Answers broken below the JSON, through the sweep flow, over HTTP, against the sandbox: an answer cut off
mid-body, a body that cannot be decoded, a redirect loop, a body that is not JSON. Each is one of the adapter's
errors naming the request (never the token): a cut once is retried away; otherwise that policy's sweep stops
with its records published, and the run goes on with the next policy.
"""

from __future__ import annotations

from typing import Any

import pytest

from jira_sandbox.testing import Sandbox

from .conftest import FAST_RETRY, OPS, OPS_PAGES, SUP, artifact, escalated, expected, in_jira, keys_of, sweep

pytestmark = pytest.mark.usefixtures("prefect_harness")

SEARCH = r"/search/jql$"
WHERE = "POST /rest/api/2/search/jql"


def on_ops_search(sandbox: Sandbox, **fault: Any) -> None:
    """A fault on the OPS policy's page searches (matched by their body: the preflight searches too)."""
    sandbox.add_fault(body=OPS_PAGES, method="POST", path=SEARCH, **fault)


def assert_ops_stopped_and_sup_swept(sandbox: Sandbox, state: Any, reports: list[dict[str, Any]], why: str) -> None:
    assert state.is_failed()
    ops_report, sup_report = reports
    error = ops_report["error"] or ""
    assert error.startswith(WHERE) and why in error, error
    assert ops_report["applied"] == 0 and sup_report["error"] is None
    ops, sup = keys_of(sandbox, "OPS"), keys_of(sandbox, "SUP")
    assert in_jira(sandbox, ops) == {key: (None, "Medium") for key in ops}
    assert escalated(state, "adversarial-sup") == expected(sup)
    summary = str(artifact(state, "escalator-adversarial-ops-summary"))
    assert why in summary
    for text in (state.message or "", error, summary):
        assert sandbox.token not in text and "Authorization" not in text


def test_an_answer_cut_off_once_is_retried(sandbox: Sandbox) -> None:
    on_ops_search(sandbox, action="cut", times=1)
    state, _ = sweep(policies=[OPS, SUP])
    assert state.is_completed(), state.message
    ops = keys_of(sandbox, "OPS")
    assert escalated(state, "adversarial-ops") == expected(ops) and in_jira(sandbox, ops) == expected(ops)
    assert sandbox.request_counts().faults == 1


def test_an_answer_cut_off_every_time_stops_that_policy(sandbox: Sandbox) -> None:
    on_ops_search(sandbox, action="cut", times=FAST_RETRY.attempts)
    state, reports = sweep(policies=[OPS, SUP])
    why = f"the answer was cut off (ChunkedEncodingError), still failing after {FAST_RETRY.attempts} attempts"
    assert_ops_stopped_and_sup_swept(sandbox, state, reports, why)


def test_a_body_that_cannot_be_decoded_stops_that_policy(sandbox: Sandbox) -> None:
    on_ops_search(
        sandbox,
        action="answer",
        status=200,
        times=1,
        answer_text="this is not gzip",
        answer_headers={"Content-Encoding": "gzip"},
    )
    state, reports = sweep(policies=[OPS, SUP])
    assert_ops_stopped_and_sup_swept(
        sandbox, state, reports, "the answer's body could not be decoded (ContentDecodingError)"
    )


def test_a_redirect_loop_stops_that_policy(sandbox: Sandbox) -> None:
    # requests follows 30 redirects, then gives up: 31 answers, each sending it back where it came from
    on_ops_search(
        sandbox,
        action="answer",
        status=307,
        times=31,
        answer_body={},
        answer_headers={"Location": "/rest/api/2/search/jql"},
    )
    state, reports = sweep(policies=[OPS, SUP])
    why = "Jira redirected the request in a loop (TooManyRedirects)"
    assert_ops_stopped_and_sup_swept(sandbox, state, reports, why)
    assert sandbox.request_counts().faults == 31


def test_a_body_that_is_not_json_stops_that_policy(sandbox: Sandbox) -> None:
    on_ops_search(
        sandbox,
        action="answer",
        status=200,
        times=1,
        answer_text="<html><body>Please log in</body></html>",
        answer_headers={"Content-Type": "text/html"},
    )
    state, reports = sweep(policies=[OPS, SUP])
    assert_ops_stopped_and_sup_swept(sandbox, state, reports, "HTTP 200 with a body that is not JSON")
