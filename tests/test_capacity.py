"""Capacity you already have: reservations at marginal $0, own clusters, edge devices."""

from __future__ import annotations

import itertools
import math
import textwrap

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from planner.catalog import load_catalog
from planner.catalog.load import Catalog
from planner.catalog.offering import Offering
from planner.solve import make_problem, solve, solved
from planner.spec import SpecError, load_spec, parse_spec
from planner.verify import verify
from tests.conftest import PLAN_DATE, ROOT

HYBRID = ROOT / "examples" / "hybrid-fleet.yaml"


def offering(instance, accelerator, price, memory):
    return Offering(
        provider="aws", region="us-east-1", service="ec2", instance_type=instance,
        accelerator=accelerator, accelerator_count=1, accelerator_memory_gb=memory,
        vcpus=4, memory_gib=16, price_on_demand=price,
    )  # fmt: skip


def reserved_spec(rps: float, count: int) -> str:
    return textwrap.dedent(f"""\
        workloads:
          - name: chat
            kind: serving
            model: llama-3.1-8b
            traffic: {{requests_per_second: {rps}, input_tokens: 500, output_tokens: 100}}
            slo: {{tpot_ms: 150}}
        capacity:
          - {{kind: reservation, name: r1, provider: aws, region: us-east-1,
             instance_type: g6.xlarge, count: {count}, committed_per_hour: 3.0,
             term_end: "2099-12-31"}}
        """)


def test_a_small_workload_lands_on_its_reservation_at_no_cost():
    found = solved(parse_spec(reserved_spec(0.2, 4)))
    plan = found.plan
    (alloc,) = plan.allocations
    assert alloc.capacity_pool == "r1" and alloc.cost_per_hour == 0
    (pool,) = plan.capacity
    assert (pool.used, pool.idle) == (1, 3)
    assert pool.idle_commitment_per_hour == pytest.approx(3.0 * 3 / 4)
    assert pool.committed_per_hour == 3.0 and plan.committed_per_hour == 3.0
    saving = next(b for b in found.baselines if b.name == "ignore-owned-capacity")
    assert saving.savings > 0


@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    rps=st.floats(1, 40),
    reserved=st.integers(1, 4),
    prices=st.lists(st.floats(0.3, 9), min_size=2, max_size=2),
)
def test_owned_and_cloud_capacity_mix_at_the_enumerated_optimum(rps, reserved, prices):
    rps = round(rps, 3)
    catalog = Catalog(
        (offering("g6.xlarge", "L4", prices[0], 24), offering("p5.4xlarge", "H100", prices[1], 80))
    )
    spec = parse_spec(reserved_spec(rps, reserved))
    problem = make_problem(spec, catalog)
    cands = problem.candidates["chat"]
    caps = [c.bucket_rps[0] for c in cands]
    bounds = [
        min(reserved, math.ceil(rps / cap) + 1) if c.offering.owned else math.ceil(rps / cap) + 1
        for c, cap in zip(cands, caps, strict=True)
    ]
    best = min(
        sum(n * c.price for n, c in zip(counts, cands, strict=True))
        for counts in itertools.product(*(range(b + 1) for b in bounds))
        if sum(n * cap for n, cap in zip(counts, caps, strict=True)) >= rps - 1e-9
        and sum(counts) >= 1
    )
    plan = solve(spec, catalog, baselines=False)
    assert plan.cost_per_hour == pytest.approx(best, rel=1e-6, abs=1e-5)
    assert verify(plan, spec, catalog) == []


@pytest.fixture(scope="module")
def hybrid():
    spec = load_spec(HYBRID)
    catalog = load_catalog()
    return spec, catalog, solve(spec, catalog, as_of=PLAN_DATE)


