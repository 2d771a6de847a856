"""Chips with no fitted measurements behind them (uncalibrated families): never chosen silently,
planned when the spec opts in or profiles cover them, and flagged on every figure."""

from __future__ import annotations

import json

import pytest

from planner.catalog import load_catalog
from planner.catalog.load import Catalog
from planner.errors import InfeasibleError
from planner.facts import find_accelerator
from planner.facts.measurements import engine_measurements
from planner.perf.efficiency import calibrated_families, is_calibrated
from planner.solve import solve
from planner.spec import load_spec
from planner.verify import verify

SPEC = """
workloads:
  - name: chat
    kind: serving
    model: llama-3.1-70b
    traffic:
      requests_per_second: 20
      buckets:
        - {{input_tokens: 1000, output_tokens: 200, fraction: 1.0}}
    slo: {{ttft_p95_ms: 3000, tpot_ms: 60}}
    placement:
{placement}
"""


def _spec(tmp_path, placement: str):
    path = tmp_path / "spec.yaml"
    path.write_text(SPEC.format(placement=placement), encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def catalog():
    return load_catalog()


def test_families_without_fitted_measurements_are_uncalibrated():
    assert {"hopper", "ampere", "ada"} <= calibrated_families()
    for name in ("MI355X", "TPU-v5e", "TPU-v5p", "TPU-v6e"):  # cdna4, tpu: no published rows
        assert not is_calibrated(find_accelerator(name)), name
    for name in ("H200-NVL", "B200", "GB200", "RTX-PRO-6000"):  # hopper; blackwell fitted on
        assert is_calibrated(find_accelerator(name)), name  # TensorRT-LLM's B200/GB200 tables


def test_published_amd_and_neuron_measurements_calibrate_their_families():
    assert {"cdna3", "neuron"} <= calibrated_families()
    for name in ("MI300X", "MI325X", "Inferentia2", "Trainium", "Trainium2"):
        assert is_calibrated(find_accelerator(name)), name


def test_the_calibrated_families_are_exactly_those_with_published_measurements():
    # the opt-in rule follows the data: a family's first published rows calibrate it
    measured = {find_accelerator(m.accelerator).family for m in engine_measurements()}
    assert calibrated_families() == measured


def test_an_mi300x_only_spec_plans_on_the_fitted_cdna3_figures(tmp_path, catalog):
    spec = load_spec(_spec(tmp_path, "      accelerators: [MI300X]"))
    plan = solve(spec, catalog)
    assert {a.accelerator for a in plan.allocations} == {"MI300X"}
    assert all(a.calibration is None for a in plan.allocations)
    assert not verify(plan, spec, catalog)


def test_a_default_plan_never_uses_an_uncalibrated_chip(tmp_path, catalog):
    plan = solve(load_spec(_spec(tmp_path, "      providers: [aws, gcp, azure]")), catalog)
    chips = {find_accelerator(a.accelerator) for a in plan.allocations}
    assert chips and all(is_calibrated(c) for c in chips)
    assert all(a.calibration is None for a in plan.allocations)


def test_a_b200_only_spec_plans_on_b200_with_the_fitted_blackwell_figures(tmp_path, catalog):
    spec = load_spec(_spec(tmp_path, "      accelerators: [B200]"))
    plan = solve(spec, catalog)
    assert {a.accelerator for a in plan.allocations} == {"B200"}
    assert all(a.calibration is None for a in plan.allocations)
    assert not verify(plan, spec, catalog)


def test_a_tpu_only_spec_plans_on_tpu_and_says_it_is_uncalibrated(tmp_path, catalog):
    spec = load_spec(_spec(tmp_path, "      accelerators: [TPU-v6e]"))
    plan = solve(spec, catalog)
    assert {a.accelerator for a in plan.allocations} == {"TPU-v6e"}
    assert all("uncalibrated" in a.calibration and "tpu" in a.calibration
               for a in plan.allocations)  # fmt: skip
    assert not verify(plan, spec, catalog)


def test_allow_uncalibrated_opens_every_chip_and_flags_the_ones_chosen(tmp_path, catalog):
    placement = "      providers: [gcp]\n      allow_uncalibrated: true"
    plan = solve(load_spec(_spec(tmp_path, placement)), catalog)
    for a in plan.allocations:
        calibrated = is_calibrated(find_accelerator(a.accelerator))
        assert (a.calibration is None) == calibrated


def test_a_spec_with_only_uncalibrated_offerings_says_how_to_opt_in(tmp_path, catalog):
    spec = load_spec(_spec(tmp_path, "      providers: [gcp]"))
    only_v6e = Catalog(tuple(o for o in catalog.offerings if o.accelerator == "TPU-v6e"))
    with pytest.raises(InfeasibleError, match="allow_uncalibrated") as caught:
        solve(spec, only_v6e)
    assert "TPU-v6e" in str(caught.value) and "tpu" in str(caught.value)


def test_estimate_says_which_figures_are_uncalibrated(cli):
    args = ("estimate", "--model", "llama-3.1-8b", "--input-tokens", "500", "--output-tokens",
            "100", "--format", "json")  # fmt: skip
    mi355x = json.loads(cli(*args, "--accelerator", "MI355X").stdout)
    mi300x = json.loads(cli(*args, "--accelerator", "MI300X").stdout)
    b200 = json.loads(cli(*args, "--accelerator", "B200").stdout)
    assert mi355x["calibration"].startswith("uncalibrated") and "cdna4" in mi355x["calibration"]
    assert mi300x["calibration"] == "fitted (cdna3)"
    assert b200["calibration"] == "fitted (blackwell)"


def test_plan_table_names_the_uncalibrated_allocations(cli, tmp_path):
    result = cli("plan", _spec(tmp_path, "      accelerators: [TPU-v6e]"), "-q")
    assert result.exit_code == 0, result.stderr
    assert "Uncalibrated chat" in result.stdout and "tpu" in result.stdout
