"""The audit report flow's one parameter (``flows/report.py``): which period, which policies, where the records
and Jira settings come from, and where the HTML form goes. Checked by the Prefect server on every run."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from pathlib import Path
from typing import Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, model_validator

__all__ = ["ReportParameters"]


class ReportParameters(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    days: int = Field(default=7, ge=1, le=3660, description="the period's length, ending at `until`")
    since: AwareDatetime | None = Field(default=None, description="the period's start; default: `days` before until")
    until: AwareDatetime | None = Field(
        default=None, description="the period's end (excluded); default: the last midnight (UTC) before the run"
    )
    policies: list[str] = Field(default=[], description="policy names; empty for every policy")
    source: Literal["prefect", "sink"] = Field(default="prefect", description="the runs' artifacts, or the sink")
    audit_sink: str | None = Field(
        default=None, description="the audit sink's path or URL (default: $ESCALATOR_AUDIT_SINK)"
    )
    jira_block: str | None = Field(default=None, description="a Prefect Secret block with the Jira settings")
    escalator_accounts: list[str] = Field(
        default=[], description="the Jira accounts escalator writes with; default: the account the settings log in as"
    )
    html_dir: str | None = Field(
        default="reports", description="where the HTML form is written (relative to the run's directory); null: none"
    )

    @model_validator(mode="after")
    def _ordered(self) -> ReportParameters:
        if self.since is not None and self.until is not None and self.since >= self.until:
            raise ValueError("since must be before until")
        return self

    def period(self, now: datetime) -> tuple[datetime, datetime | None]:
        """[since, until): by default the ``days`` whole UTC days before the last midnight before ``now``; with
        only ``since`` given, everything from then on."""
        midnight = datetime.combine(now.astimezone(UTC).date(), time(), tzinfo=UTC)
        until = self.until or (None if self.since else midnight)
        since = self.since or (until or midnight) - timedelta(days=self.days)
        return since, until

    def html_path(self, since: datetime, until: datetime | None, now: datetime) -> Path | None:
        """``<html_dir>/escalator-audit-report-<since>-to-<until>.html`` (dates, UTC); None without ``html_dir``."""
        if self.html_dir is None:
            return None
        end = until or now
        return Path(self.html_dir) / f"escalator-audit-report-{since:%Y-%m-%d}-to-{end:%Y-%m-%d}.html"
