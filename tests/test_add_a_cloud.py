"""Adding a cloud is two objects: a Cloud (planner/clouds) and a Provider (providers/), each
registered through its registry's public function. With nothing else, a new cloud's prices are
refreshed from its API (a local server here), and it is planned, verified, emitted for every
target, reported and exported (FOCUS), launched and torn down through its provider's launcher and
observed through its provider's metrics source, without a traceback; a cloud whose provider lacks
a launcher or a metrics source exits 2 naming it."""

from __future__ import annotations

import csv
import io
import json
import re
import urllib.request
from pathlib import Path
from typing import Any

import pytest
import yaml

from planner import clouds
from planner.catalog import Offering
from planner.clouds import Cloud, Kubernetes, RayLauncher, Region, Service
from providers import provider as provider_registry
from providers.provider import (
    Launcher,
    LaunchOptions,
    Metrics,
    MetricsOptions,
    Provider,
    Request,
)
from tests.fakes.server import FakeServer, Reply
from tests.fakes.server import Request as Received

ACME_VM = Service("acme-vm", "acme", "vm", title="Acme Compute")
ACME = Cloud(
    name="acme",
    title="Acme Cloud",
    services=(ACME_VM,),
    regions=(Region("acme-east", "US", "Acme East (Ohio)"), Region("acme-fr", "FR", "Paris")),
    focus_name="Acme Corporation",
    kubernetes=Kubernetes(
        service="AKE",
        capacity_label="acme.example/capacity",
        spot_value="spot",
        on_demand_value="on-demand",
        spot_taint=True,
    ),
    ray=RayLauncher(
        head_machine="c8.large",
        provider=lambda region, zone, name, project: {
            "type": "external",
            "module": "acme_ray.AcmeNodeProvider",
            "region": region,
        },
        head=lambda machine: {"InstanceType": machine},
        worker=lambda node: {"InstanceType": node.instance_type, "Spot": node.spot},
    ),
    family=lambda instance_type: instance_type.split("-", 1)[0],
)
PRICE_LIST = {
    "instances": [
        {"region": "acme-east", "type": "g1-l4x1", "gpu": "L4", "gpus": 1, "vcpus": 8,
         "memory_gib": 32, "hourly": 0.41, "spot_hourly": 0.17},
        {"region": "acme-east", "type": "g1-l4x4", "gpu": "L4", "gpus": 4, "vcpus": 48,
         "memory_gib": 192, "hourly": 1.70, "spot_hourly": 0.70},
        {"region": "acme-east", "type": "h1-h100x8", "gpu": "H100", "gpus": 8, "vcpus": 192,
         "memory_gib": 2048, "hourly": 19.90, "spot_hourly": None},
    ]
}  # fmt: skip
"""What Acme's (made-up) price API answers: the small catalog of this test."""


def _acme_prices(request: Request):
    """Acme's price refresh: one GET of its price list, one offering per listed instance."""
    from providers.refresh_common import RefreshResult

    url = request.endpoint("prices")
    assert url is not None, "the test always points Acme's API at its local server"
    listed = request.ctx.http().get_json(f"{url}/v1/prices")["instances"]
    wanted = set(request.regions or {row["region"] for row in listed})
    offerings = tuple(
        Offering(
            provider="acme",
            region=row["region"],
            service="acme-vm",
            instance_type=row["type"],
            accelerator=row["gpu"],
            accelerator_count=row["gpus"],
            accelerator_memory_gb={"L4": 24, "H100": 80}[row["gpu"]],
            vcpus=row["vcpus"],
            memory_gib=row["memory_gib"],
            price_on_demand=row["hourly"],
            price_spot=row["spot_hourly"],
            source="acme-price-api",
            as_of=request.ctx.as_of,
        )
        for row in listed
        if row["region"] in wanted
    )
    return RefreshResult(
        provider="acme",
        offerings=offerings,
        refreshed=frozenset(("acme", r, "acme-vm") for r in wanted),
        covers=re.compile(".*"),
        sources=("Acme price API /v1/prices",),
    )


