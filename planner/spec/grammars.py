"""Field grammars of the ecosystems a spec's values reach: registries, clouds, Kubernetes, the Hub.

A value that reaches a cloud API, a manifest or a shell script must be what that ecosystem
accepts: an image reference with a newline, a project id holding `'; touch x` or a repo id with
quotes is always a mistake, even where the output would quote it safely. Each grammar below
follows the ecosystem's own documentation (named in its docstring); patterns are ASCII-only.
Values may hold the planner's placeholders ({region}, {hf_id}, {model}, {workload}): a
sample value stands in for each before the grammar is checked.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Annotated

from pydantic import AfterValidator, Field

PLACEHOLDERS = {
    "{region}": "us-east-1",
    "{hf_id}": "org/model",
    "{model}": "model",
    "{workload}": "workload",
}


def _filled(value: str) -> str:
    for name, sample in PLACEHOLDERS.items():
        value = value.replace(name, sample)
    return value


# OCI distribution spec / Docker reference grammar (github.com/distribution/reference):
# [domain[:port]/]path[:tag][@algorithm:hex]; path components are lower-case alphanumerics
# joined by '.', '_', '__' or runs of '-'; the whole name is at most 255 characters.
_DOMAIN_COMPONENT = r"(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])"
_DOMAIN = rf"(?:{_DOMAIN_COMPONENT}(?:\.{_DOMAIN_COMPONENT})*|\[[0-9a-fA-F:]+\])(?::[0-9]+)?"
_PATH_COMPONENT = r"[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*"
_NAME = rf"(?:{_DOMAIN}/)?{_PATH_COMPONENT}(?:/{_PATH_COMPONENT})*"
_TAG = r"[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}"
_DIGEST = r"[A-Za-z][A-Za-z0-9]*(?:[-_+.][A-Za-z][A-Za-z0-9]*)*:[0-9a-fA-F]{32,}"
OCI_REFERENCE = re.compile(rf"(?P<name>{_NAME})(?::{_TAG})?(?:@{_DIGEST})?")

# Google Cloud project ids (cloud.google.com/resource-manager/docs/creating-managing-projects):
# 6-30 characters, lower-case letters, digits and hyphens, starting with a letter and not
# ending with a hyphen; legacy domain-scoped ids are `example.com:id`. Project numbers are digits.
GCP_PROJECT_ID = re.compile(r"(?:[a-z0-9][a-z0-9.-]{0,61}[a-z0-9]:)?[a-z][a-z0-9-]{4,28}[a-z0-9]")
GCP_PROJECT = re.compile(rf"(?:{GCP_PROJECT_ID.pattern})|[0-9]{{6,20}}")

# AWS ARNs (docs.aws.amazon.com/IAM/latest/UserGuide/reference-arns.html) in the partitions
# aws, aws-cn, aws-us-gov, aws-iso, aws-iso-b, aws-iso-e, aws-iso-f.
_PARTITION = r"arn:aws(?:-cn|-us-gov|-iso|-iso-[bef])?"
_AWS_REGION = r"(?:\{region\}|[a-z]{2}(?:-[a-z]+)+-[0-9])"
# IAM role: path `/` or `/.../` of printable ASCII, name 1-64 of [A-Za-z0-9+=,.@_-].
ROLE_ARN = re.compile(rf"{_PARTITION}:iam::[0-9]{{12}}:role(?:/[!-~]*)?/[A-Za-z0-9+=,.@_-]{{1,64}}")
# KMS key: key/<uuid> or key/mrk-<32 hex> (multi-Region), or alias/<1-250 of [A-Za-z0-9/_-]>.
_KMS_KEY_ID = r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}|mrk-[0-9a-f]{32}"
KMS_KEY_ARN = re.compile(
    rf"{_PARTITION}:kms:{_AWS_REGION}:[0-9]{{12}}:(?:key/(?:{_KMS_KEY_ID})|alias/[A-Za-z0-9/_-]{{1,250}})"
)

# Cloud KMS key names (cloud.google.com/kms/docs/resource-hierarchy): key ring and key ids are
# 1-63 of [A-Za-z0-9_-]; locations are lower-case regions, multi-regions or `global`.
CLOUD_KMS_KEY = re.compile(
    rf"projects/(?:{GCP_PROJECT.pattern})/locations/(?:\{{region\}}|[a-z][a-z0-9-]{{0,62}})"
    r"/keyRings/[A-Za-z0-9_-]{1,63}/cryptoKeys/[A-Za-z0-9_-]{1,63}"
)

# Hugging Face repo ids (huggingface_hub's validate_repo_id): [namespace/]name, each of
# [A-Za-z0-9_.-], no '--' or '..', not starting or ending with '-' or '.', at most 96 characters.
_HF_PART = r"[A-Za-z0-9_](?:[A-Za-z0-9_.-]*[A-Za-z0-9_])?"
HF_REPO_ID = re.compile(rf"(?:{_HF_PART}/)?{_HF_PART}")

# Kubernetes labels (kubernetes.io/docs/concepts/overview/working-with-objects/labels):
# key = [DNS subdomain prefix (<= 253) '/'] name; name and value are <= 63 characters of
# [A-Za-z0-9-_.] beginning and ending with an alphanumeric; a value may be empty.
_K8S_NAME = r"[A-Za-z0-9](?:[A-Za-z0-9_.-]{0,61}[A-Za-z0-9])?"
_DNS_SUBDOMAIN = r"[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?)*"
K8S_LABEL_KEY = re.compile(rf"(?:(?P<prefix>{_DNS_SUBDOMAIN})/)?{_K8S_NAME}")
K8S_LABEL_VALUE = re.compile(rf"(?:{_K8S_NAME})?")

# Weights locations: hf://<repo id>, s3://<bucket>[/prefix], gs://<bucket>[/prefix]; buckets
# as S3 and GCS name them (3-63 of [a-z0-9.-_], starting and ending alphanumeric).
_BUCKET = r"[a-z0-9][a-z0-9._-]{1,61}[a-z0-9]"
_PREFIX = r"(?:/[A-Za-z0-9!_.*'()=+,@:-]+)*/?"
WEIGHTS_URI = re.compile(rf"hf://{HF_REPO_ID.pattern}|(?:s3|gs)://{_BUCKET}{_PREFIX}")


def _checker(
    pattern: re.Pattern[str], rule: str, *, limit: int = 0, allow_empty: bool = False
) -> Callable[[str], str]:
    def check(value: str) -> str:
        if allow_empty and value == "":
            return value
        filled = _filled(value)
        if (limit and len(filled) > limit) or not pattern.fullmatch(filled):
            raise ValueError(f"{value[:120]!r} is not {rule}")
        return value

    return check


def _hf_repo_id(value: str) -> str:
    if value and ("--" in value or ".." in value):
        raise ValueError(
            f"{value[:120]!r} is not a Hugging Face repo id ('--' and '..' are not allowed)"
        )
    return value


def _plain(value: str) -> str:
    if any(ord(c) < 32 or ord(c) == 127 for c in value):
        raise ValueError(f"{value[:120]!r} holds a control character (a newline, a tab ...)")
    return value


PlainText = Annotated[str, AfterValidator(_plain)]
"""Free text that reaches a command line (a server argument): any printable characters."""


def _image(value: str) -> str:
    filled = _filled(value)
    match = OCI_REFERENCE.fullmatch(filled)
    if match is None or len(match.group("name")) > 255:
        raise ValueError(
            f"{value[:120]!r} is not an OCI image reference "
            "([registry[:port]/]path[:tag][@sha256:digest]; path in lower case, no spaces)"
        )
    return value


def _label_key(value: str) -> str:
    match = K8S_LABEL_KEY.fullmatch(value)
    if match is None or len(match.group("prefix") or "") > 253:
        raise ValueError(
            f"{value[:120]!r} is not a Kubernetes label key ([prefix/]name: name 1-63 of "
            "letters, digits, '-', '_', '.', starting and ending with a letter or digit; "
            "prefix a DNS subdomain)"
        )
    return value


ImageReference = Annotated[str, AfterValidator(_image)]
GcpProjectId = Annotated[
    str,
    AfterValidator(
        _checker(
            GCP_PROJECT_ID,
            "a Google Cloud project id (6-30 lower-case letters, digits and hyphens, starting "
            "with a letter, not ending with a hyphen)",
            allow_empty=True,
        )
    ),
]
GcpProject = Annotated[
    str,
    AfterValidator(_checker(GCP_PROJECT, "a Google Cloud project id or project number")),
]
RoleArn = Annotated[
    str,
    AfterValidator(
        _checker(
            ROLE_ARN,
            "an IAM role ARN (arn:aws:iam::<12-digit account>:role/[path/]<name of 1-64 "
            "letters, digits and +=,.@_->)",
            allow_empty=True,
            limit=2048,
        )
    ),
]
KmsKeyArn = Annotated[
    str,
    AfterValidator(
        _checker(
            KMS_KEY_ARN,
            "a KMS key ARN (arn:aws:kms:<region>:<12-digit account>:key/<key id> or "
            ":alias/<name of letters, digits, '/', '_', '-'>)",
            allow_empty=True,
            limit=2048,
        )
    ),
]
CloudKmsKey = Annotated[
    str,
    AfterValidator(
        _checker(
            CLOUD_KMS_KEY,
            "a Cloud KMS key name (projects/<project>/locations/<location>/keyRings/<ring>/"
            "cryptoKeys/<key>; ring and key 1-63 of letters, digits, '_', '-')",
            allow_empty=True,
        )
    ),
]
HfRepoId = Annotated[
    str,
    AfterValidator(_hf_repo_id),
    AfterValidator(
        _checker(
            HF_REPO_ID,
            "a Hugging Face repo id ([namespace/]name of letters, digits, '_', '.', '-'; "
            "at most 96 characters)",
            allow_empty=True,
            limit=96,
        )
    ),
]
WeightsUri = Annotated[
    str,
    AfterValidator(
        _checker(
            WEIGHTS_URI,
            "a weights location (hf://<repo id>, s3://<bucket>/<prefix> or gs://<bucket>/<prefix>)",
            limit=1024,
        )
    ),
]
K8sLabelKey = Annotated[str, AfterValidator(_label_key)]
K8sLabelValue = Annotated[
    str,
    AfterValidator(
        _checker(
            K8S_LABEL_VALUE,
            "a Kubernetes label value (at most 63 of letters, digits, '-', '_', '.', starting "
            "and ending with a letter or digit; or empty)",
        )
    ),
]


def check_option(value: str | None, grammar: object, option: str) -> str | None:
    """A command-line value checked against a grammar above (None passes), or an InputError
    naming the option and the rule."""
    from pydantic import TypeAdapter, ValidationError

    from planner.errors import InputError

    if value is None:
        return None
    try:
        return TypeAdapter(grammar).validate_python(value)
    except ValidationError as err:
        raise InputError(
            f"{option}: {err.errors()[0]['msg'].removeprefix('Value error, ')}"
        ) from None


# --- identifiers a catalog or a plan carries --------------------------------------------------
# Regions, zones, instance types, accelerators and model names travel from catalogs and plans
# into Kubernetes label values, resource names, Markdown and CSV: each has a grammar checked
# on read, wide enough for every cloud's real names and too narrow for HTML or a newline.

REGION_PATTERN = r"^[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?$"
"""A region or zone: letters, digits and '-' (us-east-1, europe-west4-a, eastus), 1-63."""
IDENTIFIER_PATTERN = r"^[A-Za-z0-9](?:[A-Za-z0-9._+-]{0,126}[A-Za-z0-9])?$"
"""An instance type or accelerator: letters, digits, '.', '_', '+' and '-' (ml.g5.2xlarge,
Standard_ND96isr_H100_v5, A100-80GB), 1-128, starting and ending with a letter or digit."""
MODEL_PATTERN = r"^[A-Za-z0-9](?:[A-Za-z0-9._/:+-]{0,254}[A-Za-z0-9])?$"
"""A model name or Hugging Face id: also '/' and ':' (meta-llama/Llama-3.1-8B-Instruct)."""
_IDENTIFIERS = {
    "region": (re.compile(REGION_PATTERN), "letters, digits and '-', 1-63 characters"),
    "identifier": (
        re.compile(IDENTIFIER_PATTERN),
        "letters, digits, '.', '_', '+' and '-', 1-128 characters",
    ),
    "model": (re.compile(MODEL_PATTERN), "letters, digits, '.', '_', '/', ':', '+' and '-'"),
}


def identifier_problem(value: str, kind: str) -> str | None:
    """Why `value` is not a `kind` identifier (region, identifier, model), or None."""
    pattern, rule = _IDENTIFIERS[kind]
    if pattern.fullmatch(value):
        return None
    shown = value if len(value) <= 40 else value[:37] + "..."
    return f"{shown!r} is not a valid name ({rule})"


RegionName = Annotated[str, Field(pattern=REGION_PATTERN)]
ZoneName = Annotated[str, Field(pattern=REGION_PATTERN.replace("^", "^(?:", 1)[:-1] + ")?$")]
Identifier = Annotated[str, Field(pattern=IDENTIFIER_PATTERN)]
ModelName = Annotated[str, Field(pattern=MODEL_PATTERN)]
