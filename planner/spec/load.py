"""Load a spec file: YAML with line numbers, pydantic validation, reference checks, clear errors."""

from __future__ import annotations

import difflib
import json
import re
import types
import typing
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import yaml
from pydantic import BaseModel, ValidationError

from planner._readfile import MAX_NESTING, read_input
from planner.errors import ArgumentError, InputError, listing, text_argument
from planner.facts import accelerators, find_accelerator, find_llm, llms
from planner.facts.engines import pinned_problem
from planner.spec.capacity import Cluster, EdgePool, Reservation, TimeWindow
from planner.spec.commitments import Commitment, Rates
from planner.spec.models import WORKLOAD_KINDS, Spec

CAPACITY_KINDS = {
    "reservation": Reservation,
    "commitment": Reservation,
    "capacity_block": TimeWindow,
    "dws_calendar": TimeWindow,
    "dws_flex_start": TimeWindow,
    "cluster": Cluster,
    "edge": EdgePool,
}
TAGGED = {**WORKLOAD_KINDS, **CAPACITY_KINDS}
"""Discriminator tags of the spec's unions: they appear in pydantic's error paths."""

MAX_YAML_ALIASES = 1_000
"""Most YAML aliases (`*name`) one file may use."""
MAX_YAML_VALUES = 1_000_000
"""Most values (scalars, mappings, lists) one YAML file may hold, every alias expanded."""
MAX_YAML_BYTES = 16 * 1024 * 1024
"""Largest YAML file read (16 MiB): a spec of 10,000 workloads is about 3 MiB."""

MAX_PROBLEMS_SHOWN = 50
"""Most problems a message lists (all are kept in SpecError.problems)."""

Loc = tuple[str | int, ...]
M = TypeVar("M", bound=BaseModel)


class _BoundedLoader(yaml.SafeLoader):
    """PyYAML's safe loader with limits: nesting depth, alias uses and values, so that a
    deep or "billion laughs" document fails at once with the line where it went too far."""

    def __init__(self, stream: str):
        super().__init__(stream)
        self._depth = 0
        self._aliases = 0
        self._values = 0

    def compose_node(self, parent: yaml.Node | None, index: object) -> yaml.Node:
        mark = self.peek_event().start_mark
        if self.check_event(yaml.AliasEvent):
            self._aliases += 1
            if self._aliases > MAX_YAML_ALIASES:
                raise _limit(f"more than {MAX_YAML_ALIASES:,} aliases (*name)", mark)
            return super().compose_node(parent, index)
        self._depth += 1
        self._values += 1
        if self._depth > MAX_NESTING:
            raise _limit(f"nested more than {MAX_NESTING} levels deep", mark)
        if self._values > MAX_YAML_VALUES:
            raise _limit(f"more than {MAX_YAML_VALUES:,} values", mark)
        try:
            return super().compose_node(parent, index)
        finally:
            self._depth -= 1


def _fast_loader() -> type | None:
    """_BoundedLoader over libyaml's scanner and parser, where PyYAML has them (its wheels do):
    the same events five times sooner. The node tree is still composed by PyYAML's Composer, so
    the limits apply to every node as it is made and each node keeps its line and column."""
    try:
        from yaml._yaml import CParser
    except ImportError:
        return None
    from yaml.composer import Composer

    class _FastBoundedLoader(CParser, _BoundedLoader):
        def __init__(self, stream: str):
            CParser.__init__(self, stream)
            yaml.constructor.SafeConstructor.__init__(self)
            yaml.resolver.Resolver.__init__(self)
            Composer.__init__(self)
            self._depth = 0
            self._aliases = 0
            self._values = 0

        # libyaml's events (CParser comes first), PyYAML's composition with the limits
        # (CParser's own composes in C, where no limit applies).
        get_single_node = Composer.get_single_node
        compose_document = Composer.compose_document
        compose_node = _BoundedLoader.compose_node
        compose_scalar_node = Composer.compose_scalar_node
        compose_sequence_node = Composer.compose_sequence_node
        compose_mapping_node = Composer.compose_mapping_node
        check_node = Composer.check_node
        get_node = Composer.get_node

    return _FastBoundedLoader


_BoundedLoader.add_implicit_resolver(
    "tag:yaml.org,2002:float",
    re.compile(r"^[-+]?([0-9][0-9_]*(\.[0-9_]*)?|\.[0-9_]+)[eE][-+]?[0-9]+$"),
    list("-+0123456789."),
)
_FAST_LOADER = _fast_loader()
"""`1e9` and `2.5E-3` are numbers, as in YAML 1.2 and JSON (PyYAML's YAML 1.1 reads them as
text, which strict number fields would then refuse)."""


