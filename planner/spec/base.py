"""The base of every spec model, kept apart so that spec sections in other modules can share it."""

from __future__ import annotations

from typing import Annotated

from pydantic import AfterValidator, BaseModel, ConfigDict, Field

from planner.clouds import check_cloud

CloudName = Annotated[
    str,
    AfterValidator(check_cloud),
    Field(description="A registered cloud (planner/clouds): aws, gcp, azure, lambda, ..."),
]
"""A cloud's spec name, checked against the registry (the error lists the known clouds)."""


class Strict(BaseModel):
    """Base for spec models: unknown keys are errors, values are immutable and finite."""

    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)
