"""Answers in Jira's wire format: compact JSON with `application/json;charset=UTF-8`, and bodiless 204s.

The JSON is written by orjson (compact, UTF-8, non-ASCII unescaped: what `json.dumps(..., ensure_ascii=False,
separators=(",", ":"))` writes for the strings, numbers, booleans, nulls, lists and objects an answer holds, about ten
times faster on a page of 100 issues); what orjson cannot write (an integer beyond 64 bits) goes through `json`.
"""

from __future__ import annotations

import json
from typing import Any

import orjson
from fastapi.responses import JSONResponse, Response


def render_json(content: Any) -> bytes:
    try:
        return orjson.dumps(content, option=orjson.OPT_NON_STR_KEYS)
    except TypeError:  # orjson.JSONEncodeError: e.g. an integer beyond 64 bits
        return json.dumps(content, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


class JiraJSONResponse(JSONResponse):
    media_type = "application/json;charset=UTF-8"

    def render(self, content: Any) -> bytes:
        return render_json(content)


def json_response(content: Any, status: int = 200, headers: dict[str, str] | None = None) -> JiraJSONResponse:
    return JiraJSONResponse(content, status_code=status, headers=headers)


def no_content() -> Response:
    return Response(status_code=204)
