"""A realistic, seeded generator of fleets to plan: the input of the scale and quality benchmarks.

Model mix weighted towards small models; request rates log-uniform from 0.1 to 200 rps; one to
three request-size buckets; a share of batch and training jobs; some workloads kept to EU or US
regions; quotas on the busiest pools set below what an unconstrained plan would use, so they bind.
"""

from __future__ import annotations

import math
import random
from collections import Counter
from dataclasses import dataclass

from planner.spec.models import Spec

MODELS = [
    ("llama-3.2-3b", 3), ("llama-3.1-8b", 6), ("mistral-7b", 3), ("qwen2.5-7b", 3),
    ("gemma-2-9b", 2), ("qwen2.5-14b", 2), ("gemma-2-27b", 1), ("qwen2.5-32b", 1),
    ("mixtral-8x7b", 1), ("llama-3.1-70b", 2), ("qwen2.5-72b", 1),
]  # fmt: skip
SHAPES = [(200, 100), (500, 150), (1000, 250), (2000, 300), (4000, 400), (8000, 500)]
EU = ["eu-west-1", "eu-central-1", "europe-west4", "europe-west1", "westeurope", "northeurope",
      "swedencentral"]  # fmt: skip
US = ["us-east-1", "us-east-2", "us-west-2", "us-central1", "us-east4", "us-west1", "eastus",
      "eastus2", "westus2", "westus3", "southcentralus"]  # fmt: skip
HOURLY = [0.3, 0.25, 0.2, 0.2, 0.2, 0.25, 0.35, 0.5, 0.7, 0.85, 0.95, 1.0,
          1.0, 0.95, 0.95, 0.9, 0.9, 0.85, 0.8, 0.7, 0.6, 0.5, 0.4, 0.35]  # fmt: skip


def _buckets(rng: random.Random, model: str) -> dict:
    from planner.facts import find_llm

    context = find_llm(model).max_context
    fitting = [s for s in SHAPES if s[0] + s[1] <= context]
    count = min(rng.choice([1, 1, 2, 3]), len(fitting))
    shapes = sorted(rng.sample(fitting, count))
    weights = [rng.uniform(0.2, 1.0) for _ in shapes]
    total = sum(weights)
    fractions = [round(w / total, 4) for w in weights]
    fractions[-1] = round(1 - sum(fractions[:-1]), 4)
    if count == 1:
        return {"input_tokens": shapes[0][0], "output_tokens": shapes[0][1]}
    return {
        "buckets": [
            {"input_tokens": i, "output_tokens": o, "fraction": f}
            for (i, o), f in zip(shapes, fractions, strict=True)
        ]
    }


def _placement(rng: random.Random) -> dict:
    roll = rng.random()
    if roll < 0.15:
        return {"regions": EU}
    if roll < 0.30:
        return {"regions": US}
    if roll < 0.40:
        return {"providers": [rng.choice(["aws", "gcp", "azure"])]}
    return {}


def _model(rng: random.Random) -> str:
    names, weights = zip(*MODELS, strict=True)
    return rng.choices(names, weights)[0]


def generate_fleet(
    workloads: int, seed: int = 0, batch_share: float = 0.1, training_share: float = 0.05
) -> dict:
    """A spec (as data) with `workloads` workloads; the same seed always gives the same fleet."""
    rng = random.Random(seed)
    items = []
    for i in range(workloads):
        roll = rng.random()
        placement = _placement(rng)
        if roll < training_share:
            gang, deadline = rng.choice([1, 2, 4, 8]), rng.choice([24, 48, 96])
            items.append({
                "name": f"train-{i}", "kind": "training",
                "gpu_hours": round(rng.uniform(0.05, 0.5) * gang * deadline, 1),
                "reference_accelerator": "A100-80GB", "gang_size": gang, "deadline_hours": deadline,
                "preemptible": rng.random() < 0.5, "placement": placement,
            })  # fmt: skip
        elif roll < training_share + batch_share:
            shape = rng.choice(SHAPES[:4])
            items.append({
                "name": f"batch-{i}", "kind": "batch", "model": _model(rng),
                "volume": {"requests": int(10 ** rng.uniform(4, 6.5)), "input_tokens": shape[0],
                           "output_tokens": shape[1]},
                "deadline_hours": rng.choice([4, 8, 12, 24]), "preemptible": rng.random() < 0.7,
                "placement": placement,
            })  # fmt: skip
        else:
            model = _model(rng)
            traffic = {"requests_per_second": round(math.exp(rng.uniform(math.log(0.1),
                                                                         math.log(200))), 3),
                       **_buckets(rng, model)}  # fmt: skip
            if rng.random() < 0.3:
                traffic["hourly_profile"] = HOURLY
            items.append({
                "name": f"svc-{i}", "kind": "serving", "model": model, "traffic": traffic,
                "slo": {"tpot_ms": rng.choice([40, 60, 80, 120]),
                        "ttft_p95_ms": rng.choice([1000, 2000, 5000])},
                "min_replicas": 1, "placement": placement,
            })  # fmt: skip
    return {"workloads": items, "constraints": {"objective": "cost"}}


