"""Helpers for tests that damage audit chains on purpose: read a day file's lines, and rewrite a line as a forger
would, recomputing its hash (or MAC, with the key) so the line itself looks intact."""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path
from typing import Any

from escalator.audit.entry import encode_entry, parse_entry
from escalator.audit.keys import AuditKeyring


def lines_of(path: Path) -> list[str]:
    return path.read_text().splitlines()


def write_lines(path: Path, lines: list[str]) -> None:
    path.write_text("\n".join(lines) + "\n")


def forged(line: str, keyring: AuditKeyring | None = None, **changes: Any) -> str:
    """``line`` with its fields changed (``body`` is merged, the others replaced) and hashed again, as someone who
    can recompute the hash (sha256, or the MAC with ``keyring``) would write it."""
    entry = parse_entry(line.encode())
    assert entry is not None and entry.version == 2, line
    body = {**entry.body, **changes.pop("body", {})}
    fields: dict[str, Any] = {
        "chain": entry.chain,
        "seq": entry.seq,
        "prev_hash": entry.prev_hash,
        "written_at": datetime.fromisoformat(entry.written_at or ""),
        "kind": entry.kind,
    }
    fields.update(changes)
    raw, _ = encode_entry(body=body, keyring=keyring or AuditKeyring(), **fields)
    return raw.decode()


def hash_of(line: str) -> str:
    return str(json.loads(line)["hash"])
