"""checkov, offline, over every Kubernetes manifest, RayService and CloudFormation template the
examples emit (planned with planner.solve.solve, written by `planner emit --target all`), plus
SageMaker stacks that create their own KMS key and execution role.

checkov runs once per session. No check may fail except those listed, with their reasons, in
docs/secure-by-default.md ("checkov"); a listed check that fails nowhere is stale and fails too.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from tests.conftest import PLAN_DATE

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = sorted((ROOT / "examples").glob("*.yaml"))
SECTION = ROOT / "docs" / "secure-by-default.md"
SAGEMAKER_PLAN = ROOT / "tests" / "golden" / "plans" / "sagemaker-endpoint.json"
IAM_CHECKS = {"CKV_AWS_60", "CKV_AWS_61", "CKV_AWS_62", "CKV_AWS_63", "CKV_AWS_107"}
IAM_CHECKS |= {"CKV_AWS_108", "CKV_AWS_109", "CKV_AWS_110", "CKV_AWS_111"}
FLAGS = ("--skip-download", "--compact", "-o", "json")  # offline: no vendor API calls


def documented_skips() -> dict[str, str]:
    """Check id -> reason, from the accepted-checks table in docs/secure-by-default.md."""
    rows = re.findall(
        r"^\| (CKV2?_[A-Z0-9]+_\d+) \| [^|]+ \| ([^|]+) \|$", SECTION.read_text(), re.M
    )
    return {check: reason.strip() for check, reason in rows}


def checkov_command() -> list[str] | None:
    """checkov from its own environment (`make test` builds .venv-checkov: it pins old boto3 and
    packaging releases), else beside this Python or on PATH; None when absent."""
    own = ROOT / ".venv-checkov" / "bin" / "checkov"
    beside = Path(sys.executable).with_name("checkov")
    found = next((str(p) for p in (own, beside) if p.exists()), None) or shutil.which("checkov")
    return [found] if found else None


def secure_sagemaker_plans():
    """SageMaker plans the examples do not cover: the stack makes its role (S3 weights, VPC,
    an alias key), and an EBS-backed endpoint whose stack makes its key too."""
    from planner.plans.identity import plan_id
    from planner.plans.io import load_plan

    base = load_plan(SAGEMAKER_PLAN)
    vpc = {
        region: {"subnets": [subnet], "security_groups": [group]}
        for region, subnet, group in (
            ("us-east-1", "subnet-0123456789abcdef0", "sg-0a1b2c3d4e5f60718"),
            ("us-west-2", "subnet-0fedcba987654321f", "sg-0f1e2d3c4b5a69788"),
        )
    }
    secure = {
        **base.deploy.model_dump(mode="json"),
        "execution_role_arn": "",
        "weights": "s3://acme-models/llama-3.1-8b/",
        "security": {
            "aws": {"kms_key_arn": "arn:aws:kms:{region}:123456789012:alias/llm", "vpc": vpc},
            "bucket_regions": {"acme-models": "us-east-1"},
        },
    }
    ebs = [a.model_copy(update={"instance_type": "ml.p3.2xlarge"}) for a in base.allocations]
    ebs_id = plan_id(base.spec_sha256, base.plan_date, ebs)  # another fleet: its own id
    return {
        "sagemaker-own-role": base.model_copy(update={"deploy": secure}),
        "sagemaker-own-key": base.model_copy(
            update={
                "deploy": {**base.deploy.model_dump(mode="json"), "execution_role_arn": ""},
                "allocations": ebs,
                "plan_id": ebs_id,
            }
        ),
    }


def engine_plans():
    """The saved plans as if sized for SGLang and TensorRT-LLM (other images, commands, no HPA)."""
    from tests.engine_variants import NAMES, VARIANTS, variant_plan

    return {name: variant_plan(*pair) for name, pair in zip(NAMES, VARIANTS, strict=True)}


def _emit(plan_file: Path, out: Path) -> None:
    from planner.cli.app import run

    try:
        run(["emit", str(plan_file), "--target", "all", "-o", str(out)])
    except SystemExit as stop:
        assert not stop.code, f"planner emit {plan_file.name} exited {stop.code}"


@pytest.fixture(scope="session")
def scan(tmp_path_factory) -> dict:
    """Emit everything, gather the scannable files, run checkov once; its JSON by check type."""
    from planner.solve import solve
    from planner.spec import load_spec

    command = checkov_command()
    if command is None:
        pytest.skip("checkov is not installed (make test builds .venv-checkov with it)")
    work = tmp_path_factory.mktemp("checkov")
    plans = {}
    for spec in EXAMPLES:
        if "workloads" in (yaml.safe_load(spec.read_text()) or {}):
            plans[spec.stem] = solve(load_spec(spec), as_of=PLAN_DATE)
    plans.update(secure_sagemaker_plans())
    plans.update(engine_plans())
    target = work / "scan"
    for name, plan in plans.items():
        plan_file = work / f"{name}.json"
        plan_file.write_text(plan.model_dump_json())
        _emit(plan_file, work / "out" / name)
        for path in sorted((work / "out" / name).rglob("*.yaml")):
            if path.parent.name == "kubernetes" or path.stem.endswith(
                ("-rayservice", "-cloudformation")
            ):
                copy = target / name / f"{path.parent.name}-{path.name}"
                copy.parent.mkdir(parents=True, exist_ok=True)
                shutil.copy(path, copy)
    result = subprocess.run(
        [*command, "-d", str(target), "--framework", "kubernetes", "cloudformation", *FLAGS],
        capture_output=True,
        text=True,
        timeout=300,
        cwd=work,
    )
    assert result.returncode in (0, 1), result.stderr[-2000:]
    reports = json.loads(result.stdout)
    reports = reports if isinstance(reports, list) else [reports]
    return {r["check_type"]: r for r in reports}


def _failed(scan: dict) -> list[dict]:
    return [f for r in scan.values() for f in r["results"]["failed_checks"]]


def test_no_check_fails_except_the_documented_ones(scan):
    allowed = documented_skips()
    unexpected = sorted(
        f"{f['check_id']} {f['check_name']}: {f['resource']} in {f['file_path']}"
        for f in _failed(scan)
        if f["check_id"] not in allowed
    )
    assert unexpected == []


def test_every_documented_skip_has_a_reason_and_still_applies(scan):
    allowed = documented_skips()
    assert allowed, "the docs section lists no checks"
    assert all(len(reason) > 40 for reason in allowed.values())
    failing = {f["check_id"] for f in _failed(scan)}
    assert sorted(set(allowed) - failing) == [], "listed checks that fail nowhere: remove them"


def test_the_scan_covered_kubernetes_and_the_stacks_key_and_role(scan):
    assert set(scan) == {"kubernetes", "cloudformation"}
    assert scan["kubernetes"]["summary"]["resource_count"] > 50
    assert scan["kubernetes"]["summary"]["parsing_errors"] == 0
    passed = {p["check_id"] for p in scan["cloudformation"]["results"]["passed_checks"]}
    assert {"CKV_AWS_7", "CKV_AWS_33"} <= passed  # KMS rotation, no wildcard principal
    assert passed >= IAM_CHECKS  # the created execution role
    passed_k8s = {p["check_id"] for p in scan["kubernetes"]["results"]["passed_checks"]}
    assert {"CKV2_K8S_6", "CKV_K8S_40", "CKV_K8S_22", "CKV_K8S_28", "CKV_K8S_38"} <= passed_k8s


def test_the_isolation_skip_applies_only_to_models_with_internet_weights(scan):
    stacks = [f for f in _failed(scan) if f["check_id"] == "CKV_AWS_370"]
    assert stacks and all("sagemaker-own-role" not in f["file_path"] for f in stacks)
