"""`verify` re-checks plans independently: solver plans pass, tampered plans are caught."""

from __future__ import annotations

import pytest

from planner.catalog import load_catalog
from planner.solve import solve
from planner.spec import load_spec
from tests.conftest import EXAMPLES

BY_NAME = {p.name: p for p in EXAMPLES}


@pytest.fixture(scope="module")
def catalog():
    return load_catalog()


@pytest.fixture(scope="module")
def residency(catalog):
    spec = load_spec(BY_NAME["eu-residency.yaml"])
    return spec, solve(spec, catalog, baselines=False)


@pytest.mark.parametrize("name", sorted(BY_NAME))
def test_every_example_plan_passes_verify(name, catalog):
    from planner.verify import verify

    spec = load_spec(BY_NAME[name])
    assert verify(solve(spec, catalog, baselines=False), spec, catalog) == []


def tampered(plan, index=0, **changes):
    allocations = list(plan.allocations)
    allocations[index] = allocations[index].model_copy(update=changes)
    return plan.model_copy(update={"allocations": allocations})


def messages(plan, spec, catalog):
    from planner.verify import verify

    return "\n".join(str(v) for v in verify(plan, spec, catalog))


def test_too_few_instances_are_caught(residency, catalog):
    spec, plan = residency
    shrunk = plan.model_copy(update={"allocations": plan.allocations[:1]})
    assert "cannot carry" in messages(shrunk, spec, catalog)


def test_a_region_outside_residency_is_caught(residency, catalog):
    spec, plan = residency
    a = plan.allocations[0]
    moved = next(
        o
        for o in catalog
        if (o.provider, o.service, o.instance_type) == (a.provider, a.service, a.instance_type)
        and o.region.startswith(("us-", "eastus"))
    )
    text = messages(
        tampered(
            plan,
            region=moved.region,
            price_per_hour=moved.price_on_demand,
            cost_per_hour=a.count * moved.price_on_demand,
        ),
        spec,
        catalog,
    )
    assert f"region {moved.region} breaks residency" in text


def test_wrong_prices_and_unknown_offerings_are_caught(residency, catalog):
    spec, plan = residency
    assert "differs from the catalog" in messages(
        tampered(plan, price_per_hour=0.01), spec, catalog
    )
    assert "not in the catalog" in messages(tampered(plan, instance_type="x9.huge"), spec, catalog)


def test_spot_where_not_allowed_is_caught(residency, catalog):
    spec, plan = residency
    assert "spot is not allowed" in messages(tampered(plan, pricing="spot"), spec, catalog)


def test_quota_and_budget_breaches_are_caught(catalog):
    spec = load_spec(BY_NAME["finetune-with-quota.yaml"])
    plan = solve(spec, catalog, baselines=False)
    # 3 x p5.48xlarge in us-east-1 hold 24 H100, past the example's quota of 16 (whatever
    # instance type the solver picked for the job)
    big = tampered(plan, provider="aws", region="us-east-1", service="ec2",
                   instance_type="p5.48xlarge", accelerator="H100", accelerators_per_instance=8,
                   count=3, price_per_hour=55.04, cost_per_hour=0.0, calibration=None)  # fmt: skip
    text = messages(big, spec, catalog)
    assert "quota" in text


def test_cli_verify_exit_codes(cli, tmp_path, residency):
    _, plan = residency
    good = tmp_path / "plan.json"
    good.write_text(plan.model_dump_json())
    ok = cli("verify", good, BY_NAME["eu-residency.yaml"])
    assert ok.exit_code == 0 and ok.stdout.startswith("OK")
    bad = tmp_path / "bad.json"
    bad.write_text(tampered(plan, pricing="spot").model_dump_json())
    failed = cli("verify", bad, BY_NAME["eu-residency.yaml"])
    assert failed.exit_code == 1 and "spot is not allowed" in failed.stderr
    broken = tmp_path / "broken.json"
    broken.write_text('{"status": "optimal"}')
    assert cli("verify", broken, BY_NAME["eu-residency.yaml"]).exit_code == 2


@pytest.mark.parametrize("requests", [9_000 + 1_337 * k for k in range(12)])
def test_small_batch_jobs_pass_verify_despite_hours_stored_to_six_decimals(requests, catalog):
    """A plan file keeps hours to 1e-6 h; a job of a few minutes must not read as unfinished
    because its stored hours were rounded down (1,000-workload fleets showed it)."""
    from planner.spec.load import parse_spec
    from planner.verify import verify

    spec = parse_spec(
        "workloads:\n"
        "  - {name: tiny, kind: batch, model: qwen2.5-7b, deadline_hours: 8, preemptible: true,\n"
        f"     volume: {{requests: {requests}, input_tokens: 900, output_tokens: 120}}}}\n",
        "tiny.yaml",
    )
    plan = solve(spec, catalog, baselines=False)
    assert verify(plan, spec, catalog) == []
    short = tampered(plan, hours=plan.allocations[0].hours * 0.99)
    assert "completes" in messages(short, spec, catalog)


def test_full_instances_pass_verify_despite_rates_stored_to_six_decimals(catalog):
    """A plan file keeps requests/s to 1e-6; instances the solver filled exactly must not read as
    over capacity because a slow bucket's rate was rounded up by half a millionth (5,000-workload
    fleets showed it), while a real overload still does."""
    from planner.plans.model import BucketRate
    from planner.solve import make_problem
    from planner.spec.load import parse_spec

    spec = parse_spec(
        "workloads:\n"
        "  - {name: long, kind: serving, model: llama-3.1-70b,\n"
        "     traffic: {requests_per_second: 0.3, input_tokens: 6000, output_tokens: 2000},\n"
        "     placement: {providers: [aws], accelerators: [A10G]}}\n",
        "long.yaml",
    )
    plan = solve(spec, catalog, baselines=False)
    (a,) = plan.allocations
    (c,) = [
        c
        for c in make_problem(spec, catalog).candidates["long"]
        if (c.offering.instance_type, c.offering.region, c.pricing, c.tp)
        == (a.instance_type, a.region, a.pricing, a.tp)
    ]
    (capacity,) = c.bucket_rps
    assert capacity < 0.1  # slow enough that half a millionth of a request/s shows

    def filled(rps: float) -> str:
        (bucket,) = a.routed_by_bucket
        rates = [bucket.model_copy(update={"rps": rps})]
        assert isinstance(rates[0], BucketRate)
        return messages(tampered(plan, routed_by_bucket=rates), spec, catalog)

    assert "instances' capacity" not in filled(a.count * capacity + 5e-7)
    assert "instances' capacity" in filled(a.count * capacity * 1.001)
