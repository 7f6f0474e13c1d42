"""Strict mode: every REST request is checked against the request side of the contract (`contract.py`)
before it is served, and refused the way Jira refuses a malformed request: 400 with Jira's error body, each
message saying what is wrong and where. It is on in the test fixture (`running_sandbox`) and with
`escalator sandbox start --strict`, so a request a real Jira would refuse cannot pass a test. The route
context (`context.api`) runs the check after authentication: an anonymous request is a 401, not a 400.

For each operation of the spec that the sandbox serves:
- the JSON body is validated against the operation's request schema. A member that is null counts as absent,
  as Jira's JSON reader takes it (the `jira` client sends `"expand": null`);
- each query parameter the operation declares is checked: integers, booleans (`true`/`false` in any case),
  enums, arrays (repeated or comma-separated), and required ones present. Parameters the operation does not
  declare are ignored, as Jira ignores them.

The spec describes Jira Cloud; in Data Center mode the contract carries Data Center's differences
(`contract.SERVER_SCHEMAS`, `contract.SERVER_QUERY`).
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from typing import Any

from fastapi import Request
from jsonschema import ValidationError

from jira_sandbox.contract import Operation, contract
from jira_sandbox.errors import JiraApiError
from jira_sandbox.settings import Mode

__all__ = ["body_problems", "check_request", "query_problems"]

API_PREFIX = "/rest/api/{api_version}"
MAX_PROBLEMS = 10
MAX_MESSAGE = 300
_INTEGER = re.compile(r"[+-]?\d+")


async def check_request(request: Request, mode: Mode) -> None:
    """Raise Jira's 400 for a request the spec does not allow. Called by the route context (`context.api`)
    once the caller is authenticated, and only in strict mode."""
    template = getattr(request.scope.get("route"), "path", "")
    if not template.startswith(API_PREFIX):
        return
    operation = contract(mode).operation(request.method, template[len(API_PREFIX) :])
    if operation is None:
        return
    query = {name: request.query_params.getlist(name) for name in request.query_params}
    problems = query_problems(operation, query, mode) + body_problems(operation, await request.body(), mode)
    if problems:
        raise JiraApiError(400, problems[:MAX_PROBLEMS])


def query_problems(operation: Operation, query: Mapping[str, list[str]], mode: Mode = "cloud") -> list[str]:
    """What is wrong with the query parameters `operation` declares (each name with all its values)."""
    problems: list[str] = []
    for name, parameter in operation.query.items():
        values = [value for value in query.get(name, []) if value != ""]
        if not values:
            if parameter.required:
                problems.append(f"The query parameter '{name}' is required.")
            continue
        schema = parameter.schema
        if schema.get("type") == "array":
            value: Any = [_typed(part.strip(), schema.get("items", {})) for text in values for part in text.split(",")]
        else:
            value = _typed(values[0], schema)
        for error in contract(mode).validator(schema).iter_errors(value):
            problems.append(_clip(f"The query parameter '{name}': {error.message}"))
    return problems


def body_problems(operation: Operation, raw: bytes, mode: Mode = "cloud") -> list[str]:
    """What is wrong with a JSON request body for `operation`. A body that is not JSON is left to the route,
    which answers Jira's own 400 for it."""
    if operation.body is None:
        return []
    if not raw.strip():
        return ["The request body is required."] if operation.body_required else []
    try:
        body = json.loads(raw)
    except ValueError:
        return []
    errors = contract(mode).validator(operation.body).iter_errors(_without_nulls(body))
    return [_clip(f"The request body{_where(error)}: {error.message}") for error in _ordered(errors)]


def _typed(text: str, schema: Mapping[str, Any]) -> Any:
    """A query value as the type its schema asks for, or the text unchanged (then validation says why)."""
    kind = schema.get("type")
    if kind == "integer" and _INTEGER.fullmatch(text):
        return int(text)
    if kind == "number":
        try:
            return float(text)
        except ValueError:
            return text
    if kind == "boolean" and text.lower() in ("true", "false"):
        return text.lower() == "true"
    return text


def _without_nulls(value: Any) -> Any:
    if isinstance(value, dict):
        return {key: _without_nulls(item) for key, item in value.items() if item is not None}
    if isinstance(value, list):
        return [_without_nulls(item) for item in value]
    return value


def _ordered(errors: Any) -> list[ValidationError]:
    return sorted(errors, key=lambda error: [str(part) for part in error.absolute_path])


def _where(error: ValidationError) -> str:
    path = "".join(f"[{part}]" if isinstance(part, int) else f".{part}" for part in error.absolute_path)
    return f" at {path.lstrip('.')}" if path else ""


def _clip(message: str) -> str:
    return message if len(message) <= MAX_MESSAGE else message[: MAX_MESSAGE - 1] + "…"
