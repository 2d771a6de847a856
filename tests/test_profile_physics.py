"""Measured rates never override memory fit, and every capacity figure says where it came from:
measured (profile), derived from a measurement of another bucket (and which), or modelled."""

from __future__ import annotations

import json
from pathlib import Path

from planner.facts import find_accelerator, find_llm
from planner.perf import SLO, load_profiles, replica_capacity

HEADER = "model,accelerator,tp,input_tokens,output_tokens,max_rps,tpot_ms,ttft_ms"


def write(tmp_path: Path, *rows: str) -> Path:
    path = tmp_path / "profiles.csv"
    path.write_text("# measured 2026-11-20\n" + "\n".join((HEADER, *rows)) + "\n")
    return path


def test_a_profile_row_cannot_fit_a_70b_model_on_one_24gb_l4(tmp_path):
    profiles = load_profiles(write(tmp_path, "llama-3.1-70b,L4,1,1000,200,4.0,50,"))
    cap = replica_capacity(
        find_llm("llama-3.1-70b"), find_accelerator("L4"), 1, 1000, 200, SLO(tpot_ms=50),
        profiles=profiles,
    )  # fmt: skip
    assert not cap.fits and cap.max_rps == 0
    assert "do not override memory fit" in cap.reason


def test_estimate_with_such_a_profile_says_it_does_not_fit(cli, tmp_path):
    path = write(tmp_path, "llama-3.1-70b,L4,1,1000,200,4.0,50,")
    result = cli(
        "estimate", "--model", "llama-3.1-70b", "--accelerator", "L4", "--tp", "1",
        "--input-tokens", "1000", "--output-tokens", "200", "--tpot-ms", "50",
        "--profiles", path, "--format", "json",
    )  # fmt: skip
    assert result.exit_code == 0, result.stderr
    data = json.loads(result.stdout)
    assert data["fits"] is False and data["max_rps"] == 0


def sources(tmp_path, input_tokens, output_tokens):
    profiles = load_profiles(write(tmp_path, "llama-3.1-8b,H100,1,1000,250,12.5,50,"))
    return replica_capacity(
        find_llm("llama-3.1-8b"), find_accelerator("H100"), 1, input_tokens, output_tokens,
        SLO(tpot_ms=50), profiles=profiles,
    )  # fmt: skip


def test_the_measured_cell_says_profile(tmp_path):
    cap = sources(tmp_path, 1000, 250)
    assert (cap.source, cap.max_rps) == ("profile", 12.5)
    assert cap.reason == "measured at 1000+250 tokens (exact bucket)"


def test_a_smaller_bucket_bounded_by_a_larger_measurement_says_derived_and_from_what(tmp_path):
    cap = sources(tmp_path, 500, 100)
    assert cap.source == "derived"
    assert "from the rate measured at the larger (covering) 1000+250 bucket" in cap.reason


def test_a_cell_scaled_from_a_neighbour_says_derived_not_profile(tmp_path):
    cap = sources(tmp_path, 2000, 500)
    assert cap.source == "derived" and cap.max_rps < 12.5
    assert "scaled by the roofline" in cap.reason and "1000+250" in cap.reason
