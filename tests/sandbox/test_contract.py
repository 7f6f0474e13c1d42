"""The vendored OpenAPI spec (`src/jira_sandbox/spec/`) is Atlassian's file as its NOTICE describes, under
its licence, and the contract built from it covers every REST operation the sandbox serves, so strict mode
leaves none unchecked."""

from __future__ import annotations

import hashlib
import re
from importlib import resources

import pytest

from jira_sandbox.contract import SPEC_RESOURCE, contract, read_spec, spec_bytes
from jira_sandbox.routes import issues, meta, search, users
from jira_sandbox.settings import Mode

SPEC_DIR = resources.files("jira_sandbox").joinpath(SPEC_RESOURCE[0])
PREFIX = "/rest/api/{api_version}"


def test_the_vendored_spec_is_atlassians_file_as_its_notice_says() -> None:
    notice = SPEC_DIR.joinpath("NOTICE").read_text()
    data = spec_bytes()
    sha256 = re.search(r"sha256\s+([0-9a-f]{64})", notice)
    size = re.search(r"size\s+([\d,]+) bytes", notice)
    assert sha256 and size, "the NOTICE names the file's sha256 and size"
    assert hashlib.sha256(data).hexdigest() == sha256.group(1)
    assert len(data) == int(size.group(1).replace(",", ""))
    info = read_spec()["info"]
    assert info["version"] in notice
    assert info["license"]["name"] == "Apache 2.0"


def test_its_licence_is_beside_it() -> None:
    licence = SPEC_DIR.joinpath("LICENSE").read_text()
    assert "Apache License" in licence and "Version 2.0, January 2004" in licence
    assert "TERMS AND CONDITIONS FOR USE, REPRODUCTION, AND DISTRIBUTION" in licence


@pytest.mark.parametrize("mode", ["cloud", "server"])
def test_every_operation_the_sandbox_serves_is_in_the_contract(mode: Mode) -> None:
    served = [
        (method, route.path[len(PREFIX) :])
        for module in (issues, meta, search, users)
        for route in module.router.routes
        for method in sorted(getattr(route, "methods", ()))
        if route.path.startswith(PREFIX) and method != "HEAD"
    ]
    assert len(served) > 30
    missing = [f"{method} {path}" for method, path in served if contract(mode).operation(method, path) is None]
    assert missing == []


def test_the_edit_and_search_schemas_are_the_specs() -> None:
    edit = contract().operation("PUT", "/issue/{key}")
    search_post = contract().operation("POST", "/search/jql")
    assert edit is not None and edit.operation_id == "editIssue" and edit.body_required
    assert edit.body == {"$ref": "#/components/schemas/IssueUpdateDetails"}
    assert "notifyUsers" in edit.query
    assert search_post is not None and search_post.operation_id == "searchAndReconsileIssuesUsingJqlPost"
    bean = contract().components["schemas"]["SearchAndReconcileRequestBean"]
    assert bean["additionalProperties"] is False and "nextPageToken" in bean["properties"]


def test_data_center_differences_apply_only_in_server_mode() -> None:
    cloud = contract("cloud").components["schemas"]["SearchRequestBean"]["properties"]["validateQuery"]
    server = contract("server").components["schemas"]["SearchRequestBean"]["properties"]["validateQuery"]
    assert cloud["type"] == "string" and server == {"type": "boolean"}
