"""Retries over HTTP: Retry-After (whole seconds and HTTP date), backoff, exhaustion, no retry on 4xx."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from typing import Any

import pytest
import requests
from pydantic import SecretStr

from escalator.jira import (
    JiraAdapter,
    JiraBadRequest,
    JiraRateLimited,
    JiraSettings,
    JiraUnavailable,
    RetryPolicy,
)
from jira_sandbox.testing import Sandbox

from .conftest import settings_for

SEARCH = "/search"


def search_all(jira: JiraAdapter) -> int:
    return sum(len(page.issues) for page in jira.search_pages("project = ENG", page_size=100))


def test_429_with_whole_seconds_then_success(sandbox: Sandbox, jira: JiraAdapter, sleeps: list[float]) -> None:
    sandbox.add_fault(status=429, retry_after=3, path=SEARCH, times=2)
    assert search_all(jira) > 0
    assert len(sleeps) == 2 and all(3.0 <= wait <= 3.0 * 1.3 for wait in sleeps)  # at least Retry-After
    assert sandbox.request_counts().by_status[429] == 2


@pytest.fixture
def http_date_retry_after(jira: JiraAdapter) -> Iterator[None]:
    """The sandbox sends whole seconds; rewrite them on arrival into an HTTP date that many seconds ahead."""

    def as_date(response: requests.Response, *args: Any, **kwargs: Any) -> requests.Response:
        seconds = response.headers.get("Retry-After")
        if seconds is not None:
            when = datetime.now(UTC) + timedelta(seconds=int(seconds))
            response.headers["Retry-After"] = format_datetime(when, usegmt=True)
        return response

    session = jira._transport._session
    session.hooks["response"].append(as_date)
    yield
    session.hooks["response"].remove(as_date)


@pytest.mark.usefixtures("http_date_retry_after")
def test_429_with_http_date_then_success(sandbox: Sandbox, jira: JiraAdapter, sleeps: list[float]) -> None:
    sandbox.add_fault(status=429, retry_after=30, path=SEARCH, times=1)
    assert search_all(jira) > 0
    (wait,) = sleeps
    assert 27 <= wait <= 30 * 1.3  # an HTTP date has whole-second resolution; jitter only adds
    assert sandbox.request_counts().search == 2


def test_503_without_retry_after_backs_off(sandbox: Sandbox, jira: JiraAdapter, sleeps: list[float]) -> None:
    sandbox.add_fault(status=503, path=SEARCH, times=2)
    assert search_all(jira) > 0
    assert len(sleeps) == 2
    assert 0.35 <= sleeps[0] <= 0.65 and 0.7 <= sleeps[1] <= 1.3  # base * 2^n, jitter of 30 %
    assert sandbox.request_counts().search == 3


def test_500_storm_exhausts_retries(sandbox: Sandbox, jira: JiraAdapter, sleeps: list[float]) -> None:
    sandbox.add_fault(status=500, path=SEARCH)
    with pytest.raises(JiraUnavailable) as caught:
        search_all(jira)
    assert caught.value.status == 500 and caught.value.retryable
    assert "4 attempts" in str(caught.value)
    assert sandbox.request_counts().search == 4  # RetryPolicy(attempts=4) in the fixture
    assert len(sleeps) == 3


def test_429_storm_with_retry_after_zero_backs_off_exponentially(
    sandbox: Sandbox, jira: JiraAdapter, sleeps: list[float]
) -> None:
    sandbox.add_fault(status=429, retry_after=0, path=SEARCH, times=3)
    assert search_all(jira) > 0
    assert len(sleeps) == 3
    for retry, wait in enumerate(sleeps, start=1):  # the fixture's RetryPolicy: base 0.5 s, cap 4 s, jitter 30 %
        assert 0.5 * 2 ** (retry - 1) * 0.7 <= wait <= 0.5 * 2 ** (retry - 1) * 1.3
    assert sandbox.request_counts().by_status[429] == 3


def test_persistent_429_is_rate_limited(sandbox: Sandbox, jira: JiraAdapter) -> None:
    sandbox.add_fault(status=429, retry_after=1, path=SEARCH)
    with pytest.raises(JiraRateLimited):
        search_all(jira)
    assert sandbox.request_counts().search == 4


def test_retry_after_beyond_the_ceiling_gives_up_at_once(sandbox: Sandbox, sleeps: list[float]) -> None:
    sandbox.add_fault(status=429, retry_after=600, path=SEARCH)
    with JiraAdapter.connect(settings_for(sandbox), sleep=sleeps.append) as jira:
        sandbox.reset_requests()
        with pytest.raises(JiraRateLimited) as caught:
            search_all(jira)
    assert caught.value.retry_after == 600
    assert sleeps == [] and sandbox.request_counts().search == 1


def test_400_is_not_retried(sandbox: Sandbox, jira: JiraAdapter, sleeps: list[float]) -> None:
    with pytest.raises(JiraBadRequest) as caught:
        list(jira.search_pages("project = = OPS"))
    assert caught.value.status == 400 and not caught.value.retryable
    assert caught.value.messages or caught.value.field_errors
    assert sandbox.request_counts().search == 1 and sleeps == []


def test_connection_refused_is_unavailable(sleeps: list[float]) -> None:
    with socket.socket() as probe:  # a loopback port that was free a moment ago: nothing listens there
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    settings = JiraSettings(url=f"http://127.0.0.1:{port}", email="x@example.com", api_token=SecretStr("t"))
    with pytest.raises(JiraUnavailable) as caught:
        JiraAdapter.connect(settings, retry=RetryPolicy(attempts=3), sleep=sleeps.append)
    assert "connection failed" in str(caught.value)
    assert len(sleeps) == 2
