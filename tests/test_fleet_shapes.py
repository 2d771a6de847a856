"""The benchmark's fleet shapes: seeded, nested by size, and each knob changing what it says."""

from __future__ import annotations

import csv
import io
import pickle

from benchmarks.fleet import MATRIX, shape_catalog, shape_profiles, shaped_fleet
from planner.catalog.load import BUNDLED
from planner.perf import Profiles
from planner.perf.profile_csv import load_profiles


def _rows(text: str) -> list[dict]:
    body = "\n".join(x for x in text.splitlines() if x and not x.startswith("#"))
    return list(csv.DictReader(io.StringIO(body)))


def test_a_shape_gives_the_same_fleet_for_the_same_seed_and_larger_fleets_extend_smaller_ones():
    shape = MATRIX["unseen"]
    small, again, large = shaped_fleet(shape, 50), shaped_fleet(shape, 50), shaped_fleet(shape, 80)
    assert small == again
    assert large["workloads"][:50] == small["workloads"]


def test_the_matrix_has_six_or_more_shapes_whose_knobs_differ():
    assert len(MATRIX) >= 6
    knobs = {
        (s.profiles, s.pools, s.tightness, s.spot_share, s.models, s.max_buckets, s.shared_share,
         s.owned_share, s.regions_per_cloud)
        for s in MATRIX.values()
    }  # fmt: skip
    assert len(knobs) == len(MATRIX)


def test_the_unseen_shape_keeps_three_clouds_of_five_regions_and_its_model_mix():
    shape = MATRIX["unseen"]
    rows = _rows(shape_catalog(shape, BUNDLED.read_text()))
    regions = {(r["provider"], r["region"]) for r in rows}
    assert {p for p, _ in regions} == {"aws", "gcp", "azure"}
    assert all(sum(1 for q, _ in regions if q == p) == 5 for p in ("aws", "gcp", "azure"))
    assert 250 <= len(rows) <= 330
    fleet = shaped_fleet(shape, 400)["workloads"]
    served = [w for w in fleet if w["kind"] == "serving"]
    assert {w["model"] for w in served} == {m for m, _ in shape.models}
    spot = sum(1 for w in served if w["placement"].get("spot")) / len(served)
    anywhere = sum(1 for w in fleet if not w["placement"] or w["placement"] == {"spot": True})
    assert 0.2 < spot < 0.4
    assert 0.6 < anywhere / len(fleet) < 0.8


def test_generated_profiles_cover_every_size_and_give_zero_where_the_model_does_not_fit(tmp_path):
    shape = MATRIX["unseen"]
    catalog = _rows(shape_catalog(shape, BUNDLED.read_text()))
    offerings = [type("O", (), {"accelerator": r["accelerator"]})() for r in catalog]
    path = tmp_path / "profiles.csv"
    path.write_text(shape_profiles(shape, offerings))
    profiles = load_profiles(path)
    rows = _rows(path.read_text())
    t4_70b = [r for r in rows if r["model"] == "llama-3.1-70b" and r["accelerator"] == "T4"]
    assert t4_70b and all(float(r["max_rps"]) == 0 for r in t4_70b)
    h100_8b = [r for r in rows if r["model"] == "llama-3.1-8b" and r["accelerator"] == "H100"]
    assert {(int(r["input_tokens"]), int(r["output_tokens"])) for r in h100_8b} >= {
        (200, 100),
        (8000, 500),
    }
    assert all(float(r["max_rps"]) > 0 for r in h100_8b)
    assert len(profiles) == len(rows)


def test_a_profile_set_looks_up_as_before_and_survives_pickling(tmp_path):
    shape = MATRIX["unseen"]
    offerings = [type("O", (), {"accelerator": a})() for a in ("H100", "L4")]
    path = tmp_path / "profiles.csv"
    path.write_text(shape_profiles(shape, offerings))
    profiles = load_profiles(path)
    copy = pickle.loads(pickle.dumps(profiles))
    assert copy == profiles and hash(copy) == hash(profiles)
    point = profiles.points[123]
    found = profiles.usable(point.model, point.accelerator, point.tp, point.slo)
    linear = tuple(p for p in profiles.points
                   if (p.model, p.accelerator, p.tp) == (point.model, point.accelerator, point.tp)
                   and p.slo.at_least_as_strict_as(point.slo))  # fmt: skip
    assert found == linear and point in found
    assert Profiles(profiles.points[:10]) != profiles
