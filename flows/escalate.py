"""The escalation sweep: load policies, check them against Jira, fetch open issues page by page, decide with
the pure core, apply within a budget, and publish the audit. One flow run per sweep.

Order matters: every policy is validated and preflighted before the first write; the plan of a policy is
complete (blast radius checked) before its first write; the audit is published even when writes failed. A
run with failed writes ends Failed, after publishing, so it stands out in the UI.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime

from prefect import flow, get_run_logger
from prefect.blocks.system import Secret
from prefect.runtime import flow_run
from prefect.settings import PREFECT_HOME
from prefect.states import Completed, Failed, State
from prefect.utilities.annotations import quote

from escalator.applier import DryRunWriter, Writer
from escalator.audit.record import RunInfo
from escalator.core import Plan, merge_plans
from escalator.jira.adapter import JiraAdapter
from escalator.jira.settings import JiraSettings
from escalator.jira.snapshot import SnapshotProblem
from escalator.policy_lock import policy_lock
from escalator.sweep import ArtifactKeys, JiraWriter, PolicyRun, SweepParameters, SweepReport, run_records
from tasks.apply import apply_plan
from tasks.audit import publish_audit
from tasks.evaluate import evaluate_batch
from tasks.jira import fetch_batch, preflight
from tasks.policies import load_policies


def jira_settings(block: str | None) -> JiraSettings:
    """From a Prefect Secret block (JSON) when named, else from the JIRA_* environment variables."""
    if block is None:
        return JiraSettings.from_env()
    value = Secret.load(block).get()
    return JiraSettings.model_validate(json.loads(value) if isinstance(value, str) else value)


@flow(name="escalate", log_prints=False, validate_parameters=True)
def escalate(params: SweepParameters = SweepParameters()) -> State:  # noqa: B008 - a frozen default
    logger = get_run_logger()
    policy_runs = load_policies(params.policies, params.require_clean_policy)
    run = RunInfo(
        flow_run_id=flow_run.get_id(),
        flow_run_name=flow_run.get_name(),
        flow_run_url=flow_run.get_flow_run_ui_url(),
        dry_run=params.dry_run,
    )
    reports: list[SweepReport] = []
    with JiraAdapter.connect(jira_settings(params.jira_block)) as jira:
        checks = {p.policy.name: preflight(jira, p.policy) for p in policy_runs}  # all, before any write
        writer: Writer = DryRunWriter() if params.dry_run else JiraWriter(jira, run)
        for policy_run in policy_runs:
            report = sweep_policy(jira, policy_run, checks[policy_run.policy.name].inactive_users, writer, params, run)
            logger.info(
                "%s v%s: %d evaluated, %d escalations (%d applied, %d dry run, %d failed, %d over budget)%s",
                report.policy,
                report.version,
                report.evaluated,
                report.escalations,
                report.applied,
                report.dry_run,
                report.failed,
                report.over_budget,
                f"; BLOCKED: {report.blocked}" if report.blocked else "",
            )
            reports.append(report)
    data = [r.model_dump(mode="json") for r in reports]
    failed = sum(r.failed for r in reports)
    if failed:
        return Failed(message=f"{failed} escalation write(s) failed; see the decision records", data=data)
    return Completed(message="sweep done", data=data)


def sweep_policy(
    jira: JiraAdapter,
    policy_run: PolicyRun,
    inactive_users: frozenset[str],
    writer: Writer,
    params: SweepParameters,
    run: RunInfo,
) -> SweepReport:
    with policy_lock(PREFECT_HOME.value() / "locks", policy_run.policy.name):
        return _sweep_locked(jira, policy_run, inactive_users, writer, params, run)


def _sweep_locked(
    jira: JiraAdapter,
    policy_run: PolicyRun,
    inactive_users: frozenset[str],
    writer: Writer,
    params: SweepParameters,
    run: RunInfo,
) -> SweepReport:
    policy, identity = policy_run.policy, policy_run.identity
    now = datetime.now(UTC)  # the one clock read: every issue of this policy is judged at the same instant
    pages = jira.policy_pages(policy, page_size=params.page_size)
    logger = get_run_logger()
    parts: list[Plan] = []
    problems: list[SnapshotProblem] = []
    fetched = 0
    while batch := fetch_batch(pages, params.pages_per_batch):
        # An issue whose stored escalation state cannot be read is not evaluated: escalating it again could
        # repeat an escalation. It is recorded as a data problem for someone to look at.
        unreadable = {problem.issue_key for page in batch for problem in page.problems}
        problems.extend(problem for page in batch for problem in page.problems)
        issues = [issue for page in batch for issue in page.issues if issue.key not in unreadable]
        fetched += sum(len(page.issues) for page in batch)
        parts.append(evaluate_batch(quote(issues), policy, now, inactive_users, identity))
        logger.info("%s: %d issues fetched and evaluated", policy.name, fetched)
    plan = merge_plans(parts or [evaluate_batch([], policy, now, inactive_users, identity)], policy)
    logger.info("%s: %d escalations planned; applying", policy.name, len(plan.escalations))
    outcomes = apply_plan(quote(plan), writer, params.write_budget, params.apply_concurrency)
    keys = ArtifactKeys.for_policy(policy)
    records, summary = run_records(plan, outcomes, policy_run, run, keys, problems)
    publish_audit(quote(records), summary, keys)
    count = {
        status: sum(1 for o in outcomes if o.status == status)
        for status in ("applied", "dry_run", "failed", "over_budget")
    }
    return SweepReport(
        policy=policy.name,
        version=policy.version,
        evaluated=len(plan.decisions),
        escalations=len(plan.escalations),
        blocked=plan.blocked,
        data_problems=len(problems),
        records_key=keys.records,
        summary_key=keys.summary,
        outcomes=outcomes,
        changes=SweepReport.change_lines(plan, outcomes),
        **count,
    )
