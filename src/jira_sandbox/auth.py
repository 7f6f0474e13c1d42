"""Who is calling: HTTP Basic (email or username + API token) or Bearer (personal access token).
Missing or wrong credentials, and inactive users, get Jira's 401. Tokens are compared in constant time
(`hmac.compare_digest`), so how long a refusal takes says nothing about how much of a guess was right."""

from __future__ import annotations

import base64
import binascii
import hmac

from fastapi import Request

from jira_sandbox import users as user_store
from jira_sandbox.errors import JiraApiError, not_authenticated
from jira_sandbox.runtime import runtime_of
from jira_sandbox.store import Store
from jira_sandbox.users import User


def credentials_user(authorization: str | None, store: Store) -> User:
    """The active user an `Authorization` header names, or Jira's 401."""
    if not authorization:
        raise not_authenticated()
    scheme, _, value = authorization.partition(" ")
    with store.transaction() as db:
        if scheme.lower() == "basic":
            try:
                login, _, secret = base64.b64decode(value.strip()).decode("utf-8").partition(":")
            except (binascii.Error, UnicodeDecodeError):
                raise not_authenticated() from None
            user = user_store.by_login(db, login)
            if user is None or not user.token or not same_token(secret, user.token):
                raise _bad_credentials()
        elif scheme.lower() == "bearer":
            user = user_store.by_token(db, value.strip(), same_token) if value.strip() else None
            if user is None:
                raise _bad_credentials()
        else:
            raise not_authenticated()
    if not user.active:
        raise _bad_credentials()
    return user


def same_token(given: str, expected: str) -> bool:
    """Constant-time comparison of a presented token with a stored one."""
    return hmac.compare_digest(given.encode("utf-8"), expected.encode("utf-8"))


def _bad_credentials() -> JiraApiError:
    return JiraApiError(
        401,
        ["Client must be authenticated to access this resource."],
        headers={
            "WWW-Authenticate": 'Basic realm="protected-area"',
            "X-Seraph-LoginReason": "AUTHENTICATED_FAILED",
        },
    )


def caller(request: Request) -> User:
    """FastAPI dependency: the authenticated user of this request."""
    return credentials_user(request.headers.get("authorization"), runtime_of(request).store)


def admin_caller(request: Request) -> User:
    """FastAPI dependency for `/_sandbox`: the caller must be a sandbox administrator."""
    user = caller(request)
    if not user.is_admin:
        raise JiraApiError(403, ["The sandbox admin endpoint needs an administrator's credentials."])
    return user
