"""The tamper suite's sweeps: a demo sandbox per test, the Jira variables pointing at it, and no audit sink or key
from the environment (each test names its own)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from jira_sandbox.testing import Sandbox
from tests.conftest import demo_jira

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture()
def sandbox(monkeypatch: pytest.MonkeyPatch) -> Iterator[Sandbox]:
    with demo_jira(monkeypatch) as running:
        yield running
