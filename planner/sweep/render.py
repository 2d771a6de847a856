"""A sweep as rows (for a terminal table), Markdown or JSON, and its summary in words."""

from __future__ import annotations

from planner.sweep.outcome import ScenarioOutcome, Sweep
from planner.sweep.summary import short_reason

SOLVE_COLUMNS = ["scenario", "what", "status", "cost", "vs base", "why"]
PLAN_COLUMNS = ["scenario", "what", "status", "cost", "vs base", "unmet", "why"]


def _money(value: float | None) -> str:
    return "-" if value is None else f"{value:,.2f}"


def _change(outcome: ScenarioOutcome, base: ScenarioOutcome) -> str:
    if outcome.change is None:
        return "-"
    base_value = base.objective_value or 0.0
    share = f" ({outcome.change / base_value:+.0%})" if base_value > 0 else ""
    return f"{outcome.change:+,.2f}{share}"


def _unmet(outcome: ScenarioOutcome) -> str:
    return "; ".join(
        f"{u.workload} {u.missing:,.4g} {u.unit}"
        + (f" ({u.missing / u.demand:.0%})" if u.demand else "")
        for u in outcome.unmet
    )


def rows(sweep: Sweep) -> tuple[list[dict[str, str]], list[str]]:
    """One row per scenario (sorted by id) and the columns to show."""
    out = []
    for r in sweep.results:
        out.append(
            {
                "scenario": r.id,
                "what": r.label,
                "status": r.status,
                "cost": _money(r.objective_value),
                "vs base": _change(r, sweep.base),
                "unmet": _unmet(r),
                "why": short_reason(r),
            }
        )
    return out, PLAN_COLUMNS if sweep.mode == "plan" else SOLVE_COLUMNS


def summary_lines(sweep: Sweep) -> list[str]:
    """The summary in a few lines: base, counts, cost spread, failures by reason."""
    s, base = sweep.summary, sweep.base
    what = "fixed plan" if sweep.mode == "plan" else "base plan"
    lines = [f"{what.capitalize()}: {base.status}, cost {_money(base.objective_value)}"]
    if base.status in ("infeasible", "violated", "error"):
        lines[-1] += f" ({short_reason(base)})"
    counts = [f"{s.solved} {'ok' if sweep.mode == 'plan' else 'solved'}"]
    if sweep.mode == "plan":
        counts.append(f"{s.violated} violated")
    else:
        counts.append(f"{s.infeasible} infeasible")
    counts.append(f"{s.errors} error(s)")
    lines.append(f"{s.scenarios} scenarios: " + ", ".join(counts))
    if s.cost is not None:
        c = s.cost
        lines.append(
            f"Cost: min {c.min:,.2f}, median {c.median:,.2f}, p95 {c.p95:,.2f}, max {c.max:,.2f}"
        )
    if s.by_reason:
        lines.append("Infeasible by reason:" if sweep.mode == "solve" else "Violated by reason:")
        lines += [f"  {count:>4}  {reason}" for reason, count in s.by_reason.items()]
    return lines


def markdown(sweep: Sweep) -> str:
    """The table and summary as Markdown."""
    found, columns = rows(sweep)
    lines = ["| " + " | ".join(columns) + " |", "|" + "---|" * len(columns)]
    for row in found:
        cells = [row[c].replace("|", "\\|") for c in columns]
        lines.append("| " + " | ".join(cells) + " |")
    lines.append("")
    for line in summary_lines(sweep):
        lines.append(f"  - {line.strip()}" if line.startswith("  ") else f"- {line}")
    return "\n".join(lines) + "\n"


def to_json(sweep: Sweep) -> str:
    """The whole sweep as indented JSON."""
    return sweep.model_dump_json(indent=2) + "\n"
