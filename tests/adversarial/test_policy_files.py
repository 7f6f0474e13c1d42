"""Hostile policy files: YAML that costs far more to read than its size suggests, or too much to read at all.
Each is refused through ``escalator policy validate`` (and ``escalator run``'s check before it starts) with
``file:line: message`` and no traceback, and by the loader with a ``PolicyLoadError``. What each refusal costs
in time and memory is printed by ``bench/policy_bombs.py``, not asserted here."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from typer.testing import CliRunner

from escalator.authoring.bounds import MAX_ALIAS_NODES, MAX_DEPTH, MAX_FILE_BYTES, MAX_NODES
from escalator.authoring.files import PolicyLoadError, load_policy_bytes, load_policy_file
from escalator.cli.app import app

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "policies" / "outage.yaml"


def billion_laughs() -> str:
    lines = ['a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    for previous, name in zip("abcdefgh", "bcdefghi", strict=True):
        lines.append(f"{name}: &{name} [" + ",".join([f"*{previous}"] * 9) + "]")
    return "\n".join(lines) + "\nname: *i\n"


def deep_alias() -> str:
    """Each node within the depth limit, but the alias puts one inside the other."""
    half = MAX_DEPTH // 2 + 2
    return f"a: &deep {'[' * half}1{']' * half}\nname: {'[' * half}*deep{']' * half}\n"


BOMBS: dict[str, tuple[Callable[[], str], int, str]] = {
    "billion-laughs": (billion_laughs, 5, f"aliases expand to more than {MAX_ALIAS_NODES:,} values (at *d)"),
    "deep-flow-nesting": (
        lambda: "name: x\nscope: " + "[" * 5000 + "]" * 5000 + "\n",
        2,
        f"nested more than {MAX_DEPTH} levels deep",
    ),
    "deep-block-nesting": (
        lambda: "".join(f"{'  ' * i}k{i}:\n" for i in range(200)) + "x\n",
        MAX_DEPTH + 1,
        f"nested more than {MAX_DEPTH} levels deep",
    ),
    "deep-alias": (deep_alias, 2, f"the alias *deep nests more than {MAX_DEPTH} levels deep"),
    "alias-loop": (lambda: "name: &a [x, *a]\n", 1, "the alias *a is inside the node it refers to (a loop)"),
    "many-values": (
        lambda: "name: x\nscope: [" + "x, " * 330_000 + "x]\n",
        2,
        f"more than {MAX_NODES:,} values (aliases expanded)",
    ),
    "over-1-mb": (
        lambda: EXAMPLE.read_text() + "# " + "x" * MAX_FILE_BYTES + "\n",
        1,
        f"a policy file may have at most {MAX_FILE_BYTES:,} (1 MB)",
    ),
}


@pytest.mark.parametrize("bomb", sorted(BOMBS))
def test_escalator_policy_validate_refuses_the_bomb_with_file_and_line(bomb: str, tmp_path: Path) -> None:
    make, line, message = BOMBS[bomb]
    path = tmp_path / f"{bomb}.yaml"
    path.write_text(make())
    result = CliRunner().invoke(app, ["policy", "validate", str(path)])
    assert result.exit_code == 1, result.output
    (refusal,) = [text for text in result.output.splitlines() if text.startswith("error ")]
    assert refusal.startswith(f"error {path}:{line}: ") and message in refusal, result.output
    assert "Traceback" not in result.output and isinstance(result.exception, SystemExit)


@pytest.mark.parametrize("bomb", sorted(BOMBS))
def test_the_loader_refuses_the_bomb(bomb: str, tmp_path: Path) -> None:
    make, line, message = BOMBS[bomb]
    path = tmp_path / f"{bomb}.yaml"
    path.write_text(make())
    with pytest.raises(PolicyLoadError) as refused:
        load_policy_file(path)
    (problem,) = refused.value.problems
    assert (problem.path, problem.line) == (str(path), line) and message in problem.message
    with pytest.raises(PolicyLoadError) as from_git:  # the same bytes at a git ref (policy diff, preview)
        load_policy_bytes(path.read_bytes(), f"main:{bomb}.yaml", path)
    (problem,) = from_git.value.problems
    assert (problem.path, problem.line) == (f"main:{bomb}.yaml", line) and message in problem.message


def test_escalator_run_refuses_a_bomb_before_starting(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "laughs.yaml"
    path.write_text(billion_laughs())
    monkeypatch.setenv("JIRA_URL", "https://jira.example.com")
    monkeypatch.setenv("JIRA_PAT", "not-used")
    monkeypatch.chdir(ROOT)
    result = CliRunner().invoke(app, ["run", "--policy", str(path)])
    assert result.exit_code == 1
    assert f"error {path}:5: aliases expand to more than" in result.output
    assert "Traceback" not in result.output


def test_a_file_at_the_size_limit_is_read(tmp_path: Path) -> None:
    policy = EXAMPLE.read_text() + "# "
    path = tmp_path / "padded.yaml"
    path.write_text(policy + "x" * (MAX_FILE_BYTES - len(policy.encode()) - 1) + "\n")
    assert path.stat().st_size == MAX_FILE_BYTES
    assert load_policy_file(path).policy.name == "outage-matrix"


def test_aliases_within_the_budget_are_read(tmp_path: Path) -> None:
    """Anchors are a fair way to share a list of owners; only their expansion is bounded."""
    anchored = "owners: &oncall [rotation:ops-on-call, acc-carol]"
    text = EXAMPLE.read_text().replace("owners: [rotation:ops-on-call]", anchored, 1)
    text = text.replace("owners: [acc-bob, acc-carol]", "owners: *oncall")
    assert anchored in text and "owners: *oncall" in text
    path = tmp_path / "anchored.yaml"
    path.write_text(text)
    levels = load_policy_file(path).policy.categories[0].levels
    assert levels[0].owners == levels[1].owners == ("rotation:ops-on-call", "acc-carol")
