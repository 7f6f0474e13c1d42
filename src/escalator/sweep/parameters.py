"""What a sweep runs on: the ``escalate`` flow's parameters, validated and shown in the UI's run form."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field, field_serializer

from escalator.audit.sink import redact_url
from escalator.core.evaluate import youngest_actionable_age
from escalator.core.policy import Policy
from escalator.core.routing import counts_workload
from escalator.jira.retry import RetryPolicy
from escalator.jira.scope import sweep_jql

SLICES_PER_READER = 4
"""Slices of a large scope per reader (``SweepParameters.slices_for``)."""


class SweepParameters(BaseModel):
    """What a sweep runs on; the Prefect flow's parameters (validated, shown in the UI's run form)."""

    model_config = ConfigDict(extra="forbid")

    policies: list[str] = Field(default=["policies"], description="policy files or folders")
    dry_run: bool = Field(default=False, description="decide and record everything, write nothing to Jira")
    write_budget: int | None = Field(default=None, ge=0, description="at most this many issues written per run")
    jira_block: str | None = Field(
        default=None,
        description="name of a Prefect Secret block holding the Jira settings as JSON "
        '({"url": ..., "email": ..., "api_token": ...} or {"url": ..., "pat": ...}); default: JIRA_* variables',
    )
    require_clean_policy: bool = Field(
        default=False, description="refuse policies that are not committed, unchanged, in git (for production)"
    )
    audit_sink: str | None = Field(
        default=None,
        description="append the decision records to this append-only store too (a path or fsspec URL); "
        "default: $ESCALATOR_AUDIT_SINK, none when unset",
    )
    audit_key_block: str | None = Field(
        default=None,
        description="name of a Prefect Secret block holding the audit chain keys (as ESCALATOR_AUDIT_KEY does: "
        "KID:SECRET, newest first); default: $ESCALATOR_AUDIT_KEY, unkeyed chains when unset",
    )
    page_size: int = Field(default=100, ge=1, le=1000)
    pages_per_batch: int = Field(default=20, ge=1, description="pages fetched per Prefect task run")
    batches_per_policy: int | None = Field(
        default=10,
        ge=1,
        description="a larger scope takes more pages per task run, so that a policy's sweep fetches and evaluates "
        "in about this many task runs (each costs the Prefect server some 30 ms of CPU); none: pages_per_batch",
    )
    apply_concurrency: int = Field(default=4, ge=1, le=32, description="writes in flight at once")
    read_partitions: int = Field(
        default=8,
        ge=1,
        le=16,
        description="at most this many searches of a large scope are paged at once (one per 10 pages), each "
        "taking the scope's created time slices in turn",
    )
    reads_per_second: float | None = Field(
        default=95, gt=0, description="searches paced to stay under Jira's read limit (Cloud: about 100/s)"
    )
    writes_per_second: float | None = Field(
        default=48, gt=0, description="writes paced to stay under Jira's write limit (Cloud: about 50/s)"
    )
    retry: RetryPolicy = Field(
        default_factory=RetryPolicy,
        description="how often and after what waits a refused or failed Jira request is tried again "
        "(exponential backoff with jitter, at least Jira's Retry-After)",
    )

    narrow_scope: bool = Field(
        default=True,
        description="search only issues older than the policy's shortest window or deadline: younger ones "
        "cannot be due (off: read the whole scope, e.g. to list data problems of new issues)",
    )

    @field_serializer("audit_sink", when_used="json")
    def _sink_without_credentials(self, sink: str | None) -> str | None:
        """Prefect stores and shows a run's parameters as JSON: a sink URL's credentials never go there."""
        return None if sink is None else redact_url(sink)

    def search_jql(self, policy: Policy, clause: str | None = None) -> str:
        """The JQL this sweep searches for ``policy``: its scope AND ``clause`` (the part of it this run covers,
        see ``Coverage``), narrowed as the parameters allow."""
        return sweep_jql(
            policy.scope,
            older_than=youngest_actionable_age(policy)
            if self.narrow_scope and not counts_workload(policy.groups)
            else None,
            clause=clause,
        )

    def pages_per_task(self, scope_count: int | None) -> int:
        """Pages per fetch and evaluate task run: ``pages_per_batch``, or more when a scope of ``scope_count``
        issues would take more than ``batches_per_policy`` task runs of that size."""
        if scope_count is None or self.batches_per_policy is None:
            return self.pages_per_batch
        pages = -(-scope_count // self.page_size)
        return max(self.pages_per_batch, -(-pages // self.batches_per_policy))

    def partitions_for(self, scope_count: int | None) -> int:
        """How many slices to page at once: none for a scope of under ten pages, where slicing only adds
        requests; one per ten pages above that, up to ``read_partitions``."""
        if scope_count is None:
            return 1
        return max(1, min(self.read_partitions, scope_count // (self.page_size * 10)))

    def slices_for(self, scope_count: int | None) -> int:
        """How many slices to cut the scope into for ``partitions_for`` readers: up to ``SLICES_PER_READER`` each,
        none under ten pages. Slices of equal time hold unequal numbers of issues; with several per reader, a
        reader that finishes takes the next, and the largest slice no longer pages alone at the end (each slice
        also ends with a page that is not full, hence not more)."""
        readers = self.partitions_for(scope_count)
        if scope_count is None or readers == 1:
            return readers
        return max(readers, min(readers * SLICES_PER_READER, scope_count // (self.page_size * 10)))
