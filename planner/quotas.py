"""Quotas files: a YAML `quotas:` list in the spec's Quota shape, read with line-numbered
errors, written by `planner quotas refresh`, and merged into a spec's constraints.

```yaml
# comments say where the numbers came from and when
quotas:
  - {provider: aws, region: us-east-1, accelerator: A10G, pricing: on_demand, max_accelerators: 16}
```
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from pathlib import Path

from planner._readfile import read_input
from planner.facts import accelerators, find_accelerator
from planner.facts.accelerators import canonical_accelerator_name
from planner.markup import comment
from planner.spec.base import Strict
from planner.spec.load import FieldError, SpecError, validate_yaml
from planner.spec.models import Quota, Spec

FIELDS = tuple(Quota.model_fields)


QuotasError = SpecError
"""A quotas file cannot be used; the message names the file, line and field."""


def key(quota: Quota) -> tuple[str, str, str, str | None]:
    """What a quota limits: provider, region, canonical accelerator, pricing (None: both)."""
    return (
        quota.provider,
        quota.region,
        canonical_accelerator_name(quota.accelerator),
        quota.pricing,
    )


class QuotasFile(Strict):
    """A quotas file: a `quotas:` list in the spec's Quota shape."""

    quotas: tuple[Quota, ...]


def _pool_problems(parsed: QuotasFile) -> list[FieldError]:
    """Accelerators must be known, and each pool limited once."""
    problems: list[FieldError] = []
    known = ", ".join(a.name for a in accelerators())
    seen: dict[tuple[str, str, str, str | None], int] = {}
    for i, quota in enumerate(parsed.quotas):
        if find_accelerator(quota.accelerator) is None:
            problems.append(
                FieldError(
                    ("quotas", i, "accelerator"),
                    f"unknown accelerator '{quota.accelerator}'; known: {known}",
                )
            )
        elif key(quota) in seen:
            problems.append(
                FieldError(("quotas", i), f"the same pool as quotas[{seen[key(quota)]}]")
            )
        else:
            seen[key(quota)] = i
    return problems


def parse_quotas(text: str, source: str = "<string>") -> tuple[Quota, ...]:
    """Quotas from YAML text, or an error listing every problem with its line and field."""
    parsed = validate_yaml(
        text, source, QuotasFile, _pool_problems, what="a mapping with a `quotas:` list",
        label="quotas file",
    )  # fmt: skip
    return parsed.quotas


def load_quotas(path: str | Path) -> tuple[Quota, ...]:
    """Read and validate a quotas file."""
    path = Path(path)
    return parse_quotas(read_input(path, "quotas file"), str(path))


_PLAIN = re.compile(r"^[A-Za-z][A-Za-z0-9._-]*$")


def _scalar(value: object) -> str:
    if isinstance(value, int):
        return str(value)
    text = str(value)
    return (
        text
        if _PLAIN.match(text) and text not in ("yes", "no", "on", "off", "null", "true", "false")
        else f'"{text}"'
    )


def quotas_yaml(quotas: Iterable[Quota], comments: Sequence[str] = ()) -> str:
    """The quotas file text: '#' comments, then one flow mapping per quota, sorted by pool."""
    out = [f"# {comment(c)}".rstrip() for c in comments]
    out.append("quotas:")
    ordered = sorted(quotas, key=lambda q: (q.provider, q.region, q.accelerator, q.pricing or ""))
    for q in ordered:
        parts = [
            f"{name}: {_scalar(getattr(q, name))}"
            for name in FIELDS
            if getattr(q, name) is not None
        ]
        out.append(f"  - {{{', '.join(parts)}}}")
    if not ordered:
        out[-1] = "quotas: []"
    return "\n".join(out) + "\n"


def write_quotas(
    path: str | Path, quotas: Iterable[Quota], comments: Sequence[str] = (), force: bool = False
) -> None:
    """Write a quotas file (through a temporary file); an existing file needs `force`."""
    from planner._writefile import refuse_overwrite, write_output

    path = Path(path)
    refuse_overwrite(path, force)
    write_output(path, quotas_yaml(quotas, comments), overwrite=force)


def merge_quotas(spec: Spec, quotas: Iterable[Quota]) -> Spec:
    """`spec` with `quotas` added to its constraints; the spec's own quotas win on conflicts.

    A file quota is left out when the spec has a quota for the same provider, region and
    accelerator whose pricing is the same or unset (an unset pricing covers both), so a limit
    written in the spec always replaces the refreshed one instead of being tightened by it.
    """
    own = spec.constraints.quotas
    covered = {key(q) for q in own}
    added = tuple(q for q in quotas if key(q) not in covered and (*key(q)[:3], None) not in covered)
    constraints = spec.constraints.model_copy(update={"quotas": own + added})
    return spec.model_copy(update={"constraints": constraints})
