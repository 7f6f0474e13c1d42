"""The JQL a sweep searches: the policy's scope, narrowed to what can matter in this run.

Two narrowings, both exact: a clause for the part of the scope a run covers (a shard of a sharded sweep is a
disjoint part of it), and ``created <= "-Nm"`` for issues too young for any window of the policy to have run out
(``escalator.core.youngest_actionable_age``). The age is relative, so Jira evaluates it on its own clock and in
no user's time zone; a few minutes are taken off it for clock skew between Jira and escalator.
"""

from __future__ import annotations

import re
from datetime import timedelta

__all__ = ["CLOCK_SKEW", "split_order_by", "sweep_jql"]

CLOCK_SKEW = timedelta(minutes=5)
"""taken off the age filter, so an issue on the edge is read rather than missed when the clocks disagree"""

_ORDER_BY = re.compile(r"\border\s+by\b", re.IGNORECASE)
_QUOTED = re.compile(r'"(?:[^"\\]|\\.)*"|\'(?:[^\'\\]|\\.)*\'')


def split_order_by(jql: str) -> tuple[str, str]:
    """``jql`` as (condition, ``ORDER BY ...`` or ""), finding the clause outside quoted strings, so a scope
    like ``summary ~ "order by"`` is not cut in two."""
    blanked = _QUOTED.sub(lambda m: " " * len(m.group()), jql)  # same length, quotes' content hidden
    orders = list(_ORDER_BY.finditer(blanked))
    if not orders:
        return jql.strip(), ""
    cut = orders[-1].start()
    return jql[:cut].strip(), jql[cut:].strip()


def sweep_jql(scope: str, *, older_than: timedelta | None = None, clause: str | None = None) -> str:
    """``scope`` AND ``clause`` AND ``created <= "-Nm"``; an ``ORDER BY`` of the scope stays last.

    ``older_than`` of a few minutes or less (after the skew margin) adds nothing: every issue is read.
    """
    extra = [f"({clause})"] if clause else []
    if older_than is not None:
        minutes = int((older_than - CLOCK_SKEW).total_seconds() // 60)
        if minutes > 0:
            extra.append(f'created <= "-{minutes}m"')
    if not extra:
        return scope  # exactly as its owner wrote it
    where, order = split_order_by(scope)
    clauses = ([f"({where})"] if where else []) + extra
    return " AND ".join(clauses) + (f" {order}" if order else "")
