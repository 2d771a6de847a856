"""Canonical YAML for emitted files, fast: every emitted YAML file is a template's output parsed
back (a template that yields invalid YAML is caught) and written again with sorted keys, block
style and ASCII. On a plan of many workloads that round trip was most of `planner emit`'s time:
PyYAML builds and walks every node in Python twice. Here the parse is libyaml's composer (where
PyYAML has it) with the common node kinds (strings, lists, mappings) turned into data directly,
and the writing walks the data once, each distinct scalar or key rendered once by PyYAML and
reused. Anything off the common path (other tags, merge keys, aliases, non-string keys, a key
PyYAML would write as a complex key, scalars long enough to wrap, other types) goes through
PyYAML whole, so the text is always PyYAML's own; tests/test_emit_canonical.py checks that
both ways give the same data and the same bytes.
"""

from __future__ import annotations

import math
from functools import lru_cache
from typing import Any

import yaml
from yaml.nodes import MappingNode, ScalarNode, SequenceNode

_Loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
_Base = getattr(yaml, "CSafeDumper", yaml.SafeDumper)
"""libyaml's parser and emitter where PyYAML was built with it (its wheels are)."""

_STR = "tag:yaml.org,2002:str"
_SEQ = "tag:yaml.org,2002:seq"
_MAP = "tag:yaml.org,2002:map"
_SCALARS = (str, int, float, bool, type(None))
_LONG = 4096
"""Scalars longer than this go through PyYAML with their document: at the dump's width a
plain or quoted scalar could wrap, depending on the column it starts in."""


class Dumper(_Base):
    """Safe YAML with multi-line strings as literal blocks (readable embedded configs)."""


def _str(dumper: Any, value: str) -> yaml.ScalarNode:
    style = "|" if "\n" in value and not value.endswith((" ", "\n\n")) else None
    return dumper.represent_scalar(_STR, value, style=style)


Dumper.add_representer(str, _str)


def reference_dump(data: Any) -> str:
    """PyYAML's canonical YAML of `data`: sorted keys, block style, ASCII."""
    return yaml.dump(data, Dumper=Dumper, sort_keys=True, default_flow_style=False, width=1 << 16)


def reference_load(text: str) -> Any:
    """PyYAML's safe load of `text` (libyaml's parser where available)."""
    return yaml.load(text, Loader=_Loader)


class _Off(Exception):
    """The data or document leaves the fast path; PyYAML handles it whole."""


# -- loading -------------------------------------------------------------------------------


def _data(node: Any, seen: set[int]) -> Any:
    if id(node) in seen:
        raise _Off  # an alias: PyYAML shares the object, and writes it back as an anchor
    seen.add(id(node))
    tag = node.tag
    if type(node) is ScalarNode:
        if tag == _STR:
            return node.value
        if tag.startswith("tag:yaml.org,2002:") and tag[18:] in ("int", "float", "bool", "null"):
            return _scalar(tag, node.value)
        raise _Off
    if type(node) is SequenceNode and tag == _SEQ:
        return [_data(item, seen) for item in node.value]
    if type(node) is MappingNode and tag == _MAP:
        out = {}
        for key_node, value_node in node.value:
            if type(key_node) is not ScalarNode or key_node.tag != _STR:
                raise _Off  # merge keys, non-string and unhashable keys
            out[key_node.value] = _data(value_node, seen)
        return out
    raise _Off


@lru_cache(maxsize=4096)
def _scalar(tag: str, value: str) -> Any:
    """An int, float, bool or null as PyYAML's safe constructor reads it."""
    return _CONSTRUCTOR.yaml_constructors[tag](_CONSTRUCTOR, ScalarNode(tag, value))


_CONSTRUCTOR = yaml.SafeLoader("")


_RESOLVER = yaml.resolver.Resolver()


@lru_cache(maxsize=65536)
def _plain(value: str) -> str:
    return _RESOLVER.resolve(ScalarNode, value, (True, False))


_DEFAULT = {
    ScalarNode: _RESOLVER.DEFAULT_SCALAR_TAG,
    SequenceNode: _RESOLVER.DEFAULT_SEQUENCE_TAG,
    MappingNode: _RESOLVER.DEFAULT_MAPPING_TAG,
}


class _Composer(_Loader):
    """The safe loader, each plain scalar resolved to its tag once: emitted files repeat their
    keys thousands of times, and the safe loader has no path resolvers (so a node's tag
    depends on its kind and text alone)."""

    def resolve(self, kind: type, value: str | None, implicit: Any) -> str:
        if kind is ScalarNode and implicit[0]:
            return _plain(value)
        return _DEFAULT[kind]

    def descend_resolver(self, current_node: Any, current_index: Any) -> None:
        return None

    def ascend_resolver(self) -> None:
        return None


