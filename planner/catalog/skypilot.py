"""Read SkyPilot's public catalog files (`<cloud>/vms.csv`, any registered cloud) into Offerings.

SkyPilot keeps one row per zone for some clouds, prices a GCP VM as host row + accelerator row,
and has a few known data errors; each cloud's SkyPilot object (planner/clouds/<cloud>.py) says
which apply, and this reader handles each and reports what it skipped or fixed.
"""

from __future__ import annotations

import ast
from collections import Counter
from pathlib import Path

from planner._csvdata import read_csv_lines
from planner._readfile import nesting_depth
from planner.bounds import MAX_MEMORY_GB, MAX_PRICE_PER_HOUR, MAX_THROUGHPUT, MAX_TP, check_range
from planner.catalog.offering import Offering
from planner.clouds import CLOUDS, Cloud, SkyPilot, by_skypilot_name
from planner.errors import InputError
from planner.facts import find_accelerator

SOURCE_LABEL = "skypilot-catalog"


def detect_provider(path: Path, header: list[str]) -> Cloud:
    """The cloud a SkyPilot file is for: from the folder name SkyPilot uses, else from the
    columns where only one cloud's files have them."""
    for part in reversed(path.parts[:-1]):
        found = by_skypilot_name(part)
        if found is not None:
            return found
    fits = [
        c for c in CLOUDS.values() if c.skypilot and c.skypilot.header and c.skypilot.header(header)
    ]
    if len(fits) == 1:
        return fits[0]
    named = [c.skypilot.name for c in CLOUDS.values() if c.skypilot]
    raise InputError(
        f"Catalog {path}: cannot tell which cloud this SkyPilot file is for; put it in a folder "
        f"named after the cloud as SkyPilot does ({', '.join(named)})"
    )


def _float(value: str | None, high: float = MAX_PRICE_PER_HOUR) -> float | None:
    """A positive, finite number no larger than `high`; None for anything else (SkyPilot
    leaves prices empty where a pricing is not sold)."""
    try:
        number = float(value or "")
    except ValueError:
        return None
    return number if check_range(number, 0, high, low_open=True) is None else None


def _count(value: str | None) -> int | None:
    number = _float(value, MAX_TP)
    return int(number) if number is not None and number == int(number) else None


def _memory_gb(accelerator: str, gpu_info: str) -> float | None:
    acc = find_accelerator(accelerator)
    if acc is not None:
        return acc.memory_gb
    if not gpu_info.startswith("{") or nesting_depth(gpu_info)[0] > 8:
        return None
    try:
        info = ast.literal_eval(gpu_info)
        mib = float(info["Gpus"][0]["MemoryInfo"]["SizeInMiB"])
    except (
        ValueError,
        SyntaxError,
        KeyError,
        IndexError,
        TypeError,
        MemoryError,
        RecursionError,
        OverflowError,
    ):
        return None
    return (
        round(mib / 1024, 1)
        if check_range(mib / 1024, 0, MAX_MEMORY_GB, low_open=True) is None
        else None
    )


class _Reader:
    """Collects offerings and counts of what was skipped or corrected, for one file."""

    def __init__(self, path: Path, cloud: Cloud):
        self.path, self.cloud, self.provider = path, cloud, cloud.name
        self.offerings: list[Offering] = []
        self.skipped: Counter[str] = Counter()

    def add(
        self,
        *,
        region: str,
        zone: str,
        service: str,
        instance_type: str,
        accelerator: str,
        count: int | None,
        vcpus: str,
        memory: str,
        price: float | None,
        spot: float | None,
        gpu_info: str = "",
    ) -> None:
        if price is None:
            self.skipped["no on-demand price"] += 1
            return
        if count is None:
            self.skipped["no whole accelerator count"] += 1
            return
        if spot is not None and not self.cloud.has_spot:
            self.skipped[f"spot price dropped ({self.cloud.title} sells no spot capacity)"] += 1
            spot = None
        if spot is not None and spot >= price:
            self.skipped["spot price not below on-demand (spot price dropped)"] += 1
            spot = None
        form = self.cloud.skypilot
        trusted = form is None or form.gpu_info_memory
        memory_gb = _memory_gb(accelerator, gpu_info if trusted else "")
        if memory_gb is None:
            self.skipped[f"unknown accelerator memory ({accelerator[:40]!r})"] += 1
            return
        acc = find_accelerator(accelerator)
        self.offerings.append(
            Offering(
                provider=self.provider,
                region=region,
                zone=zone,
                service=service,
                instance_type=instance_type,
                accelerator=acc.name if acc else accelerator,
                accelerator_count=count,
                accelerator_memory_gb=memory_gb,
                vcpus=self.number(vcpus, "vCPUs", MAX_THROUGHPUT) or 0.0,
                memory_gib=self.number(memory, "MemoryGiB", MAX_MEMORY_GB) or 0.0,
                price_on_demand=price,
                price_spot=spot,
                source=SOURCE_LABEL,
                # SkyPilot's fetchers read the clouds' price lists and APIs; its files carry no date
                price_kind="list",
                spot_price_kind="list" if spot is not None else "",
            )
        )

    def number(self, value: str | None, what: str, high: float = MAX_PRICE_PER_HOUR):
        """`value` as a positive finite number up to `high`; None when empty, and None with a
        note when it is something else (nan, inf, 1e308, -3, text): never read silently."""
        number = _float(value, high)
        if number is None and (value or "").strip():
            self.skipped[f"{what} not a number in (0, {high:g}] (left empty)"] += 1
        return number

    def without_duplicates(self) -> list[Offering]:
        """The offerings, each once: a row repeated as it is counts once (with a note); the
        same offering twice with different figures is an InputError, as in the planner's own
        catalog format (the order of the rows would otherwise decide the price)."""
        seen: dict[tuple[str, ...], Offering] = {}
        for o in self.offerings:
            first = seen.get(o.key)
            if first is None:
                seen[o.key] = o
            elif first == o:
                self.skipped["repeated (counted once)"] += 1
            else:
                raise InputError(
                    f"SkyPilot catalog {self.path}: {o.provider} {o.region}/{o.zone or '-'} "
                    f"{o.instance_type} is in the file twice with different figures (on-demand "
                    f"{first.price_on_demand:g} and {o.price_on_demand:g} $/h); keep one row"
                )
        return list(seen.values())

    def warnings(self) -> list[str]:
        return [f"{self.path}: {n} row(s) {reason}" for reason, n in sorted(self.skipped.items())]


