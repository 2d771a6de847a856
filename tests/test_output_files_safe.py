"""A table or text written with -o is what the console would show: a file name or any other
text holding a terminal escape sequence reaches neither the console nor the file raw (the file
is read in a terminal too)."""

from __future__ import annotations

import shutil

from tests.conftest import EXAMPLES, ROOT

BATCH = next(p for p in EXAMPLES if p.name == "nightly-batch-spot.yaml")
EVIL = "x\x1b]0;owned\x07\x1b[2Jy"
RAW = ("\x1b", "\x07")


def _clean(text: str) -> bool:
    return not any(c in text for c in RAW)


def test_a_plan_table_written_to_a_file_has_no_escape_sequence(cli, tmp_path):
    catalog = tmp_path / f"cat{EVIL}.csv"
    shutil.copy(ROOT / "planner" / "catalog" / "data" / "offerings.csv", catalog)
    out = tmp_path / "plan.txt"
    result = cli("plan", BATCH, "--catalog", catalog, "--format", "table", "-o", out)
    assert result.exit_code == 0, result.stderr
    text = out.read_text()
    assert "Prices in USD from" in text and "catxy.csv" in text  # the name, made safe
    assert _clean(text) and _clean(result.stdout) and _clean(result.stderr)


def test_a_verdict_written_to_a_file_has_no_escape_sequence(cli, tmp_path):
    plan = tmp_path / f"plan{EVIL}.json"
    assert cli("plan", BATCH, "--format", "json", "-o", plan).exit_code == 0
    out = tmp_path / "verify.txt"
    result = cli("verify", plan, BATCH, "-o", out)
    assert result.exit_code == 0, result.stderr
    text = out.read_text()
    assert text.startswith("OK: ") and "planxy.json" in text and _clean(text)
