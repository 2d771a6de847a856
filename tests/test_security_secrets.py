"""No credential is ever printed or written: recognisable fake secrets go in through the
environment (AWS, Hugging Face, Google), through the spec, and through a failing launch whose
error quotes them; every stdout, stderr and file written is searched for them."""

from __future__ import annotations

import json
import subprocess
import sys
import urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SPEC = ROOT / "examples" / "sagemaker-endpoint.yaml"
SECRETS = {
    "AWS_ACCESS_KEY_ID": "AKIA" + "Q7ZX3CANARY0AWS9",
    "AWS_SECRET_ACCESS_KEY": "Cn4ry" + "SecretAccessKeyValue0123456789abcdEFGH",
    "AWS_SESSION_TOKEN": "IQoJb3JpZ2luX2VjECANARYsessiontoken000111222",
    "HF_TOKEN": "hf_" + "CanaryTokenAbcdefghijklmnopqrstuv",
    "GOOGLE_API_KEY": "AIza" + "SyCanaryKey0123456789abcdefghijklmno",
}
PRIVATE_KEY = (
    "-----BEGIN PRIVATE KEY-----\nMIIcanaryPRIVATEkeyMATERIAL\n-----END PRIVATE KEY-----\n"
)


def leaks(*texts: str, folder: Path | None = None) -> list[str]:
    """Every fake secret (or piece of the private key) found in `texts` or under `folder`."""
    found = list(texts)
    if folder is not None:
        found += [p.read_text(errors="replace") for p in folder.rglob("*") if p.is_file()]
    needles = [*SECRETS.values(), "MIIcanaryPRIVATEkeyMATERIAL"]
    return sorted({n for n in needles for t in found if n in t})


@pytest.fixture
def env(tmp_path) -> dict[str, str]:
    credentials = tmp_path / "gcp.json"
    credentials.write_text(
        json.dumps(
            {
                "type": "service_account",
                "client_email": "canary@p.iam.gserviceaccount.com",
                "private_key": PRIVATE_KEY,
                "token_uri": "http://127.0.0.1:9/token",
            }
        )
    )
    return {
        "PATH": "/usr/bin:/bin",
        "HOME": str(tmp_path),
        "AWS_CONFIG_FILE": str(tmp_path / "none"),
        "AWS_SHARED_CREDENTIALS_FILE": str(tmp_path / "none"),
        "AWS_DEFAULT_REGION": "us-east-1",
        "GOOGLE_APPLICATION_CREDENTIALS": str(credentials),
        **SECRETS,
    }


def planner(env: dict, cwd: Path, *args) -> subprocess.CompletedProcess:
    command = [sys.executable, "-c", "from planner.cli import main; main()", *map(str, args)]
    return subprocess.run(command, capture_output=True, text=True, env=env, timeout=180, cwd=cwd)


@pytest.fixture
def moto_server(env, monkeypatch):
    """moto's server on 127.0.0.1, whose CreateEndpoint fails quoting the caller's credentials."""
    from moto.sagemaker.exceptions import ValidationError
    from moto.sagemaker.models import FakeEndpointConfig, SageMakerModelBackend
    from moto.server import ThreadedMotoServer

    for key, value in env.items():
        monkeypatch.setenv(key, value)
    # moto 5.2.5 checks InstanceType against an old list without ml.g5/g6e (see NOTES).
    monkeypatch.setattr(FakeEndpointConfig, "validate_instance_type", lambda self, t: None)

    def quoting(self, *args, **kwargs):
        raise ValidationError(
            message=f"security token {SECRETS['AWS_SESSION_TOKEN']} for "
            f"{SECRETS['AWS_ACCESS_KEY_ID']}:{SECRETS['AWS_SECRET_ACCESS_KEY']} is not valid; "
            f"HF_TOKEN={SECRETS['HF_TOKEN']}"
        )

    monkeypatch.setattr(SageMakerModelBackend, "create_endpoint", quoting)
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    url = f"http://{host}:{port}"
    yield url
    urllib.request.urlopen(urllib.request.Request(f"{url}/moto-api/reset", method="POST"))
    server.stop()


