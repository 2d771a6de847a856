"""Serving engines: the spec's `engine`, `planner estimate --engine`, the published factors."""

from __future__ import annotations

import json
import textwrap

import pytest

from planner.errors import InputError
from planner.facts import find_accelerator, find_llm
from planner.perf import DEFAULT_SETTINGS, SLO, replica_capacity
from planner.solve import solve
from planner.spec import parse_spec

H100 = find_accelerator("H100")
LLAMA_8B = find_llm("llama-3.1-8b")


def _spec(engine_line: str) -> str:
    return textwrap.dedent(f"""\
        workloads:
          - name: chat
            kind: serving
            model: llama-3.1-8b
            {engine_line}
            traffic: {{requests_per_second: 200, input_tokens: 1000, output_tokens: 250}}
            slo: {{tpot_ms: 30}}
            placement: {{providers: [aws], accelerators: [H100]}}
        """)


def test_a_faster_engine_never_lowers_capacity():
    figures = {
        engine: replica_capacity(
            LLAMA_8B, H100, 1, 1000, 250, SLO(tpot_ms=30), DEFAULT_SETTINGS.for_engine(engine)
        ).max_rps
        for engine in ("vllm", "sglang", "trt-llm")
    }
    assert figures["sglang"] > figures["trt-llm"] > figures["vllm"]  # factors 1.12, 1.03, 1


def test_the_spec_engine_reaches_the_plan_and_defaults_to_vllm():
    default = parse_spec(_spec(""))
    assert default.workloads[0].engine == "vllm"
    vllm = solve(default, baselines=False)
    sglang = solve(parse_spec(_spec("engine: sglang")), baselines=False)
    assert sglang.cost_per_hour <= vllm.cost_per_hour
    assert sum(a.routed_rps for a in sglang.allocations) == pytest.approx(200)


def test_an_unknown_engine_is_refused():
    with pytest.raises(InputError, match="engine"):
        parse_spec(_spec("engine: tgi"))


def test_estimate_takes_the_engine(cli):
    args = ("estimate", "--model", "llama-3.1-8b", "--accelerator", "H100", "--input-tokens",
            "1000", "--output-tokens", "250", "--tpot-ms", "30", "--format", "json")  # fmt: skip
    vllm = json.loads(cli(*args).stdout)
    sglang = json.loads(cli(*args, "--engine", "sglang").stdout)
    assert sglang["max_rps"] > vllm["max_rps"]
    assert cli(*args, "--engine", "tgi").exit_code == 2
