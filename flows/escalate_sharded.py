"""A sweep shared by several machines: the parent cuts it into shards by project, starts one flow run of the
shard deployment per shard (Prefect workers pick them up, wherever they run), waits for all of them and
publishes one summary of every shard's outcome. Each shard is the ordinary sweep (``flows/escalate.py``) limited
to its shard, with its share of the rate limits and write budget (``escalator.sharding.shards``); the shards take their
escalations from one allowance per policy, so each policy's blast radius holds for the whole sweep
(``escalator.orchestration.limits``).
"""

from __future__ import annotations

import time
import uuid

from prefect import flow, get_run_logger
from prefect.runtime import flow_run
from prefect.states import Completed, Failed, State

from escalator.sharding.shards import ShardedSweepParameters, allowance_name, sharded_summary, sharded_verdict
from tasks.jira import jira_settings
from tasks.policies import load_policies
from tasks.shards import (
    await_shard,
    create_blast_radius_allowances,
    delete_blast_radius_allowances,
    launch_shard,
    missing_projects,
    publish_sharded_summary,
)


@flow(name="escalate-sharded", log_prints=False, validate_parameters=True)
def escalate_sharded(params: ShardedSweepParameters) -> State:
    logger = get_run_logger()
    policy_runs = load_policies(params.sweep.policies, params.sweep.require_clean_policy)  # bad ones stop it here
    missing = missing_projects(jira_settings(params.sweep.jira_block), params.projects)
    if missing:
        message = f"not in Jira, or not visible to escalator: project {', '.join(missing)}; no shard was started"
        logger.error("%s", message)
        return Failed(message=message)
    sweep_id = str(flow_run.get_id() or uuid.uuid4())
    allowances = {
        allowance_name(p.policy.name, sweep_id): p.policy.max_escalations_per_run
        for p in policy_runs
        if p.policy.max_escalations_per_run is not None
    }
    create_blast_radius_allowances(allowances)
    try:
        shards = params.shards(sweep_id)
        launched = [
            (shard, *launch_shard(params.shard_deployment, params.shard_parameters(shard, index), shard, sweep_id))
            for index, shard in enumerate(shards)
        ]
        logger.info("%d shards started: %s", len(launched), ", ".join(f"{s.name} ({n})" for s, _, n in launched))
        deadline = time.time() + params.shard_timeout_minutes * 60  # one deadline for the whole sweep
        outcomes = [await_shard(shard, run_id, name, deadline) for shard, run_id, name in launched]
    finally:
        delete_blast_radius_allowances(list(allowances))
    publish_sharded_summary(sharded_summary(outcomes, flow_run.get_name() or "local"))
    succeeded, message = sharded_verdict(outcomes)
    data = [outcome.model_dump(mode="json") for outcome in outcomes]
    return Completed(message=message, data=data) if succeeded else Failed(message=message, data=data)
