"""The sandbox as a test fixture: `running_sandbox()` starts the real app under uvicorn in a background
thread on a free loopback port and yields a `Sandbox` handle with the URL and credentials, a ready
`jira` client, and admin methods (faults, request counters, the notify outbox, seeding) that act on the
running server directly, without HTTP.

    with running_sandbox(mode="server", seed="demo") as sandbox:
        jira = sandbox.jira()
        sandbox.add_fault(status=503, retry_after=0, path="/search", times=2)
        ...
        assert sandbox.request_counts().search == 3
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from jira_sandbox import issues as issue_store
from jira_sandbox import jiratime
from jira_sandbox import schemes as project_schemes
from jira_sandbox.app import build_runtime, create_app
from jira_sandbox.faults import FaultConfig, FaultRule
from jira_sandbox.issue_seeds import IssueSeed, insert_seeds
from jira_sandbox.requestlog import RequestCounts, RequestRecord
from jira_sandbox.runtime import SandboxRuntime
from jira_sandbox.schemes import ProjectSchemes
from jira_sandbox.seed import SeedReport, seed_demo, seed_issues
from jira_sandbox.server import SandboxServer
from jira_sandbox.settings import (
    DEFAULT_ADMIN_EMAIL,
    DEFAULT_ADMIN_TOKEN,
    DEFAULT_MAX_BODY_BYTES,
    Mode,
    SandboxSettings,
)
from jira_sandbox.store import Store
from jira_sandbox.users import User, save_user

if TYPE_CHECKING:
    from jira import JIRA

__all__ = ["Sandbox", "demo_sandbox_fixtures", "fresh", "running_sandbox"]


@dataclass
class Sandbox:
    """A running sandbox. `url`, `user` (email) and `token` are what a Jira client needs."""

    url: str
    user: str
    token: str
    mode: Mode
    runtime: SandboxRuntime

    @property
    def auth(self) -> tuple[str, str]:
        return (self.user, self.token)

    def jira(self, user: str | None = None, token: str | None = None, **options: Any) -> JIRA:
        """A `jira.JIRA` client for this sandbox, with retries kept but their sleeps set to zero."""
        from jira import JIRA

        client = JIRA(server=self.url, basic_auth=(user or self.user, token or self.token), **options)
        client._session.max_retry_delay = 0
        return client

    # --- faults -----------------------------------------------------------------------------------
    def set_faults(self, config: FaultConfig | None = None, **settings: Any) -> FaultConfig:
        """Replace all fault settings (counters reset)."""
        config = config or FaultConfig.model_validate(settings)
        self.runtime.faults.configure(config)
        return config

    def update_faults(self, **changes: Any) -> FaultConfig:
        """Change some fault settings, keeping the others (counters reset)."""
        return self.runtime.faults.update(**changes)

    def add_fault(self, rule: FaultRule | None = None, **rule_fields: Any) -> FaultConfig:
        """Append one fault rule, e.g. `add_fault(status=429, retry_after=1, path="/search", times=2)`."""
        rule = rule or FaultRule.model_validate(rule_fields)
        return self.update_faults(rules=[*self.runtime.faults.config.rules, rule.model_dump()])

    def clear_faults(self) -> None:
        """No faults, and the real clock for budgets and per-issue windows."""
        self.runtime.faults.configure(FaultConfig())
        self.runtime.faults.clock = time.monotonic

    def freeze_fault_clock(self, at: float = 0.0) -> None:
        """Budgets and per-issue write windows see time stand still at ``at`` (seconds) until ``clear_faults``,
        so what they refuse does not depend on how fast the requests arrive."""
        self.runtime.faults.clock = lambda: at

    # --- projects' schemes --------------------------------------------------------------------------
    def configure_project(self, key: str, schemes: ProjectSchemes | None = None, **settings: Any) -> None:
        """Set what project `key` allows (`schemes.ProjectSchemes` or its fields as keywords), e.g.
        `configure_project("SUP", hidden_fields={"Bug": ["priority"]}, unassignable=["acc-dave"])`."""
        wanted = schemes or ProjectSchemes.model_validate(settings)
        with self.runtime.store.transaction() as db:
            project_schemes.save(db, key, wanted)

    def reset_projects(self) -> None:
        """Every project back to the defaults: all permissions, assignees, priorities and fields allowed."""
        with self.runtime.store.transaction() as db:
            project_schemes.clear(db)

    # --- observation ------------------------------------------------------------------------------
    def request_counts(self) -> RequestCounts:
        return self.runtime.requests.counts()

    def requests(self, since: int = 0) -> list[RequestRecord]:
        return self.runtime.requests.records(since)

    def reset_requests(self) -> None:
        self.runtime.requests.clear()

    def outbox(self) -> list[dict[str, Any]]:
        with self.runtime.store.transaction() as db:
            return issue_store.list_notifications(db)

    # --- state ------------------------------------------------------------------------------------
    def seed_demo(self, now: datetime | None = None) -> SeedReport:
        with self.runtime.store.transaction() as db:
            return seed_demo(db, None if now is None else jiratime.from_datetime(now))

    def seed(self, count: int, rng_seed: int | None = None, now: datetime | None = None) -> SeedReport:
        at = None if now is None else jiratime.from_datetime(now)
        with self.runtime.store.transaction() as db:
            if rng_seed is None:
                return seed_issues(db, count, now=at)
            return seed_issues(db, count, rng_seed=rng_seed, now=at)

    def add_issues(self, *seeds: IssueSeed | dict[str, Any]) -> list[str]:
        """Insert issues verbatim (explicit keys, past timestamps, changelogs); returns their keys."""
        parsed = [seed if isinstance(seed, IssueSeed) else IssueSeed.model_validate(seed) for seed in seeds]
        with self.runtime.store.transaction() as db:
            return insert_seeds(db, parsed, jiratime.now_ms())

    def add_issue(self, **fields: Any) -> str:
        (key,) = self.add_issues(IssueSeed.model_validate(fields))
        return key

    def add_user(self, user: User, groups: tuple[str, ...] = ()) -> None:
        with self.runtime.store.transaction() as db:
            save_user(db, user, groups)

    @property
    def store(self) -> Store:
        return self.runtime.store


@contextmanager
def running_sandbox(
    mode: Mode = "cloud",
    seed: str | int | None = None,
    *,
    db: str = ":memory:",
    user: str = DEFAULT_ADMIN_EMAIL,
    token: str = DEFAULT_ADMIN_TOKEN,
    max_body_bytes: int = DEFAULT_MAX_BODY_BYTES,
    strict: bool = True,
    faults: FaultConfig | None = None,
    **fault_options: Any,
) -> Iterator[Sandbox]:
    """Start a sandbox (`seed`: None, "demo", or a number of issues in the demo organisation) with the
    given fault settings (`faults=FaultConfig(...)` or its fields as keywords); stop it on exit. It is strict
    (`strict.py`) unless told otherwise: a request a real Jira would refuse fails the test that sends it."""
    settings = SandboxSettings(
        mode=mode, admin_email=user, admin_token=token, strict=strict, max_body_bytes=max_body_bytes
    )
    config = faults or (FaultConfig.model_validate(fault_options) if fault_options else None)
    store = Store(db)
    runtime = build_runtime(settings, store, config)
    sandbox_seed(runtime, seed)
    server = SandboxServer(create_app(runtime))
    server.start_in_background()
    try:
        yield Sandbox(server.url, user, token, mode, runtime)
    finally:
        server.stop()
        store.close()


def fresh(sandbox: Sandbox) -> Iterator[Sandbox]:
    """``sandbox`` for one test: no faults, default project schemes and request counters at zero before it, no
    faults and default schemes after it."""
    sandbox.clear_faults()
    sandbox.reset_projects()
    sandbox.reset_requests()
    yield sandbox
    sandbox.clear_faults()
    sandbox.reset_projects()


def demo_sandbox_fixtures() -> tuple[Any, Any, Any]:
    """pytest fixtures for a package of tests: ``cloud_sandbox`` and ``server_sandbox``, one demo sandbox per
    mode for the whole session, and ``sandbox``, which runs a test once per mode on a ``fresh`` one. Bind them in
    a conftest, ``cloud_sandbox, server_sandbox, sandbox = demo_sandbox_fixtures()``: each conftest that does so
    gets sandboxes of its own, so one package's added issues never show in another's searches."""
    import pytest  # only where tests run: pytest is not a dependency of the sandbox itself

    @pytest.fixture(scope="session")
    def cloud_sandbox() -> Iterator[Sandbox]:
        with running_sandbox(mode="cloud", seed="demo") as running:
            yield running

    @pytest.fixture(scope="session")
    def server_sandbox() -> Iterator[Sandbox]:
        with running_sandbox(mode="server", seed="demo") as running:
            yield running

    @pytest.fixture(params=["cloud", "server"])
    def sandbox(request: pytest.FixtureRequest) -> Iterator[Sandbox]:
        """Each test using this runs once per mode."""
        yield from fresh(request.getfixturevalue(f"{request.param}_sandbox"))

    return cloud_sandbox, server_sandbox, sandbox


def sandbox_seed(runtime: SandboxRuntime, seed: str | int | None) -> SeedReport | None:
    """Apply a `--seed` value: None (nothing), "demo", or a number of issues (a numeric string too)."""
    if seed is None:
        return None
    with runtime.store.transaction() as db:
        if str(seed) == "demo":
            return seed_demo(db)
        if not str(seed).isdigit():
            raise ValueError(f"seed must be 'demo' or a number of issues, not {seed!r}")
        return seed_issues(db, int(seed))
