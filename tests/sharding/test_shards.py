"""Cutting a sweep into shards: disjoint and complete by project, each with its share of the tenant's rate
limits, the write budget and the blast radius; and the parent's verdict and summary."""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import ValidationError

from escalator.authoring.files import load_policies
from escalator.sharding.coverage import ShardCoverage
from escalator.sharding.shards import ShardedSweepParameters, ShardOutcome, ShardReport, project_shards, sharded_summary
from escalator.sweep.coverage import Coverage
from escalator.sweep.parameters import SweepParameters

ROOT = Path(__file__).resolve().parents[2]


def test_one_shard_per_project_and_one_for_every_other_project() -> None:
    shards = project_shards(["OPS", "SUP", "OPS", "MY_PROJ"])
    assert [(s.name, s.jql, s.of) for s in shards] == [
        ("project-ops", 'project = "OPS"', 4),
        ("project-sup", 'project = "SUP"', 4),
        ("project-my-proj", 'project = "MY_PROJ"', 4),
        ("rest", 'project not in ("OPS", "SUP", "MY_PROJ")', 4),
    ]
    assert shards[0].limit_name("outage-matrix") == "escalator-outage-matrix-shard-project-ops"


def test_a_project_called_rest_is_not_the_shard_of_every_other_project() -> None:
    names = [s.name for s in project_shards(["REST", "A_B", "AB"])]
    assert names == ["project-rest", "project-a-b", "project-ab", "rest"] and len(set(names)) == len(names)


def test_each_shard_gets_its_share_of_rates_and_budget_and_names_its_sweep() -> None:
    params = ShardedSweepParameters(
        projects=["OPS", "SUP"],
        sweep=SweepParameters(write_budget=10, reads_per_second=90, writes_per_second=45),
    )
    shards = params.shards()
    parts = [params.shard_parameters(shard, index) for index, shard in enumerate(shards)]
    assert [p.write_budget for p in parts] == [4, 3, 3]  # 10 over 3, the remainder to the first
    assert {p.reads_per_second for p in parts} == {30} and {p.writes_per_second for p in parts} == {15}
    assert all(p.policies == params.sweep.policies for p in parts)
    assert shards[0].allowance_name("outage-matrix") is None  # a shard of no sweep takes from no allowance
    tied = params.shards("0a1b-2c")
    assert {s.sweep_id for s in tied} == {"0a1b-2c"}
    assert tied[0].allowance_name("outage-matrix") == "escalator-outage-matrix-allowance-0a1b-2c"
    (outage,) = load_policies([ROOT / "policies" / "outage.yaml"])
    coverage = ShardCoverage(shards[0])
    assert (
        parts[0]
        .search_jql(outage.policy, coverage.clause)
        .startswith('(project = OPS AND statusCategory != Done) AND (project = "OPS")')
    )


def test_a_shard_is_a_coverage_of_the_plain_sweep_with_its_own_lock_and_chain() -> None:
    whole, ops = Coverage(), ShardCoverage(project_shards(["OPS"])[0])
    assert (whole.clause, whole.lock_name("p"), whole.chain_name("p"), whole.admit("p", 10**6)) == (
        None,
        "p",
        "p",
        None,
    )
    assert ops.clause == 'project = "OPS"'
    assert ops.lock_name("p") == "escalator-p-shard-project-ops" and ops.chain_name("p") == "p@project-ops"
    assert ops.admit("p", 3) is None  # a shard of no sweep takes from no allowance


def test_project_keys_are_checked() -> None:
    with pytest.raises(ValidationError, match="not Jira project keys"):
        ShardedSweepParameters(projects=["ops", "SUP) OR (project = X"])
    with pytest.raises(ValidationError):
        ShardedSweepParameters(projects=[])


def test_the_summary_names_every_shard_its_worker_and_the_totals() -> None:
    ops, rest = project_shards(["OPS"])
    assert ops.name == "project-ops"
    report = ShardReport(
        shard="ops",
        policy="outage-matrix",
        version="3",
        evaluated=80,
        escalations=5,
        applied=5,
        dry_run=0,
        failed=0,
        over_budget=0,
        data_problems=0,
        worker="worker-a",
        host="box-1",
    )
    outcomes = [
        ShardOutcome(shard=ops, flow_run_id="1", flow_run_name="a", state="COMPLETED", reports=[report]),
        ShardOutcome(shard=rest, flow_run_id="2", flow_run_name="b", state="CRASHED", message="worker died"),
    ]
    text = sharded_summary(outcomes, "parent-run")
    assert "**Failed:** 1 of 2 shards did not complete: rest crashed (worker died)" in text
    assert (
        '| project-ops | `project = "OPS"` | a | completed | worker-a on box-1 | outage-matrix | 80 | 5 | 5 |' in text
    )
    assert "**Totals:** 80 evaluated, 5 escalations, 5 applied" in text
