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
  --enable-metrics, --chunked-prefill-size, --kv-cache-dtype fp8_e5m2,
  --disable-radix-cache); /health; Prometheus sglang:num_running_reqs. No offline batch-file
  runner.
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
- Vertex AI, Kubernetes and SkyPilot run any container with a command, a port and a health
  route (SkyPilot, docs.skypilot.co "Using Docker containers as runtime environments":
  `image_id: docker:IMAGE`, whose entrypoint it does not start; `run:` runs inside it).

Which image serves an engine on a chip for a target is a table,
planner/facts/data/serving_images.csv (sourced and dated there): the chip's vendor gives its
platform (CUDA, ROCm, Neuron, TPU), and an (engine, platform, target) with no row is not
deployable, so the solver never plans it.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from pathlib import Path

from planner._csvdata import read_commented_csv
from planner.facts.accelerators import find_accelerator

TARGETS = ("sagemaker", "vertex", "kubernetes", "ray", "skypilot")
CHECKED = "2026-12-07"
IMAGES_FILE = Path(__file__).parent / "data" / "serving_images.csv"
KV_DTYPES_FILE = Path(__file__).parent / "data" / "kv_cache_dtypes.csv"


@dataclass(frozen=True)
class Platform:
    """The software stack of one vendor's accelerators, as a container and a scheduler see it."""

    name: str
    """cuda, rocm, neuron or tpu: the serving_images.csv platform."""
    vendor: str
    """The accelerators.csv vendor whose chips run it."""
    title: str
    device_resource: str
    """Extended resource a Kubernetes pod requests per chip (the vendor's device plugin)."""
    ray_resource: str
    """Ray resource a replica asks for; empty: Ray's own GPU resource (num_gpus)."""
    source: str


PLATFORMS: dict[str, Platform] = {
    p.vendor: p
    for p in (
        Platform(
            "cuda", "nvidia", "NVIDIA CUDA", "nvidia.com/gpu", "",
            "https://github.com/NVIDIA/k8s-device-plugin",
        ),
        Platform(
            "rocm", "amd", "AMD ROCm", "amd.com/gpu", "",
            "https://github.com/ROCm/k8s-device-plugin",
        ),
        Platform(
            "neuron", "aws", "AWS Neuron", "aws.amazon.com/neuron",
            "neuron_cores",
            "https://awsdocs-neuron.readthedocs-hosted.com/en/latest/containers/kubernetes-getting-started.html",
        ),
        Platform(
            "tpu", "google", "Google TPU", "google.com/tpu", "TPU",
            "https://cloud.google.com/kubernetes-engine/docs/how-to/tpus",
        ),
    )
}  # fmt: skip
"""Platforms by accelerator vendor. Neuron pods request whole devices (aws.amazon.com/neuron);
the engines count NeuronCores (NEURON_CORES), as Ray's neuron_cores resource does."""

NEURON_CORES = {"Inferentia2": 2, "Trainium": 2, "Trainium2": 4}
"""NeuronCores the engines see per Neuron chip: two NeuronCore-v2 on Inferentia2 and Trainium
(inf2.48xlarge: 12 chips, 24 cores); Trainium2's eight physical cores show as four logical ones
at its default logical-core size of 2 (AWS Neuron documentation, architecture pages)."""


def platform_of(accelerator: str) -> Platform | None:
    """The platform of a known accelerator (by its vendor); None: unknown chip or vendor."""
    acc = find_accelerator(accelerator)
    return PLATFORMS.get(acc.vendor) if acc is not None else None


def cores_per_device(accelerator: str) -> int:
    """Devices the engine counts per chip (tensor-parallel ranks): NeuronCores on Neuron, else 1."""
    platform = platform_of(accelerator)
    if platform is None or platform.name != "neuron":
        return 1
    acc = find_accelerator(accelerator)
    return NEURON_CORES.get(acc.name if acc else accelerator, 2)


