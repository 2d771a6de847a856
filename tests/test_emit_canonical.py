"""Emitted YAML is PyYAML's canonical text, byte for byte, whichever way it is made: the fast
writer and reader of planner.emit.canonical against PyYAML's own dump and safe load."""

from __future__ import annotations

import json

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from planner.emit import canonical

TRICKY = [
    "", " ", "null", "Null", "~", "true", "yes", "off", "on", "1", "-1", "1.0", "1e3", "0x1F",
    "0o17", "1_000", "12:30", "2026-12-07", ".inf", "-.nan", "- a", "a: b", "a:b", "#x", "x #y",
    "? k", "&anchor", "*alias", "!tag", "%x", "@x", "`x", "'q'", '"q"', "{a: 1}", "[1]", "a, b",
    "line\nline", "line\nline\n", "a\n\n", "\n", "\n\nx", " lead\nx", "x \ny", "trail ",
    "\tx", "x\ty", "é", "日本", "\x85", "\u2028", "a\x00b", "--model", "${HOME}", "$(id)", "<<",
    "k" * 200, "word " * 40,
]  # fmt: skip

text = st.one_of(st.sampled_from(TRICKY), st.text(max_size=30))
scalars = st.one_of(
    text,
    st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(allow_nan=False),
    st.booleans(),
    st.none(),
)
data = st.recursive(
    scalars,
    lambda inner: st.one_of(st.lists(inner, max_size=4), st.dictionaries(text, inner, max_size=4)),
    max_leaves=25,
)
documents = st.one_of(st.dictionaries(text, data, max_size=6), st.lists(data, max_size=6))


@settings(max_examples=400, deadline=None)
@given(documents)
def test_emitted_yaml_is_pyyamls_canonical_text(value):
    assert canonical.dump(value) == canonical.reference_dump(value)


def _read(load, text):
    """What `load` makes of `text`: its data, or the kind of YAML error it raises."""
    try:
        return load(text)
    except yaml.YAMLError as err:
        return type(err)


@settings(max_examples=300, deadline=None)
@given(documents)
def test_emitted_yaml_reads_back_as_pyyaml_reads_it(value):
    for written in (canonical.reference_dump(value), json.dumps(value)):
        assert _read(canonical.load, written) == _read(canonical.reference_load, written)


@pytest.mark.parametrize(
    "document",
    [
        "base: &b {x: 1}\nthis:\n  <<: *b\n  y: 2\n",  # merge key
        "a: &l [1, 2]\nb: *l\n",  # alias: one shared list
        "1: one\n2.5: two\n",  # non-string keys
        "when: 2026-12-07\n",  # timestamp
        "k: !!binary aGVsbG8=\n",
        "k: !!set {a, b}\n",
        "k: 0x1F\nm: 0o17\nn: 1_000\nf: 1e3\ng: .inf\nb: yes\nz: ~\n",
        "a: 1\na: 2\n",  # a repeated key: the last wins
        "",
        "just a scalar\n",
    ],
)
def test_documents_off_the_common_path_read_as_pyyaml_reads_them(document):
    assert _read(canonical.load, document) == _read(canonical.reference_load, document)


@pytest.mark.parametrize(
    "document", ["k: [1, 2\n", "k: v\n bad: indent\n", "a: 1\n---\nb: 2\n", "k: !custom x\n"]
)
def test_invalid_documents_raise_yaml_errors(document):
    with pytest.raises(yaml.YAMLError):
        canonical.load(document)


def test_shared_objects_are_written_as_pyyaml_writes_them():
    shared = {"x": [1, 2]}
    value = {"a": shared, "b": shared, "c": [shared, shared]}
    assert canonical.dump(value) == canonical.reference_dump(value)


def test_other_types_are_written_as_pyyaml_writes_them():
    value = {"k": (1, 2), "s": "x"}
    assert canonical.dump(value) == canonical.reference_dump(value)
    with pytest.raises(yaml.representer.RepresenterError):
        canonical.dump({"k": object()})


def test_zero_and_negative_zero_keep_their_signs_in_one_document():
    # the scalar text cache once took -0.0 for 0.0 (equal keys): the file depended on order
    for value in ({"a": 0.0, "b": -0.0}, {"a": -0.0, "b": 0.0}):
        assert canonical.dump(value) == canonical.reference_dump(value)
