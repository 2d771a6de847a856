"""Measured profiles: loading with precise errors, and lookups that are never optimistic."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from planner.errors import InputError
from planner.facts import find_accelerator, find_llm
from planner.perf import (
    SLO,
    Dtype,
    ProfilePoint,
    Profiles,
    load_profiles,
    replica_capacity,
    roofline_capacity,
)
from planner.perf.profiles import estimate_from_points

H100 = find_accelerator("H100")
LLAMA_8B = find_llm("llama-3.1-8b")
HEADER = "model,accelerator,tp,input_tokens,output_tokens,max_rps,tpot_ms,ttft_ms"


def _write(tmp_path: Path, *lines: str) -> Path:
    path = tmp_path / "profiles.csv"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def _point(input_tokens: int, output_tokens: int, rps: float, tpot: float | None = 50.0):
    return ProfilePoint(
        "llama-3.1-8b", "H100", 1, input_tokens, output_tokens, rps, SLO(tpot_ms=tpot)
    )


@pytest.fixture
def profiles(tmp_path: Path) -> Profiles:
    return load_profiles(
        _write(
            tmp_path,
            "# measured with vLLM, 2026-11-20",
            HEADER + ",weights_dtype,notes",
            "meta-llama/Llama-3.1-8B-Instruct,H100-SXM,1,1000,250,12.5,50,,bf16,run 1",
            "llama-3.1-8b,h100,1,2000,500,5,50,,,run 2",
            "",
            "llama-3.1-8b,H100,1,500,100,30,50,,,run 3",
            "llama-3.1-8b,H100,1,1000,250,20,100,,,looser SLO",
            "llama-3.1-8b,H100,2,1000,250,25,50,,,tp 2",
            "llama-3.1-8b,H100,1,1000,250,18,50,,fp8,fp8 weights",
        )
    )


def test_loads_and_resolves_names(profiles):
    assert len(profiles) == 6
    first = profiles.points[0]
    assert (first.model, first.accelerator, first.tp) == ("llama-3.1-8b", "H100", 1)
    assert first.bucket == (1000, 250) and first.max_rps == 12.5
    assert first.slo == SLO(tpot_ms=50) and first.where.endswith("profiles.csv:3")
    assert profiles.points[-1].weights_dtype is Dtype.fp8


def test_exact_bucket_is_used_exactly(profiles):
    capacity = replica_capacity(LLAMA_8B, H100, 1, 1000, 250, SLO(tpot_ms=50), profiles=profiles)
    assert capacity.source == "profile" and capacity.limited_by == "profile"
    assert capacity.max_rps == 12.5
    assert capacity.tokens_per_s == 12.5 * 250
    assert capacity.tpot_ms == 50 and "exact" in capacity.reason


def test_stricter_measurement_serves_a_looser_slo(profiles):
    capacity = replica_capacity(LLAMA_8B, H100, 1, 1000, 250, SLO(tpot_ms=80), profiles=profiles)
    assert capacity.source == "profile" and capacity.max_rps == 12.5


def test_looser_measurement_is_not_used_for_a_tighter_slo(profiles):
    capacity = replica_capacity(LLAMA_8B, H100, 1, 1000, 250, SLO(tpot_ms=40), profiles=profiles)
    assert capacity.source == "roofline"
    assert capacity == roofline_capacity(LLAMA_8B, H100, 1, 1000, 250, SLO(tpot_ms=40))


def test_ttft_slo_needs_a_ttft_measurement(profiles):
    slo = SLO(tpot_ms=50, ttft_ms=2000)
    assert replica_capacity(LLAMA_8B, H100, 1, 1000, 250, slo, profiles=profiles).source == (
        "roofline"
    )


def test_profiles_match_tp_and_dtypes(profiles):
    slo = SLO(tpot_ms=50)
    assert replica_capacity(LLAMA_8B, H100, 2, 1000, 250, slo, profiles=profiles).max_rps == 25
    fp8 = replica_capacity(
        LLAMA_8B, H100, 1, 1000, 250, slo, weights_dtype="fp8", profiles=profiles
    )
    assert fp8.max_rps == 18
    other = replica_capacity(LLAMA_8B, H100, 4, 1000, 250, slo, profiles=profiles)
    assert other.source == "roofline"


def test_between_buckets_takes_the_nearest_larger_one(profiles):
    capacity = replica_capacity(LLAMA_8B, H100, 1, 800, 200, SLO(tpot_ms=50), profiles=profiles)
    assert capacity.max_rps == 12.5 and "covering" in capacity.reason
    capacity = replica_capacity(LLAMA_8B, H100, 1, 1500, 260, SLO(tpot_ms=50), profiles=profiles)
    assert capacity.max_rps == 5


def test_beyond_every_bucket_scales_down_never_up(profiles):
    slo = SLO(tpot_ms=50)
    capacity = replica_capacity(LLAMA_8B, H100, 1, 4000, 1000, slo, profiles=profiles)
    assert capacity.source == "derived" and "scaled" in capacity.reason
    roofline_big = roofline_capacity(LLAMA_8B, H100, 1, 4000, 1000, slo).max_rps
    roofline_measured = roofline_capacity(LLAMA_8B, H100, 1, 2000, 500, slo).max_rps
    assert capacity.max_rps == pytest.approx(5 * roofline_big / roofline_measured)
    assert capacity.max_rps < 5


def test_smaller_measurements_cap_a_noisy_larger_one():
    points = [_point(1000, 1000, 10), _point(500, 500, 4)]
    found = estimate_from_points(points, 800, 800)
    assert found.method == "covering" and found.max_rps == 4
    assert estimate_from_points(points, 1000, 1000).max_rps == 10
    assert estimate_from_points([], 10, 10) is None


def _bad(tmp_path: Path, row: str, header: str = HEADER) -> str:
    with pytest.raises(InputError) as caught:
        load_profiles(_write(tmp_path, "# comment", header, row))
    return str(caught.value)


def test_bad_cells_name_file_line_and_column(tmp_path):
    message = _bad(tmp_path, "llama-3.1-8b,H100,three,1000,250,10,50,")
    assert "profiles.csv" in message and "line 3" in message and "'tp'" in message
    assert "whole number" in message and "'three'" in message
    message = _bad(tmp_path, "llama-3.1-8b,H100,3,1000,250,10,50,")
    assert "line 3, column 'tp'" in message and "power of two" in message
    message = _bad(tmp_path, "llama-9,H100,1,1000,250,10,50,")
    assert "column 'model'" in message and "llama-3.1-8b" in message
    message = _bad(tmp_path, "llama-3.1-8b,B900,1,1000,250,10,50,")
    assert "column 'accelerator'" in message and "H100" in message
    message = _bad(tmp_path, "llama-3.1-8b,H100,1,1000,250,-1,50,")
    assert "column 'max_rps'" in message and "from 0 to" in message
    message = _bad(tmp_path, "llama-3.1-8b,H100,1,1000,250,1,0,")
    assert "column 'tpot_ms'" in message
    message = _bad(tmp_path, "llama-3.1-8b,H100,1,0,250,1,50,")
    assert "column 'input_tokens'" in message
    message = _bad(tmp_path, "llama-3.1-8b,H100,1,10,250,1,50,,int4", HEADER + ",kv_dtype")
    assert "column 'kv_dtype'" in message and "fp8" in message
    message = _bad(tmp_path, "llama-3.1-8b,H100,1,10,250,1,50")
    assert "line 3" in message and "7 cells" in message


def test_missing_columns_duplicates_and_missing_files(tmp_path):
    message = _bad(tmp_path, "x,y", header="model,accelerator")
    assert "line 2" in message and "tp" in message and "max_rps" in message
    row = "llama-3.1-8b,H100,1,10,250,1,50,"
    with pytest.raises(InputError, match="line 4: repeats the measurement on line 3"):
        load_profiles(_write(tmp_path, HEADER, "", row, row))
    with pytest.raises(InputError, match=r"(?i)cannot read"):
        load_profiles(tmp_path / "absent.csv")
    with pytest.raises(InputError, match="no header"):
        load_profiles(_write(tmp_path, "# only a comment"))


buckets = st.tuples(st.integers(1, 8), st.integers(1, 8)).map(lambda b: (b[0] * 250, b[1] * 100))


@given(
    measured=st.dictionaries(buckets, st.floats(0, 100), min_size=1, max_size=12),
    asked=st.tuples(st.integers(1, 2500), st.integers(1, 1000)),
    shrink=st.floats(0, 3),
)
def test_interpolation_never_exceeds_the_measured_neighbours(measured, asked, shrink):
    points = [_point(i, o, rps) for (i, o), rps in measured.items()]
    found = estimate_from_points(points, *asked, scale=lambda _: shrink)
    smaller = [r for (i, o), r in measured.items() if i <= asked[0] and o <= asked[1]]
    larger = {b: r for b, r in measured.items() if b[0] >= asked[0] and b[1] >= asked[1]}
    nearest = [
        r
        for b, r in larger.items()
        if not any(o != b and o[0] <= b[0] and o[1] <= b[1] for o in larger)
    ]
    if asked in measured:
        assert found.max_rps == measured[asked]
        return
    assert all(found.max_rps <= r for r in smaller)
    if larger:
        assert found.method == "covering"
        assert all(found.max_rps <= r for r in nearest)
    else:
        assert found.method == "scaled"
        assert found.max_rps <= found.point.max_rps
