"""What a sandbox is started with: its mode (Cloud or Server/DC), the admin user's credentials and whether
requests are checked against the spec (strict mode).

Immutable; faults (which change at run time) live in `faults.py`, state lives in `store.py`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

Mode = Literal["cloud", "server"]

DEFAULT_ADMIN_EMAIL = "admin@example.com"
DEFAULT_ADMIN_TOKEN = "sandbox-token"
DEFAULT_ADMIN_NAME = "admin"
DEFAULT_ADMIN_ACCOUNT_ID = "acc-admin"
DEFAULT_MAX_BODY_BYTES = 10 * 1024 * 1024


@dataclass(frozen=True)
class SandboxSettings:
    """Start-time configuration. `admin_email`/`admin_token` are the Basic credentials of the admin user
    (in Server mode the username `admin_name` works too); the token doubles as a bearer PAT, so it may not be
    empty. Request bodies over `max_body_bytes` are answered 413 without being read."""

    mode: Mode = "cloud"
    admin_email: str = DEFAULT_ADMIN_EMAIL
    admin_token: str = DEFAULT_ADMIN_TOKEN
    admin_name: str = DEFAULT_ADMIN_NAME
    admin_account_id: str = DEFAULT_ADMIN_ACCOUNT_ID
    server_title: str = "Jira Sandbox"
    strict: bool = False
    """check every request against Atlassian's spec and refuse what it does not allow (`strict.py`)"""
    max_body_bytes: int = DEFAULT_MAX_BODY_BYTES

    def __post_init__(self) -> None:
        if not self.admin_token.strip():
            raise ValueError("the admin token may not be empty: anyone could call the sandbox as its admin")
        if self.max_body_bytes < 1:
            raise ValueError("max_body_bytes must be positive")

    @property
    def is_cloud(self) -> bool:
        return self.mode == "cloud"

    @property
    def deployment_type(self) -> str:
        return "Cloud" if self.is_cloud else "Server"