def test_no_secret_reaches_plans_files_or_output(env, moto_server, tmp_path):
    plan = tmp_path / "plan.json"
    out = tmp_path / "out"
    runs = [
        planner(env, tmp_path, "plan", SPEC, "--format", "json", "-o", plan),
        planner(env, tmp_path, "verify", plan, SPEC),
        planner(env, tmp_path, "emit", plan, "--target", "all", "-o", out),
        planner(env, tmp_path, "launch", plan, "--target", "sagemaker"),
        planner(env, tmp_path, "launch", plan, "--target", "vertex", "--project", "acme-test"),
    ]
    assert [r.returncode for r in runs] == [0, 0, 0, 0, 0], [r.stderr for r in runs]
    failed = planner(
        env, tmp_path, "launch", plan, "--target", "sagemaker", "--apply", "--yes",
        "--endpoint-url", moto_server, "--timeout", "5", "--poll", "0.1",
    )  # fmt: skip
    assert failed.returncode == 1
    assert "is not valid" in failed.stderr and "[REDACTED]" in failed.stderr
    assert "Rolled back" in failed.stderr
    texts = [t for r in [*runs, failed] for t in (r.stdout, r.stderr)]
    assert leaks(*texts, folder=tmp_path / "out") == []
    assert leaks(plan.read_text()) == []


def test_a_secret_in_the_spec_stops_validate_and_plan_without_being_echoed(env, tmp_path):
    spec = tmp_path / "spec.yaml"
    text = SPEC.read_text().replace(
        "deploy:\n", f"deploy:\n  extra_args: ['--hf-token', '{SECRETS['HF_TOKEN']}']\n", 1
    )
    spec.write_text(text)
    checked = planner(env, tmp_path, "validate", spec)
    planned = planner(env, tmp_path, "plan", spec, "-o", tmp_path / "plan.json")
    assert checked.returncode == planned.returncode == 2
    assert "deploy.extra_args[1] (a Hugging Face token)" in checked.stderr + checked.stdout
    texts = (checked.stdout, checked.stderr, planned.stdout, planned.stderr)
    assert leaks(*texts, folder=tmp_path / "none-written") == []
    assert not (tmp_path / "plan.json").exists()


def test_a_hand_edited_plan_with_a_secret_is_refused_without_echoing_it(env, tmp_path):
    from planner.plans.io import load_plan

    plan = load_plan(ROOT / "tests" / "golden" / "plans" / "sagemaker-endpoint.json")
    deploy = {
        **plan.deploy.model_dump(mode="json"),
        "labels": {"token": SECRETS["HF_TOKEN"].lower()},
    }
    deploy["extra_args"] = ["--api-key", SECRETS["GOOGLE_API_KEY"]]
    path = tmp_path / "plan.json"
    path.write_text(plan.model_copy(update={"deploy": deploy}).model_dump_json())
    emitted = planner(env, tmp_path, "emit", path, "--target", "all", "-o", tmp_path / "out")
    dry = planner(env, tmp_path, "launch", path, "--target", "sagemaker")
    assert emitted.returncode == dry.returncode == 2
    assert "credentials do not belong" in emitted.stderr
    needles = leaks(emitted.stdout, emitted.stderr, dry.stdout, dry.stderr)
    assert needles == [] and not (tmp_path / "out").exists()
    assert SECRETS["HF_TOKEN"].lower() not in emitted.stderr


def test_redact_hides_environment_values_and_credential_shapes():
    from providers.launch import redact

    environ = {"MY_SERVICE_PASSWORD": "correct horse battery", "PATH": "/usr/bin"}
    text = "login correct horse battery failed at /usr/bin for AKIAABCDEFGHIJKLMNOP"
    assert redact(text, environ) == "login [REDACTED] failed at /usr/bin for [REDACTED]"
