"""Optional dependencies: the core install plans, verifies, emits, reports, schedules and
simulates; talking to clouds, Ray and charts need an extra (`pip install 'NAME[EXTRA]'`)."""

from __future__ import annotations

import importlib
from types import ModuleType

from planner.errors import MissingExtraError

DISTRIBUTION = "llm-placement-planner"
EXTRAS = {
    "aws": "boto3 (AWS: catalog and quota refresh, SageMaker launch, CloudWatch metrics)",
    "gcp": "google-cloud-aiplatform and google-auth (GCP: Vertex AI launch, credentials)",
    "ray": "Ray (sweeps and fleet solves on a Ray cluster)",
    "plots": "matplotlib (charts in reports, Gantt charts)",
}
"""Each extra of pyproject.toml and what it brings."""


def install_hint(extra: str) -> str:
    """The pip command that installs `extra`."""
    return f"pip install '{DISTRIBUTION}[{extra}]'"


def require(module: str, extra: str, needed_by: str) -> ModuleType:
    """`module`, imported; or a MissingExtraError (exit 2) naming the extra to install."""
    try:
        return importlib.import_module(module)
    except ImportError as err:
        raise MissingExtraError(
            f"{needed_by} needs {module}, which is not installed ({err.msg}); "
            f"install the {extra!r} extra: {install_hint(extra)}"
        ) from None
