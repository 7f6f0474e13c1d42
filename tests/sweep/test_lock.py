"""The per-policy lock: exclusive while held, freed when its holder dies, however it dies."""

from __future__ import annotations

import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from escalator.sweep.lock import PolicyLockTimeout, policy_lock


def test_a_second_holder_waits_then_times_out(tmp_path: Path) -> None:
    holder = textwrap.dedent(f"""
        import sys, time
        from pathlib import Path
        from escalator.sweep.lock import policy_lock
        with policy_lock(Path({str(tmp_path)!r}), "demo"):
            print("held", flush=True)
            time.sleep(60)
    """)
    process = subprocess.Popen([sys.executable, "-c", holder], stdout=subprocess.PIPE, text=True)
    try:
        assert process.stdout is not None and process.stdout.readline().strip() == "held"
        with (
            pytest.raises(PolicyLockTimeout, match="another sweep of policy 'demo'"),
            policy_lock(tmp_path, "demo", timeout=0.5),
        ):
            pass
        with policy_lock(tmp_path, "other", timeout=0.5):  # other policies are not blocked
            pass
        process.kill()  # SIGKILL: no cleanup code runs in the holder
        process.wait(timeout=10)
        started = time.monotonic()
        with policy_lock(tmp_path, "demo", timeout=5):
            assert time.monotonic() - started < 2
    finally:
        process.kill()
