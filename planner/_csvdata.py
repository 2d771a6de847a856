"""Read the project's data CSVs: '#' comment lines (source and date) above a normal CSV."""

from __future__ import annotations

from pathlib import Path

from planner._readfile import csv_rows, read_input
from planner.errors import InputError


def read_csv_lines(
    text: str, source: str = "<csv>", *, strict_width: bool = False
) -> tuple[list[str], list[tuple[int, dict[str, str]]]]:
    """Header and (line number, row) pairs of CSV text whose '#' lines are comments.

    Comment lines are blanked rather than dropped so line numbers match the file. With
    `strict_width`, a row with more cells than the header is an InputError naming its line
    (an unquoted `1,055.04` would otherwise shift every later cell silently).
    """
    body = "\n".join("" if line.startswith("#") else line for line in text.splitlines())
    header: list[str] = []
    header_line = 0
    rows: list[tuple[int, dict[str, str]]] = []
    for line, cells in csv_rows(body, source):
        if not cells or not any(c.strip() for c in cells):
            continue
        if not header:
            header, header_line = [c.strip() for c in cells], line
            continue
        if strict_width and len(cells) > len(header):
            raise InputError(
                f"{source}:{line}: {len(cells)} cells but the header (line {header_line}) has "
                f'{len(header)}; quote a value that holds a comma ("1,055.04" is written '
                "1055.04)"
            )
        values = [c.strip() for c in cells] + [""] * (len(header) - len(cells))
        rows.append((line, dict(zip(header, values, strict=False))))
    return header, rows


def read_commented_csv(path: Path) -> list[dict[str, str]]:
    """Rows of a CSV file whose leading lines may be '#' comments, as dicts keyed by header."""
    return [row for _, row in read_csv_lines(read_input(path, "data file"), str(path))[1]]


def opt_float(value: str) -> float | None:
    """A float, or None for an empty cell."""
    return float(value) if value.strip() else None
