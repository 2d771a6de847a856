"""The CLI is a thin layer over planner.app and planner.render, built on typer's public API: the
listing verbs' figures come from use cases Python callers can call, every verb's placeholders
read as words, and no module of the CLI reaches into typer's or click's private modules."""

from __future__ import annotations

import json
import re

from planner import app
from tests.conftest import ROOT

CLI = ROOT / "planner" / "cli"


def test_the_cli_imports_nothing_private_of_typer_or_click():
    for module in sorted(CLI.glob("*.py")):
        text = module.read_text()
        private = re.findall(r"(?:from|import)\s+(typer\._\w+|typer\.\w+\._\w+|click\b)", text)
        assert private == [], (module.name, private)


def test_listing_verbs_print_what_their_use_cases_return(cli):
    shown = json.loads(cli("models", "--format", "json").stdout)
    assert shown == [dict(r) for r in app.models().rows]
    chips = json.loads(cli("accelerators", "--format", "json").stdout)
    assert [c["name"] for c in chips] == [r["name"] for r in app.accelerators().rows]
    listed = json.loads(
        cli("catalog", "list", "--accelerator", "H100:8", "--format", "json").stdout
    )
    found = app.offerings(accelerators=["H100:8"])
    assert listed and [r["instance_type"] for r in listed] == [
        r["instance_type"] for r in found.rows
    ]
    assert {(r["accelerator"], r["accelerator_count"]) for r in found.rows} == {("H100", 8)}


def test_validate_reports_every_file_without_raising(tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text("workloads:\n  - name: x\n    kind: serving\n")
    checked = app.validate([ROOT / "examples" / "eu-residency.yaml", bad])
    assert not checked.valid
    good, broken = checked.files
    assert good.valid and good.workloads and not broken.valid
    assert str(bad) in broken.message and broken.exit_code == 2


def test_arguments_read_as_words_optional_ones_in_brackets(cli):
    usage = cli("catalog", "spot-risk", "--help").stdout.splitlines()[0]
    assert usage == "Usage: planner catalog spot-risk [OPTIONS] [DATA]"
    usage = cli("validate", "--help").stdout.splitlines()[0]
    assert usage == "Usage: planner validate [OPTIONS] FILES..."
    text = cli("verify", "--help").stdout
    assert re.search(r"^  PLAN\s+Plan JSON", text, re.M) and "<path>" not in text


def test_a_number_from_planner_toml_is_checked_by_the_option_itself(cli, tmp_path, monkeypatch):
    (tmp_path / "planner.toml").write_text("[plan]\ngap = 2\n")
    monkeypatch.chdir(tmp_path)
    result = cli("models")
    assert result.exit_code == 2
    assert "planner.toml:2: gap: 2 is outside 0 to 1" in result.stderr
