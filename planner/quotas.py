"""Quotas files: a YAML `quotas:` list in the spec's Quota shape, read with line-numbered
errors, written by `planner quotas refresh`, and merged into a spec's constraints.

```yaml
# comments say where the numbers came from and when
quotas:
  - {provider: aws, region: us-east-1, accelerator: A10G, pricing: on_demand, max_accelerators: 16}
```
"""

from __future__ import annotations

import os
import re
import tempfile
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from planner.errors import InputError
from planner.facts import accelerators, find_accelerator
from planner.facts.accelerators import canonical_accelerator_name
from planner.spec.models import Quota, Spec

FIELDS = tuple(Quota.model_fields)


class QuotasError(InputError):
    """A quotas file cannot be used; the message names the file, line and field."""

    def __init__(self, source: str, problems: list[str]):
        self.problems = problems
        count = f"{len(problems)} problem" + ("s" if len(problems) != 1 else "")
        super().__init__(
            f"Invalid quotas file {source} ({count}):\n" + "\n".join(f"  {p}" for p in problems)
        )


def _lines(node: yaml.Node | None) -> dict[tuple[Any, ...], int]:
    """1-based line of every mapping key and list item, by path."""
    found: dict[tuple[Any, ...], int] = {}

    def walk(n: yaml.Node, path: tuple[Any, ...]) -> None:
        if isinstance(n, yaml.MappingNode):
            for key, value in n.value:
                found[(*path, key.value)] = key.start_mark.line + 1
                walk(value, (*path, key.value))
        elif isinstance(n, yaml.SequenceNode):
            for i, item in enumerate(n.value):
                found[(*path, i)] = item.start_mark.line + 1
                walk(item, (*path, i))

    if node is not None:
        found[()] = node.start_mark.line + 1
        walk(node, ())
    return found


def _describe(error: dict[str, Any]) -> str:
    kind = error["type"]
    if kind == "extra_forbidden":
        return f"unknown key; allowed keys: {', '.join(FIELDS)}"
    if kind == "missing":
        return "required key is missing"
    return str(error["msg"])


def key(quota: Quota) -> tuple[str, str, str, str | None]:
    """What a quota limits: provider, region, canonical accelerator, pricing (None: both)."""
    return (
        quota.provider,
        quota.region,
        canonical_accelerator_name(quota.accelerator),
        quota.pricing,
    )


def parse_quotas(text: str, source: str = "<string>") -> tuple[Quota, ...]:
    """Quotas from YAML text, or QuotasError listing every problem with its line."""
    try:
        root = yaml.compose(text, Loader=yaml.SafeLoader)
        data = yaml.safe_load(text)
    except yaml.MarkedYAMLError as err:
        mark = err.problem_mark or err.context_mark
        where = f"{source}:{mark.line + 1}" if mark else source
        raise QuotasError(source, [f"{where}: not valid YAML: {err.problem}"]) from None
    lines = _lines(root)
    if not isinstance(data, dict) or not isinstance(data.get("quotas"), list):
        raise QuotasError(source, [f"{source}: the file must be a mapping with a `quotas:` list"])
    problems: list[tuple[int, str]] = [
        (lines.get((k,), 0), f"{source}:{lines.get((k,), 0)}: {k}: unknown key; allowed: quotas")
        for k in data
        if k != "quotas"
    ]
    quotas: list[Quota] = []
    seen: dict[tuple[str, str, str, str | None], int] = {}
    known = ", ".join(a.name for a in accelerators())
    for i, item in enumerate(data["quotas"]):
        line = lines.get(("quotas", i), 0)
        where = f"quotas[{i}]"
        if not isinstance(item, dict):
            problems.append(
                (line, f"{source}:{line}: {where}: expected a mapping of {', '.join(FIELDS)}")
            )
            continue
        try:
            quota = Quota.model_validate(item)
        except ValidationError as err:
            for e in err.errors():
                field = str(e["loc"][0]) if e["loc"] else ""
                at = lines.get(("quotas", i, field), line)
                problems.append((at, f"{source}:{at}: {where}.{field}: {_describe(e)}"))
            continue
        if find_accelerator(quota.accelerator) is None:
            at = lines.get(("quotas", i, "accelerator"), line)
            problems.append(
                (at, f"{source}:{at}: {where}.accelerator: unknown accelerator "
                     f"'{quota.accelerator}'; known: {known}")
            )  # fmt: skip
            continue
        if key(quota) in seen:
            other = seen[key(quota)]
            message = f"{where}: the same pool as the quota on line {other}"
            problems.append((line, f"{source}:{line}: {message}"))
            continue
        seen[key(quota)] = line
        quotas.append(quota)
    if problems:
        raise QuotasError(source, [text for _, text in sorted(problems, key=lambda p: p[0])])
    return tuple(quotas)


def load_quotas(path: str | Path) -> tuple[Quota, ...]:
    """Read and validate a quotas file."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as err:
        raise InputError(f"Cannot read quotas file {path}: {err.strerror or err}") from None
    return parse_quotas(text, str(path))


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
    out = [f"# {c}".rstrip() for c in comments]
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
    path = Path(path)
    if path.exists() and not force:
        raise InputError(f"{path} already exists; give --force to overwrite it")
    text = quotas_yaml(quotas, comments)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


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
