"""Fixtures for the sandbox's own tests: one demo sandbox per mode for the session (tests add their own
issues rather than mutate seeded ones), with faults and request counters reset around every test."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from jira_sandbox.testing import Sandbox, demo_sandbox_fixtures, fresh

cloud_sandbox, server_sandbox, sandbox = demo_sandbox_fixtures()


@pytest.fixture
def cloud(cloud_sandbox: Sandbox) -> Iterator[Sandbox]:
    yield from fresh(cloud_sandbox)


@pytest.fixture
def server(server_sandbox: Sandbox) -> Iterator[Sandbox]:
    yield from fresh(server_sandbox)
