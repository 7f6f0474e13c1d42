"""Rotation and group mistakes in a policy file are reported with file, line and field, all at once."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from escalator.authoring.files import PolicyLoadError, load_policies

GOOD = """\
name: demo
version: "1"
scope: project = SUP
rotations:
  - name: primary
    timezone: Europe/Berlin
    members: [ann, ben]
    length: 1w
    handoff: {weekday: mon, time: "09:00"}
    start: 2026-01-05
    overrides:
      - {owner: cat, from: 2026-02-10T09:00, until: 2026-02-12T18:00}
groups:
  - {name: support-l2, pick: round_robin}
categories:
  - name: support
    levels:
      - name: L1
        window: 4h
        owners: [rotation:primary, group:support-l2]
"""


def problems_in(tmp_path: Path, text: str) -> list[str]:
    path = tmp_path / "policy.yaml"
    path.write_text(textwrap.dedent(text))
    with pytest.raises(PolicyLoadError) as caught:
        load_policies([path])
    return [str(p).removeprefix(str(path)) for p in caught.value.problems]


def test_the_good_policy_loads(tmp_path: Path) -> None:
    path = tmp_path / "policy.yaml"
    path.write_text(GOOD)
    (loaded,) = load_policies([path])
    assert loaded.policy.rotations[0].members == ("ann", "ben")


@pytest.mark.parametrize(
    ("replace", "by", "expected"),
    [
        (
            "[rotation:primary, group:support-l2]",
            "[rotation:secondary, group:support-l2]",
            ":20: categories[0].levels[0].owners[0]: rotation 'secondary' is not defined under 'rotations' "
            "(defined: primary)",
        ),
        (
            "[rotation:primary, group:support-l2]",
            "[rotation:primary, group:ops]",
            ":20: categories[0].levels[0].owners[1]: group 'ops' is not defined under 'groups' (defined: support-l2)",
        ),
        ("members: [ann, ben]", "members: []", ":7: rotations[0].members: a rotation needs at least one"),
        (
            "      - {owner: cat, from: 2026-02-10T09:00, until: 2026-02-12T18:00}",
            "      - {owner: cat, from: 2026-02-10T09:00, until: 2026-02-12T18:00}\n"
            "      - {owner: dan, from: 2026-02-12T09:00, until: 2026-02-13T09:00}",
            ":11: rotations[0].overrides: overrides overlap: cat until 2026-02-12T18:00:00 and dan",
        ),
        ("length: 1w", "length: 36h", ":8: rotations[0].length: a rotation length is whole days or weeks"),
        ("pick: round_robin", "pick: random", ":14: groups[0].pick: Input should be 'first', 'round_robin' or"),
    ],
)
def test_each_mistake_names_file_line_and_field(tmp_path: Path, replace: str, by: str, expected: str) -> None:
    assert replace in GOOD
    problems = problems_in(tmp_path, GOOD.replace(replace, by))
    assert any(p.startswith(expected) for p in problems), problems
