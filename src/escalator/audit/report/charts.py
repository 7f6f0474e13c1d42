"""The report's charts, drawn with matplotlib as SVG text to inline in the HTML page: no script, no image
file, no network. Text stays text (``svg.fonttype: none``), so the page is small, sharp and searchable.

Figures are built with ``matplotlib.figure.Figure`` directly, never ``pyplot``: no global state, no GUI backend,
safe in a worker. Colours are the Okabe-Ito palette, told apart by colour-blind readers too.
"""

from __future__ import annotations

import io
import re
from datetime import date, timedelta
from typing import Any

from matplotlib import rc_context
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator, NullLocator

from escalator.audit.report.layout import duration
from escalator.audit.report.model import DEADLINE_STATUSES, AuditReport, DurationStat

__all__ = ["DEADLINE_LABELS", "charts"]

PALETTE = ["#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#F0E442", "#000000"]
DEADLINE_COLOURS = {
    "closed_in_time": "#009E73",
    "closed_late": "#E69F00",
    "open_within": "#56B4E9",
    "open_breached": "#D55E00",
    "not_judged": "#BBBBBB",
}
DEADLINE_LABELS = {
    "closed_in_time": "closed in time",
    "closed_late": "closed late",
    "open_within": "open, within deadline",
    "open_breached": "open, past deadline",
    "not_judged": "not judged",
}
_LOG_TICKS = [
    (1 / 60, "1m"),
    (10 / 60, "10m"),
    (1, "1h"),
    (8, "8h"),
    (24, "1d"),
    (168, "1w"),
    (720, "30d"),
    (4320, "180d"),
]
"""where a log-scaled time axis is labelled, in hours, and how (matplotlib's own labels are math notation)"""
_STYLE: dict[Any, Any] = {  # matplotlib types its keys as literals
    "text.parse_math": False,  # text from records is drawn as it is: a "$" starts no math
    "svg.fonttype": "none",
    "svg.hashsalt": "escalator-audit-report",  # the same report draws the same SVG
    "font.family": "sans-serif",
    "font.sans-serif": ["DejaVu Sans"],  # ships with matplotlib, so text is measured the same everywhere
    "font.size": 10,
    "axes.titlesize": 12,
    "axes.titleweight": "bold",
    "axes.spines.top": False,
    "axes.spines.right": False,
    "axes.grid": True,
    "axes.axisbelow": True,
    "grid.color": "#DDDDDD",
}


def charts(report: AuditReport) -> dict[str, list[str]]:
    """SVG documents by the section they illustrate (``layout.Section.key``)."""
    with rc_context(_STYLE):
        drawn: dict[str, list[str]] = {"weekly": [], "speed": [], "deadlines": [], "owners": []}
        for policy in sorted({row.policy for row in report.weekly}):
            drawn["weekly"].append(_svg(_weekly(report, policy)))
        if report.first_owner.measured or report.next_action.measured:
            drawn["speed"].append(_svg(_speed(report)))
        if report.deadlines:
            drawn["deadlines"].append(_svg(_deadlines(report)))
        if report.skipped_owners:
            drawn["owners"].append(_svg(_owners(report)))
        return drawn


def _svg(figure: Figure) -> str:
    buffer = io.StringIO()
    figure.savefig(buffer, format="svg", bbox_inches="tight", metadata={"Date": None})
    text = buffer.getvalue()
    text = re.sub(r"\s*<metadata>.*?</metadata>", "", text, flags=re.DOTALL)  # matplotlib's RDF credits
    return text[text.index("<svg") :]  # inline: no XML declaration or DOCTYPE


