"""Every HTTP request escalator makes to Jira: through the ``jira`` client's authenticated session, with
the client's own retries switched off and ours (``retry.py``) in their place, and every failure translated
into escalator's error tree (``errors.py``).

Why not the client's retries: they skip 500/502/504 and a 503 without ``Retry-After``, and crash on a
``Retry-After`` that is not a whole number. Why not its methods: several cost extra requests (user look-ups,
reloads after an edit), and the calls escalator needs (inline properties, one-PUT edits, notify) have none.

Every ``requests`` exception becomes one of ours, named by its type and the request, never by its text (which
can carry the URL and headers): a dropped connection or an answer cut off mid-body is retried like a 503, a
redirect loop or an undecodable body is not.

Writes that may have reached Jira (500/502/504, a dropped connection) are not repeated, so an escalation
comment is never posted twice; 429 and 503 mean Jira refused the request, and are retried for writes too.
"""

from __future__ import annotations

import json
import logging
import random
import time
from collections.abc import Callable, Mapping
from typing import Any

import orjson
import requests
from jira import JIRA
from requests.cookies import RequestsCookieJar
from requests.hooks import default_hooks

from escalator.jira.errors import (
    JiraAuthError,
    JiraBadRequest,
    JiraError,
    JiraNotFound,
    JiraPermissionError,
    JiraRateLimited,
    JiraUnavailable,
    JiraUnexpectedResponse,
)
from escalator.jira.pacing import Pacer
from escalator.jira.retry import RESPECTS_RETRY_AFTER, RETRYABLE_STATUSES, RetryPolicy, parse_retry_after
from escalator.jira.settings import JiraSettings

__all__ = ["Sleep", "Transport"]

LOG = logging.getLogger(__name__)
Sleep = Callable[[float], None]
API = "rest/api/2"


