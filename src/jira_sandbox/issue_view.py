"""How issues look on the wire: field selection (`fields=`), `expand=changelog,names`, inline
`properties=`, comments and changelog pages, batch-loaded so a page of 100 issues costs a handful of
queries. Reads only; never writes.
"""

from __future__ import annotations

import json
import sqlite3
from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from jira_sandbox import adf, catalog, jiratime
from jira_sandbox import users as user_store
from jira_sandbox.fields import FieldSpec, all_fields
from jira_sandbox.settings import Mode
from jira_sandbox.urls import ApiUrls

ISSUE_EXPAND = "renderedFields,names,schema,operations,editmeta,changelog,versionedRepresentations"
USER_FIELDS = frozenset({"assignee", "reporter", "creator"})


@dataclass(frozen=True)
class FieldSelection:
    """Which fields to print, from Jira's `fields` parameter (`*all`, `*navigable`, `id`, `-name`)."""

    every: bool
    navigable: bool
    include: frozenset[str]
    exclude: frozenset[str]

    @classmethod
    def parse(cls, values: Iterable[str] | str | None, default: str) -> FieldSelection:
        if isinstance(values, str):
            values = [values]
        tokens = [t.strip() for value in (values or []) for t in str(value).split(",") if t.strip()]
        positives = [t for t in tokens if not t.startswith("-")]
        if not positives:
            positives = [default]
        return cls(
            every="*all" in positives,
            navigable="*navigable" in positives,
            include=frozenset(t for t in positives if not t.startswith("*")),
            exclude=frozenset(t[1:] for t in tokens if t.startswith("-")),
        )

    def wants(self, spec: FieldSpec) -> bool:
        if spec.id in self.exclude:
            return False
        if self.every or spec.id in self.include:
            return True
        return self.navigable and spec.navigable

    @property
    def only_identity(self) -> bool:
        return not self.every and not self.navigable and self.include <= {"id", "key"}


class _People(dict[str | None, Any]):
    """Users as an issue field shows them, by account id (None for none), each looked up once."""

    def __init__(self, lookup: Callable[[str | None], Any]) -> None:
        super().__init__({None: None})
        self._lookup = lookup

    def __missing__(self, account_id: str | None) -> Any:
        found = self[account_id] = self._lookup(account_id)
        return found


