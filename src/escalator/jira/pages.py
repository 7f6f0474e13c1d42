"""Search answers, read with suspicion. Pure: no I/O.

Whatever a search answers (Jira, a proxy in front of it, or someone pretending to be either), it may cost one
issue or end one search with a clear error; it must never crash the sweep, hang it, or touch another issue.

- A page that is not an object with an ``issues`` list is a ``JiraProtocolError``: nothing on it can be read.
- An entry of ``issues`` that is not an issue (not an object, no usable ``key``, no ``fields`` object, a field
  of the wrong JSON type, values nested deeper than any Jira field) costs that issue alone: it becomes a
  ``SnapshotProblem`` naming it and what is wrong, and the other issues of the page are read as usual. Only
  then does ``snapshot.py`` read the values.
- Paging is watched. Cloud pages by ``nextPageToken``; a token it gave before would page for ever (the ``jira``
  client does exactly that), so it ends the search. Data Center pages by ``startAt`` against ``total``; the
  first page says how many pages to expect, and a server that keeps raising ``total`` ends the search once it
  has sent more pages than that, plus a margin for issues created during the sweep (``page_limit``).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from escalator.core.issue import STATE_PROPERTY_KEY, IssueSnapshot, SnapshotProblem
from escalator.jira.errors import JiraProtocolError, JiraUnexpectedResponse
from escalator.jira.page_schema import CheckedPage
from escalator.jira.snapshot import Deployment, display_names, snapshot_fields, validated_snapshots
from escalator.jira.state_seal import StateSeal

__all__ = [
    "MAX_VALUE_DEPTH",
    "CloudPaging",
    "SearchPage",
    "ServerPaging",
    "changelog_problem",
    "issue_problem",
    "page_issues",
    "page_limit",
    "read_page",
]

MAX_VALUE_DEPTH = 16
"""Deepest nesting of a custom field or the state property; Jira's deepest (a cascading select) is 3."""

MAX_KEY_LENGTH = 255


@dataclass(frozen=True)
class SearchPage:
    """One page of a search: its issues, the problems found in their data (never dropped silently), the display
    names of the people assigned its issues, by id (for the records, beside the ids), and Jira's id of each issue
    read, by key (the changelog operations answer by it)."""

    issues: list[IssueSnapshot]
    problems: list[SnapshotProblem]
    people: dict[str, str] = field(default_factory=dict)
    ids: dict[str, str] = field(default_factory=dict)


def page_issues(answer: Any) -> list[Any]:
    """The ``issues`` of a search answer, unread; ``JiraProtocolError`` when the answer is not a page."""
    if not isinstance(answer, dict):
        raise JiraProtocolError(f"a search answered {_kind(answer)}, not a page object")
    issues = answer.get("issues")
    if not isinstance(issues, list):
        raise JiraProtocolError(f"a search answered a page whose 'issues' is {_kind(issues)}, not a list")
    return issues


def read_page(
    answer: Any,
    deployment: Deployment,
    custom_fields: Iterable[str] = (),
    acting_user: str | None = None,
    seal: StateSeal | None = None,
    status_names: Mapping[str, str] | None = None,
) -> SearchPage:
    """Every issue of one search answer as a snapshot (a state it cannot trust is the snapshot's
    ``state_problem``), or as the problem that kept it from being one. ``acting_user`` and ``seal`` as for
    ``snapshot_from_json``."""
    custom = list(custom_fields)
    problems: list[tuple[int, SnapshotProblem]] = []  # by place on the page
    read: list[tuple[int, str, Any, dict[str, Any]]] = []  # place, key, the issue as sent, its snapshot's fields
    checked = isinstance(answer, CheckedPage)  # its JSON types are checked (``page_schema``)
    for position, raw in enumerate(page_issues(answer)):
        key = issue_key(raw, position)
        wrong = _value_problem(raw, custom) if checked else issue_problem(raw, deployment, custom)
        if wrong is not None:
            problems.append((position, SnapshotProblem(key, f"unreadable search result: {wrong}")))
            continue
        try:
            read.append((position, key, raw, snapshot_fields(raw, deployment, custom, acting_user, seal, status_names)))
        except JiraUnexpectedResponse as error:
            problems.append((position, SnapshotProblem(key, str(error))))
    issues: list[IssueSnapshot] = []
    ids: dict[str, str] = {}
    people: dict[str, str] = {}
    snapshots = validated_snapshots([values for *_, values in read])  # the page's snapshots in one call
    for (position, key, raw, _), snapshot in zip(read, snapshots, strict=True):
        if isinstance(snapshot, JiraUnexpectedResponse):
            problems.append((position, SnapshotProblem(key, str(snapshot))))
            continue
        issues.append(snapshot)
        people.update(display_names(raw["fields"], deployment))
        if isinstance(raw.get("id"), str) and raw["id"].isdigit():
            ids[key] = raw["id"]
    return SearchPage(issues, [problem for _, problem in sorted(problems, key=lambda found: found[0])], people, ids)


