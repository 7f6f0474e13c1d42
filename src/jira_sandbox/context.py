"""The per-request context every REST route gets: the runtime, the caller, the REST version and the
URLs to print (in strict mode, after checking the request against the spec); plus the JSON body reader (an
async dependency, so routes themselves can stay sync and run in the thread pool)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import Depends, Request

from jira_sandbox.auth import caller
from jira_sandbox.errors import JiraApiError, bad_request
from jira_sandbox.jiratime import now_ms
from jira_sandbox.runtime import SandboxRuntime, runtime_of
from jira_sandbox.settings import Mode
from jira_sandbox.strict import check_request
from jira_sandbox.urls import ApiUrls
from jira_sandbox.users import User

API_VERSIONS = frozenset({"2", "latest", "3"})


@dataclass(frozen=True)
class Api:
    runtime: SandboxRuntime
    caller: User
    urls: ApiUrls
    now: int

    @property
    def mode(self) -> Mode:
        return self.runtime.settings.mode

    @property
    def is_cloud(self) -> bool:
        return self.runtime.settings.is_cloud

    @property
    def v3(self) -> bool:
        return self.urls.version == "3"


def api_urls(request: Request) -> ApiUrls:
    version = str(request.path_params.get("api_version", "2"))
    if version not in API_VERSIONS:
        raise JiraApiError(404, [f"No REST API version '{version}'. Use 2, 3 or latest."])
    return ApiUrls(str(request.base_url), "2" if version == "latest" else version)


async def api(request: Request, user: Annotated[User, Depends(caller)]) -> Api:
    """The context of an authenticated request; in strict mode, the request is checked against the spec
    first (`strict.py`)."""
    runtime = runtime_of(request)
    urls = api_urls(request)
    if runtime.settings.strict:
        await check_request(request, runtime.settings.mode)
    return Api(runtime, user, urls, now_ms())


async def json_body(request: Request) -> Any:
    """The request body as JSON; None when empty; Jira's 400 when malformed."""
    raw = await request.body()
    if not raw.strip():
        return None
    try:
        return json.loads(raw)
    except ValueError:
        raise bad_request("Unexpected character in the request body: it is not valid JSON.") from None


ApiContext = Annotated[Api, Depends(api)]
JsonBody = Annotated[Any, Depends(json_body)]
