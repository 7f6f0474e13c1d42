"""What one sweep run covers of every policy's scope, and the names that keep two such runs apart.

A plain sweep covers whole scopes: one lock and one audit chain per policy, and a complete plan goes ahead as
the policy's own blast-radius limit allows. A layer that splits a sweep into parts run apart (``escalator.sharding``)
subclasses ``Coverage``: a JQL clause for its part, its own lock and chain names, and a gate that a part's
complete plan must pass before any write. The plain sweep calls these and knows nothing else of the parts.
"""

from __future__ import annotations

__all__ = ["Coverage"]


class Coverage:
    """All of every policy's scope."""

    clause: str | None = None
    """JQL ANDed to every policy's scope; None for the whole scope."""

    def lock_name(self, policy: str) -> str:
        """The lock that keeps two runs covering the same part of ``policy`` apart."""
        return policy

    def chain_name(self, policy: str) -> str:
        """The audit-sink chain this run appends ``policy``'s records to: one writer per chain."""
        return policy

    def admit(self, policy: str, escalations: int) -> str | None:
        """Why ``policy``'s complete plan of ``escalations`` may not be applied in this run, or None."""
        return None
