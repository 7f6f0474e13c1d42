"""The Jira adapter: the only part of escalator that knows Jira. It reads open issues as pages of
``IssueSnapshot`` (one request per page), applies a ``Decision`` in one write (two with notify), and checks a
policy against this Jira before the first write. Cloud or Data Center is read from ``serverInfo``.
"""

from __future__ import annotations

import dataclasses
import logging
import queue
import random
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime
from types import TracebackType
from typing import Any

import orjson

from escalator.core.decision import Decision
from escalator.core.history import IssueHistory
from escalator.core.issue import STATE_PROPERTY_KEY, EscalationState
from escalator.core.policy import Policy
from escalator.jira.changelogs import BULK_ISSUES, CHANGELOG_FIELDS, ChangelogRead, add_bulk_page, whole_changelog
from escalator.jira.edit import issue_edit
from escalator.jira.errors import JiraBadRequest, JiraError, JiraNotFound, JiraUnexpectedResponse
from escalator.jira.history import HISTORY_FIELDS, ISSUE_KEY, history_from_json, keys_jql, missing_keys
from escalator.jira.page_schema import page_parser
from escalator.jira.pages import (
    CloudPaging,
    SearchPage,
    ServerPaging,
    changelog_problem,
    issue_key,
    page_issues,
    read_page,
)
from escalator.jira.preflight import PreflightReport, run_preflight
from escalator.jira.retry import RetryPolicy
from escalator.jira.scope import split_order_by
from escalator.jira.settings import JiraSettings
from escalator.jira.snapshot import (
    REPORTER_FIELD,
    SYSTEM_FIELDS,
    Deployment,
    SnapshotProblem,
    parse_jira_time,
    state_from_properties,
)
from escalator.jira.state_seal import StateSeal
from escalator.jira.transport import Sleep, Transport

__all__ = ["Applied", "IssueHistories", "JiraAdapter", "SearchPage", "partitioned_pages"]

LOG = logging.getLogger(__name__)
DEFAULT_PAGE_SIZE = 100  # Cloud trims pages to 100 when fields beyond id/key are asked for


@dataclass(frozen=True)
class IssueHistories:
    """The answer to ``issue_histories``: the issues Jira returned, the keys it does not have or does not show
    escalator, the issues whose data could not be read, and the keys that are not Jira keys at all."""

    found: dict[str, IssueHistory]
    missing: tuple[str, ...] = ()
    problems: tuple[SnapshotProblem, ...] = ()
    invalid: tuple[str, ...] = ()


@dataclass(frozen=True)
class Applied:
    issue_key: str
    notified: bool
    requests: int
    notify_error: str | None = None


