"""escalator: Jira escalation policies as code, run by Prefect, recorded for audit."""

__version__ = "0.1.0"
