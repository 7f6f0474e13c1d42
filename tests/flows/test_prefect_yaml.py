"""prefect.yaml without a Prefect server: every entrypoint loads, its parameters validate against the flow, the
schedules are real crons in real time zones, sweeps never overlap, and no credential is in the file.

`escalator serve` builds its deployments from the same file; that they match what `prefect deploy` reads is
checked here too (the deploy itself is in test_deploy.py).
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
import yaml

from escalator.audit.report.parameters import ReportParameters
from escalator.orchestration.deployments import (
    DeploymentConfigError,
    DeploymentSpec,
    read_deployments,
    select,
    served,
    sweeps,
)
from escalator.preview.compare import PreviewParameters
from escalator.sharding.shards import ShardedSweepParameters
from escalator.sweep.parameters import SweepParameters

SWEEPS = ["outage-matrix", "support-matrix"]
PARAMETERS: dict[str, type[Any]] = {
    "flows/escalate.py:escalate": SweepParameters,
    "flows/escalate_sharded.py:escalate_sharded": ShardedSweepParameters,
    "flows/preview.py:policy_preview": PreviewParameters,
    "flows/report.py:audit_report": ReportParameters,
}

ROOT = Path(__file__).resolve().parents[2]
PREFECT_YAML = ROOT / "prefect.yaml"


@pytest.fixture(scope="module")
def document() -> dict[str, Any]:
    loaded = yaml.safe_load(PREFECT_YAML.read_text(encoding="utf-8"))  # as `prefect deploy` reads it
    assert isinstance(loaded, dict)
    return loaded


@pytest.fixture(scope="module")
def specs() -> list[DeploymentSpec]:
    return read_deployments(PREFECT_YAML)


def _sweeps(document: dict[str, Any]) -> list[dict[str, Any]]:
    """The scheduled sweeps (the shard runner has the same entrypoint and no schedule)."""
    return [d for d in document["deployments"] if d["entrypoint"] == "flows/escalate.py:escalate" and "schedules" in d]


def test_a_deployment_per_policy_set_the_sharded_sweep_the_preview_and_the_report(document: dict[str, Any]) -> None:
    names = [d["name"] for d in document["deployments"]]
    assert names == [*SWEEPS, "all-matrices-sharded", "escalate-shard", "policy-preview", "weekly-audit-report"]
    for deployment in document["deployments"]:
        params = deployment["parameters"]["params"]
        if "policies" not in params and "sweep" not in params:
            continue
        for policy in params["sweep"]["policies"] if "sweep" in params else params["policies"]:
            assert (ROOT / policy).exists(), policy


def test_the_sharded_sweep_is_shipped_paused_and_its_shards_run_on_the_shard_runner(
    document: dict[str, Any], specs: list[DeploymentSpec]
) -> None:
    by_name = {d["name"]: d for d in document["deployments"]}
    sharded, runner = by_name["all-matrices-sharded"], by_name["escalate-shard"]
    assert [s.get("active", True) for s in sharded["schedules"]] == [False]  # the per-policy sweeps run instead
    assert sharded["concurrency_limit"] == {"limit": 1, "collision_strategy": "CANCEL_NEW"}
    params = ShardedSweepParameters.model_validate(sharded["parameters"]["params"])
    assert params.shard_deployment == f"escalate/{runner['name']}"
    assert [s.name for s in params.shards()] == ["project-ops", "project-sup", "project-eng", "rest"]
    assert params.sweep.require_clean_policy is True
    assert "schedules" not in runner and "concurrency_limit" not in runner  # shards run at once
    assert runner["work_pool"] == sharded["work_pool"] == _sweeps(document)[0]["work_pool"]
    assert [s.name for s in specs if s.is_shard_runner] == ["escalate-shard"]
    assert "shard-runner" in runner["tags"]  # its runs without a shard are refused


def test_the_preview_deployment_is_unscheduled_on_the_same_pool(document: dict[str, Any]) -> None:
    (preview,) = [d for d in document["deployments"] if d["name"] == "policy-preview"]
    assert preview["entrypoint"] == "flows/preview.py:policy_preview"
    assert "schedules" not in preview and preview["enforce_parameter_schema"] is True
    assert preview["work_pool"] == _sweeps(document)[0]["work_pool"]
    params = PreviewParameters.model_validate(preview["parameters"]["params"])
    assert params.policies == ["policies"] and params.base is None and params.head is None


def test_the_audit_report_runs_weekly_over_the_week_before_on_the_same_pool(
    document: dict[str, Any], specs: list[DeploymentSpec]
) -> None:
    from datetime import UTC, datetime

    from prefect.client.schemas.schedules import CronSchedule

    (report,) = [d for d in document["deployments"] if d["name"] == "weekly-audit-report"]
    assert report["entrypoint"] == "flows/report.py:audit_report" and report["enforce_parameter_schema"] is True
    assert report["work_pool"] == _sweeps(document)[0]["work_pool"]
    assert report["concurrency_limit"] == {"limit": 1, "collision_strategy": "CANCEL_NEW"}
    (schedule,) = report["schedules"]
    CronSchedule(cron=schedule["cron"], timezone=schedule["timezone"])
    assert schedule["cron"] == "0 6 * * 1" and schedule["timezone"] == "UTC"  # Mondays 06:00 UTC
    params = ReportParameters.model_validate(report["parameters"]["params"])
    monday = datetime(2026, 3, 9, 6, 0, tzinfo=UTC)
    assert params.period(monday) == (datetime(2026, 3, 2, tzinfo=UTC), datetime(2026, 3, 9, tzinfo=UTC))
    assert params.policies == [] and params.source == "prefect" and params.html_dir == "reports"
    (spec,) = [s for s in specs if s.name == "weekly-audit-report"]
    assert spec.is_scheduled_report and not spec.is_sweep and spec.flow_name == "audit-report"


def test_every_entrypoint_loads_and_its_parameters_validate_against_the_flow(
    document: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    from prefect.flows import load_flow_from_entrypoint
    from prefect.utilities.callables import parameter_schema

    monkeypatch.chdir(ROOT)  # entrypoints are relative to the project root, as on a worker after its pull step
    for deployment in document["deployments"]:
        flow = load_flow_from_entrypoint(deployment["entrypoint"])
        parameters = deployment["parameters"]
        validated = flow.validate_parameters(parameters)
        model = PARAMETERS[deployment["entrypoint"]]
        assert validated["params"] == model.model_validate(parameters["params"])
        schema = parameter_schema(flow).model_dump_for_openapi()  # what enforce_parameter_schema checks
        assert set(parameters) <= set(schema["properties"])


def test_cron_and_time_zone_are_valid(document: dict[str, Any]) -> None:
    from prefect.client.schemas.schedules import CronSchedule

    for deployment in _sweeps(document):
        assert deployment["schedules"], deployment["name"]
        for schedule in deployment["schedules"]:
            assert set(schedule) <= {"cron", "timezone", "active", "parameters"}
            CronSchedule(cron=schedule["cron"], timezone=schedule["timezone"])  # raises on either
    zones = {d["name"]: d["schedules"][0]["timezone"] for d in _sweeps(document)}
    assert zones == {"outage-matrix": "Europe/Berlin", "support-matrix": "America/New_York"}


def test_sweeps_never_overlap_and_parameters_are_enforced(document: dict[str, Any]) -> None:
    for deployment in _sweeps(document):
        assert deployment["concurrency_limit"] == {"limit": 1, "collision_strategy": "CANCEL_NEW"}
        assert deployment["enforce_parameter_schema"] is True
        assert deployment["work_pool"]["name"] == "escalator-process"


def test_the_pull_step_changes_into_the_checkout_named_by_the_environment(document: dict[str, Any]) -> None:
    assert document["pull"] == [
        {"prefect.deployments.steps.set_working_directory": {"directory": "{{ $ESCALATOR_HOME }}"}}
    ]


SECRET_KEYS = re.compile(r"(token|password|passwd|secret|api[_-]?key|pat|credential)s?$", re.IGNORECASE)
SECRET_VALUES = [
    re.compile(r"https?://[^/\s:@]+:[^/\s@]+@"),  # credentials in a URL
    re.compile(r"\b(ATATT|ATCTT)[A-Za-z0-9_\-=]{20,}"),  # Atlassian API tokens
    re.compile(r"\b(sk|pk|ghp|gho|xox[abp])[-_][A-Za-z0-9]{16,}"),
    re.compile(r"\b[A-Za-z0-9+/]{32,}={0,2}(?![A-Za-z0-9+/=])"),  # long opaque strings
]


def _leaves(node: Any, path: str = "") -> list[tuple[str, Any]]:
    if isinstance(node, dict):
        return [leaf for key, value in node.items() for leaf in _leaves(value, f"{path}.{key}")]
    if isinstance(node, list):
        return [leaf for index, value in enumerate(node) for leaf in _leaves(value, f"{path}[{index}]")]
    return [(path, node)]


def test_no_secret_is_in_the_file(document: dict[str, Any]) -> None:
    text = PREFECT_YAML.read_text(encoding="utf-8")
    for pattern in SECRET_VALUES:
        assert not pattern.search(text), pattern.pattern
    for path, value in _leaves(document):
        if SECRET_KEYS.search(path.rsplit(".", 1)[-1]):
            assert value is None or re.fullmatch(r"\{\{ *\$[A-Z_]+ *\}\}", str(value)), f"{path} holds a value"
    for name in ("JIRA_API_TOKEN", "JIRA_PAT", "JIRA_EMAIL"):
        assert f"{name}:" not in text and f"{name}=" not in text


def test_the_secret_check_would_catch_a_token(document: dict[str, Any]) -> None:
    leaked = "ATATT3xFfGF0" + "k" * 40
    assert any(p.search(f"api_token: {leaked}") for p in SECRET_VALUES)
    assert SECRET_KEYS.search("api_token") and SECRET_KEYS.search("pat") and not SECRET_KEYS.search("path")


# escalator serve's reading of the same file


def test_serve_reads_the_deployments_prefect_deploy_reads(
    document: dict[str, Any], specs: list[DeploymentSpec]
) -> None:
    assert [s.name for s in specs] == [d["name"] for d in document["deployments"]]
    for spec, deployment in zip(specs, document["deployments"], strict=True):
        assert spec.parameters == deployment["parameters"]
        assert [(s.cron, s.timezone) for s in spec.schedules] == [
            (s["cron"], s["timezone"]) for s in deployment.get("schedules", [])
        ]
        if spec.is_sweep:
            assert spec.sweep_parameters.policies == deployment["parameters"]["params"]["policies"]


def test_serve_builds_runner_deployments_with_the_same_schedules_and_limits(
    specs: list[DeploymentSpec], monkeypatch: pytest.MonkeyPatch
) -> None:
    from escalator.orchestration.deployments import to_runner_deployments

    monkeypatch.chdir(ROOT)
    built = to_runner_deployments(sweeps(specs))
    for spec, deployment in zip(sweeps(specs), built, strict=True):
        assert deployment.name == spec.name
        assert deployment.entrypoint == "flows/escalate.py:escalate"
        assert deployment.parameters == spec.parameters
        assert deployment.enforce_parameter_schema is True
        assert deployment.work_pool_name is None
        assert deployment.concurrency_limit == 1
        assert deployment.concurrency_options is not None
        assert deployment.concurrency_options.collision_strategy.value == "CANCEL_NEW"
        assert [(s.schedule.cron, s.schedule.timezone, s.active) for s in deployment.schedules] == [
            (s.cron, s.timezone, True) for s in spec.schedules
        ]


def test_serve_builds_the_unscheduled_preview_too(specs: list[DeploymentSpec], monkeypatch: pytest.MonkeyPatch) -> None:
    from escalator.orchestration.deployments import to_runner_deployments

    monkeypatch.chdir(ROOT)
    (preview,) = to_runner_deployments([s for s in specs if s.name == "policy-preview"])
    assert preview.entrypoint == "flows/preview.py:policy_preview"
    assert preview.schedules == [] and preview.concurrency_limit is None


def test_serve_builds_the_weekly_report_with_its_schedule(
    specs: list[DeploymentSpec], monkeypatch: pytest.MonkeyPatch
) -> None:
    from escalator.orchestration.deployments import to_runner_deployments

    monkeypatch.chdir(ROOT)
    (report,) = to_runner_deployments([s for s in served(specs) if s.is_scheduled_report])
    assert report.entrypoint == "flows/report.py:audit_report" and report.concurrency_limit == 1
    assert [(s.schedule.cron, s.schedule.timezone) for s in report.schedules] == [("0 6 * * 1", "UTC")]


def test_serve_picks_sweep_deployments_by_name(specs: list[DeploymentSpec]) -> None:
    assert [s.name for s in sweeps(specs)] == SWEEPS
    assert [s.name for s in served(specs)] == [*SWEEPS, "weekly-audit-report"]  # serve runs what is scheduled
    assert [s.name for s in select(sweeps(specs), [])] == SWEEPS
    assert [s.name for s in select(specs, ["support-matrix"])] == ["support-matrix"]
    with pytest.raises(DeploymentConfigError, match="no deployment named nope"):
        select(specs, ["nope"])


def test_a_broken_file_is_reported_in_full(tmp_path: Path) -> None:
    broken = tmp_path / "prefect.yaml"
    broken.write_text(
        """
