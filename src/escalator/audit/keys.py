"""The audit chain's keys: HMAC-SHA256 over each stored line, so rewriting a chain consistently needs a key.

Without a key a chain is hashed with plain sha256, which anyone can recompute: it catches accidents and edits
inside the chain, not a rewrite. With ``ESCALATOR_AUDIT_KEY`` (or a Prefect Secret block holding the same text)
every line carries a MAC and the id of the key (``kid``) that made it.

The text is one or more keys separated by commas or white space, newest first: ``KID:SECRET`` or just ``SECRET``
(its kid is then derived from it; such a secret must not contain ``:``). The first key signs; every key listed
verifies, which is how a key is rotated: put the new key first, keep the old one after it for as long as lines
signed with it must be checked. A secret has at least 32 characters (``openssl rand -hex 32``). Secrets never
appear in a repr, log line or error message.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import re
from collections.abc import Sequence

__all__ = ["AUDIT_KEY_ENV", "AuditKeyError", "AuditKeyring", "load_keyring"]

AUDIT_KEY_ENV = "ESCALATOR_AUDIT_KEY"
MIN_SECRET_LENGTH = 32
_KID = re.compile(r"^[A-Za-z0-9._-]{1,32}$")


class AuditKeyError(Exception):
    """The audit key text is malformed (the message never quotes a secret)."""


class AuditKeyring:
    """Keys by id, the first of them the one that signs. An empty keyring means unkeyed (sha256) chains."""

    def __init__(self, keys: Sequence[tuple[str, bytes]] = ()) -> None:
        self._keys: dict[str, bytes] = {}
        for kid, secret in keys:
            if kid in self._keys:
                raise AuditKeyError(f"audit key id {kid!r} is listed twice")
            self._keys[kid] = secret
        self.signing_kid: str | None = keys[0][0] if keys else None

    @classmethod
    def parse(cls, text: str, *, source: str = AUDIT_KEY_ENV) -> AuditKeyring:
        """Keys from their text form (see the module docstring); ``source`` names where the text came from."""
        keys: list[tuple[str, bytes]] = []
        for position, item in enumerate(re.split(r"[\s,]+", text.strip()), start=1):
            if not item:
                continue
            kid, separator, secret = item.partition(":")
            if not separator or not _KID.match(kid):
                kid, secret = derived_kid(item), item
            if len(secret) < MIN_SECRET_LENGTH:
                raise AuditKeyError(
                    f"{source}: key {position} ({kid}) is shorter than {MIN_SECRET_LENGTH} characters; "
                    "use e.g. `openssl rand -hex 32`"
                )
            keys.append((kid, secret.encode()))
        return cls(keys)

    @property
    def kids(self) -> list[str]:
        return list(self._keys)

    def __bool__(self) -> bool:
        return bool(self._keys)

    def __repr__(self) -> str:
        return f"AuditKeyring(kids={self.kids!r}, signing={self.signing_kid!r})"

    def knows(self, kid: str) -> bool:
        return kid in self._keys

    def mac(self, kid: str, data: bytes) -> str:
        """HMAC-SHA256 of ``data`` under key ``kid`` (``KeyError`` for a kid this keyring does not hold)."""
        return hmac.new(self._keys[kid], data, hashlib.sha256).hexdigest()

    def matches(self, kid: str, data: bytes, mac: str) -> bool:
        """True when ``mac`` is the MAC of ``data`` under ``kid`` (a constant-time comparison)."""
        return hmac.compare_digest(self.mac(kid, data), mac)


def derived_kid(secret: str) -> str:
    """The id of a key given without one: a short hash of it (the secret cannot be recovered from it)."""
    return "k" + hashlib.sha256(b"escalator-audit-kid\n" + secret.encode()).hexdigest()[:11]


def load_keyring(block: str | None = None) -> AuditKeyring:
    """The keys from the Prefect Secret block named ``block``, else from ``ESCALATOR_AUDIT_KEY``; empty when
    neither is set. The block holds the same text as the variable (or a list of such entries)."""
    if block:
        from prefect.blocks.system import Secret

        try:
            value = Secret.load(block).get()  # type: ignore[union-attr]
        except ValueError as error:
            raise AuditKeyError(f"audit key block {block!r} cannot be loaded: {error}") from None
        text = " ".join(str(item) for item in value) if isinstance(value, list) else str(value)
        return AuditKeyring.parse(text, source=f"audit key block {block!r}")
    return AuditKeyring.parse(os.environ.get(AUDIT_KEY_ENV, ""))
