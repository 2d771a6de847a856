"""Charts as inline SVG text, drawn with matplotlib (optional: `pip install ...[plots]`).

Output is byte-stable for the same data: no pyplot state, a fixed hash salt for element ids,
text drawn as paths in the bundled DejaVu Sans, and no date or creator metadata. Each SVG's
ids are prefixed with its figure's name so several can share one HTML page.
"""

from __future__ import annotations

import io
import re
from collections.abc import Sequence

from planner.extras import install_hint
from planner.report.breakdown import Breakdown, Stacked
from planner.report.future import FrontierPoint
from planner.report.quota import QuotaUse
from planner.report.slo import Headroom, Utilisation

INSTALL_HINT = install_hint("plots")
PALETTE = ("#3b6ea5", "#e08a2e", "#4f9d69", "#c4504b", "#8a6bb0", "#8c6d4f", "#d27fb8", "#7f7f7f")
RC = {
    "svg.hashsalt": "llm-placement-planner",
    "svg.fonttype": "path",
    "font.family": "DejaVu Sans",
    "font.size": 9.0,
    "axes.titlesize": 10.0,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "axes.grid": True,
    "grid.alpha": 0.3,
    "path.simplify": False,
    "text.parse_math": False,
}
_METADATA = {"Date": None, "Creator": None, "Format": None, "Type": None}


def plots_available() -> bool:
    """Whether matplotlib can be imported."""
    try:
        import matplotlib  # noqa: F401
    except ImportError:
        return False
    return True


def _figure(width: float, height: float):
    from matplotlib.figure import Figure

    return Figure(figsize=(width, height), dpi=72, layout="constrained")


def _scoped_ids(svg: str, prefix: str) -> str:
    """Prefix every id (and every reference to it) so inline SVGs on one page never collide."""
    ids = set(re.findall(r'\bid="([^"]+)"', svg))
    if not ids:
        return svg

    def swap(match: re.Match) -> str:
        head, name, tail = match.group(1), match.group(2), match.group(3)
        return f"{head}{prefix}-{name}{tail}" if name in ids else match.group(0)

    svg = re.sub(r'(\bid=")([^"]+)(")', swap, svg)
    svg = re.sub(r'(href="#)([^"]+)(")', swap, svg)
    return re.sub(r"(url\(#)([^)]+)(\))", swap, svg)


def to_svg(fig, name: str) -> str:
    """The figure as an <svg> element (no XML prolog, doctype or metadata), ids scoped by name."""
    import matplotlib

    buffer = io.StringIO()
    with matplotlib.rc_context(RC):
        fig.savefig(buffer, format="svg", metadata=_METADATA)
    svg = buffer.getvalue()
    svg = svg[svg.index("<svg") :]
    svg = re.sub(r"<metadata>.*?</metadata>\s*", "", svg, flags=re.S)
    svg = re.sub(r"<!--.*?-->\s*", "", svg, flags=re.S)
    svg = svg.replace("<svg ", f'<svg role="img" aria-label="{name}" ', 1)
    return _scoped_ids(svg, name).strip() + "\n"


def _legend_below(ax) -> None:
    """The axes' legend under the figure, where it hides no bar, label or title."""
    handles, labels = ax.get_legend_handles_labels()
    ax.figure.legend(
        handles, labels, loc="outside lower right", ncol=len(labels), frameon=False, fontsize=8
    )


def _hbars(ax, labels: Sequence[str], values: Sequence[float], color: str, fmt: str) -> None:
    """Horizontal bars, largest on top, each labelled with its value."""
    positions = range(len(labels))[::-1]
    bars = ax.barh(list(positions), list(values), height=0.6, color=color)
    ax.set_yticks(list(positions), list(labels))
    ax.bar_label(bars, labels=[fmt.format(v) for v in values], padding=3, fontsize=8)
    ax.margins(x=0.25)
    ax.grid(axis="y", visible=False)


def cost_svg(parts: Sequence[Breakdown], name: str) -> str:
    """One panel per grouping (provider, region, workload) of one unit."""
    import matplotlib

    rows = max(len(p.totals) for p in parts)
    with matplotlib.rc_context(RC):
        fig = _figure(3.4 * len(parts), 0.9 + 0.3 * rows)
        axes = fig.subplots(1, len(parts), squeeze=False)[0]
        fmt = "${:,.2f}" + ("/h" if parts[0].unit == "$/h" else "")
        for i, (ax, part) in enumerate(zip(axes, parts, strict=True)):
            labels = [k for k, _ in part.totals]
            _hbars(ax, labels, [v for _, v in part.totals], PALETTE[i % len(PALETTE)], fmt)
            ax.set_title(f"{part.unit} by {part.by}")
        return to_svg(fig, name)


def stacked_svg(data: Stacked, name: str) -> str:
    """One horizontal bar per provider/region from zero, stacked by workload, totals labelled."""
    import matplotlib

    suffix = "/month" if data.unit == "$/month" else ""
    with matplotlib.rc_context(RC):
        fig = _figure(7.5, 1.4 + 0.38 * len(data.places))
        ax = fig.subplots()
        positions = list(range(len(data.places)))[::-1]
        left = [0.0] * len(data.places)
        for i, (workload, series) in enumerate(zip(data.workloads, data.values, strict=True)):
            ax.barh(positions, series, left=left, height=0.6, label=workload,
                    color=PALETTE[i % len(PALETTE)])  # fmt: skip
            left = [a + b for a, b in zip(left, series, strict=True)]
        for y, total in zip(positions, left, strict=True):
            ax.annotate(f"${total:,.0f}{suffix}", (total, y), xytext=(3, 0),
                        textcoords="offset points", va="center", fontsize=8)  # fmt: skip
        ax.set_yticks(positions, list(data.places))
        ax.set_xlim(left=0)
        ax.margins(x=0.2)
        ax.set_xlabel("serving $ per month (730 h)" if suffix else "job $")
        ax.grid(axis="y", visible=False)
        _legend_below(ax)
        return to_svg(fig, name)


