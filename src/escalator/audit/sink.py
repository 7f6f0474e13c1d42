"""The audit store escalator owns: append-only JSON Lines, one file per chain and UTC day, hash-chained.

Prefect artifacts can be updated or deleted by any API client and go with their flow runs when the database
vacuum includes flow runs, so every run also appends its decision records here. Layout, under the sink's root
(a local path or any fsspec URL)::

    <policy>/<YYYY-MM-DD>.jsonl      one line per entry (``escalator.audit.entry``: format, hash, kinds)
    <policy>@<shard>/<YYYY-MM-DD>.jsonl   the same, for one shard of a sharded sweep (``escalator.sharding.shards``)
    <chain>/.lock                    the writer's lock (local paths); ``<chain>/.writer`` on other file systems

Each chain has its own ``seq`` from 1; ``prev_hash`` of the first line is 64 zeros. This module writes and reads
lines; it does not judge them (``escalator.audit.verify`` does).

**One writer per chain.** ``open_chain`` takes an exclusive ``flock`` on ``<chain>/.lock`` (local paths) for as
long as the writer is open; a second writer waits for it, then fails loudly (``AuditSinkError``) rather than
forking the chain. The operating system frees the lock when the process ends, however it ends. On other fsspec
file systems there is no such lock: the writer creates ``<chain>/.writer`` only if it is absent (``open(…,
"xb")``) and removes it when done; a writer that died leaves it behind, and the next one fails naming it until
someone who knows no writer is running deletes it. On object stores ``"ab"`` rewrites the whole object and is not
atomic: prefer a local or network file system (see the README).

**Durable.** On local paths each append is one ``os.write`` loop on an ``O_APPEND`` descriptor followed by
``fsync``; a new file's (and a new directory's) parent directory is fsynced too. A failed ``fsync`` is fatal
(the kernel may have dropped the pages; a retry would report success). Other file systems get ``flush`` only.

Appends go to the file of the later of today (UTC) and the newest existing day file, so a clock that steps back
over midnight never puts a later ``seq`` in an earlier file. A write that died mid-line leaves a torn last line;
the next append starts a new line after it, so the torn line stays one ``unreadable`` line for ``verify``.

A sink URL may carry credentials (``ftp://user:password@host/audit``); they are used to open the store and shown
nowhere: ``url``, ``identity`` and every message say ``ftp://***@host/audit`` (``redact_url``), a backend's
exception text is scrubbed of them and never chained, and the sweep's parameters are stored by Prefect the same
way, so a run started from stored parameters refuses the redacted URL and asks for the credentials through
``ESCALATOR_AUDIT_SINK`` or the store's own configuration.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import posixpath
import re
import socket
import threading
import time
import uuid
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from types import TracebackType
from typing import Any
from urllib.parse import unquote

import fsspec  # type: ignore[import-untyped]
from fsspec import AbstractFileSystem
from fsspec.implementations.local import LocalFileSystem  # type: ignore[import-untyped]

from escalator.audit.entry import GENESIS_HASH, Entry, Kind, check_entry, encode_entry, parse_entry
from escalator.audit.keys import AuditKeyring
from escalator.audit.query import RecordQuery
from escalator.audit.record import AuditRecord

__all__ = [
    "GENESIS_HASH",
    "SINK_ENV",
    "AuditSink",
    "AuditSinkError",
    "ChainHead",
    "ChainTail",
    "ChainWriter",
    "SinkLine",
    "redact_url",
    "resolve_sink_url",
]

SINK_ENV = "ESCALATOR_AUDIT_SINK"
LOCK_FILE = ".lock"
MARKER_FILE = ".writer"
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


@dataclass(frozen=True)
class SinkLine:
    """One stored line, where it is (file, 1-based line number), its bytes and their text."""

    policy: str
    path: str
    line_no: int
    text: str
    error: str | None = None  # why the line is not text (undecodable bytes); ``text`` is then a lossy decoding
    raw: bytes = b""


@dataclass(frozen=True)
class ChainHead:
    """Where a chain ends: its last ``seq`` and that line's hash (0 and 64 zeros for an empty chain)."""

    chain: str
    seq: int
    digest: str

    def __str__(self) -> str:
        return f"{self.chain}:{self.seq}:{self.digest}"


