"""A shard as the plain sweep sees it: a ``Coverage`` with the shard's clause, lock and chain names, and the
sweep's shared blast radius as the gate a shard's plan must pass (``escalator.orchestration.limits``)."""

from __future__ import annotations

from escalator.orchestration.limits import take_allowance
from escalator.sharding.shards import Shard
from escalator.sweep.coverage import Coverage

__all__ = ["ShardCoverage"]


class ShardCoverage(Coverage):
    def __init__(self, shard: Shard) -> None:
        self.shard = shard
        self.clause = shard.jql

    def lock_name(self, policy: str) -> str:
        return self.shard.limit_name(policy)

    def chain_name(self, policy: str) -> str:
        return self.shard.chain_name(policy)

    def admit(self, policy: str, escalations: int) -> str | None:
        """All or nothing: the shard takes as many slots of the policy's allowance as it plans escalations."""
        allowance = self.shard.allowance_name(policy)
        return take_allowance(allowance, escalations) if allowance and escalations else None
