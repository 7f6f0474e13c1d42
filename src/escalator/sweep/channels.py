"""Notification channels: a level's ``notify.channels`` are Prefect notification blocks (Slack, Microsoft Teams, a
custom webhook, e-mail...), each sent the status summary and the issue's link once the escalation is in Jira.

``load_channels`` runs with the preflight, before the first write, dry run included: every block a policy names
must exist, or the run stops with all the missing ones listed. ``ChannelWriter`` wraps the run's writer: after a
live write has landed it sends to the decision's channels; a channel that fails is a warning on the escalation's
record, never a failed escalation. A dry run's writer writes nothing, so nothing is sent either; the record names
the channels it would have sent to. A failure is reported by the block's type and the HTTP status, never the
block's URL or secrets (a Slack webhook's URL is itself a secret). A chat's readers know people by name, not by
Jira account id: ``naming`` gives the writer one policy's display names (its owners' and assignees').
"""

from __future__ import annotations

import copy
import threading
from collections.abc import Iterable, Mapping
from contextlib import AbstractContextManager, nullcontext
from typing import Any, Protocol

from prefect.blocks.abstract import NotificationBlock
from prefect.blocks.core import Block
from prefect.client.orchestration import get_client

from escalator.core.decision import Decision
from escalator.core.policy import Policy
from escalator.sweep.apply import Writer

__all__ = ["ChannelError", "ChannelWriter", "channel_message", "channels_named", "load_channels", "naming_people"]


class ChannelError(Exception):
    """A notification block a policy names does not exist (or is not a notification block)."""


class Channel(Protocol):
    """What ``ChannelWriter`` needs of a notification block."""

    def notify(self, body: str, subject: str | None = None, **options: Any) -> None: ...


def channels_named(policies: Iterable[Policy]) -> frozenset[str]:
    """Every channel the policies' levels name."""
    return frozenset(
        name
        for policy in policies
        for category in policy.categories
        for level in category.levels
        for name in level.notify.channels
    )


def load_channels(names: Iterable[str]) -> dict[str, NotificationBlock]:
    """Each named notification block, loaded from Prefect: ``slack-webhook/support-leads`` (block type and name,
    as Prefect addresses blocks), or a plain name that exactly one notification block has. Raises ``ChannelError``
    listing every problem."""
    wanted = sorted(set(names))
    if not wanted:
        return {}
    plain = _notification_blocks_by_name() if any("/" not in name for name in wanted) else {}
    loaded: dict[str, NotificationBlock] = {}
    problems: list[str] = []
    for name in wanted:
        address = name
        if "/" not in name:
            types = plain.get(name, [])
            if not types:
                problems.append(
                    f"channel {name!r}: no notification block has this name; create one (a Slack, Microsoft Teams, "
                    "custom webhook or e-mail block) in the Prefect UI or with `prefect block create`"
                )
                continue
            if len(types) > 1:
                found = f"{len(types)} notification blocks ({', '.join(sorted(types))})"
                problems.append(f"channel {name!r}: {found} have this name; write it as TYPE/NAME")
                continue
            address = f"{types[0]}/{name}"
        try:
            block = Block.load(address)
        except (ValueError, KeyError) as error:
            problems.append(f"channel {name!r}: no such Prefect block ({type(error).__name__})")
            continue
        if not isinstance(block, NotificationBlock):
            problems.append(f"channel {name!r}: {type(block).__name__} is not a notification block")
            continue
        loaded[name] = block
    if problems:
        raise ChannelError("notification channels: " + "; ".join(problems))
    return loaded


def _notification_blocks_by_name() -> dict[str, list[str]]:
    """Block type slugs of every notification block document, by document name."""
    with get_client(sync_client=True) as client:
        documents = client.read_block_documents(include_secrets=False)
    found: dict[str, list[str]] = {}
    for document in documents:
        schema, block_type = document.block_schema, document.block_type
        if document.name and schema is not None and block_type is not None and "notify" in schema.capabilities:
            found.setdefault(document.name, []).append(block_type.slug)
    return found