def binding_quotas(plan, share: float = 0.6, pools: int = 12) -> list[dict]:
    """Quotas on the `pools` busiest (provider, region, accelerator) pools of an unconstrained
    plan, each at `share` of what that plan uses there: they bind."""
    used: Counter[tuple[str, str, str]] = Counter()
    for a in plan.allocations:
        used[(a.provider, a.region, a.accelerator)] += a.count * a.accelerators_per_instance
    busiest = sorted(used.items(), key=lambda item: (-item[1], item[0]))[:pools]
    return [
        {"provider": p, "region": r, "accelerator": acc,
         "max_accelerators": max(1, int(n * share))}
        for (p, r, acc), n in busiest
    ]  # fmt: skip


def fleet_spec(workloads: int, seed: int = 0, quotas: list[dict] | None = None) -> Spec:
    """The generated fleet as a validated Spec, with `quotas` added."""
    from planner.spec import parse_spec

    data = generate_fleet(workloads, seed)
    if quotas:
        data["constraints"]["quotas"] = quotas
    import yaml

    class NoAliases(yaml.SafeDumper):
        """Each shared region list or hourly profile written out in full: the planner reads
        at most 1,000 YAML aliases, and a 5,000-workload fleet would need more."""

        def ignore_aliases(self, data) -> bool:
            return True

    text = yaml.dump(data, Dumper=NoAliases, sort_keys=False)
    return parse_spec(text, f"<fleet {workloads} seed {seed}>")


# ---------------------------------------------------------------------------------------------
# Fleet shapes: the knobs that change the problem's structure, and a matrix of contrasting ones.


@dataclass(frozen=True)
class Shape:
    """The structure of a generated fleet and of the market it is planned on.

    Every knob is a property of the problem, never a solver setting: the same strategy and
    defaults plan every shape."""

    name: str
    about: str
    regions_per_cloud: int = 0
    """Regions kept per cloud, the busiest by offerings (0: every region of the catalog)."""
    offerings_per_region: int = 0
    """Offerings kept per region: one of each accelerator sold there, then a seeded sample up
    to this many (0: all)."""
    clouds: tuple[str, ...] = ("aws", "gcp", "azure")
    profiles: bool = False
    """Measured profiles for every model x accelerator x request size x TP x SLO of the fleet
    (zero where the model does not fit), standing in for the roofline: a seeded factor of
    0.6-1.4 on its figure per (model, accelerator, TP, size), so capacities are no longer
    proportional across request sizes."""
    pools: int = 12
    """Quota pools that bind: the busiest of the unconstrained plan."""
    tightness: tuple[float, float] = (0.6, 0.6)
    """Each pool's quota, a seeded share of the unconstrained plan's use in this range."""
    all_region_share: float = 0.6
    """Workloads allowed in every region; the others are kept to EU, US or one cloud."""
    spot_share: float = 0.0
    """Serving workloads that may use spot capacity."""
    models: tuple[tuple[str, int], ...] = tuple(MODELS)
    """(model, weight) of the mix."""
    max_buckets: int = 3
    """Request-size buckets per serving workload: one to this many."""
    shared_share: float = 0.0
    """Serving workloads whose replicas may share VM instances with other workloads."""
    owned_share: float = 0.0
    """Owned clusters sized at this share of the unconstrained plan's GPUs (0: none)."""
    batch_share: float = 0.1
    training_share: float = 0.05
    slos: tuple[tuple[int, ...], tuple[int, ...]] = ((40, 60, 80, 120), (1000, 2000, 5000))
    """(tpot_ms choices, ttft_p95_ms choices)."""


