"""A plan that counts on cloud supply no quota limits says so where the user looks (the plan
table, the JSON, the report), with the way to give the quotas; a plan within quotas does not."""

from __future__ import annotations

import json

from tests.conftest import EXAMPLES

BATCH = next(p for p in EXAMPLES if p.name == "nightly-batch-spot.yaml")
UNLIMITED = "the plan assumes unlimited supply there"


def test_without_quotas_the_table_json_and_report_say_supply_was_assumed(cli, tmp_path):
    table = cli("plan", BATCH)
    assert table.exit_code == 0, table.stderr
    assert UNLIMITED in table.stdout and "--quotas quotas.yaml" in table.stdout
    out = tmp_path / "plan.json"
    assert cli("plan", BATCH, "--format", "json", "-o", out).exit_code == 0
    warnings = json.loads(out.read_text())["warnings"]
    (a,) = json.loads(out.read_text())["allocations"]
    assert any(UNLIMITED in w and f"in {a['provider']} {a['region']}" in w for w in warnings)
    report = cli("report", out, "--format", "md")
    assert report.exit_code == 0, report.stderr
    assert UNLIMITED in report.stdout


def test_a_plan_within_quotas_has_no_such_warning(cli, tmp_path):
    out = tmp_path / "plan.json"
    assert cli("plan", BATCH, "--format", "json", "-o", out).exit_code == 0
    from planner.catalog import load_catalog

    chosen = {a["accelerator"] for a in json.loads(out.read_text())["allocations"]}
    # every pool selling the chosen accelerator, so the plan cannot move to an unlimited one
    used = {
        (o.provider, o.region, o.accelerator) for o in load_catalog() if o.accelerator in chosen
    }
    quotas = tmp_path / "quotas.yaml"
    quotas.write_text(
        "quotas:\n"
        + "".join(
            f"  - {{provider: {p}, region: {r}, accelerator: {acc}, max_accelerators: 1000}}\n"
            for p, r, acc in sorted(used)
        )
    )
    within = tmp_path / "within.json"
    result = cli("plan", BATCH, "--quotas", quotas, "--format", "json", "-o", within)
    assert result.exit_code == 0, result.stderr
    assert not any(UNLIMITED in w for w in json.loads(within.read_text())["warnings"])


def test_the_warning_is_said_once_on_the_table_and_on_stderr_only_for_a_file(cli, tmp_path):
    table = cli("plan", BATCH)
    assert table.exit_code == 0, table.stderr
    assert table.stdout.count(UNLIMITED) == 1 and UNLIMITED not in table.stderr
    out = tmp_path / "plan.json"
    to_file = cli("plan", BATCH, "-o", out)
    assert to_file.exit_code == 0, to_file.stderr
    assert to_file.stderr.count(UNLIMITED) == 1 and UNLIMITED not in to_file.stdout
