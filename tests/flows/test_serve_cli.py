"""`escalator serve` as a user starts it: the fast parts (help, a wrong name). Serving against a real server is
in test_deploy.py, which has one running already."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def escalator(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "escalator", *args], cwd=ROOT, capture_output=True, text=True, timeout=60
    )


def test_serve_help_names_its_options() -> None:
    result = escalator("serve", "--help")
    assert result.returncode == 0, result.stderr
    for option in ("--deployment", "--port"):
        assert option in result.stdout


def test_an_unknown_deployment_is_a_clear_error_before_anything_starts() -> None:
    result = escalator("serve", "--deployment", "nightly")
    assert result.returncode == 2
    assert (
        "no deployment named nightly in prefect.yaml (there are: outage-matrix, support-matrix, weekly-audit-report)"
        in result.stderr
    )
    assert "Traceback" not in result.stderr
