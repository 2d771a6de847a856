"""One registry renders every verb's result: each verb offers exactly the formats there are
renderers for, every renderer gives text for a real result (JSON that parses, tables that fit
the width asked for), and an -o file's suffix picks the format."""

from __future__ import annotations

import json

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

import planner
from planner.render import Format, formats, render
from tests.conftest import EXAMPLES

CHATBOT = next(p for p in EXAMPLES if p.name == "chatbot-fleet.yaml")
TRADEOFF = next(p for p in EXAMPLES if p.name == "batch-deadline-tradeoff.yaml")
VERBS = {
    "plan": "Plan", "frontier": "Frontier", "verify": "Verification", "report": "Report",
    "diff": "Diff", "check": "Check", "export": "Export", "emit": "Emitted", "sweep": "SweepRun",
    "schedule": "Schedules",
}  # fmt: skip


@pytest.mark.parametrize(("verb", "kind"), sorted(VERBS.items()))
def test_each_verb_offers_the_formats_its_result_has_renderers_for(cli, verb, kind):
    shown = cli(verb, "--help").stdout
    offered = formats(kind)
    assert "json" in offered
    assert "|".join(offered) in shown.replace("\n", "").replace(" ", "")


@pytest.fixture(scope="module")
def results(tmp_path_factory):
    plan = planner.plan(CHATBOT, as_of="2026-12-01")
    folder = tmp_path_factory.mktemp("emit")
    return {
        "Plan": plan,
        "Frontier": planner.frontier(TRADEOFF, points=2, as_of="2026-12-01"),
        "Verification": planner.verify_plan(plan, CHATBOT),
        "Report": planner.report_plan(plan, CHATBOT),
        "Diff": planner.diff(plan, plan, min_change=0),
        "Check": planner.check(plan, max_cost_per_hour=1),
        "Export": planner.export(plan, start="2027-01-01T00:00:00Z"),
        "Emitted": planner.emit_plan(plan, "kubernetes", folder),
    }


@pytest.mark.parametrize("kind", ["Plan", "Frontier", "Verification", "Report", "Diff", "Check",
                                  "Export", "Emitted"])  # fmt: skip
def test_every_renderer_gives_text_for_a_real_result(results, kind):
    result = results[kind]
    for fmt in formats(kind):
        text = render(result, fmt, kind=kind)
        assert text.endswith("\n") and text.strip(), (kind, fmt)
        if fmt is Format.json:
            json.loads(text)
        if fmt in (Format.table, Format.text):
            assert "\x1b" not in text


@pytest.mark.parametrize("width", [80, 120])
def test_tables_fit_the_width_they_are_given(results, width):
    for kind in ("Plan", "Diff", "Frontier"):
        text = render(results[kind], Format.table, kind=kind, width=width)
        assert all(len(line) <= width for line in text.splitlines()), kind


def test_a_format_a_result_has_no_renderer_for_is_refused(results):
    with pytest.raises(ValueError, match=r"no html renderer for Plan \(it has: table, json"):
        render(results["Plan"], Format.html)


@pytest.mark.parametrize(("suffix", "first"), [(".md", "**Plan**"), (".yaml", "schema_version")])
def test_an_output_files_suffix_picks_its_format(cli, tmp_path, results, suffix, first):
    plan_file = tmp_path / "plan.json"
    plan_file.write_text(results["Plan"].model_dump_json())
    out = tmp_path / f"plan{suffix}"
    result = cli("plan", CHATBOT, "--date", "2026-12-01", "-o", out, "--quiet")
    assert result.exit_code == 0, result.stderr
    assert out.read_text().startswith(first)


# --- a long listing is drawn without rich, exactly as rich draws it ----------------------------

_ascii_words = st.text(alphabet=st.characters(min_codepoint=0x20, max_codepoint=0x7E), max_size=12)
_values = st.one_of(
    st.none(), st.booleans(), st.integers(-(10**9), 10**9),
    st.floats(allow_nan=False, allow_infinity=False, width=32), _ascii_words,
)  # fmt: skip


@settings(max_examples=200, database=None, deadline=None)
@given(
    columns=st.lists(st.sampled_from(["a", "name", "rate", "region x", "b"]), min_size=1,
                     max_size=4, unique=True),
    rows=st.lists(st.lists(_values, min_size=4, max_size=4), max_size=6),
    title=st.none() | _ascii_words,
    width=st.none() | st.integers(20, 120),
)  # fmt: skip
def test_a_table_drawn_directly_is_the_table_rich_draws(columns, rows, title, width):
    from planner.render.layout import _cell, _layout, _numeric, _plain, _plain_table, _rich_table

    cells = [{c: _cell(v) for c, v in zip(columns, row, strict=False)} for row in rows]
    widths = _layout(columns, cells, None)
    assume(_plain(columns, cells, title, widths))
    numbers = [_numeric([row[c] for row in cells]) for c in columns]
    assert _plain_table(columns, cells, title, widths, numbers) == _rich_table(
        columns, cells, title, widths, numbers, width
    )


def test_a_long_listing_is_drawn_directly_row_by_row():
    from planner.render.layout import table_text

    rows = [
        {"region": f"r{k % 7}", "type": f"Standard_NC{k}", "rate": k / 1000} for k in range(3000)
    ]
    text = table_text(rows, ["region", "type", "rate"])
    lines = text.splitlines()
    assert len(lines) == 3000 + 4 and lines[3].split() == ["r0", "Standard_NC0", "0"]
    assert all(len(line) == len(lines[0]) for line in lines)
