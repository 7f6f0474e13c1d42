"""The audit store escalator owns: append-only JSON Lines, one file per policy and UTC day, hash-chained.

Prefect artifacts can be updated or deleted by any API client and go with their flow runs when the database
vacuum includes flow runs, so every run also appends its decision records here. Layout, under the sink's root
(a local path or any fsspec URL)::

    <policy>/<YYYY-MM-DD>.jsonl      one line per record: {"seq", "prev_hash", "hash", "written_at", "record"}
    <policy>@<shard>/<YYYY-MM-DD>.jsonl   the same, for one shard of a sharded sweep (``escalator.sharding.shards``)

Each policy has its own chain (``seq`` from 1, ``prev_hash`` of the first line is 64 zeros). ``hash`` is the
sha256 of the canonical JSON of ``seq``, ``prev_hash`` and ``record``, so altering, deleting or reordering a line
breaks the chain (``escalator.audit.verify``). This module writes and reads lines; it does not judge them.

The policy lock (``escalator.sweep.lock``) is per machine, so a chain must be written from one machine (one
deployment) at a time; two writers extending one chain at once show up as a broken chain in ``verify``. That is
why each shard of a sharded sweep, which runs on any worker, writes a chain of its own (and one run per shard
at a time is enforced by the Prefect server, ``escalator.orchestration.limits``).

Appends go to the file of the later of today (UTC) and the newest existing day file, so a clock that steps back
over midnight never puts a later ``seq`` in an earlier file: files stay in chain order, and a file's date is the
day its first lines were written, not a bound on ``written_at``. A write that died mid-line leaves a torn last
line; the next append starts a new line after it, so the torn line stays one ``unreadable`` line for ``verify``
and the chain continues from the last complete entry. Files are read as bytes and decoded line by line, so bytes
that are not UTF-8 spoil one line, not the file.

A sink URL may carry credentials (``ftp://user:password@host/audit``); they are used to open the store and shown
nowhere: ``url`` and every message say ``ftp://***@host/audit`` (``redact_url``), and the sweep's parameters
are stored by Prefect the same way, so a run started from stored parameters refuses the redacted URL and asks for
the credentials through ``ESCALATOR_AUDIT_SINK`` or the store's own configuration.
"""

from __future__ import annotations

import hashlib
import json
import os
import posixpath
import re
import uuid
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from urllib.parse import unquote

import fsspec  # type: ignore[import-untyped]
from fsspec import AbstractFileSystem

from escalator.audit.query import RecordQuery
from escalator.audit.record import AuditRecord

__all__ = [
    "GENESIS_HASH",
    "SINK_ENV",
    "AuditSink",
    "AuditSinkError",
    "SinkLine",
    "entry_hash",
    "redact_url",
    "resolve_sink_url",
]

SINK_ENV = "ESCALATOR_AUDIT_SINK"
GENESIS_HASH = "0" * 64
REDACTED = "***"
_USERINFO = re.compile(r"(?<=//)[^/?#\s]*@")  # greedy: a password with a raw "@" is hidden whole


class AuditSinkError(Exception):
    """The audit sink cannot be written (or read): the run must not write to Jira, or must fail loudly."""


def redact_url(url: str) -> str:
    """``url`` fit to show: the user and password of each ``//user:password@`` in it (chained fsspec URLs too)
    replaced by ``***``."""
    return _USERINFO.sub(f"{REDACTED}@", url)


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
    error: str | None = None  # why the line is not text (undecodable bytes); ``text`` is then a lossy decoding


