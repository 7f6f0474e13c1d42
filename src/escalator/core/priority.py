"""A priority raised on the policy's ladder: up or equal, never down, never past the top."""

from __future__ import annotations

from escalator.core.policy import PriorityChange

__all__ = ["raise_priority"]


def raise_priority(current: str | None, change: PriorityChange, ladder: tuple[str, ...]) -> str | None:
    """The priority after ``change``: higher or equal on ``ladder`` (lowest first), never past its top.

    A priority that is not on the ladder cannot be compared, so it is left as it is.
    """
    if current is not None and current not in ladder:
        return current
    rank = -1 if current is None else ladder.index(current)
    if change.set is not None:
        if change.set not in ladder:  # no ladder at all: the named priority is the only order we know
            return change.set if current is None else current
        return change.set if ladder.index(change.set) > rank else current
    steps = change.raise_by or 0
    if not ladder:
        return current
    return ladder[min(rank + steps, len(ladder) - 1)] if steps else current
