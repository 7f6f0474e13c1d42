"""The transport reads the proxy settings for its Jira from the environment once, when it is made, as ``requests``
would for each request (``NO_PROXY`` respected): a sweep then does not scan the environment per page."""

from __future__ import annotations

import pytest

from escalator.jira.settings import JiraSettings
from escalator.jira.transport import Transport

URL = "https://example.atlassian.net"


def transport() -> Transport:
    return Transport(JiraSettings.from_env({"JIRA_URL": URL, "JIRA_EMAIL": "a@example.com", "JIRA_API_TOKEN": "t"}))


def test_a_proxy_in_the_environment_is_used(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HTTPS_PROXY", "http://proxy.example:3128")
    monkeypatch.delenv("NO_PROXY", raising=False)
    monkeypatch.delenv("no_proxy", raising=False)
    session = transport()._session
    assert session.proxies.get("https") == "http://proxy.example:3128"
    assert not session.trust_env  # read once: requests does not scan the environment again per request


def test_no_proxy_for_this_jira_is_respected(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HTTPS_PROXY", "http://proxy.example:3128")
    monkeypatch.setenv("NO_PROXY", "example.atlassian.net")
    assert "https" not in transport()._session.proxies


def test_a_ca_bundle_in_the_environment_is_used(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", "/etc/ssl/certs/company-ca.pem")
    assert transport()._session.verify == "/etc/ssl/certs/company-ca.pem"