class JiraAdapter:
    """One Jira, one set of credentials. Use ``JiraAdapter.connect(settings)``; close it (or use ``with``)."""

    def __init__(
        self,
        transport: Transport,
        deployment: Deployment,
        *,
        notify_on_edit: bool = True,
        seal: StateSeal | None = None,
    ) -> None:
        self._transport = transport
        self.deployment: Deployment = deployment
        self.notify_on_edit = notify_on_edit
        self.acting_user: str | None = None
        """escalator's own account, learnt by ``preflight``: its changes are not a person's"""
        self.seal = seal or StateSeal()
        """opens and seals the escalation state (with the state keys of the settings, if any)"""
        self.status_names: dict[str, str] = {}
        """status id -> name, learnt by ``preflight`` of a policy that pauses clocks: status histories by id"""

    @classmethod
    def connect(
        cls,
        settings: JiraSettings,
        *,
        retry: RetryPolicy | None = None,
        sleep: Sleep = time.sleep,
        rng: random.Random | None = None,
        notify_on_edit: bool = True,
        reads_per_second: float | None = None,
        writes_per_second: float | None = None,
    ) -> JiraAdapter:
        """Reads ``serverInfo`` (one request) to learn whether this is Cloud or Data Center.

        ``reads_per_second``/``writes_per_second`` pace requests across all threads to stay under Jira's rate
        limits (``pacing.py``); None sends as fast as the callers ask.

        ``notify_on_edit=False`` sends ``notifyUsers=false`` with each write, so Jira sends no change e-mail
        of its own; Jira allows that only to (project) administrators.
        """
        transport = Transport(
            settings,
            retry=retry,
            sleep=sleep,
            rng=rng,
            reads_per_second=reads_per_second,
            writes_per_second=writes_per_second,
        )
        info = transport.get("serverInfo")
        if not isinstance(info, dict) or "versionNumbers" not in info:
            transport.close()
            raise JiraUnexpectedResponse(f"{settings.url} did not answer serverInfo like a Jira")
        deployment: Deployment = "cloud" if info.get("deploymentType") == "Cloud" else "server"
        return cls(transport, deployment, notify_on_edit=notify_on_edit, seal=StateSeal(settings.state_keys))

    def __repr__(self) -> str:
        return f"JiraAdapter(url={self._transport.base_url!r}, deployment={self.deployment!r})"

    def close(self) -> None:
        self._transport.close()

    def __enter__(self) -> JiraAdapter:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, traceback: TracebackType | None
    ) -> None:
        self.close()

    # --- reads ------------------------------------------------------------------------------------
    def search_pages(
        self,
        jql: str,
        *,
        custom_fields: Iterable[str] = (),
        page_size: int = DEFAULT_PAGE_SIZE,
        changelog: bool = True,
        reporter: bool = True,
    ) -> Iterator[SearchPage]:
        """The issues ``jql`` matches, page by page, one request per page, with the fields the core reads, the
        escalation state, (``changelog=True``) the changelog inline, for when assignee and priority last changed,
        and (``reporter=True``) the reporter, which the core does not read. Cloud pages by ``nextPageToken``
        (``search/jql``), Data Center by ``startAt`` (``search``). Pages are read lazily: a write between two
        pages can shift a Data Center page. Each answer is checked before it is read (``pages.py``): a malformed
        issue is a problem of that issue, a malformed page or paging that would not end is a
        ``JiraProtocolError``."""
        custom = sorted(set(custom_fields))
        body: dict[str, Any] = {
            "jql": jql,
            "maxResults": page_size,
            "fields": [*SYSTEM_FIELDS, *([REPORTER_FIELD] if reporter else []), *custom],
            "properties": [STATE_PROPERTY_KEY],
        }
        if changelog:  # Cloud's search/jql takes expand as a comma-separated string, Data Center's search a list
            body["expand"] = "changelog" if self.deployment == "cloud" else ["changelog"]
        if self.deployment == "cloud":
            yield from self._cloud_pages(body, custom)
        else:
            yield from self._server_pages(body, custom)

    def policy_pages(
        self,
        policy: Policy,
        *,
        jql: str | None = None,
        page_size: int = DEFAULT_PAGE_SIZE,
        partitions: int = 1,
        slices: int | None = None,
        changelog: bool = True,
    ) -> Iterator[SearchPage]:
        """``search_pages`` for ``jql`` (default: the policy's scope; a sweep narrows it, see ``scope.py``) with
        the policy's custom fields. With ``partitions`` > 1 the query is cut into ``slices`` (default: as many)
        disjoint slices by creation time, ``partitions`` of them paged at once (see ``partitioned_pages``). A sweep
        reads without the ``changelog`` and asks for the whole changelog of the issues that need it
        (``complete_changelogs``). Without the reporter: the core does not read it."""
        fields = policy.fields_read()
        jql = jql or policy.scope

        def search(part: str) -> Iterator[SearchPage]:
            return self.search_pages(
                part, custom_fields=fields, page_size=page_size, changelog=changelog, reporter=False
            )

        if partitions > 1:
            parts = self.created_slices(jql, max(partitions, slices or partitions))
            if parts is not None and len(parts) > 1:
                return partitioned_pages([search(part) for part in parts], readers=partitions)
        return search(jql)

    def created_slices(self, jql: str, count: int) -> list[str] | None:
        """``jql`` cut into about ``count`` disjoint JQL slices that together match exactly what it matches:
        ``created`` ranges between its oldest and newest issue, the first and last open-ended, so an issue
        created meanwhile still falls in one. None when the query orders its results itself (a slice cannot
        keep that order) or matches nothing. Two small searches (oldest, newest)."""
        if split_order_by(jql)[1]:
            return None
        with ThreadPoolExecutor(max_workers=2, thread_name_prefix="created-edges") as pool:  # both at once
            oldest, newest = pool.map(self._created_edge, (jql, jql), ("ASC", "DESC"))
        if oldest is None or newest is None:
            return None
        step = (newest - oldest) / count
        cuts = sorted({(oldest + step * i).strftime("%Y/%m/%d %H:%M") for i in range(1, count)})
        bounds: list[tuple[str | None, str | None]] = list(zip([None, *cuts], [*cuts, None], strict=True))
        return [
            " AND ".join(
                [f"({jql})"] + ([f'created >= "{low}"'] if low else []) + ([f'created < "{high}"'] if high else [])
            )
            for low, high in bounds
        ]

    def escalation_state(self, key: str) -> tuple[EscalationState | None, str | None]:
        """The escalation state stored on one issue now (one request), or why it cannot be trusted;
        ``JiraNotFound`` when the issue is gone or hidden from escalator."""
        answer = self._transport.get(f"issue/{key}", params={"fields": "status", "properties": STATE_PROPERTY_KEY})
        if not isinstance(answer, dict):
            raise JiraUnexpectedResponse(f"issue {key} answered without a JSON object")
        return state_from_properties(key, answer.get("properties"), self.seal)

    def _created_edge(self, jql: str, direction: str) -> datetime | None:
        body = {"jql": f"{jql} ORDER BY created {direction}", "maxResults": 1, "fields": ["created"]}
        path = "search/jql" if self.deployment == "cloud" else "search"
        issues = page_issues(self._transport.post(path, body, read=True))
        if not issues:
            return None
        fields = issues[0].get("fields") if isinstance(issues[0], dict) else None
        created = fields.get("created") if isinstance(fields, dict) else None
        if isinstance(created, str):
            try:
                return parse_jira_time(created).astimezone(UTC)
            except ValueError:
                pass
        # The paged search reports this issue as a data problem; here it only means no slicing.
        LOG.warning("the %s issue of %s cannot be read; the query is searched unsliced", direction, jql)
        return None

    def _cloud_pages(self, body: dict[str, Any], custom: list[str]) -> Iterator[SearchPage]:
        for answer in self._cloud_answers(body, page_parser(self.deployment)):
            yield self._page(answer, custom)

    def _cloud_answers(
        self, body: dict[str, Any], parse: Callable[[bytes], Any] = orjson.loads
    ) -> Iterator[dict[str, Any]]:
        """Cloud's answers to one search, each a page (``page_issues`` checks it), paged by ``nextPageToken``
        as ``CloudPaging`` allows."""
        paging = CloudPaging()
        token: str | None = None
        while True:
            request = body if token is None else {**body, "nextPageToken": token}
            answer = self._transport.post("search/jql", request, read=True, parse=parse)
            page_issues(answer)
            yield answer
            token = paging.next_token(answer)
            if token is None:
                return

    def _server_pages(self, body: dict[str, Any], custom: list[str]) -> Iterator[SearchPage]:
        # Paging by offset needs a stable order; an issue that still shifts between pages is decided once
        # (merge_plans keeps its first decision).
        if not split_order_by(body["jql"])[1]:
            body = {**body, "jql": f"{body['jql']} ORDER BY key ASC"}
        for answer in self._server_answers(body, page_parser(self.deployment)):
            yield self._page(answer, custom)

    def _server_answers(
        self, body: dict[str, Any], parse: Callable[[bytes], Any] = orjson.loads
    ) -> Iterator[dict[str, Any]]:
        """Data Center's answers to one search, each a page (``page_issues`` checks it), paged by ``startAt``
        as ``ServerPaging`` allows."""
        paging = ServerPaging()
        start: int | None = 0
        while start is not None:
            answer = self._transport.post("search", {**body, "startAt": start}, read=True, parse=parse)
            entries = len(page_issues(answer))
            yield answer
            start = paging.next_start(answer, entries)

    def _page(self, answer: Any, custom: list[str]) -> SearchPage:
        page = read_page(answer, self.deployment, custom, self.acting_user, self.seal, self.status_names)
        for problem in page.problems:  # one unreadable issue must not stop the sweep
            LOG.warning("%s: %s", problem.issue_key, problem.problem)
        for snapshot in page.issues:
            if snapshot.state_problem is not None:
                LOG.warning("%s: %s", snapshot.key, snapshot.state_problem)
        return page

    def complete_changelogs(self, ids: Mapping[str, str | None]) -> ChangelogRead:
        """The whole changelog of each issue (by key, with Jira's id from the search where known), as much of it
        as the core reads (``changelogs.py``): on Cloud by ``changelog/bulkfetch``, 1,000 issues a request and the
        fields of ``CHANGELOG_FIELDS`` only; on Data Center by a search of 100 keys a request, whose embedded
        changelog is whole. Reads only."""
        read = ChangelogRead()
        if not ids:
            return read
        if self.deployment == "cloud":
            self._bulk_changelogs(ids, read)
        else:
            self._searched_changelogs(list(ids), read)
        return read

    def _bulk_changelogs(self, ids: Mapping[str, str | None], read: ChangelogRead) -> None:
        keys_by_id = {issue_id: key for key, issue_id in ids.items() if issue_id is not None}
        read.problems += [
            SnapshotProblem(key, "Jira's search gave no issue id to ask for its changelog by")
            for key, issue_id in ids.items()
            if issue_id is None
        ]
        wanted = sorted(keys_by_id, key=int)
        histories: dict[str, list[Any]] = {}
        for index in range(0, len(wanted), BULK_ISSUES):
            body: dict[str, Any] = {
                "issueIdsOrKeys": wanted[index : index + BULK_ISSUES],
                "fieldIds": list(CHANGELOG_FIELDS),
                "maxResults": 10000,
            }
            paging = CloudPaging()
            token: str | None = None
            while True:
                answer = self._transport.post(
                    "changelog/bulkfetch", body if token is None else {**body, "nextPageToken": token}, read=True
                )
                read.requests += 1
                add_bulk_page(answer, keys_by_id, histories)
                token = paging.next_token(answer)
                if token is None:
                    break
        for key in keys_by_id.values():
            found = whole_changelog(key, histories.get(key, []))
            if isinstance(found, SnapshotProblem):
                read.problems.append(found)
            else:
                read.found[key] = found

    def _searched_changelogs(self, keys: list[str], read: ChangelogRead) -> None:
        valid = [key for key in keys if ISSUE_KEY.fullmatch(key)]
        read.problems += [
            SnapshotProblem(key, "not a Jira issue key: its changelog cannot be asked for")
            for key in keys
            if not ISSUE_KEY.fullmatch(key)
        ]
        for index in range(0, len(valid), DEFAULT_PAGE_SIZE):
            chunk = valid[index : index + DEFAULT_PAGE_SIZE]
            while chunk:
                body = {
                    "jql": keys_jql(chunk),
                    "maxResults": len(chunk),
                    "fields": ["created"],
                    "expand": ["changelog"],
                }
                try:
                    answers = list(self._server_answers(body))
                except JiraBadRequest as error:  # an issue deleted or moved since the search: asked for no more
                    absent = missing_keys(error.messages)
                    if not absent or not set(absent) & set(chunk):
                        raise
                    chunk = [key for key in chunk if key not in absent]
                    read.requests += 1
                    continue
                read.requests += len(answers)
                for answer in answers:
                    for position, raw in enumerate(answer["issues"]):
                        key = issue_key(raw, position)
                        changelog = raw.get("changelog") if isinstance(raw, dict) else None
                        if key not in chunk:
                            continue
                        if not isinstance(changelog, dict):
                            read.problems.append(SnapshotProblem(key, "Jira's answer has no changelog"))
                        elif (problem := changelog_problem(changelog)) is not None:
                            read.problems.append(SnapshotProblem(key, f"unreadable changelog: {problem}"))
                        else:
                            read.found[key] = changelog
                break

    def issue_histories(self, keys: Iterable[str], *, batch: int = DEFAULT_PAGE_SIZE) -> IssueHistories:
        """What Jira says happened to each of ``keys`` (created, resolved, its changelog and comments): one
        search per ``batch`` keys (more only when Jira pages the answer, or names keys it does not have, which
        are then left out and searched for no more). Reads only. Keys that are not Jira keys are never searched."""
        wanted = sorted(set(keys))
        invalid = tuple(key for key in wanted if not ISSUE_KEY.fullmatch(key))
        valid = [key for key in wanted if ISSUE_KEY.fullmatch(key)]
        found: dict[str, IssueHistory] = {}
        missing: list[str] = []
        problems: list[SnapshotProblem] = []
        for index in range(0, len(valid), batch):
            chunk = valid[index : index + batch]
            while chunk:
                try:
                    answers = list(self._history_answers(chunk))
                except JiraBadRequest as error:
                    absent = missing_keys(error.messages)
                    if not absent or not set(absent) & set(chunk):
                        raise
                    missing += [key for key in chunk if key in absent]
                    chunk = [key for key in chunk if key not in absent]
                    continue
                for answer in answers:
                    for position, raw in enumerate(answer["issues"]):
                        if not isinstance(raw, dict):
                            unread = SnapshotProblem(issue_key(raw, position), "unreadable search result: no object")
                            problems.append(unread)
                            continue
                        try:
                            history = history_from_json(raw, self.deployment)
                        except JiraUnexpectedResponse as problem:
                            problems.append(SnapshotProblem(issue_key(raw, position), str(problem)))
                            continue
                        found[history.key] = history
                read = set(found) | {p.issue_key for p in problems}
                missing += [key for key in chunk if key not in read]  # e.g. moved to another project since
                break
        return IssueHistories(found, tuple(sorted(missing)), tuple(problems), invalid)

    def _history_answers(self, keys: list[str]) -> Iterator[dict[str, Any]]:
        body: dict[str, Any] = {
            "jql": keys_jql(keys),
            "maxResults": len(keys),
            "fields": list(HISTORY_FIELDS),
            "expand": "changelog" if self.deployment == "cloud" else ["changelog"],  # Data Center's body takes a list
        }
        if self.deployment == "cloud":
            return self._cloud_answers(body)
        return self._server_answers({**body, "jql": f"{body['jql']} ORDER BY key ASC"})

    def current_user(self) -> str:
        """Who these credentials act as: accountId on Cloud, username on Data Center (one request)."""
        myself = self._transport.get("myself")
        user = myself.get("accountId" if self.deployment == "cloud" else "name") if isinstance(myself, dict) else None
        if not isinstance(user, str):
            raise JiraUnexpectedResponse("myself answered without the user's id")
        return user

    # --- writes -----------------------------------------------------------------------------------
    def apply(self, decision: Decision, *, run_link: str | None = None) -> Applied:
        """Carry out one escalation: one PUT, plus one notify POST if the decision asks for it."""
        edit = issue_edit(decision, self.deployment, run_link, self.seal)
        params = None if self.notify_on_edit else {"notifyUsers": "false"}
        self._transport.put(f"issue/{edit.issue_key}", edit.body, params=params)
        if edit.notification is None:
            return Applied(edit.issue_key, notified=False, requests=1)
        try:
            self._transport.post(f"issue/{edit.issue_key}/notify", edit.notification)
        except JiraError as error:  # the escalation itself is in Jira: report the lost e-mail, do not fail it
            return Applied(edit.issue_key, notified=False, requests=2, notify_error=str(error))
        return Applied(edit.issue_key, notified=True, requests=2)

    def missing_projects(self, keys: Iterable[str]) -> list[str]:
        """The project keys this Jira does not have, or does not show escalator (one request each)."""
        missing = []
        for key in keys:
            try:
                self._transport.get(f"project/{key}")
            except JiraNotFound:
                missing.append(key)
        return missing

    # --- checks -----------------------------------------------------------------------------------
    def preflight(self, policy: Policy, *, jql: str | None = None, writes: bool = True) -> PreflightReport:
        """Check the credentials, priorities, people, custom fields and scope of ``policy`` against this Jira,
        and (``writes``) whether Jira lets escalator write what it asks in each project and issue type of the
        scope; ``jql``: the query the sweep will search instead of the bare scope (checked and counted)."""
        report = run_preflight(self._transport, self.deployment, policy, jql=jql, writes=writes)
        self.acting_user = report.user
        self.status_names.update(report.status_names)
        return dataclasses.replace(report, states_signed=self.seal.signed)


