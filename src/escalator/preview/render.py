"""A ``PolicyDiff`` as text for a terminal (``table``), a pull request or Prefect artifact (``markdown``), or a
program (``json``). Counts first, then the issues, each with the base and head decision side by side."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Literal

from escalator.core.decision import Decision, format_instant
from escalator.preview.diff import KINDS, ChangeKind, PolicyDiff

__all__ = ["DiffFormat", "describe", "render", "render_json", "render_markdown", "render_table"]

DiffFormat = Literal["table", "markdown", "json"]

_KIND_WORDS: dict[ChangeKind, str] = {
    "newly_escalated": "newly escalated",
    "no_longer_escalated": "no longer escalated",
    "level_changed": "different level",
    "owner_changed": "different owner",
    "priority_changed": "different priority",
    "category_changed": "different category",
    "timing_changed": "next level due at another time",
    "outcome_changed": "left alone for another reason",
}


def render(diffs: Sequence[PolicyDiff], fmt: DiffFormat) -> str:
    if fmt == "json":
        return render_json(diffs)
    if fmt == "markdown":
        return render_markdown(diffs)
    return render_table(diffs)


def describe(decision: Decision | None) -> str:
    """One line: what the decision does, e.g. ``escalate L1 → L2 to acc-bob, priority High`` or
    ``no action (not_due); L2 due 2026-11-23 09:00 CET``."""
    if decision is None:
        return "not in scope"
    category = f" [{decision.category}]" if decision.category else ""
    if decision.outcome == "escalate" and decision.actions is not None:
        actions = decision.actions
        priority = f", priority {actions.priority_to}" if actions.priority_to != actions.priority_from else ""
        return (
            f"escalate {decision.from_level or 'none'} → {decision.to_level} to {actions.assignee_to}"
            f"{priority}{category}"
        )
    due = ""
    if decision.due_at is not None:
        due = f"; {decision.to_level or 'next level'} due {format_instant(decision.due_at)}"
    return f"{decision.outcome.replace('_', ' ')} ({decision.reason_code}){due}{category}"


def _headline(diff: PolicyDiff) -> str:
    if diff.unknown:
        return (
            f"{diff.policy}: {diff.base_label} → {diff.head_label} at {diff.now.isoformat()}: NOT COMPARED, "
            "the issues of a scope are unknown (see the note)"
        )
    extra = diff.head_escalations - diff.base_escalations
    return (
        f"{diff.policy}: {diff.base_label} (version {diff.base_version or '—'}) → {diff.head_label} "
        f"(version {diff.head_version or '—'}) over {diff.issues} issues at {diff.now.isoformat()}: "
        f"{len(diff.changes)} issues change; escalations {diff.base_escalations} → {diff.head_escalations} "
        f"({extra:+d})"
    )


def _warnings(diff: PolicyDiff) -> list[str]:
    lines = list(diff.notes)
    if diff.base_blocked:
        lines.append(f"base plan blocked: {diff.base_blocked}")
    if diff.head_blocked:
        lines.append(f"head plan blocked: {diff.head_blocked}")
    return lines


def render_table(diffs: Sequence[PolicyDiff]) -> str:
    out: list[str] = []
    for diff in diffs:
        out.append(_headline(diff))
        out.extend(f"  note: {line}" for line in _warnings(diff))
        counts = diff.counts()
        for kind in KINDS:
            if counts[kind]:
                out.append(f"  {counts[kind]:>6}  {_KIND_WORDS[kind]}")
        for change in diff.changes:
            out.append(f"  {change.issue_key}: {', '.join(_KIND_WORDS[k] for k in change.kinds)}")
            out.append(f"      base: {describe(change.base)}")
            out.append(f"            {change.base.reason if change.base else '—'}")
            out.append(f"      head: {describe(change.head)}")
            out.append(f"            {change.head.reason if change.head else '—'}")
        out.append("")
    return "\n".join(out)


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def render_markdown(diffs: Sequence[PolicyDiff]) -> str:
    out: list[str] = []
    for diff in diffs:
        out.append(f"## Policy diff: {diff.policy}")
        out.append("")
        out.append(_cell(_headline(diff)))
        out.append("")
        for line in _warnings(diff):
            out.append(f"> **note**: {_cell(line)}")
            out.append("")
        counts = diff.counts()
        out.append("| change | issues |")
        out.append("|---|---:|")
        for kind in KINDS:
            out.append(f"| {_KIND_WORDS[kind]} | {counts[kind]} |")
        out.append("")
        if diff.changes:
            out.append(f"| issue | change | {_cell(diff.base_label)} | {_cell(diff.head_label)} |")
            out.append("|---|---|---|---|")
            for change in diff.changes:
                base = describe(change.base) + (f"<br>{change.base.reason}" if change.base else "")
                head = describe(change.head) + (f"<br>{change.head.reason}" if change.head else "")
                kinds = ", ".join(_KIND_WORDS[k] for k in change.kinds)
                out.append(f"| {change.issue_key} | {kinds} | {_cell(base)} | {_cell(head)} |")
            out.append("")
    return "\n".join(out)


def render_json(diffs: Sequence[PolicyDiff]) -> str:
    documents = []
    for diff in diffs:
        document = diff.model_dump(mode="json", exclude={"changes"})
        document["counts"] = diff.counts()
        document["changes"] = [
            {
                "issue_key": change.issue_key,
                "kinds": list(change.kinds),
                "base": None if change.base is None else _decision_json(change.base),
                "head": None if change.head is None else _decision_json(change.head),
            }
            for change in diff.changes
        ]
        documents.append(document)
    return json.dumps({"policies": documents}, indent=2) + "\n"


def _decision_json(decision: Decision) -> dict[str, object]:
    actions = decision.actions
    return {
        "summary": describe(decision),
        "outcome": decision.outcome,
        "reason_code": decision.reason_code,
        "reason": decision.reason,
        "category": decision.category,
        "from_level": decision.from_level,
        "to_level": decision.to_level,
        "due_at": decision.due_at.isoformat() if decision.due_at else None,
        "assignee": actions.assignee_to if actions else None,
        "priority": actions.priority_to if actions else None,
    }
