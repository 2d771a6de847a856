"""Hostile inputs, third look: what a user names (a file name) or a server says reaches the '#'
comment lines of the CSV and YAML files the planner writes (spot-risk rows, fit files, measured
profiles, refreshed catalogs and quotas, right-sized specs) as one inert line: a newline cannot
start a row or a key, and no cell a spreadsheet splits a comment into starts a formula."""

from __future__ import annotations

import csv
import io
import json
import shutil
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from planner.markup import FORMULA_START, comment

ROOT = Path(__file__).resolve().parent.parent
BENCH = ROOT / "tests" / "data" / "bench"
ADVISOR = json.dumps({
    "ranges": [{"index": 0, "label": "<5%", "max": 5}, {"index": 1, "label": ">20%", "max": 100}],
    "spot_advisor": {"us-east-1": {"Linux": {"g6.xlarge": {"r": 0}}}},
})  # fmt: skip
HOSTILE_NAME = 'runs,=HYPERLINK("x"),+1,@SUM(A1),-2.json'


def _formula_cells(text: str) -> list[str]:
    """The cells of `text` read as a spreadsheet reads a CSV that start a formula."""
    cells = [cell for row in csv.reader(io.StringIO(text)) for cell in row]
    return [c for c in cells if c.startswith(FORMULA_START) or c.lstrip().startswith("=")]


@settings(max_examples=200, database=None, deadline=None)
@given(text=st.text(max_size=80))
def test_a_comment_is_one_line_no_spreadsheet_runs(text):
    line = "# " + comment(text)
    assert "\n" not in line and "\r" not in line
    assert _formula_cells(line) == []


def test_a_data_file_name_reaches_no_spot_risk_csv_as_a_formula(cli, tmp_path):
    data = tmp_path / HOSTILE_NAME
    data.write_text(ADVISOR)
    result = cli("catalog", "spot-risk", data, "--as-of", "2026-12-01", "--provider", "aws")
    assert result.exit_code in (0, 2), result.stderr  # the rows' source has a grammar
    assert _formula_cells(result.stdout) == []


def test_a_benchmark_file_name_in_the_fit_file_starts_no_formula(cli, tmp_path):
    runs = tmp_path / HOSTILE_NAME
    shutil.copy(BENCH / "vllm_rate2.json", runs)
    out = tmp_path / "fit.csv"
    result = cli("calibrate", runs, BENCH / "vllm_rate4.json", "--model", "llama-3.1-8b",
                 "--accelerator", "H100", "-o", out)  # fmt: skip
    assert result.exit_code == 0, result.stderr
    written = out.read_text()
    assert "HYPERLINK" in written and _formula_cells(written) == []
    again = cli("estimate", "--model", "llama-3.1-8b", "--accelerator", "H100",
                "--input-tokens", "100", "--output-tokens", "10", "--fit", out)  # fmt: skip
    assert again.exit_code == 0, again.stderr  # the planner still reads its own file


def test_a_quota_comment_with_a_newline_stays_a_comment():
    import yaml

    from planner.quotas import quotas_yaml

    text = quotas_yaml([], ["fetched from http://x\nquotas: [{provider: evil}]"])
    assert yaml.safe_load(text) == {"quotas": None} or yaml.safe_load(text)["quotas"] in ([], None)
    assert all(line.startswith("#") for line in text.splitlines()[:-1])
