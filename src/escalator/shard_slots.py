"""A shard of a policy is swept by one flow run at a time, across every machine: a Prefect global concurrency
limit of 1 per policy and shard, held for the whole run.

Shards run on several workers, so the per-machine lock file (``policy_lock``) cannot keep two runs of one shard
apart; the Prefect server can. The limits are created on first use. A run holds its slots under a lease that
its process renews; if the process dies, the server takes the slots back when the lease runs out (this needs
a Prefect server: the ephemeral API runs no such service, which is why unsharded sweeps use the lock file).
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import ExitStack, contextmanager, suppress

from prefect import get_client
from prefect.concurrency.sync import concurrency
from prefect.exceptions import ObjectAlreadyExists, ObjectNotFound

__all__ = ["ShardBusy", "shard_slots"]


class ShardBusy(Exception):
    """Another run holds this shard: it is being swept right now."""


def ensure_limits(names: Sequence[str]) -> None:
    """Create each limit (1 slot) unless it exists; a limit created by a concurrent run is fine."""
    from prefect.client.schemas.actions import GlobalConcurrencyLimitCreate

    with get_client(sync_client=True) as client:
        for name in names:
            try:
                client.read_global_concurrency_limit_by_name(name)
            except ObjectNotFound:
                with suppress(ObjectAlreadyExists):
                    client.create_global_concurrency_limit(GlobalConcurrencyLimitCreate(name=name, limit=1))


@contextmanager
def shard_slots(names: Sequence[str], *, wait_seconds: float = 10.0) -> Iterator[None]:
    """Hold one slot of every limit in ``names`` (all or none) while the block runs; ``ShardBusy`` if another
    run still holds one after ``wait_seconds``."""
    ensure_limits(names)
    with ExitStack() as held:
        try:
            held.enter_context(concurrency(list(names), occupy=1, timeout_seconds=wait_seconds, strict=True))
        except TimeoutError as error:
            raise ShardBusy(f"another run holds {', '.join(names)}; this shard is being swept already") from error
        yield
