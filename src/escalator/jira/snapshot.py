"""Jira's issue JSON (one search result) -> the core's ``IssueSnapshot``. Pure: no I/O.

People become accountIds on Cloud and usernames on Data Center. ``assignee_changed_at`` and
``priority_changed_at`` come from the changelog the search expands inline; when Jira truncated that
changelog (``total`` above the histories returned) they stay None and the core falls back to ``updated``,
which is never earlier than the real change, so a truncated history can delay an escalation but never
hasten it. Escalator's own changes in that changelog (``escalator_changes``) let the core rebuild a state that
was deleted or cannot be trusted. The escalation-state property is opened by a ``StateSeal`` (checked against
its MAC when a state key is set); one that cannot be trusted gives a snapshot without state and with
``state_problem`` saying why, and the core decides from the changelog. A malformed issue (no key, no created
time) is Jira's error and raises ``JiraUnexpectedResponse``.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime
from typing import Any, Literal

from pydantic import TypeAdapter, ValidationError

from escalator.core.issue import (
    STATE_PROPERTY_KEY,
    EscalationState,
    EscalatorChange,
    FieldValue,
    IssueSnapshot,
    SnapshotProblem,
)
from escalator.jira.errors import JiraUnexpectedResponse
from escalator.jira.state_seal import StateSeal
from escalator.jira.status_history import status_changes, status_history_since

__all__ = [
    "REPORTER_FIELD",
    "SYSTEM_FIELDS",
    "Deployment",
    "SnapshotProblem",
    "display_names",
    "history_fields",
    "parse_jira_time",
    "snapshot_fields",
    "snapshot_from_json",
    "state_from_properties",
    "validated_snapshot",
    "validated_snapshots",
]

Deployment = Literal["cloud", "server"]

SYSTEM_FIELDS = (
    "project",
    "issuetype",
    "status",
    "priority",
    "assignee",
    "labels",
    "components",
    "created",
    "updated",
)
"""The fields the core reads; a sweep's search asks for these plus the policy's custom fields, nothing else."""

REPORTER_FIELD = "reporter"
"""Read into ``IssueSnapshot.reporter`` only where asked for (``JiraAdapter.search_pages``): a backlog snapshot keeps
it, so that a rehearsal on the sandbox has the same people. The core never reads it (Jira finds the reporter of a
notification itself), and a sweep's search leaves it out: on Cloud it is a fifth of an issue's JSON."""


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
    seal: StateSeal | None = None,
    status_names: Mapping[str, str] | None = None,
) -> IssueSnapshot:
    """``acting_user`` is escalator's own account: changes it made are not a person's (``human_changed_at``) but
    escalator's (``escalator_changes``). ``seal`` opens the state property (default: plain states, no key).
    ``status_names``: status id -> name in this Jira now, for a status history across renames."""
    return validated_snapshot(snapshot_fields(raw, deployment, custom_fields, acting_user, seal, status_names))


def snapshot_fields(
    raw: Mapping[str, Any],
    deployment: Deployment,
    custom_fields: Iterable[str] = (),
    acting_user: str | None = None,
    seal: StateSeal | None = None,
    status_names: Mapping[str, str] | None = None,
) -> dict[str, Any]:
    """The fields ``snapshot_from_json`` validates into an ``IssueSnapshot``, read from ``raw`` but not yet
    validated (``validated_snapshot``, ``validated_snapshots``)."""
    key = raw.get("key")
    fields = raw.get("fields")
    if not isinstance(key, str) or not isinstance(fields, dict):
        raise JiraUnexpectedResponse(f"a search result without key or fields: {sorted(raw)[:8]}")
    try:
        state, state_problem = state_from_properties(key, raw.get("properties"), seal or StateSeal())
        status = fields.get("status") or {}
        updated = parse_jira_time(fields["updated"]) if fields.get("updated") else None
        labels, components = fields.get("labels"), fields.get("components")
        values = {
            "key": key,
            "project": _name(fields.get("project"), "key"),
            "issue_type": _name(fields.get("issuetype")),
            "status": status.get("name") or "",
            "status_category": (status.get("statusCategory") or {}).get("key") or "new",
            "priority": _optional_name(fields.get("priority")),
            "assignee": _person(fields.get("assignee"), deployment),
            "reporter": _person(fields.get("reporter"), deployment),
            "labels": tuple(map(str, labels)) if labels else (),  # most issues have none: no generator for them
            "components": tuple([_name(c) for c in components]) if components else (),
            "fields": {field: _field_value(fields.get(field)) for field in custom_fields},
            "created": parse_jira_time(fields["created"]),
            "updated": updated,
            "state": state,
            "state_problem": state_problem,
        }
        changelog = raw.get("changelog")
        if changelog is None:  # a sweep's pages (it reads changelogs only where they matter): no history known,
            values["status_history_since"] = updated  # the status history complete only from the last update
        else:
            values.update(_history(changelog, deployment, acting_user, _with_current(status_names, status), updated))
        return values
    except (KeyError, TypeError, ValueError, AttributeError) as exc:  # ValidationError is a ValueError
        raise JiraUnexpectedResponse(f"issue {key}: cannot read its fields ({_short(exc)})") from None


def validated_snapshot(values: Mapping[str, Any]) -> IssueSnapshot:
    """``snapshot_fields``' answer as an ``IssueSnapshot``; ``JiraUnexpectedResponse`` naming the issue when
    it is not one."""
    try:
        return IssueSnapshot.model_validate(values)  # a dict: a microsecond less than keyword arguments
    except ValidationError as exc:
        raise JiraUnexpectedResponse(f"issue {values['key']}: cannot read its fields ({_short(exc)})") from None


_SNAPSHOTS: TypeAdapter[list[IssueSnapshot]] = TypeAdapter(list[IssueSnapshot])


def validated_snapshots(values: Sequence[Mapping[str, Any]]) -> list[IssueSnapshot | JiraUnexpectedResponse]:
    """Each of ``values`` as ``validated_snapshot`` makes it, or the error it raises: all in one call to pydantic
    (about a microsecond less an issue than a call each), and one by one only when one of them fails, so that it
    alone becomes a problem."""
    try:
        return list(_SNAPSHOTS.validate_python(values))
    except ValidationError:
        return [_snapshot_or_error(one) for one in values]


def _snapshot_or_error(values: Mapping[str, Any]) -> IssueSnapshot | JiraUnexpectedResponse:
    try:
        return validated_snapshot(values)
    except JiraUnexpectedResponse as error:
        return error


def _history(
    changelog: Any,
    deployment: Deployment,
    acting_user: str | None,
    names: Mapping[str, str] | None,
    updated: datetime | None,
) -> dict[str, Any]:
    changed = _changed_at(changelog, deployment, acting_user)
    return {
        "assignee_changed_at": changed.get("assignee"),
        "priority_changed_at": changed.get("priority"),
        "human_changed_at": changed.get("human"),
        "escalator_changes": _escalator_changes(changelog, deployment, acting_user),
        "status_changes": status_changes(
            changelog.get("histories") or () if isinstance(changelog, dict) else (), names
        ),
        "status_history_since": status_history_since(changelog, updated),
    }


MAX_DISPLAY_NAME = 255
"""Longest display name kept: Jira's own limit; a longer one is cut, never let grow a record without bound."""


