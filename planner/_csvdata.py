"""Read the project's data CSVs: '#' comment lines (source and date) above a normal CSV."""

from __future__ import annotations

import csv
import io
from pathlib import Path


def read_csv_lines(text: str) -> tuple[list[str], list[tuple[int, dict[str, str]]]]:
    """Header and (line number, row) pairs of CSV text whose '#' lines are comments.

    Comment lines are blanked rather than dropped so line numbers match the file.
    """
    body = "\n".join("" if line.startswith("#") else line for line in text.splitlines())
    reader = csv.reader(io.StringIO(body))
    header: list[str] = []
    rows: list[tuple[int, dict[str, str]]] = []
    for cells in reader:
        if not cells or not any(c.strip() for c in cells):
            continue
        if not header:
            header = [c.strip() for c in cells]
            continue
        values = [c.strip() for c in cells] + [""] * (len(header) - len(cells))
        rows.append((reader.line_num, dict(zip(header, values, strict=False))))
    return header, rows


def read_commented_csv(path: Path) -> list[dict[str, str]]:
    """Rows of a CSV file whose leading lines may be '#' comments, as dicts keyed by header."""
    return [row for _, row in read_csv_lines(Path(path).read_text(encoding="utf-8"))[1]]


def opt_float(value: str) -> float | None:
    """A float, or None for an empty cell."""
    return float(value) if value.strip() else None
