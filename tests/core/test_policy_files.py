"""Bad policy files get every problem at once, each with file, line and field; never a traceback."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from escalator.authoring.files import PolicyLoadError, load_policies, load_policy_file

GOOD = """\
name: demo
version: "1"
scope: project = SUP
priorities: [Low, Medium, High]
calendars:
  - name: office
    timezone: Europe/Berlin
categories:
  - name: support
    match: {projects: [SUP]}
    levels:
      - name: L1
        window: 4h
        owners: [dave]
"""


def write(tmp_path: Path, text: str, name: str = "policy.yaml") -> Path:
    path = tmp_path / name
    path.write_text(textwrap.dedent(text))
    return path


def problems_of(*paths: Path) -> list[str]:
    with pytest.raises(PolicyLoadError) as caught:
        load_policies(list(paths))
    return [str(p) for p in caught.value.problems]


def test_a_good_policy_loads_with_its_identity(tmp_path: Path) -> None:
    path = write(tmp_path, GOOD)
    loaded = load_policy_file(path)
    assert loaded.policy.name == "demo" and loaded.identity.version == "1"
    import hashlib

    assert loaded.identity.sha256 == hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.mark.parametrize(
    ("replace", "by", "expected"),
    [
        (
            "        window: 4h",
            "        window: 4 hours",
            ":13: categories[0].levels[0].window: '4 hours' is not a duration",
        ),
        ("        window: 4h", "        window: 4", ":13: categories[0].levels[0].window: 4 has no unit"),
        (
            "        owners: [dave]",
            "        owners: []",
            ":14: categories[0].levels[0].owners: give at least one",
        ),
        (
            "        owners: [dave]",
            "        owner: [dave]",
            ":12: categories[0].levels[0].owners: Field required",
        ),
        (
            "        owners: [dave]",
            "        owners: [dave]\n        escalate_to: boss",
            ":15: categories[0].levels[0].escalate_to: unknown key",
        ),
        ("    timezone: Europe/Berlin", "    timezone: Europe/Berlinn", ":7: calendars[0].timezone:"),
        ('version: "1"', "version: 1.10", ":2: version: write the version in quotes"),
        ("name: demo", "name: Demo Policy", ":1: name: String should match pattern"),
        (
            "    match: {projects: [SUP]}",
            "    match: {projects: [SUP]}\n    calendar: nowhere",
            ":11: categories[0].calendar: calendar 'nowhere' is not defined under 'calendars'",
        ),
        (
            "        owners: [dave]",
            "        owners: [dave]\n        priority: {set: Urgent}",
            ":15: categories[0].levels[0].priority.set: 'Urgent' is not on the priority ladder",
        ),
        (
            "        owners: [dave]",
            "        owners: [dave]\n        priority: {set: High, raise: 1}",
            ":15: categories[0].levels[0].priority: give exactly one of",
        ),
        (
            "        owners: [dave]",
            "        owners: [dave]\n        notify: {channels: [slack webhook/ops]}",
            ":15: categories[0].levels[0].notify.channels[0]: String should match pattern",
        ),
        (
            "scope: project = SUP",
            "scope: project = SUP\npause_statuses: Waiting for customer",
            ":4: pause_statuses: Input should be a valid tuple",
        ),
        (
            "    match: {projects: [SUP]}",
            "    match: {projects: [SUP]}\n    pause_statuses: [Pending, {name: Waiting}]",
            ":11: categories[0].pause_statuses[1]: Input should be a valid string",
        ),
    ],
    ids=[
        "bad duration",
        "duration without unit",
        "no owners",
        "missing owners (typo)",
        "unknown key",
        "unknown time zone",
        "unquoted version",
        "bad name",
        "undefined calendar",
        "priority not on ladder",
        "set and raise",
        "channel that is not a block name",
        "pause statuses not a list",
        "pause status not a name",
    ],
)
def test_each_problem_names_file_line_and_field(tmp_path: Path, replace: str, by: str, expected: str) -> None:
    assert replace in GOOD
    path = write(tmp_path, GOOD.replace(replace, by))
    problems = problems_of(path)
    assert any(p.startswith(str(path)) and expected in p for p in problems), problems


def test_every_problem_of_every_file_at_once(tmp_path: Path) -> None:
    first = write(
        tmp_path, GOOD.replace("window: 4h", "window: soon").replace("owners: [dave]", "owners: []"), "a.yaml"
    )
    second = write(tmp_path, GOOD.replace("name: demo", "name: other").replace("scope: project = SUP\n", ""), "b.yaml")
    problems = problems_of(first, second)
    assert len(problems) == 3, problems
    assert sum(p.startswith(str(first)) for p in problems) == 2
    assert any(p.startswith(f"{second}:1: scope: Field required") for p in problems), problems


def test_catch_all_before_other_categories_is_an_error(tmp_path: Path) -> None:
    text = GOOD + "  - name: rest\n    levels:\n      - {name: L1, window: 1d, owners: [erin]}\n"
    text = text.replace("    match: {projects: [SUP]}\n", "")
    problems = problems_of(write(tmp_path, text))
    assert any(
        ":9: categories[0].match: catch-all category 'support' must be last; it would hide rest" in p for p in problems
    ), problems


def test_yaml_syntax_error_has_its_line(tmp_path: Path) -> None:
    path = write(tmp_path, GOOD.replace("    timezone: Europe/Berlin", "    timezone: [Europe/Berlin"))
    problems = problems_of(path)
    assert len(problems) == 1 and "YAML syntax" in problems[0] and problems[0].startswith(f"{path}:"), problems


def test_duplicate_keys_are_reported(tmp_path: Path) -> None:
    path = write(tmp_path, GOOD.replace('version: "1"', 'version: "1"\nversion: "2"'))
    assert "YAML syntax" in problems_of(path)[0]


def test_empty_file_and_non_mapping(tmp_path: Path) -> None:
    assert "found empty" in problems_of(write(tmp_path, "", "empty.yaml"))[0]
    assert (
        "found a CommentedSeq" in problems_of(write(tmp_path, "- a\n- b\n", "list.yaml"))[0]
        or "found a" in problems_of(write(tmp_path, "- a\n- b\n", "list.yaml"))[0]
    )


def test_two_policies_with_one_name(tmp_path: Path) -> None:
    write(tmp_path, GOOD, "a.yaml")
    write(tmp_path, GOOD, "b.yaml")
    problems = problems_of(tmp_path)
    assert any("b.yaml:1: name: policy name 'demo' is already used by" in p for p in problems), problems


def test_missing_file_and_empty_folder(tmp_path: Path) -> None:
    assert "cannot read the file" in problems_of(tmp_path / "nope.yaml")[0]
    (tmp_path / "empty").mkdir()
    assert "no policy files found" in problems_of(tmp_path / "empty")[0]


def test_a_folder_skips_case_files(tmp_path: Path) -> None:
    write(tmp_path, GOOD)
    write(tmp_path, "not: a policy\n", "policy.cases.yaml")
    assert [p.policy.name for p in load_policies([tmp_path])] == ["demo"]
