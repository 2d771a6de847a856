"""The constraint-family registry is found, not listed: every module of planner.rules with SLOTS
is a family, and each row group is its families' slots in order-key order. These tests pin
the order the models write their rows in (so every model proto and plan stays the same), and
show that a family cannot be left out silently or collide with another's position."""

from __future__ import annotations

import ast
import importlib
import textwrap
import types
from pathlib import Path

import pytest

import planner.rules
from planner.rules import families
from planner.rules.families import RegistryError, discover, row_groups
from planner.rules.rows import Slot


def _names(group) -> list[str]:
    return [f"{fn.__module__.removeprefix('planner.rules.')}.{fn.__name__}" for fn in group]


def test_every_model_takes_the_families_rows_in_the_order_they_were_always_written():
    assert _names(families.SERVING_ROWS) == [
        "routing.rows",
        "edge_share.rows",
        "capacity.rows",
        "capacity.floor_rows",
        "replicas.rows",
        "spot_share.serving_rows",
        "regions.rows",
        "region_loss.rows",
    ]
    assert _names(families.LP_SERVING_ROWS) == [
        "routing.rows",
        "capacity.rows",
        "replicas.rows",
        "capacity.floor_rows",
    ]
    assert _names(families.BATCH_ROWS) == ["deadlines.batch_rows", "spot_share.batch_rows"]
    assert _names(families.LP_BATCH_ROWS) == ["deadlines.batch_rows"]
    assert _names(families.TRAINING_ROWS) == [
        "deadlines.training_rows",
        "spot_share.training_rows",
    ]
    assert _names(families.LP_TRAINING_ROWS) == ["deadlines.training_rows"]
    assert _names(families.SHARED_ROWS) == ["owned.rows", "quotas.rows", "budget.rows"]
    assert _names(families.WORKLOAD_CHECKS) == ["spot_share.check"]
    assert _names(families.FLEET_CHECKS) == [
        "owned.fleet_check",
        "quotas.fleet_check",
        "budget.fleet_check",
    ]


def test_the_decomposition_prices_quotas_then_owned_pools_then_the_budget():
    from planner.spec import parse_spec

    spec = parse_spec(
        textwrap.dedent("""
        workloads:
          - name: chat
            kind: serving
            model: llama-3.1-8b
            traffic: {requests_per_second: 2, input_tokens: 500, output_tokens: 200}
            slo: {ttft_p95_ms: 2000, tpot_ms: 100}
        constraints:
          budget_per_hour: 90
          quotas:
            - {provider: aws, region: us-east-1, accelerator: L4, max_accelerators: 8}
        """)
    )
    pool = types.SimpleNamespace(accelerators=4)
    rows = families.coupling(spec, {"lab": pool})
    assert [(r.name, r.capacity) for r in rows] == [
        ("quota:0", 8.0),
        ("owned:lab", 4.0),
        ("budget", 90.0),
    ]


def _defines_row_writer(path: Path) -> bool:
    """Read from the source (not from the registry's own test): a top-level function named
    `rows` or `*_rows`."""
    tree = ast.parse(path.read_text())
    return any(
        isinstance(node, ast.FunctionDef) and (node.name == "rows" or node.name.endswith("_rows"))
        for node in tree.body
    )


def test_every_rules_module_that_writes_rows_is_a_registered_family():
    folder = Path(planner.rules.__file__).parent
    writers = {
        f"planner.rules.{path.stem}"
        for path in folder.glob("*.py")
        if path.stem != "families" and _defines_row_writer(path)  # the registry itself
    }
    registered = {f.__name__ for f in families.FAMILIES}
    assert writers, "no rules module writes rows?"
    assert writers <= registered, writers - registered
    # and each of them puts at least one of its row writers into a model's row group
    for name in writers:
        module = importlib.import_module(name)
        slotted = {slot.write for slot in module.SLOTS}
        assert slotted & {getattr(module, n) for n in families.row_writers(module)}, name