def _acme_calls(plan: Any, verb: str, options: LaunchOptions) -> list[Any]:
    """Acme's endpoint API: one POST per serving workload on Acme (made-up, like its prices)."""
    from providers.launch import Call

    replicas: dict[tuple[str, str, str], int] = {}
    for a in plan.allocations:
        if a.provider == "acme" and a.kind == "serving":
            key = (a.workload, a.region, a.instance_type)
            replicas[key] = replicas.get(key, 0) + a.count
    if verb == "launch":
        return [
            Call("acme-serve", region, f"POST /v1/endpoints/{name}",
                 {"instance_type": itype, "replicas": n, "model": "from-plan"})
            for (name, region, itype), n in sorted(replicas.items())
        ]  # fmt: skip
    return [
        Call("acme-serve", region, f"POST /v1/endpoints/{name}:delete", {})
        for (name, region, _), _n in sorted(replicas.items())
    ]


def _acme_apply(plan: Any, verb: str, options: LaunchOptions) -> Any:
    """Make Acme's calls against options.endpoint_url (the test's local server)."""
    from providers.launch import Report

    assert options.endpoint_url, "the test always points Acme's API at its local server"
    report = Report()
    for call in _acme_calls(plan, verb, options):
        path = call.operation.split(" ", 1)[1]
        sent = urllib.request.Request(
            options.endpoint_url + path,
            data=json.dumps(call.body).encode(),
            method="POST",
            headers={"Content-Type": "application/json"},
        )
        with urllib.request.urlopen(sent, timeout=10) as answer:
            state = json.loads(answer.read())["state"]
        report.changed(f"{path}: {state}")
    return report


class _AcmeMonitor:
    """Acme's metrics API: requests per second of each endpoint over a window."""

    def __init__(self, url: str):
        self.url = url

    def observe(self, plan: Any, window_s: float, step_s: float, now: float) -> Any:
        from planner.observe.model import Observation, WorkloadObservation

        with urllib.request.urlopen(f"{self.url}/v1/metrics", timeout=10) as answer:
            rates = json.loads(answer.read())["rps"]
        serving = sorted({a.workload for a in plan.allocations if a.kind == "serving"})
        return Observation(
            source="acme-monitor",
            url=self.url,
            plan_id=plan.plan_id,
            start=now - window_s,
            end=now,
            step_s=step_s,
            workloads=tuple(
                WorkloadObservation(workload=w, status="ok", rps_mean=rates[w], rps_p95=rates[w])
                if w in rates
                else WorkloadObservation(workload=w, status="no data")
                for w in serving
            ),
        )


def _acme_monitor(options: MetricsOptions) -> _AcmeMonitor:
    assert options.url, "the test always points Acme's metrics at its local server"
    return _AcmeMonitor(options.url)


ACME_PROVIDER = Provider(
    cloud="acme",
    endpoint_services=("prices",),
    prices=_acme_prices,
    launchers=(Launcher("acme-endpoints", "Acme Endpoints", _acme_calls, _acme_apply),),
    metrics=(Metrics("acme-monitor", "Acme Monitor", _acme_monitor),),
)

SPEC = """\
workloads:
  - name: chat
    kind: serving
    model: llama-3.1-8b
    traffic: {requests_per_second: 6, input_tokens: 600, output_tokens: 200}
    slo: {ttft_p95_ms: 2000, tpot_ms: 80}
    min_replicas: 2
    placement: {providers: [acme]}
  - name: nightly
    kind: batch
    model: llama-3.1-8b
    volume: {requests: 200000, input_tokens: 900, output_tokens: 120}
    deadline_hours: 8
    preemptible: true
    placement: {providers: [acme], spot: true, max_spot_share: 1.0}
"""


@pytest.fixture
def acme():
    """Acme registered for one test, through the registries' public functions only."""
    clouds.register(ACME)
    provider_registry.register(ACME_PROVIDER)
    try:
        yield
    finally:
        provider_registry.unregister("acme")
        clouds.unregister("acme")


def _price_api(received: Received) -> Reply:
    if received.path == "/v1/prices":
        return Reply(200, PRICE_LIST)
    return Reply(404, {"error": "no such path"})


