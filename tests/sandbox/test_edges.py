"""The sandbox's own edges, as an adversary would probe them: no empty admin token, request bodies over the
limit refused before they are read (413), tokens compared in constant time, and a warning when it listens
where other machines can reach it. (A 500 never carries the exception's text: ``test_never_500.py``.)"""

from __future__ import annotations

import hmac
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests
from typer.testing import CliRunner

from escalator.cli.app import app
from jira_sandbox.server import exposure_warning
from jira_sandbox.settings import SandboxSettings
from jira_sandbox.testing import Sandbox, running_sandbox

LIMIT = 4096


@pytest.fixture(scope="module")
def small() -> Iterator[Sandbox]:
    """A sandbox that accepts request bodies of at most ``LIMIT`` bytes."""
    with running_sandbox(mode="cloud", seed=5, max_body_bytes=LIMIT) as sandbox:
        yield sandbox


@pytest.mark.parametrize("token", ["", "   "])
def test_an_empty_admin_token_is_refused(token: str, tmp_path: Path) -> None:
    result = CliRunner().invoke(app, ["sandbox", "start", "--db", str(tmp_path / "s.db"), "--token", token])
    assert result.exit_code == 2
    assert "--token may not be empty" in result.output
    assert not (tmp_path / "s.db").exists(), "the sandbox got as far as creating its state"
    with pytest.raises(ValueError, match="admin token may not be empty"):
        SandboxSettings(admin_token=token)


def test_a_body_over_the_limit_is_refused_before_it_is_read(small: Sandbox) -> None:
    url = f"{small.url}/rest/api/2/issue/OPS-1/comment"
    over = {"body": "x" * LIMIT}
    refused = requests.post(url, json=over, auth=small.auth, timeout=10)
    assert refused.status_code == 413
    assert refused.json() == {
        "errorMessages": [f"The request body is larger than the sandbox accepts ({LIMIT:,} bytes)."],
        "errors": {},
    }
    assert small.requests()[-1].status == 413
    under = requests.post(url, json={"body": "x" * (LIMIT // 2)}, auth=small.auth, timeout=10)
    assert under.status_code == 201


def test_a_streamed_body_over_the_limit_is_refused_too(small: Sandbox) -> None:
    """No ``Content-Length`` to go by (chunked): the body is counted as it arrives."""
    chunks = (b'{"body": "' + b"x" * 1024 if i == 0 else b"x" * 1024 for i in range(8))
    refused = requests.post(
        f"{small.url}/rest/api/2/issue/OPS-1/comment",
        data=chunks,
        auth=small.auth,
        headers={"Content-Type": "application/json"},
        timeout=10,
    )
    assert refused.status_code == 413


def test_a_large_body_is_refused_before_the_credentials_are_checked(small: Sandbox) -> None:
    """An anonymous caller cannot make the admin endpoint hold a large body in memory."""
    refused = requests.post(f"{small.url}/_sandbox/import", data=b"[" + b" " * LIMIT + b"]", timeout=10)
    assert refused.status_code == 413


def test_tokens_are_compared_in_constant_time(small: Sandbox, monkeypatch: pytest.MonkeyPatch) -> None:
    """Every token a caller presents meets ``hmac.compare_digest``; a bearer token is compared with every user's
    token, found or not, so neither a near miss nor which user matched shows in the time taken."""
    compared: list[tuple[bytes, bytes]] = []
    constant_time = hmac.compare_digest

    def recording(given: bytes, expected: bytes) -> bool:
        compared.append((given, expected))
        return constant_time(given, expected)

    monkeypatch.setattr(hmac, "compare_digest", recording)
    myself = f"{small.url}/rest/api/2/myself"
    assert requests.get(myself, auth=small.auth, timeout=10).status_code == 200
    assert requests.get(myself, auth=(small.user, small.token[:-1] + "?"), timeout=10).status_code == 401
    assert compared == [
        (small.token.encode(), small.token.encode()),
        ((small.token[:-1] + "?").encode(), small.token.encode()),
    ]
    with small.store.transaction() as db:
        with_tokens = db.execute("SELECT COUNT(*) FROM users WHERE token IS NOT NULL AND token != ''").fetchone()[0]
    for bearer, status in ((small.token, 200), ("token-nobody", 401)):
        compared.clear()
        answer = requests.get(myself, headers={"Authorization": f"Bearer {bearer}"}, timeout=10)
        assert answer.status_code == status
        assert len(compared) == with_tokens > 1 and {given for given, _ in compared} == {bearer.encode()}
    empty = requests.get(myself, headers={"Authorization": "Bearer "}, timeout=10)
    assert empty.status_code == 401


def test_listening_beyond_loopback_is_warned_about() -> None:
    for host in ("127.0.0.1", "127.0.0.2", "::1", "[::1]", "localhost"):
        assert exposure_warning(host) is None, host
    for host in ("0.0.0.0", "::", "192.0.2.10", "sandbox.example.com"):
        warning = exposure_warning(host)
        assert warning is not None and f"listens on {host}" in warning and "--host 127.0.0.1" in warning


def test_escalator_sandbox_start_prints_the_warning(tmp_path: Path) -> None:
    """192.0.2.10 (TEST-NET-1) is no address of this machine, so the start fails at the bind, after the warning;
    nothing listens anywhere meanwhile."""
    result = CliRunner().invoke(app, ["sandbox", "start", "--db", ":memory:", "--host", "192.0.2.10", "--port", "0"])
    assert result.output.startswith("warning: the sandbox listens on 192.0.2.10, which other machines may reach")
    assert result.exit_code != 0 and "cannot assign requested address" in result.output
