"""The optional "Observed" section of the HTML report: planned beside observed, per workload.

It is built by `planner observe --html` and inserted before the report's footer; a report made
without an observation is unchanged.
"""

from __future__ import annotations

from dataclasses import dataclass
from html import escape


@dataclass(frozen=True)
class ObservedSection:
    """A heading, a table of text cells and notes, ready to show."""

    heading: str
    headers: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...]
    notes: tuple[str, ...] = ()


def section_html(section: ObservedSection) -> str:
    """The section as HTML, every cell escaped."""
    head = "".join(f"<th>{escape(h)}</th>" for h in section.headers)
    body = "\n".join(
        "<tr>" + "".join(f"<td>{escape(c)}</td>" for c in row) + "</tr>" for row in section.rows
    )
    notes = "\n".join(f'<p class="note">{escape(n)}</p>' for n in section.notes)
    return (
        '<section id="observed">\n<h2>Observed</h2>\n'
        f'<p class="muted">{escape(section.heading)}</p>\n'
        f'<div class="scroll">\n<table>\n<tr>{head}</tr>\n{body}\n</table>\n</div>\n'
        f"{notes}\n</section>\n\n"
    )


def with_observed(page: str, section: ObservedSection) -> str:
    """`page` with the section inserted before its footer (or before </body>)."""
    html = section_html(section)
    for marker in ("<footer", "</body>"):
        at = page.rfind(marker)
        if at >= 0:
            return page[:at] + html + page[at:]
    return page + html
