"""HTML: the one-page report of a plan (costs, savings, workloads, quotas, charts)."""

from __future__ import annotations

from planner.render import Format, renderer


@renderer("Report", Format.html)
def report(result, *, width=None) -> str:
    from planner.report import render_html

    uses = list(result.quota_usage) if result.quota_usage is not None else None
    return render_html(result.plan, uses)
