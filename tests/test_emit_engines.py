"""Emitters deploy the engine a plan was sized for, or refuse: a plan sized for SGLang or
TensorRT-LLM capacity is never deployed on vLLM.

The engine facts (image, command, flags, health route, targets) come from one module,
planner/facts/engines.py; the golden files (tests/test_emit_golden.py) pin the rendered files
of the *-sglang and *-trt-llm plans, and tests/test_emit_examples.py runs the validators on them.
"""

from __future__ import annotations

import json
import textwrap
from pathlib import Path

import pytest

from planner.emit import TARGETS, emit
from planner.errors import InputError
from planner.facts.engines import ENGINE_RUNTIMES, serving_image, why_not
from planner.facts.engines import TARGETS as ENGINE_TARGETS
from planner.plans.io import load_plan
from planner.plans.model import Plan
from tests.engine_variants import NAMES, VARIANTS, variant_plan

GOLDEN = Path(__file__).resolve().parent / "golden" / "plans"


def with_engine(name: str, engine: str) -> Plan:
    """An example's saved (vLLM) plan with its workloads' engine changed: a plan made otherwise
    than by `planner plan` for that engine, e.g. on capacity the engine cannot run on."""
    plan = load_plan(GOLDEN / f"{name}.json")
    workloads = [w.model_copy(update={"engine": engine}) for w in plan.workloads]
    return plan.model_copy(update={"workloads": workloads})


def files_of(plan: Plan, targets) -> dict[str, object]:
    files, _ = emit(plan, targets)
    return {f.path: f.data for f in files}


def containers(files: dict[str, object]) -> list[dict]:
    return [
        data["spec"]["template"]["spec"]["containers"][0]
        for path, data in files.items()
        if path.endswith("-deployment.yaml")
    ]


def test_every_engine_of_the_spec_has_deployment_facts_and_targets_match_emit():
    from typing import get_args

    from planner.spec.models import Engine

    assert set(ENGINE_RUNTIMES) == set(get_args(Engine))
    assert ENGINE_TARGETS == TARGETS
    for engine in ENGINE_RUNTIMES.values():
        assert engine.targets <= set(TARGETS) and engine.source.startswith("https://")
        assert engine.health_path.startswith("/")


@pytest.mark.parametrize("engine", ["sglang", "trt-llm"])
def test_kubernetes_runs_the_engines_own_image_command_and_health_route(engine):
    runtime = ENGINE_RUNTIMES[engine]
    public = serving_image(engine, "H100", "kubernetes")
    assert public is not None and public.command
    files = files_of(variant_plan("eu-residency", engine), ["kubernetes"])
    found = containers(files)
    assert len(found) == 2
    for container in found:
        assert "nvidia.com/gpu" in container["resources"]["limits"]
        assert container["image"] == public.image
        assert container["command"] == list(public.command)
        assert container["startupProbe"]["httpGet"]["path"] == runtime.health_path
        assert "--model" not in container["args"]  # no vLLM flag reaches another engine
        assert runtime.flags["tp"] in container["args"]
        assert "0.0.0.0" in container["args"]  # both bind to localhost by default


def test_vllm_keeps_the_cuda_image_entrypoint_and_gets_the_neuron_build_on_inferentia():
    # the eu-residency golden plan is on NVIDIA only;
    # the Neuron build is checked on the vendor plan that runs on inf2
    from tests.test_emit_vendors import PLANS

    files = {**files_of(load_plan(GOLDEN / "eu-residency.json"), ["kubernetes"]),
             **files_of(PLANS["neuron"], ["kubernetes"])}  # fmt: skip
    devices = set()
    for container in containers(files):
        device = next(iter(container["resources"]["limits"]))
        devices.add(device)
        assert container["args"][0] == "--model"
        if device == "nvidia.com/gpu":
            assert container["image"].startswith("vllm/vllm-openai:")
            assert "command" not in container
        else:
            assert device == "aws.amazon.com/neuron"
            assert container["image"].startswith("public.ecr.aws/neuron/")
            assert container["command"][-1] == "vllm.entrypoints.openai.api_server"
    assert devices == {"nvidia.com/gpu", "aws.amazon.com/neuron"}


def test_the_spec_can_pin_an_engines_image_and_arguments():
    plan = variant_plan(
        "eu-residency",
        "sglang",
        engines={"sglang": {"image": "registry.example.com/sglang@sha256:" + "a" * 64,
                            "extra_args": ["--chunked-prefill-size", "4096"]}},
        extra_args=["--enable-prefix-caching"],
    )  # fmt: skip
    for container in containers(files_of(plan, ["kubernetes"])):
        assert container["image"].startswith("registry.example.com/sglang@")
        assert container["args"][-4:-2] == ["--chunked-prefill-size", "4096"]
        assert "--enable-prefix-caching" not in container["args"]  # vLLM's flags stay vLLM's


