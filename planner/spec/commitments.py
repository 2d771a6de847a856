"""Ways the team pays below list price, declared under `commitments:` in a spec or a rate file.

Each entry names a commitment product that a cloud sells (each cloud declares its products and
their scope: planner/clouds/<cloud>.py, `commitments`) or a negotiated percentage discount:

- spend-based products (unit usd) commit `committed_per_hour` dollars of discounted usage each
  hour;
- count-based products (instances or accelerators of one type in a region) commit `count` units
  for `committed_per_hour`;
- `negotiated-discount` takes `discount` off every list price in its scope (an enterprise or
  private pricing agreement), with nothing committed per hour.

`discount` defaults to the published level of the product and term (the bundled
commitment_discounts.csv); give your own rate when you know it.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import AfterValidator, Field, model_validator

from planner.bounds import AtLeastOneReplica, DollarsPerHour, Fraction
from planner.clouds import SCOPE_FIELDS, commitment_product
from planner.spec.base import CloudName, Strict
from planner.spec.grammars import Identifier, RegionName

NEGOTIATED = "negotiated-discount"


def check_product(name: str) -> str:
    """`name` when a registered cloud sells it (or it is a negotiated discount)."""
    if name != NEGOTIATED:
        commitment_product(name)
    return name


CommitmentProduct = Annotated[
    str,
    AfterValidator(check_product),
    Field(description="A cloud's commitment product, or negotiated-discount."),
]

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
    provider: CloudName | None = Field(
        None, description="negotiated-discount: the cloud it applies to."
    )
    term_years: Literal[1, 3] = Field(1, description="Term of the commitment, years.")
    committed_per_hour: DollarsPerHour | None = Field(
        None, description="Dollars per hour paid whatever is used (every product but discounts)."
    )
    count: AtLeastOneReplica | None = Field(
        None,
        description="Count-based products: the instances or accelerators committed (the "
        "product's unit).",
    )
    discount: Fraction | None = Field(
        None,
        description="Share off the on-demand list price; default: the product's published "
        "level for the term (required for negotiated-discount).",
    )
    region: RegionName | None = Field(None, description="Region the product is bound to.")
    family: Identifier | None = Field(
        None, description="Products scoped by family: the instance family (p5, g6e)."
    )
    instance_type: Identifier | None = Field(
        None, description="Products scoped by instance type: the instance type."
    )
    accelerator: Identifier | None = Field(
        None,
        description="Products scoped by accelerator: the accelerator (H100, L4).",
    )
    services: tuple[Identifier, ...] | None = Field(
        None, min_length=1, description="negotiated-discount: services it covers; all if omitted."
    )

    @model_validator(mode="after")
    def _scope_complete(self) -> Commitment:
        if self.discount is not None and self.discount >= 1:
            raise ValueError(
                f"discount {self.discount:g} leaves nothing to pay: give a share below 1"
            )
        if self.product == NEGOTIATED:
            missing = [f for f in ("provider", "discount") if getattr(self, f) is None]
            if missing:
                raise ValueError(f"negotiated-discount needs {' and '.join(missing)}")
            if self.committed_per_hour is not None or self.count is not None:
                raise ValueError(
                    "negotiated-discount commits nothing: drop committed_per_hour/count"
                )
            return self
        seller, product = commitment_product(self.product)
        if self.provider is not None and self.provider != seller:
            raise ValueError(f"{self.product} is sold by {seller}, not {self.provider}")
        if self.committed_per_hour is None:
            raise ValueError(f"{self.product} needs committed_per_hour")
        needed = product.scope
        missing = [f for f in needed if getattr(self, f) is None]
        if missing:
            raise ValueError(f"{self.product} needs {', '.join(missing)}")
        extra = [
            f
            for f in (*SCOPE_FIELDS, "services")
            if f not in needed and getattr(self, f) is not None
        ]
        if extra:
            raise ValueError(f"{self.product} is not scoped by {', '.join(extra)}")
        return self

    @property
    def cloud(self) -> str:
        """The cloud whose usage it covers."""
        return self.provider or commitment_product(self.product)[0]


class Rates(Strict):
    """A rate file (`--rates FILE`): commitments and discounts kept apart from the spec."""

    commitments: tuple[Commitment, ...] = ()
