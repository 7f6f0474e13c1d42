"""One sweep of a policy at a time on this machine: an exclusive lock file per policy.

Two overlapping sweeps of one policy would both read the same escalation state and both escalate. The
second sweep therefore waits for the first and then reads the state it wrote. The operating system releases
the lock when its process ends, however it ends, so a killed sweep never blocks the next one (Prefect's
global concurrency leases are only reclaimed by a server service that the ephemeral API does not run).
Across machines, the deployments' own concurrency limit (one run, CANCEL_NEW) keeps scheduled sweeps apart.
"""

from __future__ import annotations

import fcntl
import os
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

__all__ = ["PolicyLockTimeout", "policy_lock"]


class PolicyLockTimeout(Exception):
    """Another sweep of the same policy held the lock for longer than we were willing to wait."""


@contextmanager
def policy_lock(directory: Path, policy: str, *, timeout: float = 900.0, poll: float = 0.2) -> Iterator[Path]:
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / f"escalator-policy-{policy}.lock"
    descriptor = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        deadline = time.monotonic() + timeout
        while True:
            try:
                fcntl.flock(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    raise PolicyLockTimeout(
                        f"another sweep of policy {policy!r} has held {path} for over {timeout:.0f} s"
                    ) from None
                time.sleep(poll)
        try:
            yield path
        finally:
            fcntl.flock(descriptor, fcntl.LOCK_UN)
    finally:
        os.close(descriptor)
