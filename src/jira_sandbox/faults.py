"""Fault injection: decides, per REST request, whether to answer with a made-up failure instead of
serving it. Latency, per-second request budgets per method (429 with integer `Retry-After`,
`X-RateLimit-*`, `RateLimit-Reason`), per-issue write limits, and rules that answer a status (500, 502,
503 with or without `Retry-After`, 504, 429), answer a given body (a malformed page, text that is not JSON,
a redirect), reset the connection, cut the answer off mid-body, delay the request or (after serving it) its
answer, or trickle the body, at a rate or on the Nth matching request.

Reproducible whatever the order in which concurrent clients' requests arrive: a rule's `rate` is decided per
request (method, path and query) from the `seed`, the rule and how often that request met the rule before, not
by one random stream shared by every thread; `times_per_request` caps what one request can meet, so a client
that retries often enough is sure to get through. (`skip`, `nth` and `times` count all matching requests, so
which of several concurrent requests they hit depends on arrival order.) Budgets and per-issue windows read
`clock`, which tests can freeze.

This module decides; `middleware.py` carries the decision out on the wire.
"""

from __future__ import annotations

import hashlib
import re
import threading
import time
from collections import Counter, deque
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Literal

from pydantic import BaseModel, Field

_ISSUE_PATH = re.compile(r"^/rest/api/[^/]+/issue/(?!bulk$|properties)([^/]+)")
_WRITE_METHODS = frozenset({"POST", "PUT", "DELETE"})


class FaultRule(BaseModel):
    """One rule. It matches requests by `method`, a regex searched in the path (`path`) and one searched in
    the request body (`body`, e.g. `"nextPageToken"` for the pages after the first); of the matching requests
    it lets `skip` through, then fires on a share `rate` of them (decided per request, see the module's
    docstring), at most `times` times in all and at most `times_per_request` times for one request (None: no
    limit). `nth=N` is shorthand for skip N-1, times 1. `answer` sends `status` with `answer_body` (any JSON
    value) or `answer_text` (sent as it is) and `answer_headers`, whatever the request asked."""

    action: Literal["error", "reset", "delay", "delay_response", "slow_body", "answer", "cut"] = "error"
    status: int = 503
    retry_after: int | None = None
    reason: str = "jira-burst-based"
    message: str | None = None
    method: str | None = None
    path: str | None = None
    body: str | None = None
    rate: float = 1.0
    skip: int = 0
    times: int | None = None
    times_per_request: int | None = Field(default=None, ge=1)
    nth: int | None = None
    delay_ms: int = 0
    answer_body: Any = None
    answer_text: str | None = None
    answer_headers: dict[str, str] = Field(default_factory=dict)


class FaultConfig(BaseModel):
    """All fault settings. `rate_limits` maps a method (or `*`) to a per-second request budget."""

    seed: int = 0
    latency_ms: int = 0
    rate_limits: dict[str, int] = Field(default_factory=dict)
    retry_after: int = 1
    issue_write_limit: int | None = None
    issue_write_window_s: float = 2.0
    rules: list[FaultRule] = Field(default_factory=list)


@dataclass(frozen=True)
class FaultDecision:
    """What to do instead of (or besides) serving: `error` and `answer` (status/headers/body, `text` when
    the body is not JSON), `reset`, `delay` (then serve), `delay_response` (serve, then hold the whole answer
    for `delay_ms`: the change is made but the client does not hear of it), `slow_body` (serve, trickling the
    body over `delay_ms`), `cut` (serve, but close the connection halfway through the body)."""

    action: str
    label: str
    status: int = 0
    headers: dict[str, str] = field(default_factory=dict)
    body: Any = field(default_factory=dict)
    delay_ms: int = 0
    text: str | None = None


def rate_limit_headers(limit: int, retry_after: int, reason: str, window_s: float = 1.0) -> dict[str, str]:
    """Jira Cloud's and DC's 429 headers together; `Retry-After` is a whole number, as the client needs."""
    reset = datetime.fromtimestamp(time.time() + max(retry_after, 1), tz=UTC).strftime("%Y-%m-%dT%H:%MZ")
    return {
        "Retry-After": str(int(retry_after)),
        "X-RateLimit-Limit": str(limit),
        "X-RateLimit-Remaining": "0",
        "X-RateLimit-Reset": reset,
        "X-RateLimit-NearLimit": "true",
        "X-RateLimit-Interval-Seconds": str(int(window_s) or 1),
        "X-RateLimit-FillRate": str(limit),
        "RateLimit-Reason": reason,
    }