class AuditSink:
    """An append-only, hash-chained JSON Lines store at ``url`` (a path or an fsspec URL)."""

    def __init__(self, url: str) -> None:
        self.url = redact_url(url)
        """the URL as it may be shown: without credentials"""
        self._secrets = _secrets_of(url)
        if f"//{REDACTED}@" in url:
            raise AuditSinkError(
                f"audit sink {self.url!r}: its credentials were removed before Prefect stored the run's parameters; "
                f"give them through {SINK_ENV} where the run executes, or the store's own configuration"
            )
        try:
            fs, root = fsspec.url_to_fs(url)
        except (ValueError, ImportError, OSError) as error:
            raise AuditSinkError(f"audit sink {self.url!r} cannot be opened: {self.scrub(error)}") from None
        self._fs: AbstractFileSystem = fs
        self._root: str = root.rstrip("/") or "/"

    def check_writable(self, policies: Iterable[str] | None = None) -> None:
        """Write and remove a probe file and read the head of each chain (``policies``, default every chain in
        the sink), so a run knows before touching Jira that its records can be kept and chained."""
        probe = posixpath.join(self._root, f".probe-{uuid.uuid4().hex}")
        try:
            self._fs.makedirs(self._root, exist_ok=True)
            with self._fs.open(probe, "wb") as file:
                file.write(b"probe\n")
            self._fs.rm(probe)
        except Exception as error:  # any backend's failure means the same: not writable
            raise AuditSinkError(f"audit sink {self.url!r} is not writable: {self.scrub(error)}") from None
        for policy in self.policies() if policies is None else policies:
            try:
                self._head(policy)
            except Exception as error:
                message = f"audit chain of {policy} in {self.url!r} cannot be continued: {self.scrub(error)}"
                raise AuditSinkError(message) from None

    def root_problem(self) -> str | None:
        """Why the sink's root cannot be read as a sink (missing, or not a directory); None when it can."""
        try:
            if not self._fs.exists(self._root):
                return f"audit sink {self.url!r} does not exist"
            if not self._fs.isdir(self._root):
                return f"audit sink {self.url!r} is not a directory"
        except Exception as error:
            return f"audit sink {self.url!r} cannot be read: {self.scrub(error)}"
        return None

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
            existing = self.files(policy)
            if existing and posixpath.basename(existing[-1]) > posixpath.basename(path):
                path = existing[-1]  # the clock stepped back over midnight: keep the files in chain order
            lead = b"\n" if self._ends_torn(path) else b""
            with self._fs.open(path, "ab") as file:
                file.write(lead + ("\n".join(lines) + "\n").encode())
        except Exception as error:  # whatever the backend raised, the records are not kept
            message = f"audit records of {policy} could not be appended to {self.url!r}: {self.scrub(error)}"
            raise AuditSinkError(message) from None
        return prev_hash

    def scrub(self, error: object) -> str:
        """The text of ``error`` (a backend's exception, say) with the sink's credentials taken out."""
        text = str(error)
        for secret in self._secrets:
            text = text.replace(secret, REDACTED)
        return text

    def policies(self) -> list[str]:
        """The policies with a chain in the sink (a directory holding at least one day file), by name."""
        if not self._fs.exists(self._root) or not self._fs.isdir(self._root):
            return []
        entries = self._fs.ls(self._root, detail=True)
        names = sorted(posixpath.basename(e["name"].rstrip("/")) for e in entries if e["type"] == "directory")
        return [name for name in names if self.files(name)]

    def files(self, policy: str) -> list[str]:
        """The day files of one policy's chain, oldest first."""
        directory = posixpath.join(self._root, policy)
        if not self._fs.exists(directory) or not self._fs.isdir(directory):
            return []
        return sorted(str(p) for p in self._fs.ls(directory, detail=False) if str(p).endswith(".jsonl"))

    def lines(self, policy: str) -> Iterator[SinkLine]:
        """Every stored line of one policy's chain, in file order, one file open at a time."""
        for path in self.files(policy):
            with self._fs.open(path, "rb") as file:
                for number, raw in enumerate(file, start=1):
                    if raw.strip():
                        yield _line(policy, path, number, raw)

    def chains(self, policy: str | None = None) -> list[str]:
        """The chains of ``policy`` (its own and its shards', ``<policy>@<shard>``), or every chain."""
        names = self.policies()
        return [n for n in names if n == policy or n.startswith(f"{policy}@")] if policy else names

    def records(self, policy: str | None = None) -> Iterator[AuditRecord]:
        """The stored records (of one policy, or all), oldest first per chain; unreadable lines are skipped
        (``escalator audit verify`` reports them)."""
        for name in self.chains(policy):
            for line in self.lines(name):
                if line.error is not None:
                    continue
                try:
                    yield AuditRecord.model_validate(json.loads(line.text)["record"])
                except (ValueError, KeyError, TypeError):
                    continue

    def matching(self, query: RecordQuery) -> Iterator[AuditRecord]:
        """The stored records ``query`` matches, at most ``query.limit``; a failure to read the sink is an
        ``AuditSinkError`` (so a caller can tell it from a failure to write its output)."""
        count = 0
        records = self.records(query.policy)
        while True:
            try:
                record = next(records)
            except StopIteration:
                return
            except OSError as error:
                raise AuditSinkError(f"cannot read the audit sink {self.url}: {self.scrub(error)}") from None
            if query.matches(record):
                yield record
                count += 1
                if query.limit is not None and count >= query.limit:
                    return

    def _head(self, policy: str) -> tuple[int, str]:
        """The last ``seq`` and ``hash`` of the chain: its last complete, readable entry (a torn or unreadable
        line after it is left for ``verify`` to report)."""
        for path in reversed(self.files(policy)):
            with self._fs.open(path, "rb") as file:
                raw_lines = file.read().split(b"\n")
            for raw in reversed(raw_lines):
                head = _entry_head(raw)
                if head is not None:
                    return head
        return 0, GENESIS_HASH

    def _ends_torn(self, path: str) -> bool:
        """True when ``path`` exists, is not empty and does not end in a newline (a write died mid-line)."""
        if not self._fs.exists(path):
            return False
        size = self._fs.size(path)
        if not size:
            return False
        with self._fs.open(path, "rb") as file:
            file.seek(size - 1)
            return bool(file.read(1) != b"\n")


def _secrets_of(url: str) -> list[str]:
    """The credentials in ``url`` as they may turn up in a backend's message: whole, and the password alone
    (raw and percent-decoded), longest first."""
    secrets: set[str] = set()
    for match in _USERINFO.finditer(url):
        userinfo = match.group()[:-1]
        password = userinfo.partition(":")[2]
        secrets.update((userinfo, unquote(userinfo), password, unquote(password)))
    return sorted((s for s in secrets if len(s) >= 3), key=len, reverse=True)  # shorter ones hide nothing


def _line(policy: str, path: str, number: int, raw: bytes) -> SinkLine:
    raw = raw.rstrip(b"\r\n")
    try:
        return SinkLine(policy, path, number, raw.decode("utf-8"))
    except UnicodeDecodeError as error:
        return SinkLine(policy, path, number, raw.decode("utf-8", errors="replace"), f"not UTF-8: {error.reason}")


def _entry_head(raw: bytes) -> tuple[int, str] | None:
    """``seq`` and ``hash`` of one stored line, or None when it is not a complete entry."""
    try:
        entry = json.loads(raw.decode("utf-8"))
        seq, digest = entry["seq"], entry["hash"]
    except (ValueError, KeyError, TypeError):  # UnicodeDecodeError is a ValueError
        return None
    if isinstance(seq, bool) or not isinstance(seq, int) or not isinstance(digest, str):
        return None
    return seq, digest
