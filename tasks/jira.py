"""Talk to Jira: preflight a policy, and fetch open issues a batch of pages at a time."""

from __future__ import annotations

from collections.abc import Iterator

from prefect import task
from prefect.blocks.system import Secret
from prefect.cache_policies import NO_CACHE

from escalator.core.policy import Policy
from escalator.jira.adapter import JiraAdapter, SearchPage
from escalator.jira.preflight import PreflightReport
from escalator.jira.settings import JiraSettings


def jira_settings(block: str | None) -> JiraSettings:
    """From a Prefect Secret block (JSON) when named, else from the JIRA_* environment variables."""
    if block is None:
        return JiraSettings.from_env()
    return JiraSettings.from_secret(Secret.load(block).get(), f"Secret block {block!r}")


@task(name="preflight", task_run_name="preflight[{policy.name}]", cache_policy=NO_CACHE)
def preflight(jira: JiraAdapter, policy: Policy, jql: str) -> PreflightReport:
    """Check ``policy`` against this Jira, and count the issues ``jql`` (its narrowed scope) matches."""
    return jira.preflight(policy, jql=jql)


@task(name="fetch-issues", task_run_name="fetch-issues[{policy}]", cache_policy=NO_CACHE)
def fetch_batch(pages: Iterator[SearchPage], max_pages: int, policy: str) -> list[SearchPage]:
    """Up to ``max_pages`` more pages from a streaming search (one task run per batch, not per page); ``policy``
    names the task run in the UI's timeline."""
    batch: list[SearchPage] = []
    for page in pages:
        batch.append(page)
        if len(batch) >= max_pages:
            break
    return batch
