"""A sweep shared by several machines: the parent cuts it into shards by project, starts one flow run of the
shard deployment per shard (Prefect workers pick them up, wherever they run), waits for all of them and
publishes one summary of every shard's outcome. Each shard is the ordinary sweep (``flows/escalate.py``) limited
to its shard, with its share of the rate limits, write budget and blast radius (``escalator.shards``).
"""

from __future__ import annotations

import time

from prefect import flow, get_run_logger
from prefect.runtime import flow_run
from prefect.states import Completed, Failed, State

from escalator.shards import ShardedSweepParameters, sharded_summary, sharded_verdict
from tasks.jira import jira_settings
from tasks.policies import load_policies
from tasks.shards import await_shard, launch_shard, missing_projects, publish_sharded_summary


@flow(name="escalate-sharded", log_prints=False, validate_parameters=True)
def escalate_sharded(params: ShardedSweepParameters) -> State:
    logger = get_run_logger()
    load_policies(params.sweep.policies, params.sweep.require_clean_policy)  # a bad policy stops it here, once
    missing = missing_projects(jira_settings(params.sweep.jira_block), params.projects)
    if missing:
        message = f"not in Jira, or not visible to escalator: project {', '.join(missing)}; no shard was started"
        logger.error("%s", message)
        return Failed(message=message)
    shards = params.shards()
    parent = flow_run.get_id() or "local"
    launched = [
        (shard, *launch_shard(params.shard_deployment, params.shard_parameters(shard, index), parent))
        for index, shard in enumerate(shards)
    ]
    logger.info("%d shards started: %s", len(launched), ", ".join(f"{s.name} ({name})" for s, _, name in launched))
    deadline = time.time() + params.shard_timeout_minutes * 60  # one deadline for the whole sweep
    outcomes = [await_shard(shard, run_id, name, deadline) for shard, run_id, name in launched]
    publish_sharded_summary(sharded_summary(outcomes, flow_run.get_name() or "local"))
    succeeded, message = sharded_verdict(outcomes)
    data = [outcome.model_dump(mode="json") for outcome in outcomes]
    return Completed(message=message, data=data) if succeeded else Failed(message=message, data=data)
