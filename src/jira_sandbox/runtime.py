"""Everything one running sandbox holds, in one object: settings, the store, the fault injector, the
request log and search snapshots. The app factory builds it; routes reach it through `request.app`;
the test fixture reads it directly.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from fastapi import Request

from jira_sandbox.cursors import SearchSnapshots
from jira_sandbox.faults import FaultInjector
from jira_sandbox.render_cache import RenderCache
from jira_sandbox.requestlog import RequestLog
from jira_sandbox.search_results import SearchResults
from jira_sandbox.settings import SandboxSettings
from jira_sandbox.store import Store


@dataclass
class SandboxRuntime:
    settings: SandboxSettings
    store: Store
    faults: FaultInjector = field(default_factory=FaultInjector)
    requests: RequestLog = field(default_factory=RequestLog)
    snapshots: SearchSnapshots = field(default_factory=SearchSnapshots)
    render_cache: RenderCache = field(default_factory=RenderCache)
    search_results: SearchResults = field(default_factory=SearchResults)


def runtime_of(request: Request) -> SandboxRuntime:
    runtime = request.app.state.runtime
    assert isinstance(runtime, SandboxRuntime)
    return runtime
