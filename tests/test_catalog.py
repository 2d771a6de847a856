"""Catalogs: the bundled one covers the clouds; own CSVs and SkyPilot files load or fail clearly."""

from __future__ import annotations

import csv
from collections import defaultdict

import pytest

from planner.catalog import BUNDLED, CatalogError, load_catalog, select_offerings
from planner.facts import find_accelerator

NATIVE_HEADER = (
    "provider,region,zone,service,instance_type,accelerator,accelerator_count,"
    "accelerator_memory_gb,vcpus,memory_gib,price_on_demand,price_spot,source,as_of\n"
)
FAMILIES = {
    "aws": {"T4", "A10G", "L4", "L40S", "V100", "V100-32GB", "A100", "A100-80GB", "H100", "H200",
            "Inferentia2", "Trainium"},
    "gcp": {"T4", "V100", "L4", "A100", "A100-80GB", "H100", "H200", "TPU-v5e"},
    "azure": {"T4", "V100", "A10", "A100", "A100-80GB", "H100", "H100-NVL", "H200"},
}  # fmt: skip


@pytest.fixture(scope="module")
def bundled():
    return load_catalog()


def test_bundled_catalog_states_source_and_date():
    header = [line for line in BUNDLED.read_text().splitlines() if line.startswith("#")]
    assert any("Source:" in line for line in header)
    assert any("2026-11-25" in line for line in header)


def test_bundled_catalog_sells_every_family_in_five_regions_per_cloud(bundled):
    regions, families, services = defaultdict(set), defaultdict(set), defaultdict(set)
    for o in bundled:
        regions[o.provider].add(o.region)
        families[o.provider].add(o.accelerator)
        services[o.provider].add(o.service)
    for provider, wanted in FAMILIES.items():
        assert len(regions[provider]) >= 5, provider
        assert wanted <= families[provider], (provider, wanted - families[provider])
    assert services == {
        "aws": {"ec2", "sagemaker"},
        "gcp": {"gce", "vertex"},
        "azure": {"azure-vm"},
    }


def test_bundled_prices_are_consistent(bundled):
    for o in bundled:
        assert o.price_on_demand > 0
        assert find_accelerator(o.accelerator) is not None, o.accelerator
        if o.service in ("sagemaker", "vertex"):
            assert o.price_spot is None, o
        if o.price_spot is not None:
            assert o.price_spot < o.price_on_demand, o
        if o.service == "sagemaker":
            assert o.instance_type.startswith("ml."), o


def test_bundled_catalog_is_sorted_and_unique(bundled):
    keys = [o.key for o in bundled]
    assert keys == sorted(keys) and len(keys) == len(set(keys))


def test_filters_combine_and_accept_aliases(bundled):
    chosen = select_offerings(bundled, providers=["gcp"], accelerators=["NVIDIA_L4"])
    assert chosen and {o.accelerator for o in chosen} == {"L4"}
    assert len({o.region for o in chosen}) >= 3
    assert {o.provider for o in chosen} == {"gcp"}


def test_service_filter_knows_the_spec_kinds(bundled):
    vms = select_offerings(bundled, services=["kubernetes"])
    assert {o.service for o in vms} == {"ec2", "gce", "azure-vm"}
    assert {o.service for o in select_offerings(bundled, services=["sagemaker"])} == {"sagemaker"}


def test_max_price_and_sorting(bundled):
    chosen = select_offerings(bundled, accelerators=["A10G"], max_price=2.0)
    prices = [o.price_on_demand for o in chosen]
    assert chosen and max(prices) <= 2.0 and prices == sorted(prices)
    per_acc = select_offerings(bundled, accelerators=["H100"], sort="price-per-accelerator")
    values = [o.price_per_accelerator for o in per_acc]
    assert values == sorted(values)


def test_spot_only_keeps_offerings_with_a_spot_price(bundled):
    chosen = select_offerings(bundled, spot_only=True)
    assert chosen and all(o.price_spot is not None for o in chosen)


