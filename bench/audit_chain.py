"""What the durable, single-writer audit chain costs: prints numbers, it is not a test.

A live sweep appends an intent before and an outcome after each Jira write, each synced to disk (``fsync``), then
its other records in one batch; ``verify`` rereads everything. This measures, on a local directory (the sink's
recommended home):

- bracketing N writes: 2N appends of one line each, each fsynced, from 4 threads (the applier's default);
- one batch append of N records (one fsync);
- opening the chain as its writer (lock, head, tail after the last checkpoint);
- ``verify`` of the chain, unkeyed and keyed (HMAC-SHA256).

    uv run --frozen python bench/audit_chain.py [N]
"""

from __future__ import annotations

import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime

from escalator.audit.keys import AuditKeyring
from escalator.audit.record import AuditRecord
from escalator.audit.sink import AuditSink
from escalator.audit.verify import verify_sink


def body(n: int) -> dict[str, object]:
    return AuditRecord(
        evaluated_at=datetime(2026, 3, 3, 9, 30, tzinfo=UTC),
        issue_key=f"OPS-{n}",
        outcome="applied",
        decision="escalate",
        reason_code="due",
        reason=f"OPS-{n} has been open 2h 00m of working time since creation on calendar ops-24x7; the window "
        "for L1 is 30m.",
        from_level=None,
        to_level="L1",
        policy="outage-matrix",
        policy_version="3",
        git_commit="0123456789abcdef0123456789abcdef01234567",
        flow_run_id="3f0e8a1c-6d0e-4c55-9f5e-0a1b2c3d4e5f",
        flow_run_name="brave-otter",
    ).model_dump(mode="json")


def main(count: int) -> None:
    for label, keyring in (("unkeyed", AuditKeyring()), ("keyed", AuditKeyring.parse("k1:" + "a" * 64))):
        with tempfile.TemporaryDirectory() as root:
            sink = AuditSink(root)
            bodies = [body(n) for n in range(count)]
            with sink.open_chain("outage-matrix", keyring) as writer:
                started = time.perf_counter()
                with ThreadPoolExecutor(max_workers=4) as pool:
                    list(pool.map(lambda b: (writer.append("intent", [b]), writer.append("record", [b])), bodies))
                bracketed = time.perf_counter() - started
                started = time.perf_counter()
                writer.append("record", bodies)
                batch = time.perf_counter() - started
                writer.append("checkpoint", [{"flow_run_id": None, "breaches": []}])
            started = time.perf_counter()
            sink.open_chain("outage-matrix", keyring).close()
            opened = time.perf_counter() - started
            started = time.perf_counter()
            report = verify_sink(sink, keyring=keyring)
            verified = time.perf_counter() - started
            assert report.ok, report.problems
            lines = report.records["outage-matrix"]
            print(
                f"{label:8} {count:,} writes bracketed (2 fsynced appends each, 4 threads): {bracketed:6.2f} s "
                f"({bracketed / (2 * count) * 1000:.2f} ms per append); batch of {count:,}: {batch:5.2f} s; "
                f"open as writer: {opened * 1000:5.1f} ms; verify {lines:,} lines: {verified:5.2f} s"
            )


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 1000)
