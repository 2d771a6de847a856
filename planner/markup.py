"""Text from users and servers made inert in the formats the planner writes.

One place for each format, so no renderer escapes by hand:

- `md(text)`: a string inside Markdown (a table cell, a bullet, a heading): HTML is shown, not
  interpreted (`<img src=x>` becomes `&lt;img src=x&gt;`), Markdown punctuation that would
  start a link, an image, emphasis, code or a table cell is escaped, and a newline cannot start
  a `# heading` or a new block (newlines become spaces).
- `csv_cell(value)`: a CSV cell that a spreadsheet will not run as a formula: text starting
  with `=`, `+`, `-`, `@`, a tab or a carriage return gets a leading apostrophe (OWASP's advice
  for CSV injection); numbers are written as numbers. `csv_text` writes a whole file with it.
- `comment(text)`: the text of a '#' comment line in a CSV or YAML file the planner writes: one
  line (a newline in a file name or a server's text cannot start a row or a key), and no cell a
  spreadsheet splits it into (at a comma) starts a formula.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable, Sequence
from typing import Any

_MD_SPECIAL = re.compile(r"([\\`*_\[\]{}!|~])")
_NEWLINES = re.compile(r"[\r\n\u2028\u2029]+")


def md(text: Any) -> str:
    """`text` as inert Markdown inline text (see the module docstring)."""
    value = _NEWLINES.sub(" ", str(text))
    value = value.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    value = _MD_SPECIAL.sub(r"\\\1", value)
    return "\\" + value if value.lstrip().startswith("#") else value


FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def csv_cell(value: Any) -> Any:
    """`value` for a CSV cell: text a spreadsheet would run as a formula gets a leading
    apostrophe; numbers, None and other text are unchanged."""
    if isinstance(value, str) and value.startswith(FORMULA_START):
        return "'" + value
    return value


_CELL_FORMULA = re.compile(r"(,\s*)(?=[=+\-@])")


def comment(text: Any) -> str:
    """`text` for a '#' comment line (see the module docstring): newlines and other line breaks
    become spaces, control characters go, and a spreadsheet cell after a comma that would start
    a formula gets a leading apostrophe."""
    value = _NEWLINES.sub(" ", str(text))
    value = "".join(c if c >= " " and c != "\x7f" else " " for c in value)
    return _CELL_FORMULA.sub(r"\1'", value)


def csv_text(
    header: Sequence[str], rows: Iterable[Sequence[Any]], comments: Sequence[str] = ()
) -> str:
    """CSV text: '#' comment lines (made single-line), the header, then the rows, every cell
    through `csv_cell`; lines end with a newline."""
    buf = io.StringIO()
    for line in comments:
        buf.write(("# " + comment(line)).rstrip() + "\n")
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(header)
    for row in rows:
        writer.writerow(["" if v is None else csv_cell(v) for v in row])
    return buf.getvalue()
