"""Engine settings and prefix caching in the spec: sizing uses them, the plan states them and
the emitted server flags carry them (what is planned is what is deployed)."""

from __future__ import annotations

import textwrap

import pytest

from planner.emit import emit
from planner.solve import solve
from planner.spec import parse_spec
from planner.spec.load import SpecError

SPEC = """
workloads:
  - name: chat
    kind: serving
    model: llama-3.1-8b
    engine: {engine}
{settings}
    traffic:
      requests_per_second: 20
      input_tokens: 3000
      output_tokens: 200
{prefix}
    slo:
      tpot_ms: 60
    placement:
      providers: [gcp]
      regions: [us-central1]
      services: [kubernetes]
constraints:
  objective: cost
"""


def _spec(engine="vllm", settings="", prefix=""):
    text = SPEC.format(engine=engine, settings=textwrap.indent(settings, " " * 4),
                       prefix=textwrap.indent(prefix, " " * 6))  # fmt: skip
    return parse_spec(text, "spec.yaml")


def _args(plan) -> list[str]:
    files, _ = emit(plan, ["kubernetes"])
    (deployment,) = [f.data for f in files if f.path.endswith("-0-deployment.yaml")]
    container = deployment["spec"]["template"]["spec"]["containers"][0]
    return [*container.get("command", []), *container.get("args", [])]


def test_engine_settings_size_the_plan_and_reach_the_server_flags():
    settings = "engine_settings:\n  max_num_seqs: 16\n  max_num_batched_tokens: 4096\n" \
               "  kv_cache_dtype: fp8\n  prefix_caching: false\n"  # fmt: skip
    plan = solve(_spec(settings=settings))
    (w,) = plan.workloads
    assert w.engine_settings == {"max_num_seqs": 16, "max_num_batched_tokens": 4096,
                                 "kv_cache_dtype": "fp8", "prefix_caching": False}  # fmt: skip
    assert any("max_num_seqs=16" in a for a in w.assumptions)
    assert all(a.max_batch <= 16 for a in plan.allocations)
    args = _args(plan)
    for flag, value in (("--max-num-seqs", None), ("--max-num-batched-tokens", "4096"),
                        ("--kv-cache-dtype", "fp8")):  # fmt: skip
        assert flag in args
        if value:
            assert args[args.index(flag) + 1] == value
    assert "--no-enable-prefix-caching" in args
    default = solve(_spec())
    capped = solve(_spec(settings="engine_settings:\n  max_num_seqs: 4\n"))
    assert default.cost_per_hour < capped.cost_per_hour  # 4 running requests cost replicas


def test_sglang_gets_its_own_spelling_of_the_settings():
    settings = "engine_settings:\n  max_num_batched_tokens: 2048\n  prefix_caching: false\n"
    args = _args(solve(_spec(engine="sglang", settings=settings)))
    assert args[args.index("--chunked-prefill-size") + 1] == "2048"
    assert "--disable-radix-cache" in args


def test_a_prefix_cache_hit_rate_makes_the_plan_cheaper_and_is_stated():
    cold = solve(_spec())
    warm = solve(_spec(prefix="prefix_hit_rate: 0.8"))
    assert warm.cost_per_hour <= cold.cost_per_hour
    (w,) = warm.workloads
    assert any("80% of prompt tokens" in a for a in w.assumptions)
    assert cold.workloads[0].assumptions == []
    shared = solve(_spec(prefix="shared_prefix_tokens: 2400"))
    assert any("2400 shared prompt tokens" in a for a in shared.workloads[0].assumptions)


@pytest.mark.parametrize(
    ("engine", "settings", "prefix", "expected"),
    [
        ("trt-llm", "engine_settings:\n  prefix_caching: true\n", "", "trtllm-serve"),
        ("vllm", "", "prefix_hit_rate: 0.5\nshared_prefix_tokens: 10", "not both"),
        ("vllm", "", "prefix_hit_rate: 1.0", "below 1"),
        ("vllm", "engine_settings:\n  max_num_seqs: 0\n", "", "max_num_seqs"),
    ],
)
def test_bad_engine_settings_are_refused_naming_the_field(engine, settings, prefix, expected):
    with pytest.raises(SpecError, match=expected):
        _spec(engine=engine, settings=settings, prefix=prefix)


def test_a_spec_without_the_new_fields_keeps_its_digest():
    spec = _spec()
    dumped = spec.model_dump(mode="json")["workloads"][0]
    assert "engine_settings" not in dumped
    assert "prefix_hit_rate" not in dumped["traffic"]
