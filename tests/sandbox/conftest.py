"""Fixtures for the sandbox's own tests: one demo sandbox per mode for the session (tests add their own
issues rather than mutate seeded ones), with faults and request counters reset after every test."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from jira_sandbox.testing import Sandbox, running_sandbox


@pytest.fixture(scope="session")
def cloud_sandbox() -> Iterator[Sandbox]:
    with running_sandbox(mode="cloud", seed="demo") as sandbox:
        yield sandbox


@pytest.fixture(scope="session")
def server_sandbox() -> Iterator[Sandbox]:
    with running_sandbox(mode="server", seed="demo") as sandbox:
        yield sandbox


@pytest.fixture(params=["cloud", "server"])
def sandbox(request: pytest.FixtureRequest) -> Iterator[Sandbox]:
    """Each test using this runs once per mode."""
    chosen: Sandbox = request.getfixturevalue(f"{request.param}_sandbox")
    chosen.clear_faults()
    chosen.reset_requests()
    yield chosen
    chosen.clear_faults()


@pytest.fixture
def cloud(cloud_sandbox: Sandbox) -> Iterator[Sandbox]:
    cloud_sandbox.clear_faults()
    cloud_sandbox.reset_requests()
    yield cloud_sandbox
    cloud_sandbox.clear_faults()


@pytest.fixture
def server(server_sandbox: Sandbox) -> Iterator[Sandbox]:
    server_sandbox.clear_faults()
    server_sandbox.reset_requests()
    yield server_sandbox
    server_sandbox.clear_faults()
