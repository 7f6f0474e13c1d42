"""The escalation sweep: load policies, check them against Jira, fetch open issues page by page, decide with
the pure core, apply within a budget, and publish the audit. One flow run per sweep.

Order matters: every policy is validated and preflighted before the first write; the plan of a policy is
complete (blast radius checked) before its first write; the audit is published even when writes failed. A
run with failed writes ends Failed, after publishing, so it stands out in the UI.

The plain sweep covers every policy's whole scope. With ``shard`` set the run is one shard of a sharded sweep
(``flows/escalate_sharded.py``), a layer over it: the run holds the shard's Prefect concurrency limit (a second
run of the shard is Cancelled), sweeps the shard's ``Coverage`` and reports per policy in an
``escalator-shard-report`` table for the parent.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from prefect import flow, get_run_logger
from prefect.runtime import flow_run
from prefect.settings import PREFECT_HOME, PREFECT_UI_URL
from prefect.states import Cancelled, Completed, Failed, State
from prefect.utilities.annotations import quote

from escalator.audit.record import RunInfo
from escalator.core import Plan, merge_plans
from escalator.core.decision import Outcome
from escalator.core.issue import IssueSnapshot, SnapshotProblem
from escalator.core.routing import Roster, counts_workload, in_issue_order, workload
from escalator.jira.adapter import JiraAdapter
from escalator.jira.errors import JiraError
from escalator.jira.preflight import PreflightReport
from escalator.orchestration.limits import ShardBusy, shard_slots
from escalator.sharding.coverage import ShardCoverage
from escalator.sharding.shards import SHARD_RUNNER_TAG, Shard
from escalator.sweep.apply import DryRunWriter, Writer
from escalator.sweep.channels import ChannelWriter, naming_people
from escalator.sweep.coverage import Coverage
from escalator.sweep.heap import sweep_collector
from escalator.sweep.histories import with_histories
from escalator.sweep.jira_writer import JiraWriter, run_link
from escalator.sweep.lock import policy_lock
from escalator.sweep.parameters import SweepParameters
from escalator.sweep.policies import PolicyRun
from escalator.sweep.records import ArtifactKeys
from escalator.sweep.report import SweepReport, run_verdict
from tasks.apply import apply_plan
from tasks.audit import PolicyAudit, audit_target, check_audit_sink, policy_audit
from tasks.channels import check_channels
from tasks.evaluate import evaluate_batch
from tasks.jira import fetch_batch, jira_settings, preflight
from tasks.policies import load_policies
from tasks.shards import publish_shard_report


@flow(name="escalate", log_prints=False, validate_parameters=True)
def escalate(params: SweepParameters = SweepParameters(), shard: Shard | None = None) -> State:  # noqa: B008 - a frozen default
    if shard is None and SHARD_RUNNER_TAG in (flow_run.get_tags() or []):
        message = "a run of the shard runner needs a shard: start the sharded sweep (escalate-sharded) instead"
        get_run_logger().error("%s", message)
        return Failed(message=message)
    policy_runs = load_policies(params.policies, params.require_clean_policy)
    with sweep_collector():  # the collector out of the way while the sweep allocates
        if shard is None:
            reports = sweep_policies(policy_runs, params, Coverage())
        else:
            try:
                reports = sweep_shard(policy_runs, params, shard)
            except ShardBusy as busy:
                get_run_logger().warning("%s", busy)
                return Cancelled(message=str(busy))
    succeeded, message = run_verdict(reports)
    data = [report.model_dump(mode="json") for report in reports]
    return Completed(message=message, data=data) if succeeded else Failed(message=message, data=data)


def run_ui_url() -> str | None:
    """This run's page in the Prefect UI: ``PREFECT_UI_URL``, which Prefect derives from the API URL of a real
    server. The ephemeral API has no UI, so there is no link (the comment then names the run by name and id)."""
    return flow_run.get_flow_run_ui_url() if PREFECT_UI_URL.value() else None


def sweep_shard(policy_runs: list[PolicyRun], params: SweepParameters, shard: Shard) -> list[SweepReport]:
    """One shard of a sharded sweep: the plain sweep of the shard's coverage, while this run holds the shard's
    limit (one run per shard across all workers), then the shard's report for the parent."""
    with shard_slots([shard.limit_name(p.policy.name) for p in policy_runs]):
        reports = sweep_policies(policy_runs, params, ShardCoverage(shard))
    publish_shard_report(reports, shard)
    return reports


