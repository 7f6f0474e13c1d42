"""A register of issues kept with the audit trail (the open deadline breaches, the issues held by their state):
rows in issue-key order for a checkpoint or a table artifact, and read back with suspicion. A row that does not
validate is dropped: its issue is then recorded again, which repeats a record rather than losing one."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar

from pydantic import BaseModel, ConfigDict, ValidationError

__all__ = ["RegisterEntry", "from_rows", "to_rows"]


class RegisterEntry(BaseModel):
    """One issue's entry in a register."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    issue_key: str


Entry = TypeVar("Entry", bound=RegisterEntry)


def to_rows(register: Mapping[str, RegisterEntry]) -> list[dict[str, Any]]:
    """The register as rows, in issue-key order."""
    return [register[key].model_dump(mode="json") for key in sorted(register)]


def from_rows(rows: object, model: type[Entry]) -> dict[str, Entry]:
    """The entries of ``rows`` (as ``to_rows`` wrote them, or anything else) that validate as ``model``, by issue."""
    register: dict[str, Entry] = {}
    if isinstance(rows, list):
        for row in rows:
            try:
                entry = model.model_validate(row)
            except ValidationError:
                continue
            register[entry.issue_key] = entry
    return register