def _limit(what: str, mark: yaml.Mark | None, *, why: str = "") -> yaml.MarkedYAMLError:
    why = why or "more than the planner reads (see docs/spec.md, 'Limits')"
    return yaml.composer.ComposerError(None, None, f"{what}, {why}", mark)


def _expanded_size(root: yaml.Node) -> None:
    """Raise when the document, aliases expanded, holds more than MAX_YAML_VALUES values or
    an alias refers to a node that contains it (a cycle)."""
    sizes: dict[int, int] = {}
    active: set[int] = set()

    def size(node: yaml.Node, depth: int) -> int:
        key = id(node)
        if key in sizes:
            return sizes[key]
        if key in active or depth > 2 * MAX_NESTING:
            raise _limit(
                "an alias refers to a mapping or list that contains it",
                node.start_mark,
                why="so it never ends",
            )
        active.add(key)
        total = 1
        if isinstance(node, yaml.MappingNode):
            for k, v in node.value:
                total += size(k, depth + 1) + size(v, depth + 1)
        elif isinstance(node, yaml.SequenceNode):
            for item in node.value:
                total += size(item, depth + 1)
        active.discard(key)
        if total > MAX_YAML_VALUES:
            raise _limit(
                f"more than {MAX_YAML_VALUES:,} values once its aliases are expanded",
                node.start_mark,
            )
        sizes[key] = total
        return total

    size(root, 0)


def compose_yaml(text: str) -> tuple[yaml.Node | None, Any]:
    """The node tree (for line numbers) and the data of one YAML document, within the
    limits above; yaml.YAMLError (with a mark where known) when it is not valid or too big."""
    try:
        text.encode("utf-8")  # libyaml reads UTF-8: text with lone surrogates goes the slow way
        loader = (_FAST_LOADER or _BoundedLoader)(text)
    except UnicodeEncodeError:
        loader = _BoundedLoader(text)
    try:
        try:
            root = loader.get_single_node()
        except yaml.MarkedYAMLError as err:
            if "maximum nesting depth" not in str(err.problem):
                raise
            # libyaml's scanner stops at its own depth (1,000) before the composer sees 64
            raise _limit(f"nested more than {MAX_NESTING} levels deep", err.problem_mark) from None
        if root is None:
            return None, None
        _expanded_size(root)
        try:
            return root, loader.construct_document(root)
        except (ValueError, TypeError, OverflowError) as err:
            # PyYAML's constructors raise these for a date like 2026-13-45 or an integer of
            # thousands of digits.
            raise yaml.constructor.ConstructorError(
                None, None, f"a value cannot be read: {str(err)[:200]}", None
            ) from None
    finally:
        loader.dispose()


@dataclass(frozen=True)
class FieldError:
    """One thing wrong with a spec: where (path in the document) and what."""

    loc: Loc
    message: str


class SpecError(InputError):
    """A spec file failed validation; the message names file, line, field and what is allowed."""

    def __init__(self, source: str, problems: list[str], label: str = "spec"):
        self.source = source
        self.problems = problems
        count = f"{len(problems):,} problem" + ("s" if len(problems) != 1 else "")
        shown = problems[:MAX_PROBLEMS_SHOWN]
        if len(problems) > MAX_PROBLEMS_SHOWN:
            shown.append(f"  ... and {len(problems) - MAX_PROBLEMS_SHOWN:,} more")
        super().__init__(f"Invalid {label} {source} ({count}):\n" + "\n".join(shown))


class _LineIndex:
    """Line numbers of every key and list item of a YAML document, by path."""

    def __init__(self, root: yaml.Node | None):
        self.lines: dict[Loc, int] = {}
        self.duplicates: list[tuple[Loc, int]] = []
        if root is not None:
            self.lines[()] = root.start_mark.line + 1
            self._walk(root, ())

    def _walk(self, node: yaml.Node, path: Loc) -> None:
        if isinstance(node, yaml.MappingNode):
            for key_node, value_node in node.value:
                key = key_node.value
                here = (*path, key)
                if here in self.lines:
                    self.duplicates.append((here, key_node.start_mark.line + 1))
                self.lines[here] = key_node.start_mark.line + 1
                self._walk(value_node, here)
        elif isinstance(node, yaml.SequenceNode):
            for i, item in enumerate(node.value):
                self.lines[(*path, i)] = item.start_mark.line + 1
                self._walk(item, (*path, i))

    def locate(self, loc: Loc) -> tuple[Loc, int | None]:
        """The document path for a validation loc (union tags dropped) and its nearest line."""
        path: list[str | int] = []
        line = self.lines.get(())
        for part in loc:
            candidate = (*path, part)
            if candidate in self.lines:
                path.append(part)
                line = self.lines[candidate]
            elif part in TAGGED and path and isinstance(path[-1], int):
                continue  # the discriminated union's tag, not a key in the document
            else:
                path.append(part)
        return tuple(path), line