def load(text: str) -> Any:
    """The data of one YAML document, as PyYAML's safe loader reads it (YAMLError if invalid)."""
    loader = _Composer(text)
    try:
        node = loader.get_single_node()
        if node is None:
            return None
        try:
            return _data(node, set())
        except _Off:
            return loader.construct_document(node)
    finally:
        loader.dispose()


# -- writing -------------------------------------------------------------------------------


@lru_cache(maxsize=65536)
def _value_text(kind: type, signed: bool, value: Any) -> tuple[str, tuple[str, ...]] | None:
    """How PyYAML writes `value` as a mapping value: its text on the key's line, and the lines
    below it (a literal block, unindented), or None when it is off the fast path."""
    del kind, signed  # in the cache key only: True, 1 and 1.0 are equal keys, as are 0.0, -0.0
    if isinstance(value, str) and len(value) > _LONG:
        return None
    first, _, rest = reference_dump({"k": value}).partition("\n")
    if not first.startswith("k: "):
        return None
    head = first[3:]
    if not rest:
        return head, ()
    if not head.startswith("|") or "+" in head or not rest.endswith("\n"):
        return None
    body = []
    for line in rest[:-1].split("\n"):
        if line and not line.startswith("  "):
            return None
        body.append(line[2:])
    return head, tuple(body)


@lru_cache(maxsize=65536)
def _key_text(key: str) -> str | None:
    """How PyYAML writes `key` as a simple mapping key, or None (a complex key, a long one)."""
    if len(key) > _LONG:
        return None
    text = reference_dump({key: 0})
    if not text.endswith(": 0\n") or text.count("\n") != 1 or text.startswith("? "):
        return None
    return text[: -len(": 0\n")]


def _scalar_lines(value: Any, lead: str, indent: int, out: list[str]) -> None:
    """`lead` (the key or dash, with its indentation) then `value`; a literal block's lines go
    `indent` spaces in."""
    kind = type(value)
    found = _value_text(kind, kind is float and math.copysign(1.0, value) < 0, value)
    if found is None:
        raise _Off
    head, body = found
    out.append(f"{lead} {head}")
    pad = " " * indent
    out.extend(pad + line if line else "" for line in body)


def _mapping(data: dict, indent: int, lead: str | None, out: list[str], seen: set[int]) -> None:
    """A non-empty mapping's lines at `indent`; its first line starts with `lead` when given
    (the dashes of the sequence items it is in)."""
    if id(data) in seen:
        raise _Off
    seen.add(id(data))
    if not all(type(k) is str for k in data):
        raise _Off
    pad = " " * indent
    first = True
    for key in sorted(data):
        text = _key_text(key)
        if text is None:
            raise _Off
        start = (lead if first and lead is not None else pad) + text + ":"
        first = False
        _value(data[key], start, indent, out, seen)


def _sequence(data: list, indent: int, lead: str | None, out: list[str], seen: set[int]) -> None:
    """A non-empty sequence's items at `indent`; the first starts with `lead` when given."""
    if id(data) in seen:
        raise _Off
    seen.add(id(data))
    pad = " " * indent
    for i, item in enumerate(data):
        start = (lead if i == 0 and lead is not None else pad) + "-"
        _value(item, start, indent, out, seen)


class Hole:
    """A value left out of a text being compiled (planner.emit.shapes): its lines go after
    `start` (a key and colon, or a dash) at `indent`."""

    __slots__ = ("indent", "index", "start")

    def __init__(self, index: int, start: str = "", indent: int = 0) -> None:
        self.index, self.start, self.indent = index, start, indent


def _value(value: Any, start: str, indent: int, out: list, seen: set[int]) -> None:
    """`value` after `start` (a key and colon, or a dash) written at `indent`. A sequence under
    a key stays at the key's indentation (PyYAML's indentless sequences); under a dash, the
    nested mapping or sequence starts on the dash's line."""
    kind = type(value)
    if kind is dict or kind is list:
        if not value:
            out.append(f"{start} {{}}" if kind is dict else f"{start} []")
        elif start.endswith(":"):
            out.append(start)
            if kind is dict:
                _mapping(value, indent + 2, None, out, seen)
            else:
                _sequence(value, indent, None, out, seen)
        else:
            lead = start + " "
            if kind is dict:
                _mapping(value, indent + 2, lead, out, seen)
            else:
                _sequence(value, indent + 2, lead, out, seen)
    elif kind in _SCALARS:
        _scalar_lines(value, start, indent + 2, out)
    elif kind is Hole:
        out.append(Hole(value.index, start, indent))
    else:
        raise _Off


def dump(data: Any) -> str:
    """Canonical YAML: sorted keys, block style, ASCII; the same text as `reference_dump`."""
    if type(data) not in (dict, list) or not data:
        return reference_dump(data)
    out: list[str] = []
    try:
        if type(data) is dict:
            _mapping(data, 0, None, out, set())
        else:
            _sequence(data, 0, None, out, set())
    except _Off:
        return reference_dump(data)
    out.append("")
    return "\n".join(out)
