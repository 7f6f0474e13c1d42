"""Credentials written into URLs, where logs, messages and Prefect's stored parameters would show them: a
``JIRA_URL`` with ``user:password@`` is refused without repeating it; an audit sink URL with credentials works
but shows as ``***`` in every message, CLI line, log line and the flow run's stored parameters; plain
``http://`` to another machine is warned about."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest
from prefect import get_client
from typer.testing import CliRunner

from escalator.audit.sink import AuditSink, AuditSinkError, redact_url
from escalator.cli.app import app
from escalator.jira import JiraConfigError, JiraSettings
from escalator.jira.transport import Transport
from jira_sandbox.testing import Sandbox

from .conftest import OPS, ROOT, sweep

SECRET = "hunter2-s3cr3t"
JIRA_WITH_CREDENTIALS = f"https://bob:{SECRET}@jira.example.com"
SINK_WITH_CREDENTIALS = f"ftp://auditor:{SECRET}@127.0.0.1:1/audit"  # nothing listens on loopback port 1
SINK_SHOWN = "ftp://***@127.0.0.1:1/audit"


def test_a_jira_url_with_credentials_is_refused_without_repeating_them() -> None:
    environment = {"JIRA_URL": JIRA_WITH_CREDENTIALS, "JIRA_EMAIL": "bob@example.com", "JIRA_API_TOKEN": "t0ken"}
    with pytest.raises(JiraConfigError) as refused:
        JiraSettings.from_env(environment)
    assert "JIRA_URL must not carry a user or password (user:password@host)" in str(refused.value)
    with pytest.raises(JiraConfigError) as from_block:
        JiraSettings.from_secret({"url": JIRA_WITH_CREDENTIALS, "pat": "t0ken"}, "Secret block 'jira'")
    assert "must not carry a user or password" in str(from_block.value)
    for error in (refused.value, from_block.value):
        assert SECRET not in str(error) and "bob:" not in str(error) and "t0ken" not in str(error)


def test_escalator_run_refuses_a_jira_url_with_credentials(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("JIRA_URL", JIRA_WITH_CREDENTIALS)
    monkeypatch.setenv("JIRA_PAT", "t0ken")
    monkeypatch.delenv("JIRA_EMAIL", raising=False)
    monkeypatch.delenv("JIRA_API_TOKEN", raising=False)
    monkeypatch.chdir(ROOT)
    result = CliRunner().invoke(app, ["run", "--policy", OPS])
    assert result.exit_code == 1
    assert "JIRA_URL must not carry a user or password" in result.output
    assert SECRET not in result.output and "Traceback" not in result.output


def test_plain_http_to_another_machine_is_warned_about(caplog: pytest.LogCaptureFixture) -> None:
    remote = JiraSettings(url="http://jira.internal.example:8080", pat="t0ken")  # type: ignore[arg-type]
    warning = remote.plain_http_warning
    assert warning is not None and "http:// to jira.internal.example" in warning and "unencrypted" in warning
    for url in ("http://127.0.0.1:8080", "http://localhost:8080", "http://[::1]:8080", "https://jira.example.com"):
        assert JiraSettings(url=url, pat="t0ken").plain_http_warning is None, url  # type: ignore[arg-type]
    with caplog.at_level(logging.WARNING, logger="escalator.jira.transport"):
        Transport(remote).close()  # the client makes no request until asked
    assert [record.getMessage() for record in caplog.records] == [warning]


def test_escalator_run_prints_the_plain_http_warning(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("JIRA_URL", "http://jira.internal.example")
    monkeypatch.setenv("JIRA_PAT", "t0ken")
    monkeypatch.chdir(ROOT)
    bad = tmp_path / "empty.yaml"
    bad.write_text("")  # stops the command before it starts a sweep
    result = CliRunner().invoke(app, ["run", "--policy", str(bad)])
    assert "warning JIRA_URL uses http:// to jira.internal.example" in result.output


def test_sink_urls_are_shown_without_credentials() -> None:
    assert redact_url(SINK_WITH_CREDENTIALS) == SINK_SHOWN
    assert redact_url("simplecache::s3://KEYID:SECRET@bucket/audit") == "simplecache::s3://***@bucket/audit"
    assert redact_url("ftp://user:p@ss@host/audit") == "ftp://***@host/audit"  # an unescaped @ in the password
    assert redact_url("/var/lib/escalator/audit") == "/var/lib/escalator/audit"
    assert redact_url("s3://bucket/audit") == "s3://bucket/audit"


def test_an_unreachable_sink_with_credentials_is_reported_without_them() -> None:
    with pytest.raises(AuditSinkError) as failed:
        AuditSink(SINK_WITH_CREDENTIALS)
    assert SINK_SHOWN in str(failed.value) and SECRET not in str(failed.value)
    assert failed.value.__cause__ is None and failed.value.__suppress_context__  # the backend's text is not chained


def test_escalator_audit_shows_a_sink_without_its_credentials(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("ESCALATOR_AUDIT_SINK", raising=False)
    for command in (["audit", "verify", "--sink", SINK_WITH_CREDENTIALS], ["audit", "--from", "sink"]):
        if "--sink" not in command:
            monkeypatch.setenv("ESCALATOR_AUDIT_SINK", SINK_WITH_CREDENTIALS)
        result = CliRunner().invoke(app, command)
        assert result.exit_code != 0
        assert SINK_SHOWN in result.output, result.output
        assert SECRET not in result.output and "Traceback" not in result.output


def test_a_sink_whose_credentials_were_redacted_is_refused_with_the_remedy() -> None:
    with pytest.raises(AuditSinkError) as refused:
        AuditSink(SINK_SHOWN)
    assert "credentials were removed before Prefect stored the run's parameters" in str(refused.value)
    assert "ESCALATOR_AUDIT_SINK" in str(refused.value)


@pytest.mark.usefixtures("prefect_harness")
def test_the_sweep_stores_and_logs_its_sink_parameter_without_credentials(
    sandbox: Sandbox, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.INFO):
        state, _ = sweep(policies=[OPS], audit_sink=SINK_WITH_CREDENTIALS)
    assert state.is_failed() and SINK_SHOWN in (state.message or "")
    assert sandbox.request_counts().total == 0, "the sweep reached Jira with an unusable audit sink"
    with get_client(sync_client=True) as client:
        run = client.read_flow_run(state.state_details.flow_run_id)
    assert run.parameters["params"]["audit_sink"] == SINK_SHOWN
    assert SECRET not in str(run.parameters) and SECRET not in (state.message or "")
    assert SINK_SHOWN in caplog.text and SECRET not in caplog.text  # log lines with their tracebacks
