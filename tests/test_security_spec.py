"""The spec's deploy.security section: secure defaults, line-numbered errors, no credentials."""

from __future__ import annotations

import pytest

from planner.spec import SpecError, parse_spec

WORKLOAD = """\
workloads:
  - name: chat
    kind: serving
    model: llama-3.1-8b
    traffic: {requests_per_second: 4, input_tokens: 500, output_tokens: 100}
    slo: {ttft_p95_ms: 2000, tpot_ms: 80}
"""
FAKE_HF = "hf_" + "Zq8RrT4uV1wX2yY3zA5bC6dE7fG8hJ9kL0m"


def test_defaults_are_the_secure_ones():
    security = parse_spec(WORKLOAD).deploy.security
    assert security.network_isolation is None  # on wherever the weights allow
    assert security.allow_provider_managed_keys is False
    assert security.kubernetes.gateway_labels == {"app.kubernetes.io/component": "gateway"}


def test_a_bad_key_arn_is_named_with_its_line():
    text = WORKLOAD + "deploy:\n  security:\n    aws:\n      kms_key_arn: my-key\n"
    with pytest.raises(SpecError) as caught:
        parse_spec(text, "fleet.yaml")
    assert "fleet.yaml:10: deploy.security.aws.kms_key_arn" in str(caught.value)


def test_vpc_per_region_and_private_paths_are_checked():
    text = WORKLOAD + (
        "deploy:\n  security:\n    gcp:\n      network: projects/1/global/networks/n\n"
        "      private_service_connect: [acme-prod]\n"
    )
    with pytest.raises(SpecError, match="either network or private_service_connect"):
        parse_spec(text)
    text = WORKLOAD + (
        "deploy:\n  security:\n    aws:\n      vpc:\n        us-east-1: {subnets: [subnet-1]}\n"
    )
    with pytest.raises(SpecError) as caught:
        parse_spec(text, "f.yaml")
    message = str(caught.value)
    assert "security_groups: required key is missing" in message and "subnets[0]" in message


def test_two_different_roles_are_an_error():
    text = WORKLOAD + (
        "deploy:\n  execution_role_arn: arn:aws:iam::123456789012:role/a\n"
        "  security:\n    aws:\n      execution_role_arn: arn:aws:iam::123456789012:role/b\n"
    )
    with pytest.raises(SpecError, match="different identities"):
        parse_spec(text)


@pytest.mark.parametrize(
    "setting",
    [
        f"extra_args: ['--hf-token', '{FAKE_HF}']",
        "extra_args: ['--api-key', 'sk-live-0000-1111']",
        f"labels: {{team: {FAKE_HF.lower()}}}",
        f"hf_token_secret: {FAKE_HF}",
        "weights: https://user:pa55word@models.example.com/llama",
        "security: {bucket_regions: {AKIAIOSFODNN7EXAMPLE: us-east-1}}",
        "image: registry.example.com/vllm:AKIAIOSFODNN7EXAMPLE",
    ],
)
def test_a_credential_in_the_spec_is_refused_without_echoing_it(setting):
    text = WORKLOAD + f"deploy:\n  {setting}\n"
    with pytest.raises(SpecError) as caught:
        parse_spec(text, "f.yaml")
    message = str(caught.value)
    assert "credentials do not belong in the spec" in message
    for secret in (FAKE_HF, FAKE_HF.lower(), "sk-live-0000-1111", "pa55word", "AKIAIOSFODNN7"):
        assert secret not in message