def test_an_engine_without_a_prometheus_request_metric_gets_no_autoscaler_and_a_note():
    files, notes = emit(variant_plan("eu-residency", "trt-llm"), ["kubernetes"])
    assert not any(f.path.endswith("-hpa.yaml") for f in files)
    assert any("no HorizontalPodAutoscaler" in n and "TensorRT-LLM" in n for n in notes)
    sglang, _ = emit(variant_plan("eu-residency", "sglang"), ["kubernetes"])
    hpa = [f.data for f in sglang if f.path.endswith("-hpa.yaml")]
    assert hpa and all(
        h["spec"]["metrics"][0]["pods"]["metric"]["name"] == "sglang_num_running_reqs" for h in hpa
    )


def test_sagemaker_runs_tensorrt_llm_through_the_lmi_trtllm_backend():
    files = files_of(variant_plan("sagemaker-endpoint", "trt-llm"), ["sagemaker"])
    models = [d for p, d in files.items() if "-model-v" in p]
    assert models
    for model in models:
        env = model["PrimaryContainer"]["Environment"]
        assert env["OPTION_ROLLING_BATCH"] == "trtllm"
        assert "tensorrtllm" in model["PrimaryContainer"]["Image"]
        assert "OPTION_MAX_MODEL_LEN" not in env  # a vLLM option


def test_vertex_gets_the_engines_command_and_health_route():
    files = files_of(variant_plan("vertex-endpoint", "sglang"), ["vertex"])
    uploads = [d["model"]["containerSpec"] for p, d in files.items() if "-0-model-v" in p]
    assert uploads
    for spec in uploads:
        assert spec["command"] == ["python3", "-m", "sglang.launch_server"]
        assert spec["imageUri"] == serving_image("sglang", "L4", "vertex").image
        assert spec["healthRoute"] == "/health" and "--model-path" in spec["args"]


def test_ray_alone_refuses_a_non_vllm_workload_naming_the_workload_and_engine(cli, tmp_path):
    plan = variant_plan("eu-residency", "sglang")
    with pytest.raises(InputError, match=r"eu-support-bot.*engine sglang.*Ray Serve LLM"):
        emit(plan, ["ray"])
    plan_file = tmp_path / "plan.json"
    plan_file.write_text(plan.model_dump_json())
    result = cli("emit", plan_file, "--target", "ray", "-o", tmp_path / "out")
    assert result.exit_code == 2
    assert "eu-support-bot" in result.stderr and "sglang" in result.stderr
    assert not (tmp_path / "out").exists()


def test_all_targets_skip_ray_with_a_note_when_kubernetes_deploys_the_allocation():
    files, notes = emit(variant_plan("eu-residency", "sglang"), TARGETS)
    assert {f.path.split("/")[0] for f in files} == {"kubernetes", "skypilot"}
    assert sum("ray: cannot deploy workload eu-support-bot" in n for n in notes) == 2


def test_sagemaker_refuses_sglang_even_among_all_targets(cli, tmp_path):
    plan_file = tmp_path / "plan.json"
    plan_file.write_text(with_engine("sagemaker-endpoint", "sglang").model_dump_json())
    result = cli("emit", plan_file, "--target", "all", "-o", tmp_path / "out")
    assert result.exit_code == 2
    assert "support-chat" in result.stderr and "no SGLang backend" in result.stderr


def test_an_engine_is_refused_on_an_accelerator_its_image_does_not_run_on():
    # the vendor plan's chat-inf2 runs on Inferentia2: neither SGLang's nor TensorRT-LLM's image
    # runs there.
    from tests.test_emit_vendors import PLANS

    for engine in ("sglang", "trt-llm"):
        plan = PLANS["neuron"]
        workloads = [w.model_copy(update={"engine": engine}) for w in plan.workloads]
        with pytest.raises(InputError, match=rf"chat-inf2.*engine {engine}.*Inferentia2"):
            emit(plan.model_copy(update={"workloads": workloads}), TARGETS)


def test_batch_jobs_need_an_engine_with_an_offline_runner():
    assert why_not("trt-llm", "kubernetes", "H100", "batch").startswith("TensorRT-LLM has no")
    assert why_not("vllm", "kubernetes", "H100", "batch") == ""
    plan = with_engine("nightly-batch-spot", "sglang")
    with pytest.raises(InputError, match="ticket-summaries"):
        emit(plan, ["kubernetes"])


def test_plans_made_before_engines_were_recorded_read_as_vllm():
    before = Path(__file__).resolve().parent / "data" / "plan-v1-chatbot-fleet.json"
    raw = json.loads(before.read_text())
    assert all("engine" not in w for w in raw["workloads"])
    assert {w.engine for w in load_plan(before, notes=lambda _: None).workloads} == {"vllm"}


