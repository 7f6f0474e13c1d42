"""Paused clocks and notification channels through the real sweep: Prefect (test harness), the Jira adapter, the
sandbox over HTTP, and Prefect notification blocks (a custom webhook) delivering to a receiver on loopback."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from prefect.blocks.notifications import CustomWebhookNotificationBlock, SlackWebhook

from escalator.cli.demo_channel import ChatRoom
from escalator.sweep.channels import ChannelError, load_channels
from jira_sandbox.issue_seeds import ChangeItemSeed, ChangeSeed, IssueSeed
from jira_sandbox.testing import Sandbox
from tests.conftest import ROOT, demo_jira
from tests.flows.test_sweep import records, sweep
from tests.receiver import Receiver, loopback_receiver

pytestmark = pytest.mark.usefixtures("prefect_harness")

LABEL = "pause-case"


def policy_file(tmp_path: Path, name: str, notify: str = "{}") -> str:
    path = tmp_path / f"{name}.yaml"
    path.write_text(
        f"""
name: {name}
version: "1"
scope: project = SUP AND labels = {LABEL} AND statusCategory != Done
pause_statuses: [Waiting for customer]
categories:
  - name: waiting-support
    levels:
      - {{name: L1, window: 4h, owners: [acc-dave], notify: {notify}}}
