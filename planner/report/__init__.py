"""Reading plans: HTML and Markdown reports, diffs between plans, CI checks, FOCUS export.

Each module holds one idea and works data to data; files are read and written only by the CLI
(`planner/cli/report_cmd.py`); plans are read with `planner.plans.io.load_plan`.
"""

from planner.report.check import CheckLimits, check_plan
from planner.report.diff import PlanDiff, diff_plans
from planner.report.focus import FOCUS_COLUMNS, focus_csv, focus_rows
from planner.report.html import render_html
from planner.report.markdown import render_markdown

__all__ = [
    "FOCUS_COLUMNS",
    "CheckLimits",
    "PlanDiff",
    "check_plan",
    "diff_plans",
    "focus_csv",
    "focus_rows",
    "render_html",
    "render_markdown",
]