def sweep_policies(policy_runs: list[PolicyRun], params: SweepParameters, coverage: Coverage) -> list[SweepReport]:
    """Every policy of the run in order: preflight all of them first, then sweep each under its lock."""
    logger = get_run_logger()
    run = RunInfo(
        flow_run_id=flow_run.get_id(),
        flow_run_name=flow_run.get_name(),
        flow_run_url=run_ui_url(),
        dry_run=params.dry_run,
    )
    reports: list[SweepReport] = []
    budget = params.write_budget  # for the whole run, shared by its policies in order
    # The records can be kept, or nothing is written to Jira; the keys come from the environment or a Secret block.
    sink = audit_target(check_audit_sink(params.audit_sink), params.audit_key_block)
    settings = jira_settings(params.jira_block)
    with JiraAdapter.connect(
        settings,
        retry=params.retry,
        reads_per_second=params.reads_per_second,
        writes_per_second=params.writes_per_second,
    ) as jira:
        searches = {p.policy.name: params.search_jql(p.policy, coverage.clause) for p in policy_runs}
        checks = {p.policy.name: preflight(jira, p.policy, searches[p.policy.name]) for p in policy_runs}  # all first
        if not jira.seal.signed:
            logger.warning(
                "escalation states are unsigned: any Jira user who may edit an issue can forge its state; "
                "set ESCALATOR_STATE_KEY (or state_key in the Jira Secret block) to seal them"
            )
        channels = check_channels([p.policy for p in policy_runs])  # every named block exists, dry run too
        writer: Writer = DryRunWriter() if params.dry_run else JiraWriter(jira, run)
        writer = ChannelWriter(writer, channels, settings.url, run_link(run))  # after the Jira write has landed
        context = RunContext(jira, writer, params, coverage)
        for policy_run in policy_runs:
            name = policy_run.policy.name
            keys = ArtifactKeys.for_policy(policy_run.policy)
            with (
                policy_lock(PREFECT_HOME.value() / "locks", coverage.lock_name(name)),
                policy_audit(sink, coverage.chain_name(name), keys, policy_run, run) as audit,
            ):
                report = sweep_policy(context, PolicySweep(policy_run, searches[name], checks[name], audit), budget)
            logger.info("%s", report.one_line())
            reports.append(report)
            if budget is not None:
                budget = max(0, budget - report.writes_attempted)
    return reports


@dataclass(frozen=True)
class RunContext:
    """What every policy of a run is swept with: Jira, the writer, the parameters and the run's coverage."""

    jira: JiraAdapter
    writer: Writer
    params: SweepParameters
    coverage: Coverage


@dataclass(frozen=True)
class PolicySweep:
    """One policy's part of a run: the policy, the query its sweep searches, its preflight report and its audit."""

    policy_run: PolicyRun
    jql: str
    check: PreflightReport
    audit: PolicyAudit


