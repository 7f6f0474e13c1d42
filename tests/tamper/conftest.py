"""The tamper suite's sweeps: a demo sandbox per test, the Jira variables pointing at it, and no audit sink or key
from the environment (each test names its own)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from jira_sandbox.testing import Sandbox, running_sandbox

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture()
def sandbox(monkeypatch: pytest.MonkeyPatch) -> Iterator[Sandbox]:
    with running_sandbox(mode="cloud", seed="demo") as running:
        monkeypatch.setenv("JIRA_URL", running.url)
        monkeypatch.setenv("JIRA_EMAIL", running.user)
        monkeypatch.setenv("JIRA_API_TOKEN", running.token)
        monkeypatch.delenv("JIRA_PAT", raising=False)
        monkeypatch.delenv("ESCALATOR_AUDIT_SINK", raising=False)
        monkeypatch.delenv("ESCALATOR_AUDIT_KEY", raising=False)
        monkeypatch.chdir(ROOT)
        yield running
