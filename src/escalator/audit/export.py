"""Writes decision records as a text table, JSON Lines or CSV, one record at a time (nothing is held in memory).

JSON Lines and CSV carry every field of the record schema, in its order, so an export of old and new records
has the same columns (fields a record predates are empty). The table is for people: one line per record.
"""

from __future__ import annotations

import csv
from collections.abc import Iterable
from typing import Literal, TextIO

from escalator.audit.record import AuditRecord

__all__ = ["FORMATS", "Format", "write_records"]

Format = Literal["table", "jsonl", "csv"]
FORMATS: tuple[Format, ...] = ("table", "jsonl", "csv")

_TABLE = [
    ("evaluated_at", 20),
    ("issue", 12),
    ("outcome", 17),
    ("step", 16),
    ("policy", 24),
    ("commit", 10),
    ("run", 24),
]


def write_records(records: Iterable[AuditRecord], out: TextIO, fmt: Format = "table") -> int:
    """Write ``records`` to ``out`` as they come; how many were written."""
    if fmt == "jsonl":
        return _jsonl(records, out)
    if fmt == "csv":
        return _csv(records, out)
    return _table(records, out)


def _jsonl(records: Iterable[AuditRecord], out: TextIO) -> int:
    count = 0
    for record in records:
        out.write(record.model_dump_json())
        out.write("\n")
        count += 1
    return count


def _csv(records: Iterable[AuditRecord], out: TextIO) -> int:
    writer = csv.DictWriter(out, fieldnames=list(AuditRecord.model_fields), extrasaction="ignore")
    writer.writeheader()
    count = 0
    for record in records:
        writer.writerow(record.model_dump(mode="json"))
        count += 1
    return count


def _table(records: Iterable[AuditRecord], out: TextIO) -> int:
    out.write(_row([name for name, _ in _TABLE]) + "\n")
    count = 0
    for record in records:
        out.write(_row(table_cells(record)) + "\n")
        count += 1
    if count == 0:
        out.write("(no records)\n")
    return count


def table_cells(record: AuditRecord) -> list[str]:
    """The table's cells of one record: when, which issue, what happened, which policy version and commit."""
    step = f"{record.from_level or 'new'} -> {record.to_level}" if record.to_level else record.reason_code
    commit = (record.git_commit or "no git")[:8] + ("*" if record.git_dirty else "")
    mode = " (dry)" if record.dry_run else ""
    return [
        record.evaluated_at.strftime("%Y-%m-%d %H:%M:%SZ"),
        record.issue_key,
        record.outcome + mode,
        step,
        f"{record.policy} v{record.policy_version}",
        commit,
        record.flow_run_name or record.flow_run_id or "",
    ]


def _row(cells: list[str]) -> str:
    return "  ".join(cell.ljust(width) for cell, (_, width) in zip(cells, _TABLE, strict=True)).rstrip()