def sweep_policy(context: RunContext, sweep: PolicySweep, budget: int | None) -> SweepReport:
    """One policy's sweep. Its audit is published whatever happens: if it stops part-way, the records of what
    was decided and done so far are published with the error; if Jira stopped it, the run goes on to the next
    policy. Pages are evaluated as they are read, unless a ``least_loaded`` group counts the open issues of all of
    them (``in_issue_order_plans``)."""
    jira, params = context.jira, context.params
    policy_run, jql, check, audit = sweep.policy_run, sweep.jql, sweep.check, sweep.audit
    partitions, batch_pages = params.partitions_for(check.scope_count), params.pages_per_task(check.scope_count)
    policy, identity = policy_run.policy, policy_run.identity
    keys = audit.keys
    logger = get_run_logger()
    now = datetime.now(UTC)  # the one clock read: every issue of this policy is judged at the same instant
    parts: list[Plan] = []
    problems: list[SnapshotProblem] = []
    outcomes: list[Outcome] = []
    plan: Plan | None = None
    people = dict(check.people)  # display names for the records: the owners', then each assignee's as read
    inactive_users = check.inactive_users
    try:
        audit.settle(jira)  # first: a killed run's intents reconciled, its unpublished records carried
        if jql != policy.scope:
            logger.info("%s: searching %s", policy.name, jql)
        slices = params.slices_for(check.scope_count)
        pages = jira.policy_pages(
            policy, jql=jql, page_size=params.page_size, partitions=partitions, slices=slices, changelog=False
        )
        fetched = 0
        roster = Roster(check.groups)
        held: list[IssueSnapshot] | None = [] if counts_workload(policy.groups) else None  # least_loaded: all first
        largest = 1
        keep = audit.registered()  # the plan keeps what is recorded, and the registers' issues; it counts the rest
        read: set[str] = set()  # pages that shifted under a concurrent change repeat an issue: it is decided once
        while batch := fetch_batch(pages, batch_pages or params.pages_per_batch, policy.name):
            issues, page_problems = with_histories(jira, batch, policy, now)  # the changelog where it matters
            issues = [issue for issue in issues if issue.key not in read]
            read.update([issue.key for issue in issues])
            for page in batch:
                people.update(page.people)
            problems.extend(page_problems)
            fetched += len(issues) + len(page_problems)
            if held is None:
                parts.append(evaluate_batch(quote(issues), policy, now, inactive_users, identity, quote(roster), keep))
            else:
                held.extend(issues)
                largest = max(largest, len(issues))
            logger.info("%s: %d issues fetched", policy.name, fetched)
        if held is not None:
            roster = Roster(check.groups, workload(held))
            parts = in_issue_order_plans(held, roster, largest, policy_run, now, check, keep)
        if not parts:
            parts.append(evaluate_batch([], policy, now, inactive_users, identity, quote(roster), keep))
        plan = merge_plans(parts, policy)
        if not plan.blocked:  # a part of a split sweep may have to share the policy's blast radius
            plan = plan.model_copy(update={"blocked": context.coverage.admit(policy.name, len(plan.escalations))})
        logger.info("%s: %d escalations planned", policy.name, len(plan.escalations))
        applying = apply_plan.with_options(task_run_name=f"apply[{policy.name}]")  # named by policy in the UI
        writer = audit.journaled(naming_people(context.writer, people), plan, people)  # names in channel messages
        outcomes = applying(quote(plan), writer, budget, params.apply_concurrency)
    except Exception as error:
        # Whatever stopped the sweep, what was decided and written so far is recorded. Jira failing is an
        # outcome of this policy's sweep and the run goes on; anything else is a bug and stops the run.
        message = str(error) if isinstance(error, JiraError) else f"{type(error).__name__}: {error}"
        logger.error("%s: the sweep stopped: %s", policy.name, message)
        audit.record(plan, outcomes, problems, now=now, error=message, states_signed=jira.seal.signed, people=people)
        if not isinstance(error, JiraError):
            raise
        return SweepReport.of(policy, plan, outcomes, problems, keys, error=message)
    audit.record(plan, outcomes, problems, now=now, states_signed=jira.seal.signed, people=people)
    return SweepReport.of(policy, plan, outcomes, problems, keys)


def in_issue_order_plans(
    issues: list[IssueSnapshot],
    roster: Roster,
    size: int,
    policy_run: PolicyRun,
    now: datetime,
    check: PreflightReport,
    keep: frozenset[str],
) -> list[Plan]:
    """For a policy with a ``least_loaded`` group, which counts the open issues of every page: the issues read,
    evaluated in batches of ``size`` in the order of their numbers, each batch with the roster its predecessors'
    escalations left, so a dry run and the live run after it pick the same people whatever order the pages came in."""
    parts: list[Plan] = []
    ordered = in_issue_order(issues)
    for start in range(0, len(ordered), size):
        batch = ordered[start : start + size]
        policy, identity = policy_run.policy, policy_run.identity
        parts.append(evaluate_batch(quote(batch), policy, now, check.inactive_users, identity, quote(roster), keep))
        roster = roster.after(parts[-1])
    return parts