ISSUE_MODELS = (("mistral-7b", 3), ("llama-3.1-8b", 3), ("qwen2.5-32b", 2), ("llama-3.1-70b", 2))

MATRIX: dict[str, Shape] = {
    s.name: s
    for s in (
        Shape("reference", "the fleet of the earlier scale tables: every region of the bundled "
              "catalog, roofline, 12 pools at 60%, no spot for serving"),
        Shape("unseen", "3 clouds x 5 regions, ~290 offerings, measured profiles, 10 pools at "
              "40-80%, 4 models 7B-70B, 70% all-region, 30% spot",
              regions_per_cloud=5, offerings_per_region=22, profiles=True, pools=10,
              tightness=(0.4, 0.8), all_region_share=0.7, spot_share=0.3, models=ISSUE_MODELS),
        Shape("resident", "most workloads kept to EU or US regions or one cloud, 12 offerings "
              "a region, 16 tight pools (40-50%)",
              regions_per_cloud=4, offerings_per_region=12, pools=16, tightness=(0.4, 0.5),
              all_region_share=0.1),
        Shape("large-models", "70B-class models needing TP 4-8 on most workloads, three "
              "request sizes each, measured profiles, 8 pools at 50-70%",
              profiles=True, pools=8, tightness=(0.5, 0.7),
              models=(("llama-3.1-70b", 4), ("qwen2.5-72b", 3), ("mixtral-8x7b", 2),
                      ("llama-3.1-8b", 1)), max_buckets=3),
        Shape("spot-wide", "90% spot-eligible, one request size, 24 loosely binding pools "
              "(70-80%), single-bucket serving, no jobs",
              spot_share=0.9, pools=24, tightness=(0.7, 0.8), max_buckets=1, batch_share=0.0,
              training_share=0.0, all_region_share=0.9),
        Shape("owned", "owned GPU clusters holding 15% of the fleet's draw, half the workloads "
              "spot-eligible, 6 pools at 50%, two clouds",
              clouds=("aws", "gcp"), owned_share=0.15, spot_share=0.5, pools=6,
              tightness=(0.5, 0.5)),
        Shape("shared", "a fifth of the serving workloads may share VM instances, 8 pools at 60%",
              shared_share=0.2, pools=8),
    )
}  # fmt: skip
"""The benchmark matrix (benchmarks/matrix.py): contrasting shapes, one set of solver defaults."""


def _shape_placement(rng: random.Random, shape: Shape) -> dict:
    if rng.random() < shape.all_region_share:
        return {}
    roll = rng.random()
    if roll < 0.4:
        return {"regions": EU}
    if roll < 0.8:
        return {"regions": US}
    return {"providers": [rng.choice(list(shape.clouds))]}


def _shape_buckets(rng: random.Random, model: str, most: int) -> dict:
    from planner.facts import find_llm

    context = find_llm(model).max_context
    fitting = [s for s in SHAPES if s[0] + s[1] <= context]
    count = min(rng.randint(1, most), len(fitting))
    shapes = sorted(rng.sample(fitting, count))
    if count == 1:
        return {"input_tokens": shapes[0][0], "output_tokens": shapes[0][1]}
    weights = [rng.uniform(0.2, 1.0) for _ in shapes]
    fractions = [round(w / sum(weights), 4) for w in weights]
    fractions[-1] = round(1 - sum(fractions[:-1]), 4)
    return {
        "buckets": [
            {"input_tokens": i, "output_tokens": o, "fraction": f}
            for (i, o), f in zip(shapes, fractions, strict=True)
        ]
    }