@dataclass(frozen=True)
class ServingImage:
    """The container that serves one engine on one platform for one emit target."""

    engine: str
    """A serving engine, or pytorch for training Jobs."""
    platform: str
    target: str
    families: frozenset[str]
    """Chip generations the build runs on; empty: every chip of the platform."""
    image: str
    """Container image ({region} filled in by the emitter where present)."""
    version: str
    command: tuple[str, ...]
    """Server command; empty: the image's entrypoint is the server."""
    source: str


ENTRYPOINTS = {"vllm": ("python3", "-m", "vllm.entrypoints.openai.api_server")}
"""What an image whose row has no command runs as its entrypoint (vllm/vllm-openai's
Dockerfile), for a multi-node leader that starts it after its Ray head."""


@cache
def serving_images() -> tuple[ServingImage, ...]:
    """Every row of serving_images.csv, in file order."""
    return tuple(
        ServingImage(
            engine=row["engine"],
            platform=row["platform"],
            target=row["target"],
            families=frozenset(f for f in row["families"].split("|") if f),
            image=row["image"],
            version=row["version"],
            command=tuple(row["command"].split()),
            source=row["source"],
        )
        for row in read_commented_csv(IMAGES_FILE)
    )


@cache
def _images() -> dict[tuple[str, str, str], tuple[ServingImage, ...]]:
    found: dict[tuple[str, str, str], list[ServingImage]] = {}
    for row in serving_images():
        found.setdefault((row.engine, row.platform, row.target), []).append(row)
    return {key: tuple(rows) for key, rows in found.items()}


TRAINING = "pytorch"
"""The serving_images.csv engine of training Jobs."""


def serving_image(engine: str, accelerator: str, target: str) -> ServingImage | None:
    """The public image that runs `engine` (pytorch: a training Job) on `accelerator` for
    `target`: the first row for its platform whose families hold the chip's; None: none known."""
    acc = find_accelerator(accelerator)
    platform = platform_of(accelerator)
    if acc is None or platform is None:
        return None
    rows = _images().get((engine, platform.name, target), ())
    return next((r for r in rows if not r.families or acc.family in r.families), None)


@dataclass(frozen=True)
class EngineRuntime:
    """How one serving engine runs in a container, and where it can run."""

    name: str
    title: str
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
    """LMI's OPTION_ROLLING_BATCH for the engine on CUDA; empty: SageMaker cannot run it."""
    targets: frozenset[str]
    source: str


