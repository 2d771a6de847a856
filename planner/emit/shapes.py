"""Many emitted files, few shapes: each distinct layout of a template is parsed back once.

Every value enters a template through the `q` filter (a JSON literal, one line). Rendered with
`q` writing a placeholder instead (a plain word with a random part, one per call), a template
gives its *shape*: the same text for every rendering that takes the same path through the
template, whatever the values. The shape is parsed back (the check that the template yields
valid YAML) once, and where each placeholder is a whole plain scalar of its own (a mapping
value, a sequence item or, for a string, a key) the real rendering is exactly that data with
each placeholder replaced by what YAML reads the JSON literal as: a JSON literal on one line
is a complete flow node wherever a plain scalar is, so putting it there changes nothing
around it. Writing is precompiled the same way: the canonical text of the shape's layout,
with the lines of each value written in its place. Anything else (a placeholder inside a
longer scalar, quoted, in a comment or tag, a key that is not a short string, an alias, a tag,
a template whose output of `q` could be changed before it is written, which `safe` rules out)
goes the whole way: the real rendering parsed and written as before.
tests/test_emit_shapes.py holds the fast path to that one, text and data.
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from functools import cache
from typing import Any

import yaml
from yaml.nodes import MappingNode, ScalarNode, SequenceNode

from planner.emit import canonical

SLOTS = "__planner_q_slots"
"""The context variable that, when a list, makes `q` record its values and write placeholders."""
_PREFIX = f"Qq{secrets.token_hex(8)}q"
_SUFFIX = "qQ"
_TOKEN = re.compile(rf"{_PREFIX}(\d+){_SUFFIX}")
_LIMIT = 4096
"""Shapes remembered at most (a template that writes values without `q` has one per value)."""
_KEY = 1000
"""Longest JSON text of a key (YAML's implicit keys stop at 1024 characters)."""


def placeholder(index: int) -> str:
    """The plain word written for the `index`-th value `q` was given."""
    return f"{_PREFIX}{index}{_SUFFIX}"


def record(slots: list[tuple[Any, str]], value: Any, quote: Callable[[Any], str]) -> str:
    """What `q` (`quote`) writes in a rendering for its shape: a new placeholder for `value`,
    or, given a placeholder (`q | q`: `safe` lets `q` take no other output of `q`), the same
    placeholder, now standing for the first JSON literal as a string."""
    if type(value) is str and value.startswith(_PREFIX):
        match = _TOKEN.fullmatch(value)
        if match is not None and int(match[1]) < len(slots):
            i = int(match[1])
            inner = slots[i][1]
            slots[i] = (inner, quote(inner))
            return value
    slots.append((value, quote(value)))
    return placeholder(len(slots) - 1)


class Slot:
    """Where the `index`-th value goes in a shape's data."""

    __slots__ = ("index",)

    def __init__(self, index: int) -> None:
        self.index = index


# -- which templates ---------------------------------------------------------------------------

_UNSAFE = ("Macro", "CallBlock", "EvalContextModifier", "Extends", "Block", "Import", "FromImport")


def safe(env, name: str) -> bool:
    """Whether every `q` of template `name` (and what it includes) writes its text straight into
    the output: `q` only as the last filter of an output expression, no filter block but
    `indent` (which changes nothing on one line), no macros, calls, blocks or autoescape
    switches, includes only of named templates that are safe too."""
    return _safe(env, name, frozenset())


@cache
def _safe(env, name: str, within: frozenset[str]) -> bool:
    from jinja2 import nodes

    if name in within:
        return False
    tree = env.parse(env.loader.get_source(env, name)[0])
    unsafe = tuple(getattr(nodes, kind) for kind in _UNSAFE)

    def walk(node, parent) -> bool:
        if isinstance(node, unsafe):
            return False
        if isinstance(node, nodes.Filter) and node.name == "q":
            quoted_again = isinstance(parent, nodes.Filter) and parent.name == "q"
            if not (isinstance(parent, nodes.Output) or (quoted_again and parent.node is node)):
                return False
        if isinstance(node, nodes.FilterBlock) and (
            node.filter.name != "indent" or node.filter.node is not None
        ):
            return False
        if isinstance(node, nodes.Include):
            if not isinstance(node.template, nodes.Const):
                return False
            if not _safe(env, node.template.value, within | {name}):
                return False
        return all(walk(child, node) for child in node.iter_child_nodes())

    return walk(tree, None)


# -- reading a value as YAML reads its JSON literal --------------------------------------------


def _plain_str(value: str) -> bool:
    """A string YAML reads back from its JSON literal as itself (JSON writes a character past
    U+FFFF as two escaped halves, which YAML reads as two characters)."""
    return value.isascii() or all(ord(c) <= 0xFFFF for c in value)


def _as_json(value: Any) -> Any:
    """`value` as json.loads would give it back, for the kinds YAML reads the same from the
    JSON literal (strings within U+FFFF, ints, booleans, null; lists and string-keyed maps of
    them, keys in JSON's sorted order); _NO otherwise."""
    kind = type(value)
    if kind is str:
        return value if _plain_str(value) else _NO
    if kind is int or kind is bool or value is None:
        return value
    if kind is list or kind is tuple:
        items = [_as_json(v) for v in value]
        return _NO if any(v is _NO for v in items) else items
    if kind is dict:
        if not all(type(k) is str and _plain_str(k) for k in value):
            return _NO
        out = {}
        for k in sorted(value):
            v = _as_json(value[k])
            if v is _NO:
                return _NO
            out[k] = v
        return out
    return _NO


_NO = object()


def read_back(value: Any, text: str) -> Any:
    """What YAML reads `text` (the JSON literal of `value`) as, wherever it stands as a node."""
    found = _as_json(value)
    return canonical.load(text) if found is _NO else found


# -- shapes ------------------------------------------------------------------------------------


class _Recorder(canonical._Composer):
    """The canonical composer, noting which placeholders it read as plain scalars with no tag."""

    def __init__(self, text: str) -> None:
        super().__init__(text)
        self.plain: set[str] = set()

    def resolve(self, kind: type, value: str | None, implicit: Any) -> str:
        if kind is ScalarNode and implicit[0] and value is not None and value.startswith(_PREFIX):
            self.plain.add(value)
        return super().resolve(kind, value, implicit)


def _slot(node: ScalarNode, plain: set[str], found: list[int]) -> Slot | None:
    """The slot a scalar is (a whole, plain, untagged placeholder), None when it holds none;
    canonical._Off when it holds one otherwise."""
    value = node.value
    if _PREFIX not in value:
        return None
    match = _TOKEN.fullmatch(value)
    plain_word = node.style in (None, "") and value in plain and node.tag == canonical._STR
    if match is None or not plain_word:
        raise canonical._Off
    found.append(int(match[1]))
    return Slot(int(match[1]))


def _data(node: Any, seen: set[int], plain: set[str], found: list[int], keys: list[int]) -> Any:
    """canonical._data with placeholders as slots."""
    if id(node) in seen:
        raise canonical._Off
    seen.add(id(node))
    if type(node) is ScalarNode:
        slot = _slot(node, plain, found)
        if slot is not None:
            return slot
        return canonical._data(node, set())
    if type(node) is SequenceNode and node.tag == canonical._SEQ:
        return [_data(item, seen, plain, found, keys) for item in node.value]
    if type(node) is MappingNode and node.tag == canonical._MAP:
        out: dict = {}
        for key_node, value_node in node.value:
            if type(key_node) is not ScalarNode or key_node.tag != canonical._STR:
                raise canonical._Off
            if id(key_node) in seen:
                raise canonical._Off
            seen.add(id(key_node))
            key = _slot(key_node, plain, found)
            if key is not None:
                keys.append(key.index)
            else:
                key = key_node.value
            out[key] = _data(value_node, seen, plain, found, keys)
        return out
    raise canonical._Off


@dataclass
class Shape:
    """A template's layout: its data with slots, and its canonical text per key values."""

    data: Any
    keys: tuple[int, ...]
    texts: dict[tuple, list | None] = field(default_factory=dict)

    def fill(self, values: list[Any]) -> Any:
        """The data with every slot filled."""
        return _fill(self.data, values)

    def text(self, values: list[Any]) -> str | None:
        """The canonical YAML of the filled data (canonical.dump's text), or None where a value
        leaves its fast path (the caller then writes the filled data whole)."""
        key = tuple(values[i] for i in self.keys)
        if key not in self.texts:
            self.texts[key] = _compile(self.data, values) if len(self.texts) < 64 else None
        parts = self.texts[key]
        if parts is None:
            return None
        out: list[str] = []
        for part in parts:
            if type(part) is str:
                out.append(part)
                continue
            lines: list[str] = []
            try:
                canonical._value(values[part.index], part.start, part.indent, lines, set())
            except canonical._Off:
                return None
            lines.append("")
            out.append("\n".join(lines))
        return "".join(out)


def _fill(data: Any, values: list[Any]) -> Any:
    kind = type(data)
    if kind is Slot:
        return values[data.index]
    if kind is list:
        return [_fill(item, values) for item in data]
    if kind is dict:
        out = {}
        for k, v in data.items():
            out[values[k.index] if type(k) is Slot else k] = _fill(v, values)
        return out
    return data


def _compile(data: Any, values: list[Any]) -> list | None:
    """The canonical text of `data` with its key slots filled from `values`, as literal chunks
    and canonical.Hole markers where the value slots' lines go; None off the fast path."""
    keyed = _keyed(data, values)
    if keyed is None:
        return None
    lines: list = []
    try:
        if type(keyed) is dict:
            canonical._mapping(keyed, 0, None, lines, set())
        else:
            canonical._sequence(keyed, 0, None, lines, set())
    except canonical._Off:
        return None
    parts: list = []
    chunk: list[str] = []
    for line in lines:
        if type(line) is str:
            chunk.append(line + "\n")
            continue
        if chunk:
            parts.append("".join(chunk))
            chunk = []
        parts.append(line)
    if chunk:
        parts.append("".join(chunk))
    return parts


def _keyed(data: Any, values: list[Any]) -> Any:
    """`data` with key slots filled and value slots as canonical.Hole; None when two keys of a
    mapping come out the same (the whole way handles that)."""
    kind = type(data)
    if kind is Slot:
        return canonical.Hole(data.index)
    if kind is list:
        items = [_keyed(item, values) for item in data]
        return None if any(i is None for i in items) else items
    if kind is dict:
        out = {}
        for k, v in data.items():
            filled = _keyed(v, values)
            if filled is None:
                return None
            out[values[k.index] if type(k) is Slot else k] = filled
        return out if len(out) == len(data) else None
    return data


def shape_of(text: str, count: int) -> Shape | None:
    """The shape of a placeholder rendering with `count` placeholders, or None when it is not
    one (invalid YAML included: the real rendering then says why)."""
    loader = _Recorder(text)
    try:
        node = loader.get_single_node()
        if node is None:
            return None
        found: list[int] = []
        keys: list[int] = []
        data = _data(node, set(), loader.plain, found, keys)
    except (canonical._Off, yaml.YAMLError):
        return None
    finally:
        loader.dispose()
    if sorted(found) != list(range(count)) or type(data) not in (dict, list) or not data:
        return None
    return Shape(data, tuple(keys))


_SHAPES: dict[str, Shape | None] = {}


def render(template, context: Mapping[str, Any]) -> tuple[str, Callable[[], Any]] | None:
    """The canonical YAML of `template` rendered with `context`, and a function giving its
    data, from the template's shape; None when the shape does not settle it."""
    slots: list[tuple[Any, str]] = []
    text = template.render(**context, **{SLOTS: slots})
    shape = _SHAPES.get(text, _NO)
    if shape is _NO:
        shape = shape_of(text, len(slots))
        if len(_SHAPES) < _LIMIT:
            _SHAPES[text] = shape
    if shape is None:
        return None
    try:
        values = [read_back(value, literal) for value, literal in slots]
    except yaml.YAMLError:
        return None  # a value YAML cannot read back: the real rendering says so
    for i in shape.keys:
        if type(values[i]) is not str or len(slots[i][1]) > _KEY:
            return None
    written = shape.text(values)
    if written is None:
        data = shape.fill(values)
        return canonical.dump(data), lambda: data
    return written, lambda: shape.fill(values)
