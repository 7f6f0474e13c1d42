"""Escalator's Jira errors: one small tree, raised by the Jira adapter and nowhere else.

The adapter translates every HTTP status, connection failure and unexpected body into one of these, so code
above it never sees ``requests`` or ``jira`` exceptions. Messages carry Jira's own words (``errorMessages``
and ``errors``) but never credentials, headers or request bodies.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

__all__ = [
    "JiraAuthError",
    "JiraBadRequest",
    "JiraConfigError",
    "JiraError",
    "JiraNotFound",
    "JiraPermissionError",
    "JiraProtocolError",
    "JiraRateLimited",
    "JiraUnavailable",
    "JiraUnexpectedResponse",
    "PreflightFailed",
]


class JiraError(Exception):
    """Anything that went wrong talking to Jira. ``retryable``: trying again later may succeed."""

    retryable = False

    def __init__(
        self,
        message: str,
        *,
        status: int | None = None,
        messages: Sequence[str] = (),
        field_errors: Mapping[str, str] | None = None,
    ) -> None:
        self.status = status
        self.messages = tuple(messages)
        self.field_errors = dict(field_errors or {})
        details = [*self.messages, *(f"{name}: {text}" for name, text in sorted(self.field_errors.items()))]
        super().__init__(f"{message}: {'; '.join(details)}" if details else message)


class JiraConfigError(JiraError):
    """The Jira settings are missing or inconsistent (names the environment variable to set)."""


class JiraUnavailable(JiraError):
    """Jira did not answer usefully (5xx, connection error) even after the configured retries."""

    retryable = True

    def __init__(
        self,
        message: str,
        *,
        status: int | None = None,
        messages: Sequence[str] = (),
        maybe_applied: bool = False,
    ) -> None:
        self.maybe_applied = maybe_applied
        super().__init__(message, status=status, messages=messages)


class JiraRateLimited(JiraUnavailable):
    """Jira kept answering 429 (or asked us to wait longer than we are willing to) after the retries."""

    def __init__(self, message: str, *, status: int | None = None, retry_after: float | None = None) -> None:
        self.retry_after = retry_after
        super().__init__(message, status=status)


class JiraAuthError(JiraError):
    """401: the credentials were rejected."""


class JiraPermissionError(JiraError):
    """403: the credentials work, but this user may not do this."""


class JiraNotFound(JiraError):
    """404: no such issue, user or resource (or not visible to this user)."""


class JiraBadRequest(JiraError):
    """400 and other 4xx: Jira refused the request; ``messages``/``field_errors`` say why."""


class JiraUnexpectedResponse(JiraError):
    """Jira answered, but not with what its API promises (a body we cannot read)."""


class JiraProtocolError(JiraUnexpectedResponse):
    """Jira answered in a way its API rules out: a search page that is not an object, a ``nextPageToken``
    it gave before, more pages than its first page announced. Paging on would never end, or end wrong, so the
    search stops here; like any ``JiraError`` it stops one policy's sweep, not the run."""


class PreflightFailed(JiraError):
    """The policy does not fit this Jira; ``problems`` lists every problem found, not just the first."""

    def __init__(self, problems: Sequence[str]) -> None:
        self.problems = tuple(problems)
        lines = "\n".join(f"  - {problem}" for problem in self.problems)
        super().__init__(f"preflight found {len(self.problems)} problem(s):\n{lines}")