def display_names(fields: Mapping[str, Any], deployment: Deployment) -> dict[str, str]:
    """The display names of the people in an issue's ``fields`` (assignee, reporter), by the id escalator uses
    for them (accountId on Cloud, username on Data Center); a person without both is left out."""
    names: dict[str, str] = {}
    attribute = "accountId" if deployment == "cloud" else "name"
    for person in (fields.get("assignee"), fields.get("reporter")):
        if isinstance(person, dict):
            who, name = person.get(attribute), person.get("displayName")
            if isinstance(who, str) and isinstance(name, str) and name:
                names[who] = name[:MAX_DISPLAY_NAME]
    return names


def history_fields(
    changelog: Any, deployment: Deployment, acting_user: str | None, status_names: Mapping[str, str] | None = None
) -> dict[str, Any]:
    """The snapshot's fields that come from the changelog (``{"histories": [...], "total": n}`` as a search embeds
    it), for a snapshot read without one: ``snapshot.model_copy(update=history_fields(...))`` is the snapshot
    ``snapshot_from_json`` makes from the issue with that changelog inline. ``JiraUnexpectedResponse`` when it
    cannot be read."""
    try:
        return _history(changelog, deployment, acting_user, status_names, None)
    except (KeyError, TypeError, ValueError, AttributeError) as exc:
        raise JiraUnexpectedResponse(f"cannot read the changelog ({_short(exc)})") from None


def state_from_properties(key: str, properties: Any, seal: StateSeal) -> tuple[EscalationState | None, str | None]:
    """The escalation state among an issue's ``properties`` (as Jira returns them), or why it cannot be trusted."""
    if not isinstance(properties, dict) or properties.get(STATE_PROPERTY_KEY) is None:
        return None, None
    return seal.open(key, properties[STATE_PROPERTY_KEY])


def _with_current(status_names: Mapping[str, str] | None, status: Mapping[str, Any]) -> dict[str, str]:
    """Status id -> name: Jira's, and the issue's own status as it is named now."""
    names = dict(status_names or {})
    if status.get("id") is not None and isinstance(status.get("name"), str):
        names[str(status["id"])] = status["name"]
    return names


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


def _escalator_changes(changelog: Any, deployment: Deployment, acting_user: str | None) -> tuple[EscalatorChange, ...]:
    """What ``acting_user`` (escalator's account) set, from the histories Jira returned, oldest first. A truncated
    changelog still holds the newest histories (Cloud returns the most recent 40), where the last escalations are."""
    if acting_user is None or not isinstance(changelog, dict) or not isinstance(changelog.get("histories"), list):
        return ()
    author_key = "accountId" if deployment == "cloud" else "name"
    changes = []
    for history in changelog["histories"]:
        if not isinstance(history, dict) or (history.get("author") or {}).get(author_key) != acting_user:
            continue
        change = _change(parse_jira_time(history["created"]), history.get("items") or ())
        if change is not None:
            changes.append(change)
    return tuple(sorted(changes, key=lambda change: change.at))


def _change(at: datetime, items: Iterable[Any]) -> EscalatorChange | None:
    """One history entry by escalator: the assignee (its id), priority and labels it set; None if it touched none
    of these fields."""
    assignee = priority = None
    labels: tuple[str, ...] = ()
    touched = False
    for item in items:
        field = item.get("fieldId") or item.get("field")
        if field == "assignee":
            assignee = item.get("to")  # the accountId on Cloud, the username on Data Center
        elif field == "priority":
            priority = item.get("toString")
        elif field == "labels":
            before = set(str(item.get("fromString") or "").split())
            labels = tuple(sorted(set(str(item.get("toString") or "").split()) - before))
        touched = touched or field in ("assignee", "priority", "labels")
    return EscalatorChange(at=at, assignee=assignee, priority=priority, labels_added=labels) if touched else None


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