def format_path(loc: Loc) -> str:
    """A document path as `workloads[0].traffic.requests_per_second`."""
    out = ""
    for part in loc:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out or "(top level)"


def _strip(tp: Any) -> Any:
    while True:
        origin = typing.get_origin(tp)
        if origin is typing.Annotated:
            tp = typing.get_args(tp)[0]
        elif origin in (typing.Union, types.UnionType):
            args = [a for a in typing.get_args(tp) if a is not type(None)]
            if len(args) != 1:
                return tp
            tp = args[0]
        else:
            return tp


def _model_at(loc: Loc, root: type[BaseModel] = Spec) -> type[BaseModel] | None:
    """The spec model class that validates the value at `loc`, if one does."""
    tp: Any = root
    for part in loc:
        tp = _strip(tp)
        if isinstance(part, int):
            args = typing.get_args(tp)
            tp = args[0] if args else None
        elif isinstance(tp, type) and issubclass(tp, BaseModel) and part in tp.model_fields:
            tp = tp.model_fields[part].annotation
        elif part in TAGGED:
            tp = TAGGED[part]
        else:
            return None
    tp = _strip(tp)
    return tp if isinstance(tp, type) and issubclass(tp, BaseModel) else None


def _kinds_at(loc: Loc) -> list[str]:
    """The kinds allowed for the tagged item at `loc`: workloads or capacity pools."""
    return list(CAPACITY_KINDS if loc[:1] == ("capacity",) else WORKLOAD_KINDS)


def _describe(error: dict[str, Any], root: type[BaseModel] = Spec) -> str:
    kind, msg, value = error["type"], error["msg"], error.get("input")
    loc = tuple(error["loc"])
    if kind == "extra_forbidden":
        model = _model_at(tuple(p for p in loc[:-1]), root)
        allowed = sorted(model.model_fields) if model else []
        hint = difflib.get_close_matches(str(loc[-1]), allowed, n=1)
        text = f"unknown key '{loc[-1]}'"
        if hint:
            text += f" (did you mean '{hint[0]}'?)"
        return text + (f"; allowed keys here: {', '.join(allowed)}" if allowed else "")
    if kind == "missing":
        return "required key is missing"
    if kind == "union_tag_not_found":
        return f"missing 'kind': one of {', '.join(_kinds_at(loc))}"
    if kind == "union_tag_invalid":
        return (
            f"kind '{error['ctx']['tag']}' is not allowed; use one of {', '.join(_kinds_at(loc))}"
        )
    if kind == "value_error":
        return msg.removeprefix("Value error, ")
    if kind == "string_pattern_mismatch" and loc and loc[-1] == "name":
        return (
            f"name {value!r} is not allowed: use lower-case letters, digits and '-', "
            "1-63 characters, starting and ending with a letter or digit"
        )
    text = msg[0].lower() + msg[1:] if msg else kind
    if value is not None and not isinstance(value, dict | list):
        shown = (
            repr(value) if not isinstance(value, int) or abs(value) < 10**30 else "a huge number"
        )
        text += f" (got {shown[:80]}{'...' if len(shown) > 80 else ''})"
    return text


def _problem_text(source: str, index: _LineIndex, loc: Loc, message: str) -> str:
    path, line = index.locate(loc)
    where = f"{source}:{line}" if line else source
    return f"  {where}: {format_path(path)}: {message}"


def _capacity_problems(spec: Spec, known_accs: str) -> list[FieldError]:
    """Capacity pools name known accelerators or devices, each pool name once."""
    problems: list[FieldError] = []
    seen: set[str] = set()
    for i, pool in enumerate(spec.capacity):
        if pool.name in seen:
            problems.append(
                FieldError(("capacity", i, "name"), f"pool name '{pool.name}' is used twice")
            )
        seen.add(pool.name)
        if isinstance(pool, Cluster) and find_accelerator(pool.accelerator) is None:
            problems.append(
                FieldError(
                    ("capacity", i, "accelerator"),
                    f"unknown accelerator '{pool.accelerator}'; known: {known_accs}",
                )
            )
        if (
            isinstance(pool, EdgePool)
            and pool.memory_gb is None
            and find_accelerator(pool.device) is None
        ):
            problems.append(
                FieldError(
                    ("capacity", i, "device"),
                    f"unknown device '{pool.device}'; use a bundled one (jetson-agx-orin, "
                    "jetson-orin-nx, jetson-orin-nano) or give memory_gb, bandwidth_gbps "
                    "and tflops",
                )
            )
    return problems


