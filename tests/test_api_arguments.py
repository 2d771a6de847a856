"""Public Python functions check their arguments and raise the planner's own errors, never a
library's exception from deep inside, and never silently do something else."""

from __future__ import annotations

from pathlib import Path

import pytest

import planner
from planner.catalog import load_catalog
from planner.catalog.select import select_offerings
from planner.errors import ArgumentError, InputError
from planner.facts import find_accelerator, find_llm
from planner.spec import parse_spec

ROOT = Path(__file__).resolve().parent.parent


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


# --- every use case of planner.app checks its arguments at the door ----------------------------


def _use_cases():
    import inspect

    import planner.app as app

    for name in sorted(app.__all__):
        function = getattr(app, name)
        if inspect.isfunction(function):
            yield name, function


def _parameters(kinds: tuple[str, ...] = ()):
    import inspect

    from planner.app.arguments import _atoms

    for name, function in _use_cases():
        for param in inspect.signature(function).parameters.values():
            atoms = _atoms(param.annotation)
            if atoms is not None and (not kinds or any(k in atoms for k in kinds)):
                yield pytest.param(function, param.name, id=f"{name}-{param.name}")


def test_every_use_case_checks_its_arguments():
    assert len(list(_parameters())) > 60  # the checker reads the annotations it is meant to


@pytest.mark.parametrize(("function", "argument"), list(_parameters()))
def test_an_argument_of_no_type_a_use_case_takes_is_an_argument_error(function, argument):
    with pytest.raises(ArgumentError) as caught:
        function(**{argument: object()})
    assert f"{function.__name__}(): {argument} must be" in str(caught.value)


@pytest.mark.parametrize(("function", "argument"), list(_parameters(("int", "float"))))
@pytest.mark.parametrize("value", [float("nan"), float("inf"), -1e308, 10**400, True, "5"])
def test_a_number_argument_is_finite_in_range_and_never_a_string_or_bool(function, argument, value):
    with pytest.raises(ArgumentError) as caught:
        function(**{argument: value})
    assert f"{function.__name__}(): {argument} must be" in str(caught.value)
    assert len(str(caught.value)) < 200  # never the 400 digits


def test_a_whole_number_argument_is_never_truncated():
    import planner.app as app

    with pytest.raises(ArgumentError, match=r"count must be a whole number, not 2\.7"):
        app.estimate("llama-3.1-8b", "H100", 100, 10, count=2.7)


def test_an_unknown_simulation_policy_is_an_argument_error():
    import planner.app as app

    with pytest.raises(ArgumentError, match="policy must be one of"):
        app.simulate(ROOT / "tests/golden/plans/sagemaker-endpoint.json",
                     ROOT / "examples/sagemaker-endpoint.yaml", policy="zz")  # fmt: skip
