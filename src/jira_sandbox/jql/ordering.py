"""JQL `ORDER BY` as SQL: which expression sorts each field (priority by its scheme order, keys by
project then number, users by display name), with empty values sorting as the largest."""

from __future__ import annotations

from collections.abc import Callable

from jira_sandbox.errors import bad_request
from jira_sandbox.jql.ast import Query
from jira_sandbox.jql.fields import DATE_COLUMNS


def order_by_sql(query: Query, resolve: Callable[[str], tuple[str, int | None]]) -> str:
    """The SQL ORDER BY for a query; `i.id DESC` breaks ties and is the whole order when none is given."""
    parts: list[str] = []
    for key in query.order_by:
        canonical, custom_id = resolve(key.field)
        descending = bool(key.descending)
        if custom_id is not None:
            expression = (
                "(SELECT COALESCE(cv.number_value, cv.text_value) FROM issue_custom_values cv"
                f" WHERE cv.issue_id = i.id AND cv.field_id = {int(custom_id)})"
            )
        elif canonical == "priority":
            expression = "(SELECT sequence FROM priorities p WHERE p.id = i.priority_id)"
            descending = not descending
        elif canonical == "key":
            parts.append(f"(SELECT key FROM projects p WHERE p.id = i.project_id) {'DESC' if descending else 'ASC'}")
            expression = "i.num"
        elif canonical in DATE_COLUMNS:
            # Unary + is a no-op that keeps SQLite from walking the column's index row by row to avoid a sort: with
            # most issues matching, a scan and a sort take a third less time.
            expression = f"+i.{DATE_COLUMNS[canonical]}"
        elif canonical in ("assignee", "reporter", "creator"):
            expression = f"(SELECT display_name FROM users u WHERE u.account_id = i.{canonical})"
        elif canonical in ("status", "statuscategory"):
            expression = "i.status_id"
        elif canonical == "issuetype":
            expression = "(SELECT name FROM issue_types t WHERE t.id = i.issue_type_id)"
        elif canonical == "project":
            expression = "(SELECT key FROM projects p WHERE p.id = i.project_id)"
        elif canonical == "resolution":
            expression = "i.resolution_id"
        elif canonical == "summary":
            expression = "i.summary"
        else:
            raise bad_request(f"Field '{key.field}' does not support sorting.")
        direction = "DESC NULLS FIRST" if descending else "ASC NULLS LAST"
        parts.append(f"{expression} {direction}")
    parts.append("i.id DESC")
    return ", ".join(parts)