def _request_sizes(workload: object) -> list[tuple[Loc, int, int]]:
    """(where, input tokens, output tokens) of each request size a workload states."""
    traffic = getattr(workload, "traffic", None)
    if traffic is not None:
        if traffic.buckets is None:
            return [(("traffic",), traffic.input_tokens, traffic.output_tokens)]
        return [
            (("traffic", "buckets", j), b.input_tokens, b.output_tokens)
            for j, b in enumerate(traffic.buckets)
        ]
    volume = getattr(workload, "volume", None)
    if volume is not None:
        return [(("volume",), volume.input_tokens, volume.output_tokens)]
    return []


def _context_problems(i: int, workload: object, model: str, max_context: int) -> list[FieldError]:
    """Requests longer than the model's context window (no offering could ever serve them)."""
    return [
        FieldError(
            ("workloads", i, *where),
            f"a request of {inputs} + {outputs} tokens (context {inputs + outputs}) exceeds "
            f"{model}'s maximum context of {max_context} tokens",
        )
        for where, inputs, outputs in _request_sizes(workload)
        if inputs + outputs > max_context
    ]


def _reference_problems(spec: Spec) -> list[FieldError]:
    """Names that pydantic cannot check: models, accelerators, duplicate workload names."""
    problems: list[FieldError] = []
    user = spec.user_llms()
    known_models = listing(sorted({m.name for m in (*user, *llms())}), limit=40)
    known_accs = ", ".join(a.name for a in accelerators())
    seen: dict[str, int] = {}
    for i, workload in enumerate(spec.workloads):
        if workload.name in seen:
            problems.append(
                FieldError(
                    ("workloads", i, "name"),
                    f"workload name '{workload.name}' is used twice "
                    f"(also workloads[{seen[workload.name]}])",
                )
            )
        seen.setdefault(workload.name, i)
        llm = find_llm(workload.model, user) if workload.model is not None else None
        if workload.model is not None and llm is None:
            problems.append(
                FieldError(
                    ("workloads", i, "model"),
                    f"unknown model '{workload.model}'; bundled models: {known_models}; "
                    "or define it under `models:`",
                )
            )
        elif llm is not None and llm.max_context:
            problems += _context_problems(i, workload, llm.name, llm.max_context)
        engine = getattr(workload, "engine", None)
        for j, name in enumerate(workload.placement.accelerators or ()):
            acc = find_accelerator(name)
            if acc is None:
                problems.append(
                    FieldError(
                        ("workloads", i, "placement", "accelerators", j),
                        f"unknown accelerator '{name}'; known: {known_accs}",
                    )
                )
                continue
            settings = getattr(workload, "engine_settings", None)
            why = engine and pinned_problem(
                engine, acc.name, workload.placement.services, workload.kind,
                settings.kv_dtype if settings is not None else "",
            )  # fmt: skip
            if why:
                problems.append(
                    FieldError(("workloads", i, "placement", "accelerators", j), f"{why}")
                )
        ref = getattr(workload, "reference_accelerator", None)
        if ref is not None and find_accelerator(ref) is None:
            problems.append(
                FieldError(
                    ("workloads", i, "reference_accelerator"),
                    f"unknown accelerator '{ref}'; known: {known_accs}",
                )
            )
    for i, quota in enumerate(spec.constraints.quotas):
        if find_accelerator(quota.accelerator) is None:
            problems.append(
                FieldError(
                    ("constraints", "quotas", i, "accelerator"),
                    f"unknown accelerator '{quota.accelerator}'; known: {known_accs}",
                )
            )
    problems += _capacity_problems(spec, known_accs)
    return problems


def _validation_problems(
    source: str, index: _LineIndex, err: ValidationError, root: type[BaseModel] = Spec
) -> list[str]:
    """One line per pydantic error, in document order, without knock-on length errors."""
    errors = err.errors()
    locs = [tuple(e["loc"]) for e in errors]
    parents = {other[:n] for other in locs for n in range(len(other))}
    found: list[tuple[int, str]] = []
    for error, loc in zip(errors, locs, strict=True):
        nested = loc in parents
        if error["type"] == "too_short" and nested:
            continue  # items under it failed: the length error only repeats that
        if error["type"].startswith("union_tag"):
            loc = (*loc, "kind")
        _, line = index.locate(loc)
        found.append((line or 0, _problem_text(source, index, loc, _describe(error, root))))
    return [text for _, text in sorted(found, key=lambda item: item[0])]


