"""Answers in Jira's wire format: compact JSON with `application/json;charset=UTF-8`, and bodiless 204s."""

from __future__ import annotations

import json
from typing import Any

from fastapi.responses import JSONResponse, Response


class JiraJSONResponse(JSONResponse):
    media_type = "application/json;charset=UTF-8"

    def render(self, content: Any) -> bytes:
        return json.dumps(content, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def json_response(content: Any, status: int = 200, headers: dict[str, str] | None = None) -> JiraJSONResponse:
    return JiraJSONResponse(content, status_code=status, headers=headers)


def no_content() -> Response:
    return Response(status_code=204)