def shaped_fleet(shape: Shape, workloads: int, seed: int = 1) -> dict:
    """A spec (as data) of `workloads` workloads of `shape`, without quotas or owned capacity;
    the same (shape, size, seed) always gives the same fleet, and a larger fleet starts with
    the smaller one's workloads."""
    rng = random.Random(f"{shape.name}:{seed}")
    names, weights = zip(*shape.models, strict=True)
    tpots, ttfts = shape.slos
    items = []
    for i in range(workloads):
        roll = rng.random()
        placement = _shape_placement(rng, shape)
        if roll < shape.training_share:
            gang, deadline = rng.choice([1, 2, 4, 8]), rng.choice([24, 48, 96])
            items.append({
                "name": f"train-{i}", "kind": "training",
                "gpu_hours": round(rng.uniform(0.05, 0.5) * gang * deadline, 1),
                "reference_accelerator": "A100-80GB", "gang_size": gang, "deadline_hours": deadline,
                "preemptible": rng.random() < 0.5, "placement": placement,
            })  # fmt: skip
        elif roll < shape.training_share + shape.batch_share:
            size = rng.choice(SHAPES[:4])
            items.append({
                "name": f"batch-{i}", "kind": "batch", "model": rng.choices(names, weights)[0],
                "volume": {"requests": int(10 ** rng.uniform(4, 6.5)), "input_tokens": size[0],
                           "output_tokens": size[1]},
                "deadline_hours": rng.choice([4, 8, 12, 24]), "preemptible": rng.random() < 0.7,
                "placement": placement,
            })  # fmt: skip
        else:
            model = rng.choices(names, weights)[0]
            rate = round(math.exp(rng.uniform(math.log(0.1), math.log(200))), 3)
            traffic = {"requests_per_second": rate,
                       **_shape_buckets(rng, model, shape.max_buckets)}  # fmt: skip
            if rng.random() < 0.3:
                traffic["hourly_profile"] = HOURLY
            if rng.random() < shape.spot_share:
                placement = {**placement, "spot": True}
            item = {
                "name": f"svc-{i}", "kind": "serving", "model": model, "traffic": traffic,
                "slo": {"tpot_ms": rng.choice(tpots), "ttft_p95_ms": rng.choice(ttfts)},
                "min_replicas": 1, "placement": placement,
            }  # fmt: skip
            if rng.random() < shape.shared_share:
                item["sharing"] = "shared"
            items.append(item)
    return {"workloads": items, "constraints": {"objective": "cost"}}


def shape_catalog(shape: Shape, bundled_csv: str, seed: int = 1) -> str:
    """The bundled catalog's CSV cut down to the shape's clouds, regions and offerings per
    region (comment lines kept: they state the source)."""
    import csv
    import io

    lines = bundled_csv.splitlines()
    comments = [x for x in lines if x.startswith("#")]
    body = [x for x in lines if x and not x.startswith("#")]
    rows = list(csv.DictReader(io.StringIO("\n".join(body))))
    rows = [r for r in rows if r["provider"] in shape.clouds]
    by_region: dict[tuple[str, str], list[dict]] = {}
    for r in rows:
        by_region.setdefault((r["provider"], r["region"]), []).append(r)
    keep: list[dict] = []
    rng = random.Random(f"{shape.name}:catalog:{seed}")
    for cloud in shape.clouds:
        regions = sorted((k for k in by_region if k[0] == cloud),
                         key=lambda k: (-len(by_region[k]), k))  # fmt: skip
        if shape.regions_per_cloud:
            regions = regions[: shape.regions_per_cloud]
        for k in regions:
            here = by_region[k]
            if shape.offerings_per_region and len(here) > shape.offerings_per_region:
                # one of each accelerator first (every model stays servable), then a sample
                first: dict[str, dict] = {}
                for r in rng.sample(here, len(here)):
                    first.setdefault(r["accelerator"], r)
                rest = [r for r in here if r not in first.values()]
                more = max(0, shape.offerings_per_region - len(first))
                here = list(first.values()) + rng.sample(rest, min(more, len(rest)))
            keep += here
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=list(rows[0]), lineterminator="\n")
    writer.writeheader()
    for r in sorted(keep, key=lambda r: tuple(r.values())):
        writer.writerow(r)
    note = f"# Cut down for the benchmark shape {shape.name!r} (benchmarks/fleet.py)."
    return "\n".join([*comments, note]) + "\n" + out.getvalue()


