"""The quotas file: reading with line-numbered errors, writing, and merging into a spec."""

from __future__ import annotations

import pytest

from planner.errors import InputError
from planner.quotas import QuotasError, load_quotas, merge_quotas, parse_quotas, write_quotas
from planner.spec.load import parse_spec
from planner.spec.models import Quota

GOOD = """\
# refreshed 2026-11-25
quotas:
  - {provider: aws, region: us-east-1, accelerator: A10G, pricing: on_demand, max_accelerators: 16}
  - provider: gcp
    region: us-central1
    accelerator: NVIDIA_L4
    pricing: spot
    max_accelerators: 8
  - {provider: azure, region: eastus, accelerator: H100, max_accelerators: 0}
"""

SPEC = """\
workloads:
  - name: chat
    kind: serving
    model: llama-3.1-8b
    traffic: {requests_per_second: 5, input_tokens: 500, output_tokens: 100}
constraints:
  quotas:
    - {provider: aws, region: us-east-1, accelerator: A10G, max_accelerators: 64}
    - {provider: gcp, region: us-central1, accelerator: L4, pricing: on_demand, max_accelerators: 4}
"""


def test_a_good_file_reads_into_the_specs_quota_shape():
    quotas = parse_quotas(GOOD, "q.yaml")
    assert quotas[0] == Quota(provider="aws", region="us-east-1", accelerator="A10G",
                              pricing="on_demand", max_accelerators=16)  # fmt: skip
    assert quotas[1].accelerator == "NVIDIA_L4" and quotas[1].pricing == "spot"
    assert quotas[2].pricing is None and quotas[2].max_accelerators == 0


def test_errors_name_the_line_and_field():
    text = GOOD.replace("max_accelerators: 8", "max_accelerators: -1").replace(
        "region: us-central1", "regin: us-central1"
    )
    text += "  - {provider: ibm, region: x, accelerator: H100, max_accelerators: 1}\n"
    text += "extra: 1\n"
    with pytest.raises(QuotasError) as err:
        parse_quotas(text, "q.yaml")
    message = str(err.value)
    assert message.startswith("Invalid quotas file q.yaml (")
    for expected in (
        "q.yaml:5: quotas[1].regin: unknown key 'regin' (did you mean 'region'?)",
        "q.yaml:4: quotas[1].region: required key is missing",
        "q.yaml:8: quotas[1].max_accelerators: input should be greater than or equal to 0",
        "q.yaml:10: quotas[3].provider: 'ibm' is not a known cloud; use one of aws, azure,",
        "q.yaml:11: extra: unknown key 'extra'; allowed keys here: quotas",
    ):
        assert expected in message, message
    assert err.value.exit_code == 2


def test_unknown_accelerators_and_repeated_pools_name_the_line():
    text = GOOD + "  - {provider: aws, region: x, accelerator: TPU-v9, max_accelerators: 1}\n"
    text += (
        "  - {provider: aws, region: us-east-1, accelerator: a10g, pricing: on_demand,"
        " max_accelerators: 2}\n"
    )
    with pytest.raises(QuotasError) as err:
        parse_quotas(text, "q.yaml")
    message = str(err.value)
    assert "q.yaml:10: quotas[3].accelerator: unknown accelerator 'TPU-v9'; known: T4," in message
    assert "q.yaml:11: quotas[4]: the same pool as quotas[0]" in message


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("quotas: [\n", "q.yaml:2: not valid YAML"),
        ("- 1\n", "must be a mapping with a `quotas:` list"),
        ("quotas:\n  - 3\n", "q.yaml:2: quotas[0]: input should be a valid dictionary"),
    ],
)
def test_malformed_files_are_input_errors(text, expected):
    with pytest.raises(QuotasError, match=expected.replace("[", r"\[").replace("`", "`")):
        parse_quotas(text, "q.yaml")


def test_written_files_read_back_and_are_not_overwritten(tmp_path):
    quotas = parse_quotas(GOOD)
    path = tmp_path / "q.yaml"
    write_quotas(path, quotas, ["from a test", "second line"])
    text = path.read_text()
    assert text.startswith("# from a test\n# second line\nquotas:\n  - {provider: aws,")
    assert set(load_quotas(path)) == set(quotas)
    with pytest.raises(InputError, match="already exists"):
        write_quotas(path, quotas)
    write_quotas(path, (), force=True)
    assert load_quotas(path) == ()
    with pytest.raises(InputError, match="Cannot read quotas file"):
        load_quotas(tmp_path / "missing.yaml")


def test_merge_adds_file_quotas_and_the_spec_wins_on_conflicts():
    spec = parse_spec(SPEC)
    file_quotas = (
        Quota(provider="aws", region="us-east-1", accelerator="A10G", pricing="spot",
              max_accelerators=4),  # covered by the spec's quota for both pricings
        Quota(provider="gcp", region="us-central1", accelerator="NVIDIA_L4", pricing="on_demand",
              max_accelerators=16),  # same pool as the spec's (alias): the spec's 4 wins
        Quota(provider="gcp", region="us-central1", accelerator="L4", pricing="spot",
              max_accelerators=8),  # added
        Quota(provider="aws", region="us-west-2", accelerator="H100", pricing="on_demand",
              max_accelerators=0),  # added
    )  # fmt: skip
    merged = merge_quotas(spec, file_quotas)
    assert merged.constraints.quotas == spec.constraints.quotas + file_quotas[2:]
    assert merged.workloads == spec.workloads
    assert spec.constraints.quotas == parse_spec(SPEC).constraints.quotas  # unchanged
