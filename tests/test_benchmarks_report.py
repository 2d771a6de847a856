"""Benchmark runs that measure some sections leave the rest of BENCHMARKS.md alone."""

from __future__ import annotations

from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent

EXISTING = """# Benchmarks

Written by an earlier full run.

## Scale

| workloads | seconds |
|---:|---:|
| 100 | 21.13 |

### Re-run on an idle machine

| 100 | 2.52 |

## Plan quality against the baselines

| fleet | plan |
|---|---:|
| 20 workloads | 1.00 |

## Prediction accuracy

Written by `python -m benchmarks.accuracy`: 12 measured points, median error 7%.
"""


@pytest.fixture
def report(monkeypatch):
    monkeypatch.syspath_prepend(str(ROOT))
    from benchmarks import report

    return report


def test_rewriting_the_scale_section_keeps_every_other_section_verbatim(report):
    fresh = ["## Scale", "", "| workloads | seconds |", "|---:|---:|", "| 100 | 1.50 |"]
    text = report.replace_sections(EXISTING, [fresh])
    assert "| 100 | 1.50 |" in text
    assert "21.13" not in text and "Re-run on an idle machine" not in text
    for kept in ("# Benchmarks", "Written by an earlier full run.",
                 "## Plan quality against the baselines", "| 20 workloads | 1.00 |",
                 "## Prediction accuracy", "median error 7%"):  # fmt: skip
        assert kept in text
    headings = [line for line in text.splitlines() if line.startswith("## ")]
    assert headings == ["## Scale", "## Plan quality against the baselines",
                        "## Prediction accuracy"]  # fmt: skip


def test_a_section_the_file_lacks_is_added_at_the_end(report):
    text = report.replace_sections(EXISTING, [["## Start-up", "", "| cmd | 0.2 |"]])
    assert text.splitlines()[-1] == "| cmd | 0.2 |"
    assert text.startswith(EXISTING.rstrip("\n"))


def test_the_file_is_unchanged_when_a_section_is_rewritten_with_its_own_lines(report):
    _, sections = report.split_sections(EXISTING)
    assert report.replace_sections(EXISTING, sections) == EXISTING
