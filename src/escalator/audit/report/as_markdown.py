"""The report as markdown: the Prefect artifact ``escalator-audit-report`` and ``escalator audit report``'s
default form. The same sections and numbers as the HTML form (``layout``), with tables where it has charts."""

from __future__ import annotations

import textwrap

from escalator.audit.report.layout import Bullets, Paragraph, Table, header_lines, sections
from escalator.audit.report.model import AuditReport

__all__ = ["report_markdown"]

TITLE = "Escalation audit report"
WIDTH = 80
"""prose is wrapped to this width, so the markdown reads in a terminal too (renderers join the lines)"""


def report_markdown(report: AuditReport) -> str:
    lines = [f"# {TITLE}", ""]
    lines += [f"{line}  " for line in header_lines(report)]
    for section in sections(report):
        lines += ["", f"## {section.title}"]
        for block in section.blocks:
            lines.append("")
            if isinstance(block, Paragraph):
                lines += textwrap.wrap(_text(block.text), WIDTH, break_on_hyphens=False)
            elif isinstance(block, Table):
                if block.title:
                    lines += [f"### {_text(block.title)}", ""]
                lines += _table(block)
            elif isinstance(block, Bullets):
                if block.title:
                    lines += [f"### {_text(block.title)}", ""]
                for item in block.items:
                    lines += textwrap.wrap(
                        _text(item), WIDTH, initial_indent="- ", subsequent_indent="  ", break_on_hyphens=False
                    )
    return "\n".join(lines) + "\n"


def _table(table: Table) -> list[str]:
    rule = ["---:" if index in table.numeric else "---" for index in range(len(table.headers))]
    rows = [table.headers, tuple(rule), *table.rows]
    return ["| " + " | ".join(_cell(cell) for cell in row) + " |" for row in rows]


def _cell(text: str) -> str:
    return _text(text).replace("|", "\\|").replace("\n", " ")


def _text(text: str) -> str:
    """Text from records (reasons, errors, owners) cannot open markup: no HTML tag, link, code or emphasis."""
    for char in "\\`*[<":
        text = text.replace(char, "\\" + char)
    return text
