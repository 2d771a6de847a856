"""Accelerator facts (memory, bandwidth, FLOPs) from the bundled, sourced data file."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from pathlib import Path

from planner._csvdata import opt_float, read_commented_csv
from planner.errors import text_argument

DATA_FILE = Path(__file__).parent / "data" / "accelerators.csv"


@dataclass(frozen=True)
class Accelerator:
    """One accelerator model as its vendor specifies it (per chip, dense, no sparsity)."""

    name: str
    vendor: str
    memory_gb: float
    bandwidth_gbps: float
    bf16_tflops: float
    fp8_tflops: float | None
    int8_tops: float | None
    interconnect_gbps: float
    supports_bf16: bool
    aliases: tuple[str, ...] = ()
    family: str = ""
    """Chip generation the fitted efficiencies are kept per (hopper, ampere, ada, ...)."""
    link: str = "pcie"
    """What interconnect_gbps is: nvlink, pcie, neuronlink, ici, xgmi or ethernet."""
    fp4_tflops: float | None = None
    """Dense FP4 (NVFP4/MXFP4) TFLOPS; None where the chip has no FP4."""
    topology: str = "pcie"
    """How the chips of a scale-up domain are linked: switch, bridge, mesh, ring, torus,
    cube-mesh, pcie, single or network (see planner.perf.comm)."""
    scale_up_domain: int = 1
    """Chips one fast interconnect joins (8 on HGX, 72 on NVL72, 2 on H100 NVL bridges)."""
    pcie_gbps: float = 64.0
    """The chip's PCIe host link, both ways, GB/s."""
    tp_degrees: tuple[int, ...] = ()
    """Tensor-parallel degrees the engines support on this chip; empty: powers of two."""
    pipeline_stages: int = 1
    """Not a fact of the chip: >1 on the view a multi-instance replica's performance model
    takes of it (planner.perf.multinode), whose stages pass activations over stage_link_gbps."""
    stage_link_gbps: float = 0.0
    """GB/s between pipeline stages (with pipeline_stages > 1)."""


def _key(name: str) -> str:
    return name.strip().lower().replace("_", "-").replace(" ", "-")


@cache
def accelerators() -> tuple[Accelerator, ...]:
    """All bundled accelerators, in file order."""
    return tuple(
        Accelerator(
            name=row["name"],
            vendor=row["vendor"],
            memory_gb=float(row["memory_gb"]),
            bandwidth_gbps=float(row["bandwidth_gbps"]),
            bf16_tflops=float(row["bf16_tflops"]),
            fp8_tflops=opt_float(row["fp8_tflops"]),
            int8_tops=opt_float(row["int8_tops"]),
            interconnect_gbps=float(row["interconnect_gbps"]),
            supports_bf16=row["supports_bf16"].lower() == "true",
            aliases=tuple(a for a in row["aliases"].split("|") if a),
            family=row["family"],
            link=row["link"],
            fp4_tflops=opt_float(row["fp4_tflops"]),
            topology=row["topology"],
            scale_up_domain=int(row["scale_up_domain"]),
            pcie_gbps=float(row["pcie_gbps"]),
            tp_degrees=tuple(int(d) for d in row["tp_degrees"].split("|") if d),
        )
        for row in read_commented_csv(DATA_FILE)
    )


@cache
def _index() -> dict[str, Accelerator]:
    index: dict[str, Accelerator] = {}
    for acc in accelerators():
        for name in (acc.name, *acc.aliases):
            index[_key(name)] = acc
    return index


@cache
def find_accelerator(name: str) -> Accelerator | None:
    """The accelerator called `name` (canonical name or alias, any case), or None."""
    return _index().get(_key(text_argument(name, "find_accelerator", "name")))


def canonical_accelerator_name(name: str) -> str:
    """The canonical name for `name` when it is known, else `name` unchanged."""
    acc = find_accelerator(name)
    return acc.name if acc else name.strip()
