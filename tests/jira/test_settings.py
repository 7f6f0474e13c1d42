from __future__ import annotations

import traceback

import pytest

from escalator.jira import JiraAdapter, JiraAuthError, JiraConfigError, JiraSettings
from jira_sandbox.testing import Sandbox

from .conftest import settings_for

SECRET = "s3cr3t-token-do-not-print"


def test_basic_auth_from_env() -> None:
    settings = JiraSettings.from_env(
        {"JIRA_URL": "https://example.atlassian.net/", "JIRA_EMAIL": "bot@example.com", "JIRA_API_TOKEN": SECRET}
    )
    assert settings.url == "https://example.atlassian.net"
    assert settings.auth_kind == "basic"
    assert settings.api_token is not None and settings.api_token.get_secret_value() == SECRET


def test_pat_from_env() -> None:
    settings = JiraSettings.from_env({"JIRA_URL": "https://jira.example.com", "JIRA_PAT": SECRET})
    assert settings.auth_kind == "bearer"


@pytest.mark.parametrize(
    ("env", "named"),
    [
        ({}, "JIRA_URL"),
        ({"JIRA_URL": "https://x"}, "JIRA_PAT, or JIRA_EMAIL and JIRA_API_TOKEN"),
        ({"JIRA_URL": "https://x", "JIRA_EMAIL": "a@b"}, "JIRA_API_TOKEN"),
        ({"JIRA_URL": "https://x", "JIRA_API_TOKEN": SECRET}, "JIRA_EMAIL"),
        ({"JIRA_URL": "https://x", "JIRA_PAT": SECRET, "JIRA_EMAIL": "a@b", "JIRA_API_TOKEN": SECRET}, "not both"),
        ({"JIRA_URL": "x.example.com", "JIRA_PAT": SECRET}, "JIRA_URL must start with https://"),
    ],
)
def test_missing_or_wrong_settings_name_the_variable(env: dict[str, str], named: str) -> None:
    with pytest.raises(JiraConfigError) as caught:
        JiraSettings.from_env(env)
    assert named in str(caught.value)
    assert SECRET not in str(caught.value)


def test_secrets_never_in_repr_or_str() -> None:
    for env in (
        {"JIRA_URL": "https://x", "JIRA_EMAIL": "a@b", "JIRA_API_TOKEN": SECRET},
        {"JIRA_URL": "https://x", "JIRA_PAT": SECRET},
    ):
        settings = JiraSettings.from_env(env)
        assert SECRET not in repr(settings)
        assert SECRET not in str(settings)
        assert SECRET not in settings.model_dump_json()


def test_adapter_repr_and_401_message_hold_no_secret(cloud_sandbox: Sandbox, caplog: pytest.LogCaptureFixture) -> None:
    with JiraAdapter.connect(settings_for(cloud_sandbox)) as adapter:
        assert cloud_sandbox.token not in repr(adapter)
        assert adapter.deployment == "cloud"
    wrong = settings_for(cloud_sandbox, token=SECRET)
    with JiraAdapter.connect(wrong) as adapter, pytest.raises(JiraAuthError) as caught:
        list(adapter.search_pages("project = OPS"))
    assert caught.value.status == 401
    shown = "".join(traceback.format_exception(caught.value))  # chained exceptions included
    for text in (str(caught.value), repr(caught.value), shown, caplog.text, repr(adapter)):
        assert SECRET not in text
        assert cloud_sandbox.user not in text


def test_bearer_pat_works_against_server(server_sandbox: Sandbox) -> None:
    settings = JiraSettings.model_validate({"url": server_sandbox.url, "pat": server_sandbox.token})
    with JiraAdapter.connect(settings) as adapter:
        assert adapter.deployment == "server"
        page = next(adapter.search_pages("project = OPS", page_size=2))
        assert len(page.issues) == 2