def channel_message(
    decision: Decision, issue_url: str | None, run_link: str | None, people: Mapping[str, str] | None = None
) -> tuple[str, str]:
    """(subject, body) for a channel: the status summary, then the issue's link and the run's. ``people``: display
    names by account id; a person without one is written by id."""
    actions = decision.actions
    if actions is None:
        raise ValueError(f"{decision.issue_key}: only an escalation is sent to channels")
    names = people or {}

    def person(account_id: str) -> str:
        name = " ".join("".join(c if c.isprintable() else " " for c in names.get(account_id, "")).split())
        return name or account_id  # a name is Jira users' text: one line, no control characters

    subject = f"{decision.issue_key} escalated to {decision.to_level} ({person(actions.assignee_to)})"
    lines = [actions.summary.text(person) if actions.summary is not None else actions.comment]
    if issue_url:
        lines.append(f"Issue: {issue_url}")
    if run_link:
        lines.append(f"Run: {run_link}")
    return subject, "\n".join(lines)


class ChannelWriter:
    """``inner``, then the decision's channels once the write has landed (live runs only)."""

    def __init__(
        self, inner: Writer, channels: Mapping[str, Channel], jira_url: str | None, run_link: str | None
    ) -> None:
        self.inner = inner
        self.dry_run = inner.dry_run
        self._channels = channels
        self._locks = {name: threading.Lock() for name in channels}
        self._jira_url = jira_url.rstrip("/") if jira_url else None
        self._run_link = run_link
        self._people: Mapping[str, str] = {}

    def naming(self, people: Mapping[str, str]) -> ChannelWriter:
        """This writer, its messages naming people by ``people``'s display names (by account id); the channels,
        their locks and the inner writer are shared."""
        named = copy.copy(self)
        named._people = people
        return named

    def write(self, decision: Decision) -> str | None:
        warning = self.inner.write(decision)  # raises when the escalation failed: nothing is sent
        names = decision.actions.channels if decision.actions is not None else ()
        if self.dry_run or not names:
            return warning
        issue_url = f"{self._jira_url}/browse/{decision.issue_key}" if self._jira_url else None
        subject, body = channel_message(decision, issue_url, self._run_link, self._people)
        failed = [problem for name in names if (problem := self._send(name, subject, body)) is not None]
        if not failed:
            return warning
        note = "escalated, but channel(s) failed: " + "; ".join(failed)
        return f"{warning}; {note}" if warning else note

    def _send(self, name: str, subject: str, body: str) -> str | None:
        """None when sent, else what went wrong, without the block's URL or secrets."""
        channel = self._channels.get(name)
        if channel is None:
            return f"{name}: not loaded"
        try:  # one send at a time per block: an Apprise block's raise_on_failure is a flag on the shared block
            with self._locks[name], _raising(channel):
                channel.notify(body, subject, _sync=True)  # synchronous, even under an async flow
        except Exception as error:  # a channel never fails the escalation
            return f"{name}: {_describe(error)}"
        return None


def naming_people(writer: Writer, people: Mapping[str, str]) -> Writer:
    """``writer`` naming people by display name in what it sends to channels, when it sends to channels."""
    return writer.naming(people) if isinstance(writer, ChannelWriter) else writer


def _raising(channel: Any) -> AbstractContextManager[Any]:
    """Apprise-based blocks only log a failed delivery unless asked to raise."""
    raise_on_failure = getattr(channel, "raise_on_failure", None)
    return raise_on_failure() if callable(raise_on_failure) else nullcontext()


def _describe(error: Exception) -> str:
    response = getattr(error, "response", None)
    status = getattr(response, "status_code", None)
    return f"{type(error).__name__} (HTTP {status})" if isinstance(status, int) else type(error).__name__
