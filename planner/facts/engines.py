"""How each serving engine is deployed: its public container image, server command, flags,
health and metrics paths, and which emit targets and accelerators can run it.

The one place the emitters, `verify` and the README take engine facts from. Checked on
2026-12-02 against each project's own documentation:

- vLLM: docs.vllm.ai, "OpenAI-Compatible Server" and "Using Docker" (image vllm/vllm-openai;
  entrypoint `vllm.entrypoints.openai.api_server`; /health; Prometheus /metrics with
  vllm:num_requests_running; offline `vllm.entrypoints.openai.run_batch`).
- SGLang: docs.sglang.ai, "Install" (Docker Hub lmsysorg/sglang, tags vX.Y.Z-cuNNN) and
  "Server Arguments" (`python3 -m sglang.launch_server --model-path --tp-size --port`,
  --served-model-name, --max-running-requests, --context-length, --download-dir,
  --enable-metrics); /health; Prometheus sglang:num_running_reqs. No offline batch-file runner.
- TensorRT-LLM: nvidia.github.io/TensorRT-LLM, "trtllm-serve" (`trtllm-serve MODEL --host
  --port --backend pytorch --tp_size --max_batch_size --max_seq_len`; /health; /metrics is
  JSON iteration statistics, not Prometheus) and the NGC container
  nvcr.io/nvidia/tensorrt-llm/release. Supported GPUs: Ampere, Ada, Hopper and newer. No
  offline batch-file runner.
- SageMaker: AWS's Large Model Inference (DJL Serving) containers, docs.djl.ai "LMI
  configurations": OPTION_ROLLING_BATCH vllm (LMI container) or trtllm (LMI TensorRT-LLM
  container, djl-inference:*-tensorrtllm*); LMI has no SGLang backend, and SageMaker pulls
  only from ECR, so SGLang is not deployed there.
- Ray: Ray Serve LLM (docs.ray.io, "Serving LLMs") runs vLLM only.
- Vertex AI and Kubernetes run any container with a command, a port and a health route.
"""

from __future__ import annotations

from dataclasses import dataclass

TARGETS = ("sagemaker", "vertex", "kubernetes", "ray")
CHECKED = "2026-12-02"


@dataclass(frozen=True)
class EngineRuntime:
    """How one serving engine runs in a container, and where it can run."""

    name: str
    title: str
    image: str
    """Public container image (the vLLM default lives in the spec's deploy.image)."""
    command: tuple[str, ...]
    """Server command; vLLM's image runs its server as the entrypoint."""
    flags: dict[str, str]
    """The engine's spelling of each server option the emitters set."""
    dtype_flags: dict[str, tuple[str, ...]]
    """Server flags per weights precision (others: the checkpoint's own precision)."""
    health_path: str
    running_metric: str
    """Per-pod metric of requests being decoded (what an autoscaler tracks); empty: none."""
    extra_args: tuple[str, ...]
    """Flags every server of this engine gets (host, backend, metrics)."""
    batch_command: tuple[str, ...]
    """Offline runner over an OpenAI batch file; empty: the engine has none."""
    sagemaker_rolling_batch: str
    """LMI's OPTION_ROLLING_BATCH for the engine; empty: SageMaker cannot run it."""
    sagemaker_image: str
    """LMI container that holds the backend ({region} filled in); empty: the spec's."""
    targets: frozenset[str]
    accelerators: frozenset[str] | None
    """Accelerators the engine's public image runs on; None: any (deploy.accelerator_images)."""
    source: str


NVIDIA_AMPERE_AND_NEWER = frozenset(
    {"A10G", "A10", "L4", "L40S", "A100", "A100-80GB", "H100", "H100-NVL", "H200"}
)

