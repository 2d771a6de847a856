"""The spec file: examples validate, mistakes are rejected with file, line, field and a hint."""

from __future__ import annotations

import json
import textwrap

import jsonschema
import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from planner.spec import SpecError, load_spec, parse_spec, spec_json_schema
from planner.spec.models import ServingWorkload
from tests.conftest import EXAMPLES, ROOT

SERVING = """\
workloads:
  - name: chat
    kind: serving
    model: llama-3.1-8b
    traffic:
      requests_per_second: 5
      input_tokens: 500
      output_tokens: 100
"""


def problems_of(text: str) -> str:
    with pytest.raises(SpecError) as caught:
        parse_spec(textwrap.dedent(text), "fleet.yaml")
    return str(caught.value)


def test_examples_cover_every_workload_kind():
    kinds = {w.kind for path in EXAMPLES for w in load_spec(path).workloads}
    assert kinds == {"serving", "batch", "training"}


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.name)
def test_every_example_is_valid_and_matches_the_json_schema(path):
    spec = load_spec(path)
    assert spec.workloads
    jsonschema.validate(yaml.safe_load(path.read_text()), spec_json_schema())


def test_json_schema_rejects_an_unknown_key():
    data = yaml.safe_load(SERVING)
    data["workloads"][0]["trafic"] = {}
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(data, spec_json_schema())


def test_minimal_serving_spec_gets_documented_defaults():
    spec = parse_spec(SERVING)
    chat = spec.workloads[0]
    assert isinstance(chat, ServingWorkload)
    assert chat.min_replicas == 1 and chat.max_replicas is None
    assert chat.weights_dtype == "bf16"
    assert chat.placement.min_regions == 1 and chat.placement.spot is None
    assert spec.constraints.objective == "cost"
    (bucket,) = chat.traffic.request_buckets()
    assert (bucket.input_tokens, bucket.output_tokens, bucket.fraction) == (500, 100, 1)


def test_a_typo_in_a_key_names_the_line_and_suggests_the_key():
    message = problems_of(SERVING.replace("    traffic:", "    trafic:"))
    assert "fleet.yaml:5: workloads[0].trafic: unknown key 'trafic'" in message
    assert "did you mean 'traffic'?" in message
    assert "fleet.yaml:2: workloads[0].traffic: required key is missing" in message


def test_a_typo_in_a_nested_key_lists_the_allowed_keys():
    message = problems_of(SERVING.replace("input_tokens: 500", "input_tokns: 500"))
    assert "fleet.yaml:7: workloads[0].traffic.input_tokns: unknown key" in message
    assert "allowed keys here: buckets, hourly_profile, input_tokens" in message


def test_a_negative_rate_names_line_field_and_value():
    message = problems_of(SERVING.replace("requests_per_second: 5", "requests_per_second: -5"))
    assert "fleet.yaml:6: workloads[0].traffic.requests_per_second:" in message
    assert "greater than 0" in message and "-5" in message


def test_an_unknown_model_names_the_line_and_the_bundled_models():
    message = problems_of(SERVING.replace("llama-3.1-8b", "llama-9000"))
    assert "fleet.yaml:4: workloads[0].model: unknown model 'llama-9000'" in message
    assert "llama-3.1-70b" in message and "models:" in message


def test_a_model_defined_in_the_file_can_be_used():
    text = SERVING.replace("llama-3.1-8b", "my-model") + textwrap.dedent("""\
        models:
          - {name: my-model, params_b: 3, layers: 24, hidden_size: 2048,
             attention_heads: 16, kv_heads: 4}
        """)
    spec = parse_spec(text)
    (llm,) = spec.user_llms()
    assert llm.head_dim == 128 and llm.active_params_b == 3


def test_an_unknown_workload_kind_points_at_the_kind_key():
    message = problems_of(SERVING.replace("kind: serving", "kind: servng"))
    assert "fleet.yaml:3: workloads[0].kind: kind 'servng' is not allowed" in message
    assert "serving, batch, training" in message


def test_duplicate_workload_names_are_rejected():
    second = SERVING.split("workloads:\n")[1]
    message = problems_of(SERVING + second)
    assert "workloads[1].name: workload name 'chat' is used twice" in message


def test_a_key_given_twice_is_rejected_not_silently_overwritten():
    message = problems_of(SERVING + "      requests_per_second: 50\n")
    assert "fleet.yaml:9: workloads[0].traffic.requests_per_second: key appears twice" in message


def test_yaml_syntax_errors_name_the_line():
    message = problems_of("workloads:\n  - name: [unclosed\n")
    assert "fleet.yaml:3: not valid YAML" in message


def test_a_file_that_is_not_a_mapping_is_rejected():
    assert "must be a mapping" in problems_of("- just\n- a list\n")