def partitioned_pages(
    sources: Sequence[Iterator[SearchPage]], *, readers: int | None = None, buffered: int = 4
) -> Iterator[SearchPage]:
    """Pages from several searches at once, in the order they arrive. ``readers`` threads (default: one per
    search) each page one search to its end, then take the next not yet begun: with more searches than readers, a
    search that holds more issues than the others is not left to page alone at the end while the rest wait (created
    time slices of equal length hold unequal numbers of issues). At most ``buffered`` pages per reader wait in
    memory; an error in any search is raised here, after the readers are stopped."""
    done = object()
    count = min(readers or len(sources), len(sources))
    pages: queue.Queue[object] = queue.Queue(maxsize=buffered * count)
    unread: queue.SimpleQueue[Iterator[SearchPage]] = queue.SimpleQueue()
    for source in sources:
        unread.put(source)
    stop = threading.Event()

    def pump() -> None:
        try:
            while not stop.is_set():
                try:
                    source = unread.get_nowait()
                except queue.Empty:
                    break
                for page in source:
                    while not stop.is_set():
                        try:
                            pages.put(page, timeout=0.1)
                            break
                        except queue.Full:
                            continue
                    if stop.is_set():
                        return
            pages.put(done)
        except BaseException as error:  # handed to the consumer, which raises it
            pages.put(error)

    threads = [threading.Thread(target=pump, daemon=True) for _ in range(count)]
    for thread in threads:
        thread.start()
    finished = 0
    try:
        while finished < count:
            item = pages.get()
            if item is done:
                finished += 1
            elif isinstance(item, BaseException):
                raise item
            else:
                yield item  # type: ignore[misc]
    finally:
        stop.set()
        while True:  # unblock readers waiting on a full queue
            try:
                pages.get_nowait()
            except queue.Empty:
                break
