"""Scale-out network bandwidth per instance type (planner/catalog/data/networks.csv): what a
model replica spanning several instances sends its activations over."""

from __future__ import annotations

from functools import cache
from pathlib import Path

from planner._csvdata import read_commented_csv

DATA_FILE = Path(__file__).parent / "data" / "networks.csv"


@cache
def _table() -> dict[tuple[str, str], float]:
    return {
        (row["provider"], row["instance_type"]): float(row["network_gbps"])
        for row in read_commented_csv(DATA_FILE)
    }


def network_gbps(provider: str, instance_type: str) -> float | None:
    """Gbit/s one instance of `instance_type` sends to the others, or None when unknown (or a
    managed service's type, which runs one instance per replica)."""
    return _table().get((provider, instance_type))
