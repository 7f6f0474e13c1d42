"""The ``escalator.state`` property as stored in Jira: plain, or sealed with an HMAC-SHA256 when a state key is set.

Any Jira user who may edit an issue may write its properties. With a key (``ESCALATOR_STATE_KEY`` or the Jira
Secret block's ``state_key``), escalator stores ``{"v": 2, "kid": ..., "payload": ..., "mac": ...}``: ``payload``
is the state as canonical JSON *text* (so Jira cannot reformat the bytes that were signed) and ``mac`` is the
HMAC-SHA256 of a domain tag, the issue key, the key id and the payload. A state copied from another issue, edited,
or written by someone without the key does not verify. Several keys may be given, newest first: the newest seals,
all of them open, so a key is rotated by putting a new one in front and dropping the old one once every state has
been rewritten (or has fallen back on the changelog, see ``escalator.core.state``). The key id is a short hash of
the key, never the key. An issue that moves to another project changes its key, so its state no longer verifies
and is rebuilt from the changelog.

Without a key the state is stored plain, as before, and read as it stands; preflight and the run summary say so.
Pure: no I/O.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Sequence
from typing import Any

from pydantic import SecretStr, ValidationError

from escalator.core.issue import EscalationState

__all__ = ["SEALED_VERSION", "StateSeal"]

SEALED_VERSION = 2
_DOMAIN = b"escalator.state.v2"


class StateSeal:
    """Seals states for writing and opens what an issue's property holds. ``keys``: newest first; none: plain."""

    def __init__(self, keys: Sequence[SecretStr] = ()) -> None:
        self._keys = {_key_id(key): key.get_secret_value().encode() for key in keys}
        self._signing = _key_id(keys[0]) if keys else None

    def __repr__(self) -> str:
        return f"StateSeal({len(self._keys)} key(s))"

    @property
    def signed(self) -> bool:
        return self._signing is not None

    def seal(self, issue_key: str, state: EscalationState) -> dict[str, Any]:
        """The property value to store for ``state`` on issue ``issue_key``."""
        plain = state.model_dump(mode="json")
        if self._signing is None:
            return plain
        payload = json.dumps(plain, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
        mac = _mac(self._keys[self._signing], issue_key, self._signing, payload)
        return {"v": SEALED_VERSION, "kid": self._signing, "payload": payload, "mac": mac}

    def open(self, issue_key: str, value: Any) -> tuple[EscalationState | None, str | None]:
        """The state the property holds and, when it cannot be trusted, why not (the state is then None)."""
        if not isinstance(value, dict):
            return None, f"the escalation state is not an object but {type(value).__name__}"
        if "payload" in value or "mac" in value or "v" in value:
            return self._open_sealed(issue_key, value)
        version = value.get("schema_version", 1)
        if version != 1:
            return None, f"the escalation state has schema version {version!r}, which this escalator does not read"
        if self._signing is not None:
            return None, "the escalation state is not signed, but a state key is set"
        return _validated(value)

    def _open_sealed(self, issue_key: str, value: dict[str, Any]) -> tuple[EscalationState | None, str | None]:
        if value.get("v") != SEALED_VERSION:
            return None, f"the escalation state has version {value.get('v')!r}, which this escalator does not read"
        kid, payload, mac = value.get("kid"), value.get("payload"), value.get("mac")
        if not (isinstance(kid, str) and isinstance(payload, str) and isinstance(mac, str)):
            return None, "the signed escalation state lacks its key id, payload or MAC"
        key = self._keys.get(kid)
        if key is None:
            known = "no state key is set" if not self._keys else "that key is not among the state keys"
            return None, f"the escalation state is signed with key {kid[:16]!r} and {known}"
        if not hmac.compare_digest(_mac(key, issue_key, kid, payload), mac):
            return None, "the escalation state's MAC does not verify: it was changed, copied or forged"
        try:
            plain = json.loads(payload)
        except ValueError:
            return None, "the signed escalation state's payload is not JSON"
        if not isinstance(plain, dict) or plain.get("schema_version", 1) != 1:
            return None, "the signed escalation state has a schema version this escalator does not read"
        return _validated(plain)


def _validated(plain: dict[str, Any]) -> tuple[EscalationState | None, str | None]:
    try:
        return EscalationState.model_validate(plain), None
    except ValidationError as exc:
        reasons = "; ".join(f"{'.'.join(map(str, e['loc'])) or 'value'}: {e['msg']}" for e in exc.errors()[:3])
        return None, f"the escalation state is unreadable ({reasons})"


def _key_id(key: SecretStr) -> str:
    return hashlib.sha256(b"escalator.state.kid\x1f" + key.get_secret_value().encode()).hexdigest()[:16]


def _mac(key: bytes, issue_key: str, kid: str, payload: str) -> str:
    message = b"\x1f".join((_DOMAIN, issue_key.encode(), kid.encode(), payload.encode()))
    return hmac.new(key, message, hashlib.sha256).hexdigest()
