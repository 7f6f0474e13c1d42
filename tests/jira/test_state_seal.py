"""The escalation state as stored: sealed with an HMAC when a state key is set, so edits, copies, forgeries and
unknown versions are refused; keys rotate; without a key, plain states are read as before."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest
from pydantic import SecretStr

from escalator.core.issue import EscalationState
from escalator.jira.settings import JiraSettings
from escalator.jira.state_seal import StateSeal

OLD, NEW = SecretStr("o" * 32), SecretStr("n" * 32)
STATE = EscalationState(
    policy="outage-matrix",
    policy_version="3",
    category="outage",
    level="L2",
    level_index=2,
    at=datetime(2026, 11, 20, 10, 0, tzinfo=UTC),
    first_at=datetime(2026, 11, 20, 9, 0, tzinfo=UTC),
    assignee_set="acc-bob",
)


def test_a_sealed_state_opens_on_its_issue_only() -> None:
    seal = StateSeal([NEW])
    stored = seal.seal("OPS-1", STATE)
    assert set(stored) == {"v", "kid", "payload", "mac"} and isinstance(stored["payload"], str)
    assert seal.open("OPS-1", stored) == (STATE, None)
    state, problem = seal.open("OPS-2", stored)  # copied onto another issue
    assert state is None and problem and "does not verify" in problem


@pytest.mark.parametrize(
    "tamper",
    [
        lambda s: {**s, "payload": s["payload"].replace('"L2"', '"L3"')},
        lambda s: {**s, "mac": "0" * 64},
        lambda s: {**s, "kid": "f" * 16},
        lambda s: {**s, "v": 3},
        lambda s: {key: value for key, value in s.items() if key != "mac"},
    ],
    ids=["edited payload", "forged mac", "unknown key id", "future version", "no mac"],
)
def test_any_change_to_a_sealed_state_is_refused(tamper: object) -> None:
    seal = StateSeal([NEW])
    state, problem = seal.open("OPS-1", tamper(seal.seal("OPS-1", STATE)))  # type: ignore[operator]
    assert state is None and problem


def test_an_unsigned_state_is_refused_once_a_key_is_set_and_read_without_one() -> None:
    plain = STATE.model_dump(mode="json")
    assert StateSeal().open("OPS-1", plain) == (STATE, None)
    state, problem = StateSeal([NEW]).open("OPS-1", plain)
    assert state is None and problem and "not signed" in problem


def test_a_newer_schema_is_a_problem_never_read_as_version_1() -> None:
    newer = {**STATE.model_dump(mode="json"), "schema_version": 99, "surprise": True}
    state, problem = StateSeal().open("OPS-1", newer)
    assert state is None and problem and "schema version 99" in problem


def test_keys_rotate_newest_first_and_the_old_key_still_opens() -> None:
    sealed_with_old = StateSeal([OLD]).seal("OPS-1", STATE)
    rotated = StateSeal([NEW, OLD])
    assert rotated.open("OPS-1", sealed_with_old) == (STATE, None)
    assert rotated.seal("OPS-1", STATE)["kid"] == StateSeal([NEW]).seal("OPS-1", STATE)["kid"] != sealed_with_old["kid"]
    state, _ = StateSeal([NEW]).open("OPS-1", sealed_with_old)  # the old key retired
    assert state is None


def test_keys_never_show() -> None:
    seal = StateSeal([NEW])
    stored = json.dumps(seal.seal("OPS-1", STATE))
    assert NEW.get_secret_value() not in stored + repr(seal)
    settings = JiraSettings.from_env(
        {"JIRA_URL": "https://x.example", "JIRA_PAT": "p", "ESCALATOR_STATE_KEY": f"{'n' * 32}, {'o' * 32}"}
    )
    assert len(settings.state_keys) == 2 and "n" * 32 not in repr(settings)
    block = JiraSettings.from_secret({"url": "https://x.example", "pat": "p", "state_key": ["n" * 32]}, "block")
    assert len(block.state_keys) == 1


def test_a_short_state_key_is_refused_without_echoing_it() -> None:
    from escalator.jira.errors import JiraConfigError

    with pytest.raises(JiraConfigError) as caught:
        JiraSettings.from_env({"JIRA_URL": "https://x.example", "JIRA_PAT": "p", "ESCALATOR_STATE_KEY": "short"})
    assert "at least 32" in " ".join(caught.value.messages) and "short" not in str(caught.value) + " ".join(
        caught.value.messages
    )
