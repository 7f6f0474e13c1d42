"""Fuzzing the policy loader: whatever bytes a policy file holds, reading it ends in a policy or in a
``PolicyLoadError`` naming the file, never in another exception (which the CLI would print as a traceback).

Seeded (``derandomize``), so CI sees the same examples every run; each test takes a few seconds.
"""

from __future__ import annotations

from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from escalator.authoring.files import PolicyLoadError, load_policy_bytes

EXAMPLE = (Path(__file__).resolve().parents[2] / "policies" / "outage.yaml").read_bytes()
DISPLAY = "fuzz.yaml"

YAML_PIECES = [
    *("name", "version", "scope", "categories", "levels", "window", "owners", "match", "calendars", "priority"),
    *(":", " ", "  ", "\n", "\t", "- ", "? ", ",", "[", "]", "{", "}", "|", ">", "'", '"', "#", "%YAML 1.1\n"),
    *("---\n", "...\n", "&a ", "*a", "<<: *a", "!!binary ", "!!timestamp ", "!!set ", "!!omap ", "!!python/tuple "),
    *("!local ", "~", "null", "true", "1h", "-1", "1e999", "0x1F", "0o9", ".nan", "2026-13-45", "2026-02-30 25:61"),
    *("\x00", "\ufeff", "\u2028", "é", "\\", "\\u0000", "@", "`"),
]
yaml_soup = st.lists(st.sampled_from(YAML_PIECES), max_size=40).map("".join)
SLOW = settings(derandomize=True, max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def read(raw: bytes) -> None:
    """Load ``raw`` as a policy; a refusal must be a ``PolicyLoadError`` whose every problem names the file."""
    try:
        load_policy_bytes(raw, DISPLAY, Path(DISPLAY))
    except PolicyLoadError as error:
        assert error.problems
        assert all(problem.path == DISPLAY and str(problem).startswith(DISPLAY) for problem in error.problems)


@settings(derandomize=True, max_examples=400, deadline=None)
@given(yaml_soup)
def test_yaml_made_of_pieces_is_a_policy_or_a_policy_load_error(text: str) -> None:
    read(text.encode("utf-8"))


@settings(derandomize=True, max_examples=200, deadline=None)
@given(st.binary(max_size=300))
def test_any_bytes_are_a_policy_or_a_policy_load_error(raw: bytes) -> None:
    read(raw)


@SLOW
@given(st.integers(0, len(EXAMPLE)), st.integers(0, 40), yaml_soup)
def test_the_example_policy_spliced_with_pieces_is_a_policy_or_a_policy_load_error(
    at: int, cut: int, insert: str
) -> None:
    """The example policy with a stretch replaced: mostly valid YAML, wrong in the places validation reads."""
    read(EXAMPLE[:at] + insert.encode("utf-8") + EXAMPLE[at + cut :])


@SLOW
@given(st.data())
def test_the_example_policy_with_a_value_replaced_is_a_policy_or_a_policy_load_error(data: st.DataObject) -> None:
    """One value of the example (after a ``key:``) replaced by a piece of YAML: every field meets wrong types."""
    lines = EXAMPLE.decode().splitlines()
    candidates = [i for i, line in enumerate(lines) if ": " in line and not line.lstrip().startswith("#")]
    index = data.draw(st.sampled_from(candidates))
    key = lines[index].split(": ", 1)[0]
    lines[index] = f"{key}: {data.draw(yaml_soup)}"
    read("\n".join(lines).encode("utf-8"))
