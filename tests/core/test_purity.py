"""The core reads no clock: ``evaluate`` is judged at the instant its caller hands it. (Imports of Jira, Prefect,
HTTP, files and processes are kept out by the import-linter contracts that ``make lint`` checks.)"""

from __future__ import annotations

import ast
from pathlib import Path

import escalator.core

CORE = Path(escalator.core.__file__).parent
CLOCK_CALLS = {"now", "today", "utcnow", "time", "monotonic", "perf_counter"}


def test_the_core_never_reads_the_clock() -> None:
    calls = [
        f"{path.name}:{node.lineno}: {node.func.attr}()"
        for path in sorted(CORE.glob("*.py"))
        for node in ast.walk(ast.parse(path.read_text()))
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr in CLOCK_CALLS
    ]
    assert calls == []
