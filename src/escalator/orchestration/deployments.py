"""The sweep deployments declared in ``prefect.yaml``, read into typed specs.

``prefect.yaml`` is the one source of truth for what runs when: ``prefect deploy --all`` reads it for work
pools and workers, and ``escalator serve`` builds the same deployments from these specs to run them in one
process. This module reads the file and builds deployment objects; it never talks to a Prefect API.

The file is parsed with PyYAML's ``safe_load``, as ``prefect deploy`` parses it (PyYAML comes with Prefect),
so both read the same values, YAML anchors and merge keys included. Keys of a deployment this module does not
know are errors, so a key ``escalator serve`` would silently drop cannot creep in.
"""

from __future__ import annotations

import inspect
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, ValidationInfo, field_validator, model_validator

from escalator.audit.report.parameters import ReportParameters
from escalator.preview.compare import PreviewParameters
from escalator.sharding.shards import SHARD_RUNNER_TAG, ShardedSweepParameters
from escalator.sweep.parameters import SweepParameters

if TYPE_CHECKING:
    from prefect import Flow
    from prefect.deployments.runner import RunnerDeployment

__all__ = [
    "PREVIEW_ENTRYPOINT",
    "REPORT_ENTRYPOINT",
    "SHARDED_ENTRYPOINT",
    "SWEEP_ENTRYPOINT",
    "CronSpec",
    "DeploymentConfigError",
    "DeploymentSpec",
    "read_deployments",
    "select",
    "served",
    "sweeps",
    "to_runner_deployments",
]

PREFECT_FILE = Path("prefect.yaml")
SWEEP_ENTRYPOINT = "flows/escalate.py:escalate"
PREVIEW_ENTRYPOINT = "flows/preview.py:policy_preview"
SHARDED_ENTRYPOINT = "flows/escalate_sharded.py:escalate_sharded"
REPORT_ENTRYPOINT = "flows/report.py:audit_report"
_PARAMETERS: dict[str, type[BaseModel]] = {
    SWEEP_ENTRYPOINT: SweepParameters,
    PREVIEW_ENTRYPOINT: PreviewParameters,
    SHARDED_ENTRYPOINT: ShardedSweepParameters,
    REPORT_ENTRYPOINT: ReportParameters,
}
_FLOW_NAMES = {
    SWEEP_ENTRYPOINT: "escalate",
    PREVIEW_ENTRYPOINT: "policy-preview",
    SHARDED_ENTRYPOINT: "escalate-sharded",
    REPORT_ENTRYPOINT: "audit-report",
}


class DeploymentConfigError(Exception):
    """``prefect.yaml`` is missing, unreadable, or declares a deployment escalator cannot run."""


class CronSpec(BaseModel):
    """One schedule: a cron expression read in a time zone (so 08:00 stays 08:00 across DST changes)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    cron: str
    timezone: str
    active: bool = True

    @field_validator("cron")
    @classmethod
    def _valid_cron(cls, value: str) -> str:
        from prefect.client.schemas.schedules import CronSchedule

        CronSchedule(cron=value)  # croniter's check, as the Prefect server applies it
        return value

    @field_validator("timezone")
    @classmethod
    def _valid_timezone(cls, value: str) -> str:
        from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError) as error:
            raise ValueError(f"unknown time zone {value!r}") from error
        return value


class ConcurrencySpec(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    limit: int = Field(ge=1)
    collision_strategy: Literal["ENQUEUE", "CANCEL_NEW"] = "ENQUEUE"


class DeploymentSpec(BaseModel):
    """One entry of ``deployments:``: a sweep (``flows/escalate.py:escalate``, scheduled, never overlapping); the
    shard runner (the same flow, unscheduled, started by a sharded sweep once per shard); a sharded sweep
    (``flows/escalate_sharded.py:escalate_sharded``, never overlapping); the policy preview
    (``flows/preview.py:policy_preview``, unscheduled: started from the UI or API); or the audit report
    (``flows/report.py:audit_report``, scheduled weekly). ``work_pool`` is only for ``prefect deploy``;
    ``escalator serve`` runs the scheduled sweeps and reports in its own process and ignores it."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str
    entrypoint: str
    description: str | None = None
    tags: list[str] = []
    parameters: dict[str, Any]
    schedules: list[CronSpec] = []
    concurrency_limit: ConcurrencySpec | None = None
    enforce_parameter_schema: bool = False
    work_pool: dict[str, Any] | None = None

    @field_validator("entrypoint")
    @classmethod
    def _known_flow(cls, value: str) -> str:
        if value not in _PARAMETERS:
            raise ValueError(f"escalator runs {' or '.join(_PARAMETERS)}, not {value!r}")
        return value

    @field_validator("parameters")
    @classmethod
    def _flow_parameters(cls, value: dict[str, Any], info: ValidationInfo) -> dict[str, Any]:
        if set(value) != {"params"}:
            raise ValueError("escalator's flows take one parameter, `params`")
        _PARAMETERS.get(info.data.get("entrypoint", SWEEP_ENTRYPOINT), SweepParameters).model_validate(value["params"])
        return value

    @model_validator(mode="after")
    def _sweeps_never_overlap(self) -> DeploymentSpec:
        if (self.is_sweep or self.entrypoint == SHARDED_ENTRYPOINT) and self.concurrency_limit is None:
            raise ValueError("a scheduled sweep and a sharded sweep need a concurrency_limit")
        if self.is_shard_runner and self.concurrency_limit is not None:
            raise ValueError(
                "the shard runner (a sweep without schedules) must not have a concurrency_limit: its shards run at "
                "once; each shard is kept to one run by a limit of its own"
            )
        if self.is_shard_runner and SHARD_RUNNER_TAG not in self.tags:
            raise ValueError(
                f"the shard runner (a sweep without schedules) needs the tag {SHARD_RUNNER_TAG!r}: its runs are "
                "refused without a shard, so that nobody sweeps whole scopes through it by accident"
            )
        return self

    @property
    def is_sweep(self) -> bool:
        """A scheduled sweep of ``flows/escalate.py``."""
        return self.entrypoint == SWEEP_ENTRYPOINT and bool(self.schedules)

    @property
    def is_shard_runner(self) -> bool:
        """``flows/escalate.py`` without schedules: what a sharded sweep starts, once per shard."""
        return self.entrypoint == SWEEP_ENTRYPOINT and not self.schedules

    @property
    def is_scheduled_report(self) -> bool:
        """The audit report on a schedule (``flows/report.py``)."""
        return self.entrypoint == REPORT_ENTRYPOINT and bool(self.schedules)

    @property
    def flow_name(self) -> str:
        """The name of the flow it deploys, as in ``<flow>/<deployment>``."""
        return _FLOW_NAMES[self.entrypoint]

    @property
    def sweep_parameters(self) -> SweepParameters:
        return SweepParameters.model_validate(self.parameters["params"])


