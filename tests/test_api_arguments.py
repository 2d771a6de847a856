"""Public Python functions check their arguments and raise the planner's own errors, never a
library's exception from deep inside, and never silently do something else."""

from __future__ import annotations

import pytest

import planner
from planner.catalog import load_catalog
from planner.catalog.select import select_offerings
from planner.errors import ArgumentError, InputError
from planner.facts import find_accelerator, find_llm
from planner.spec import parse_spec


def test_load_catalog_takes_one_name_as_one_source():
    assert load_catalog("bundled").offerings == load_catalog().offerings
    assert load_catalog(["bundled"]).offerings == load_catalog().offerings


def test_select_offerings_takes_one_accelerator_name_as_a_filter():
    offerings = load_catalog().offerings
    one = select_offerings(offerings, accelerators="H100")
    assert one and {o.accelerator for o in one} == {"H100"}
    assert one == select_offerings(offerings, accelerators=["H100"])
    assert select_offerings(offerings, providers="gcp") == select_offerings(
        offerings, providers=["gcp"]
    )


@pytest.mark.parametrize("bad", [5, {"H100": 1}, [None]])
def test_select_offerings_refuses_what_is_not_names(bad):
    with pytest.raises(ArgumentError, match=r"select_offerings\(\): .*accelerators"):
        select_offerings(load_catalog().offerings, accelerators=bad)


@pytest.mark.parametrize("call", [find_llm, find_accelerator])
def test_lookups_refuse_a_non_string_name(call):
    with pytest.raises(ArgumentError, match=r"name must be a string, not NoneType"):
        call(None)


def test_parse_spec_takes_a_mapping_and_names_its_problems():
    spec = parse_spec(
        {"workloads": [{"name": "j", "kind": "batch", "model": "qwen2.5-7b", "deadline_hours": 8,
                        "volume": {"requests": 1000, "input_tokens": 100, "output_tokens": 10}}]}
    )  # fmt: skip
    assert spec.workloads[0].name == "j"
    with pytest.raises(InputError, match="workloads"):
        parse_spec({"workloads": 3})


@pytest.mark.parametrize("bad", [5, None, b"workloads: []"])
def test_parse_spec_refuses_what_is_neither_text_nor_a_mapping(bad):
    with pytest.raises(ArgumentError, match=r"parse_spec\(\): text must be a string"):
        parse_spec(bad)


def test_argument_errors_are_planner_errors_and_type_errors():
    assert issubclass(ArgumentError, planner.errors.PlannerError)
    assert issubclass(ArgumentError, TypeError)