@dataclass(frozen=True)
class ChainTail:
    """What a writer needs from the end of its chain: the head, the last checkpoint and the entries after it
    (oldest first) whose hash is not shown wrong. Lines before the checkpoint are settled."""

    head: ChainHead
    checkpoint: Entry | None
    entries: list[Entry]


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
        self.local = isinstance(fs, LocalFileSystem)
        self._root: str = (os.path.normpath(root) if self.local else root.rstrip("/")) or "/"
        self.identity: str = redact_url(str(fs.unstrip_protocol(self._root)))
        """The sink's root as one URL, however it was spelled (recorded with each chain head)"""

    def check_writable(self, policies: Iterable[str] | None = None) -> None:
        """Write and remove a probe file and read the head of each chain (``policies``, default every chain in
        the sink), so a run knows before touching Jira that its records can be kept and chained."""
        probe = posixpath.join(self._root, f".probe-{uuid.uuid4().hex}")
        try:
            self._makedirs(self._root)
            with self._fs.open(probe, "wb") as file:
                file.write(b"probe\n")
            self._fs.rm(probe)
        except Exception as error:  # any backend's failure means the same: not writable
            raise AuditSinkError(f"audit sink {self.url!r} is not writable: {self.scrub(error)}") from None
        for policy in self.policies() if policies is None else policies:
            try:
                self.head(policy)
            except Exception as error:
                message = f"audit chain of {policy} in {self.url!r} cannot be continued: {self.scrub(error)}"
                raise AuditSinkError(message) from None

    def scrub(self, error: object) -> str:
        """The text of ``error`` (a backend's exception, say) with the sink's credentials taken out."""
        text = str(error)
        for secret in self._secrets:
            text = text.replace(secret, REDACTED)
        return text

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

    # --- writing --------------------------------------------------------------------------------------

    def open_chain(
        self,
        chain: str,
        keyring: AuditKeyring | None = None,
        *,
        holder: str | None = None,
        wait: float = 600.0,
        poll: float = 0.1,
    ) -> ChainWriter:
        """The only writer of ``chain`` until it is closed: waits up to ``wait`` seconds for another writer to
        finish, then raises ``AuditSinkError``. ``holder`` (e.g. the flow run) is named to a writer kept waiting."""
        return ChainWriter(self, chain, keyring or AuditKeyring(), holder=holder, wait=wait, poll=poll)

    def append(
        self,
        policy: str,
        records: Iterable[AuditRecord],
        *,
        now: datetime | None = None,
        keyring: AuditKeyring | None = None,
    ) -> str | None:
        """Append ``records`` to ``policy``'s chain as one writer; the chain's new head hash (None: no records)."""
        bodies = [record.model_dump(mode="json") for record in records]
        if not bodies:
            return None
        try:
            writer = self.open_chain(policy, keyring)
        except AuditSinkError as error:
            raise AuditSinkError(f"audit records of {policy} could not be appended: {error}") from error
        with writer:
            return writer.append("record", bodies, now=now).digest

    # --- reading --------------------------------------------------------------------------------------

    def policies(self) -> list[str]:
        """The chains in the sink (a directory holding at least one day file), by name."""
        if not self._fs.exists(self._root) or not self._fs.isdir(self._root):
            return []
        entries = self._fs.ls(self._root, detail=True)
        names = sorted(posixpath.basename(e["name"].rstrip("/")) for e in entries if e["type"] == "directory")
        return [name for name in names if self.files(name)]

    def files(self, policy: str) -> list[str]:
        """The day files of one chain, oldest first."""
        directory = posixpath.join(self._root, policy)
        if not self._fs.exists(directory) or not self._fs.isdir(directory):
            return []
        return sorted(str(p) for p in self._fs.ls(directory, detail=False) if str(p).endswith(".jsonl"))

    def lines(self, policy: str) -> Iterator[SinkLine]:
        """Every stored line of one chain, in file order, one file open at a time."""
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
        """The stored decision records (of one policy, or all), oldest first per chain; intents, checkpoints
        and unreadable lines are skipped (``escalator audit verify`` reports the unreadable ones)."""
        for name in self.chains(policy):
            for line in self.lines(name):
                entry = parse_entry(line.raw) if line.error is None else None
                if entry is None or entry.kind != "record":
                    continue
                try:
                    yield AuditRecord.model_validate(entry.body)
                except ValueError:
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

    def head(self, chain: str) -> ChainHead:
        """The chain's last complete, readable entry (a torn or unreadable line after it is left for ``verify``)."""
        for entry in self._entries_backwards(chain):
            return ChainHead(chain, entry.seq, entry.digest)
        return ChainHead(chain, 0, GENESIS_HASH)

    def tail(self, chain: str, keyring: AuditKeyring | None = None) -> ChainTail:
        """The head, the last checkpoint and the entries after it, read backwards from the newest file until the
        checkpoint (or a format 1 line: those chains had no unsettled entries). Entries whose hash is shown wrong
        are left out: nothing is built on them (``verify`` reports them)."""
        keyring = keyring or AuditKeyring()
        head: ChainHead | None = None
        after: list[Entry] = []
        checkpoint: Entry | None = None
        for entry in self._entries_backwards(chain):
            if head is None:
                head = ChainHead(chain, entry.seq, entry.digest)
            if check_entry(entry, keyring) == "altered":
                continue
            if entry.kind == "checkpoint" or entry.version == 1:
                checkpoint = entry if entry.kind == "checkpoint" else None
                break
            after.append(entry)
        after.reverse()
        return ChainTail(head or ChainHead(chain, 0, GENESIS_HASH), checkpoint, after)

    def _entries_backwards(self, chain: str) -> Iterator[Entry]:
        for path in reversed(self.files(chain)):
            with self._fs.open(path, "rb") as file:
                raw_lines = file.read().split(b"\n")
            for raw in reversed(raw_lines):
                entry = parse_entry(raw.rstrip(b"\r")) if raw.strip() else None
                if entry is not None:
                    yield entry

    # --- storage primitives -----------------------------------------------------------------------------

    def _path(self, *parts: str) -> str:
        return posixpath.join(self._root, *parts)

    def _makedirs(self, directory: str) -> None:
        """``directory`` and its missing parents; on local paths each new directory's parent is fsynced."""
        if not self.local:
            self._fs.makedirs(directory, exist_ok=True)
            return
        missing: list[str] = []
        current = directory
        while current and not os.path.isdir(current):
            missing.append(current)
            parent = os.path.dirname(current)
            if parent == current:
                break
            current = parent
        for path in reversed(missing):
            with contextlib.suppress(FileExistsError):
                os.mkdir(path)
            _fsync_directory(os.path.dirname(path) or ".")

    def _write(self, path: str, data: bytes) -> None:
        """Append ``data`` to ``path`` durably (local: ``O_APPEND`` write loop + ``fsync``, and the directory's
        fsync when the file is new)."""
        if not self.local:
            with self._fs.open(path, "ab") as file:
                file.write(data)
                file.flush()
            return
        created = not os.path.exists(path)
        descriptor = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
        try:
            view = memoryview(data)
            while view:
                written = os.write(descriptor, view)
                view = view[written:]
            os.fsync(descriptor)  # an error here is fatal: the caller stops, it never retries
        finally:
            os.close(descriptor)
        if created:
            _fsync_directory(os.path.dirname(path))

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


