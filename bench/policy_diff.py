"""Benchmark of `escalator policy diff` on a 20,000-issue snapshot: the ten-category policy of
bench/core_evaluate.py committed in a throwaway git repository, then changed (the L1 window 4h -> 6h and the L2
owners of half the categories), diffed from the snapshot file. Prints seconds per phase; it is not a test.

Run: `uv run --frozen python bench/policy_diff.py [N]`.
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

import yaml

sys.path.insert(0, str(Path(__file__).parent))

from core_evaluate import issues, ten_category_policy

from escalator.preview.backlog import Snapshot, SnapshotScope, write_snapshot
from escalator.preview.compare import preview
from escalator.preview.render import render_table


def git(repo: Path, *args: str) -> None:
    subprocess.run(["git", "-c", "user.name=b", "-c", "user.email=b@example.com", *args], cwd=repo, check=True)


def main() -> None:
    count = int(sys.argv[1]) if len(sys.argv) > 1 else 20_000
    now = datetime(2026, 11, 24, 11, 0, tzinfo=UTC)
    policy = ten_category_policy()
    document = policy.model_dump(mode="json", by_alias=True, exclude_defaults=True)
    with tempfile.TemporaryDirectory() as folder:
        repo = Path(folder)
        git(repo, "init", "-q", "-b", "main")
        (repo / "p.yaml").write_text(yaml.safe_dump(document))
        git(repo, "add", "p.yaml")
        git(repo, "commit", "-q", "-m", "base")
        for index, category in enumerate(document["categories"]):
            category["levels"][0]["window"] = "6h"
            if index % 2:
                category["levels"][1]["owners"] = ["backup"]
        (repo / "p.yaml").write_text(yaml.safe_dump(document))
        backlog = issues(count, now)
        snapshot = Snapshot(
            taken_at=now,
            scopes=(
                SnapshotScope(scope=policy.scope, policies=(policy.name,), issue_keys=tuple(i.key for i in backlog)),
            ),
            issues=tuple(backlog),
        )
        write_snapshot(repo / "snapshot.json", snapshot)
        started = time.perf_counter()
        diffs = preview([repo / "p.yaml"], base="main", head=None, cwd=repo, snapshot=repo / "snapshot.json", at=now)
        computed = time.perf_counter()
        text = render_table(diffs)
        rendered = time.perf_counter()
    (diff,) = diffs
    print(f"{count} issues, {len(diff.changes)} change: {diff.counts()}")
    print(f"read snapshot + git + evaluate twice + compare: {computed - started:.2f} s")
    print(f"render the table ({len(text.splitlines())} lines): {rendered - computed:.2f} s")
    print(f"total: {rendered - started:.2f} s")


if __name__ == "__main__":
    main()
