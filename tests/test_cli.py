"""The `planner` command line: verbs, formats, exit codes and messages users see."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import jsonschema
import yaml

import planner
from planner.resources import templates_dir
from tests.conftest import EXAMPLES, ROOT


def test_version_and_help(cli):
    assert cli("--version").stdout.strip() == f"planner {planner.__version__}"
    result = cli("--help")
    assert result.exit_code == 0
    for verb in ("validate", "schema", "catalog", "models", "accelerators"):
        assert verb in result.stdout


def test_catalog_list_h100_json_spans_all_three_clouds(cli):
    result = cli("catalog", "list", "--accelerator", "H100", "--format", "json")
    rows = json.loads(result.stdout)
    assert result.exit_code == 0 and rows
    assert {r["provider"] for r in rows} == {"aws", "gcp", "azure"}
    assert {r["accelerator"] for r in rows} == {"H100"}
    prices = [r["price_on_demand"] for r in rows]
    assert prices == sorted(prices)


def test_catalog_list_gcp_l4_in_several_regions(cli):
    result = cli("catalog", "list", "--provider", "gcp", "--accelerator", "L4", "--format", "csv")
    lines = result.stdout.strip().splitlines()
    assert lines[0].startswith("provider,region,zone,service,instance_type")
    regions = {line.split(",")[1] for line in lines[1:]}
    assert len(regions) >= 3
    assert all(",L4," in line for line in lines[1:])


def test_catalog_list_table_fits_and_names_the_count(cli):
    result = cli("catalog", "list", "--accelerator", "TPU-v5e", "--service", "gce")
    assert result.exit_code == 0
    assert "offering(s)" in result.stdout and "ct5lp-hightpu" in result.stdout


def test_catalog_list_reads_skypilot_directories(cli, skypilot_dir):
    result = cli(
        "catalog", "list", "--catalog", skypilot_dir, "--accelerator", "A10G", "--format", "json"
    )
    rows = json.loads(result.stdout)
    assert rows and all(r["instance_type"] == "g5.xlarge" and r["zone"] for r in rows)


def test_catalog_list_bad_inputs_exit_2(cli, tmp_path):
    missing = cli("catalog", "list", "--catalog", tmp_path / "none.csv")
    assert missing.exit_code == 2 and "does not exist" in missing.stderr
    bad_sort = cli("catalog", "list", "--sort", "vibes")
    assert bad_sort.exit_code == 2 and "price-per-accelerator" in bad_sort.stderr


def test_validate_accepts_every_example(cli):
    result = cli("validate", *EXAMPLES)
    assert result.exit_code == 0
    assert result.stdout.count(": valid:") == len(EXAMPLES)


def test_validate_rejects_a_bad_file_with_exit_2(cli, tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text("workloads:\n  - name: a\n    kind: serving\n    modle: x\n")
    result = cli("validate", EXAMPLES[0], bad)
    assert result.exit_code == 2
    assert f"{bad}:4: workloads[0].modle: unknown key 'modle' (did you mean 'model'?)" in (
        result.stderr
    )


def test_schema_validates_every_example(cli):
    schema = json.loads(cli("schema").stdout)
    for path in EXAMPLES:
        jsonschema.validate(yaml.safe_load(path.read_text()), schema)


def test_models_and_accelerators_lists(cli):
    models = json.loads(cli("models", "--format", "json").stdout)
    assert any(m["name"] == "llama-3.1-405b" and m["layers"] == 126 for m in models)
    accs = json.loads(cli("accelerators", "--format", "json").stdout)
    assert any(a["name"] == "H200" and a["memory_gb"] == 141 for a in accs)


def _console_script() -> str:
    script = Path(sys.executable).with_name("planner")
    return str(script) if script.exists() else "planner"


def test_installed_command_reports_errors_without_a_traceback(tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text("workloads:\n  - name: a\n    kind: batch\n    model: mistral-7b\n")
    proc = subprocess.run(
        [_console_script(), "validate", str(bad)], capture_output=True, text=True, check=False
    )
    assert proc.returncode == 2
    assert "Traceback" not in proc.stderr
    assert "workloads[0].volume: required key is missing" in proc.stderr


def test_help_does_not_import_cloud_sdks_or_the_solver():
    code = (
        "import sys\nfrom planner.cli.app import run\n"
        "try:\n    run(['--help'])\nexcept SystemExit:\n    pass\n"
        "heavy = [m for m in ('boto3', 'google.cloud.aiplatform', 'ortools', 'moto') "
        "if m in sys.modules]\nprint(heavy)"
    )
    proc = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True,
        cwd=ROOT, env={**os.environ, "COLUMNS": "100"},
    )  # fmt: skip
    assert proc.stdout.strip().splitlines()[-1] == "[]"


def test_templates_folder_is_found():
    assert (templates_dir() / "README.md").exists()