deployments:
  - name: a
    entrypoint: flows/escalate.py:escalate
    parameters: {params: {policies: [p.yaml], dryrun: true}}
    schedules: [{cron: "61 * * * *", timezone: Europe/Berlin}]
    concurrency_limit: {limit: 1, collision_strategy: CANCEL_NEW}
  - name: b
    entrypoint: flows/escalate.py:escalate
    parameters: {params: {}}
    schedules: [{cron: "0 8 * * *", timezone: Mars/Olympus}]
    concurrency_limit: {limit: 1, collision_strategy: CANCEL_NEW}
    concurency: 2
""",
        encoding="utf-8",
    )
    with pytest.raises(DeploymentConfigError) as error:
        read_deployments(broken)
    message = str(error.value)
    for expected in ("deployment a: parameters", "deployment a: schedules.0.cron", "Mars/Olympus", "concurency"):
        assert expected in message
    with pytest.raises(DeploymentConfigError, match="not found"):
        read_deployments(tmp_path / "missing.yaml")


@pytest.mark.parametrize(
    ("extra", "problem"),
    [
        (
            "concurrency_limit: {limit: 1}\n    tags: [shard-runner]",
            r"the shard runner .* must not have a concurrency_limit",
        ),
        ("tags: [escalator]", r"the shard runner .* needs the tag 'shard-runner'"),
        (
            "schedules: [{cron: '0 8 * * *', timezone: UTC}]",
            "a scheduled sweep and a sharded sweep need a concurrency_limit",
        ),
    ],
)
def test_a_sweep_deployment_is_either_scheduled_with_a_limit_or_a_tagged_shard_runner(
    tmp_path: Path, extra: str, problem: str
) -> None:
    broken = tmp_path / "prefect.yaml"
    broken.write_text(
        "deployments:\n  - name: c\n    entrypoint: flows/escalate.py:escalate\n"
        f"    parameters: {{params: {{policies: [p]}}}}\n    {extra}\n",
        encoding="utf-8",
    )
    with pytest.raises(DeploymentConfigError, match=problem):
        read_deployments(broken)
