"""The placement solver: optimal on enumerable cases, shared quotas, baselines, infeasibility."""

from __future__ import annotations

import itertools
import json
import math
import textwrap

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from planner.catalog import load_catalog
from planner.catalog.load import Catalog
from planner.catalog.offering import Offering
from planner.errors import InfeasibleError
from planner.solve import make_problem, solve, solved
from planner.spec import load_spec, parse_spec
from planner.verify import verify
from tests.conftest import EXAMPLES


def offering(instance: str, accelerator: str, count: int, price: float, region="us-east-1"):
    return Offering(
        provider="aws", region=region, service="ec2", instance_type=instance,
        accelerator=accelerator, accelerator_count=count,
        accelerator_memory_gb={"L4": 24, "A10G": 24, "H100": 80}[accelerator],
        vcpus=8, memory_gib=32, price_on_demand=price,
    )  # fmt: skip


def serving_spec(rps: float, inp: int, out: int, extra: str = "") -> str:
    return (
        textwrap.dedent(f"""\
        workloads:
          - name: chat
            kind: serving
            model: llama-3.1-8b
            traffic: {{requests_per_second: {rps}, input_tokens: {inp}, output_tokens: {out}}}
            slo: {{tpot_ms: 80}}
            min_replicas: 1
        """)
        + extra
    )


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    rps=st.floats(0.5, 30),
    inp=st.sampled_from([200, 1000, 3000]),
    out=st.sampled_from([50, 200, 500]),
    prices=st.lists(st.floats(0.3, 12), min_size=3, max_size=3),
)
def test_plan_cost_equals_the_enumerated_optimum(rps, inp, out, prices):
    catalog = Catalog(
        tuple(
            sorted(
                [
                    offering("a.l4", "L4", 1, prices[0]),
                    offering("b.a10g", "A10G", 1, prices[1]),
                    offering("c.h100", "H100", 1, prices[2]),
                ],
                key=lambda o: o.key,
            )
        )
    )
    rps = round(rps, 3)
    spec = parse_spec(serving_spec(rps, inp, out))
    problem = make_problem(spec, catalog)
    cands = problem.candidates["chat"]
    caps = [c.bucket_rps[0] for c in cands]
    bounds = [math.ceil(rps / cap) + 1 for cap in caps]
    best = min(
        sum(n * c.price for n, c in zip(counts, cands, strict=True))
        for counts in itertools.product(*(range(b + 1) for b in bounds))
        if sum(n * cap for n, cap in zip(counts, caps, strict=True)) >= rps - 1e-9
        and sum(counts) >= 1
    )
    plan = solve(spec, catalog, baselines=False)
    assert plan.status == "optimal"
    assert verify(plan, spec, catalog) == []
    assert plan.cost_per_hour == pytest.approx(best, rel=1e-6, abs=1e-5)
    assert sum(a.routed_rps for a in plan.allocations) == pytest.approx(rps, rel=1e-6)
    assert all(a.utilisation <= 1 + 1e-9 for a in plan.allocations)


def test_shared_quota_is_respected_and_the_per_workload_baseline_breaks_it():
    catalog = Catalog(
        (
            offering("cheap.h100", "H100", 1, 2.0),
            offering("dear.h100", "H100", 1, 9.0, region="us-west-2"),
        )
    )
    text = serving_spec(40, 1000, 200).replace("name: chat", "name: chat-a") + textwrap.dedent("""\
          - name: chat-b
            kind: serving
            model: llama-3.1-8b
            traffic: {requests_per_second: 40, input_tokens: 1000, output_tokens: 200}
        constraints:
          quotas:
            - {provider: aws, region: us-east-1, accelerator: H100, max_accelerators: 3}
        """)
    found = solved(parse_spec(text), catalog)
    plan = found.plan
    used = sum(a.count for a in plan.allocations if a.region == "us-east-1")
    assert used == 3
    assert any(a.region == "us-west-2" for a in plan.allocations)
    baseline = next(b for b in found.baselines if b.name == "cheapest-single-choice")
    assert baseline.over_quota and "quota 3" in baseline.over_quota[0]


def test_mixed_request_sizes_get_a_cheaper_heterogeneous_fleet():
    found = solved(load_spec(next(p for p in EXAMPLES if p.name == "chatbot-fleet.yaml")))
    plan = found.plan
    chat = [a for a in plan.allocations if a.workload == "chat-8b"]
    single = next(b for b in found.baselines if b.name == "best-single-accelerator-type")
    assert len({a.accelerator for a in chat}) >= 2
    assert single.savings > 0 and plan.cost_per_hour < single.cost_per_hour
    assert len({a.region for a in chat}) >= 2  # min_regions: 2


def test_survive_region_loss_keeps_demand_served_without_any_region():
    spec = load_spec(next(p for p in EXAMPLES if p.name == "chatbot-fleet.yaml"))
    catalog = load_catalog()
    plan = solve(spec, catalog)
    mine = [a for a in plan.allocations if a.workload == "assistant-70b"]
    assert len({a.region for a in mine}) >= 2
    assert verify(plan, spec, catalog) == []  # an LP routes the load with each region lost
    kept = [a for a in plan.allocations if a is not min(mine, key=lambda a: a.routed_rps or 0)]
    thinner = plan.model_copy(update={"allocations": kept})
    messages = "\n".join(str(v) for v in verify(thinner, spec, catalog))
    assert "leaves too little capacity" in messages or "cannot carry" in messages