def write(tmp_path, name, text):
    path = tmp_path / name
    path.write_text(text)
    return path


def test_own_csv_replaces_the_bundled_catalog(tmp_path):
    own = write(
        tmp_path, "own.csv",
        "# my prices\n" + NATIVE_HEADER + "aws,us-east-1,,ec2,g5.xlarge,A10G,1,,4,16,0.9,0.3,me,\n",
    )  # fmt: skip
    (offering,) = load_catalog([own]).offerings
    assert offering.price_on_demand == 0.9 and offering.accelerator_memory_gb == 24


def test_own_csv_after_bundled_overrides_matching_rows(tmp_path, bundled):
    own = write(
        tmp_path, "own.csv",
        NATIVE_HEADER + "aws,us-east-1,,ec2,g5.xlarge,A10G,1,24,4,16,0.5,,negotiated,2026-11-01\n"
        "aws,us-east-1,,ec2,x9.gpu,MI300X,8,192,96,1024,40,,own,2026-11-01\n",
    )  # fmt: skip
    merged = load_catalog(["bundled", own])
    assert len(merged) == len(bundled) + 1
    (g5,) = [o for o in merged if o.key == ("aws", "us-east-1", "", "ec2", "g5.xlarge")]
    assert g5.price_on_demand == 0.5 and g5.source == "negotiated"


def test_bad_rows_are_reported_with_file_line_and_column(tmp_path):
    bad = write(
        tmp_path, "bad.csv",
        "# comment\n" + NATIVE_HEADER
        + "aws,us-east-1,,ec2,g5.xlarge,A10G,1,24,4,16,cheap,,x,\n"
        + "oracle,us-east-1,,ec2,g5.xlarge,A10G,1,24,4,16,1,,x,\n"
        + "aws,us-east-1,,gce,g5.xlarge,A10G,1.5,24,4,16,1,,x,\n"
        + "aws,us-east-1,,ec2,g5.xlarge,MI999,1,,4,16,1,,x,\n",
    )  # fmt: skip
    with pytest.raises(CatalogError) as caught:
        load_catalog([bad])
    message = str(caught.value)
    assert f"{bad}:3: column price_on_demand: 'cheap' is not a number" in message
    assert f"{bad}:4: column provider: 'oracle' is not one of aws, azure, coreweave, gcp" in message
    assert f"{bad}:5: column service: 'gce' is not one of ec2, sagemaker" in message
    assert f"{bad}:5: column accelerator_count: 1.5 is not a whole number" in message
    assert f"{bad}:6: column accelerator_memory_gb: needed for unknown accelerator" in message


def test_missing_columns_and_unknown_formats_are_rejected(tmp_path):
    with pytest.raises(CatalogError, match="missing column"):
        load_catalog([write(tmp_path, "a.csv", "provider,region\naws,us-east-1\n")])
    with pytest.raises(CatalogError, match="unknown format"):
        load_catalog([write(tmp_path, "b.csv", "x,y\n1,2\n")])
    with pytest.raises(CatalogError, match="does not exist"):
        load_catalog([tmp_path / "nope.csv"])


def test_skypilot_aws_rows_keep_zones_and_drop_spot_prices_above_on_demand(tmp_path):
    aws = tmp_path / "aws"
    aws.mkdir()
    write(
        aws, "vms.csv",
        "InstanceType,AcceleratorName,AcceleratorCount,vCPUs,MemoryGiB,GpuInfo,Price,SpotPrice,"
        "Region,AvailabilityZone,Arch\n"
        "g5.xlarge,A10G,1.0,4.0,16.0,x,1.006,0.4,us-east-1,use1-az1,x86_64\n"
        "g5.xlarge,A10G,1.0,4.0,16.0,x,1.006,1.2,us-east-1,use1-az2,x86_64\n"
        "p5.4xlarge,H100,1.0,16.0,256.0,x,,,us-east-1,use1-az1,x86_64\n"
        "m5.large,,,2.0,8.0,,0.096,0.03,us-east-1,use1-az1,x86_64\n",
    )  # fmt: skip
    catalog = load_catalog([tmp_path])
    assert [(o.zone, o.price_spot) for o in catalog] == [("use1-az1", 0.4), ("use1-az2", None)]
    notes = "\n".join(catalog.warnings)
    assert "1 row(s) no on-demand price" in notes
    assert "spot price not below on-demand" in notes and "no accelerator" in notes


