"""The spec's `deploy:` section: what emitters and launchers need beyond the plan itself.

Every field has a default, so a spec without `deploy:` still emits and dry-runs; launching on
SageMaker needs `execution_role_arn` and on Vertex AI `gcp_project` (or the launch options).
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import Field, SerializerFunctionWrapHandler, model_serializer, model_validator

from planner.spec.base import Strict
from planner.spec.grammars import (
    GcpProjectId,
    ImageReference,
    PlainText,
    RoleArn,
    WeightsUri,
)
from planner.spec.security import SERVICE_ACCOUNT, Security, credential_fields

LABEL_KEY = r"^[a-z][a-z0-9_-]{0,62}$"
LABEL_VALUE = r"^[a-z0-9_-]{0,63}$"
DNS_LABEL = r"^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$"
DNS_LABEL_OR_EMPTY = r"^([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)?$"

LabelKey = Annotated[str, Field(pattern=LABEL_KEY)]
LabelValue = Annotated[str, Field(pattern=LABEL_VALUE)]


class EngineDeploy(Strict):
    """How workloads of one non-vLLM engine are deployed (planner/facts/engines.py: defaults)."""

    image: ImageReference | Literal[""] = Field(
        "",
        description="Server image for Kubernetes and Vertex AI; empty: the engine's public "
        "image (lmsysorg/sglang, nvcr.io/nvidia/tensorrt-llm/release). Pin a digest in production.",
    )
    sagemaker_image: ImageReference | Literal[""] = Field(
        "",
        description="SageMaker LMI image holding the engine's backend ({region} is filled in); "
        "empty: AWS's LMI TensorRT-LLM container.",
    )
    extra_args: tuple[PlainText, ...] = Field((), description="More server arguments.")


JobPolicy = Literal["fcfs", "sjf", "priority", "priority-preemptive", "rr"]
"""The job scheduling policies (planner schedule --policy)."""


class Kueue(Strict):
    """How batch and training Jobs on Kubernetes queue in Kueue (docs/skypilot-and-kueue.md)."""

    enabled: bool = Field(
        True,
        description="Jobs are created suspended with a Kueue queue label, and the plan's capacity "
        "for them is written as ResourceFlavors, a ClusterQueue and a LocalQueue.",
    )
    policy: JobPolicy = Field(
        "fcfs",
        description="The job scheduling policy: fcfs is Kueue's StrictFIFO queueing strategy, "
        "the others BestEffortFIFO; priority-preemptive also preempts lower-priority jobs.",
    )
    cohort: str = Field(
        "llm-placement-planner",
        pattern=DNS_LABEL_OR_EMPTY,
        description="Kueue cohort of the ClusterQueue: queues in one cohort lend each other "
        "unused quota; empty: none.",
    )
    queue: str = Field(
        "planner-jobs", pattern=DNS_LABEL, description="The LocalQueue the Jobs are sent to."
    )


class Deploy(Strict):
    """How a plan is deployed: container images, weights, names, probes and autoscaling."""

    image: ImageReference = Field(
        "vllm/vllm-openai:v0.8.5",
        description="vLLM OpenAI-compatible server image for Kubernetes, Ray and Vertex AI on "
        "NVIDIA GPUs; other chips get their platform's build (planner/facts/data/"
        "serving_images.csv), and Blackwell its CUDA 12.8 build while this is left at its "
        "default. Pin a digest (image@sha256:...) in production.",
    )
    accelerator_images: dict[str, ImageReference] = Field(
        default_factory=dict,
        description="Your own vLLM image per accelerator name (any vendor: MI300X, "
        "Inferentia2, TPU-v5e ...), in place of the public build the planner picks for it.",
    )
    sagemaker_image: ImageReference = Field(
        "763104351884.dkr.ecr.{region}.amazonaws.com/djl-inference:0.33.0-lmi15.0.0-cu128",
        description="SageMaker serving image on NVIDIA GPUs (SageMaker pulls only from ECR): by "
        "default AWS's Large Model Inference container, configured for its vLLM backend; "
        "Inferentia2/Trainium get LMI NeuronX. {region} is filled in.",
    )
    vertex_image: ImageReference | Literal[""] = Field(
        "",
        description="Vertex AI serving image (Artifact Registry); empty: use `image`.",
    )
    weights: WeightsUri = Field(
        "hf://{hf_id}",
        description="Where the weights are: hf://ORG/NAME (Hugging Face), s3://bucket/prefix or "
        "gs://bucket/prefix. {hf_id}, {model} and {workload} are filled in.",
    )
    hf_token_secret: str = Field(
        "",
        pattern=DNS_LABEL_OR_EMPTY,
        description="Kubernetes Secret holding HF_TOKEN for gated models; empty: none.",
    )
    namespace: str = Field("llm-serving", pattern=DNS_LABEL, description="Kubernetes namespace.")
    service_account: str = Field(
        "",
        pattern=DNS_LABEL_OR_EMPTY,
        description="Kubernetes ServiceAccount to run as; empty: one per deployment, emitted "
        "with no API token mounted.",
    )
    karpenter_node_class: str = Field(
        "default", pattern=DNS_LABEL, description="EC2NodeClass the emitted NodePools use (EKS)."
    )
    karpenter_price_tolerance: float = Field(
        0.2,
        ge=0,
        le=0.5,
        description="NodePools offer the plan's instance type and, after it, the compatible "
        "types (same accelerator, TP and pricing; pods fit) at most this much dearer per "
        "replica: 0.2 is 20%; 0 keeps equally priced ones only. Spot consolidation needs a "
        "spread of types. Plans list compatible types up to 50% dearer.",
    )
    execution_role_arn: RoleArn = Field(
        "",
        description="IAM role SageMaker assumes to pull the image and weights (needed to launch).",
    )
    gcp_project: GcpProjectId = Field("", description="Google Cloud project id for Vertex AI.")
    vertex_service_account: str = Field(
        "",
        pattern=SERVICE_ACCOUNT,
        description="Service account the Vertex AI deployed models run as; empty: default.",
    )
    port: int = Field(8000, strict=True, ge=1, le=65535, description="Port the server listens on.")
    health_path: str = Field(
        "/health", pattern=r"^/[\w./-]*$", description="HTTP path of the health check."
    )
    predict_path: str = Field(
        "/v1/chat/completions",
        pattern=r"^/[\w./-]*$",
        description="HTTP path Vertex AI forwards predictions to (use rawPredict).",
    )
    startup_timeout_s: int = Field(
        1200,
        strict=True,
        ge=60,
        le=3600,
        description="Seconds a replica may take to load weights and pass its health check.",
    )
    download_timeout_s: int = Field(
        1800,
        strict=True,
        ge=60,
        le=3600,
        description="Seconds SageMaker allows to download the weights.",
    )
    target_utilisation: float = Field(
        0.7,
        strict=True,
        gt=0,
        le=1,
        description="Autoscaling target per replica, as a share of the load the plan sized each "
        "replica for: scale out above it.",
    )
    autoscaling_metric: str = Field(
        "vllm_num_requests_running",
        pattern=r"^[a-zA-Z_][a-zA-Z0-9_:]*$",
        description="Per-pod metric the Kubernetes HorizontalPodAutoscaler tracks (served by a "
        "metrics adapter); its target is the replica's planned concurrency x target_utilisation.",
    )
    ray_serve_app: str = Field(
        "serve_vllm:app",
        pattern=r"^[\w.]+:[\w.]+$",
        description="Ray Serve application (module:attribute, in the image) that serves vLLM; "
        "it gets the model, tensor_parallel_size, max_num_seqs and max_model_len as args.",
    )
    extra_args: tuple[PlainText, ...] = Field((), description="More vLLM server arguments.")
    engines: dict[Literal["sglang", "trt-llm"], EngineDeploy] = Field(
        default_factory=dict,
        description="Images and server arguments of workloads whose `engine` is sglang or "
        "trt-llm (the fields above that name vLLM apply to vllm workloads only).",
    )
    labels: dict[LabelKey, LabelValue] = Field(
        default_factory=dict,
        description="Extra labels/tags on every resource (keys and values as GCP labels allow).",
    )
    data_volume_claim: str = Field(
        "batch-data",
        pattern=DNS_LABEL,
        description="PersistentVolumeClaim mounted at /data in batch and training Jobs.",
    )
    batch_input: str = Field(
        "/data/input/shard-$(JOB_COMPLETION_INDEX).jsonl",
        min_length=1,
        description="Batch Job input (OpenAI batch JSONL), one shard per pod.",
    )
    batch_output: str = Field(
        "/data/output/shard-$(JOB_COMPLETION_INDEX).jsonl",
        min_length=1,
        description="Batch Job output, one shard per pod.",
    )
    training_image: ImageReference = Field(
        "pytorch/pytorch:2.5.1-cuda12.4-cudnn9-runtime",
        description="Image of training Jobs on NVIDIA GPUs; other chips get their platform's "
        "PyTorch build, and Blackwell a CUDA 12.8 build while this is left at its default.",
    )
    training_command: tuple[PlainText, ...] = Field(
        (), description="Command of training Jobs; empty: the image's own."
    )
    security: Security = Field(
        default_factory=Security,
        description="Encryption keys, networks, identities and audit labels (secure defaults).",
    )
    kueue: Kueue = Field(
        default_factory=Kueue, description="Kueue queueing of batch and training Jobs."
    )

    @model_validator(mode="before")
    @classmethod
    def _no_credentials(cls, data: Any) -> Any:
        """Refuse credentials before any field error could echo one back."""
        found = credential_fields(data) if isinstance(data, dict) else []
        if found:
            raise ValueError(
                "credentials do not belong in the spec (they would be written into every plan "
                f"and emitted file): {'; '.join(found)}. Keep them in a secret store and "
                "reference them (deploy.hf_token_secret names a Kubernetes Secret)"
            )
        return data

    @model_serializer(mode="wrap")
    def _omit_unused_engines(self, handler: SerializerFunctionWrapHandler) -> dict[str, Any]:
        """`engines` (and `kueue`) only where the spec sets them: a spec without them keeps the
        digest (and its saved plans their spec match) it had before the fields existed."""
        data = handler(self)
        # A Plan edited in Python may hold its deploy settings as a mapping (validated later).
        engines = self.get("engines") if isinstance(self, dict) else self.engines
        if not engines and isinstance(data, dict):
            data.pop("engines", None)
        # `kueue` likewise, where it holds the defaults.
        kueue = self.get("kueue") if isinstance(self, dict) else self.kueue
        if isinstance(data, dict) and kueue in (None, Kueue(), Kueue().model_dump()):
            data.pop("kueue", None)
        return data

    @model_validator(mode="after")
    def _one_identity(self) -> Deploy:
        pairs = (
            ("execution_role_arn", self.execution_role_arn, self.security.aws.execution_role_arn),
            (
                "vertex_service_account",
                self.vertex_service_account,
                self.security.gcp.service_account,
            ),
        )
        for name, legacy, secure in pairs:
            if legacy and secure and legacy != secure:
                raise ValueError(
                    f"deploy.{name} and its deploy.security setting name different identities"
                )
        return self

    @property
    def role_arn(self) -> str:
        """The SageMaker execution role: security.aws's, else deploy.execution_role_arn."""
        return self.security.aws.execution_role_arn or self.execution_role_arn

    @property
    def vertex_identity(self) -> str:
        """The Vertex AI service account: security.gcp's, else deploy.vertex_service_account."""
        return self.security.gcp.service_account or self.vertex_service_account