def test_batch_job_finishes_by_its_deadline_on_spot():
    plan = solve(load_spec(next(p for p in EXAMPLES if p.name == "nightly-batch-spot.yaml")))
    (alloc,) = plan.allocations
    assert alloc.pricing == "spot" and alloc.hours <= 8
    assert plan.job_cost == pytest.approx(alloc.job_cost)


def test_training_is_one_gang_within_quota_and_deadline():
    spec = load_spec(next(p for p in EXAMPLES if p.name == "finetune-with-quota.yaml"))
    plan = solve(spec)
    (alloc,) = plan.allocations
    assert alloc.count * alloc.accelerators_per_instance >= 8
    assert alloc.hours <= 48 and alloc.job_cost > 0
    if (alloc.provider, alloc.region, alloc.accelerator) == ("aws", "us-east-1", "H100"):
        assert alloc.count * alloc.accelerators_per_instance <= 16


def test_residency_and_quota_conflict_is_explained_in_words():
    text = serving_spec(60, 1000, 200) + textwrap.dedent("""\
            placement: {regions: [europe-west4], accelerators: [H100], services: [vm]}
        constraints:
          quotas:
            - {provider: gcp, region: europe-west4, accelerator: H100, max_accelerators: 1}
        """)
    with pytest.raises(InfeasibleError) as caught:
        solve(parse_spec(text))
    message = str(caught.value)
    assert "H100 in gcp europe-west4, but the quota is 1" in message
    assert "chat needs " in message
    assert "chat may only run in europe-west4 (residency)" in message


def test_a_model_too_big_for_every_allowed_instance_is_named():
    text = serving_spec(1, 100, 100).replace("llama-3.1-8b", "llama-3.1-405b") + (
        "    placement: {accelerators: [T4]}\n"
    )
    with pytest.raises(InfeasibleError, match=r"llama-3.1-405b needs 8.. GB"):
        solve(parse_spec(text))


def test_plans_are_deterministic():
    spec = load_spec(next(p for p in EXAMPLES if p.name == "eu-residency.yaml"))
    first, second = solve(spec), solve(spec)
    assert first.model_dump(exclude={"solve_seconds"}) == second.model_dump(
        exclude={"solve_seconds"}
    )


def test_cli_plan_json_and_exit_codes(cli, tmp_path):
    example = next(p for p in EXAMPLES if p.name == "eu-residency.yaml")
    out = tmp_path / "plan.json"
    result = cli("plan", example, "--format", "json", "-o", out)
    assert result.exit_code == 0
    data = json.loads(out.read_text())
    assert data["schema_version"] == 3 and data["allocations"]
    assert {a["region"] for a in data["allocations"]} <= {
        "eu-west-1", "eu-central-1", "europe-west4", "europe-west1", "westeurope",
        "northeurope", "swedencentral",
    }  # fmt: skip
    again = cli("plan", example, "-o", out)
    assert again.exit_code == 2 and "--force" in again.stderr
    bad = tmp_path / "infeasible.yaml"
    bad.write_text(serving_spec(1, 100, 100).replace("llama-3.1-8b", "llama-3.1-405b")
                   + "    placement: {accelerators: [T4]}\n")  # fmt: skip
    infeasible = cli("plan", bad)
    assert infeasible.exit_code == 3 and "No plan" in infeasible.stderr


def test_cli_plan_applies_a_quotas_file(cli, tmp_path):
    example = next(p for p in EXAMPLES if p.name == "chatbot-fleet.yaml")
    quotas = tmp_path / "quotas.yaml"
    quotas.write_text(
        "quotas:\n"
        "  - {provider: aws, region: us-east-1, accelerator: H100, max_accelerators: 0}\n"
        "  - {provider: aws, region: us-west-2, accelerator: H100, max_accelerators: 0}\n"
    )
    result = cli("plan", example, "--quotas", quotas, "--format", "json")
    assert result.exit_code == 0
    plan = json.loads(result.stdout)
    assert not any(
        (a["provider"], a["region"], a["accelerator"]) in {("aws", "us-east-1", "H100"),
                                                          ("aws", "us-west-2", "H100")}
        for a in plan["allocations"]
    )  # fmt: skip


def test_verify_checks_a_plan_against_the_quotas_it_was_made_with(cli, tmp_path):
    example = next(p for p in EXAMPLES if p.name == "eu-residency.yaml")
    quotas = tmp_path / "quotas.yaml"
    quotas.write_text(
        "quotas:\n  - {provider: aws, region: eu-west-1, accelerator: H100, max_accelerators: 0}\n"
    )
    plan = tmp_path / "plan.json"
    assert cli("plan", example, "--quotas", quotas, "-o", plan).exit_code == 0
    without = cli("verify", plan, example)
    assert without.exit_code == 1 and "spec" in without.stderr  # another spec than planned
    paired = cli("verify", plan, example, "--quotas", quotas)
    assert paired.exit_code == 0, paired.stderr


def test_python_api_plans_a_spec_file_without_printing(capsys):
    import planner

    fleet = planner.plan(EXAMPLES[0], ["bundled"])
    assert isinstance(fleet, planner.Plan) and fleet.allocations
    import planner.solve  # the subpackage must not shadow the API function

    assert callable(planner.plan)
    assert capsys.readouterr().out == ""
