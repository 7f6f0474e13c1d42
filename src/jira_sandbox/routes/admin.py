"""The admin endpoint, outside `/rest` (never faulted, never logged): fault settings, projects' schemes
(permissions, assignees, priorities, edit screens), the request log and counters, the notification outbox,
seeding and imports. Needs an administrator's credentials,
except `health`."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request, Response
from pydantic import BaseModel, TypeAdapter

from jira_sandbox import catalog, jiratime, schemes
from jira_sandbox import issues as issue_store
from jira_sandbox.auth import admin_caller
from jira_sandbox.context import JsonBody
from jira_sandbox.errors import bad_request
from jira_sandbox.faults import FaultConfig
from jira_sandbox.issue_seeds import IssueSeed, insert_seeds
from jira_sandbox.jira_export import import_export
from jira_sandbox.responses import json_response, no_content
from jira_sandbox.runtime import SandboxRuntime, runtime_of
from jira_sandbox.seed import seed_demo, seed_issues

router = APIRouter(prefix="/_sandbox")
_SEEDS = TypeAdapter(list[IssueSeed])


class SeedRequest(BaseModel):
    demo: bool = False
    issues: int | None = None
    rng_seed: int | None = None


def _runtime(request: Request) -> SandboxRuntime:
    return runtime_of(request)


@router.get("/health")
def health(request: Request) -> Response:
    runtime = _runtime(request)
    return json_response({"status": "ok", "mode": runtime.settings.mode})


@router.get("/faults", dependencies=[Depends(admin_caller)])
def get_faults(request: Request) -> Response:
    return json_response(_runtime(request).faults.config.model_dump())


@router.put("/faults", dependencies=[Depends(admin_caller)])
def put_faults(request: Request, body: JsonBody) -> Response:
    config = FaultConfig.model_validate(body or {})
    _runtime(request).faults.configure(config)
    return json_response(config.model_dump())


@router.patch("/faults", dependencies=[Depends(admin_caller)])
def patch_faults(request: Request, body: JsonBody) -> Response:
    if not isinstance(body, dict):
        raise bad_request("PATCH /_sandbox/faults takes an object of settings to change.")
    return json_response(_runtime(request).faults.update(**body).model_dump())


@router.delete("/faults", dependencies=[Depends(admin_caller)])
def clear_faults(request: Request) -> Response:
    _runtime(request).faults.configure(FaultConfig())
    return no_content()


@router.get("/projects/{key}/schemes", dependencies=[Depends(admin_caller)])
def get_schemes(request: Request, key: str) -> Response:
    with _runtime(request).store.transaction() as db:
        project_id = catalog.find_project_id(db, key)
        if project_id is None:
            raise bad_request(f"no project {key!r}")
        return json_response(schemes.load(db, project_id))


@router.put("/projects/{key}/schemes", dependencies=[Depends(admin_caller)])
def put_schemes(request: Request, key: str, body: JsonBody) -> Response:
    """Replace a project's permission, assignee, priority and screen settings (`schemes.ProjectSchemes`)."""
    wanted = schemes.ProjectSchemes.model_validate(body or {})
    with _runtime(request).store.transaction() as db:
        try:
            schemes.save(db, key, wanted)
        except ValueError as error:
            raise bad_request(str(error)) from None
    return no_content()


@router.delete("/projects/schemes", dependencies=[Depends(admin_caller)])
def clear_schemes(request: Request) -> Response:
    with _runtime(request).store.transaction() as db:
        schemes.clear(db)
    return no_content()


@router.get("/requests", dependencies=[Depends(admin_caller)])
def requests_log(request: Request, since: int = 0) -> Response:
    log = _runtime(request).requests
    return json_response({"counts": log.counts().as_json(), "requests": [r.as_json() for r in log.records(since)]})


@router.delete("/requests", dependencies=[Depends(admin_caller)])
def clear_requests(request: Request) -> Response:
    _runtime(request).requests.clear()
    return no_content()


@router.get("/outbox", dependencies=[Depends(admin_caller)])
def outbox(request: Request) -> Response:
    with _runtime(request).store.transaction() as db:
        return json_response({"notifications": issue_store.list_notifications(db)})


@router.delete("/outbox", dependencies=[Depends(admin_caller)])
def clear_outbox(request: Request) -> Response:
    with _runtime(request).store.transaction() as db:
        db.execute("DELETE FROM notifications")
    return no_content()


@router.post("/seed", dependencies=[Depends(admin_caller)])
def seed(request: Request, body: JsonBody) -> Response:
    wanted = SeedRequest.model_validate(body or {"demo": True})
    with _runtime(request).store.transaction() as db:
        if wanted.demo:
            report = seed_demo(db)
        else:
            count = wanted.issues or 0
            report = (
                seed_issues(db, count) if wanted.rng_seed is None else seed_issues(db, count, rng_seed=wanted.rng_seed)
            )
    return json_response({"issues": report.issues, "changes": report.changes, "comments": report.comments})


@router.post("/issues", dependencies=[Depends(admin_caller)])
def add_issues(request: Request, body: JsonBody) -> Response:
    seeds = _SEEDS.validate_python(body if isinstance(body, list) else [body])
    with _runtime(request).store.transaction() as db:
        keys = insert_seeds(db, seeds, jiratime.now_ms())
    return json_response({"keys": keys}, 201)


@router.post("/import", dependencies=[Depends(admin_caller)])
def import_issues(request: Request, body: JsonBody) -> Response:
    with _runtime(request).store.transaction() as db:
        keys = import_export(db, body, jiratime.now_ms())
    return json_response({"keys": keys}, 201)
