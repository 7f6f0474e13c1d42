"""How fast this machine is right now: the CPU of a fixed piece of work like a sweep's, to read the benchmarks' CPU
numbers against (issue 16).

This machine's speed moves by up to a third in phases that last minutes (BENCHMARKS.md): the same code measured
43 and then 57 µs an issue within 25 minutes. A CPU number alone then cannot say whether a change helped or the
machine changed. The yardstick is work of the sweep's kind that escalator's code does not touch, so it changes
with the machine and never with a change to escalator: parse a page of 100 Jira-like issues from JSON bytes,
validate the values a sweep reads with pydantic, build a tuple, a dict and a sorted list per issue in Python. A
run's CPU divided by the yardstick measured in the same process around it is meant to be the same in a slow phase
as in a fast one, and is what to compare between runs minutes apart (it has not yet been seen in a slow phase:
BENCHMARKS.md).

Run alone to print it: ``uv run --frozen python bench/yardstick.py``.
"""

from __future__ import annotations

import time
from typing import Any

import orjson
from pydantic import BaseModel, ConfigDict, TypeAdapter

__all__ = ["yardstick_us"]

ISSUES = 100


class _Values(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    key: str
    project: str
    status: str
    priority: str | None
    assignee: str | None
    labels: tuple[str, ...]
    created: str


_VALUES: TypeAdapter[list[_Values]] = TypeAdapter(list[_Values])


def _page() -> bytes:
    """A fixed page of ``ISSUES`` issues shaped like a Jira Cloud search answer, about 0.8 kB an issue."""
    icons = {f"{size}x{size}": f"https://jira.example/images/icons/{size}.svg" for size in (16, 24, 32, 48)}
    issues = [
        {
            "id": str(10_000 + number),
            "self": f"https://jira.example/rest/api/3/issue/{10_000 + number}",
            "key": f"OPS-{number}",
            "fields": {
                "project": {"id": "10000", "key": "OPS", "name": "Operations", "avatarUrls": icons},
                "status": {"id": "3", "name": "In Progress", "iconUrl": icons["16x16"], "description": ""},
                "priority": {"id": str(number % 5 + 1), "name": f"P{number % 5 + 1}", "iconUrl": icons["24x24"]},
                "assignee": None
                if number % 4 == 0
                else {"accountId": f"acc-{number % 7}", "displayName": f"Person {number % 7}", "avatarUrls": icons},
                "labels": [f"label-{number % 3}"] if number % 2 else [],
                "created": f"2026-10-{number % 28 + 1:02d}T09:30:00.000+0000",
            },
        }
        for number in range(ISSUES)
    ]
    return orjson.dumps({"issues": issues, "isLast": True})


_PAGE = _page()


def _work() -> int:
    """The fixed work, once: one page parsed, read and validated."""
    values: list[dict[str, Any]] = []
    for issue in orjson.loads(_PAGE)["issues"]:
        fields = issue["fields"]
        assignee = fields["assignee"]
        values.append(
            {
                "key": issue["key"],
                "project": fields["project"]["key"],
                "status": fields["status"]["name"],
                "priority": (fields["priority"] or {}).get("name"),
                "assignee": assignee["accountId"] if assignee else None,
                "labels": tuple(sorted(fields["labels"])),
                "created": fields["created"],
            }
        )
    return len(_VALUES.validate_python(values))


def yardstick_us(seconds: float = 0.2) -> float:
    """CPU µs an issue of the fixed work: the fastest of several rounds that take about ``seconds`` in all."""
    rounds, per_round = 5, max(1, round(seconds / 5 / 0.0004))  # about 0.4 ms a page on this machine
    best = float("inf")
    for _ in range(rounds):
        cpu = time.thread_time()
        for _ in range(per_round):
            _work()
        best = min(best, (time.thread_time() - cpu) / (per_round * ISSUES))
    return best * 1e6


if __name__ == "__main__":
    print(f"yardstick: {yardstick_us(1.0):.2f} µs an issue of fixed work (lower is a faster machine)")