SPEC = textwrap.dedent("""\
    workloads:
      - name: chat
        kind: serving
        model: llama-3.1-8b
        engine: {engine}
        traffic: {{requests_per_second: 20, input_tokens: 1000, output_tokens: 250}}
        slo: {{tpot_ms: 40}}
        placement: {{providers: [aws], accelerators: [A10G], services: [sagemaker]}}
    """)


def test_plans_never_use_capacity_their_engine_cannot_be_deployed_on():
    from planner.errors import InfeasibleError, InputError
    from planner.solve import solve
    from planner.spec import parse_spec

    with pytest.raises(InputError, match=r"engine sglang cannot be deployed on A10G to sagemaker"):
        parse_spec(SPEC.format(engine="sglang"))  # the chip is pinned: the spec contradicts itself
    any_chip = SPEC.format(engine="sglang").replace("accelerators: [A10G], ", "")
    with pytest.raises(InfeasibleError, match=r"engine sglang: SageMaker's LMI .* no SGLang"):
        solve(parse_spec(any_chip), baselines=False)
    anywhere = SPEC.format(engine="sglang").replace(", services: [sagemaker]", "")
    plan = solve(parse_spec(anywhere), baselines=False)
    assert plan.allocations and "sagemaker" not in {a.service for a in plan.allocations}
    assert plan.workloads[0].engine == "sglang"


def test_verify_says_when_no_target_can_deploy_the_planned_engine():
    from planner.catalog import load_catalog
    from planner.solve import solve
    from planner.spec import parse_spec
    from planner.verify import verify

    trt = parse_spec(SPEC.format(engine="trt-llm"))
    plan = solve(trt, baselines=False)
    assert {a.service for a in plan.allocations} == {"sagemaker"}
    assert not [v for v in verify(plan, trt, load_catalog()) if "engine" in str(v)]
    sglang = parse_spec(SPEC.format(engine="sglang").replace("accelerators: [A10G], ", ""))
    problems = [str(v) for v in verify(plan, sglang, load_catalog())]
    assert any("cannot be deployed with engine sglang" in p for p in problems)


@pytest.mark.parametrize(("base", "engine"), VARIANTS, ids=NAMES)
def test_no_vllm_reaches_the_files_of_another_engine(base, engine):
    files, _ = emit(variant_plan(base, engine), TARGETS)
    assert files
    assert "vllm" not in "\n".join(f.text for f in files).lower()


@pytest.mark.parametrize(("plan_name", "target"), [("sagemaker-endpoint", "sagemaker"),
                                                    ("vertex-endpoint", "vertex")])  # fmt: skip
def test_launch_refuses_what_emit_refuses(cli, tmp_path, plan_name, target):
    engine = "sglang" if target == "sagemaker" else "trt-llm"
    plan = with_engine(plan_name, engine)
    if target == "vertex":  # TensorRT-LLM's image does not run on TPUs: put the plan on one
        from planner.plans.identity import plan_id

        tpu = [a.model_copy(update={"accelerator": "TPU-v5e"}) for a in plan.allocations]
        new_id = plan_id(plan.spec_sha256, plan.plan_date, tpu)
        plan = plan.model_copy(update={"allocations": tpu, "plan_id": new_id})
    plan_file = tmp_path / "plan.json"
    plan_file.write_text(plan.model_dump_json())
    result = cli("launch", plan_file, "--target", target)
    assert result.exit_code == 2, result.stdout
    assert "refusing to launch" in result.stderr and f"engine {engine}" in result.stderr


def test_engine_settings_travel_in_the_plan_and_leave_other_specs_digests_alone(tmp_path):
    from planner.plans.identity import spec_digest
    from planner.solve import solve
    from planner.spec import parse_spec
    from planner.spec.deploy import Deploy

    image = "123456789012.dkr.ecr.{region}.amazonaws.com/lmi-trtllm:pinned"
    text = (
        SPEC.format(engine="trt-llm")
        + f"deploy:\n  engines:\n    trt-llm: {{sagemaker_image: '{image}'}}\n"
    )
    spec = parse_spec(text)
    plan_file = tmp_path / "plan.json"
    plan_file.write_text(solve(spec, baselines=False).model_dump_json())
    files = files_of(load_plan(plan_file), ["sagemaker"])
    images = {d["PrimaryContainer"]["Image"] for p, d in files.items() if "-model-v" in p}
    assert images == {image.format(region="us-east-1")} or all(
        "lmi-trtllm:pinned" in i for i in images
    )
    assert "engines" not in Deploy().model_dump()  # a spec without it keeps its digest
    plain = parse_spec(SPEC.format(engine="trt-llm"))
    assert spec_digest(plain) != spec_digest(spec)
