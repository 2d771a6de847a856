"""GPU clouds beyond the hyperscalers (Lambda, Nebius, OCI, RunPod, CoreWeave): each a Cloud with
regions, countries and services; prices from SkyPilot's own catalog files, read directly; the
chatbot example plans on them where its placement allows, verifies, and emits (or says plainly
which capability the cloud lacks)."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import pytest
import yaml

from planner import clouds
from planner.catalog import load_catalog
from planner.errors import InputError

ROOT = Path(__file__).resolve().parent.parent
CHATBOT = ROOT / "examples" / "chatbot-fleet.yaml"
NEOCLOUDS = ("lambda", "nebius", "oci", "runpod")
HEADER = (
    "InstanceType,AcceleratorName,AcceleratorCount,vCPUs,MemoryGiB,Price,Region,GpuInfo,SpotPrice\n"
)


def test_every_neocloud_is_a_cloud_with_vms_and_no_managed_endpoint():
    for name in (*NEOCLOUDS, "coreweave"):
        cloud = clouds.cloud(name)
        assert cloud.vm_service.name in clouds.VM_SERVICES
        assert not cloud.has_managed_endpoint
        assert cloud.ray is None  # Ray's cluster launcher has no provider for them
    assert clouds.cloud("nebius").has_kubernetes and clouds.cloud("oci").has_kubernetes
    assert clouds.cloud("coreweave").has_kubernetes
    assert not clouds.cloud("lambda").has_kubernetes and not clouds.cloud("runpod").has_kubernetes


@pytest.mark.parametrize(
    ("cloud", "region", "country"),
    [
        ("aws", "eu-west-1", "IE"),
        ("azure", "westeurope", "NL"),
        ("gcp", "europe-west4", "NL"),
        ("nebius", "eu-west1", "FR"),
        ("nebius", "eu-north1", "FI"),
        ("lambda", "europe-central-1", "DE"),
        ("oci", "ap-tokyo-1", "JP"),
        ("runpod", "RO", "RO"),
        ("coreweave", "EU-SOUTH-03", "ES"),
        ("lambda", "nowhere-9", None),
    ],
)
def test_regions_know_their_country(cloud, region, country):
    assert clouds.region_country(cloud, region) == country


def test_skypilot_files_of_every_neocloud_load_as_that_cloud(skypilot_dir):
    for name in NEOCLOUDS:
        catalog = load_catalog([skypilot_dir / name])
        providers = Counter(o.provider for o in catalog)
        assert set(providers) == {name} and providers[name] > 10, (name, providers)
        assert {o.service for o in catalog} == {clouds.cloud(name).vm_service.name}
    nebius = load_catalog([skypilot_dir / "nebius"])
    h100 = [o for o in nebius if o.instance_type == "gpu-h100-sxm_8gpu-128vcpu-1600gb"]
    assert h100 and all(o.price_on_demand == 23.60 and o.price_spot == 10.00 for o in h100)
    lam = load_catalog([skypilot_dir / "lambda"])
    assert all(o.price_spot is None for o in lam)  # Lambda sells no spot capacity
    oci = load_catalog([skypilot_dir / "oci"])
    assert {o.accelerator for o in oci} >= {"B200", "MI300X", "H100", "A10"}


def test_runpod_rows_read_the_accelerator_from_facts_not_its_gigabyte_gpu_info(skypilot_dir):
    runpod = load_catalog([skypilot_dir / "runpod"])
    mi300x = [o for o in runpod if o.accelerator == "MI300X"]
    assert mi300x and all(o.accelerator_memory_gb == 192 for o in mi300x)
    h100 = [o for o in runpod if o.instance_type == "1x_H100-SXM_SECURE"]
    assert h100 and all(o.accelerator == "H100" for o in h100)
    assert {o.region for o in runpod} == {"JP", "RO", "US"}


def test_unknown_accelerators_are_skipped_with_a_counted_note(tmp_path):
    folder = tmp_path / "runpod"
    folder.mkdir()
    (folder / "vms.csv").write_text(
        "InstanceType,AcceleratorName,AcceleratorCount,vCPUs,MemoryGiB,Region,SpotPrice,Price,"
        "AvailabilityZone,GpuInfo\n"
        "1x_XPU9_SECURE,XPU9,1.0,8.0,64.0,US,,2.0,US-TX-3,\"{'Gpus': [{'MemoryInfo': "
        "{'SizeInMiB': 80}}]}\"\n"
        "2x_XPU9_SECURE,XPU9,2.0,16.0,128.0,US,,4.0,US-TX-3,\n"
        "1x_L40S_SECURE,L40S,1.0,8.0,64.0,US,,0.9,US-TX-3,\n"
    )
    catalog = load_catalog([tmp_path])
    assert [o.instance_type for o in catalog] == ["1x_L40S_SECURE"]
    assert any("2 row(s) unknown accelerator memory ('XPU9')" in w for w in catalog.warnings)


def test_lambda_and_nebius_files_look_alike_so_the_folder_names_the_cloud(tmp_path):
    row = "gpu_1x_h100_pcie,H100,1.0,26.0,200.0,3.29,us-east-1,,\n"
    loose = tmp_path / "vms.csv"
    loose.write_text(HEADER + row)
    with pytest.raises(InputError, match=r"cannot tell which cloud.*lambda.*nebius"):
        load_catalog([loose])
    (tmp_path / "lambda").mkdir()
    (tmp_path / "lambda" / "vms.csv").write_text(HEADER + row)
    (only,) = load_catalog([tmp_path / "lambda"]).offerings
    assert (only.provider, only.service, only.price_on_demand) == ("lambda", "lambda-vm", 3.29)


def test_a_spec_may_name_a_neocloud_and_an_unknown_provider_lists_the_clouds(cli, tmp_path):
    spec = yaml.safe_load(CHATBOT.read_text())
    spec["workloads"][0]["placement"]["providers"] = ["aws", "ibm"]
    bad = tmp_path / "bad.yaml"
    bad.write_text(yaml.safe_dump(spec))
    result = cli("plan", bad)
    assert result.exit_code == 2
    assert "'ibm' is not a known cloud" in result.stderr and "lambda" in result.stderr
    assert "Traceback" not in result.stderr


def _plan(cli, spec: Path, catalog: Path, out: Path) -> dict:
    result = cli("plan", spec, "--catalog", "bundled", "--catalog", catalog, "-o", out)
    assert result.exit_code == 0, result.stderr
    checked = cli("verify", out, spec, "--catalog", "bundled", "--catalog", catalog)
    assert checked.exit_code == 0, checked.stdout + checked.stderr
    return json.loads(out.read_text())


@pytest.mark.parametrize("name", NEOCLOUDS)
def test_the_chatbot_plans_verifies_and_emits_with_a_neocloud_catalog(
    cli, skypilot_dir, tmp_path, name
):
    plan = _plan(cli, CHATBOT, skypilot_dir / name, tmp_path / "plan.json")
    used = {a["provider"] for a in plan["allocations"]}
    if name == "lambda":  # assistant-70b may run in us-east-1, where Lambda has B200s
        assert "lambda" in used
    for target in ("kubernetes", "ray"):
        result = cli("emit", tmp_path / "plan.json", "--target", target, "-o", tmp_path / target)
        assert "Traceback" not in result.stderr
        assert result.exit_code in (0, 2), result.stderr
        refused = [line for line in result.stderr.splitlines() if line.startswith("  - ")]
        assert result.exit_code == 0 or refused, result.stderr
        for line in refused:  # what the cloud lacks, or what the target cannot run
            assert "has no managed Kubernetes" in line or "with engine" in line, line
        lacks = f"({name}) has no managed Kubernetes"
        assert (lacks in result.stderr) == (name in used and not clouds.cloud(name).has_kubernetes)


@pytest.mark.parametrize("name", ["nebius", "runpod"])
def test_an_open_placement_buys_from_the_neocloud_where_it_is_cheapest(
    cli, skypilot_dir, tmp_path, name
):
    spec = yaml.safe_load(CHATBOT.read_text())
    for workload in spec["workloads"]:
        workload["placement"].pop("providers", None)
        workload["placement"].pop("regions", None)
    open_spec = tmp_path / "open.yaml"
    open_spec.write_text(yaml.safe_dump(spec))
    plan = _plan(cli, open_spec, skypilot_dir / name, tmp_path / "plan.json")
    assert name in {a["provider"] for a in plan["allocations"]}
    emitted = cli("emit", tmp_path / "plan.json", "--target", "kubernetes", "-o", tmp_path / "k")
    assert "Traceback" not in emitted.stderr


RESIDENT = """\
workloads:
  - name: chat
    kind: serving
    model: llama-3.1-8b
    traffic: {requests_per_second: 4, input_tokens: 600, output_tokens: 200}
    slo: {ttft_p95_ms: 2000, tpot_ms: 80}
    placement: {countries: [COUNTRIES]}