def shape_profiles(shape: Shape, offerings, seed: int = 1) -> str:
    """Profiles CSV for every model of the mix x accelerator of `offerings` x request size x
    TP x TPOT target of the shape: the roofline's figure times a seeded factor of 0.6-1.4 per
    (model, accelerator, TP, size), at the TTFT the roofline gives, 0 where the model does not
    fit. Benchmark input, not measurements."""
    from planner.facts import find_accelerator, find_llm
    from planner.perf import SLO, replica_capacity
    from planner.perf.parallel import tp_problem

    accelerators = sorted({o.accelerator for o in offerings if find_accelerator(o.accelerator)})
    rows = ["# Benchmark input generated by benchmarks/fleet.py (shape_profiles): the roofline's",
            "# figures times seeded factors, standing in for measurements. Not measured.",
            "model,accelerator,tp,input_tokens,output_tokens,max_rps,tpot_ms,ttft_ms"]  # fmt: skip
    rng = random.Random(f"{shape.name}:profiles:{seed}")
    for name, _ in shape.models:
        model = find_llm(name)
        for acc_name in accelerators:
            acc = find_accelerator(acc_name)
            for tp in (1, 2, 4, 8):
                if tp_problem(model, tp, accelerator=acc):
                    continue
                for i, o in SHAPES:
                    if i + o > model.max_context:
                        continue
                    factor = rng.uniform(0.6, 1.4)
                    for tpot in shape.slos[0]:
                        # measured at the TTFT the replica showed (the row then serves every
                        # looser TTFT target, with room left for queueing)
                        cap = replica_capacity(model, acc, tp, i, o, SLO(tpot, min(shape.slos[1])))
                        rps = round(cap.max_rps * factor, 4) if cap.max_rps > 0 else 0.0
                        ttft = math.ceil(cap.ttft_ms) if rps else min(shape.slos[1])
                        rows.append(f"{model.name},{acc.name},{tp},{i},{o},{rps},{tpot},{ttft}")
    return "\n".join(rows) + "\n"


def shaped_quotas(plan, shape: Shape, seed: int = 1) -> list[dict]:
    """Quotas on the shape's number of busiest pools of an unconstrained plan, each at a
    seeded share (the shape's tightness range) of that plan's use there."""
    used: Counter[tuple[str, str, str]] = Counter()
    for a in plan.allocations:
        if a.provider != "owned":
            used[(a.provider, a.region, a.accelerator)] += a.count * a.accelerators_per_instance
    busiest = sorted(used.items(), key=lambda item: (-item[1], item[0]))[: shape.pools]
    rng = random.Random(f"{shape.name}:quotas:{seed}")
    low, high = shape.tightness
    return [
        {"provider": p, "region": r, "accelerator": acc,
         "max_accelerators": max(1, int(n * rng.uniform(low, high)))}
        for (p, r, acc), n in busiest
    ]  # fmt: skip


def shaped_owned(plan, shape: Shape) -> list[dict]:
    """Owned clusters of the two accelerators the unconstrained plan uses most, together
    `owned_share` of its GPUs, at an amortised rate of half the cheapest cloud price seen."""
    if not shape.owned_share:
        return []
    used: Counter[str] = Counter()
    price: dict[str, float] = {}
    for a in plan.allocations:
        gpus = a.count * a.accelerators_per_instance
        used[a.accelerator] += gpus
        per_gpu = a.cost_per_hour / max(gpus, 1)
        price[a.accelerator] = min(price.get(a.accelerator, math.inf), per_gpu)
    total = sum(used.values())
    out = []
    for k, (acc, _) in enumerate(sorted(used.items(), key=lambda x: (-x[1], x[0]))[:2]):
        nodes = max(1, round(total * shape.owned_share / 2 / 8))
        out.append({"kind": "cluster", "name": f"site-{k}", "accelerator": acc,
                    "gpus_per_node": 8, "nodes": nodes,
                    "cost_per_gpu_hour": round(price[acc] / 2, 4)})  # fmt: skip
    return out


def dump_spec(data: dict) -> str:
    """`data` as YAML with every shared list written out (the planner reads at most 1,000
    aliases)."""
    import yaml

    class NoAliases(yaml.SafeDumper):
        def ignore_aliases(self, data) -> bool:
            return True

    return yaml.dump(data, Dumper=NoAliases, sort_keys=False)
