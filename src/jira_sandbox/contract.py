"""Atlassian's OpenAPI description of the Jira Cloud REST API (vendored in `spec/`, see its NOTICE) as the
sandbox's contract: its operations looked up by method and path, and its schemas as JSON Schema.

OpenAPI 3.0 schemas are not quite JSON Schema; `json_schema()` turns one into the other: `nullable` becomes a
null alternative, and keywords JSON Schema does not know (`example`, `xml`, `discriminator`, `readOnly`,
`writeOnly`, `x-changes`) are dropped. Nothing else is changed: `additionalProperties: false` stays, so an
invented key fails. Strict mode (`strict.py`) checks requests with it; the tests check answers with it.

The spec describes Jira Cloud. Data Center's API is the same where escalator and the `jira` client touch it,
except where `SERVER_SCHEMAS` and `SERVER_QUERY` say otherwise; `contract("server")` applies them. Each mode's
contract is built once per process, on first use (about 0.2 s).
"""

from __future__ import annotations

import gzip
import json
from dataclasses import dataclass, field, replace
from functools import cache
from importlib import resources
from typing import Any

from jsonschema import Draft202012Validator

from jira_sandbox.settings import Mode

__all__ = ["SPEC_RESOURCE", "Contract", "Operation", "Parameter", "contract", "json_schema", "read_spec", "spec_bytes"]

SPEC_RESOURCE = ("spec", "swagger-v3.v3.json.gz")
_DROPPED = frozenset({"nullable", "example", "xml", "discriminator", "readOnly", "writeOnly", "x-changes"})
_PREFIX = "/rest/api/3"

SERVER_SCHEMAS: dict[str, dict[str, Any]] = {
    # Data Center's legacy search takes validateQuery as a boolean (Cloud: "strict", "warn", "none", ...).
    "SearchRequestBean": {"validateQuery": {"type": "boolean"}},
}
"""Data Center's differences in request bodies: schema name -> property -> its JSON Schema there."""
SERVER_QUERY: dict[tuple[str, str], dict[str, Any]] = {
    ("GET", "/search"): {"validateQuery": {"type": "boolean"}},
}
"""Data Center's differences in query parameters: (method, API path) -> parameter -> its JSON Schema there."""


def json_schema(node: Any) -> Any:
    """One OpenAPI 3.0 schema (or any part of one) as JSON Schema."""
    if isinstance(node, list):
        return [json_schema(item) for item in node]
    if not isinstance(node, dict):
        return node
    converted = {
        key: json_schema(value)
        for key, value in node.items()
        if key not in _DROPPED and not (key in ("exclusiveMinimum", "exclusiveMaximum") and isinstance(value, bool))
    }
    if node.get("nullable"):
        return {"anyOf": [converted, {"type": "null"}]}
    return converted


def path_shape(path: str) -> tuple[str, ...]:
    """A path template's segments with every `{parameter}` alike, so `/issue/{issue_key}` (a route) and
    `/issue/{issueIdOrKey}` (the spec) have one shape."""
    return tuple("{}" if part.startswith("{") else part for part in path.strip("/").split("/"))


@dataclass(frozen=True)
class Parameter:
    """A query parameter an operation declares: whether it is required, and its JSON Schema."""

    required: bool
    schema: dict[str, Any]


@dataclass(frozen=True)
class Operation:
    """One operation of the spec: its id, the query parameters it declares and its JSON request body."""

    operation_id: str
    method: str
    path: str
    query: dict[str, Parameter] = field(default_factory=dict)
    body: dict[str, Any] | None = None
    """the JSON Schema of the request body, None when the operation takes none"""
    body_required: bool = False


class Contract:
    """The spec, read: operations by method and path shape, and validators for its schemas."""

    def __init__(self, spec: dict[str, Any], mode: Mode = "cloud") -> None:
        self.mode: Mode = mode
        self.info: dict[str, Any] = spec["info"]
        schemas = {name: json_schema(schema) for name, schema in spec["components"]["schemas"].items()}
        if mode == "server":
            for name, properties in SERVER_SCHEMAS.items():
                schemas[name] = {**schemas[name], "properties": {**schemas[name]["properties"], **properties}}
        self.components: dict[str, Any] = {"schemas": schemas}
        self._operations: dict[tuple[str, tuple[str, ...]], Operation] = {}
        for path, item in spec["paths"].items():
            if not path.startswith(_PREFIX + "/"):
                continue
            api_path = path[len(_PREFIX) :]
            for method, operation in item.items():
                if method in ("get", "put", "post", "delete", "patch"):
                    read = _operation(method.upper(), path, operation)
                    if mode == "server" and (read.method, api_path) in SERVER_QUERY:
                        changed = {
                            name: Parameter(False, schema)
                            for name, schema in SERVER_QUERY[(read.method, api_path)].items()
                        }
                        read = replace(read, query={**read.query, **changed})
                    self._operations[(read.method, path_shape(api_path))] = read
        self._validators: dict[str, Draft202012Validator] = {}

    def operation(self, method: str, path: str) -> Operation | None:
        """The operation for `method` and an API path template relative to `/rest/api/{version}`
        (`/issue/{key}/notify`), or None if the spec has none."""
        return self._operations.get((method.upper(), path_shape(path)))

    def validator(self, schema: dict[str, Any]) -> Draft202012Validator:
        """A validator for a JSON Schema that may `$ref` the spec's `#/components/schemas/...` (cached)."""
        key = json.dumps(schema, sort_keys=True)
        found = self._validators.get(key)
        if found is None:
            found = Draft202012Validator({**schema, "components": self.components})
            self._validators[key] = found
        return found


def _operation(method: str, path: str, operation: dict[str, Any]) -> Operation:
    query = {
        str(parameter["name"]): Parameter(bool(parameter.get("required")), json_schema(parameter.get("schema") or {}))
        for parameter in operation.get("parameters", [])
        if parameter.get("in") == "query"
    }
    request_body = operation.get("requestBody") or {}
    content = request_body.get("content", {}).get("application/json")
    body = None if content is None else json_schema(content.get("schema") or {})
    return Operation(
        operation_id=str(operation.get("operationId", "")),
        method=method,
        path=path,
        query=query,
        body=body,
        body_required=bool(request_body.get("required")),
    )


def spec_bytes() -> bytes:
    """The vendored spec file as Atlassian published it (decompressed)."""
    return gzip.decompress(resources.files("jira_sandbox").joinpath(*SPEC_RESOURCE).read_bytes())


@cache
def read_spec() -> dict[str, Any]:
    """The vendored spec, parsed (once; treat it as read-only)."""
    spec: dict[str, Any] = json.loads(spec_bytes())
    return spec


@cache
def contract(mode: Mode = "cloud") -> Contract:
    """The contract of a sandbox in `mode`, one per process."""
    return Contract(read_spec(), mode)
