"""Prefect global concurrency limits, for the two things the shards of a sweep (``escalator.sharding``) share
through the Prefect server, whatever machine each runs on.

**One run per shard.** A shard of a policy is swept by one flow run at a time, across every machine: a Prefect
global concurrency limit of 1 per policy and shard, held for the whole run.

Shards run on several workers, so the per-machine lock file (``escalator.sweep.lock``) cannot keep two runs of
one shard apart; the Prefect server can. The limits are created on first use. A run holds its slots under a lease that
its process renews; if the process dies, the server takes the slots back when the lease runs out (this needs
a Prefect server: the ephemeral API runs no such service, which is why unsharded sweeps use the lock file).

**One blast radius per policy.** A policy's ``max_escalations_per_run`` holds for the whole sharded sweep, as for
an unsharded one. The parent creates a global concurrency limit of that size per policy for its run (an
"allowance"). Each shard, once its plan is complete, takes as many slots as it plans escalations, all or
nothing, and never gives them back; a shard whose plan no longer fits is blocked as a whole. The parent deletes
the allowances when its shards are done.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from contextlib import ExitStack, contextmanager, suppress

from prefect import get_client
from prefect.concurrency.sync import concurrency
from prefect.exceptions import ObjectAlreadyExists, ObjectNotFound

__all__ = ["ShardBusy", "delete_allowances", "ensure_limits", "shard_slots", "take_allowance"]


class ShardBusy(Exception):
    """Another run holds this shard: it is being swept right now."""


def ensure_limits(sizes: Mapping[str, int]) -> None:
    """Create each limit, of its size and with no slot decay, unless it exists. One that exists (made by a
    concurrent run, or left by an earlier attempt of the same sweep) is kept as it is, with the slots taken."""
    from prefect.client.schemas.actions import GlobalConcurrencyLimitCreate

    with get_client(sync_client=True) as client:
        for name, size in sizes.items():
            with suppress(ObjectAlreadyExists):
                client.create_global_concurrency_limit(GlobalConcurrencyLimitCreate(name=name, limit=size))


@contextmanager
def shard_slots(names: Sequence[str], *, wait_seconds: float = 10.0) -> Iterator[None]:
    """Hold one slot of every limit in ``names`` (all or none) while the block runs; ``ShardBusy`` if another
    run still holds one after ``wait_seconds``."""
    ensure_limits(dict.fromkeys(names, 1))
    with ExitStack() as held:
        try:
            held.enter_context(concurrency(list(names), occupy=1, timeout_seconds=wait_seconds, strict=True))
        except TimeoutError as error:
            raise ShardBusy(f"another run holds {', '.join(names)}; this shard is being swept already") from error
        yield


def take_allowance(name: str, count: int) -> str | None:
    """Take ``count`` slots of the allowance ``name`` at once; None if they were taken, else why not (the plan
    is then blocked: nothing of it is applied)."""
    from httpx import HTTPStatusError

    with get_client(sync_client=True) as client:
        try:
            taken = client.increment_concurrency_slots(names=[name], slots=count, mode="concurrency").json()
        except HTTPStatusError as error:
            if error.response.status_code != 423:
                raise
            limit = client.read_global_concurrency_limit_by_name(name)
            return (
                f"{count} escalations planned, but other shards of this sweep already planned {limit.active_slots} "
                f"of this policy's max_escalations_per_run of {limit.limit}; nothing was applied"
            )
    if not taken:
        return f"the sweep's allowance {name!r} does not exist (was its parent run deleted?); nothing was applied"
    return None


def delete_allowances(names: Sequence[str]) -> None:
    with get_client(sync_client=True) as client:
        for name in names:
            with suppress(ObjectNotFound):
                client.delete_global_concurrency_limit_by_name(name)
