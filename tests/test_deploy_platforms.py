"""What runs on a chip follows its vendor: image, device resource and engine, from one table.

planner/facts/data/serving_images.csv maps (engine, platform, target) to a public image; a chip's
vendor gives its platform. A combination with no row is never planned, and a spec that pins one
exits 2 naming the engine, the chip and the targets.
"""

from __future__ import annotations

import re
import textwrap

import pytest

from planner.facts import accelerators
from planner.facts.engines import (
    ENGINE_RUNTIMES,
    PLATFORMS,
    TARGETS,
    TRAINING,
    platform_of,
    serving_image,
    serving_images,
    why_not,
)
from planner.spec.deploy import Deploy

CUDA_IMAGE = re.compile(r"(vllm/vllm-openai|-cu\d+|tensorrt-llm)")
"""What a CUDA build's name looks like in the table: vLLM's CUDA image, a -cuNNN tag, TRT-LLM."""


def test_every_image_row_is_sourced_and_names_a_known_engine_platform_and_target():
    rows = serving_images()
    assert rows
    platforms = {p.name for p in PLATFORMS.values()}
    seen = set()
    families = {a.family for a in accelerators()}
    for row in rows:
        for family in row.families or {""}:
            key = (row.engine, row.platform, row.target, family)
            assert key not in seen, f"{key} twice"
            seen.add(key)
        assert row.families <= families, row.families - families
        assert row.engine in {*ENGINE_RUNTIMES, TRAINING} and row.platform in platforms
        assert row.target in TARGETS and row.image and row.version
        assert row.source.startswith("https://")
        if row.target == "sagemaker":
            assert ".dkr.ecr.{region}.amazonaws.com/" in row.image  # SageMaker pulls from ECR


def test_the_specs_default_images_are_the_tables_cuda_images():
    deploy = Deploy()
    assert deploy.image == serving_image("vllm", "H100", "kubernetes").image
    assert deploy.sagemaker_image == serving_image("vllm", "H100", "sagemaker").image
    assert deploy.training_image == serving_image(TRAINING, "H100", "kubernetes").image


def test_blackwell_gets_a_cuda_12_8_build_unless_the_spec_names_its_own_image():
    from planner.rules.deployment import server

    deploy = Deploy()
    assert server(deploy, "vllm", "B200", "kubernetes").image == "vllm/vllm-openai:v0.11.0"
    assert server(deploy, "vllm", "H100", "kubernetes").image == deploy.image
    assert "cuda12.8" in server(deploy, "vllm", "B200", "kubernetes", kind="training").image
    mine = Deploy(image="registry.example.com/vllm@sha256:" + "b" * 64)
    assert server(mine, "vllm", "B200", "kubernetes").image == mine.image
    assert server(mine, "vllm", "MI300X", "kubernetes").image.startswith("rocm/vllm:")
    assert "blackwell" in why_not("sglang", "kubernetes", "B200")  # the -cu124 build


def test_training_jobs_get_their_platforms_pytorch_build():
    from planner.rules.deployment import server

    deploy = Deploy()
    for chip, marker in (("Trainium", "neuronx"), ("MI300X", "rocm/"), ("TPU-v6e", "xla")):
        assert marker in server(deploy, "vllm", chip, "kubernetes", kind="training").image


@pytest.mark.parametrize("target", TARGETS)
@pytest.mark.parametrize("engine", sorted(ENGINE_RUNTIMES))
def test_no_chip_gets_another_vendors_build(engine, target):
    for acc in accelerators():
        row = serving_image(engine, acc.name, target)
        if why_not(engine, target, acc.name):
            continue
        assert row is not None
        platform = platform_of(acc.name)
        assert platform is not None and row.platform == platform.name
        if acc.vendor != "nvidia":
            assert not CUDA_IMAGE.search(row.image), (acc.name, row.image)


def test_every_vendor_in_the_accelerator_facts_has_a_platform_with_a_device_resource():
    for acc in accelerators():
        platform = platform_of(acc.name)
        assert platform is not None, f"{acc.name}: vendor {acc.vendor} has no platform"
        assert platform.device_resource in {
            "nvidia.com/gpu",
            "amd.com/gpu",
            "aws.amazon.com/neuron",
            "google.com/tpu",
        }


def test_engines_run_only_where_their_builds_do():
    assert why_not("trt-llm", "kubernetes", "Inferentia2")  # NVIDIA only
    assert why_not("sglang", "kubernetes", "TPU-v5e")
    assert why_not("sglang", "sagemaker", "H100")  # no LMI backend
    assert why_not("vllm", "ray", "Inferentia2")  # no Neuron image with Ray Serve LLM
    assert not why_not("vllm", "kubernetes", "Inferentia2")
    assert not why_not("vllm", "sagemaker", "Inferentia2")  # LMI NeuronX
    assert not why_not("vllm", "vertex", "TPU-v5e")
    assert not why_not("sglang", "kubernetes", "H100")
    assert "no serving platform" in why_not("vllm", "kubernetes", "Quantum-Abacus-9000")


def spec_text(engine: str, accelerator: str, services: str = "") -> str:
    return textwrap.dedent(
        f"""\
        workloads:
          - name: chat
            kind: serving
            model: llama-3.1-8b
            engine: {engine}
            traffic: {{requests_per_second: 2, input_tokens: 500, output_tokens: 200}}
            slo: {{ttft_p95_ms: 2000, tpot_ms: 100}}
            placement:
              accelerators: [{accelerator}]
        """
    ) + (f"      services: [{services}]\n" if services else "")


def test_pinning_an_engine_to_a_chip_it_has_no_image_for_exits_2_naming_all_three(cli, tmp_path):
    spec = tmp_path / "spec.yaml"
    spec.write_text(spec_text("sglang", "Inferentia2"))
    result = cli("plan", str(spec))
    assert result.exit_code == 2
    assert "spec.yaml:9" in result.stderr
    wanted = "engine sglang cannot be deployed on Inferentia2 to kubernetes, ray, sagemaker, vertex"
    assert wanted in result.stderr
    assert "Traceback" not in result.stderr


def test_a_pinned_service_narrows_the_targets_the_error_names(cli, tmp_path):
    spec = tmp_path / "spec.yaml"
    spec.write_text(spec_text("vllm", "TPU-v5e", services="sagemaker"))
    result = cli("plan", str(spec))
    assert result.exit_code == 2
    assert "engine vllm cannot be deployed on TPU-v5e to sagemaker" in result.stderr


def test_a_pinned_chip_the_engine_runs_on_plans_and_emits_its_vendors_build(cli, tmp_path):
    spec = tmp_path / "spec.yaml"
    spec.write_text(spec_text("vllm", "Inferentia2", services="sagemaker"))
    plan = tmp_path / "plan.json"
    assert cli("plan", str(spec), "--format", "json", "-o", str(plan)).exit_code == 0
    out = tmp_path / "out"
    assert cli("emit", str(plan), "-t", "sagemaker", "-o", str(out)).exit_code == 0
    import json

    model = json.loads(next((out / "sagemaker").glob("*-model-v0.json")).read_text())
    container = model["PrimaryContainer"]
    assert "-neuronx-sdk" in container["Image"]
    assert container["Environment"]["OPTION_ROLLING_BATCH"] == "auto"
    assert container["Environment"]["TENSOR_PARALLEL_DEGREE"] == "2"  # 1 chip, 2 NeuronCores
