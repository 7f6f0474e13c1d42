"""One stored line of an audit chain: how it is written, read back and checked. Pure: bytes in, bytes out.

Format 2 (written since the chain anchors came in) binds every byte that means something: the line is

    {"hash":"<64 hex>",<the rest of the entry's canonical JSON>}

and ``hash`` is the sha256 (unkeyed) or HMAC-SHA256 (keyed, ``kid`` names the key) of exactly the bytes of the
entry's canonical JSON ``{<the rest>}``: ``v`` (2), ``chain`` (its name, so a line moved to another chain shows),
``seq``, ``prev_hash``, ``written_at``, ``kind``, ``kid`` and ``body``. Hashing the bytes as written, rather than a
re-serialisation of what was parsed, leaves nothing to canonicalisation (floats, escapes, duplicate keys): the
writer refuses NaN, and the verifier checks the very bytes it read.

Kinds: ``record`` (a decision record, the body is an ``AuditRecord``), ``intent`` (an escalation about to be
written to Jira: the record it will have, outcome ``intent``) and ``checkpoint`` (written after a run published its
records to Prefect: the body says which run and holds the open deadline breaches and held issues, see
``escalator.audit.trail``).

Format 1 lines (``{"hash", "prev_hash", "record", "seq", "written_at"}``, hash over ``seq``, ``prev_hash`` and
``record`` only) stay readable and verifiable; nothing writes them any more, and one after a format 2 line is a
problem (a downgrade).
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal, TypeGuard

from escalator.audit.keys import AuditKeyring

__all__ = [
    "FORMAT",
    "GENESIS_HASH",
    "Entry",
    "Kind",
    "check_entry",
    "encode_entry",
    "legacy_hash",
    "parse_entry",
]

FORMAT = 2
GENESIS_HASH = "0" * 64
Kind = Literal["record", "intent", "checkpoint"]
KINDS: frozenset[str] = frozenset({"record", "intent", "checkpoint"})
_PREFIX = re.compile(rb'^\{"hash":"([0-9a-f]{64})",')
_HEX64 = re.compile(r"^[0-9a-f]{64}$")


@dataclass(frozen=True)
class Entry:
    """A parsed line. ``signed`` is the exact byte string its hash covers (format 2), empty for format 1."""

    version: int
    chain: str | None
    seq: int
    prev_hash: str
    digest: str
    written_at: str | None
    kind: str
    kid: str | None
    body: dict[str, Any]
    signed: bytes = b""


def encode_entry(
    *,
    chain: str,
    seq: int,
    prev_hash: str,
    written_at: datetime,
    kind: Kind,
    body: dict[str, Any],
    keyring: AuditKeyring,
) -> tuple[bytes, str]:
    """The line (without its newline) and its hash; keyed with the keyring's signing key when it has one."""
    kid = keyring.signing_kid
    content = {
        "v": FORMAT,
        "chain": chain,
        "seq": seq,
        "prev_hash": prev_hash,
        "written_at": written_at.isoformat(),
        "kind": kind,
        "kid": kid,
        "body": body,
    }
    signed = json.dumps(content, sort_keys=True, separators=(",", ":"), allow_nan=False).encode()
    digest = keyring.mac(kid, signed) if kid is not None else hashlib.sha256(signed).hexdigest()
    return b'{"hash":"' + digest.encode() + b'",' + signed[1:], digest


def parse_entry(raw: bytes) -> Entry | None:
    """The entry a stored line holds, or None when it is not one (torn, not JSON, fields missing or mistyped)."""
    try:
        data = json.loads(raw)
    except ValueError:  # UnicodeDecodeError is a ValueError
        return None
    if not isinstance(data, dict):
        return None
    if data.get("v") == FORMAT:
        return _v2(raw, data)
    if "v" in data:
        return None
    return _v1(data)


def _v2(raw: bytes, data: dict[str, Any]) -> Entry | None:
    match = _PREFIX.match(raw)
    seq, prev_hash, chain = data.get("seq"), data.get("prev_hash"), data.get("chain")
    written_at, kind, kid, body = data.get("written_at"), data.get("kind"), data.get("kid"), data.get("body")
    if match is None or not _is_seq(seq) or not _is_hash(prev_hash) or not isinstance(chain, str):
        return None
    if not isinstance(written_at, str) or kind not in KINDS or not isinstance(body, dict):
        return None
    if kid is not None and not isinstance(kid, str):
        return None
    return Entry(2, chain, seq, prev_hash, match.group(1).decode(), written_at, kind, kid, body, b"{" + raw[75:])


def _v1(data: dict[str, Any]) -> Entry | None:
    seq, prev_hash, digest, record = data.get("seq"), data.get("prev_hash"), data.get("hash"), data.get("record")
    if not _is_seq(seq) or not _is_hash(prev_hash) or not isinstance(digest, str) or not isinstance(record, dict):
        return None
    written_at = data.get("written_at")
    stamp = written_at if isinstance(written_at, str) else None
    return Entry(1, None, seq, prev_hash, digest, stamp, "record", None, record)


def legacy_hash(seq: int, prev_hash: str, record: dict[str, Any]) -> str:
    """Format 1: sha256 over the canonical JSON of ``seq``, ``prev_hash`` and ``record`` (not ``written_at``)."""
    chained = {"seq": seq, "prev_hash": prev_hash, "record": record}
    canonical = json.dumps(chained, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()


def check_entry(entry: Entry, keyring: AuditKeyring) -> str | None:
    """Why the entry does not match its hash (``"altered"``), or that its key is unknown (``"no-key"``); None when
    it matches."""
    if entry.version == 1:
        return None if legacy_hash(entry.seq, entry.prev_hash, entry.body) == entry.digest else "altered"
    if entry.kid is None:
        return None if hashlib.sha256(entry.signed).hexdigest() == entry.digest else "altered"
    if not keyring.knows(entry.kid):
        return "no-key"
    return None if keyring.matches(entry.kid, entry.signed, entry.digest) else "altered"


def _is_seq(value: object) -> TypeGuard[int]:
    return isinstance(value, int) and not isinstance(value, bool) and value >= 1


def _is_hash(value: object) -> TypeGuard[str]:
    return isinstance(value, str) and bool(_HEX64.match(value))