def test_skypilot_gcp_prices_add_host_and_accelerator_rows(tmp_path):
    gcp = tmp_path / "gcp"
    gcp.mkdir()
    write(
        gcp, "vms.csv",
        "InstanceType,vCPUs,MemoryGiB,AcceleratorName,AcceleratorCount,GpuInfo,Region,"
        "AvailabilityZone,Price,SpotPrice\n"
        "g2-standard-24,24,96,,,,us-central1,us-central1-a,1.0,0.4\n"
        ",,,L4,2,,us-central1,us-central1-a,1.12,0.44\n"
        "n1-standard-8,8,30,,,,us-central1,us-central1-a,0.38,0.08\n"
        "a2-highgpu-1g,12,85,,,,us-central1,us-central1-b,0.7,0.3\n",
    )  # fmt: skip
    catalog = load_catalog([tmp_path])
    (g2,) = catalog.offerings
    assert (g2.instance_type, g2.accelerator, g2.accelerator_count) == ("g2-standard-24", "L4", 2)
    assert g2.price_on_demand == pytest.approx(2.12) and g2.price_spot == pytest.approx(0.84)
    notes = "\n".join(catalog.warnings)
    assert "attachable GPUs are not paired" in notes and "no A100:1 price row" in notes


def test_skypilot_real_rows_load_from_all_three_clouds(skypilot_dir):
    catalog = load_catalog([skypilot_dir])
    by_provider = defaultdict(set)
    for o in catalog:
        by_provider[o.provider].add(o.accelerator)
    assert {"A10G", "L4", "A100", "A100-80GB", "H100"} <= by_provider["aws"]
    assert {"L4", "A100-80GB", "H100"} <= by_provider["gcp"]
    assert {"T4", "A10", "A100-80GB", "H100", "H100-NVL"} <= by_provider["azure"]


def test_skypilot_gcp_a3_price_is_host_plus_eight_h100s(skypilot_dir):
    rows = list(csv.DictReader((skypilot_dir / "gcp" / "vms_excerpt.csv").open()))
    host = next(r for r in rows if r["InstanceType"] == "a3-highgpu-8g")
    zone = host["AvailabilityZone"]
    gpus = next(
        r for r in rows
        if not r["InstanceType"] and r["AcceleratorName"] == "H100"
        and r["AvailabilityZone"] == zone and float(r["AcceleratorCount"]) == 8
    )  # fmt: skip
    catalog = load_catalog([skypilot_dir])
    (a3,) = [o for o in catalog if o.instance_type == "a3-highgpu-8g" and o.zone == zone]
    assert a3.price_on_demand == pytest.approx(float(host["Price"]) + float(gpus["Price"]))
    assert a3.accelerator_count == 8


def test_skypilot_azure_known_errors_are_corrected(skypilot_dir):
    catalog = load_catalog([skypilot_dir / "azure" / "vms_excerpt.csv"])
    nd = [o for o in catalog if o.instance_type == "Standard_ND96isr_H100_v5"]
    assert nd and all((o.accelerator, o.accelerator_count) == ("H100", 8) for o in nd)
    assert all(o.price_spot is None for o in nd)  # listed spot equals on-demand: not a spot price
    nc = [o for o in catalog if o.instance_type == "Standard_NC40ads_H100_v5"]
    assert nc and all(o.accelerator == "H100-NVL" and o.accelerator_memory_gb == 94 for o in nc)
    assert any("corrected: Standard_ND96isr_H100_v5 is 8 x H100" in w for w in catalog.warnings)