def chance(seed: int, rule: int, request: tuple[str, str, str], seen: int) -> float:
    """A number in [0, 1) fixed by the seed, the rule, the request and how often it met the rule before."""
    text = "\x1f".join((str(seed), str(rule), *request, str(seen)))
    digest = hashlib.blake2b(text.encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big") / 2**64


class FaultInjector:
    """Thread-safe holder of a `FaultConfig` and the counters the rules need. `clock` (seconds, monotonic)
    is what budgets and per-issue write windows read."""

    def __init__(self, config: FaultConfig | None = None, clock: Callable[[], float] = time.monotonic) -> None:
        self._lock = threading.Lock()
        self.clock = clock
        self.configure(config or FaultConfig())

    def configure(self, config: FaultConfig) -> None:
        """Replace the settings and reset every counter."""
        with self._lock:
            self._config = config
            self._matched: Counter[int] = Counter()
            self._fired: Counter[int] = Counter()
            self._seen: Counter[tuple[int, str, str, str]] = Counter()
            self._fired_for: Counter[tuple[int, str, str, str]] = Counter()
            self._windows: Counter[tuple[str, int]] = Counter()
            self._issue_writes: dict[str, deque[float]] = {}
            self._patterns = [re.compile(rule.path) if rule.path else None for rule in config.rules]
            self._bodies = [re.compile(rule.body) if rule.body else None for rule in config.rules]

    def update(self, **changes: Any) -> FaultConfig:
        """Change some settings (validated), keeping the rest; resets counters."""
        merged = FaultConfig.model_validate({**self.config.model_dump(), **changes})
        self.configure(merged)
        return merged

    @property
    def config(self) -> FaultConfig:
        with self._lock:
            return self._config

    @property
    def latency_ms(self) -> int:
        return self._config.latency_ms

    def decide(
        self, method: str, path: str, query: str = "", now: float | None = None, body: bytes = b""
    ) -> FaultDecision | None:
        now = self.clock() if now is None else now
        method = method.upper()
        with self._lock:
            return (
                self._rules(method, path, query, body)
                or self._budget(method, now)
                or self._issue_limit(method, path, now)
            )

    def _rules(self, method: str, path: str, query: str, body: bytes) -> FaultDecision | None:
        for index, rule in enumerate(self._config.rules):
            if rule.method and rule.method.upper() != method:
                continue
            pattern, body_pattern = self._patterns[index], self._bodies[index]
            if pattern is not None and not pattern.search(path):
                continue
            if body_pattern is not None and not body_pattern.search(body.decode("utf-8", "replace")):
                continue
            self._matched[index] += 1
            request = (index, method, path, query)
            seen = self._seen[request]
            self._seen[request] += 1
            skip = rule.nth - 1 if rule.nth else rule.skip
            times = 1 if rule.nth and rule.times is None else rule.times
            if self._matched[index] <= skip or (times is not None and self._fired[index] >= times):
                continue
            if rule.times_per_request is not None and self._fired_for[request] >= rule.times_per_request:
                continue
            if rule.rate < 1.0 and chance(self._config.seed, index, request[1:], seen) >= rule.rate:
                continue
            self._fired[index] += 1
            self._fired_for[request] += 1
            return self._rule_decision(index, rule)
        return None

    def _rule_decision(self, index: int, rule: FaultRule) -> FaultDecision:
        label = f"rule{index}:{rule.action}" + (f":{rule.status}" if rule.action in ("error", "answer") else "")
        if rule.action == "answer":
            given = dict(rule.answer_headers)
            return FaultDecision("answer", label, rule.status, given, rule.answer_body, text=rule.answer_text)
        if rule.action != "error":
            return FaultDecision(rule.action, label, delay_ms=rule.delay_ms)
        headers: dict[str, str] = {}
        if rule.status == 429:
            headers = rate_limit_headers(1, rule.retry_after if rule.retry_after is not None else 1, rule.reason)
            message = "Rate limit exceeded."
        else:
            if rule.retry_after is not None:
                headers["Retry-After"] = str(int(rule.retry_after))
            message = {
                500: "Internal server error",
                502: "Bad Gateway",
                503: "Service Unavailable",
                504: "Gateway Timeout",
            }.get(rule.status, f"Error {rule.status}")
        body = {"errorMessages": [rule.message or f"{message} (injected by the sandbox)"], "errors": {}}
        return FaultDecision("error", label, rule.status, headers, body)

    def _budget(self, method: str, now: float) -> FaultDecision | None:
        limits = self._config.rate_limits
        limit = limits.get(method, limits.get("*"))
        if limit is None:
            return None
        window = (method if method in limits else "*", int(now))
        self._windows[window] += 1
        if len(self._windows) > 64:
            for stale in [key for key in self._windows if key[1] < int(now) - 1]:
                del self._windows[stale]
        if self._windows[window] <= limit:
            return None
        headers = rate_limit_headers(limit, self._config.retry_after, "jira-burst-based")
        body = {"errorMessages": ["Rate limit exceeded."], "errors": {}}
        return FaultDecision("error", f"budget:{method}", 429, headers, body)

    def _issue_limit(self, method: str, path: str, now: float) -> FaultDecision | None:
        limit = self._config.issue_write_limit
        if limit is None or method not in _WRITE_METHODS:
            return None
        match = _ISSUE_PATH.match(path)
        if match is None:
            return None
        window = self._config.issue_write_window_s
        writes = self._issue_writes.setdefault(match.group(1).upper(), deque())
        while writes and writes[0] <= now - window:
            writes.popleft()
        if len(writes) >= limit:
            headers = rate_limit_headers(limit, self._config.retry_after, "jira-per-issue-on-write", window)
            body = {"errorMessages": ["Too many writes to this issue. Please try again later."], "errors": {}}
            return FaultDecision("error", "issue-write-limit", 429, headers, body)
        writes.append(now)
        return None