def issue_key(raw: Any, position: int) -> str:
    """The key to record a problem under: the issue's own when it has a usable one, else its place on the page
    (which no real issue key can be, so the problem never silences another issue)."""
    key = raw.get("key") if isinstance(raw, dict) else None
    return str(key) if _usable_key(key) else f"(search result {position + 1} of its page)"


def issue_problem(raw: Any, deployment: Deployment, custom_fields: Iterable[str] = ()) -> str | None:
    """What keeps ``raw`` from being read as an issue of a search answer, or None: a check of JSON types only,
    field by field, before any value is trusted."""
    if not isinstance(raw, dict):
        return f"expected an issue object, got {_kind(raw)}"
    if not _usable_key(raw.get("key")):
        return f"key: expected an issue key, got {_kind(raw.get('key'))}"
    fields = raw.get("fields")
    if not isinstance(fields, dict):
        return f"fields: expected an object, got {_kind(fields)}"
    person = "accountId" if deployment == "cloud" else "name"
    checks: list[tuple[str, Any, str]] = [
        ("project", fields.get("project"), "key"),
        ("issuetype", fields.get("issuetype"), "name"),
    ]
    for name, value, attribute in checks:
        if not _named(value, attribute):
            return f"fields.{name}: expected an object with a text {attribute!r}, got {_kind(value)}"
    for name, attribute in (("status", "name"), ("priority", "name"), ("assignee", person), ("reporter", person)):
        value = fields.get(name)
        if value is not None and not _named(value, attribute):
            return f"fields.{name}: expected null or an object with a text {attribute!r}, got {_kind(value)}"
    status = fields.get("status")
    category = status.get("statusCategory") if isinstance(status, dict) else None
    if category is not None and not isinstance(category, dict):
        return f"fields.status.statusCategory: expected an object, got {_kind(category)}"
    if not isinstance(fields.get("created"), str):
        return f"fields.created: expected a time as text, got {_kind(fields.get('created'))}"
    if fields.get("updated") is not None and not isinstance(fields.get("updated"), str):
        return f"fields.updated: expected a time as text, got {_kind(fields.get('updated'))}"
    labels = fields.get("labels")
    if labels is not None and not (isinstance(labels, list) and all(isinstance(label, str) for label in labels)):
        return f"fields.labels: expected a list of texts, got {_kind(labels)}"
    components = fields.get("components")
    if components is not None and not (isinstance(components, list) and all(_named(c, "name") for c in components)):
        return f"fields.components: expected a list of objects with a text 'name', got {_kind(components)}"
    return _value_problem(raw, custom_fields)


def _value_problem(raw: dict[str, Any], custom_fields: Iterable[str]) -> str | None:
    """What ``issue_problem`` finds wrong with an issue whose JSON types are right: its key's form, values
    nested deeper than any Jira field, the changelog."""
    if not _usable_key(raw.get("key")):
        return f"key: expected an issue key, got {_kind(raw.get('key'))}"
    fields = raw["fields"]
    for name in custom_fields:
        if _depth(fields.get(name)) > MAX_VALUE_DEPTH:
            return f"fields.{name}: nested deeper than {MAX_VALUE_DEPTH} levels"
    return _properties_problem(raw.get("properties")) or changelog_problem(raw.get("changelog"))


def _properties_problem(properties: Any) -> str | None:
    if properties is None:
        return None
    if not isinstance(properties, dict):
        return f"properties: expected an object, got {_kind(properties)}"
    if _depth(properties.get(STATE_PROPERTY_KEY)) > MAX_VALUE_DEPTH:
        return f"properties.{STATE_PROPERTY_KEY}: nested deeper than {MAX_VALUE_DEPTH} levels"
    return None


