"""A fit file, as `planner calibrate -o` writes it, that says every accelerator family reaches
only a share of the bundled fit's efficiency: a plan (or estimate, schedule ...) made with it
must need more capacity than one made without."""

from __future__ import annotations

from pathlib import Path

from planner.perf.efficiency import FIT_COLUMNS, PARAMETERS, fitted_efficiencies

SHARED = ("mfu", "mbu", "kv_mbu")


def write_slow_fit(path: Path, share: float = 0.5) -> Path:
    """Write a family fit with `share` of each family's fitted mfu, mbu and kv_mbu."""
    from planner.facts import accelerators

    table = fitted_efficiencies()
    families = sorted({a.family for a in accelerators()})
    lines = [",".join(FIT_COLUMNS)]
    for family in families:
        base = table.get(family) or table["default"]
        values = {p: getattr(base, p) * (share if p in SHARED else 1) for p in PARAMETERS}
        row = {"scope": "family", "name": family, **{p: f"{v:.6g}" for p, v in values.items()}}
        lines.append(",".join(str(row.get(c, "")) for c in FIT_COLUMNS))
    path.write_text("\n".join(lines) + "\n")
    return path
