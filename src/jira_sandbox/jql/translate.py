"""JQL syntax tree to SQL over the sandbox's tables (alias `i` for `issues`).

Names are resolved to ids here (so an unknown project, status, priority or user is Jira's 400, and the
SQL compares integer columns that are indexed); multi-valued fields (labels, components, custom fields)
become EXISTS subqueries. Jira's empty-value rules hold: `!=` and `NOT IN` never match an empty field.
"""

from __future__ import annotations

import re
import sqlite3
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from jira_sandbox import users as user_store
from jira_sandbox.catalog import STATUS_CATEGORIES, find_project_id
from jira_sandbox.errors import bad_request
from jira_sandbox.jql import dates
from jira_sandbox.jql.ast import And, Clause, EmptyValue, FunctionCall, Node, Not, Or, Query, Value, ValueList
from jira_sandbox.jql.fields import (
    DATE_COLUMNS,
    EQUALITY,
    KEY_PATTERN,
    OPERATORS,
    ORDERING,
    REF_TABLES,
    TEXT,
    resolve_field,
)
from jira_sandbox.jql.ordering import order_by_sql

Item = Value | EmptyValue | FunctionCall


@dataclass(frozen=True)
class TranslationContext:
    """What a query is evaluated against: the database (for names), `now` and the searching user."""

    db: sqlite3.Connection
    now: int
    current_user: str | None = None


@dataclass
class SqlQuery:
    where: str
    params: list[object] = field(default_factory=list)
    order_by: str = "i.id DESC"

    def select_ids(self) -> tuple[str, list[object]]:
        return f"SELECT i.id FROM issues i WHERE {self.where} ORDER BY {self.order_by}", list(self.params)

    def count(self) -> tuple[str, list[object]]:
        return f"SELECT COUNT(*) FROM issues i WHERE {self.where}", list(self.params)


def _marks(values: Sequence[object]) -> str:
    return ",".join("?" * len(values))


def _does_not_exist(value: str, field_name: str) -> Exception:
    return bad_request(f"The value '{value}' does not exist for the field '{field_name}'.")


_NEVER_NULL = re.compile(r"i\.(created|updated) (<|<=|>|>=) \?")
"""A comparison of an instant no issue lacks with a bound value: never NULL, so it needs no COALESCE, and left bare
SQLite can answer it from the column's index (a sweep's created-time slices read a tenth of the issues)."""


