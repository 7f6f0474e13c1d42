"""The app factory: one FastAPI app per sandbox, its routers, Jira-shaped error handlers (never a bare
500, and never the exception's text in an answer: it goes to the sandbox's log under a reference the answer
names) and the fault/logging middleware. Knows nothing of uvicorn; `server.py` runs it."""

from __future__ import annotations

import logging
import uuid

from fastapi import FastAPI, Request, Response
from fastapi.exceptions import RequestValidationError
from pydantic import ValidationError
from starlette.exceptions import HTTPException

from jira_sandbox.errors import JiraApiError
from jira_sandbox.faults import FaultConfig, FaultInjector
from jira_sandbox.middleware import SandboxMiddleware
from jira_sandbox.responses import json_response
from jira_sandbox.routes import admin, changelogs, issues, meta, permissions, search, users
from jira_sandbox.runtime import SandboxRuntime
from jira_sandbox.seed import install_base
from jira_sandbox.settings import SandboxSettings
from jira_sandbox.store import Store

LOG = logging.getLogger(__name__)


def build_runtime(
    settings: SandboxSettings, store: Store | None = None, faults: FaultConfig | None = None
) -> SandboxRuntime:
    store = store or Store(":memory:")
    with store.transaction() as db:
        install_base(db, settings)
    return SandboxRuntime(settings, store, FaultInjector(faults))


def create_app(runtime: SandboxRuntime) -> FastAPI:
    app = FastAPI(title="Jira sandbox", docs_url=None, redoc_url=None, openapi_url=None)
    app.state.runtime = runtime
    # Routes are matched router by router in this order; no two routers share a path, so the order only spares a
    # sweep's search pages and bulk changelog reads the matching of every other route first.
    for module in (search, changelogs, issues, meta, users, permissions, admin):
        app.include_router(module.router)

    @app.exception_handler(JiraApiError)
    async def jira_error(request: Request, error: JiraApiError) -> Response:
        return json_response(error.body(), error.status, error.headers)

    @app.exception_handler(RequestValidationError)
    async def invalid_request(request: Request, error: RequestValidationError) -> Response:
        messages = [f"{'.'.join(str(p) for p in e.get('loc', ()))}: {e.get('msg')}" for e in error.errors()]
        return json_response({"errorMessages": messages, "errors": {}}, 400)

    @app.exception_handler(ValidationError)
    async def invalid_data(request: Request, error: ValidationError) -> Response:
        errors = {".".join(str(p) for p in e["loc"]) or "body": e["msg"] for e in error.errors()}
        return json_response({"errorMessages": [], "errors": errors}, 400)

    @app.exception_handler(HTTPException)
    async def http_error(request: Request, error: HTTPException) -> Response:
        message = f"null for uri: {request.url}" if error.status_code == 404 else str(error.detail)
        return json_response({"errorMessages": [message], "errors": {}}, error.status_code, dict(error.headers or {}))

    @app.exception_handler(Exception)
    async def internal_error(request: Request, error: Exception) -> Response:
        reference = uuid.uuid4().hex[:12]
        LOG.error("internal error %s on %s %s", reference, request.method, request.url.path, exc_info=error)
        message = f"Internal server error (reference {reference} in the sandbox's log)"
        return json_response({"errorMessages": [message], "errors": {}}, 500)

    app.add_middleware(SandboxMiddleware, runtime=runtime)
    return app
