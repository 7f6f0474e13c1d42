"""Jira's error shape as an exception: every failure a route can report is raised as `JiraApiError`.

The app turns it into `{"errorMessages": [...], "errors": {...}}` with the status and headers it carries.
Nothing here does I/O; the exception handlers live in `app.py`.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any


class JiraApiError(Exception):
    """A Jira REST error: an HTTP status, `errorMessages`, per-field `errors` and extra headers."""

    def __init__(
        self,
        status: int,
        messages: list[str] | None = None,
        errors: Mapping[str, str] | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> None:
        self.status = status
        self.messages = list(messages or [])
        self.errors = dict(errors or {})
        self.headers = dict(headers or {})
        super().__init__(f"{status}: {'; '.join(self.messages + list(self.errors.values()))}")

    def body(self) -> dict[str, Any]:
        return {"errorMessages": self.messages, "errors": self.errors}


def bad_request(message: str) -> JiraApiError:
    return JiraApiError(400, [message])


def field_error(field: str, message: str, status: int = 400) -> JiraApiError:
    return JiraApiError(status, [], {field: message})


def issue_not_found() -> JiraApiError:
    return JiraApiError(404, ["Issue does not exist or you do not have permission to see it."])


def not_authenticated() -> JiraApiError:
    return JiraApiError(
        401,
        ["You are not authenticated. Authentication required to perform this operation."],
        headers={"WWW-Authenticate": 'Basic realm="protected-area"'},
    )


def forbidden(message: str) -> JiraApiError:
    return JiraApiError(403, [message])
