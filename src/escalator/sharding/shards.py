"""A sweep split into shards that Prefect workers run as separate flow runs, so several machines share it.

A shard is a JQL clause ANDed to the scope of every policy of the sweep. Shards are cut by project: one shard
per listed project and one for every other project (``project not in (...)``). Every issue has exactly one
project, so the shards are disjoint and together cover the whole scope whatever it is: each issue is swept by
exactly one shard, and an issue of a project nobody listed is still swept.

The shards of one sweep share the Jira tenant, so they share its rate limits and the run's write budget (each
shard gets an even share). Each policy's blast radius (``max_escalations_per_run``) holds for the whole sweep:
the shards take their escalations from one allowance per policy on the Prefect server
(``escalator.orchestration.limits``). This module is plain data and arithmetic; the parent flow
(``flows/escalate_sharded.py``) launches and collects the shards.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from pydantic import BaseModel, ConfigDict, Field, field_validator

from escalator.sweep.parameters import SweepParameters
from escalator.sweep.report import SweepCounts

__all__ = [
    "REPORT_KEY",
    "SHARD_RUNNER_TAG",
    "Shard",
    "ShardOutcome",
    "ShardReport",
    "ShardedSweepParameters",
    "allowance_name",
    "project_shards",
    "sharded_summary",
    "sharded_verdict",
]


class Shard(BaseModel):
    """One part of a sharded sweep: ``jql`` is ANDed to every policy's scope."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    name: str = Field(pattern=r"^[a-z0-9][a-z0-9-]{0,63}$", description="lower case, digits and dashes")
    jql: str = Field(min_length=1)
    of: int = Field(default=1, ge=1, description="how many shards the sweep has (they share the rate limits)")
    sweep_id: str | None = Field(
        default=None,
        pattern=r"^[a-z0-9-]{1,64}$",
        description="the sharded sweep this shard belongs to: its shards share each policy's blast radius",
    )

    def limit_name(self, policy: str) -> str:
        """The Prefect global concurrency limit (of 1) that keeps two runs of this shard of ``policy`` apart."""
        return f"escalator-{policy}-shard-{self.name}"

    def chain_name(self, policy: str) -> str:
        """The audit-sink chain this shard of ``policy`` writes: one writer per chain, whatever the machine."""
        return f"{policy}@{self.name}"

    def allowance_name(self, policy: str) -> str | None:
        """The Prefect limit holding what is left of ``policy``'s blast radius in this sweep."""
        return allowance_name(policy, self.sweep_id) if self.sweep_id else None


def allowance_name(policy: str, sweep_id: str) -> str:
    return f"escalator-{policy}-allowance-{sweep_id}"


SHARD_RUNNER_TAG = "shard-runner"
"""the tag of the deployment that runs shards (``escalate-shard``): a run of it without a shard is refused, as it
would sweep whole scopes with none of the protections of a scheduled sweep (no deployment-wide limit)"""

REPORT_KEY = "escalator-shard-report"
"""the table artifact in which a shard's flow run reports, one row per policy; the parent reads it back"""

_PROJECT_KEY = re.compile(r"^[A-Z][A-Z0-9_]{0,49}$")


def project_shards(projects: Sequence[str]) -> list[Shard]:
    """One shard per project (``project-ops`` for OPS), and ``rest`` for every project not listed: disjoint, and
    together everything. Names are distinct for distinct keys (a key has no ``-``, and ``rest`` has no
    ``project-`` prefix), so no two shards share a concurrency limit, audit chain or idempotency key."""
    keys = list(dict.fromkeys(projects))
    count = len(keys) + 1
    shards = [
        Shard(name=f"project-{key.lower().replace('_', '-')}", jql=f'project = "{key}"', of=count) for key in keys
    ]
    listed = ", ".join(f'"{key}"' for key in keys)
    return [*shards, Shard(name="rest", jql=f"project not in ({listed})", of=count)]