def quota_svg(uses: Sequence[QuotaUse], name: str) -> str:
    """Accelerators used (dark) against each quota's limit (light)."""
    import matplotlib

    with matplotlib.rc_context(RC):
        fig = _figure(7.5, 1.2 + 0.35 * len(uses))
        ax = fig.subplots()
        positions = list(range(len(uses)))[::-1]
        ax.barh(positions, [u.limit for u in uses], color="#d9e2ec", label="quota")
        used = ax.barh(
            positions,
            [u.used for u in uses],
            height=0.5,
            color=[PALETTE[3] if u.used > u.limit else PALETTE[0] for u in uses],
            label="used by the plan",
        )
        ax.bar_label(used, labels=[f"{u.used} of {u.limit}" for u in uses], padding=3, fontsize=8)
        ax.set_yticks(positions, [u.label for u in uses])
        ax.set_xlabel("accelerators (all instances at once)")
        ax.xaxis.get_major_locator().set_params(integer=True)
        ax.margins(x=0.2)
        ax.grid(axis="y", visible=False)
        _legend_below(ax)
        return to_svg(fig, name)


def slo_svg(rows: Sequence[Headroom], utils: Sequence[Utilisation], name: str) -> str:
    """Left: utilisation per serving allocation. Right: predicted TPOT against its target."""
    import matplotlib

    with matplotlib.rc_context(RC):
        fig = _figure(10.0, 1.3 + 0.32 * max(len(utils), len(rows) * 2, 2))
        left, right = fig.subplots(1, 2, width_ratios=(3, 2))
        _hbars(
            left,
            [u.label for u in utils],
            [u.utilisation * 100 for u in utils],
            PALETTE[0],
            "{:.0f}%",
        )
        left.set_xlim(0, 115)
        left.set_title("Planned utilisation per allocation (%)")
        timed = [r for r in rows if r.tpot_target_ms is not None]
        positions = list(range(len(timed)))[::-1]
        right.barh(
            [p + 0.2 for p in positions],
            [r.tpot_target_ms for r in timed],
            height=0.4,
            color="#d9e2ec",
            label="target",
        )
        predicted = right.barh(
            [p - 0.2 for p in positions],
            [r.tpot_ms or 0.0 for r in timed],
            height=0.4,
            color=[PALETTE[2] if r.meets_slo else PALETTE[3] for r in timed],
            label="predicted (worst instance)",
        )
        right.bar_label(
            predicted, labels=[f"{r.tpot_ms or 0:.0f} ms" for r in timed], padding=3, fontsize=8
        )
        right.set_yticks(positions, [r.workload for r in timed])
        right.set_title("TPOT (ms): predicted vs target")
        right.margins(x=0.3)
        right.grid(axis="y", visible=False)
        _legend_below(right)
        return to_svg(fig, name)


def frontier_svg(points: Sequence[FrontierPoint], name: str, unit: str = "$") -> str:
    """Cost against completion time, as steps (a cost holds until a faster point); plan starred."""
    import matplotlib

    with matplotlib.rc_context(RC):
        fig = _figure(7.0, 3.6)
        ax = fig.subplots()
        hours, costs = [p.hours for p in points], [p.cost for p in points]
        ax.step(
            hours, costs, where="post", color=PALETTE[0], label="cheapest plan finishing by then"
        )
        ax.plot(hours, costs, "o", color=PALETTE[0])
        chosen = [p for p in points if p.chosen]
        if chosen:
            ax.plot(
                [p.hours for p in chosen],
                [p.cost for p in chosen],
                "*",
                markersize=14,
                color=PALETTE[1],
                label="this plan",
            )
        ax.legend(fontsize=8)
        ax.set_xlim(left=0)
        ax.set_ylim(bottom=0)
        ax.set_xlabel("completion time (hours)")
        ax.set_ylabel(f"cost ({unit})")
        ax.set_title("Cost against completion time (Pareto frontier)")
        return to_svg(fig, name)


def schedule_svg(
    series: dict[str, list[float]], name: str, static: dict[str, int] | None = None
) -> str:
    """Replicas per UTC hour for each workload, as steps; dashed: its peak-sized (static) fleet."""
    import matplotlib

    with matplotlib.rc_context(RC):
        fig = _figure(7.5, 3.4)
        ax = fig.subplots()
        for i, (workload, values) in enumerate(series.items()):
            hours = list(range(len(values) + 1))
            ax.step(
                hours,
                [*values, values[-1]],
                where="post",
                label=workload,
                color=PALETTE[i % len(PALETTE)],
            )
            if static and workload in static:
                ax.hlines(static[workload], 0, len(values), linestyles="dashed",
                          color=PALETTE[i % len(PALETTE)], label=f"{workload} static")  # fmt: skip
        ax.set_xlim(0, 24)
        ax.set_xlabel("hour (UTC)")
        ax.set_ylabel("replicas")
        ax.set_ylim(bottom=0)
        ax.set_title("Replicas per hour")
        ax.legend(fontsize=8)
        return to_svg(fig, name)