ENGINE_RUNTIMES: dict[str, EngineRuntime] = {
    "vllm": EngineRuntime(
        name="vllm",
        title="vLLM",
        image="",
        command=("python3", "-m", "vllm.entrypoints.openai.api_server"),
        flags={
            "model": "--model",
            "served_name": "--served-model-name",
            "port": "--port",
            "tp": "--tensor-parallel-size",
            "max_batch": "--max-num-seqs",
            "max_context": "--max-model-len",
            "download_dir": "--download-dir",
        },
        dtype_flags={
            "bf16": ("--dtype", "bfloat16"),
            "fp16": ("--dtype", "float16"),
            "fp8": ("--quantization", "fp8"),
            "int4": ("--quantization", "awq"),
            "int8": ("--quantization", "bitsandbytes"),
            "fp4": ("--quantization", "modelopt_fp4"),
        },
        health_path="/health",
        running_metric="vllm_num_requests_running",
        extra_args=(),
        batch_command=("python3", "-m", "vllm.entrypoints.openai.run_batch"),
        sagemaker_rolling_batch="vllm",
        sagemaker_image="",
        targets=frozenset(TARGETS),
        accelerators=None,
        source="https://docs.vllm.ai/en/v0.8.5/serving/openai_compatible_server.html",
    ),
    "sglang": EngineRuntime(
        name="sglang",
        title="SGLang",
        image="lmsysorg/sglang:v0.4.6.post1-cu124",
        command=("python3", "-m", "sglang.launch_server"),
        flags={
            "model": "--model-path",
            "served_name": "--served-model-name",
            "port": "--port",
            "tp": "--tp-size",
            "max_batch": "--max-running-requests",
            "max_context": "--context-length",
            "download_dir": "--download-dir",
        },
        dtype_flags={
            "bf16": ("--dtype", "bfloat16"),
            "fp16": ("--dtype", "float16"),
            "fp8": ("--quantization", "fp8"),
            "int4": ("--quantization", "awq"),
            "int8": ("--quantization", "w8a8_int8"),
            "fp4": ("--quantization", "modelopt_fp4"),
        },
        health_path="/health",
        running_metric="sglang_num_running_reqs",
        extra_args=("--host", "0.0.0.0", "--enable-metrics"),
        batch_command=(),
        sagemaker_rolling_batch="",
        sagemaker_image="",
        targets=frozenset({"vertex", "kubernetes"}),
        accelerators=NVIDIA_AMPERE_AND_NEWER | {"T4"},
        source="https://docs.sglang.ai/backend/server_arguments.html",
    ),
    "trt-llm": EngineRuntime(
        name="trt-llm",
        title="TensorRT-LLM",
        image="nvcr.io/nvidia/tensorrt-llm/release:1.0.0",
        command=("trtllm-serve",),
        flags={
            "model": "",
            "served_name": "",
            "port": "--port",
            "tp": "--tp_size",
            "max_batch": "--max_batch_size",
            "max_context": "--max_seq_len",
            "download_dir": "",
        },
        dtype_flags={},
        health_path="/health",
        running_metric="",
        extra_args=("--host", "0.0.0.0", "--backend", "pytorch"),
        batch_command=(),
        sagemaker_rolling_batch="trtllm",
        sagemaker_image=(
            "763104351884.dkr.ecr.{region}.amazonaws.com/djl-inference:0.33.0-tensorrtllm0.21.0-cu128"
        ),
        targets=frozenset({"sagemaker", "vertex", "kubernetes"}),
        accelerators=NVIDIA_AMPERE_AND_NEWER,
        source="https://nvidia.github.io/TensorRT-LLM/1.0.0/commands/trtllm-serve/trtllm-serve.html",
    ),
}
"""Every engine the spec's `engine:` field names, by that name."""

TARGET_TITLES = {
    "sagemaker": "SageMaker (LMI containers)",
    "vertex": "Vertex AI",
    "kubernetes": "Kubernetes",
    "ray": "Ray Serve LLM",
}


def engine_runtime(engine: str) -> EngineRuntime:
    """The deployment facts of `engine` (vllm for a plan made before engines were recorded)."""
    try:
        return ENGINE_RUNTIMES[engine]
    except KeyError:
        raise ValueError(
            f"engine must be one of {', '.join(ENGINE_RUNTIMES)}, got {engine!r}"
        ) from None


def why_not(engine: str, target: str, accelerator: str, kind: str = "serving") -> str:
    """Why `target` cannot deploy `engine` on `accelerator` for a `kind` allocation; empty
    when it can."""
    e = engine_runtime(engine)
    if target not in e.targets:
        if target == "ray":
            return f"Ray Serve LLM runs vLLM only, not {e.title}"
        if target == "sagemaker":
            return f"SageMaker's LMI containers have no {e.title} backend"
        return f"{TARGET_TITLES.get(target, target)} does not run {e.title}"
    if kind == "batch" and not e.batch_command:
        return f"{e.title} has no offline batch-file runner (batch Jobs run vLLM's run_batch)"
    if e.accelerators is not None and accelerator not in e.accelerators:
        return f"{e.title}'s public image does not run on {accelerator}"
    return ""


MANAGED_TARGETS = {"sagemaker": ("sagemaker",), "vertex": ("vertex",)}
"""The emit target of each managed service; VM services go to kubernetes or ray, own clusters
and edge devices to kubernetes."""


def undeployable(
    engine: str, service: str, vm: bool, accelerator: str, kind: str = "serving"
) -> str:
    """Why no emit target can deploy `engine` on `accelerator` of `service` (`vm`: a VM
    service); empty when one can."""
    targets = MANAGED_TARGETS.get(service) or (("kubernetes", "ray") if vm else ("kubernetes",))
    reasons = [why_not(engine, target, accelerator, kind) for target in targets]
    return "; ".join(reasons) if all(reasons) else ""


__all__ = [
    "CHECKED",
    "ENGINE_RUNTIMES",
    "TARGETS",
    "EngineRuntime",
    "engine_runtime",
    "undeployable",
    "why_not",
]
