"""Render resources with Jinja2 and write them in one canonical form.

Templates lay out each document; every value goes in through a quoting filter (`q` for JSON/YAML,
`sh` for shell), so no name or image can change a document's structure. The result is parsed
back and dumped with sorted keys: the same plan gives byte-identical files.
"""

from __future__ import annotations

import json
import shlex
from functools import cache
from typing import Any

import yaml

from planner.emit import canonical, shapes
from planner.emit.resource import Rendered, Resource
from planner.errors import PlannerError
from planner.resources import templates_dir


def _not_serialisable(value: Any) -> Any:
    """Let a missing template variable raise its own error (str() of StrictUndefined does)."""
    str(value)
    raise TypeError(f"cannot quote a {type(value).__name__} in a template")


def quote(value: Any) -> str:
    """A JSON literal of `value`, which is also valid YAML (flow style)."""
    return json.dumps(value, sort_keys=True, ensure_ascii=True, default=_not_serialisable)


def _quote_or_slot(context, value: Any) -> str:
    """`quote`, or, in a rendering for its shape (planner.emit.shapes), a placeholder for it."""
    slots = context.get(shapes.SLOTS)
    return quote(value) if slots is None else shapes.record(slots, value, quote)


def shell_quote(value: Any) -> str:
    """`value` as one shell word."""
    return shlex.quote(str(value))


@cache
def environment():
    """The Jinja2 environment over the templates folder: strict undefined, no autoescape."""
    import jinja2

    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(templates_dir())),
        undefined=jinja2.StrictUndefined,
        autoescape=False,
        keep_trailing_newline=True,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["q"] = jinja2.pass_context(_quote_or_slot)
    env.filters["sh"] = shell_quote
    return env


def dump_yaml(data: Any) -> str:
    """Canonical YAML: sorted keys, block style, ASCII."""
    return canonical.dump(data)


def dump_json(data: Any) -> str:
    """Canonical JSON: sorted keys, two-space indent, final newline."""
    return json.dumps(data, indent=2, sort_keys=True, ensure_ascii=True) + "\n"


def render(resource: Resource) -> Rendered:
    """Render one resource and normalise it; a template that yields invalid data is a bug.
    YAML goes through its template's shape where that settles it (planner.emit.shapes)."""
    env = environment()
    template = env.get_template(resource.template)
    if resource.extension == "yaml" and shapes.safe(env, resource.template):
        found = shapes.render(template, resource.context)
        if found is not None:
            return Rendered(resource, *found)
    raw = template.render(**resource.context)
    try:
        if resource.extension == "json":
            data = json.loads(raw)
            return Rendered(resource, dump_json(data), lambda: data)
        if resource.extension == "yaml":
            data = canonical.load(raw)
            return Rendered(resource, dump_yaml(data), lambda: data)
    except (json.JSONDecodeError, yaml.YAMLError) as err:
        raise PlannerError(f"template {resource.template} rendered invalid data: {err}") from err
    return Rendered(resource, raw, lambda: None)
