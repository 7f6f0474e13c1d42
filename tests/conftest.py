"""Shared fixtures. The Prefect test harness costs ~20 s to start here, so it starts once per session and
only when a test asks for it (``prefect_harness``); the pure core's tests never pay for it."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from escalator.cli.demo_channel import ChatRoom
    from jira_sandbox.testing import Sandbox

os.environ.setdefault("PREFECT_LOGGING_LEVEL", "WARNING")
os.environ.setdefault("PREFECT_SERVER_LOGGING_LEVEL", "WARNING")
os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
os.environ.setdefault("PREFECT_LOGGING_TO_API_ENABLED", "false")


@pytest.fixture(scope="session")
def example_channel() -> Iterator[ChatRoom]:
    """The demo's chat room behind the example policies' notification channel (``ops-incident-room``): what the
    outage matrix sends at L2 and L3 arrives here, for the whole session."""
    from escalator.cli.demo_channel import running_chat_room

    with running_chat_room() as room:
        yield room


def save_example_channel(room: ChatRoom) -> None:
    """The notification block the example policies name, in the current Prefect API, posting to ``room``."""
    from escalator.cli.demo_channel import save_channel

    save_channel(room.url)


@pytest.fixture(scope="session")
def prefect_harness(example_channel: ChatRoom) -> Iterator[None]:
    """The Prefect test harness, with the example policies' notification block saved in it (as the demo does)."""
    from prefect.testing.utilities import prefect_test_harness

    with prefect_test_harness(server_startup_timeout=120):
        save_example_channel(example_channel)
        yield


ROOT = Path(__file__).resolve().parents[1]


def example_version(name: str) -> str:
    """The version of the example policy ``policies/NAME.yaml`` as the file says it (bumped when the file changes)."""
    from escalator.authoring.files import load_policy_file

    return load_policy_file(ROOT / "policies" / f"{name}.yaml").policy.version


@contextmanager
def demo_jira(monkeypatch: pytest.MonkeyPatch) -> Iterator[Sandbox]:
    """A Cloud sandbox with the demo organisation, escalator pointed at it through the JIRA_* variables, none of
    escalator's own keys or sink inherited from the environment, and the project root as working directory."""
    from jira_sandbox.testing import running_sandbox

    with running_sandbox(mode="cloud", seed="demo") as running:
        monkeypatch.setenv("JIRA_URL", running.url)
        monkeypatch.setenv("JIRA_EMAIL", running.user)
        monkeypatch.setenv("JIRA_API_TOKEN", running.token)
        for name in ("JIRA_PAT", "ESCALATOR_STATE_KEY", "ESCALATOR_AUDIT_KEY", "ESCALATOR_AUDIT_SINK"):
            monkeypatch.delenv(name, raising=False)
        monkeypatch.chdir(ROOT)
        yield running