class ChainWriter:
    """The one writer of a chain (``AuditSink.open_chain``): holds the chain's lock, knows its head, and appends
    entries durably. Thread-safe: concurrent appends (e.g. from the applier's threads) are serialised."""

    def __init__(
        self, sink: AuditSink, chain: str, keyring: AuditKeyring, *, holder: str | None, wait: float, poll: float
    ) -> None:
        self.sink = sink
        self.chain = chain
        self.keyring = keyring
        self._guard = threading.Lock()
        self._release = _acquire(sink, chain, holder, wait, poll)
        try:
            self.tail = sink.tail(chain, keyring)
        except Exception as error:
            self._release()
            message = f"audit chain of {chain} in {sink.url!r} cannot be continued: {sink.scrub(error)}"
            raise AuditSinkError(message) from None
        self.head = self.tail.head
        files = sink.files(chain)
        self._newest = posixpath.basename(files[-1]) if files else ""
        self._torn_checked: set[str] = set()
        self._closed = False

    def __enter__(self) -> ChainWriter:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, traceback: TracebackType | None
    ) -> None:
        self.close()

    def close(self) -> None:
        if not self._closed:
            self._closed = True
            self._release()

    def append(self, kind: Kind, bodies: Sequence[dict[str, Any]], *, now: datetime | None = None) -> ChainHead:
        """Append one entry per body, all in one durable write; the chain's new head. ``AuditSinkError`` when they
        could not be kept (the head is then unchanged and the caller must not act as if they were)."""
        if not bodies:
            return self.head
        with self._guard:
            if self._closed:
                raise AuditSinkError(f"the writer of audit chain {self.chain} is closed")
            written_at = (now or datetime.now(UTC)).astimezone(UTC)
            seq, digest = self.head.seq, self.head.digest
            lines = []
            try:
                for body in bodies:
                    seq += 1
                    line, digest = encode_entry(
                        chain=self.chain,
                        seq=seq,
                        prev_hash=digest,
                        written_at=written_at,
                        kind=kind,
                        body=body,
                        keyring=self.keyring,
                    )
                    lines.append(line)
                directory = self.sink._path(self.chain)
                name = max(f"{written_at.date().isoformat()}.jsonl", self._newest)  # never an earlier file
                path = posixpath.join(directory, name)
                if path not in self._torn_checked:
                    self.sink._makedirs(directory)
                    lead = b"\n" if self.sink._ends_torn(path) else b""
                    self._torn_checked.add(path)
                else:
                    lead = b""
                self.sink._write(path, lead + b"\n".join(lines) + b"\n")
            except Exception as error:  # whatever the backend raised, the entries are not kept
                why = self.sink.scrub(error)
                raise AuditSinkError(
                    f"audit records of {self.chain} could not be appended to {self.sink.url!r}: {why}"
                ) from None
            self._newest = name
            self.head = ChainHead(self.chain, seq, digest)
            return self.head


