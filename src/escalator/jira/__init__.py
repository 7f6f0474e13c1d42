"""escalator's Jira adapter: the one place that knows Jira's REST API, its two deployments and its errors.

settings = JiraSettings.from_env()
with JiraAdapter.connect(settings) as jira:
    report = jira.preflight(policy)          # before the first write; raises PreflightFailed
    for page in jira.policy_pages(policy):   # one request per page
        ...                                  # page.issues: IssueSnapshot, page.problems
    jira.apply(decision)                     # one PUT (+ one notify POST if asked)
"""

from escalator.jira.adapter import Applied, JiraAdapter, SearchPage
from escalator.jira.errors import (
    JiraAuthError,
    JiraBadRequest,
    JiraConfigError,
    JiraError,
    JiraNotFound,
    JiraPermissionError,
    JiraProtocolError,
    JiraRateLimited,
    JiraUnavailable,
    JiraUnexpectedResponse,
    PreflightFailed,
)
from escalator.jira.preflight import PreflightReport
from escalator.jira.retry import RetryPolicy
from escalator.jira.settings import JiraSettings
from escalator.jira.snapshot import Deployment, SnapshotProblem

__all__ = [
    "Applied",
    "Deployment",
    "JiraAdapter",
    "JiraAuthError",
    "JiraBadRequest",
    "JiraConfigError",
    "JiraError",
    "JiraNotFound",
    "JiraPermissionError",
    "JiraProtocolError",
    "JiraRateLimited",
    "JiraSettings",
    "JiraUnavailable",
    "JiraUnexpectedResponse",
    "PreflightFailed",
    "PreflightReport",
    "RetryPolicy",
    "SearchPage",
    "SnapshotProblem",
]
