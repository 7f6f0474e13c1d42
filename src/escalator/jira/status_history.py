"""An issue's status history from Jira's changelog, for paused clocks (``escalator.core.pause``). Pure: no I/O.

``status_changes`` reads the histories as Jira returns them, naming each status by its id as Jira names it now
(Jira keeps the name a status had when the change was made), (the search's inline changelog today; a paged or bulk
changelog would hand over its histories the same way). ``status_history_since`` says from when the history is
complete: Jira Cloud embeds only the newest 40 histories in a search, and a status change before those is not
known; the core then counts the unknown time as paused, which can delay an escalation but never hasten one.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Any

from escalator.core.issue import StatusChange

__all__ = ["changelog_complete", "status_changes", "status_history_since"]


def _parse(value: str) -> datetime:
    """As ``snapshot.parse_jira_time``, which imports this module (so it cannot be imported here)."""
    moment = datetime.fromisoformat(value)
    if moment.tzinfo is None:
        raise ValueError(f"time without an offset: {value!r}")
    return moment


def status_changes(histories: Iterable[Any], names: Mapping[str, str] | None = None) -> tuple[StatusChange, ...]:
    """Every status change among ``histories`` (Jira's changelog entries), oldest first. A status is named as
    ``names`` (status id -> its name in Jira now) names its id, so a status renamed since still matches the
    policy; else as the entry named it then."""
    names = names or {}
    changes = []
    for history in histories:
        if not isinstance(history, dict):
            continue
        for item in history.get("items") or ():
            if isinstance(item, dict) and (item.get("fieldId") or item.get("field")) == "status":
                at = _parse(history["created"])
                before = names.get(str(item.get("from")), item.get("fromString"))
                after = names.get(str(item.get("to")), item["toString"])
                changes.append(StatusChange(at=at, from_status=before, to_status=after))
    return tuple(sorted(changes, key=lambda change: change.at))


def changelog_complete(changelog: Any) -> bool:
    """Whether an inline changelog holds every history: Jira's ``total`` is not above the histories returned."""
    if not isinstance(changelog, dict):
        return False
    total = changelog.get("total")
    return not (isinstance(total, int) and total > len(changelog.get("histories") or ()))


def status_history_since(changelog: Any, updated: datetime | None) -> datetime | None:
    """None when the changelog holds the whole status history; else the instant from which it is complete: the
    oldest history Jira returned, or, if it returned none (or no changelog at all), the issue's last update, before
    which its status may have been anything."""
    if changelog_complete(changelog):
        return None
    histories = changelog.get("histories") if isinstance(changelog, dict) else None
    times = [_parse(h["created"]) for h in histories or () if isinstance(h, dict) and "created" in h]
    return min(times, default=updated)