def read_deployments(path: Path = PREFECT_FILE) -> list[DeploymentSpec]:
    """Every deployment in ``path``, validated; all problems at once in one ``DeploymentConfigError``."""
    try:
        document = yaml.safe_load(path.read_text(encoding="utf-8"))
    except FileNotFoundError as error:
        raise DeploymentConfigError(f"{path} not found: run escalator from the project root") from error
    except yaml.YAMLError as error:
        raise DeploymentConfigError(f"{path} is not valid YAML: {error}") from error
    entries = document.get("deployments") if isinstance(document, dict) else None
    if not isinstance(entries, list) or not entries:
        raise DeploymentConfigError(f"{path} declares no deployments")
    specs, problems = [], []
    for index, entry in enumerate(entries):
        try:
            specs.append(DeploymentSpec.model_validate(entry))
        except ValidationError as error:
            name = entry.get("name", f"#{index + 1}") if isinstance(entry, dict) else f"#{index + 1}"
            for item in error.errors():
                where = ".".join(str(part) for part in item["loc"])
                problems.append(f"{path}: deployment {name}: {where}: {item['msg']}")
    names = [spec.name for spec in specs]
    problems += [f"{path}: deployment {name} is declared twice" for name in sorted(set(names)) if names.count(name) > 1]
    if problems:
        raise DeploymentConfigError("\n".join(problems))
    return specs


def select(specs: Sequence[DeploymentSpec], names: Sequence[str]) -> list[DeploymentSpec]:
    """The specs named (all when ``names`` is empty), in file order."""
    unknown = sorted(set(names) - {spec.name for spec in specs})
    if unknown:
        known = ", ".join(spec.name for spec in specs)
        raise DeploymentConfigError(f"no deployment named {', '.join(unknown)} in prefect.yaml (there are: {known})")
    return [spec for spec in specs if not names or spec.name in names]


def sweeps(specs: Sequence[DeploymentSpec]) -> list[DeploymentSpec]:
    """The scheduled sweeps among ``specs`` (what ``escalator serve`` runs), in file order."""
    return [spec for spec in specs if spec.is_sweep]


def served(specs: Sequence[DeploymentSpec]) -> list[DeploymentSpec]:
    """What ``escalator serve`` runs: the scheduled sweeps and the scheduled audit reports, in file order."""
    return [spec for spec in specs if spec.is_sweep or spec.is_scheduled_report]


def to_runner_deployments(specs: Sequence[DeploymentSpec]) -> list[RunnerDeployment]:
    """The deployments ``prefect deploy`` would create, minus the work pool, for ``prefect.serve``.

    Loads each entrypoint from the current directory (the project root), as a worker's pull step would.
    """
    from prefect.client.schemas.objects import ConcurrencyLimitConfig, ConcurrencyLimitStrategy
    from prefect.flows import load_flow_from_entrypoint
    from prefect.schedules import Cron

    deployments: list[RunnerDeployment] = []
    for spec in specs:
        flow: Flow[..., Any] = load_flow_from_entrypoint(spec.entrypoint)
        deployment = flow.to_deployment(
            name=spec.name,
            description=spec.description,
            tags=list(spec.tags),
            parameters=spec.parameters,
            schedules=[Cron(s.cron, timezone=s.timezone, active=s.active) for s in spec.schedules],
            concurrency_limit=None
            if spec.concurrency_limit is None
            else ConcurrencyLimitConfig(
                limit=spec.concurrency_limit.limit,
                collision_strategy=ConcurrencyLimitStrategy(spec.concurrency_limit.collision_strategy),
            ),
            enforce_parameter_schema=spec.enforce_parameter_schema,
        )
        assert not inspect.isawaitable(deployment)  # the sync flavour, called outside an event loop
        deployments.append(deployment)
    return deployments
