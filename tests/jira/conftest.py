"""One demo sandbox per mode for the whole tests/jira run; tests add their own issues (unique labels)
rather than change seeded ones. Faults and request counters are reset around every test. Adapters never
really sleep: their waits are recorded in ``sleeps``."""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from datetime import UTC, datetime

import pytest

from escalator.jira import JiraAdapter, JiraSettings, RetryPolicy
from jira_sandbox.demo import DemoUser
from jira_sandbox.testing import Sandbox, demo_sandbox_fixtures, fresh

NOW = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)
_unique = itertools.count(1)


def unique(prefix: str) -> str:
    """A label no other test uses, so a test can search for exactly its own issues."""
    return f"{prefix}-{next(_unique)}"


def person(sandbox: Sandbox, user: DemoUser) -> str:
    """How a policy names ``user`` in this sandbox's mode."""
    return user.account_id if sandbox.mode == "cloud" else user.username


def settings_for(sandbox: Sandbox, email: str | None = None, token: str | None = None) -> JiraSettings:
    return JiraSettings.model_validate(
        {"url": sandbox.url, "email": email or sandbox.user, "api_token": token or sandbox.token, "timeout": 10}
    )


cloud_sandbox, server_sandbox, sandbox = demo_sandbox_fixtures()


@pytest.fixture
def cloud(cloud_sandbox: Sandbox) -> Iterator[Sandbox]:
    """The Cloud sandbox alone, fresh, for what only Jira Cloud has."""
    yield from fresh(cloud_sandbox)


@pytest.fixture
def sleeps() -> list[float]:
    return []


@pytest.fixture
def jira(sandbox: Sandbox, sleeps: list[float]) -> Iterator[JiraAdapter]:
    """An adapter for the admin user; the serverInfo request it makes is not counted."""
    retry = RetryPolicy(attempts=4, base_delay=0.5, max_delay=4)
    with JiraAdapter.connect(settings_for(sandbox), retry=retry, sleep=sleeps.append) as adapter:
        sandbox.reset_requests()
        yield adapter