class _Translator:
    def __init__(self, ctx: TranslationContext) -> None:
        self.ctx = ctx
        self.db = ctx.db
        self.params: list[object] = []

    # --- tree -------------------------------------------------------------------------------------
    def node(self, node: Node) -> str:
        if isinstance(node, And):
            return "(" + " AND ".join(self.node(child) for child in node.children) + ")"
        if isinstance(node, Or):
            return "(" + " OR ".join(self.node(child) for child in node.children) + ")"
        if isinstance(node, Not):
            return f"(NOT COALESCE({self.node(node.child)}, 0))"
        sql = self.clause(node)
        return sql if _NEVER_NULL.fullmatch(sql) else f"COALESCE({sql}, 0)"

    def bind(self, *values: object) -> str:
        self.params.extend(values)
        return _marks(values)

    # --- fields -----------------------------------------------------------------------------------
    def resolve_field(self, name: str) -> tuple[str, int | None]:
        return resolve_field(self.db, name)

    def clause(self, clause: Clause) -> str:
        canonical, custom_id = self.resolve_field(clause.field)
        if custom_id is not None:
            return self.custom_clause(clause, custom_id)
        allowed = OPERATORS[canonical]
        if clause.operator.upper() not in allowed:
            raise bad_request(f"The operator '{clause.operator}' is not supported by the '{clause.field}' field.")
        items = clause.operand.items if isinstance(clause.operand, ValueList) else (clause.operand,)
        operator = clause.operator.upper()
        if canonical == "project":
            return self.column_clause("i.project_id", operator, items, lambda v: self.project_ids(v, clause.field))
        if canonical == "key":
            return self.key_clause(operator, items, clause.field)
        if canonical in ("assignee", "reporter", "creator"):
            return self.column_clause(f"i.{canonical}", operator, items, lambda v: self.user_ids(v, clause.field))
        if canonical == "statuscategory":
            return self.column_clause("i.status_id", operator, items, lambda v: self.category_ids(v, clause.field))
        if canonical in REF_TABLES:
            column, table = REF_TABLES[canonical]
            if operator in ORDERING:
                return self.priority_order_clause(operator, items, clause.field)
            return self.column_clause(
                f"i.{column}", operator, items, lambda v: self.ref_ids(table, v, clause.field, canonical)
            )
        if canonical == "labels":
            return self.multi_clause(
                "SELECT 1 FROM issue_labels l WHERE l.issue_id = i.id",
                "l.label",
                operator,
                items,
                lambda v: [v.text],
            )
        if canonical == "component":
            return self.multi_clause(
                "SELECT 1 FROM issue_components ic WHERE ic.issue_id = i.id",
                "ic.component_id",
                operator,
                items,
                lambda v: self.component_ids(v, clause.field),
            )
        if canonical in DATE_COLUMNS:
            return self.date_clause(f"i.{DATE_COLUMNS[canonical]}", operator, items, clause.field)
        return self.text_clause(canonical, operator, items)

    # --- single-valued columns --------------------------------------------------------------------
    def column_clause(
        self,
        column: str,
        operator: str,
        items: Sequence[Item],
        resolve: Callable[[Value | FunctionCall], list[object]],
    ) -> str:
        ids: list[object] = []
        with_empty = False
        for item in items:
            if isinstance(item, EmptyValue):
                with_empty = True
            else:
                resolved = resolve(item)
                with_empty = with_empty or None in resolved
                ids.extend(value for value in resolved if value is not None)
        if operator in ("IS", "IS NOT"):
            return f"{column} IS {'NOT ' if operator == 'IS NOT' else ''}NULL"
        positive = operator in ("=", "IN")
        parts: list[str] = []
        if ids:
            parts.append(f"{column} {'IN' if positive else 'NOT IN'} ({self.bind(*ids)})")
        elif not with_empty:
            parts.append("0" if positive else f"{column} IS NOT NULL")
        if with_empty:
            parts.append(f"{column} IS {'' if positive else 'NOT '}NULL")
        return "(" + (" OR " if positive else " AND ").join(parts) + ")"

    def project_ids(self, item: Value | FunctionCall, name: str) -> list[object]:
        text = self.literal(item, name)
        project_id = find_project_id(self.db, text)
        if project_id is None:
            raise _does_not_exist(text, name)
        return [project_id]

    def ref_ids(self, table: str, item: Value | FunctionCall, name: str, canonical: str) -> list[object]:
        text = self.literal(item, name)
        if canonical == "resolution" and text.lower() == "unresolved":
            return [None]
        row = self.db.execute(f"SELECT id FROM {table} WHERE name = ? OR CAST(id AS TEXT) = ?", (text, text)).fetchone()
        if row is None:
            raise _does_not_exist(text, name)
        return [row["id"]]

    def category_ids(self, item: Value | FunctionCall, name: str) -> list[object]:
        text = self.literal(item, name).lower()
        for category in STATUS_CATEGORIES.values():
            if text in (category.key, category.name.lower(), str(category.id)):
                rows = self.db.execute("SELECT id FROM statuses WHERE category = ?", (category.key,))
                return [row["id"] for row in rows] or [-1]
        raise _does_not_exist(self.literal(item, name), name)

    def user_ids(self, item: Value | FunctionCall, name: str) -> list[object]:
        if isinstance(item, FunctionCall):
            function = item.name.lower()
            if function == "currentuser":
                return [self.ctx.current_user] if self.ctx.current_user else []
            if function == "membersof":
                group = item.args[0] if item.args else ""
                members = user_store.group_members(self.db, group)
                if members is None:
                    raise bad_request(
                        f"Function 'membersOf' can not generate a list of usernames for group '{group}';"
                        " the group does not exist."
                    )
                return list(members) or [""]
            raise bad_request(f"Unable to find JQL function '{item.name}({', '.join(item.args)})'.")
        user = user_store.by_any(self.db, item.text)
        if user is None:
            raise _does_not_exist(item.text, name)
        return [user.account_id]

    def component_ids(self, item: Value | FunctionCall, name: str) -> list[object]:
        text = self.literal(item, name)
        rows = self.db.execute(
            "SELECT id FROM components WHERE name = ? OR CAST(id AS TEXT) = ?", (text, text)
        ).fetchall()
        if not rows:
            raise _does_not_exist(text, name)
        return [row["id"] for row in rows]

    def literal(self, item: Value | FunctionCall, name: str) -> str:
        if isinstance(item, FunctionCall):
            raise bad_request(f"Unable to find JQL function '{item.name}({', '.join(item.args)})' for field '{name}'.")
        return item.text

    # --- priority ordering and keys ---------------------------------------------------------------
    def priority_order_clause(self, operator: str, items: Sequence[Item], name: str) -> str:
        if name.lower() != "priority" or len(items) != 1 or not isinstance(items[0], Value):
            raise bad_request(f"The operator '{operator}' is not supported by the '{name}' field.")
        text = items[0].text
        row = self.db.execute(
            "SELECT sequence FROM priorities WHERE name = ? OR CAST(id AS TEXT) = ?", (text, text)
        ).fetchone()
        if row is None:
            raise _does_not_exist(text, name)
        # A higher priority has a lower sequence: `priority > High` means Highest.
        flipped = {">": "<", ">=": "<=", "<": ">", "<=": ">="}[operator]
        bound = self.bind(row["sequence"])
        return f"i.priority_id IN (SELECT id FROM priorities WHERE sequence {flipped} {bound})"

    def key_clause(self, operator: str, items: Sequence[Item], name: str) -> str:
        if operator in ("IS", "IS NOT"):
            return "0" if operator == "IS" else "1"
        if operator in ORDERING:
            item = items[0]
            text = self.literal(item, name) if not isinstance(item, EmptyValue) else ""
            match = KEY_PATTERN.match(text)
            if match is None:
                raise bad_request(f"The issue key '{text}' for field '{name}' is invalid.")
            project_id = find_project_id(self.db, match.group(1))
            if project_id is None:
                raise bad_request(f"An issue with key '{text}' does not exist for field '{name}'.")
            project, number = self.bind(project_id), self.bind(int(match.group(2)))
            return f"(i.project_id = {project} AND i.num {operator} {number})"
        ids: list[object] = []
        for item in items:
            if isinstance(item, EmptyValue):
                continue
            text = self.literal(item, name)
            if text.isdigit():
                row = self.db.execute("SELECT id FROM issues WHERE id = ?", (int(text),)).fetchone()
            elif KEY_PATTERN.match(text):
                row = self.db.execute("SELECT id FROM issues WHERE key = ?", (text,)).fetchone()
            else:
                raise bad_request(f"The issue key '{text}' for field '{name}' is invalid.")
            if row is None:
                raise bad_request(f"An issue with key '{text}' does not exist for field '{name}'.")
            ids.append(row["id"])
        if not ids:
            return "0" if operator in ("=", "IN") else "1"
        return f"i.id {'IN' if operator in ('=', 'IN') else 'NOT IN'} ({self.bind(*ids)})"

    # --- multi-valued -----------------------------------------------------------------------------
    def multi_clause(
        self,
        exists: str,
        column: str,
        operator: str,
        items: Sequence[Item],
        resolve: Callable[[Value], list[object]],
    ) -> str:
        if operator in ("IS", "IS NOT"):
            return f"{'' if operator == 'IS NOT' else 'NOT '}EXISTS ({exists})"
        values: list[object] = []
        with_empty = False
        for item in items:
            if isinstance(item, EmptyValue):
                with_empty = True
            elif isinstance(item, FunctionCall):
                raise bad_request(f"Unable to find JQL function '{item.name}({', '.join(item.args)})'.")
            else:
                values.extend(resolve(item))
        matches = f"EXISTS ({exists} AND {column} IN ({self.bind(*values)}))" if values else "0"
        if operator in ("=", "IN"):
            return f"({matches} OR NOT EXISTS ({exists}))" if with_empty else matches
        # `labels != x` matches issues that have labels, none of them x (Jira never matches empty here).
        return f"(NOT {matches} AND EXISTS ({exists}))"

    def custom_clause(self, clause: Clause, custom_id: int) -> str:
        row = self.db.execute("SELECT kind FROM custom_fields WHERE id = ?", (custom_id,)).fetchone()
        is_number = row is not None and row["kind"] == "number"
        operator = clause.operator.upper()
        allowed = (EQUALITY | ORDERING) if is_number else (EQUALITY | TEXT)
        if operator not in allowed:
            raise bad_request(f"The operator '{clause.operator}' is not supported by the '{clause.field}' field.")
        exists = f"SELECT 1 FROM issue_custom_values cv WHERE cv.issue_id = i.id AND cv.field_id = {int(custom_id)}"
        column = "cv.number_value" if is_number else "cv.text_value"
        items = clause.operand.items if isinstance(clause.operand, ValueList) else (clause.operand,)
        if operator in ("~", "!~"):
            text = self.literal(items[0], clause.field) if not isinstance(items[0], EmptyValue) else ""
            test = f"EXISTS ({exists} AND {column} LIKE {self.bind(self.like(text))})"
            return test if operator == "~" else f"(NOT {test} AND EXISTS ({exists}))"
        if operator in ORDERING:
            value = self.number(items[0], clause.field)
            return f"EXISTS ({exists} AND {column} {operator} {self.bind(value)})"

        def resolve(item: Value) -> list[object]:
            return [self.number(item, clause.field) if is_number else item.text]

        return self.multi_clause(exists, column, operator, items, resolve)

    def number(self, item: Item, name: str) -> float:
        try:
            return float(self.literal(item, name)) if not isinstance(item, EmptyValue) else 0.0
        except ValueError:
            raise bad_request(
                f"The value '{getattr(item, 'text', '')}' is not a valid number for field '{name}'."
            ) from None

    # --- dates and text ---------------------------------------------------------------------------
    def date_clause(self, column: str, operator: str, items: Sequence[Item], name: str) -> str:
        if operator in ("IS", "IS NOT"):
            return f"{column} IS {'NOT ' if operator == 'IS NOT' else ''}NULL"
        values = [dates.operand_ms(item, self.ctx.now, name) for item in items]
        if operator in ORDERING:
            if values[0] is None:
                raise bad_request(f"The operator '{operator}' is not supported by the 'EMPTY' value.")
            return f"{column} {operator} {self.bind(values[0])}"
        present = [value for value in values if value is not None]
        positive = operator in ("=", "IN")
        parts: list[str] = []
        if present:
            parts.append(f"{column} {'IN' if positive else 'NOT IN'} ({self.bind(*present)})")
        if len(present) != len(values):
            parts.append(f"{column} IS {'' if positive else 'NOT '}NULL")
        return "(" + (" OR " if positive else " AND ").join(parts or ["0"]) + ")"

    @staticmethod
    def like(text: str) -> str:
        escaped = text.replace("%", "").replace("_", " ").replace("*", "%").replace("?", "_")
        return f"%{escaped.strip()}%"

    def text_clause(self, canonical: str, operator: str, items: Sequence[Item]) -> str:
        if operator in ("IS", "IS NOT"):
            column = "i.summary" if canonical == "summary" else "i.description"
            return f"{column} IS {'NOT ' if operator == 'IS NOT' else ''}NULL"
        item = items[0]
        if not isinstance(item, Value):
            raise bad_request(f"The operator '{operator}' is not supported by the '{canonical}' field.")
        pattern = self.like(item.text)

        def comment_test() -> str:
            bound = self.bind(pattern)
            return f"EXISTS (SELECT 1 FROM comments c WHERE c.issue_id = i.id AND c.body LIKE {bound})"

        if canonical == "comment":
            test = comment_test()
        elif canonical == "text":
            # f-strings evaluate left to right, so parameters are bound in the order of the SQL text
            summary, description = self.bind(pattern), self.bind(pattern)
            test = f"(i.summary LIKE {summary} OR i.description LIKE {description} OR {comment_test()})"
        else:
            test = f"i.{canonical} LIKE {self.bind(pattern)}"
        return test if operator == "~" else f"NOT COALESCE({test}, 0)"

    # --- order ------------------------------------------------------------------------------------


def translate(query: Query, ctx: TranslationContext) -> SqlQuery:
    """SQL for a parsed query. Raises `JiraApiError` (400) for unknown fields, values and operators."""
    translator = _Translator(ctx)
    where = "1" if query.where is None else translator.node(query.where)
    params = list(translator.params)
    order = order_by_sql(query, lambda name: resolve_field(ctx.db, name))
    return SqlQuery(where, params, order)
