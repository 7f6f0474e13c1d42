"""The whole changelog of the issues a sweep needs it for, over HTTP in both modes: Cloud's ``changelog/bulkfetch``
(1,000 issues a request, the fields the core reads, paged), Data Center's search by key; the pages themselves read
without it; and a busy issue completed to the same snapshot a whole inline changelog gives."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from escalator.jira import JiraAdapter
from escalator.jira.snapshot import history_fields, snapshot_from_json
from jira_sandbox.demo import ALICE, BOB, CAROL
from jira_sandbox.testing import Sandbox

from .conftest import NOW, person, settings_for, unique


def busy(sandbox: Sandbox, label: str, flips: int) -> str:
    """An issue bob reassigned to carol, then ``flips`` status changes by alice."""
    changes: list[dict[str, Any]] = [
        {
            "author": person(sandbox, BOB),
            "created": NOW - timedelta(hours=5),
            "items": [{"field": "assignee", "from": person(sandbox, ALICE), "to": person(sandbox, CAROL)}],
        }
    ]
    for number in range(flips):
        at = NOW - timedelta(hours=4) + timedelta(minutes=number)
        changes.append(
            {"author": person(sandbox, ALICE), "created": at, "items": [{"field": "status", "to": "In Progress"}]}
        )
    return sandbox.add_issue(
        project="OPS",
        issuetype="Incident",  # the project's own types: the preflight tests sample them
        labels=[label],
        assignee=person(sandbox, CAROL),
        created=NOW - timedelta(days=1),
        changelog=changes,
    )


def test_pages_without_the_changelog_embed_none(sandbox: Sandbox, jira: JiraAdapter) -> None:
    label = unique("bare")
    busy(sandbox, label, 3)
    (page,) = list(jira.search_pages(f"labels = {label}", changelog=False))
    (issue,) = page.issues
    assert (issue.assignee_changed_at, issue.human_changed_at, issue.escalator_changes) == (None, None, ())
    assert set(page.ids) == {issue.key} and page.ids[issue.key].isdigit()


def test_the_whole_changelog_completes_a_busy_issue(sandbox: Sandbox, jira: JiraAdapter) -> None:
    label = unique("busy")
    key = busy(sandbox, label, 45)
    jira.acting_user = person(sandbox, ALICE)  # so bob's reassignment is a person's change
    (page,) = list(jira.search_pages(f"labels = {label}", changelog=False))
    sandbox.reset_requests()
    read = jira.complete_changelogs(page.ids)
    assert sandbox.request_counts().total == read.requests == 1
    assert read.problems == []
    completed = page.issues[0].model_copy(update=history_fields(read.found[key], jira.deployment, jira.acting_user))
    assert completed.human_changed_at == completed.assignee_changed_at == NOW - timedelta(hours=5)
    (inline,) = list(jira.search_pages(f"labels = {label}"))
    cut = inline.issues[0]
    if sandbox.mode == "cloud":  # Cloud embeds the newest 40 histories: bob's change is not among them
        assert cut.human_changed_at is None
    else:  # Data Center embeds the whole changelog
        assert cut == completed


def test_bulkfetch_takes_a_thousand_issues_a_request_and_pages(cloud: Sandbox) -> None:
    label = unique("many")
    keys = cloud.add_issues(
        *(
            {
                "project": "OPS",
                "issuetype": "Incident",
                "labels": [label],
                "created": NOW - timedelta(days=1),
                "changelog": [
                    {
                        "author": "acc-bob",
                        "created": NOW - timedelta(hours=1, minutes=number % 50),
                        "items": [{"field": "priority", "from": "Medium", "to": "High"}],
                    }
                ],
            }
            for number in range(1001)
        )
    )
    with JiraAdapter.connect(settings_for(cloud)) as jira:
        ids = {
            key: issue_id
            for page in jira.search_pages(f"labels = {label}", changelog=False)
            for key, issue_id in page.ids.items()
        }
        cloud.reset_requests()
        read = jira.complete_changelogs(ids)
    assert sorted(read.found) == sorted(keys)
    assert all(len(changelog["histories"]) == 1 for changelog in read.found.values())
    bodies = [record for record in cloud.requests() if record.path.endswith("/changelog/bulkfetch")]
    assert len(bodies) == read.requests == 2  # 1,000 issues, then one


def test_an_issue_gone_since_the_search_is_left_without_history(sandbox: Sandbox, jira: JiraAdapter) -> None:
    label = unique("gone")
    key = busy(sandbox, label, 2)
    (page,) = list(jira.search_pages(f"labels = {label}", changelog=False))
    missing = "OPS-999999"
    read = jira.complete_changelogs({**page.ids, missing: "999999"})
    assert set(read.found) == {key} | ({missing} if sandbox.mode == "cloud" else set())
    if sandbox.mode == "cloud":  # bulkfetch answers nothing for it: no history of those fields
        assert read.found[missing] == {"histories": [], "total": 0}


def test_a_snapshot_from_the_whole_changelog_equals_the_inline_one() -> None:
    raw = {
        "key": "OPS-1",
        "fields": {"project": {"key": "OPS"}, "issuetype": {"name": "Task"}, "created": "2026-11-01T09:00:00.000+0000"},
    }
    histories = [
        {
            "author": {"accountId": "acc-bob"},
            "created": "2026-11-02T09:00:00.000+0000",
            "items": [{"fieldId": "assignee", "to": "acc-carol"}],
        },
        {
            "author": {"accountId": "acc-admin"},
            "created": "2026-11-03T09:00:00.000+0000",
            "items": [{"fieldId": "labels", "fromString": "", "toString": "escalated-l1"}],
        },
    ]
    changelog = {"histories": histories, "total": 2}
    inline = snapshot_from_json({**raw, "changelog": changelog}, "cloud", acting_user="acc-admin")
    bare = snapshot_from_json(raw, "cloud", acting_user="acc-admin")
    assert bare.model_copy(update=history_fields(changelog, "cloud", "acc-admin")) == inline
