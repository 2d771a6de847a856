"""Ways the team pays below list price, declared under `commitments:` in a spec or a rate file.

Each entry names a commitment product (a Savings Plan, reserved instances, a committed use
discount, an Azure reservation or savings plan) or a negotiated percentage discount, with the
scope the product really has:

- spend-based products (AWS Compute, EC2 Instance and SageMaker Savings Plans, GCP flexible
  CUDs, Azure savings plans) commit `committed_per_hour` dollars of discounted usage each hour;
- count-based products (AWS reserved instances, Azure reservations: instances of one type in a
  region; GCP resource-based CUDs: accelerators of one type in a region) commit `count` units
  for `committed_per_hour`;
- `negotiated-discount` takes `discount` off every list price in its scope (an enterprise or
  private pricing agreement), with nothing committed per hour.

`discount` defaults to the published level of the product and term (the bundled
commitment_discounts.csv); give your own rate when you know it.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field, model_validator

from planner.bounds import AtLeastOneReplica, DollarsPerHour, Fraction
from planner.spec.base import Strict

CommitmentProduct = Literal[
    "aws-compute-savings-plan",
    "aws-ec2-instance-savings-plan",
    "aws-sagemaker-savings-plan",
    "aws-reserved-instances",
    "gcp-resource-cud",
    "gcp-flexible-cud",
    "azure-reservation",
    "azure-savings-plan",
    "negotiated-discount",
]

PRODUCT_PROVIDER = {
    "aws-compute-savings-plan": "aws",
    "aws-ec2-instance-savings-plan": "aws",
    "aws-sagemaker-savings-plan": "aws",
    "aws-reserved-instances": "aws",
    "gcp-resource-cud": "gcp",
    "gcp-flexible-cud": "gcp",
    "azure-reservation": "azure",
    "azure-savings-plan": "azure",
}
"""The cloud each product is sold by (a negotiated discount names its own)."""

REQUIRED_SCOPE = {
    "aws-ec2-instance-savings-plan": ("region", "family"),
    "aws-reserved-instances": ("region", "instance_type", "count"),
    "gcp-resource-cud": ("region", "accelerator", "count"),
    "azure-reservation": ("region", "instance_type", "count"),
}
"""Scope fields each product needs, as the product itself is scoped."""

CommitmentName = Annotated[
    str,
    Field(
        pattern=r"^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$",
        description="Lower-case letters, digits and '-'.",
    ),
]


class Commitment(Strict):
    """One commitment or negotiated discount and the usage it applies to."""

    name: CommitmentName
    product: CommitmentProduct
    provider: str | None = Field(
        None, min_length=1, description="negotiated-discount: the cloud it applies to."
    )
    term_years: Literal[1, 3] = Field(1, description="Term of the commitment, years.")
    committed_per_hour: DollarsPerHour | None = Field(
        None, description="Dollars per hour paid whatever is used (every product but discounts)."
    )
    count: AtLeastOneReplica | None = Field(
        None,
        description="Count-based products: instances (reserved instances, Azure reservations) "
        "or accelerators (GCP resource-based CUD) committed.",
    )
    discount: Fraction | None = Field(
        None,
        description="Share off the on-demand list price; default: the product's published "
        "level for the term (required for negotiated-discount).",
    )
    region: str | None = Field(None, min_length=1, description="Region the product is bound to.")
    family: str | None = Field(
        None, min_length=1, description="EC2 Instance Savings Plan: instance family (p5, g6e)."
    )
    instance_type: str | None = Field(
        None, min_length=1, description="Reserved instances, Azure reservations: instance type."
    )
    accelerator: str | None = Field(
        None, min_length=1, description="GCP resource-based CUD: the accelerator (H100, L4)."
    )
    services: tuple[str, ...] | None = Field(
        None, min_length=1, description="negotiated-discount: services it covers; all if omitted."
    )

    @model_validator(mode="after")
    def _scope_complete(self) -> Commitment:
        if self.product == "negotiated-discount":
            missing = [f for f in ("provider", "discount") if getattr(self, f) is None]
            if missing:
                raise ValueError(f"negotiated-discount needs {' and '.join(missing)}")
            if self.committed_per_hour is not None or self.count is not None:
                raise ValueError(
                    "negotiated-discount commits nothing: drop committed_per_hour/count"
                )
            return self
        if self.provider is not None and self.provider != PRODUCT_PROVIDER[self.product]:
            raise ValueError(
                f"{self.product} is sold by {PRODUCT_PROVIDER[self.product]}, not {self.provider}"
            )
        if self.committed_per_hour is None:
            raise ValueError(f"{self.product} needs committed_per_hour")
        needed = REQUIRED_SCOPE.get(self.product, ())
        missing = [f for f in needed if getattr(self, f) is None]
        if missing:
            raise ValueError(f"{self.product} needs {', '.join(missing)}")
        extra = [
            f
            for f in ("region", "family", "instance_type", "accelerator", "count", "services")
            if f not in needed and getattr(self, f) is not None
        ]
        if extra:
            raise ValueError(f"{self.product} is not scoped by {', '.join(extra)}")
        return self

    @property
    def cloud(self) -> str:
        """The cloud whose usage it covers."""
        return self.provider or PRODUCT_PROVIDER[self.product]


class Rates(Strict):
    """A rate file (`--rates FILE`): commitments and discounts kept apart from the spec."""

    commitments: tuple[Commitment, ...] = ()
