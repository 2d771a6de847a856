"""Text layout shared by every renderer: tables that fit a width (numbers kept whole, text
wrapped, optional columns dropped), prose wrapped at spaces. A width of None means a file or a
pipe: rows as wide as they need, so scripts and grep see one row per line."""

from __future__ import annotations

import io
import re
from collections.abc import Mapping, Sequence
from typing import Any


def _cell(value: Any) -> str:
    if value is None:
        return "-"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float):
        return f"{value:,.4f}".rstrip("0").rstrip(".") if value % 1 else f"{value:,.0f}"
    return str(value)


def _numeric(values: Sequence[str]) -> bool:
    """A column of numbers (and dashes): kept whole, never wrapped or cut."""
    import re

    shown = [v for v in values if v not in ("-", "")]
    return bool(shown) and all(re.fullmatch(r"[-+$]?[\d,.]+%?[a-zA-Z/]*", v) for v in shown)


def wrap_text(text: str, width: int | None = None) -> str:
    """`text` with each line wrapped at spaces to fit `width` (None: no wrapping, for files and
    pipes). Continuation lines are indented two more spaces than the line they continue; a word
    (a number, an instance type) is never cut."""
    import textwrap

    if width is None:
        return text
    out = []
    for line in text.split("\n"):
        if len(line) <= width:
            out.append(line)
            continue
        indent = line[: len(line) - len(line.lstrip())]
        out.append(
            textwrap.fill(
                line.strip(),
                width=width,
                initial_indent=indent,
                subsequent_indent=indent + "  ",
                break_long_words=False,
                break_on_hyphens=False,
            )
        )
    return "\n".join(out)


_GAP = 3
"""Characters between two columns (padding, divider, padding); the table has one more at
each edge."""


