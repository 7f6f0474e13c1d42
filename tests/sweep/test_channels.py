"""The channel writer without Prefect's API: channels are sent after the write has landed, never in a dry run,
never when the write failed; a failed channel is a warning that names the block and the HTTP status, never its
URL or secrets. The blocks are real Prefect notification blocks, delivering to a receiver on loopback."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
from prefect.blocks.notifications import AppriseNotificationBlock, CustomWebhookNotificationBlock
from pydantic import SecretStr

from escalator.core.decision import Actions, Decision, SkippedOwner, StatusSummary
from escalator.core.policy import Policy
from escalator.jira.errors import JiraUnavailable
from escalator.sweep.apply import DryRunWriter, apply_decisions
from escalator.sweep.channels import ChannelWriter, channel_message, channels_named, naming_people
from tests.receiver import Receiver, loopback_receiver

from .test_apply import FakeWriter


def escalation(key: str, channels: tuple[str, ...]) -> Decision:
    actions = Actions(
        assignee_from=None,
        assignee_to="acc-bob",
        priority_from="High",
        priority_to="High",
        comment="Escalated to L1 (acc-bob) on 2026-11-23 09:00 UTC.\nPolicy: p version 1, category c.",
        channels=channels,
    )
    return Decision(issue_key=key, outcome="escalate", reason_code="due", reason="due", to_level="L1", actions=actions)


@pytest.fixture()
def receiver() -> Iterator[Receiver]:
    with loopback_receiver() as running:
        yield running


def hook(url: str) -> CustomWebhookNotificationBlock:
    return CustomWebhookNotificationBlock(
        name="hook", url=url, json_data={"s": "{{subject}}", "b": "{{body}}", "k": "{{key}}"}, secrets={"key": "s3cr3t"}
    )


def test_each_channel_gets_the_summary_and_the_issue_link_after_the_write(receiver: Receiver) -> None:
    url, received = receiver.url, receiver.received
    inner = FakeWriter()
    writer = ChannelWriter(inner, {"ok": hook(f"{url}/ok")}, "https://jira.example.com/", "run x")
    outcomes = apply_decisions([escalation("OPS-1", ("ok",)), escalation("OPS-2", ())], writer)
    assert [(o.issue_key, o.status, o.warning) for o in outcomes] == [
        ("OPS-1", "applied", None),
        ("OPS-2", "applied", None),
    ]
    assert inner.written == ["OPS-1", "OPS-2"]
    ((path, body),) = received
    assert path == "/ok"
    sent = body
    assert sent["s"] == "OPS-1 escalated to L1 (acc-bob)"
    assert sent["b"].splitlines() == [
        "Escalated to L1 (acc-bob) on 2026-11-23 09:00 UTC.",
        "Policy: p version 1, category c.",
        "Issue: https://jira.example.com/browse/OPS-1",
        "Run: run x",
    ]
    assert sent["k"] == "s3cr3t"


def test_a_failed_channel_is_a_warning_naming_the_block_and_status_not_its_url_or_secret(receiver: Receiver) -> None:
    url, received = receiver.url, receiver.received
    channels = {"ok": hook(f"{url}/ok"), "down": hook(f"{url}/fail/s3cr3t-path")}
    writer = ChannelWriter(
        FakeWriter(warnings={"OPS-1": "escalated, but the notification failed: 400"}), channels, None, None
    )
    (outcome,) = apply_decisions([escalation("OPS-1", ("down", "ok"))], writer)
    assert outcome.status == "applied"
    assert outcome.warning == (
        "escalated, but the notification failed: 400; "
        "escalated, but channel(s) failed: down: HTTPStatusError (HTTP 500)"
    )
    assert "s3cr3t" not in outcome.warning and url not in outcome.warning
    assert sorted(path for path, _ in received) == ["/fail/s3cr3t-path", "/ok"]  # one failure does not stop the next


def test_an_apprise_block_that_cannot_deliver_is_a_warning_too(receiver: Receiver) -> None:
    url = receiver.url
    port = url.rsplit(":", 1)[1]
    failing = AppriseNotificationBlock(
        url=SecretStr(f"json://127.0.0.1:{port}/fail")
    )  # Apprise only logs, unless asked
    writer = ChannelWriter(FakeWriter(), {"apprise": failing}, None, None)
    (outcome,) = apply_decisions([escalation("OPS-1", ("apprise",))], writer)
    assert outcome.status == "applied"
    assert outcome.warning is not None and outcome.warning.startswith("escalated, but channel(s) failed: apprise: ")
    assert port not in outcome.warning


def test_every_failed_send_of_a_shared_apprise_block_is_a_warning_under_concurrent_writes(receiver: Receiver) -> None:
    port = receiver.url.rsplit(":", 1)[1]
    failing = AppriseNotificationBlock(url=SecretStr(f"json://127.0.0.1:{port}/fail"))
    writer = ChannelWriter(FakeWriter(), {"apprise": failing}, None, None)
    decisions = [escalation(f"OPS-{number}", ("apprise",)) for number in range(1, 17)]
    outcomes = apply_decisions(decisions, writer, concurrency=4)
    assert len(receiver.received) == 16
    assert all(o.warning and "apprise: NotificationError" in o.warning for o in outcomes), [o.warning for o in outcomes]


def test_a_dry_run_sends_nothing(receiver: Receiver) -> None:
    url, received = receiver.url, receiver.received
    writer = ChannelWriter(DryRunWriter(), {"ok": hook(f"{url}/ok")}, None, None)
    (outcome,) = apply_decisions([escalation("OPS-1", ("ok",))], writer)
    assert (outcome.status, outcome.warning, received) == ("dry_run", None, [])


def test_a_failed_write_sends_nothing(receiver: Receiver) -> None:
    url, received = receiver.url, receiver.received
    inner = FakeWriter(failures={"OPS-1": JiraUnavailable("503 from Jira")})
    (outcome,) = apply_decisions(
        [escalation("OPS-1", ("ok",))], ChannelWriter(inner, {"ok": hook(f"{url}/ok")}, None, None)
    )
    assert (outcome.status, received) == ("failed", [])


def test_the_message_is_the_status_summary_then_the_links() -> None:
    subject, body = channel_message(escalation("OPS-7", ("x",)), "https://j/browse/OPS-7", None)
    assert subject == "OPS-7 escalated to L1 (acc-bob)"
    assert body.splitlines()[-1] == "Issue: https://j/browse/OPS-7"
    with pytest.raises(ValueError, match="only an escalation"):
        channel_message(Decision(issue_key="OPS-8", outcome="no_action", reason_code="not_due", reason="-"), None, None)


def test_the_message_names_people_by_display_name_and_the_unnamed_by_id(receiver: Receiver) -> None:
    summary = StatusSummary(
        from_level="L1",
        to_level="L2",
        owner="acc-bob",
        at=datetime(2026, 11, 23, 9, 0, tzinfo=UTC),
        why="L1's window of 2h ran out",
        assignee_before="acc-alice",
        priority_before="High",
        priority_after="High",
        skipped=(SkippedOwner(owner="acc-erin", level="L2", reason="parental leave"),),
        policy="p",
        policy_version="1",
        category="c",
    )
    actions = Actions(
        assignee_from="acc-alice",
        assignee_to="acc-bob",
        priority_from="High",
        priority_to="High",
        comment=summary.text(),
        summary=summary,
        channels=("ok",),
    )
    decision = Decision(
        issue_key="OPS-9", outcome="escalate", reason_code="due", reason="due", to_level="L2", actions=actions
    )
    people = {"acc-bob": "Bob Brown", "acc-erin": "Erin\nEvans\x07 <b>"}  # Jira users' text: kept on one line
    subject, body = channel_message(decision, None, None, people)
    assert subject == "OPS-9 escalated to L2 (Bob Brown)"
    assert body.splitlines() == [
        "Escalated from L1 to L2 (Bob Brown) on 2026-11-23 09:00 UTC.",
        "Why: L1's window of 2h ran out",
        "What changed: assignee acc-alice → Bob Brown.",
        "Skipped: Erin Evans <b> at L2 (parental leave).",
        "Policy: p version 1, category c.",
    ]

    writer = ChannelWriter(FakeWriter(), {"ok": hook(f"{receiver.url}/ok")}, None, None)
    apply_decisions([decision], writer.naming(people))
    apply_decisions([decision], naming_people(writer, {}))  # a policy that knows no names: ids, as Jira's comment
    (_, named), (_, unnamed) = receiver.received
    assert (named["s"], unnamed["s"]) == ("OPS-9 escalated to L2 (Bob Brown)", "OPS-9 escalated to L2 (acc-bob)")
    dry = DryRunWriter()
    assert naming_people(dry, people) is dry  # a writer without channels is left as it is


def test_channels_named_by_every_level() -> None:
    policy = Policy.model_validate(
        {
            "name": "p",
            "version": "1",
            "scope": "project = OPS",
            "categories": [
                {
                    "name": "c",
                    "levels": [
                        {"name": "L1", "window": "1h", "owners": ["a"], "notify": {"channels": ["slack-webhook/ops"]}},
                        {"name": "L2", "window": "1h", "owners": ["b"], "notify": {"channels": ["ops-hook", "x"]}},
                    ],
                }
            ],
        }
    )
    assert channels_named([policy]) == {"slack-webhook/ops", "ops-hook", "x"}