def _weeks(report: AuditReport, present: list[date]) -> list[date]:
    """Every week from the first to the last of the period (or of the data), empty ones included."""
    period = report.period
    first = _monday(period.since.date()) if period.since else min(present)
    last = _monday((period.until - timedelta(microseconds=1)).date()) if period.until else max(present)
    first, last = min(first, min(present)), max(last, max(present))
    return [first + timedelta(weeks=n) for n in range((last - first).days // 7 + 1)]


def _monday(day: date) -> date:
    return day - timedelta(days=day.weekday())


def _weekly(report: AuditReport, policy: str) -> Figure:
    rows = [row for row in report.weekly if row.policy == policy]
    weeks = _weeks(report, [row.week for row in rows])
    levels = sorted({row.level for row in rows})
    modes = [mode for mode in ("live", "dry_run") if any(getattr(row, mode) for row in rows)] or ["live"]
    figure = Figure(figsize=(9, 2.9 * len(modes)), layout="constrained")
    axes = figure.subplots(len(modes), 1, sharex=True, squeeze=False)[:, 0]
    labels = [week.strftime("%d %b") for week in weeks]
    for ax, mode in zip(axes, modes, strict=True):
        bottom = [0] * len(weeks)
        for index, level in enumerate(levels):
            counts = {row.week: getattr(row, mode) for row in rows if row.level == level}
            heights = [counts.get(week, 0) for week in weeks]
            if not any(heights):
                continue
            ax.bar(labels, heights, bottom=bottom, label=level, color=PALETTE[index % len(PALETTE)], width=0.7)
            bottom = [b + h for b, h in zip(bottom, heights, strict=True)]
        for x, total in enumerate(bottom):
            if total:
                ax.annotate(
                    str(total),
                    (x, total),
                    ha="center",
                    va="bottom",
                    fontsize=9,
                    xytext=(0, 2),
                    textcoords="offset points",
                )
        what = "live: written to Jira" if mode == "live" else "dry run: decided, nothing written"
        ax.set_title(f"{policy}: issues escalated per week ({what})", loc="left")
        ax.set_ylabel("issues escalated")
        ax.yaxis.set_major_locator(MaxNLocator(integer=True))
        ax.set_ylim(0, max([*bottom, 1]) * 1.15)
        ax.legend(title="to level", loc="upper left", bbox_to_anchor=(1.0, 1.0), frameon=False)
        ax.grid(axis="x", visible=False)
    axes[-1].set_xlabel("week starting Monday (UTC)")
    axes[-1].set_xlim(-0.5, max(len(weeks), 8) - 0.5)  # a few weeks are not drawn as a few walls
    _thin_labels(axes[-1], len(labels))
    return figure


def _thin_labels(ax: Axes, count: int) -> None:
    """At most about 16 week labels, so a quarter or a year stays readable."""
    step = max(1, -(-count // 16))
    for index, label in enumerate(ax.get_xticklabels()):
        label.set_visible(index % step == 0)


def _speed(report: AuditReport) -> Figure:
    figure = Figure(figsize=(9, 3.2), layout="constrained")
    left, right = figure.subplots(1, 2)
    _histogram(left, report.first_owner, "From creation to first owner", "issues")
    _histogram(right, report.next_action, "From escalation to next human action", "escalations")
    return figure


def _histogram(ax: Axes, stat: DurationStat, title: str, unit: str) -> None:
    ax.set_title(title, loc="left")
    ax.set_xlabel("hours")
    ax.set_ylabel(unit)
    ax.yaxis.set_major_locator(MaxNLocator(integer=True))
    if not stat.samples:
        ax.text(0.5, 0.5, "nothing measured", ha="center", va="center", transform=ax.transAxes, color="#666666")
        ax.set_xticks([])
        ax.set_yticks([])
        return
    hours = [sample.total_seconds() / 3600 for sample in stat.samples]
    if max(hours) > 72:  # a long tail: a log scale keeps both minutes and weeks readable
        floor = 1 / 60
        hours = [max(value, floor) for value in hours]
        bins: list[float] | int = [floor * (max(hours) / floor) ** (n / 20) for n in range(21)]
        ax.set_xscale("log")
        ticks = [(at, label) for at, label in _LOG_TICKS if floor <= at <= max(hours) * 1.5]
        ax.set_xticks([at for at, _ in ticks], [label for _, label in ticks])
        ax.xaxis.set_minor_locator(NullLocator())
        ax.set_xlabel("time (log scale; under a minute drawn at one minute)")
    else:
        bins = min(20, max(5, len(hours)))
    ax.hist(hours, bins=bins, color=PALETTE[4], edgecolor="white", label=f"{len(hours)} {unit}")
    for value, name, style in ((stat.median, "median", "-"), (stat.p90, "90th percentile", "--")):
        if value is not None:
            text = duration(value) if value >= timedelta(seconds=30) else f"{value.total_seconds():.0f}s"
            at = max(value.total_seconds() / 3600, 1 / 60) if ax.get_xscale() == "log" else value.total_seconds() / 3600
            ax.axvline(at, color=PALETTE[5], linestyle=style, label=f"{name}: {text}")
    ax.legend(fontsize=9, frameon=False, loc="upper center", bbox_to_anchor=(0.5, -0.3), ncols=1)
    ax.grid(axis="x", visible=False)


def _deadlines(report: AuditReport) -> Figure:
    rows = report.deadlines
    figure = Figure(figsize=(9, 1.3 + 0.55 * len(rows)), layout="constrained")
    ax = figure.subplots()
    names = [row.policy for row in rows]
    left = [0] * len(rows)
    for status in DEADLINE_STATUSES:
        widths = [getattr(row, status) for row in rows]
        if not any(widths):
            continue
        bars = ax.barh(names, widths, left=left, color=DEADLINE_COLOURS[status], label=DEADLINE_LABELS[status])
        ax.bar_label(bars, labels=[str(w) if w else "" for w in widths], label_type="center", fontsize=9)
        left = [a + b for a, b in zip(left, widths, strict=True)]
    ax.set_title("Escalated issues against their escalation deadline", loc="left")
    ax.set_xlabel("issues escalated live")
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    ax.invert_yaxis()
    ax.grid(axis="y", visible=False)
    figure.legend(loc="outside lower center", ncols=5, frameon=False)
    return figure


def _owners(report: AuditReport) -> Figure:
    skipped = report.skipped_owners
    figure = Figure(figsize=(9, 0.9 + 0.4 * len(skipped)), layout="constrained")
    ax = figure.subplots()
    labels = [f"{s.owner} ({s.reason})" for s in skipped]
    bars = ax.barh(labels, [s.issues for s in skipped], color=PALETTE[1])
    ax.bar_label(bars, padding=3, fontsize=9)
    ax.set_title("Owners skipped, and why", loc="left")
    ax.set_xlabel("issues on which the owner was skipped")
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    ax.invert_yaxis()
    ax.grid(axis="y", visible=False)
    return figure