ENGINE_RUNTIMES: dict[str, EngineRuntime] = {
    "vllm": EngineRuntime(
        name="vllm",
        title="vLLM",
        flags={
            "model": "--model",
            "served_name": "--served-model-name",
            "port": "--port",
            "tp": "--tensor-parallel-size",
            "pp": "--pipeline-parallel-size",
            "max_batch": "--max-num-seqs",
            "max_context": "--max-model-len",
            "download_dir": "--download-dir",
            "max_batched_tokens": "--max-num-batched-tokens",
            "kv_cache_dtype": "--kv-cache-dtype",
            "kv_cache_fp8": "fp8",
            "prefix_caching_on": "--enable-prefix-caching",
            "prefix_caching_off": "--no-enable-prefix-caching",
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
        targets=frozenset(TARGETS),
        source="https://docs.vllm.ai/en/v0.8.5/serving/openai_compatible_server.html",
    ),
    "sglang": EngineRuntime(
        name="sglang",
        title="SGLang",
        flags={
            "model": "--model-path",
            "served_name": "--served-model-name",
            "port": "--port",
            "tp": "--tp-size",
            "max_batch": "--max-running-requests",
            "max_context": "--context-length",
            "download_dir": "--download-dir",
            "max_batched_tokens": "--chunked-prefill-size",
            "kv_cache_dtype": "--kv-cache-dtype",
            "kv_cache_fp8": "fp8_e5m2",
            "prefix_caching_on": "",
            "prefix_caching_off": "--disable-radix-cache",
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
        targets=frozenset({"vertex", "kubernetes", "skypilot"}),
        source="https://docs.sglang.ai/backend/server_arguments.html",
    ),
    "trt-llm": EngineRuntime(
        name="trt-llm",
        title="TensorRT-LLM",
        flags={
            "model": "",
            "served_name": "",
            "port": "--port",
            "tp": "--tp_size",
            "max_batch": "--max_batch_size",
            "max_context": "--max_seq_len",
            "download_dir": "",
            "max_batched_tokens": "--max_num_tokens",
            "kv_cache_dtype": "",
            "kv_cache_fp8": "",
            "prefix_caching_on": "",
            "prefix_caching_off": "",
        },
        dtype_flags={},
        health_path="/health",
        running_metric="",
        extra_args=("--host", "0.0.0.0", "--backend", "pytorch"),
        batch_command=(),
        sagemaker_rolling_batch="trtllm",
        targets=frozenset({"sagemaker", "vertex", "kubernetes", "skypilot"}),
        source="https://nvidia.github.io/TensorRT-LLM/1.0.0/commands/trtllm-serve/trtllm-serve.html",
    ),
}
"""Every engine the spec's `engine:` field names, by that name."""

TARGET_TITLES = {
    "sagemaker": "SageMaker (LMI containers)",
    "vertex": "Vertex AI",
    "kubernetes": "Kubernetes",
    "ray": "Ray Serve LLM",
    "skypilot": "SkyPilot",
}


def engine_runtime(engine: str) -> EngineRuntime:
    """The deployment facts of `engine` (vllm for a plan made before engines were recorded)."""
    try:
        return ENGINE_RUNTIMES[engine]
    except KeyError:
        raise ValueError(
            f"engine must be one of {', '.join(ENGINE_RUNTIMES)}, got {engine!r}"
        ) from None


MULTI_NODE_TARGETS = {
    "serving": frozenset({"kubernetes", "ray"}),
    "batch": frozenset({"kubernetes", "skypilot", "ray"}),
}
"""Targets that deploy a replica spanning several instances, per allocation kind. Serving: a
LeaderWorkerSet (one group of pods per replica) and a Ray Serve deployment whose placement
group spans nodes; SageMaker and Vertex AI endpoints serve one replica per instance here.
Batch: an indexed Job whose pods form groups (a Ray head and its workers per replica), a
SkyPilot task whose nodes do the same, and a KubeRay RayJob whose head runs every replica.
Training gangs span instances on every target that runs training (they are not replicas of a
model server)."""


@dataclass(frozen=True)
class KvCacheSupport:
    """One engine's support of a narrow KV-cache format on one platform's chips."""

    engine: str
    kv_dtype: str
    platform: str
    families: frozenset[str]
    min_version: str
    """The first release with it; empty: not known (no deployed image is taken to have it)."""
    flag_value: str
    source: str


@cache
def kv_cache_support() -> tuple[KvCacheSupport, ...]:
    """Every row of kv_cache_dtypes.csv, in file order."""
    return tuple(
        KvCacheSupport(
            engine=row["engine"],
            kv_dtype=row["kv_dtype"],
            platform=row["platform"],
            families=frozenset(f for f in row["families"].split("|") if f),
            min_version=row["min_version"],
            flag_value=row["flag_value"],
            source=row["source"],
        )
        for row in read_commented_csv(KV_DTYPES_FILE)
    )


def _release(version: str) -> tuple[int, ...] | None:
    """A release number as integers (0.11.0 -> (0, 11, 0)); None when it has none."""
    parts = version.strip().removeprefix("v").split(".")
    numbers = []
    for part in parts:
        digits = "".join(c for c in part if c.isdigit())
        if not digits or not part[0].isdigit():
            break
        numbers.append(int(digits))
    return tuple(numbers) or None


def kv_cache_row(engine: str, kv_dtype: str, accelerator: str) -> KvCacheSupport | None:
    """The row saying `engine` stores its KV cache as `kv_dtype` on `accelerator`, if any."""
    acc, platform = find_accelerator(accelerator), platform_of(accelerator)
    if acc is None or platform is None:
        return None
    return next(
        (r for r in kv_cache_support()
         if (r.engine, r.kv_dtype, r.platform) == (engine, kv_dtype, platform.name)
         and (not r.families or acc.family in r.families)),
        None,
    )  # fmt: skip


def kv_cache_problem(
    engine: str, kv_dtype: str, accelerator: str, target: str, version: str | None = None
) -> str:
    """Why `engine` cannot keep its KV cache as `kv_dtype` on `accelerator` when deployed to
    `target` (at `version`; default: the version of the image the planner deploys there);
    empty when it can, or when kv_cache_dtypes.csv does not list the format (fp8, 16-bit)."""
    if not kv_dtype or all(r.kv_dtype != kv_dtype for r in kv_cache_support()):
        return ""
    title = engine_runtime(engine).title
    row = kv_cache_row(engine, kv_dtype, accelerator)
    acc = find_accelerator(accelerator)
    if row is None:
        family = f", {acc.family}" if acc is not None and acc.family else ""
        return f"{title} keeps no {kv_dtype} KV cache on {accelerator}{family}"
    if version is None:
        image = serving_image(engine, accelerator, target)
        version = image.version if image is not None else ""
    have, need = _release(version), _release(row.min_version)
    if need is None:
        return (
            f"{title}'s {kv_dtype} KV cache on {accelerator} ({row.source}) came in a release "
            f"the planner knows no number for, so the {version or 'deployed'} image is not "
            "taken to have it"
        )
    if have is None or have < need:
        return (
            f"{title} {version or '(unknown version)'} (the image for {accelerator} on "
            f"{TARGET_TITLES.get(target, target)}) has no {kv_dtype} KV cache: it came in "
            f"{row.min_version} ({row.source})"
        )
    return ""


TPU_SLICE_SOURCE = (
    "https://docs.ray.io/en/master/serve/llm/user-guides/tpu.html",
    "https://github.com/vllm-project/vllm/pull/7613",
)
"""vLLM runs one replica over a multi-host TPU slice with Ray (tensor parallel over every
chip, one Ray node per host: Ray Serve LLM's TPU guide); the vLLM TPU image installs Ray for
it (vLLM pull request 7613, "Support vLLM single and multi-host TPUs on GKE")."""


def why_not(
    engine: str,
    target: str,
    accelerator: str,
    kind: str = "serving",
    nodes: int = 1,
    kv_dtype: str = "",
) -> str:
    """Why `target` cannot deploy `engine` on `accelerator` for a `kind` allocation whose
    replicas span `nodes` instances and keep their KV cache as `kv_dtype` (empty: the
    engine's default); empty when it can."""
    e = engine_runtime(engine)
    if target not in e.targets:
        if target == "ray":
            return f"Ray Serve LLM runs vLLM only, not {e.title}"
        if target == "sagemaker":
            return f"SageMaker's LMI containers have no {e.title} backend"
        return f"{TARGET_TITLES.get(target, target)} does not run {e.title}"
    if kind == "batch" and not e.batch_command:
        return f"{e.title} has no offline batch-file runner (batch Jobs run vLLM's run_batch)"
    acc = find_accelerator(accelerator)
    platform = platform_of(accelerator)
    if acc is None or platform is None:
        vendor = f" (vendor {acc.vendor})" if acc is not None else ""
        return f"no serving platform is known for accelerator {accelerator}{vendor}"
    where = TARGET_TITLES.get(target, target)
    runs = TRAINING if kind == "training" else engine
    if serving_image(runs, accelerator, target) is None:
        what = "training (PyTorch)" if kind == "training" else e.title
        generation = f", {acc.family}" if platform.name == "cuda" and acc.family else ""
        chip = f"{accelerator} ({platform.title}{generation})"
        return f"no known {what} image for {chip} on {where}"
    if kind != "training" and kv_dtype:
        problem = kv_cache_problem(engine, kv_dtype, accelerator, target)
        if problem:
            return problem
    if nodes > 1 and kind != "training" and platform.name == "tpu":
        if (kind, target, engine) != ("serving", "kubernetes", "vllm"):
            return (
                f"a multi-host {accelerator} slice is emitted as a vLLM LeaderWorkerSet on "
                f"Kubernetes only (one pod per host), not {e.title} {kind} on {where}"
            )
        return ""  # the vLLM TPU image carries Ray for multi-host slices (TPU_SLICE_SOURCE)
    if nodes > 1 and kind != "training":
        if target not in MULTI_NODE_TARGETS.get(kind, ()):
            return (
                f"{where} runs one replica per instance, not a {kind} replica over {nodes} "
                "instances"
            )
        if "pp" not in e.flags or serving_image(engine, accelerator, "ray") is None:
            return (
                f"a replica over {nodes} instances runs {e.title} over a Ray cluster, and no "
                f"Ray-enabled {e.title} image is known for {accelerator} ({platform.title})"
            )
    return ""


SPEC_SERVICE_TARGETS = {
    "vm": ("kubernetes", "ray"),
    "kubernetes": ("kubernetes",),
    "sagemaker": ("sagemaker",),
    "vertex": ("vertex",),
}
"""The emit targets each placement.services name can be deployed by."""


def pinned_problem(
    engine: str,
    accelerator: str,
    services: tuple[str, ...] | None,
    kind: str = "serving",
    kv_dtype: str = "",
) -> str:
    """Why `engine` cannot run on `accelerator` (with its KV cache as `kv_dtype`, when given)
    under any target the placement's `services` allow (all when None); empty when one can.
    Names the engine, the chip, the KV dtype asked for and the targets."""
    targets = sorted(
        {t for s in (services or tuple(SPEC_SERVICE_TARGETS)) for t in SPEC_SERVICE_TARGETS[s]}
    )
    reasons = [why_not(engine, t, accelerator, kind, kv_dtype=kv_dtype) for t in targets]
    if not all(reasons):
        return ""
    kv = f" with its KV cache in {kv_dtype}" if kv_dtype else ""
    return (
        f"engine {engine} cannot be deployed on {accelerator}{kv} to {', '.join(targets)}: "
        + "; ".join(sorted(set(reasons)))
    )


MANAGED_TARGETS = {"sagemaker": ("sagemaker",), "vertex": ("vertex",)}
"""The emit target of each managed service; VM services go to kubernetes or ray, own clusters
and edge devices to kubernetes."""


def undeployable(
    engine: str,
    service: str,
    vm: bool,
    accelerator: str,
    kind: str = "serving",
    nodes: int = 1,
    kv_dtype: str = "",
) -> str:
    """Why no emit target can deploy `engine` on `accelerator` of `service` (`vm`: a VM
    service) with replicas over `nodes` instances keeping their KV cache as `kv_dtype`; empty
    when one can."""
    targets = MANAGED_TARGETS.get(service) or (("kubernetes", "ray") if vm else ("kubernetes",))
    reasons = [why_not(engine, target, accelerator, kind, nodes, kv_dtype) for target in targets]
    return "; ".join(reasons) if all(reasons) else ""


__all__ = [
    "CHECKED",
    "ENGINE_RUNTIMES",
    "PLATFORMS",
    "TARGETS",
    "EngineRuntime",
    "Platform",
    "ServingImage",
    "cores_per_device",
    "engine_runtime",
    "kv_cache_problem",
    "kv_cache_row",
    "pinned_problem",
    "platform_of",
    "serving_image",
    "serving_images",
    "undeployable",
    "why_not",
]
