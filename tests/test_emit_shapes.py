"""Emitting from a template's shape gives the file and data that parsing the real rendering
back gives, for any values (planner.emit.shapes); templates whose `q` output could be changed
before it is written are not emitted from shapes."""

from __future__ import annotations

import math

import jinja2
import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from planner.emit import canonical, shapes
from planner.emit.render import environment

TEMPLATE = """\
kind: Thing
metadata:
  name: {{ name | q }}
  labels: {{ labels | q }}
spec:
  replicas: {{ count | q }}
  twice: {{ count | q | q }}
  flow: {a: {{ first | q }}, b: [{{ second | q }}, 3]}
  items:
{% for item in items %}
    - {{ item | q }}
{% endfor %}
  keyed:
    {{ key | q }}: {{ value | q }}
{% filter indent(2, first=True) %}
nested:
  deep: {{ deep | q }}
{% endfilter %}
"""

scalars = st.one_of(
    st.text(max_size=12),
    st.sampled_from(
        ["1e+20", "null", "yes", "~", "0x1F", "1:20", "- a", "a: b", "#x", "\U0001f600"]
    ),
    st.integers(min_value=-(10**20), max_value=10**20),
    st.floats(allow_nan=False),
    st.booleans(),
    st.none(),
)
values = st.recursive(
    scalars,
    lambda inner: st.one_of(
        st.lists(inner, max_size=3), st.dictionaries(st.text(max_size=6), inner, max_size=3)
    ),
    max_leaves=6,
)


def _reference(context: dict) -> tuple[str, object] | None:
    """The file and data of the real rendering parsed back (None when it is not valid YAML)."""
    raw = environment().from_string(TEMPLATE).render(**context)
    try:
        data = canonical.load(raw)
    except yaml.YAMLError:
        return None
    return canonical.dump(data), data


def _same(a, b) -> bool:
    if isinstance(a, float) and isinstance(b, float):
        return a == b or (math.isnan(a) and math.isnan(b))
    if isinstance(a, dict) and isinstance(b, dict):
        return list(a) == list(b) and all(_same(a[k], b[k]) for k in a)
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(_same(x, y) for x, y in zip(a, b, strict=True))
    return type(a) is type(b) and a == b


@settings(max_examples=300, deadline=None)
@given(
    name=values,
    labels=values,
    count=values,
    first=values,
    second=values,
    items=st.lists(values, max_size=3),
    key=st.one_of(st.text(max_size=8), st.integers(), st.none()),
    value=values,
    deep=values,
)
def test_a_file_from_its_shape_is_the_real_rendering_parsed_back(**context):
    template = environment().from_string(TEMPLATE)
    found = shapes.render(template, context)
    expected = _reference(context)
    if found is None:
        return  # emitted the whole way: the real rendering itself
    assert expected is not None, "a shape accepted values whose real rendering is not YAML"
    text, data = found
    assert text == expected[0]
    assert _same(data(), expected[1])


def test_a_shape_is_parsed_once_for_many_renderings():
    template = environment().from_string(TEMPLATE + "once: true\n")
    context = {"labels": {}, "count": 1, "first": 1, "second": 2, "items": [1],
               "key": "k", "value": "v", "deep": None}  # fmt: skip
    before = len(shapes._SHAPES)
    for i in range(20):
        assert shapes.render(template, {**context, "name": f"svc-{i}"}) is not None
    assert len(shapes._SHAPES) == before + 1


@pytest.mark.parametrize(
    "source",
    [
        "a: {{ x | q | upper }}\n",
        "{% set y = x | q %}a: {{ y }}\n",
        "{% filter upper %}a: {{ x | q }}{% endfilter %}\n",
        "{% macro m() %}{{ x | q }}{% endmacro %}a: {{ m() }}\n",
        "{% autoescape true %}a: {{ x | q }}{% endautoescape %}\n",
        '{% include "unsafe" %}\n',
    ],
)
def test_a_template_that_could_change_what_q_writes_is_not_emitted_from_its_shape(source):
    env = jinja2.Environment(
        loader=jinja2.DictLoader({"t": source, "unsafe": "a: {{ x | q | lower }}\n"})
    )
    env.filters["q"] = lambda v: v
    assert not shapes.safe(env, "t")


def test_the_bundled_templates_are_emitted_from_their_shapes():
    env = environment()
    names = [n for n in env.list_templates() if n.endswith(".yaml.j2") and "/_" not in n]
    assert names and all(shapes.safe(env, n) for n in names)