def test_bucket_fractions_must_sum_to_one():
    text = SERVING.replace(
        "      input_tokens: 500\n      output_tokens: 100\n",
        "      buckets:\n"
        "        - {input_tokens: 100, output_tokens: 50, fraction: 0.5}\n"
        "        - {input_tokens: 900, output_tokens: 50, fraction: 0.4}\n",
    )
    assert "bucket fractions must sum to 1 (they sum to 0.9)" in problems_of(text)


def test_averages_and_buckets_together_are_rejected():
    text = SERVING.replace(
        "      output_tokens: 100\n",
        "      output_tokens: 100\n"
        "      buckets: [{input_tokens: 100, output_tokens: 50, fraction: 1}]\n",
    )
    assert "not both" in problems_of(text)


def test_hourly_profile_needs_24_values():
    text = SERVING + "      hourly_profile: [1, 0.5]\n"
    assert "workloads[0].traffic.hourly_profile" in problems_of(text)


def test_min_replicas_above_max_is_rejected():
    text = SERVING + "    min_replicas: 5\n    max_replicas: 2\n"
    assert "min_replicas (5) is above max_replicas (2)" in problems_of(text)


def test_workload_names_must_be_dns_labels():
    message = problems_of(SERVING.replace("name: chat", "name: Chat_Bot"))
    assert "workloads[0].name: name 'Chat_Bot' is not allowed" in message


def test_training_needs_model_and_tokens_or_gpu_hours_and_reference():
    base = "workloads:\n  - name: ft\n    kind: training\n"
    assert parse_spec(base + "    model: llama-3.1-8b\n    tokens: 1.0e9\n")
    assert parse_spec(base + "    gpu_hours: 100\n    reference_accelerator: A100-80GB\n")
    assert "gpu_hours and reference_accelerator go together" in problems_of(
        base + "    gpu_hours: 100\n"
    )
    assert "unknown accelerator 'Z9'" in problems_of(
        base + "    gpu_hours: 100\n    reference_accelerator: Z9\n"
    )


def test_batch_volume_needs_exactly_one_amount():
    base = (
        "workloads:\n  - name: b\n    kind: batch\n    model: mistral-7b\n"
        "    deadline_hours: 4\n    volume: {input_tokens: 100, output_tokens: 10"
    )
    spec = parse_spec(base + ", total_tokens: 1100000}\n")
    assert spec.workloads[0].volume.request_count == pytest.approx(10_000)
    assert "exactly one of requests or total_tokens" in problems_of(base + "}\n")


def test_quota_accelerators_must_be_known():
    text = SERVING + (
        "constraints:\n  quotas:\n"
        "    - {provider: aws, region: us-east-1, accelerator: H1000, max_accelerators: 4}\n"
    )
    assert "constraints.quotas[0].accelerator: unknown accelerator 'H1000'" in problems_of(text)


def test_schema_is_json_serialisable_and_describes_workload_kinds():
    schema = spec_json_schema()
    text = json.dumps(schema)
    assert "serving" in text and "training" in text and "batch" in text
    assert schema["additionalProperties"] is False


_values = st.recursive(
    st.none() | st.booleans() | st.integers(-5, 5) | st.floats(-1, 10) | st.text(max_size=8),
    lambda inner: (
        st.lists(inner, max_size=3)
        | st.dictionaries(
            st.sampled_from(
                ["name", "kind", "model", "traffic", "requests_per_second", "serving", "x", "slo"]
            ),
            inner,
            max_size=4,
        )
    ),
    max_leaves=12,
)


@settings(max_examples=150, deadline=None)
@given(workload=_values)
def test_any_input_either_validates_or_raises_a_spec_error(workload):
    """No input may crash the loader with anything but a SpecError (never a traceback)."""
    text = yaml.safe_dump({"workloads": [workload]})
    try:
        parse_spec(text, "fuzz.yaml")
    except SpecError as err:
        assert str(err).startswith("Invalid spec fuzz.yaml")


def _node_lines(node, out):
    import yaml

    out.append((type(node).__name__, node.tag, node.start_mark.line, node.start_mark.column))
    if isinstance(node, yaml.MappingNode):
        for key, value in node.value:
            _node_lines(key, out)
            _node_lines(value, out)
    elif isinstance(node, yaml.SequenceNode):
        for item in node.value:
            _node_lines(item, out)
    return out


@pytest.mark.parametrize("path", sorted((ROOT / "examples").rglob("*.yaml")), ids=lambda p: p.name)
def test_reading_with_libyaml_gives_the_lines_and_values_of_pure_python(path):
    from planner.spec import load

    if load._FAST_LOADER is None:
        pytest.skip("PyYAML was built without libyaml here")
    text = path.read_text()
    fast = load._FAST_LOADER(text)
    slow = load._BoundedLoader(text)
    fast_root, slow_root = fast.get_single_node(), slow.get_single_node()
    assert _node_lines(fast_root, []) == _node_lines(slow_root, [])
    assert fast.construct_document(fast_root) == slow.construct_document(slow_root)
