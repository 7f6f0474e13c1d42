"""The report as one self-contained HTML page: the sections and tables of the markdown form (``layout``), with
charts drawn as inline SVG (``charts``) and the styles inline too. It opens without network access: no script,
no font, image or stylesheet from anywhere else. Every text from the records is escaped.
"""

from __future__ import annotations

from html import escape

from escalator.audit.report.as_markdown import TITLE
from escalator.audit.report.charts import charts
from escalator.audit.report.layout import Bullets, Paragraph, Section, Table, header_lines, sections
from escalator.audit.report.model import AuditReport

__all__ = ["report_html"]

_CSS = """
body { font-family: "DejaVu Sans", Helvetica, Arial, sans-serif; color: #222; margin: 0 auto; max-width: 1100px;
       padding: 1.5rem 2rem 4rem; line-height: 1.45; }
h1 { font-size: 1.7rem; margin-bottom: 0.3rem; }
h2 { font-size: 1.3rem; margin-top: 2.2rem; border-bottom: 2px solid #0072B2; padding-bottom: 0.2rem; }
h3 { font-size: 1.05rem; margin: 1.2rem 0 0.4rem; }
p.meta { margin: 0.1rem 0; color: #444; }
p.explain { color: #444; font-size: 0.92rem; max-width: 60rem; }
nav { margin: 1rem 0; font-size: 0.92rem; }
nav a { margin-right: 1rem; color: #0072B2; }
table { border-collapse: collapse; margin: 0.6rem 0 1rem; font-size: 0.92rem; }
th, td { border: 1px solid #CCC; padding: 0.25rem 0.6rem; text-align: left; vertical-align: top; }
th { background: #EEF3F8; }
td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; }
tr:nth-child(even) td { background: #FAFAFA; }
ul { padding-left: 1.4rem; font-size: 0.92rem; }
figure.chart { margin: 0.8rem 0; }
figure.chart svg { max-width: 100%; height: auto; }
"""


def report_html(report: AuditReport) -> str:
    drawn = charts(report)
    parts = [
        "<!DOCTYPE html>",
        '<html lang="en">',
        "<head>",
        '<meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>{escape(TITLE)}</title>",
        f"<style>{_CSS}</style>",
        "</head>",
        "<body>",
        f"<h1>{escape(TITLE)}</h1>",
        *[f'<p class="meta">{escape(line)}</p>' for line in header_lines(report)],
    ]
    laid_out = sections(report)
    parts.append("<nav>" + "".join(f'<a href="#{s.key}">{escape(s.title)}</a>' for s in laid_out) + "</nav>")
    for section in laid_out:
        parts += _section(section, drawn.get(section.key, []))
    parts += ["</body>", "</html>"]
    return "\n".join(parts) + "\n"


def _section(section: Section, svgs: list[str]) -> list[str]:
    html = [f'<section id="{section.key}">', f"<h2>{escape(section.title)}</h2>"]
    placed = not svgs
    for block in section.blocks:
        if isinstance(block, Paragraph):
            html.append(f'<p class="explain">{escape(block.text)}</p>')
        else:
            if not placed:  # the charts first, then the tables with their exact numbers
                html += [f'<figure class="chart">{svg}</figure>' for svg in svgs]
                placed = True
            html += _table(block) if isinstance(block, Table) else _bullets(block)
    if not placed:
        html += [f'<figure class="chart">{svg}</figure>' for svg in svgs]
    html.append("</section>")
    return html


def _table(table: Table) -> list[str]:
    html = [f"<h3>{escape(table.title)}</h3>"] if table.title else []

    def cell(tag: str, index: int, text: str) -> str:
        numeric = ' class="num"' if index in table.numeric else ""
        return f"<{tag}{numeric}>{escape(text)}</{tag}>"

    html.append("<table>")
    html.append("<tr>" + "".join(cell("th", i, text) for i, text in enumerate(table.headers)) + "</tr>")
    for row in table.rows:
        html.append("<tr>" + "".join(cell("td", i, text) for i, text in enumerate(row)) + "</tr>")
    html.append("</table>")
    return html


def _bullets(bullets: Bullets) -> list[str]:
    html = [f"<h3>{escape(bullets.title)}</h3>"] if bullets.title else []
    return [*html, "<ul>", *[f"<li>{escape(item)}</li>" for item in bullets.items], "</ul>"]
