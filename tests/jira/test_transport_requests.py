"""What the transport sends when it prepares a search's pages from the request it made for the first
(``Transport._from_template``): the credentials, headers and body of each request, the cookies Jira set since
(a rotated session cookie included), and hooks added to the session after the first request. Writes (one URL an
issue) and requests with query parameters are prepared in full, and so is every request of an authentication
that works per request. Against a loopback server that records every request."""

from __future__ import annotations

import base64
import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler
from typing import Any

import pytest
import requests
from requests.auth import AuthBase

from escalator.jira.settings import JiraSettings
from escalator.jira.transport import Transport
from tests.receiver import loopback_server

EMAIL, TOKEN = "bot@example.com", "t0ken"


@dataclass
class Recorder:
    """Every request as it arrived, and the session cookie to set on the next answers (None: set none)."""

    requests: list[dict[str, Any]] = field(default_factory=list)
    set_cookie: str | None = None


@pytest.fixture
def recorder() -> Iterator[tuple[Recorder, str]]:
    seen = Recorder()

    class Handler(BaseHTTPRequestHandler):
        def _answer(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            seen.requests.append(
                {
                    "method": self.command,
                    "path": self.path,
                    "cookie": self.headers.get("Cookie"),
                    "authorization": self.headers.get("Authorization"),
                    "content-type": self.headers.get("Content-Type"),
                    "body": json.loads(body) if body else None,
                }
            )
            answer = json.dumps({"number": len(seen.requests)}).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(answer)))
            if seen.set_cookie is not None:
                self.send_header("Set-Cookie", f"JSESSIONID={seen.set_cookie}; Path=/")
            self.end_headers()
            self.wfile.write(answer)

        do_GET = do_POST = do_PUT = _answer

        def log_message(self, format: str, *args: Any) -> None:
            pass

    with loopback_server(Handler) as server:
        yield seen, f"http://127.0.0.1:{server.server_address[1]}"


def transport(url: str) -> Transport:
    return Transport(JiraSettings.from_env({"JIRA_URL": url, "JIRA_EMAIL": EMAIL, "JIRA_API_TOKEN": TOKEN}))


def test_each_request_carries_the_credentials_headers_and_its_own_body(recorder: tuple[Recorder, str]) -> None:
    seen, url = recorder
    jira = transport(url)
    answers = [jira.post("search/jql", {"jql": "project = OPS", "page": page}, read=True) for page in (1, 2, 3)]
    assert answers == [{"number": 1}, {"number": 2}, {"number": 3}]
    basic = "Basic " + base64.b64encode(f"{EMAIL}:{TOKEN}".encode()).decode()
    assert [r["body"] for r in seen.requests] == [{"jql": "project = OPS", "page": page} for page in (1, 2, 3)]
    assert {r["authorization"] for r in seen.requests} == {basic}
    assert {r["content-type"] for r in seen.requests} == {"application/json"}
    assert {(r["method"], r["path"]) for r in seen.requests} == {("POST", "/rest/api/2/search/jql")}


def test_cookies_jira_sets_are_sent_back_and_a_rotated_one_replaces_the_old(recorder: tuple[Recorder, str]) -> None:
    seen, url = recorder
    jira = transport(url)
    jira.post("search/jql", {"page": 1}, read=True)  # no cookie yet
    seen.set_cookie = "first"
    jira.post("search/jql", {"page": 2}, read=True)  # answered with a cookie
    seen.set_cookie = None
    jira.post("search/jql", {"page": 3}, read=True)
    seen.set_cookie = "second"
    jira.put("issue/OPS-1", {"fields": {}})  # another method and URL: a template of its own, the same jar
    seen.set_cookie = None
    jira.post("search/jql", {"page": 4}, read=True)
    jira.get("search/jql", params={"jql": "project = OPS"})  # query parameters: prepared in full
    assert [r["cookie"] for r in seen.requests] == [
        None,
        None,
        "JSESSIONID=first",
        "JSESSIONID=first",
        "JSESSIONID=second",
        "JSESSIONID=second",
    ]
    assert seen.requests[-1]["path"] == "/rest/api/2/search/jql?jql=project+%3D+OPS"


def test_a_hook_added_to_the_session_after_the_first_request_sees_the_next_answers(
    recorder: tuple[Recorder, str],
) -> None:
    seen, url = recorder
    jira = transport(url)
    jira.post("search/jql", {"page": 1}, read=True)
    statuses: list[int] = []

    def hook(response: requests.Response, *args: Any, **kwargs: Any) -> requests.Response:
        statuses.append(response.status_code)
        return response

    jira._session.hooks["response"].append(hook)
    jira.post("search/jql", {"page": 2}, read=True)
    jira._session.hooks["response"].remove(hook)
    jira.post("search/jql", {"page": 3}, read=True)
    assert statuses == [200]
    assert len(seen.requests) == 3


def test_only_reads_sent_again_to_the_same_url_are_prepared_from_a_template(recorder: tuple[Recorder, str]) -> None:
    """Writes go to one URL an issue: a template of each would be made once and never used again."""
    seen, url = recorder
    jira = transport(url)
    for page in range(3):
        jira.post("search/jql", {"page": page}, read=True)
    for number in range(20):
        jira.put(f"issue/OPS-{number}", {"fields": {}})
        jira.post(f"issue/OPS-{number}/notify", {"subject": "escalated"})
    assert len(seen.requests) == 43
    assert list(jira._templates) == [("POST", f"{url}/rest/api/2/search/jql")]


class _PerRequestAuth(AuthBase):
    """An authentication that works on each request and its answer (as digest and cookie authentication do)."""

    def __init__(self) -> None:
        self.requests = self.answers = 0

    def __call__(self, request: requests.PreparedRequest) -> requests.PreparedRequest:
        self.requests += 1
        request.headers["Authorization"] = f"Token {self.requests}"
        request.register_hook("response", self.answered)
        return request

    def answered(self, response: requests.Response, *args: Any, **kwargs: Any) -> requests.Response:
        self.answers += 1
        return response


def test_an_authentication_that_works_per_request_is_applied_to_every_request(recorder: tuple[Recorder, str]) -> None:
    seen, url = recorder
    jira = transport(url)
    auth = _PerRequestAuth()
    jira._session.auth = auth
    for page in range(3):
        jira.post("search/jql", {"page": page}, read=True)
    assert auth.answers == 3  # its hook saw every answer
    sent = [r["authorization"] for r in seen.requests]
    assert len(sent) == 3 and len(set(sent)) == 3  # and each request was authenticated afresh