class Transport:
    """JSON over HTTP to one Jira, with retries. Paths are relative to ``/rest/api/2/``."""

    def __init__(
        self,
        settings: JiraSettings,
        *,
        retry: RetryPolicy | None = None,
        sleep: Sleep = time.sleep,
        rng: random.Random | None = None,
        reads_per_second: float | None = None,
        writes_per_second: float | None = None,
    ) -> None:
        self.base_url = settings.url
        if settings.plain_http_warning:
            LOG.warning("%s", settings.plain_http_warning)
        self._reads = Pacer(reads_per_second, sleep=sleep)
        self._writes = Pacer(writes_per_second, sleep=sleep)
        self.retry = retry or RetryPolicy()
        self._sleep = sleep
        self._rng = rng or random.Random()
        auth: dict[str, Any]
        if settings.pat is not None:
            auth = {"token_auth": settings.pat.get_secret_value()}
        else:
            assert settings.email is not None and settings.api_token is not None  # checked by JiraSettings
            auth = {"basic_auth": (settings.email, settings.api_token.get_secret_value())}
        # get_server_info=False: the constructor makes no request; the adapter reads serverInfo through us.
        self._client = JIRA(server=settings.url, get_server_info=False, max_retries=0, timeout=settings.timeout, **auth)
        self._session: requests.Session = self._client._session
        self._templates: dict[tuple[str, str], requests.PreparedRequest | None] = {}  # see _template
        self._timeout = settings.timeout
        _settle_environment(self._session, settings.url)

    def __repr__(self) -> str:
        return f"Transport(url={self.base_url!r})"

    def close(self) -> None:
        self._session.close()

    def get(self, path: str, params: Mapping[str, Any] | None = None) -> Any:
        return self.request("GET", path, params=params)

    def post(
        self,
        path: str,
        body: Any,
        *,
        params: Mapping[str, Any] | None = None,
        read: bool = False,
        parse: Callable[[bytes], Any] = orjson.loads,
    ) -> Any:
        """POST; ``read=True`` marks a POST that changes nothing (a search), so any failure may be retried.
        ``parse`` reads the answer's body (a search page's: ``page_schema.page_parser``)."""
        return self.request("POST", path, params=params, body=body, idempotent=read, parse=parse)

    def put(self, path: str, body: Any, *, params: Mapping[str, Any] | None = None) -> Any:
        return self.request("PUT", path, params=params, body=body, idempotent=False)

    def request(
        self,
        method: str,
        path: str,
        *,
        params: Mapping[str, Any] | None = None,
        body: Any = None,
        idempotent: bool = True,
        parse: Callable[[bytes], Any] = orjson.loads,
    ) -> Any:
        """The parsed JSON body (None for an empty one), or one of escalator's Jira errors."""
        where = f"{method} /{API}/{path}"
        pacer = self._reads if method == "GET" or (method == "POST" and idempotent) else self._writes
        attempts = self.retry.attempts
        for attempt in range(1, attempts + 1):
            status: int | None = None
            retry_after: float | None = None
            pacer.wait()
            try:
                response, content = self._send(method, path, params, body, repeated=method == "POST" and idempotent)
            except requests.ConnectTimeout:
                reached = False
                problem = "connection timed out"
            except (requests.ConnectionError, requests.Timeout) as exc:
                reached = True
                problem = f"connection failed ({type(exc).__name__})"
            except requests.exceptions.ChunkedEncodingError as exc:
                reached = True
                problem = f"the answer was cut off ({type(exc).__name__})"
            except requests.RequestException as exc:
                raise _unusable(exc, where) from None
            else:
                if response.ok:
                    return _json(content, response.status_code, where, parse)
                status = response.status_code
                if status not in RETRYABLE_STATUSES:
                    raise _translate(response, content, where)
                reached = status not in RESPECTS_RETRY_AFTER
                retry_after = parse_retry_after(response.headers.get("Retry-After"))
                problem = f"HTTP {status}"
                too_long = retry_after is not None and retry_after > self.retry.max_retry_after
                if status in RESPECTS_RETRY_AFTER and too_long:
                    raise _exhausted(status, response, where, attempt, retry_after, problem)
            if reached and not idempotent:
                raise JiraUnavailable(
                    f"{where}: {problem}; not repeated, the change may or may not have been applied",
                    status=status,
                    maybe_applied=True,
                )
            if attempt == attempts:
                raise _exhausted(status, None, where, attempt, retry_after, problem)
            wait = self.retry.delay(status, retry_after, attempt, self._rng)
            asked = "" if retry_after is None else f" (Retry-After {retry_after:g}s)"
            LOG.warning("Jira %s: %s%s; retry %d of %d in %.1fs", where, problem, asked, attempt, attempts - 1, wait)
            self._sleep(wait)
        raise AssertionError("unreachable")  # pragma: no cover

    def _send(
        self, method: str, path: str, params: Mapping[str, Any] | None, body: Any, *, repeated: bool = False
    ) -> tuple[requests.Response, bytes]:
        """The answer and its whole body, sent on the ``jira`` client's session (its authentication, headers and
        cookies) with ``requests.Session.send``, not through the client's ``ResilientSession.request``: with its
        retries off, that wrapper only turned an error status into a ``JIRAError`` and read each body in 10 kB
        pieces to look for an Atlassian bug with empty bodies. Streamed, the body is read in one piece (its
        ``Content-Length`` known), about 0.3 ms of CPU less for a search page of 100 issues; a body cut off or
        undecodable raises ``requests``' own errors here, as it did when the session read it. ``repeated``: a
        request sent again and again to the same URL, such as a search's pages (``_from_template``)."""
        session = self._session
        data = None if body is None else json.dumps(body)
        url = f"{self.base_url}/{API}/{path}"
        template = self._template(method, url) if repeated and not params else None
        if template is None:
            prepared = session.prepare_request(requests.Request(method, url, params=params, data=data))
        else:
            prepared = self._from_template(template, data)
        response = session.send(
            prepared,
            timeout=self._timeout,
            allow_redirects=True,
            stream=True,
            proxies=session.proxies,  # what Session.request would merge: the environment is read once, at start
            verify=session.verify,
            cert=session.cert,
        )
        with response:
            return response, b"".join(response.iter_content(chunk_size=None))

    def _template(self, method: str, url: str) -> requests.PreparedRequest | None:
        """The request for ``method`` and ``url`` as the session prepares it, without cookies, made once; None when
        the session's authentication works per request (a hook, as digest or cookie authentication have), which
        a template cannot repeat. Escalator's (basic, a bearer token) are a fixed header."""
        key = (method, url)
        if key not in self._templates:
            template = self._session.prepare_request(requests.Request(method, url))
            template.headers.pop("Cookie", None)
            template.prepare_cookies(RequestsCookieJar())  # an empty jar: no Cookie header
            per_request = template.hooks["response"] != list(self._session.hooks["response"])
            self._templates[key] = None if per_request else template
        return self._templates[key]

    def _from_template(self, template: requests.PreparedRequest, data: str | None) -> requests.PreparedRequest:
        """A request prepared from ``template`` with this body: ``Session.prepare_request`` merges the session's
        headers and authentication again for every request, a quarter of the client's CPU for a search page. The
        session's headers and authentication do not change once escalator has made it; its cookies (a session
        cookie on Data Center) and hooks can, so they are taken afresh each time."""
        prepared = template.copy()
        prepared.hooks = default_hooks()
        prepared.prepare_hooks(self._session.hooks)
        if self._session.cookies:
            prepared.prepare_cookies(self._session.cookies.copy())
        prepared.prepare_body(data, None)
        return prepared