def test_a_cloud_registered_with_its_two_objects_runs_every_verb(acme, cli, tmp_path: Path):
    catalog = tmp_path / "acme.csv"
    with FakeServer(_price_api) as server:
        refreshed = cli("catalog", "refresh", "--provider", "acme", "--region", "acme-east",
                        "--endpoint-url", f"prices={server.url}", "-o", catalog,
                        "--as-of", "2026-12-07", "--quiet")  # fmt: skip
    assert refreshed.exit_code == 0, refreshed.stderr
    assert [r.path for r in server.requests] == ["/v1/prices"]

    spec = tmp_path / "acme.yaml"
    spec.write_text(SPEC)
    plan_file = tmp_path / "plan.json"
    planned = cli("plan", spec, "--catalog", catalog, "--format", "json", "-o", plan_file)
    assert planned.exit_code == 0, planned.stderr
    plan = json.loads(plan_file.read_text())
    assert plan["allocations"] and {a["provider"] for a in plan["allocations"]} == {"acme"}
    assert {a["service"] for a in plan["allocations"]} == {"acme-vm"}

    verified = cli("verify", plan_file, spec, "--catalog", catalog)
    assert verified.exit_code == 0, verified.stdout + verified.stderr

    out = tmp_path / "deploy"
    emitted = cli("emit", plan_file, "--target", "all", "-o", out, "--format", "json")
    assert emitted.exit_code == 0, emitted.stderr
    written = [out / p for p in json.loads(emitted.stdout)["created"]]
    yamls = [p for p in written if p.suffix == ".yaml"]
    manifests = [d for p in yamls for d in yaml.safe_load_all(p.read_text())]
    selectors = [
        m["spec"]["template"]["spec"]["nodeSelector"]
        for m in manifests
        if m and m.get("kind") in ("Deployment", "Job")
    ]
    assert selectors and all("acme.example/capacity" in s for s in selectors)
    clusters = [p for p in written if p.parts[-2] == "ray" and "cluster" in p.name]
    assert clusters
    cluster = yaml.safe_load(clusters[0].read_text())
    assert cluster["provider"]["type"] == "external"
    assert cluster["available_node_types"]

    report = cli("report", plan_file, "--format", "md")
    assert report.exit_code == 0, report.stderr
    exported = cli("export", plan_file, "--catalog", catalog, "--start", "2027-01-01T00:00:00Z")
    assert exported.exit_code == 0, exported.stderr
    rows = list(csv.DictReader(io.StringIO(exported.stdout)))
    assert rows and {r["ProviderName"] for r in rows} == {"Acme Corporation"}
    assert {r["RegionName"] for r in rows} == {"Acme East (Ohio)"}
    assert {r["ServiceName"] for r in rows} == {"Acme Compute"}


def _acme_api(received: Received) -> Reply:
    if received.path == "/v1/prices":
        return Reply(200, PRICE_LIST)
    if received.path == "/v1/metrics":
        return Reply(200, {"rps": {"chat": 5.5}})
    if received.method == "POST" and received.path.startswith("/v1/endpoints/"):
        deleting = received.path.endswith(":delete")
        return Reply(200, {"state": "Deleting" if deleting else "Creating"})
    return Reply(404, {"error": "no such path"})


def test_a_new_cloud_launches_tears_down_and_is_observed_through_its_provider(
    acme, cli, tmp_path: Path
):
    with FakeServer(_acme_api) as server:
        catalog = tmp_path / "acme.csv"
        refreshed = cli("catalog", "refresh", "--provider", "acme", "--region", "acme-east",
                        "--endpoint-url", f"prices={server.url}", "-o", catalog,
                        "--as-of", "2026-12-07", "--quiet")  # fmt: skip
        assert refreshed.exit_code == 0, refreshed.stderr
        spec = tmp_path / "acme.yaml"
        spec.write_text(SPEC)
        plan_file = tmp_path / "plan.json"
        assert cli("plan", spec, "--catalog", catalog, "-o", plan_file).exit_code == 0
        plan = json.loads(plan_file.read_text())
        chat = sum(a["count"] for a in plan["allocations"] if a["workload"] == "chat")

        before = len(server.requests)
        dry = cli("launch", plan_file, "--target", "acme", "--format", "json")
        assert dry.exit_code == 0, dry.stderr
        assert len(server.requests) == before  # a dry run calls nothing
        calls = json.loads(dry.stdout)["calls"]
        assert [c["operation"] for c in calls] == ["POST /v1/endpoints/chat"]
        assert calls[0]["body"]["replicas"] == chat

        made = cli("launch", plan_file, "--target", "acme-endpoints", "--apply", "--yes",
                   "--endpoint-url", server.url)  # fmt: skip
        assert made.exit_code == 0, made.stderr
        assert "/v1/endpoints/chat: Creating" in made.stdout
        sent = [r for r in server.requests if r.path.startswith("/v1/endpoints/")]
        assert [r.body["replicas"] for r in sent] == [chat]

        gone = cli("teardown", plan_file, "--target", "acme", "--apply", "--yes",
                   "--endpoint-url", server.url)  # fmt: skip
        assert gone.exit_code == 0, gone.stderr
        assert server.requests[-1].path == "/v1/endpoints/chat:delete"

        seen = cli("observe", "--plan", plan_file, "--source", "acme", "--url", server.url,
                   "--format", "json")  # fmt: skip
    assert seen.exit_code == 0, seen.stderr
    observed = json.loads(seen.stdout)["observation"]
    assert observed["source"] == "acme-monitor"
    assert [(w["workload"], w["rps_mean"]) for w in observed["workloads"]] == [("chat", 5.5)]