def test_hybrid_fleet_fills_owned_capacity_first_and_verifies(hybrid):
    spec, catalog, plan = hybrid
    assert verify(plan, spec, catalog) == []
    pools = {p.name: p for p in plan.capacity}
    # the reservation and the stores' devices are both already paid for: which of them takes
    # the store assistant's traffic is a tie, so only their use (not its split) is pinned
    assert pools["l4-reserved"].used > 0 and pools["stores"].used > 0
    assert pools["dc-frankfurt"].used == pools["dc-frankfurt"].accelerators
    for p in plan.capacity:
        assert p.used + p.idle == p.accelerators
        assert p.idle_commitment_per_hour == pytest.approx(
            p.committed_per_hour * p.idle / p.accelerators
        )
    cloud = [a for a in plan.allocations if not a.capacity_pool]
    assert cloud, "the rest is bought from the clouds (burst)"


def test_edge_latency_adds_the_round_trip_and_respects_the_share(hybrid):
    spec, _, plan = hybrid
    edge = [a for a in plan.allocations if a.service == "edge"]
    assert edge and all(a.capacity_pool == "stores" for a in edge)
    w = next(w for w in spec.workloads if w.name == "store-assistant")
    assert (
        sum(a.routed_rps for a in edge) <= w.edge_share_max * w.traffic.requests_per_second + 1e-6
    )
    from planner.facts import find_accelerator, find_llm
    from planner.perf import SLO, replica_capacity

    device = find_accelerator("jetson-agx-orin")
    cap = replica_capacity(find_llm("llama-3.1-8b"), device, 1, 600, 150,
                           SLO(tpot_ms=80, ttft_ms=1500 - 20), weights_dtype="int4")  # fmt: skip
    assert edge[0].ttft_ms == pytest.approx(cap.ttft_ms + 20, rel=1e-6)


def test_a_model_too_large_for_the_edge_device_is_refused_with_the_reason():
    text = textwrap.dedent("""\
        workloads:
          - name: big
            kind: serving
            model: llama-3.1-70b
            traffic: {requests_per_second: 1, input_tokens: 500, output_tokens: 100}
            edge_share_max: 0.5
            placement: {regions: [us-east-1]}
        capacity:
          - {kind: edge, name: kiosks, device: jetson-orin-nx, devices: 10,
             regions: [us-east-1], rtt_ms: 10}
        """)
    plan = solve(parse_spec(text))
    assert not any(a.service == "edge" for a in plan.allocations)
    (note,) = plan.workloads[0].notes
    assert "edge pool kiosks: llama-3.1-70b at int4 does not fit Jetson-Orin-NX-16GB" in note


def test_capacity_section_errors_name_line_and_field():
    text = reserved_spec(1, 2).replace("count: 2", "count: 0")
    with pytest.raises(SpecError, match=r"capacity\[0\]\.count"):
        parse_spec(text, "fleet.yaml")
    unknown = reserved_spec(1, 2).replace("instance_type: g6.xlarge", "instance_type: x9.huge")
    from planner.errors import InputError

    with pytest.raises(InputError, match=r"capacity\[0\] \(r1\).*x9.huge is not in the catalog"):
        solve(parse_spec(unknown))


def test_an_under_used_commitment_names_the_workload_that_could_move_onto_it():
    text = reserved_spec(1, 8).replace(
        "slo: {tpot_ms: 150}", "slo: {tpot_ms: 150}\n    placement: {regions: [us-west-2]}"
    )
    plan = solve(parse_spec(text))
    (pool,) = plan.capacity
    assert pool.used == 0 and pool.idle == 8
    assert pool.idle_commitment_per_hour == pytest.approx(3.0)
    assert "chat could move onto it if its placement allowed aws us-east-1 L4: saves $" in pool.note


def test_the_report_shows_owned_capacity_used_and_idle(hybrid, tmp_path):
    from planner.report import render_html, render_markdown

    _, _, plan = hybrid
    markdown = render_markdown(plan)
    assert "**Capacity you already have**" in markdown and "l4-reserved" in markdown
    page = render_html(plan)
    assert 'id="capacity"' in page and "dc-frankfurt" in page