class IssueRenderer:
    """Prints issues for one request (one mode, one URL base); caches reference data per request."""

    def __init__(self, db: sqlite3.Connection, urls: ApiUrls, mode: Mode) -> None:
        self.db = db
        self.urls = urls
        self.mode = mode
        self.v3 = urls.version == "3"
        self.fields = all_fields(db)
        self._tables: dict[str, dict[int, dict[str, Any]]] = {}
        self._users: dict[str, dict[str, Any] | None] = {}
        self._getters: dict[str, Callable[[sqlite3.Row], Any]] | None = None

    def _table(self, table: str) -> dict[int, dict[str, Any]]:
        if table not in self._tables:
            printers = {
                "priorities": catalog.render_priority,
                "statuses": catalog.render_status,
                "resolutions": catalog.render_resolution,
                "issue_types": catalog.render_issue_type,
                "projects": catalog.render_project,
                "components": catalog.render_component,
            }
            rows = self.db.execute(f"SELECT * FROM {table}").fetchall()
            self._tables[table] = {row["id"]: printers[table](row, self.urls) for row in rows}
        return self._tables[table]

    def user(self, account_id: str | None, *, details: bool = False) -> dict[str, Any] | None:
        """A user as an issue field shows it, or (`details`) as comments and changelogs embed it."""
        if account_id is None:
            return None
        cache_key = f"{account_id}\n{details}"
        if cache_key not in self._users:
            found = user_store.by_account_id(self.db, account_id)
            rendered = None if found is None else user_store.render(found, self.mode, self.urls, details=details)
            self._users[cache_key] = rendered
        return self._users[cache_key]

    def user_ref(self, account_id: str | None) -> str | None:
        """How a changelog item names a user: accountId on Cloud, username on Server."""
        if account_id is None or self.mode == "cloud":
            return account_id
        found = user_store.by_account_id(self.db, account_id)
        return account_id if found is None else found.name

    def text(self, value: str | None) -> Any:
        if value is None:
            return None
        return adf.from_text(value) if self.v3 else value

    def names(self) -> dict[str, str]:
        return {spec.id: spec.name for spec in self.fields}

    def render_many(
        self,
        issue_ids: Sequence[int],
        selection: FieldSelection,
        *,
        expand: frozenset[str] = frozenset(),
        properties: Sequence[str] = (),
    ) -> list[dict[str, Any]]:
        """Issues in the order of `issue_ids`."""
        if not issue_ids:
            return []
        marks = ",".join("?" * len(issue_ids))
        cursor = self.db.cursor()
        cursor.row_factory = None  # plain tuples, read by column position: a page reads about a thousand fields
        cursor.execute(f"SELECT * FROM issues WHERE id IN ({marks})", issue_ids)
        column = {description[0]: index for index, description in enumerate(cursor.description)}
        id_at = column["id"]
        rows = {row[id_at]: row for row in cursor}
        wanted = [spec for spec in self.fields if selection.wants(spec)]
        wanted_ids = {spec.id for spec in wanted}
        labels = (
            self._many(f"SELECT issue_id, label FROM issue_labels WHERE issue_id IN ({marks})", issue_ids)
            if "labels" in wanted_ids
            else {}
        )
        components = (
            self._many(f"SELECT issue_id, component_id FROM issue_components WHERE issue_id IN ({marks})", issue_ids)
            if "components" in wanted_ids
            else {}
        )
        customs: dict[int, dict[int, Any]] = defaultdict(dict)
        if any(spec.custom for spec in wanted):
            for row in self.db.execute(f"SELECT * FROM issue_custom_values WHERE issue_id IN ({marks})", issue_ids):
                value = row["number_value"] if row["text_value"] is None else row["text_value"]
                customs[row["issue_id"]][row["field_id"]] = value
        props: dict[int, dict[str, Any]] = defaultdict(dict)
        property_keys = [key for key in properties if key]
        if property_keys:
            key_marks = ",".join("?" * len(property_keys))
            for row in self.db.execute(
                f"SELECT issue_id, key, value FROM issue_properties"
                f" WHERE issue_id IN ({marks}) AND key IN ({key_marks})",
                [*issue_ids, *property_keys],
            ):
                props[row["issue_id"]][row["key"]] = json.loads(row["value"])
        comments = self.comments_by_issue(issue_ids) if "comment" in wanted_ids else {}
        histories = self.histories_by_issue(issue_ids) if "changelog" in expand else {}
        readers = self._readers(wanted, column, labels, components, customs, comments)
        key_at = column["key"]
        issue_url = f"{self.urls.api}/issue/"
        rendered: list[dict[str, Any]] = []
        for issue_id in issue_ids:
            row = rows.get(issue_id)
            if row is None:
                continue
            body: dict[str, Any] = {
                "expand": ISSUE_EXPAND,
                "id": str(issue_id),
                "self": f"{issue_url}{issue_id}",
                "key": row[key_at],
            }
            body["fields"] = {field_id: read(row) for field_id, read in readers}
            if property_keys:
                body["properties"] = props.get(issue_id, {})
            if "changelog" in expand:
                history = histories.get(issue_id, [])
                body["changelog"] = {
                    "startAt": 0,
                    "maxResults": len(history),
                    "total": len(history),
                    "histories": history,
                }
            if "names" in expand:
                body["names"] = {spec.id: spec.name for spec in wanted}
            rendered.append(body)
        return rendered

    def _readers(
        self,
        wanted: Sequence[FieldSpec],
        column: dict[str, int],
        labels: dict[int, list[Any]],
        components: dict[int, list[Any]],
        customs: dict[int, dict[int, Any]],
        comments: dict[int, list[dict[str, Any]]],
    ) -> list[tuple[str, Callable[[tuple[Any, ...]], Any]]]:
        """How each wanted field is read from an issue row (a tuple of `SELECT * FROM issues`, `column` naming its
        positions) and the page's batch-loaded labels, components, custom values and comments, in `wanted`'s
        order. Built once per page: a page of 100 issues reads about a thousand fields."""
        id_at = column["id"]
        Reader = Callable[[tuple[Any, ...]], Any]

        def ref(table: str, name: str) -> Reader:
            at, printed = column[name], self._table(table)
            return lambda row: printed.get(row[at])  # None for no value (no row has id None) and for an unknown id

        def when(name: str) -> Reader:
            at = column[name]
            return lambda row: None if row[at] is None else jiratime.format_jira(row[at])

        def person(name: str) -> Reader:
            at, people = column[name], _People(self.user)
            return lambda row: people[row[at]]

        def text(name: str) -> Reader:
            at = column[name]
            return lambda row: self.text(row[at])

        def plain(name: str) -> Reader:
            at = column[name]
            return lambda row: row[at]

        def due() -> Reader:
            at = column["due_date"]
            return lambda row: None if row[at] is None else jiratime.format_date(row[at])

        def custom(custom_id: int) -> Reader:
            return lambda row: customs.get(row[id_at], {}).get(custom_id)

        def sorted_labels() -> Reader:
            return lambda row: sorted(labels.get(row[id_at], []))

        def issue_components() -> Reader:
            table = self._table("components")

            def get(row: tuple[Any, ...]) -> Any:
                return [table[cid] for cid in components.get(row[id_at], []) if cid in table]

            return get

        def comment_page() -> Reader:
            def get(row: tuple[Any, ...]) -> Any:
                page = comments.get(row[id_at], [])
                return {
                    "comments": page,
                    "self": f"{self.urls.issue(row[id_at])}/comment",
                    "maxResults": len(page),
                    "total": len(page),
                    "startAt": 0,
                }

            return get

        system: dict[str, Callable[[], Reader]] = {
            "summary": lambda: plain("summary"),
            "description": lambda: text("description"),
            "issuetype": lambda: ref("issue_types", "issue_type_id"),
            "project": lambda: ref("projects", "project_id"),
            "status": lambda: ref("statuses", "status_id"),
            "priority": lambda: ref("priorities", "priority_id"),
            "resolution": lambda: ref("resolutions", "resolution_id"),
            "assignee": lambda: person("assignee"),
            "reporter": lambda: person("reporter"),
            "creator": lambda: person("creator"),
            "created": lambda: when("created"),
            "updated": lambda: when("updated"),
            "resolutiondate": lambda: when("resolution_date"),
            "duedate": due,
            "labels": sorted_labels,
            "components": issue_components,
            "comment": comment_page,
        }
        readers: list[tuple[str, Reader]] = []
        for spec in wanted:
            if spec.custom:
                custom_id = spec.custom_id
                readers.append((spec.id, (lambda row: None) if custom_id is None else custom(custom_id)))
            else:
                build = system.get(spec.id)
                readers.append((spec.id, (lambda row: None) if build is None else build()))
        return readers

    def _many(self, sql: str, params: Sequence[int]) -> dict[int, list[Any]]:
        grouped: dict[int, list[Any]] = defaultdict(list)
        for issue_id, value in self.db.execute(sql, params):
            grouped[issue_id].append(value)
        return grouped

    def comment(self, row: sqlite3.Row) -> dict[str, Any]:
        author = self.user(row["author"], details=True)
        return {
            "self": self.urls.comment(row["issue_id"], row["id"]),
            "id": str(row["id"]),
            "author": author,
            "body": self.text(row["body"]),
            "updateAuthor": author,
            "created": jiratime.format_jira(row["created"]),
            "updated": jiratime.format_jira(row["updated"]),
            "jsdPublic": True,
        }

    def comments_by_issue(self, issue_ids: Sequence[int]) -> dict[int, list[dict[str, Any]]]:
        marks = ",".join("?" * len(issue_ids))
        grouped: dict[int, list[dict[str, Any]]] = defaultdict(list)
        for row in self.db.execute(f"SELECT * FROM comments WHERE issue_id IN ({marks}) ORDER BY id", issue_ids):
            grouped[row["issue_id"]].append(self.comment(row))
        return grouped

    def histories_by_issue(self, issue_ids: Sequence[int]) -> dict[int, list[dict[str, Any]]]:
        """Changelog histories per issue, oldest first, in Jira's shape."""
        marks = ",".join("?" * len(issue_ids))
        changes = self.db.execute(
            f"SELECT * FROM changes WHERE issue_id IN ({marks}) ORDER BY created, id", issue_ids
        ).fetchall()
        if not changes:
            return {}
        items: dict[int, list[dict[str, Any]]] = defaultdict(list)
        change_marks = ",".join("?" * len(changes))
        for item in self.db.execute(
            f"SELECT * FROM change_items WHERE change_id IN ({change_marks}) ORDER BY change_id, seq",
            [change["id"] for change in changes],
        ):
            items[item["change_id"]].append(self.change_item(item))
        grouped: dict[int, list[dict[str, Any]]] = defaultdict(list)
        for change in changes:
            history: dict[str, Any] = {"id": str(change["id"])}
            author = self.user(change["author"], details=True)
            if author is not None:
                history["author"] = author
            history["created"] = jiratime.format_jira(change["created"])
            history["items"] = items.get(change["id"], [])
            grouped[change["issue_id"]].append(history)
        return grouped

    def change_item(self, item: sqlite3.Row) -> dict[str, Any]:
        is_user = item["field"] in USER_FIELDS
        body: dict[str, Any] = {"field": item["field"], "fieldtype": item["fieldtype"]}
        if self.mode == "cloud":
            body["fieldId"] = item["field_id"]
        body["from"] = self.user_ref(item["from_value"]) if is_user else item["from_value"]
        body["fromString"] = item["from_string"]
        body["to"] = self.user_ref(item["to_value"]) if is_user else item["to_value"]
        body["toString"] = item["to_string"]
        return body