@pytest.mark.parametrize("verb", ["launch", "teardown"])
def test_launching_on_a_cloud_without_a_launcher_exits_2_naming_it(cli, tmp_path, verb):
    plan_file = tmp_path / "plan.json"
    plan_file.write_text("{}")
    result = cli(verb, plan_file, "--target", "lambda")
    assert result.exit_code == 2
    assert "Lambda (lambda) has no launcher" in result.stderr
    assert "sagemaker" in result.stderr and "skypilot" in result.stderr
    assert "Traceback" not in result.stderr


def test_observing_a_cloud_without_a_metrics_source_exits_2_naming_it(acme, cli, tmp_path):
    bare = Provider(cloud="acme")
    provider_registry.register(bare)
    plan_file = tmp_path / "plan.json"
    plan_file.write_text("{}")
    result = cli("observe", "--plan", plan_file, "--source", "acme", "--url", "http://127.0.0.1:9")
    assert result.exit_code == 2
    assert "Acme Cloud (acme) has no metrics source" in result.stderr
    assert "cloudwatch" in result.stderr
    unknown = cli("observe", "--plan", plan_file, "--source", "datadog")
    assert unknown.exit_code == 2 and "unknown metrics source 'datadog'" in unknown.stderr


def test_a_new_clouds_region_has_its_country_and_an_unknown_name_lists_the_known(acme):
    assert clouds.region_country("acme", "acme-fr") == "FR"
    assert clouds.is_cloud("acme") and "acme-vm" in clouds.VM_SERVICES
    with pytest.raises(Exception, match=r"known clouds: .*acme"):
        clouds.cloud("acne")


def test_a_verb_the_provider_lacks_exits_2_naming_the_cloud(acme, cli, tmp_path):
    result = cli("quotas", "refresh", "--provider", "acme", "-o", tmp_path / "q.yaml")
    assert result.exit_code == 2
    assert "Acme Cloud (acme) has no quota refresh" in result.stderr
    assert "Traceback" not in result.stderr


def test_a_cloud_without_a_ray_launcher_gets_the_rayservice_only(cli, tmp_path):
    bare = Cloud(
        name="bare",
        title="Bare Metal Co",
        services=(Service("bare-vm", "bare", "vm"),),
        kubernetes=Kubernetes(service="BKS"),
    )
    clouds.register(bare)
    try:
        catalog = tmp_path / "bare.csv"
        catalog.write_text(
            "provider,region,zone,service,instance_type,accelerator,accelerator_count,"
            "accelerator_memory_gb,vcpus,memory_gib,price_on_demand,price_spot,source,as_of\n"
            "bare,b1,,bare-vm,l4.1,L4,1,24,8,32,0.5,,user,2026-12-07\n"
        )
        spec = tmp_path / "bare.yaml"
        spec.write_text(SPEC.split("  - name: nightly")[0].replace("acme", "bare"))
        plan_file = tmp_path / "plan.json"
        assert cli("plan", spec, "--catalog", catalog, "-o", plan_file).exit_code == 0
        emitted = cli("emit", plan_file, "--target", "ray", "-o", tmp_path / "out")
        assert emitted.exit_code == 0, emitted.stderr
        assert "Bare Metal Co (bare) has no Ray cluster launcher" in emitted.stderr
        files = sorted(p.name for p in (tmp_path / "out" / "ray").iterdir())
        assert files and all("rayservice" in f for f in files)
    finally:
        clouds.unregister("bare")