def _read_rows(reader: _Reader, rows: list[dict[str, str]]) -> None:
    """Clouds that sell each machine in one row with its accelerators."""
    form = reader.cloud.skypilot
    assert form is not None
    service = reader.cloud.vm_service.name
    for row in rows:
        if not row["AcceleratorName"]:
            reader.skipped["skipped: no accelerator"] += 1
            continue
        accelerator, count = row["AcceleratorName"], _count(row["AcceleratorCount"])
        fixed = form.corrections.get(row["InstanceType"])
        if fixed and fixed != (accelerator, count):
            reader.skipped[f"corrected: {row['InstanceType']} is {fixed[1]} x {fixed[0]}"] += 1
            accelerator, count = fixed
        reader.add(
            region=row["Region"],
            zone=row.get("AvailabilityZone", ""),
            service=service,
            instance_type=row["InstanceType"],
            accelerator=accelerator,
            count=count,
            vcpus=row.get("vCPUs", ""),
            memory=row.get("MemoryGiB", ""),
            price=_float(row["Price"]),
            spot=reader.number(row["SpotPrice"], "spot price"),
            gpu_info=row.get("GpuInfo", ""),
        )


def _built_in(form: SkyPilot, instance_type: str) -> tuple[str, int] | None:
    for family in form.built_in:
        found = family.match(instance_type)
        if found:
            return found
    return None


def _read_apart(reader: _Reader, rows: list[dict[str, str]]) -> None:
    """Host VMs and accelerator prices in rows apart (GCP); built-in GPU VMs get both added."""
    form = reader.cloud.skypilot
    assert form is not None
    service = reader.cloud.vm_service.name
    accel_prices: dict[tuple[str, str, int | None], tuple[float | None, float | None]] = {}
    for row in rows:
        if not row["InstanceType"] and row["AcceleratorName"]:
            key = (
                row.get("AvailabilityZone", ""),
                row["AcceleratorName"],
                _count(row["AcceleratorCount"]),
            )
            accel_prices[key] = (_float(row["Price"]), _float(row["SpotPrice"]))
    for row in rows:
        name, zone = row["InstanceType"], row.get("AvailabilityZone", "")
        tpu = form.tpu.match(row["AcceleratorName"] or "") if form.tpu else None
        if tpu:
            reader.add(
                region=row["Region"],
                zone=zone,
                service=service,
                instance_type=row["AcceleratorName"],
                accelerator="TPU-v5e",
                count=_count(tpu.group(1)),
                vcpus=row.get("vCPUs", ""),
                memory=row.get("MemoryGiB", ""),
                price=_float(row["Price"]),
                spot=reader.number(row["SpotPrice"], "spot price"),
            )
            continue
        if not name:
            continue
        built_in = _built_in(form, name)
        if built_in is None:
            reader.skipped["skipped: no built-in GPU (attachable GPUs are not paired)"] += 1
            continue
        accelerator, count = built_in
        accel = accel_prices.get((zone, accelerator, count))
        if accel is None:
            reader.skipped[f"skipped: no {accelerator}:{count} price row in the zone"] += 1
            continue
        host_price, host_spot = _float(row["Price"]), _float(row["SpotPrice"])
        acc_price, acc_spot = accel
        price = host_price + acc_price if host_price and acc_price else None
        spot = host_spot + acc_spot if host_spot and acc_spot else None
        reader.add(
            region=row["Region"], zone=zone, service=service, instance_type=name,
            accelerator=accelerator, count=count, vcpus=row.get("vCPUs", ""),
            memory=row.get("MemoryGiB", ""),
            price=price, spot=spot,
        )  # fmt: skip


def read_skypilot_csv(path: Path, text: str) -> tuple[list[Offering], list[str]]:
    """Offerings and warnings from one SkyPilot `vms.csv` (any registered cloud)."""
    header, numbered = read_csv_lines(text, str(path))
    needed = {"InstanceType", "AcceleratorName", "AcceleratorCount", "Price", "SpotPrice", "Region"}
    missing = sorted(needed - set(header))
    if missing:
        raise InputError(f"SkyPilot catalog {path}: missing column(s) {', '.join(missing)}")
    cloud = detect_provider(path, header)
    reader = _Reader(path, cloud)
    rows = [row for _, row in numbered]
    form = cloud.skypilot
    (_read_apart if form is not None and form.accelerators_apart else _read_rows)(reader, rows)
    offerings = reader.without_duplicates()
    return offerings, reader.warnings()