def _layout(
    names: Sequence[str], cells: Sequence[Mapping[str, str]], width: int | None
) -> list[int] | None:
    """Column widths that fit `width`: numbers at their full width, text columns at their
    natural width or, when that is too wide, between their longest word and it (the space
    left shared by need). None when even the longest words do not fit."""
    from rich.cells import cell_len

    natural, least, fixed = [], [], []
    for name in names:
        values = [name, *(row[name] for row in cells)]
        natural.append(max(cell_len(v) for v in values))
        number = _numeric(values[1:])
        fixed.append(number)
        words = [cell_len(w) for v in values for w in v.split()] or [1]
        least.append(natural[-1] if number else max(words))
    if width is None:
        return natural
    room = width - 2 - _GAP * (len(names) - 1)
    if sum(natural) <= room:
        return natural
    if sum(least) > room:
        return None
    widths = list(least)
    spare = room - sum(least)
    wants = [0 if f else n - m for n, m, f in zip(natural, least, fixed, strict=True)]
    total = sum(wants)
    for i, want in enumerate(wants):
        extra = min(want, spare * want // total) if total else 0
        widths[i] += extra
    left = room - sum(widths)
    for i in sorted(range(len(names)), key=lambda i: wants[i] - (widths[i] - least[i]))[::-1]:
        if left <= 0:
            break
        grow = min(left, natural[i] - widths[i]) if not fixed[i] else 0
        widths[i] += grow
        left -= grow
    return widths


def table_text(
    rows: Sequence[Mapping[str, Any]],
    columns: Sequence[str],
    title: str | None = None,
    optional: Sequence[str] = (),
    width: int | None = None,
) -> str:
    """`rows` as a rich table that fits `width` (None: as wide as the rows need), as text.

    Number columns are never wrapped or cut; text columns wrap at spaces; when even that does
    not fit, the `optional` columns are dropped, the last named first, and a note says which.
    Only when nothing is left to drop does text fold inside a word (numbers still stay whole).
    """
    cells = [{c: _cell(r.get(c)) for c in columns} for r in rows]
    shown = list(columns)
    dropped: list[str] = []
    widths = _layout(shown, cells, width)
    for name in reversed(list(optional)):
        if widths is not None:
            break
        if name in shown:
            shown.remove(name)
            dropped.insert(0, name)
            widths = _layout(shown, cells, width)
    if widths is None:  # squeeze: text columns share what numbers leave, folding words
        natural = _layout(shown, cells, None) or []
        numbers = [_numeric([row[n] for row in cells]) for n in shown]
        room = (width or 0) - 2 - _GAP * (len(shown) - 1)
        text_room = max(room - sum(w for w, f in zip(natural, numbers, strict=True) if f), 0)
        texts = max(sum(1 for f in numbers if not f), 1)
        widths = [w if f else max(1, min(w, text_room // texts))
                  for w, f in zip(natural, numbers, strict=True)]  # fmt: skip
    numbers = [_numeric([row[name] for row in cells]) for name in shown]
    if widths == _layout(shown, cells, None) and _plain(shown, cells, title, widths):
        text = _plain_table(shown, cells, title, widths, numbers)
    else:
        text = _rich_table(shown, cells, title, widths, numbers, width)
    if dropped:
        note = f"(not shown to fit {width} columns: {', '.join(dropped)}; --format json has all)"
        text += wrap_text(note, width) + "\n"
    return text


_SIMPLE = re.compile(r"(?:[!-~](?:[ -~]*[!-~])?)?")
"""A cell drawn as it is: printable ASCII, no space at either end (nothing to wrap or fold)."""


def _plain(
    shown: Sequence[str], cells: Sequence[Mapping[str, str]], title: str | None, widths: list[int]
) -> bool:
    """Whether the table can be drawn without rich: every cell (and name and title) plain
    ASCII at its natural width, the title no wider than the table."""
    total = sum(widths) + 2 + _GAP * (len(shown) - 1)
    if title is not None and not (_SIMPLE.fullmatch(title) and len(title) <= total):
        return False
    simple = _SIMPLE.fullmatch
    return all(simple(name) for name in shown) and all(
        simple(row[name]) for row in cells for name in shown
    )


def _plain_table(
    shown: Sequence[str],
    cells: Sequence[Mapping[str, str]],
    title: str | None,
    widths: list[int],
    numbers: list[bool],
) -> str:
    """The table rich draws (box SIMPLE_HEAD, no edge padding, one space of padding), drawn
    directly: a row is a join of padded cells, so a listing of thousands of rows costs
    microseconds per row instead of rich's measuring and wrapping of every cell."""
    total = sum(widths) + 2 + _GAP * (len(shown) - 1)

    def line(values: Sequence[str]) -> str:
        parts = [
            v.rjust(w) if number else v.ljust(w)
            for v, w, number in zip(values, widths, numbers, strict=True)
        ]
        return " " + "   ".join(parts) + " "

    lines = [title.ljust(total)] if title else []
    lines += [" " * total, line(shown), " " + "\u2500" * (total - 2) + " "]
    lines += [line([row[name] for name in shown]) for row in cells]
    lines.append(" " * total)
    return "\n".join(lines) + "\n"


def _rich_table(
    shown: Sequence[str],
    cells: Sequence[Mapping[str, str]],
    title: str | None,
    widths: list[int],
    numbers: list[bool],
    width: int | None,
) -> str:
    """The table drawn by rich: text columns wrapped to their widths, folding where a word
    does not fit."""
    from rich import box
    from rich.console import Console
    from rich.table import Table
    from rich.text import Text

    table = Table(
        title=title,
        header_style="bold",
        title_justify="left",
        box=box.SIMPLE_HEAD,
        pad_edge=False,
        padding=(0, 1),
    )
    for name, size, number in zip(shown, widths, numbers, strict=True):
        table.add_column(
            name,
            no_wrap=number,
            overflow="fold",
            width=size,
            min_width=size,
            max_width=size,
            justify="right" if number else "left",
        )
    for row in cells:
        table.add_row(*(Text(row[n]) for n in shown))
    total = sum(widths) + 2 + _GAP * (len(shown) - 1)
    out = Console(file=io.StringIO(), width=max(total, width or 0, 20), no_color=True)
    out.print(table)
    return out.file.getvalue()  # type: ignore[attr-defined]


def rows_text(
    rows: Sequence[Mapping[str, Any]],
    columns: Sequence[str],
    fmt: str = "table",
    title: str | None = None,
    optional: Sequence[str] = (),
    width: int | None = None,
) -> str:
    """`rows` restricted to `columns` as table, JSON (native types kept) or CSV text."""
    if str(fmt) == "json":
        from planner.render.as_json import to_json

        return to_json([{c: r.get(c) for c in columns} for r in rows])
    if str(fmt) == "csv":
        from planner.markup import csv_text

        return csv_text(list(columns), ([r.get(c) for c in columns] for r in rows))
    return table_text(rows, columns, title, optional, width)