def _package(root: Path, name: str, modules: dict[str, str]) -> types.ModuleType:
    folder = root / name
    folder.mkdir()
    (folder / "__init__.py").write_text("")
    for module, text in modules.items():
        (folder / f"{module}.py").write_text(textwrap.dedent(text))
    return importlib.import_module(name)


def test_a_rules_module_with_rows_but_no_slots_is_refused(tmp_path, monkeypatch):
    monkeypatch.syspath_prepend(str(tmp_path))
    package = _package(
        tmp_path,
        "rules_forgotten_slots",
        {
            "kept": """
                from planner.rules.rows import Slot

                def rows(m, v):
                    pass

                SLOTS = (Slot("serving", 10, rows),)
            """,
            "forgotten": """
                def batch_rows(m, v):
                    pass
            """,
        },
    )
    with pytest.raises(RegistryError, match=r"rules_forgotten_slots\.forgotten.*batch_rows"):
        discover(package)


def test_a_new_family_goes_where_its_order_key_says_without_a_registry_line(tmp_path, monkeypatch):
    monkeypatch.syspath_prepend(str(tmp_path))
    package = _package(
        tmp_path,
        "rules_new_family",
        {
            "gpu_cap": """
                from planner.rules.rows import Slot

                def rows(m, v):
                    pass

                SLOTS = (Slot("serving", 65, rows),)
            """
        },
    )
    found = discover(package)
    groups = row_groups(families.FAMILIES + found)
    assert _names(groups["serving"])[5:8] == [
        "spot_share.serving_rows",
        "rules_new_family.gpu_cap.rows",
        "regions.rows",
    ]
    assert groups["lp_serving"] == families.LP_SERVING_ROWS


def _family(name: str, *slots: Slot) -> types.ModuleType:
    module = types.ModuleType(name)
    module.SLOTS = slots  # type: ignore[attr-defined]
    return module


def _rows(m, v):
    pass


def test_two_families_may_not_share_an_order_key_in_one_row_group():
    with pytest.raises(
        RegistryError, match=r"rules\.b\._rows and rules\.a\._rows share order key 30"
    ):
        row_groups(
            (
                _family("rules.a", Slot("batch", 30, _rows)),
                _family("rules.b", Slot("batch", 30, _rows)),
            )
        )
    # the same key in two groups is fine: each group has its own order
    groups = row_groups(
        (
            _family("rules.a", Slot("batch", 30, _rows)),
            _family("rules.b", Slot("serving", 30, _rows)),
        )
    )
    assert groups["batch"] == groups["serving"] == (_rows,)


def test_a_slot_in_an_unknown_row_group_is_refused():
    with pytest.raises(RegistryError, match=r"unknown row group 'servng'"):
        row_groups((_family("rules.a", Slot("servng", 10, _rows)),))


_BATCH_YAML = """
workloads:
  - name: nightly
    kind: batch
    model: llama-3.1-8b
    volume: {requests: 100000, input_tokens: 500, output_tokens: 200}
    deadline_hours: 8
"""


@pytest.mark.parametrize("hook", [None, "True"])
def test_a_family_with_mip_only_batch_rows_keeps_the_cheapest_rate_shortcut_only_if_it_says_so(
    tmp_path, monkeypatch, hook
):
    from planner.spec import parse_spec

    job = parse_spec(_BATCH_YAML).workloads[0]
    assert families.cheapest_rate_exact(job)  # no spot cap: the real families allow it
    capped = job.model_copy(
        update={"placement": job.placement.model_copy(update={"max_spot_share": 0.5})}
    )
    assert not families.cheapest_rate_exact(capped)  # the cheapest rate may be spot
    monkeypatch.syspath_prepend(str(tmp_path))
    said = f"def cheapest_rate_exact(workload):\n    return {hook}\n" if hook else ""
    package = _package(
        tmp_path,
        f"rules_batch_{hook}",
        {
            "gpu_hours": f"""
from planner.rules.rows import Slot

def batch_rows(m, v):
    pass

{said}
SLOTS = (Slot("batch", 30, batch_rows),)
"""
        },
    )
    found = families.FAMILIES + discover(package)
    assert families.cheapest_rate_exact(job, found) is (hook == "True")