"""
    )
    return str(path)


@pytest.fixture()
def sandbox(monkeypatch: pytest.MonkeyPatch) -> Iterator[Sandbox]:
    with demo_jira(monkeypatch) as running:
        yield running


def waited(start: datetime, end: datetime | None) -> list[ChangeSeed]:
    """Into 'Waiting for customer' at ``start``, and back to 'In Progress' at ``end`` (if given)."""
    moves = [("In Progress", "Waiting for customer", start)]
    if end is not None:
        moves.append(("Waiting for customer", "In Progress", end))
    return [
        ChangeSeed(author="acc-alice", created=at, items=[ChangeItemSeed(field="status", from_=a, to=b)])
        for a, b, at in moves
    ]


def add(sandbox: Sandbox, summary: str, created: datetime, status: str, changes: list[ChangeSeed]) -> str:
    seed = IssueSeed(
        project="SUP",
        summary=summary,
        status=status,
        reporter="acc-alice",
        labels=[LABEL],
        created=created,
        changelog=changes,
    )
    (key,) = sandbox.add_issues(seed)
    return key


def test_a_pause_in_the_middle_of_a_window_delays_the_escalation_by_its_length(
    sandbox: Sandbox, tmp_path: Path
) -> None:
    now = datetime.now(UTC)
    hours = lambda n: now - timedelta(hours=n)  # noqa: E731 - a table of instants
    counted_3h = add(sandbox, "paused 2h of 5h", hours(5), "In Progress", waited(hours(4), hours(2)))
    counted_5h = add(sandbox, "paused 2h of 7h", hours(7), "In Progress", waited(hours(4), hours(2)))
    waiting = add(sandbox, "waiting for 9h", hours(10), "Waiting for customer", waited(hours(9), None))
    never_paused = add(sandbox, "never paused", hours(5), "In Progress", [])

    state, reports = sweep(policies=[policy_file(tmp_path, "pause-demo")])
    assert state.is_completed(), state.message
    (report,) = reports
    applied = sorted(o["issue_key"] for o in report["outcomes"] if o["status"] == "applied")
    assert applied == sorted([counted_5h, never_paused])

    jira = sandbox.jira()
    assert jira.issue(counted_5h).fields.assignee.accountId == "acc-dave"
    assert jira.issue(counted_3h).fields.assignee is None
    assert jira.issue(waiting).fields.assignee is None
    (comment,) = [c.body for c in jira.comments(counted_5h) if "Policy: " in c.body]
    assert "Clock paused: 2h 00m of working time." in comment
    assert "not counting 2h 00m paused" in comment
    assert not [c for c in jira.comments(never_paused) if "Clock paused" in c.body]

    rows = {row["issue_key"]: row for row in records(state.state_details.flow_run_id, "escalator-pause-demo-decisions")}
    assert rows[counted_5h]["paused"] == "2h 00m" and rows[never_paused]["paused"] == "0m"
    assert counted_3h not in rows and waiting not in rows  # not due, and paused: nothing to record


@pytest.fixture()
def receiver() -> Iterator[Receiver]:
    with loopback_receiver() as running:
        yield running


def save_hook(name: str, url: str) -> None:
    block = CustomWebhookNotificationBlock(
        name=name,
        url=url,
        json_data={"subject": "{{subject}}", "text": "{{body}}", "token": "{{token}}"},
        secrets={"token": "hook-secret-value"},
    )
    block.save(name, overwrite=True)


def test_channels_are_sent_the_summary_after_the_write_and_a_failed_one_is_a_warning(
    sandbox: Sandbox, tmp_path: Path, receiver: Receiver
) -> None:
    save_hook("escalations-hook", f"{receiver.url}/hook")
    save_hook("broken-hook", f"{receiver.url}/fail")
    due = add(sandbox, "due for L1", datetime.now(UTC) - timedelta(hours=6), "In Progress", [])
    notify = "{channels: [custom-webhook/escalations-hook, broken-hook]}"  # by type and name, and by name alone
    policy = policy_file(tmp_path, "channel-demo", notify)

    dry_state, _ = sweep(policies=[policy], dry_run=True)
    assert dry_state.is_completed(), dry_state.message
    assert receiver.received == []  # a dry run sends nothing
    dry_rows = records(dry_state.state_details.flow_run_id, "escalator-channel-demo-decisions")
    (dry_row,) = [row for row in dry_rows if row["issue_key"] == due]
    assert dry_row["outcome"] == "dry_run"
    assert dry_row["channels"] == "custom-webhook/escalations-hook, broken-hook"  # what it would have sent to

    state, reports = sweep(policies=[policy])
    assert state.is_completed(), state.message  # a failed channel never fails the escalation
    (outcome,) = [o for o in reports[0]["outcomes"] if o["issue_key"] == due]
    assert outcome["status"] == "applied"
    assert outcome["warning"] == "escalated, but channel(s) failed: broken-hook: HTTPStatusError (HTTP 500)"
    assert sandbox.jira().issue(due).fields.assignee.accountId == "acc-dave"

    by_path = {path: body for path, body in receiver.received}
    assert sorted(by_path) == ["/fail", "/hook"]
    sent = by_path["/hook"]
    assert sent["subject"] == f"{due} escalated to L1 (Dave Davis)"  # a chat's readers know people by name
    assert sent["text"].startswith("Escalated to L1 (Dave Davis) on ")
    assert "What changed: assignee unassigned → Dave Davis." in sent["text"]
    assert "acc-dave" not in sent["text"]
    assert "Policy: channel-demo version 1, category waiting-support." in sent["text"]
    assert f"Issue: {sandbox.url}/browse/{due}" in sent["text"]
    assert sent["token"] == "hook-secret-value"  # the block's secret reaches the receiver, and nothing else:
    rows = records(state.state_details.flow_run_id, "escalator-channel-demo-decisions")
    (row,) = [r for r in rows if r["issue_key"] == due]
    assert row["channels"] == "custom-webhook/escalations-hook, broken-hook" and "broken-hook" in row["warning"]
    assert "hook-secret-value" not in json.dumps(rows) and receiver.url not in json.dumps(rows)


def test_a_channel_that_does_not_exist_stops_the_run_before_any_write(sandbox: Sandbox, tmp_path: Path) -> None:
    due = add(sandbox, "due for L1", datetime.now(UTC) - timedelta(hours=6), "In Progress", [])
    policy = policy_file(tmp_path, "missing-channel", "{channels: [custom-webhook/nobody-made-this, no-such-hook]}")
    state, _ = sweep(policies=[policy])  # live: the check comes before the first write
    assert state.is_failed()
    message = str(state.message)
    assert "channel 'custom-webhook/nobody-made-this': no such Prefect block" in message
    assert "channel 'no-such-hook': no notification block has this name; create one" in message  # every problem
    assert sandbox.jira().issue(due).fields.assignee is None


def test_the_example_outage_policy_tells_the_incident_room_of_outages_at_l2_and_l3_by_name(
    sandbox: Sandbox, example_channel: ChatRoom
) -> None:
    """policies/outage.yaml names the channel ops-incident-room, saved in the harness as the demo saves it."""
    state, _ = sweep(policies=[str(ROOT / "policies" / "outage.yaml")])
    assert state.is_completed(), state.message
    rows = records(state.state_details.flow_run_id, "escalator-outage-matrix-decisions")
    announced = {row["issue_key"]: row for row in rows if row["channels"] == "ops-incident-room"}
    assert announced and {(r["category"], r["outcome"], r["warning"]) for r in announced.values()} == {
        ("outage", "applied", None)
    }
    outages_up = {r["issue_key"] for r in rows if r["category"] == "outage" and r["to_level"] in ("L2", "L3")}
    assert set(announced) == outages_up  # every outage escalated to L2 or L3, and nothing else
    mine = [message for message in example_channel.messages if f"Issue: {sandbox.url}/browse/" in message.text]
    by_key = {message.subject.split()[0]: message for message in mine}
    assert len(mine) == len(by_key) == len(announced)  # one message per escalation, none twice
    for key, row in announced.items():
        assert row["assignee_after_name"], row  # the demo organisation names everyone
        assert by_key[key].subject == f"{key} escalated to {row['to_level']} ({row['assignee_after_name']})"


def test_a_plain_name_that_two_notification_blocks_share_must_be_written_with_its_type() -> None:
    CustomWebhookNotificationBlock(name="shared", url="http://127.0.0.1:9/hook").save("shared-name", overwrite=True)
    SlackWebhook(url="http://127.0.0.1:9/slack").save("shared-name", overwrite=True)
    with pytest.raises(ChannelError) as raised:
        load_channels(["shared-name"])
    assert "2 notification blocks (custom-webhook, slack-webhook) have this name; write it as TYPE/NAME" in str(
        raised.value
    )
    assert set(load_channels(["slack-webhook/shared-name"])) == {"slack-webhook/shared-name"}
