"""How escalator reaches Jira: base URL and credentials, read from the environment.

Either HTTP Basic with an e-mail and API token (Jira Cloud) or a bearer personal access token (Data Center).
Secrets are ``SecretStr``: they never show in a repr, a log line or an error message. A ``JIRA_URL`` that
carries them itself (``https://user:token@host``) is refused, because a URL is printed, logged and kept in
Prefect's parameters; a plain ``http://`` URL to another machine is allowed (a lab Jira) with a warning.
"""

from __future__ import annotations

import ipaddress
import json
import os
from collections.abc import Mapping
from typing import Literal
from urllib.parse import urlsplit

from pydantic import (
    AliasChoices,
    BaseModel,
    ConfigDict,
    Field,
    SecretStr,
    ValidationError,
    field_validator,
    model_validator,
)

from escalator.jira.errors import JiraConfigError

__all__ = ["AuthKind", "JiraSettings"]

AuthKind = Literal["basic", "bearer"]

_ENV = {
    "url": "JIRA_URL",
    "email": "JIRA_EMAIL",
    "api_token": "JIRA_API_TOKEN",
    "pat": "JIRA_PAT",
    "state_keys": "ESCALATOR_STATE_KEY",
}


class JiraSettings(BaseModel):
    # hide_input_in_errors: a validation error must never echo a token (e.g. settings read from a block).
    model_config = ConfigDict(frozen=True, extra="forbid", hide_input_in_errors=True)

    url: str = Field(description="Jira base URL, e.g. https://example.atlassian.net")
    email: str | None = None
    api_token: SecretStr | None = None
    pat: SecretStr | None = None
    timeout: float = Field(default=30.0, gt=0, description="seconds per HTTP request (connect and read)")
    state_keys: tuple[SecretStr, ...] = Field(
        default=(),
        validation_alias=AliasChoices("state_keys", "state_key"),  # a Secret block names it state_key
        description="keys that seal the escalation state (HMAC-SHA256), newest first; none: states are unsigned",
    )

    @field_validator("state_keys", mode="before")
    @classmethod
    def _key_list(cls, value: object) -> object:
        """``"new,old"`` (the environment variable) or a list (a Secret block's ``state_key``)."""
        if isinstance(value, SecretStr):
            value = value.get_secret_value()
        if isinstance(value, str):
            value = [part.strip() for part in value.split(",") if part.strip()]
        return value

    @field_validator("state_keys", mode="after")
    @classmethod
    def _long_keys(cls, value: tuple[SecretStr, ...]) -> tuple[SecretStr, ...]:
        if any(len(key.get_secret_value()) < 32 for key in value):
            raise ValueError("a state key must be at least 32 characters (e.g. `openssl rand -hex 32`)")
        return value

    @field_validator("url")
    @classmethod
    def _http_url(cls, value: str) -> str:
        value = value.strip().rstrip("/")
        if not value.startswith(("https://", "http://")):
            raise ValueError("JIRA_URL must start with https:// (or http://)")
        try:
            parts = urlsplit(value)
            parts.port  # noqa: B018 - raises ValueError for a port that is not a number
        except ValueError:
            raise ValueError("JIRA_URL is not a valid URL") from None
        if "@" in parts.netloc:
            raise ValueError(
                "JIRA_URL must not carry a user or password (user:password@host): "
                "set JIRA_EMAIL and JIRA_API_TOKEN, or JIRA_PAT, instead"
            )
        if not parts.hostname:
            raise ValueError("JIRA_URL has no host name")
        return value

    @model_validator(mode="after")
    def _one_way_to_authenticate(self) -> JiraSettings:
        basic = self.email is not None or self.api_token is not None
        if self.pat is not None and basic:
            raise ValueError("set either JIRA_PAT or JIRA_EMAIL and JIRA_API_TOKEN, not both")
        if self.pat is None:
            if self.email is None and self.api_token is None:
                raise ValueError("set JIRA_PAT, or JIRA_EMAIL and JIRA_API_TOKEN")
            if self.email is None:
                raise ValueError("JIRA_EMAIL is not set (JIRA_API_TOKEN needs it)")
            if self.api_token is None:
                raise ValueError("JIRA_API_TOKEN is not set (JIRA_EMAIL needs it)")
        return self

    @property
    def plain_http_warning(self) -> str | None:
        """A warning when credentials would cross the network unencrypted: ``http://`` to a host that is not
        this machine (loopback: a sandbox, a tunnel); None otherwise."""
        parts = urlsplit(self.url)
        if parts.scheme != "http" or _is_loopback(parts.hostname or ""):
            return None
        return (
            f"JIRA_URL uses http:// to {parts.hostname}, which is not this machine: the credentials and the issues "
            "travel unencrypted; use https://"
        )

    @property
    def auth_kind(self) -> AuthKind:
        return "bearer" if self.pat is not None else "basic"

    @classmethod
    def from_mapping(cls, values: Mapping[str, object], source: str) -> JiraSettings:
        """Settings from a mapping (e.g. a Prefect Secret block); errors name ``source``, never a value."""
        try:
            return cls.model_validate(dict(values))
        except ValidationError as exc:
            problems = [
                f"{'.'.join(map(str, error['loc'])) or 'settings'}: {str(error['msg']).removeprefix('Value error, ')}"
                for error in exc.errors()
            ]
            raise JiraConfigError(f"invalid Jira settings in {source}", messages=problems) from None

    @classmethod
    def from_secret(cls, value: object, source: str) -> JiraSettings:
        """Settings kept as one secret (e.g. a Prefect Secret block): a JSON object, as text or already parsed."""
        if isinstance(value, str):
            try:
                value = json.loads(value)
            except json.JSONDecodeError:
                raise JiraConfigError(f"{source} does not hold JSON settings") from None
        if not isinstance(value, dict):
            raise JiraConfigError(f"{source} must hold a JSON object of Jira settings")
        return cls.from_mapping(value, source)

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> JiraSettings:
        """Settings from ``JIRA_URL``, ``JIRA_EMAIL``, ``JIRA_API_TOKEN`` and ``JIRA_PAT`` (empty means unset)."""
        env = os.environ if environ is None else environ
        values = {name: env[var].strip() for name, var in _ENV.items() if env.get(var, "").strip()}
        if "url" not in values:
            raise JiraConfigError("JIRA_URL is not set")
        try:
            return cls.model_validate(values)
        except ValidationError as exc:
            # pydantic echoes the input in its message; ours names the variable and never shows a value.
            problems = [str(error["msg"]).removeprefix("Value error, ") for error in exc.errors()]
            raise JiraConfigError("invalid Jira settings", messages=problems) from None


def _is_loopback(host: str) -> bool:
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False
