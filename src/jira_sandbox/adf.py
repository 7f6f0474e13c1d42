"""Atlassian Document Format, as little as the sandbox needs: v3 comment bodies in and out.

Stored text is plain; v3 answers wrap it in a document of paragraphs, v3 requests are flattened to text.
"""

from __future__ import annotations

from typing import Any


def from_text(text: str) -> dict[str, Any]:
    paragraphs = [
        {"type": "paragraph", "content": [{"type": "text", "text": line}] if line else []} for line in text.split("\n")
    ]
    return {"type": "doc", "version": 1, "content": paragraphs}


def to_text(document: Any) -> str:
    """Plain text of an ADF node: text nodes joined, one line per block."""
    if isinstance(document, str):
        return document
    if not isinstance(document, dict):
        return ""
    if document.get("type") == "text":
        return str(document.get("text", ""))
    children = document.get("content") or []
    if document.get("type") == "doc":
        return "\n".join(to_text(child) for child in children)
    return "".join(to_text(child) for child in children)


def is_document(value: Any) -> bool:
    return isinstance(value, dict) and value.get("type") == "doc"