class ShardedSweepParameters(BaseModel):
    """The parent flow's parameters: the sweep every shard runs, and how to cut it."""

    model_config = ConfigDict(extra="forbid")

    sweep: SweepParameters = Field(
        default_factory=SweepParameters,
        description="the sweep each shard runs; its rates and write budget are for the whole sweep and are split",
    )
    projects: list[str] = Field(
        min_length=1,
        description="project keys, one shard each; one more shard ('rest') sweeps every other project",
    )
    shard_deployment: str = Field(
        default="escalate/escalate-shard", description="the deployment (flow/name) that runs one shard"
    )
    shard_timeout_minutes: float = Field(
        default=120, gt=0, description="stop waiting for the shards this long after they were started"
    )

    @field_validator("projects")
    @classmethod
    def _project_keys(cls, projects: list[str]) -> list[str]:
        bad = [key for key in projects if not _PROJECT_KEY.match(key)]
        if bad:
            raise ValueError(f"not Jira project keys (upper case letters, digits, _): {', '.join(bad)}")
        return projects

    def shards(self, sweep_id: str | None = None) -> list[Shard]:
        """The shards, tied to the sweep ``sweep_id`` (its blast-radius allowances) when given."""
        shards = project_shards(self.projects)
        return shards if sweep_id is None else [s.model_copy(update={"sweep_id": sweep_id}) for s in shards]

    def shard_parameters(self, shard: Shard, index: int) -> SweepParameters:
        """What shard number ``index`` (from 0) runs: this sweep limited to the shard, with its share of the
        tenant's rate limits and of the write budget (the remainder of an uneven budget to the first shards)."""
        sweep = self.sweep
        budget = None
        if sweep.write_budget is not None:
            budget = sweep.write_budget // shard.of + (1 if index < sweep.write_budget % shard.of else 0)
        return sweep.model_copy(
            update={
                "write_budget": budget,
                "reads_per_second": None if sweep.reads_per_second is None else sweep.reads_per_second / shard.of,
                "writes_per_second": None if sweep.writes_per_second is None else sweep.writes_per_second / shard.of,
            }
        )


class ShardReport(SweepCounts):
    """One policy's part of one shard's run, as the shard reports it (a row of its report artifact)."""

    shard: str
    worker: str | None = Field(default=None, description="the Prefect worker that started the run")
    host: str

    @classmethod
    def of(cls, report: SweepCounts, shard: str, worker: str | None, host: str) -> ShardReport:
        counts = report.model_dump(include=set(SweepCounts.model_fields))
        return cls(**counts, shard=shard, worker=worker, host=host)


class ShardOutcome(BaseModel):
    """How one shard's flow run ended, as the parent saw it."""

    shard: Shard
    flow_run_id: str
    flow_run_name: str
    state: str = Field(description="the flow run's final state type, e.g. COMPLETED, FAILED, CANCELLED")
    message: str | None = None
    reports: list[ShardReport] = Field(default_factory=list)

    @property
    def succeeded(self) -> bool:
        return self.state == "COMPLETED"


def sharded_verdict(outcomes: Sequence[ShardOutcome]) -> tuple[bool, str]:
    """Whether the sharded sweep succeeded: every shard's run completed."""
    bad = [
        f"{o.shard.name} {o.state.lower()}" + (f" ({o.message})" if o.message else "")
        for o in outcomes
        if not o.succeeded
    ]
    if bad:
        return False, f"{len(bad)} of {len(outcomes)} shards did not complete: " + "; ".join(bad)
    return True, f"all {len(outcomes)} shards completed"


def sharded_summary(outcomes: Sequence[ShardOutcome], run_name: str) -> str:
    """The parent's markdown summary: one row per shard and policy, then the totals and who ran what."""
    ok, verdict = sharded_verdict(outcomes)
    lines = [
        f"## Sharded escalation sweep {run_name}",
        "",
        f"**{'Completed' if ok else 'Failed'}:** {verdict}.",
        "",
        "| shard | JQL | flow run | state | worker | policy | evaluated | escalations | applied | dry run | failed "
        "| over budget | data problems | note |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    totals = dict.fromkeys(("evaluated", "escalations", "applied", "dry_run", "failed", "over_budget"), 0)
    for outcome in outcomes:
        head = [outcome.shard.name, f"`{outcome.shard.jql}`", outcome.flow_run_name, outcome.state.lower()]
        if not outcome.reports:
            lines.append("| " + " | ".join([*head, "–", "–", *["–"] * 7, outcome.message or ""]) + " |")
            continue
        for report in outcome.reports:
            for name in totals:
                totals[name] += getattr(report, name)
            note = "; ".join(n for n in (report.blocked, report.error) if n)
            cells = [str(getattr(report, name)) for name in totals] + [str(report.data_problems)]
            worker = f"{report.worker or '?'} on {report.host}"
            lines.append("| " + " | ".join([*head, worker, report.policy, *cells, note]) + " |")
    lines += [
        "",
        "**Totals:** " + ", ".join(f"{value} {name.replace('_', ' ')}" for name, value in totals.items()) + ".",
        "",
        "Each shard's decision records are in its own flow run's `escalator-<policy>-decisions` artifact.",
    ]
    return "\n".join(lines) + "\n"