def changelog_problem(changelog: Any) -> str | None:
    """What keeps ``changelog`` (``{"histories": [...], ...}``, as a search embeds it) from being read, or None."""
    if changelog is None:
        return None
    if not isinstance(changelog, dict):
        return f"changelog: expected an object, got {_kind(changelog)}"
    histories = changelog.get("histories")
    if histories is None:
        return None
    if not isinstance(histories, list):
        return f"changelog.histories: expected a list, got {_kind(histories)}"
    for number, history in enumerate(histories):
        where = f"changelog.histories[{number}]"
        if not isinstance(history, dict):
            return f"{where}: expected an object, got {_kind(history)}"
        if not isinstance(history.get("created"), str):
            return f"{where}.created: expected a time as text, got {_kind(history.get('created'))}"
        author = history.get("author")
        if author is not None and not isinstance(author, dict):
            return f"{where}.author: expected null or an object, got {_kind(author)}"
        items = history.get("items")
        if items is not None and not (isinstance(items, list) and all(isinstance(item, dict) for item in items)):
            return f"{where}.items: expected a list of objects, got {_kind(items)}"
    return None


class CloudPaging:
    """Jira Cloud's ``nextPageToken`` paging, watched: feed it each answer; it gives the token to ask for the
    next page with, or None at the end."""

    def __init__(self) -> None:
        self._seen: dict[str, int] = {}
        self.pages = 0

    def next_token(self, answer: Mapping[str, Any]) -> str | None:
        self.pages += 1
        token, is_last = answer.get("nextPageToken"), answer.get("isLast")
        if is_last is not None and not isinstance(is_last, bool):
            raise JiraProtocolError(f"search page {self.pages}: 'isLast' is {_kind(is_last)}, not true or false")
        if token is not None and not isinstance(token, str):
            raise JiraProtocolError(f"search page {self.pages}: 'nextPageToken' is {_kind(token)}, not text")
        if is_last is True:
            return None
        if not token:
            if is_last is False:
                raise JiraProtocolError(f"search page {self.pages} is not the last (isLast: false) but has no token")
            return None
        if token in self._seen:
            raise JiraProtocolError(
                f"search page {self.pages} gives the nextPageToken of page {self._seen[token]} again: "
                "the search would never end, so it stops here"
            )
        self._seen[token] = self.pages
        return token


class ServerPaging:
    """Jira Data Center's ``startAt``/``total`` paging, watched: feed it each answer and how many entries its
    ``issues`` held; it gives the ``startAt`` of the next page, or None at the end."""

    def __init__(self) -> None:
        self.start = 0
        self.pages = 0
        self.limit: int | None = None

    def next_start(self, answer: Mapping[str, Any], entries: int) -> int | None:
        self.pages += 1
        total = answer.get("total")
        if isinstance(total, bool) or not isinstance(total, int) or total < 0:
            raise JiraProtocolError(f"search page {self.pages}: 'total' is {_kind(total)}, not a count")
        self.start += entries
        if entries == 0 or self.start >= total:
            return None
        if self.limit is None:
            self.limit = page_limit(-(-total // entries))
        if self.pages >= self.limit:
            raise JiraProtocolError(
                f"search page {self.pages}: Jira still announces more issues ({total}) after {self.pages} pages, "
                f"well beyond what its first page implied; the search stops here"
            )
        return self.start


def page_limit(announced: int) -> int:
    """The pages a Data Center search may take when its first page implied ``announced``: a tenth more, and at
    least two more, for issues created while the sweep pages (with offsets, they push later issues back)."""
    return announced + max(2, announced // 10)


def _usable_key(key: Any) -> bool:
    return isinstance(key, str) and 0 < len(key) <= MAX_KEY_LENGTH and key.isprintable() and " " not in key


def _named(value: Any, attribute: str) -> bool:
    return isinstance(value, dict) and isinstance(value.get(attribute), str)


def _depth(value: Any) -> int:
    """How deeply ``value`` nests lists and objects (a scalar is 0), without recursion."""
    if not isinstance(value, dict | list):  # most values checked (no state property, a plain custom field)
        return 0
    deepest = 0
    stack: list[tuple[Any, int]] = [(value, 0)]
    while stack:
        node, depth = stack.pop()
        if isinstance(node, dict | list):
            depth += 1
            deepest = max(deepest, depth)
            if deepest > MAX_VALUE_DEPTH:
                return deepest
            stack.extend((child, depth) for child in (node.values() if isinstance(node, dict) else node))
    return deepest


def _kind(value: Any) -> str:
    """A JSON value named by its type, never by its content (which could be huge, or a secret)."""
    if value is None:
        return "null"
    names = {bool: "a boolean", int: "a number", float: "a number", str: "text", list: "a list", dict: "an object"}
    return names.get(type(value), type(value).__name__)