def _acquire(sink: AuditSink, chain: str, holder: str | None, wait: float, poll: float) -> Callable[[], None]:
    """Take the chain's writer lock; the function that releases it."""
    directory = sink._path(chain)
    who = json.dumps({"holder": holder, "host": socket.gethostname(), "pid": os.getpid(), "since": _now()})
    try:
        sink._makedirs(directory)
    except Exception as error:
        raise AuditSinkError(f"audit sink {sink.url!r} is not writable: {sink.scrub(error)}") from None
    deadline = time.monotonic() + wait
    if sink.local:
        path = posixpath.join(directory, LOCK_FILE)
        descriptor = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
        while True:
            try:
                fcntl.flock(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    held = os.pread(descriptor, 500, 0).decode("utf-8", errors="replace").strip()
                    os.close(descriptor)
                    raise AuditSinkError(
                        f"audit chain {chain} in {sink.url!r} has another writer ({path} locked for over "
                        f"{wait:.0f} s by {held or 'a process'}); a chain has one writer at a time"
                    ) from None
                time.sleep(poll)
        os.ftruncate(descriptor, 0)
        os.write(descriptor, who.encode() + b"\n")

        def release_lock() -> None:
            fcntl.flock(descriptor, fcntl.LOCK_UN)
            os.close(descriptor)

        return release_lock
    marker = posixpath.join(directory, MARKER_FILE)
    while True:
        try:
            with sink._fs.open(marker, "xb") as file:
                file.write(who.encode())
            break
        except FileExistsError:
            if time.monotonic() >= deadline:
                held = _read_marker(sink, marker)
                raise AuditSinkError(
                    f"audit chain {chain} in {sink.url!r} has another writer ({marker}: {held}); a chain has one "
                    "writer at a time. If no writer is running (one died), delete the marker."
                ) from None
            time.sleep(poll)

    def release_marker() -> None:
        with contextlib.suppress(FileNotFoundError):
            sink._fs.rm(marker)

    return release_marker


def _read_marker(sink: AuditSink, marker: str) -> str:
    try:
        with sink._fs.open(marker, "rb") as file:
            return bytes(file.read(500)).decode("utf-8", errors="replace")
    except Exception as error:
        return f"unreadable ({error})"


def _now() -> str:
    return datetime.now(UTC).isoformat()


def _fsync_directory(path: str) -> None:
    descriptor = os.open(path, os.O_RDONLY)
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)


def _line(policy: str, path: str, number: int, raw: bytes) -> SinkLine:
    raw = raw.rstrip(b"\r\n")
    try:
        return SinkLine(policy, path, number, raw.decode("utf-8"), raw=raw)
    except UnicodeDecodeError as error:
        text = raw.decode("utf-8", errors="replace")
        return SinkLine(policy, path, number, text, f"not UTF-8: {error.reason}", raw=raw)


def _secrets_of(url: str) -> list[str]:
    """The credentials in ``url`` as they may turn up in a backend's message: whole, and the password alone
    (raw and percent-decoded), longest first."""
    secrets: set[str] = set()
    for match in _USERINFO.finditer(url):
        userinfo = match.group()[:-1]
        password = userinfo.partition(":")[2]
        secrets.update((userinfo, unquote(userinfo), password, unquote(password)))
    return sorted((s for s in secrets if len(s) >= 3), key=len, reverse=True)  # shorter ones hide nothing
