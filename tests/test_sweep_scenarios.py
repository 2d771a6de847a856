"""Scenario files: validation with file, line and field; grids and seeded samples with stable
ids; and what each axis does to the spec and catalog."""

from __future__ import annotations

import pytest

from planner.catalog import load_catalog
from planner.spec import load_spec
from planner.sweep.apply import apply
from planner.sweep.load import ScenarioError, parse_scenarios
from planner.sweep.scenarios import expand
from tests.conftest import ROOT

SMALL = ROOT / "examples" / "sweep" / "small-fleet.yaml"


@pytest.fixture(scope="module")
def spec():
    return load_spec(SMALL)


@pytest.fixture(scope="module")
def catalog():
    return load_catalog()


def problems(text: str, spec=None, catalog=None) -> str:
    with pytest.raises(ScenarioError) as caught:
        parse_scenarios(text, "what-if.yaml", spec, catalog)
    assert caught.value.exit_code == 2
    return str(caught.value)


def test_the_example_files_are_valid(spec, catalog):
    from planner.sweep.load import load_scenarios

    chatbot = load_spec(ROOT / "examples" / "chatbot-fleet.yaml")
    grid = expand(load_scenarios(ROOT / "examples" / "sweep" / "scenarios.yaml", chatbot, catalog))
    assert len(grid) == 18
    sample = load_scenarios(ROOT / "examples" / "sweep" / "small-scenarios.yaml", spec, catalog)
    assert sample.sample == 1000


def test_unknown_key_names_line_field_and_the_likely_key():
    text = "axes:\n  - kind: traffic\n    valuez: [1, 2]\n"
    message = problems(text)
    assert message.startswith("Invalid scenarios file what-if.yaml")
    assert (
        "what-if.yaml:3: axes[0].valuez: unknown key 'valuez' (did you mean 'values'?)" in message
    )


INVALID = [
    ("- {kind: traffic, values: [1, abc]}", "what-if.yaml:2: axes[0].values[1]: 'abc' is not a"),
    ("- {kind: price, values: [1, 0]}", "axes[0].values[1]: 0 must be above 0"),
    ("- {kind: traffic, range: [1, 2]}", "axes[0].range: a range needs `sample: N`"),
    ("- {kind: traffic, pricing: spot, values: [1]}", "axes[0].pricing: 'pricing' does not apply"),
    ("- {kind: region_outage}", "what-if.yaml:2: axes[0]: a region_outage axis needs values"),
    ("- {kind: tarffic, values: [1]}", "axes[0].kind: input should be 'traffic'"),
    ("- {kind: traffic, values: [1]}\n- {kind: traffic, values: [2]}", "'traffic' appears twice"),
]  # fmt: skip


@pytest.mark.parametrize(("axes", "expected"), INVALID)
def test_invalid_axes_are_named_precisely(axes, expected):
    assert expected in problems("axes:\n" + axes + "\n")


def test_a_range_is_low_then_high():
    text = "sample: 5\naxes:\n  - {kind: traffic, range: [2, 1]}\n"
    assert "axes[0].range: [2, 1] must be positive and low <= high" in problems(text)


def test_workloads_and_regions_are_checked_against_spec_and_catalog(spec, catalog):
    text = (
        "axes:\n"
        "  - kind: traffic\n"
        "    workloads: [chat, chta]\n"
        "    values: [1, 2]\n"
        "  - kind: region_outage\n"
        "    values: [none, us-est-1]\n"
    )
    message = problems(text, spec, catalog)
    assert "what-if.yaml:3: axes[0].workloads[1]: no workload 'chta' in the spec" in message
    assert "(did you mean 'chat'?)" in message
    assert "what-if.yaml:6: axes[1].values[1]: region 'us-est-1' is not in the catalog" in message
    assert "(did you mean 'us-east-1'?)" in message


def test_invalid_file_exits_2_from_the_cli(cli, tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text("axes:\n  - kind: traffic\n    values: [1, -2]\n")
    result = cli("sweep", SMALL, "--scenarios", bad, "--no-progress")
    assert result.exit_code == 2
    assert f"{bad}:3: axes[0].values[1]: -2 must be above 0" in result.stderr


def test_grid_is_the_cartesian_product_with_stable_ids():
    text = (
        "axes:\n  - {kind: traffic, values: [1, 2, 3]}\n"
        "  - {kind: region_outage, values: [none, us-east-1]}\n"
        "  - {kind: spot_unavailable, providers: [gcp]}\n"
    )
    grid = expand(parse_scenarios(text))
    assert len(grid) == 12
    assert [s.id for s in grid] == sorted(s.id for s in grid)
    assert len({s.id for s in grid}) == 12
    # an id names the what-if, not its place in the file: adding values keeps the others' ids
    wider = expand(parse_scenarios(text.replace("[1, 2, 3]", "[0.5, 1, 2, 3]")))
    assert {s.id for s in grid} < {s.id for s in wider}
    base = next(s for s in grid if s.label == "base")
    assert base.params == {"traffic": 1.0, "outage": None, "no_spot[gcp]": False}


def test_samples_are_seeded_and_rounded():
    text = (
        "sample: 50\nseed: 3\naxes:\n  - {kind: traffic, range: [0.5, 4]}\n"
        "  - {kind: price, providers: [aws], pricing: spot, range: [1, 2]}\n"
        "  - {kind: region_outage, values: [none, us-east-1]}\n"
    )
    first, again = expand(parse_scenarios(text)), expand(parse_scenarios(text))
    assert first == again and len(first) == 50
    assert all(0.5 <= s.params["traffic"] <= 4 for s in first)
    assert all(round(s.params["price[aws,spot]"], 3) == s.params["price[aws,spot]"] for s in first)
    other = expand(parse_scenarios(text.replace("seed: 3", "seed: 4")))
    assert {s.id for s in first} != {s.id for s in other}


def test_each_axis_changes_spec_and_catalog_as_it_says(spec, catalog):
    text = (
        "axes:\n"
        "  - {kind: traffic, workloads: [chat], values: [2]}\n"
        "  - {kind: traffic, name: batch, workloads: [nightly], values: [1.5]}\n"
        "  - {kind: price, providers: [aws], pricing: on_demand, values: [1.5]}\n"
        "  - {kind: region_outage, values: [us-central1]}\n"
        "  - {kind: spot_unavailable, providers: [aws], regions: [us-east-1], values: [true]}\n"
        "  - {kind: quota_scale, values: [0.5]}\n"
    )
    (scenario,) = expand(parse_scenarios(text, "x.yaml", spec, catalog))
    changed, sold = apply(scenario, spec, catalog)
    chat, nightly = changed.workloads
    assert chat.traffic.requests_per_second == 24
    assert nightly.volume.requests == 600_000
    assert changed.constraints.quotas[0].max_accelerators == 4
    before = {o.key: o for o in catalog.offerings}
    assert not any(o.region == "us-central1" for o in sold.offerings)
    for o in sold.offerings:
        old = before[o.key]
        if o.provider == "aws":
            assert o.price_on_demand == pytest.approx(old.price_on_demand * 1.5)
        else:
            assert o.price_on_demand == old.price_on_demand
        if o.provider == "aws" and o.region == "us-east-1":
            assert o.price_spot is None
        else:
            assert o.price_spot == old.price_spot
    # the inputs are values: nothing was changed in place
    assert spec.workloads[0].traffic.requests_per_second == 12
    assert len(catalog.offerings) == len(before)