def parse_spec(text: str | Mapping[str, Any], source: str = "<string>") -> Spec:
    """Validate spec text (YAML or JSON), or a mapping as `yaml.safe_load` gives it, into a
    Spec, or raise SpecError naming lines and fields (ArgumentError for anything else)."""
    if isinstance(text, Mapping):
        try:
            text = json.dumps(text, indent=1, allow_nan=False)
        except (TypeError, ValueError) as err:
            raise ArgumentError(f"parse_spec(): the mapping is not plain data: {err}") from None
        source = "<mapping>" if source == "<string>" else source
    text_argument(text, "parse_spec", "text")
    return validate_yaml(
        text, source, Spec, _reference_problems, what="a mapping with a `workloads:` list"
    )


def load_spec(path: str | Path) -> Spec:
    """Read and validate a spec file."""
    path = Path(path)
    return parse_spec(read_input(path, "spec", limit=MAX_YAML_BYTES), str(path))


def load_rates(path: str | Path) -> tuple[Commitment, ...]:
    """Read and validate a rate file: a `commitments:` list, as in a spec."""
    path = Path(path)
    text = read_input(path, "rates file", limit=MAX_YAML_BYTES)
    rates = validate_yaml(
        text, str(path), Rates, what="a mapping with a `commitments:` list", label="rates file"
    )
    return rates.commitments


def with_rates(spec: Spec, commitments: tuple[Commitment, ...], source: str) -> Spec:
    """`spec` with a rate file's commitments after its own (names must stay unique)."""
    names = {c.name for c in spec.commitments}
    for i, c in enumerate(commitments):
        if c.name in names:
            raise InputError(
                f"{source}: commitments[{i}].name: {c.name!r} is already a commitment of the spec"
            )
        names.add(c.name)
    return spec.model_copy(update={"commitments": spec.commitments + commitments})


def spec_json_schema() -> dict[str, Any]:
    """JSON Schema of the spec file, for editors and CI validation."""
    schema = Spec.model_json_schema()
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "title": "LLM placement planner spec",
        **schema,
    }


def _yaml_problem(source: str, text: str, err: yaml.YAMLError) -> str:
    """`  file:line: not valid YAML: problem` for any PyYAML error."""
    line: int | None = None
    if isinstance(err, yaml.MarkedYAMLError):
        mark = err.problem_mark or err.context_mark
        line = mark.line + 1 if mark else None
        problem = err.problem or err.context
    elif isinstance(err, yaml.reader.ReaderError):
        line = text.count("\n", 0, err.position) + 1
        char = err.character if isinstance(err.character, str) else chr(err.character or 0)
        problem = f"the character {char!r} is not allowed in YAML"
    else:
        problem = str(err)
    return f"  {source}{f':{line}' if line else ''}: not valid YAML: {problem}"


def validate_yaml(
    text: str,
    source: str,
    model_cls: type[M],
    check: Callable[[M], list[FieldError]] | None = None,
    what: str = "a mapping",
    label: str = "spec",
) -> M:
    """Validate YAML (or JSON) text into `model_cls` with the spec's line-numbered errors
    (`file:line: field: what is wrong`); `check` adds problems pydantic cannot see."""
    if len(text) > MAX_YAML_BYTES:
        raise SpecError(
            label=label,
            source=source,
            problems=[f"  {source}: larger than {MAX_YAML_BYTES // (1024 * 1024)} MiB"],
        )
    try:
        root, data = compose_yaml(text)
    except yaml.YAMLError as err:
        raise SpecError(
            label=label, source=source, problems=[_yaml_problem(source, text, err)]
        ) from None
    index = _LineIndex(root)
    if index.duplicates:
        raise SpecError(
            source,
            [
                f"  {source}:{line}: {format_path(loc)}: key appears twice in the same mapping"
                for loc, line in index.duplicates
            ],
            label,
        )
    if not isinstance(data, dict):
        raise SpecError(
            label=label,
            source=source,
            problems=[f"  {source}: the file must be {what} (got {data!r})"],
        )
    try:
        value = model_cls.model_validate(data)
    except ValidationError as err:
        raise SpecError(
            source, _validation_problems(source, index, err, model_cls), label
        ) from None
    problems = check(value) if check is not None else []
    if problems:
        raise SpecError(
            label=label,
            source=source,
            problems=[_problem_text(source, index, p.loc, p.message) for p in problems],
        )
    return value
