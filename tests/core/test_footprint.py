"""What a policy may write to issues of one project and issue type (``core/footprint.py``), one table row per
rule. Pure: no Jira, no Prefect."""

from __future__ import annotations

from typing import Any

import pytest

from escalator.core.footprint import Footprint, footprint
from escalator.core.policy import Policy

LADDER = ["Lowest", "Low", "Medium", "High", "Highest"]


def level(name: str, owners: list[str], **extra: Any) -> dict[str, Any]:
    return {"name": name, "window": "1h", "owners": owners, **extra}


POLICY = Policy.model_validate(
    {
        "name": "fit",
        "version": "1",
        "scope": "project in (OPS, SUP, ENG)",
        "priorities": LADDER,
        "exempt": {"issue_types": ["Epic"]},
        "categories": [
            {  # a field criterion: not every OPS incident is in it
                "name": "sev1",
                "match": {"projects": ["OPS"], "issue_types": ["Incident"], "fields": {"customfield_10010": ["S1"]}},
                "levels": [level("L1", ["carol"], priority={"set": "Highest"}, labels=["sev1"])],
            },
            {  # takes every OPS issue the first did not
                "name": "ops",
                "match": {"projects": ["OPS"]},
                "levels": [level("L1", ["alice"]), level("L2", ["bob"], priority={"raise": 2})],
            },
            {
                "name": "support-bugs",
                "match": {"projects": ["SUP"], "issue_types": ["Bug"]},
                "levels": [level("L1", ["dave"], labels=["bug-escalated"])],
            },
            {"name": "rest", "levels": [level("L1", ["grace"])]},
        ],
    }
)


@pytest.mark.parametrize(
    ("project", "issue_type", "expected"),
    [
        pytest.param(
            "OPS",
            "Incident",
            Footprint(
                frozenset({"carol", "alice", "bob"}),
                frozenset({"Highest", "Medium", "High"}),
                frozenset({"assignee", "priority", "labels"}),
            ),
            id="a category with a field criterion may apply, and so may the next; the catch-all never does",
        ),
        pytest.param(
            "OPS",
            "Bug",
            Footprint(
                frozenset({"alice", "bob"}),
                frozenset({"Medium", "High", "Highest"}),
                frozenset({"assignee", "priority"}),
            ),
            id="raise by 2 may end on any priority from the 2nd step up",
        ),
        pytest.param(
            "SUP",
            "Bug",
            Footprint(frozenset({"dave"}), frozenset(), frozenset({"assignee", "labels"})),
            id="no priority change: priority is not written",
        ),
        pytest.param(
            "SUP", "Task", Footprint(frozenset({"grace"}), frozenset(), frozenset({"assignee"})), id="the catch-all"
        ),
        pytest.param("OPS", "Epic", Footprint(), id="an exempt issue type is never written"),
    ],
)
def test_footprint(project: str, issue_type: str, expected: Footprint) -> None:
    assert footprint(POLICY, project, issue_type) == expected


def test_no_category_applies() -> None:
    policy = POLICY.model_copy(update={"categories": POLICY.categories[:3]})
    assert footprint(policy, "ENG", "Story").empty


def test_a_raise_past_the_top_ends_on_the_top() -> None:
    policy = POLICY.model_copy(update={"priorities": ("Low", "High")})
    assert footprint(policy, "OPS", "Bug").priorities == {"High"}