"""


def test_countries_keep_a_workload_in_them_on_any_cloud(cli, skypilot_dir, tmp_path):
    spec = tmp_path / "resident.yaml"
    spec.write_text(RESIDENT.replace("COUNTRIES", "DE, FR"))
    plan = _plan(cli, spec, skypilot_dir / "nebius", tmp_path / "plan.json")
    placed = {(a["provider"], a["region"]) for a in plan["allocations"]}
    assert placed and all(clouds.region_country(*p) in {"DE", "FR"} for p in placed), placed

    elsewhere = tmp_path / "finland.yaml"
    elsewhere.write_text(RESIDENT.replace("COUNTRIES", "FI"))
    checked = cli("verify", tmp_path / "plan.json", elsewhere, "--catalog", "bundled",
                  "--catalog", skypilot_dir / "nebius")  # fmt: skip
    assert checked.exit_code == 1
    assert "outside countries ['FI']" in checked.stdout + checked.stderr

    lower = tmp_path / "lower.yaml"
    lower.write_text(RESIDENT.replace("COUNTRIES", "de"))
    refused = cli("plan", lower)
    assert refused.exit_code == 2 and "countries[0]" in refused.stderr


def test_refreshing_a_neocloud_exits_2_pointing_at_skypilots_catalog(cli, tmp_path):
    result = cli("catalog", "refresh", "--provider", "lambda", "-o", tmp_path / "l.csv")
    assert result.exit_code == 2
    assert "Lambda (lambda) has no price refresh" in result.stderr
    assert "lambda/vms.csv" in result.stderr and "Traceback" not in result.stderr
    assert not (tmp_path / "l.csv").exists()
