"""The audit store escalator owns: append-only JSON Lines, one file per policy and UTC day, hash-chained.

Prefect artifacts can be updated or deleted by any API client and go with their flow runs when the database
vacuum includes flow runs, so every run also appends its decision records here. Layout, under the sink's root
(a local path or any fsspec URL)::

    <policy>/<YYYY-MM-DD>.jsonl      one line per record: {"seq", "prev_hash", "hash", "written_at", "record"}

Each policy has its own chain (``seq`` from 1, ``prev_hash`` of the first line is 64 zeros), which sweeps of
one policy extend one at a time (they hold the policy's lock). ``hash`` is the sha256 of the canonical JSON of
``seq``, ``prev_hash`` and ``record``, so altering, deleting or reordering a line breaks the chain
(``escalator.audit.verify``). This module writes and reads lines; it does not judge them.
"""

from __future__ import annotations

import hashlib
import json
import os
import posixpath
import uuid
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import fsspec  # type: ignore[import-untyped]
from fsspec import AbstractFileSystem

from escalator.audit.record import AuditRecord

__all__ = ["GENESIS_HASH", "SINK_ENV", "AuditSink", "AuditSinkError", "SinkLine", "entry_hash", "resolve_sink_url"]

SINK_ENV = "ESCALATOR_AUDIT_SINK"
GENESIS_HASH = "0" * 64


class AuditSinkError(Exception):
    """The audit sink cannot be written (or read): the run must not write to Jira, or must fail loudly."""


def resolve_sink_url(explicit: str | None = None) -> str | None:
    """The sink named by the run's parameter, else by ``ESCALATOR_AUDIT_SINK``; None when neither is set."""
    return explicit or os.environ.get(SINK_ENV) or None


def entry_hash(seq: int, prev_hash: str, record: dict[str, Any]) -> str:
    """sha256 over the canonical JSON (sorted keys, no spaces) of the line's chained content."""
    canonical = json.dumps(
        {"seq": seq, "prev_hash": prev_hash, "record": record}, sort_keys=True, separators=(",", ":")
    )
    return hashlib.sha256(canonical.encode()).hexdigest()


@dataclass(frozen=True)
class SinkLine:
    """One stored line, where it is (file, 1-based line number) and its text."""

    policy: str
    path: str
    line_no: int
    text: str


class AuditSink:
    """An append-only, hash-chained JSON Lines store at ``url`` (a path or an fsspec URL)."""

    def __init__(self, url: str) -> None:
        self.url = url
        try:
            fs, root = fsspec.url_to_fs(url)
        except (ValueError, ImportError, OSError) as error:
            raise AuditSinkError(f"audit sink {url!r} cannot be opened: {error}") from error
        self._fs: AbstractFileSystem = fs
        self._root: str = root.rstrip("/") or "/"

    def check_writable(self) -> None:
        """Write and remove a probe file, so a run knows before touching Jira that its records can be kept."""
        probe = posixpath.join(self._root, f".probe-{uuid.uuid4().hex}")
        try:
            self._fs.makedirs(self._root, exist_ok=True)
            with self._fs.open(probe, "wb") as file:
                file.write(b"probe\n")
            self._fs.rm(probe)
        except Exception as error:  # any backend's failure means the same: not writable
            raise AuditSinkError(f"audit sink {self.url!r} is not writable: {error}") from error

    def append(self, policy: str, records: Iterable[AuditRecord], *, now: datetime | None = None) -> str | None:
        """Append ``records`` to ``policy``'s chain in today's (UTC) file; the chain's new head hash."""
        rows = [record.model_dump(mode="json") for record in records]
        if not rows:
            return None
        written_at = (now or datetime.now(UTC)).astimezone(UTC)
        try:
            seq, prev_hash = self._head(policy)
            lines = []
            for row in rows:
                seq += 1
                digest = entry_hash(seq, prev_hash, row)
                entry = {"seq": seq, "prev_hash": prev_hash, "hash": digest, "written_at": written_at.isoformat()}
                lines.append(json.dumps({**entry, "record": row}, sort_keys=True, separators=(",", ":")))
                prev_hash = digest
            directory = posixpath.join(self._root, policy)
            self._fs.makedirs(directory, exist_ok=True)
            path = posixpath.join(directory, f"{written_at.date().isoformat()}.jsonl")
            with self._fs.open(path, "ab") as file:
                file.write(("\n".join(lines) + "\n").encode())
        except Exception as error:  # whatever the backend raised, the records are not kept
            raise AuditSinkError(f"audit records of {policy} could not be appended to {self.url!r}: {error}") from error
        return prev_hash

    def policies(self) -> list[str]:
        """The policies with a chain in the sink, by name."""
        if not self._fs.exists(self._root):
            return []
        entries = self._fs.ls(self._root, detail=True)
        return sorted(posixpath.basename(e["name"].rstrip("/")) for e in entries if e["type"] == "directory")

    def files(self, policy: str) -> list[str]:
        """The day files of one policy's chain, oldest first."""
        directory = posixpath.join(self._root, policy)
        if not self._fs.exists(directory):
            return []
        return sorted(p for p in self._fs.ls(directory, detail=False) if str(p).endswith(".jsonl"))

    def lines(self, policy: str) -> Iterator[SinkLine]:
        """Every stored line of one policy's chain, in file order, one file open at a time."""
        for path in self.files(policy):
            with self._fs.open(path, "rt", encoding="utf-8") as file:
                for number, text in enumerate(file, start=1):
                    if text.strip():
                        yield SinkLine(policy, path, number, text.rstrip("\n"))

    def records(self, policy: str | None = None) -> Iterator[AuditRecord]:
        """The stored records (of one policy, or all), oldest first per policy; unreadable lines are skipped
        (``escalator audit verify`` reports them)."""
        for name in [policy] if policy else self.policies():
            for line in self.lines(name):
                try:
                    yield AuditRecord.model_validate(json.loads(line.text)["record"])
                except (ValueError, KeyError, TypeError):
                    continue

    def _head(self, policy: str) -> tuple[int, str]:
        """The last ``seq`` and ``hash`` of the chain, from the last line of its newest file."""
        for path in reversed(self.files(policy)):
            last = ""
            with self._fs.open(path, "rt", encoding="utf-8") as file:
                for text in file:
                    if text.strip():
                        last = text
            if last:
                entry = json.loads(last)
                return int(entry["seq"]), str(entry["hash"])
        return 0, GENESIS_HASH
