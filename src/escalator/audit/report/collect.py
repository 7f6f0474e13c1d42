"""The report's inputs, fetched: the period's decision records (from the Prefect API or the audit sink) folded
into a ``RecordTally``, then the escalated issues' histories from Jira (read-only, one search per 100 keys), then
the report. The one place that does I/O for the report; ``escalator audit report`` and ``flows/report.py`` share
it.
"""

from __future__ import annotations

import os
import re
import tempfile
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from escalator.audit.query import RecordQuery
from escalator.audit.record import AuditRecord
from escalator.audit.report.compute import RecordTally
from escalator.audit.report.model import AuditReport, Period
from escalator.audit.sink import AuditSink
from escalator.core.history import IssueHistory
from escalator.jira.settings import JiraSettings

__all__ = ["JiraReading", "period_records", "read_histories", "report_for", "source_label", "write_whole"]

Clock = Callable[[], datetime]


def period_records(
    since: datetime | None,
    until: datetime | None,
    policies: Sequence[str] = (),
    source: str = "prefect",
    sink_url: str | None = None,
) -> Iterator[AuditRecord]:
    """The records evaluated in [since, until), of ``policies`` (all when empty), streamed. ``source`` is
    ``prefect`` (the runs' artifacts) or ``sink`` (the audit store at ``sink_url``)."""
    queries = [RecordQuery(policy=p, since=since, until=until) for p in dict.fromkeys(policies)]
    for query in queries or [RecordQuery(since=since, until=until)]:
        if source == "sink":
            if sink_url is None:
                raise ValueError("reading the audit sink needs its URL")
            yield from AuditSink(sink_url).matching(query)
        else:
            from escalator.audit.reader import prefect_records

            yield from prefect_records(query)


@dataclass(frozen=True)
class JiraReading:
    """What Jira said about the escalated issues, when it was read, and what it could not say."""

    histories: dict[str, IssueHistory]
    as_of: datetime
    bots: frozenset[str]
    notes: list[str]


def source_label(source: str, sink_url: str | None) -> str:
    """``prefect``, or the sink's URL without any credentials a URL may carry."""
    return "prefect" if source != "sink" else re.sub(r"//[^/@]*@", "//", sink_url or "?")


def read_histories(
    settings: JiraSettings | None,
    keys: set[str],
    escalator_accounts: Sequence[str] = (),
    clock: Clock = lambda: datetime.now(UTC),
) -> JiraReading:
    """The histories of ``keys`` (read-only). escalator's own accounts are ``escalator_accounts``, or else the
    account ``settings`` log in as (so run the report with the sweeps' credentials, or name their account)."""
    from escalator.jira.adapter import JiraAdapter

    if not keys:
        return JiraReading({}, clock(), frozenset(escalator_accounts), ["Jira was not read: no issue to look up."])
    if settings is None:
        raise ValueError("the escalated issues must be looked up in Jira: no Jira settings")
    with JiraAdapter.connect(settings) as jira:
        bots = frozenset(escalator_accounts) or frozenset([jira.current_user()])
        as_of = clock()
        answer = jira.issue_histories(keys)
    notes = []
    if answer.missing:
        notes.append(
            f"Jira does not have, or does not show this account, {len(answer.missing)} issue(s): "
            f"{', '.join(answer.missing)}"
        )
    notes += [f"{problem.issue_key}: {problem.problem}" for problem in answer.problems]
    if answer.invalid:
        notes.append(f"not Jira issue keys, not looked up: {', '.join(repr(k) for k in answer.invalid)}")
    return JiraReading(answer.found, as_of, bots, notes)


def report_for(
    records: Iterator[AuditRecord],
    settings: JiraSettings | None,
    *,
    since: datetime | None,
    until: datetime | None,
    policies: Sequence[str] = (),
    source: str = "prefect",
    escalator_accounts: Sequence[str] = (),
    clock: Clock = lambda: datetime.now(UTC),
) -> AuditReport:
    """The report over ``records`` (the period's, see ``period_records``), with Jira read through ``settings``."""
    tally = RecordTally().add_all(records)
    jira = read_histories(settings, tally.issue_keys(), escalator_accounts, clock)
    return tally.report(
        jira.histories,
        Period(since=since, until=until, as_of=jira.as_of),
        bots=jira.bots,
        policies=policies,
        source=source,
        jira_notes=jira.notes,
    )


def write_whole(path: Path, text: str) -> None:
    """All or nothing: a temporary file beside ``path``, renamed over it once complete (an ``OSError`` when the
    directory is missing or not writable, and then nothing is left behind)."""
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as file:
            file.write(text)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
