"""Jira's issue JSON (one search result) -> the core's ``IssueSnapshot``. Pure: no I/O.

People become accountIds on Cloud and usernames on Data Center. ``assignee_changed_at`` and
``priority_changed_at`` come from the changelog the search expands inline; when Jira truncated that
changelog (``total`` above the histories returned) they stay None and the core falls back to ``updated``,
which is never earlier than the real change, so a truncated history can delay an escalation but never
hasten it. A malformed escalation-state property gives a snapshot without state and a ``SnapshotProblem``;
a malformed issue (no key, no created time) is Jira's error and raises ``JiraUnexpectedResponse``.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Any, Literal

from pydantic import ValidationError

from escalator.core.issue import STATE_PROPERTY_KEY, EscalationState, FieldValue, IssueSnapshot, SnapshotProblem
from escalator.jira.errors import JiraUnexpectedResponse

__all__ = [
    "SYSTEM_FIELDS",
    "Deployment",
    "SnapshotProblem",
    "parse_jira_time",
    "snapshot_from_json",
    "state_from_properties",
]

Deployment = Literal["cloud", "server"]

SYSTEM_FIELDS = (
    "project",
    "issuetype",
    "status",
    "priority",
    "assignee",
    "reporter",
    "labels",
    "components",
    "created",
    "updated",
)
"""The fields the core reads; the search asks for these plus the policy's custom fields, nothing else."""


def parse_jira_time(value: str) -> datetime:
    """``2024-05-01T09:30:00.000+0000`` (Jira) or ISO 8601 with a colon in the offset; an offset is required.
    (``fromisoformat`` reads both since Python 3.11, about 20 times faster than ``strptime``.)"""
    moment = datetime.fromisoformat(value)
    if moment.tzinfo is None:
        raise ValueError(f"time without an offset: {value!r}")
    return moment


def snapshot_from_json(
    raw: Mapping[str, Any],
    deployment: Deployment,
    custom_fields: Iterable[str] = (),
    acting_user: str | None = None,
) -> tuple[IssueSnapshot, SnapshotProblem | None]:
    """``acting_user`` is escalator's own account: changes it made are not a person's (``human_changed_at``)."""
    key = raw.get("key")
    fields = raw.get("fields")
    if not isinstance(key, str) or not isinstance(fields, dict):
        raise JiraUnexpectedResponse(f"a search result without key or fields: {sorted(raw)[:8]}")
    try:
        state, problem = state_from_properties(key, raw.get("properties"))
        changed = _changed_at(raw.get("changelog"), deployment, acting_user)
        status = fields.get("status") or {}
        snapshot = IssueSnapshot(
            key=key,
            project=_name(fields.get("project"), "key"),
            issue_type=_name(fields.get("issuetype")),
            status=status.get("name") or "",
            status_category=(status.get("statusCategory") or {}).get("key") or "new",
            priority=_optional_name(fields.get("priority")),
            assignee=_person(fields.get("assignee"), deployment),
            reporter=_person(fields.get("reporter"), deployment),
            labels=tuple(str(label) for label in fields.get("labels") or ()),
            components=tuple(_name(c) for c in fields.get("components") or ()),
            fields={field: _field_value(fields.get(field)) for field in custom_fields},
            created=parse_jira_time(fields["created"]),
            updated=parse_jira_time(fields["updated"]) if fields.get("updated") else None,
            assignee_changed_at=changed.get("assignee"),
            priority_changed_at=changed.get("priority"),
            human_changed_at=changed.get("human"),
            state=state,
        )
    except (KeyError, TypeError, ValueError, AttributeError) as exc:  # ValidationError is a ValueError
        raise JiraUnexpectedResponse(f"issue {key}: cannot read its fields ({_short(exc)})") from None
    return snapshot, problem


def state_from_properties(key: str, properties: Any) -> tuple[EscalationState | None, SnapshotProblem | None]:
    """The escalation state among an issue's ``properties`` (as Jira returns them), or the problem reading it."""
    if not isinstance(properties, dict) or properties.get(STATE_PROPERTY_KEY) is None:
        return None, None
    try:
        return EscalationState.model_validate(properties[STATE_PROPERTY_KEY]), None
    except ValidationError as exc:
        return None, SnapshotProblem(key, f"unreadable {STATE_PROPERTY_KEY} property, ignored: {_short(exc)}")


def _short(exc: Exception) -> str:
    if isinstance(exc, ValidationError):
        return "; ".join(f"{'.'.join(map(str, e['loc'])) or 'value'}: {e['msg']}" for e in exc.errors()[:3])
    return f"{type(exc).__name__}: {exc}"[:200]


def _name(value: Any, attribute: str = "name") -> str:
    if not isinstance(value, dict) or not isinstance(value.get(attribute), str):
        raise ValueError(f"expected an object with {attribute!r}, got {type(value).__name__}")
    return str(value[attribute])


def _optional_name(value: Any) -> str | None:
    return None if value is None else _name(value)


def _person(value: Any, deployment: Deployment) -> str | None:
    if value is None:
        return None
    return _name(value, "accountId" if deployment == "cloud" else "name")


def _field_value(value: Any) -> FieldValue:
    """A custom field as the core compares it: text, number, flag, or a tuple of texts for multi-values."""
    if value is None or isinstance(value, str | int | float | bool):
        return value
    if isinstance(value, dict):
        return _option_text(value)
    if isinstance(value, list):
        return tuple(text for item in value if (text := _option_text(item) if isinstance(item, dict) else str(item)))
    return str(value)


def _option_text(value: Mapping[str, Any]) -> str:
    for attribute in ("value", "name", "key", "accountId", "id"):
        if isinstance(value.get(attribute), str):
            return str(value[attribute])
    return json.dumps(value, sort_keys=True)


def _changed_at(changelog: Any, deployment: Deployment, acting_user: str | None) -> dict[str, datetime]:
    """When assignee and priority last changed, and (key ``human``) when anyone but ``acting_user`` last
    changed either, from an inline changelog; nothing if it is truncated (or, for ``human``, if escalator's
    own account is not known)."""
    if not isinstance(changelog, dict):
        return {}
    histories = changelog.get("histories") or []
    total = changelog.get("total")
    if isinstance(total, int) and total > len(histories):
        return {}
    latest: dict[str, datetime] = {}
    author_key = "accountId" if deployment == "cloud" else "name"
    for history in histories:
        at = parse_jira_time(history["created"])
        author = (history.get("author") or {}).get(author_key)
        for item in history.get("items") or ():
            field = item.get("fieldId") or item.get("field")
            if field not in ("assignee", "priority"):
                continue
            if field not in latest or at > latest[field]:
                latest[field] = at
            if acting_user is not None and author != acting_user and ("human" not in latest or at > latest["human"]):
                latest["human"] = at
    return latest
