"""A realistic, seeded generator of fleets to plan: the input of the scale and quality benchmarks.

Model mix weighted towards small models; request rates log-uniform from 0.1 to 200 rps; one to
three request-size buckets; a share of batch and training jobs; some workloads kept to EU or US
regions; quotas on the busiest pools set below what an unconstrained plan would use, so they bind.
"""

from __future__ import annotations

import math
import random
from collections import Counter

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