def _settle_environment(session: requests.Session, url: str) -> None:
    """Read the proxy and CA settings (``HTTPS_PROXY``, ``NO_PROXY``, ``REQUESTS_CA_BUNDLE``...) for this Jira
    from the environment once, as ``requests`` would for each request: it scans the whole environment per
    request, which cost a sweep more than its JSON parsing of some pages. Every request goes to ``url``'s host."""
    found = session.merge_environment_settings(url, {}, None, None, None)
    session.proxies = found["proxies"]
    session.verify = found["verify"]
    session.cert = found["cert"]
    session.trust_env = False  # also no ~/.netrc look-up: escalator always sends its own credentials


def _unusable(exc: requests.RequestException, where: str) -> JiraError:
    """A ``requests`` failure that trying again would not cure. Named by its type only: its text can hold the
    URL and headers."""
    name = type(exc).__name__
    if isinstance(exc, requests.TooManyRedirects):
        return JiraUnexpectedResponse(f"{where}: Jira redirected the request in a loop ({name})")
    if isinstance(exc, requests.exceptions.ContentDecodingError):
        return JiraUnexpectedResponse(f"{where}: the answer's body could not be decoded ({name})")
    return JiraError(f"{where}: the request could not be made ({name})")


def _json(content: bytes, status: int, where: str, parse: Callable[[bytes], Any]) -> Any:
    if not content:
        return None
    try:
        return parse(content)
    except ValueError:  # orjson.JSONDecodeError is one
        raise JiraUnexpectedResponse(f"{where}: HTTP {status} with a body that is not JSON") from None


def _error_details(content: bytes) -> tuple[list[str], dict[str, str]]:
    """Jira's ``errorMessages`` and ``errors``; a body that is not Jira's error JSON gives nothing (it could
    be an HTML login page, and we do not repeat what we cannot read)."""
    try:
        body = orjson.loads(content)
    except ValueError:
        return [], {}
    if not isinstance(body, dict):
        return [], {}
    messages = [str(m) for m in body.get("errorMessages") or [] if m]
    if isinstance(body.get("message"), str):
        messages.append(body["message"])
    errors = body.get("errors")
    fields = {str(k): str(v) for k, v in errors.items()} if isinstance(errors, dict) else {}
    return messages, fields


def _translate(response: requests.Response, content: bytes, where: str) -> JiraError:
    status = response.status_code
    messages, fields = _error_details(content)
    details: dict[str, Any] = {"status": status, "messages": messages, "field_errors": fields}
    if status == 401:
        return JiraAuthError(f"{where}: Jira rejected the credentials (HTTP 401)", status=status)
    if status == 403:
        return JiraPermissionError(f"{where}: not permitted (HTTP 403)", **details)
    if status == 404:
        return JiraNotFound(f"{where}: not found (HTTP 404)", **details)
    if 400 <= status < 500:
        return JiraBadRequest(f"{where}: refused (HTTP {status})", **details)
    return JiraUnexpectedResponse(f"{where}: unexpected HTTP {status}", **details)


def _exhausted(
    status: int | None,
    response: requests.Response | None,
    where: str,
    attempt: int,
    retry_after: float | None,
    problem: str,
) -> JiraUnavailable:
    if status == 429:
        if response is not None:
            message = f"{where}: rate limited, Jira asks to wait {retry_after:.0f}s, longer than we wait"
        else:
            message = f"{where}: still rate limited after {attempt} attempts"
        return JiraRateLimited(message, status=status, retry_after=retry_after)
    if response is not None:
        return JiraUnavailable(f"{where}: {problem}, Jira asks to wait {retry_after:.0f}s", status=status)
    return JiraUnavailable(f"{where}: {problem}, still failing after {attempt} attempts", status=status)
