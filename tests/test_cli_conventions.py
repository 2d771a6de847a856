"""One convention for every verb: --format picks the format, -o FILE writes that format and
leaves stdout one summary line, --format json works everywhere (errors too), help is grouped,
placeholders are named, tables fit 80 columns, shell completion and the config file work."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import ROOT

EXAMPLES = ROOT / "examples"
EU = EXAMPLES / "eu-residency.yaml"
SAGEMAKER = EXAMPLES / "sagemaker-endpoint.yaml"
INFEASIBLE = """\
workloads:
  - name: big
    kind: serving
    model: llama-3.1-405b
    traffic: {requests_per_second: 100, input_tokens: 100, output_tokens: 100}
    placement: {accelerators: [T4]}
"""


@pytest.fixture(scope="module")
def eu_plan(tmp_path_factory) -> Path:
    from planner.cli.app import run

    out = tmp_path_factory.mktemp("plan") / "plan.json"
    try:
        run(["plan", str(EU), "-o", str(out)])
    except SystemExit as stop:
        assert not stop.code
    return out


def test_o_writes_the_chosen_format_and_stdout_is_one_summary_line(cli, tmp_path):
    out = tmp_path / "plan.json"
    result = cli("plan", EU, "--format", "json", "-o", out)
    assert result.exit_code == 0, result.stderr
    assert result.stdout.count("\n") == 1 and result.stdout.startswith("Wrote plan ")
    assert str(out) in result.stdout
    assert json.loads(out.read_text())["allocations"]
    md = tmp_path / "plan.md"
    result = cli("plan", EU, "--format", "md", "-o", md)
    assert md.read_text().startswith("**Plan**") and result.stdout.count("\n") == 1
    by_suffix = tmp_path / "plan.yaml"
    cli("plan", EU, "-o", by_suffix)
    assert by_suffix.read_text().startswith("schema_version:")
    table = tmp_path / "plan.txt"
    cli("plan", EU, "--format", "table", "-o", table)
    assert "Serving" in table.read_text()
    refused = cli("plan", EU, "-o", out)
    assert refused.exit_code == 2 and "--force" in refused.stderr


def test_json_errors_carry_code_message_and_where(cli, tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text("workloads:\n  - name: a\n    kind: serving\n    modle: x\n")
    result = cli("plan", bad, "--format", "json")
    assert result.exit_code == 2
    error = json.loads(result.stdout)["error"]
    assert error["code"] == 2 and error["kind"] == "input" and "modle" in error["message"]
    problem = next(p for p in error["problems"] if p.get("field") == "workloads[0].modle")
    assert problem["file"] == str(bad) and problem["line"] == 4
    assert "unknown key" in problem["message"]

    infeasible = tmp_path / "infeasible.yaml"
    infeasible.write_text(INFEASIBLE)
    result = cli("plan", infeasible, "--format", "json")
    assert result.exit_code == 3
    error = json.loads(result.stdout)["error"]
    assert error["code"] == 3 and error["kind"] == "infeasible" and error["message"]

    usage = cli("plan", EU, "--format", "json", "--no-such-option")
    assert usage.exit_code == 2 and json.loads(usage.stdout)["error"]["kind"] == "usage"


def test_check_verify_validate_emit_and_launch_speak_json(cli, tmp_path, eu_plan):
    ok = cli("check", eu_plan, "--max-cost-per-hour", "1000", "--format", "json")
    assert ok.exit_code == 0 and json.loads(ok.stdout)["ok"] is True
    failed = cli("check", eu_plan, "--max-cost-per-hour", "0.01", "--format", "json")
    assert failed.exit_code == 1
    assert json.loads(failed.stdout)["ok"] is False and "FAIL" in failed.stderr

    verified = cli("verify", eu_plan, EU, "--format", "json")
    assert verified.exit_code == 0
    assert json.loads(verified.stdout) | {"violations": []} == json.loads(verified.stdout)

    bad = tmp_path / "bad.yaml"
    bad.write_text("workloads: 3\n")
    checked = cli("validate", EU, bad, "--format", "json")
    assert checked.exit_code == 2
    files = json.loads(checked.stdout)["files"]
    assert [f["valid"] for f in files] == [True, False] and files[1]["problems"]

    emitted = cli("emit", eu_plan, "--target", "kubernetes", "-o", tmp_path / "deploy",
                  "--format", "json")  # fmt: skip
    assert emitted.exit_code == 0 and json.loads(emitted.stdout)["created"]

    sm_plan = tmp_path / "sm.json"
    assert cli("plan", SAGEMAKER, "-o", sm_plan).exit_code == 0
    dry = cli("launch", sm_plan, "--target", "sagemaker", "--format", "json")
    data = json.loads(dry.stdout)
    assert dry.exit_code == 0 and data["dry_run"] is True
    assert "CreateEndpoint" in {c["operation"] for c in data["calls"]}


def _verbs(command, path=()):
    if isinstance(getattr(command, "commands", None), dict):
        for name, sub in command.commands.items():
            yield from _verbs(sub, (*path, name))
    else:
        yield path, command


def test_every_verb_has_format_json_and_o_file():
    import typer

    from planner.cli.app import build

    verbs = dict(_verbs(build()))
    assert len(verbs) >= 28
    for path, command in verbs.items():
        options = {o: p for p in command.params for o in getattr(p, "opts", [])}
        assert "--format" in options, path
        fmt = options["--format"]
        assert str(fmt.process_value(typer.Context(command), "json")) == "json", path
        assert "-o" in options and "--force" in options, path


def test_every_verbs_format_help_shows_exactly_the_formats_it_takes():
    # the choices come from planner.render's registry: a new renderer shows up in help too
    import typer

    from planner.cli.app import build
    from planner.render import Format

    for path, command in _verbs(build()):
        fmt = next(p for p in command.params if "--format" in getattr(p, "opts", []))
        shown = fmt.metavar.split("|")
        taken = []
        for value in sorted({str(f.value) for f in Format} | set(shown)):
            try:
                fmt.process_value(typer.Context(command), value)
            except Exception:
                continue
            taken.append(value)
        assert sorted(shown) == taken, path


def test_o_on_a_verb_that_prints_writes_that_format_and_one_summary_line(cli, tmp_path, eu_plan):
    report = tmp_path / "check.json"
    passed = cli("check", eu_plan, "--max-cost-per-hour", "1000", "-o", report)
    assert passed.exit_code == 0 and passed.stdout.count("\n") == 1
    assert (
        passed.stdout.startswith("Wrote the check result (json)") and str(report) in passed.stdout
    )
    assert json.loads(report.read_text())["ok"] is True  # json by the file's suffix
    refused = cli("check", eu_plan, "--max-cost-per-hour", "1000", "-o", report)
    assert refused.exit_code == 2 and "--force" in refused.stderr
    failed = cli("check", eu_plan, "--max-cost-per-hour", "0.01", "-o", report, "--force")
    assert failed.exit_code == 1 and json.loads(report.read_text())["ok"] is False  # verdict kept

    offers = tmp_path / "h100.csv"
    listed = cli("catalog", "list", "--accelerator", "H100", "-o", offers)
    assert listed.exit_code == 0 and listed.stdout.count("\n") == 1
    assert offers.read_text().startswith("provider,region,")
    text = tmp_path / "verify.txt"
    verified = cli("verify", eu_plan, EU, "-o", text)
    assert verified.exit_code == 0 and text.read_text().startswith("OK: ")
    chosen = tmp_path / "models.out"
    cli("models", "--format", "json", "-o", chosen)
    assert json.loads(chosen.read_text())[0]["name"]
    broken = tmp_path / "missing.json"
    error = cli("check", tmp_path / "nope.json", "--max-gap", "0.1", "-o", broken)
    assert error.exit_code == 2 and not broken.exists()  # an error writes nothing


def test_help_is_grouped_in_workflow_order_with_named_placeholders(cli):
    from planner.cli.app import build

    top = cli("--help").stdout
    headings = [h for h in re.findall(r"^(\w[\w ]*):$", top, re.M) if h not in ("Options",)]
    assert headings[:6] == ["Plan", "Deploy", "Operate", "Cost", "Data", "Spec"]
    assert top.index("  plan ") < top.index("  verify ") < top.index("  frontier ")
    command = build()
    verbs = [[name] for name in command.commands]
    verbs += [["catalog", "list"], ["catalog", "refresh"], ["quotas", "refresh"]]
    for verb in verbs:
        text = cli(*verb, "--help").stdout
        assert not re.search(r"<(list|path|float|int|str|text|bool)\b", text), (verb, text)
        assert not re.search(r"\{[A-Za-z_]+\}", text.splitlines()[0]), (verb, text)


def test_tables_fit_80_columns_without_cutting_a_cell(tmp_path):
    for args in (
        ("catalog", "list", "--accelerator", "H100"),
        ("catalog", "list", "--accelerator", "A100-80GB", "--provider", "azure"),
        ("plan", str(EXAMPLES / "chatbot-fleet.yaml")),
        ("models",),
        ("accelerators",),
    ):
        terminal = {"COLUMNS": "80", "TTY_COMPATIBLE": "1", "NO_COLOR": "1"}  # an 80-col tty
        result = _planner(*args, cwd=tmp_path, env=terminal)
        assert result.returncode == 0, result.stderr
        for line in result.stdout.splitlines():
            assert "…" not in line and len(line) <= 80, (args, line)
        names = ("llama-3.1-70b", "llama-3.1-405b") if args == ("models",) else ()
        assert all(f" {name} " in result.stdout for name in names)  # no name folded away


@pytest.fixture(scope="module")
def chatbot_plan():
    import planner

    return planner.plan(EXAMPLES / "chatbot-fleet.yaml")  # with its annotations


@pytest.mark.parametrize("width", [80, 100, 120, 160])
def test_the_plan_table_fits_the_terminal_and_keeps_every_figure_whole(
    chatbot_plan, width, monkeypatch, capsys
):
    from planner.cli.output import show
    from planner.report.wording import rate

    monkeypatch.setenv("COLUMNS", str(width))
    monkeypatch.setenv("TTY_COMPATIBLE", "1")  # stdout counts as a terminal of that width
    monkeypatch.setenv("NO_COLOR", "1")
    show(chatbot_plan, "table", None, "")  # as `planner plan` prints it on that terminal
    text = capsys.readouterr().out
    for line in text.splitlines():
        assert len(line) <= width and "…" not in line, line
    words = set(text.split())
    for a, unit in zip(chatbot_plan.allocations, chatbot_plan.economics.allocations, strict=True):
        assert f"{a.cost_per_hour:,.2f}" in words  # every $/h, uncut
        assert ("standby" if unit.idle_rule else rate(unit.usd_per_million_tokens)) in words
    assert f"${chatbot_plan.cost_per_month:,.0f}/month" in words


def test_catalog_list_takes_skypilot_accelerator_counts(cli):
    rows = json.loads(cli("catalog", "list", "--accelerator", "H100:8", "--format", "json").stdout)
    assert rows and {(r["accelerator"], r["accelerator_count"]) for r in rows} == {("H100", 8)}
    counted = cli("catalog", "list", "--accelerator", "L4", "--accelerator-count", "4",
                  "--format", "json")  # fmt: skip
    assert {r["accelerator_count"] for r in json.loads(counted.stdout)} == {4}
    listed = cli("catalog", "list", "--region", "us-east-1,us-west-2", "--accelerator", "L4",
                 "--format", "json")  # fmt: skip
    assert {r["region"] for r in json.loads(listed.stdout)} == {"us-east-1", "us-west-2"}


def _planner(*args: str, cwd: Path, env: dict | None = None) -> subprocess.CompletedProcess:
    full = {k: v for k, v in os.environ.items() if not k.startswith("PLANNER_")}
    full.update(env or {})
    exe = Path(sys.executable).with_name("planner")
    return subprocess.run(
        [str(exe), *args], cwd=cwd, env=full, capture_output=True, text=True, timeout=120
    )


@pytest.mark.parametrize("shell", ["bash", "zsh", "fish"])
def test_completion_scripts_and_completing_a_verb(shell, tmp_path):
    script = _planner("completion", shell, cwd=tmp_path)
    assert script.returncode == 0 and "_PLANNER_COMPLETE" in script.stdout
    env = {"_PLANNER_COMPLETE": f"complete_{shell}", "COMP_WORDS": "planner pl", "COMP_CWORD": "1"}
    if shell != "bash":
        env |= {"_TYPER_COMPLETE_ARGS": "planner pl", "_TYPER_COMPLETE_FISH_ACTION": "get-args"}
    done = _planner(cwd=tmp_path, env=env)
    assert done.returncode == 0 and "plan" in done.stdout, done.stderr


@pytest.mark.skipif(not Path("/bin/bash").exists(), reason="bash is not installed")
def test_bash_completes_options_from_the_printed_script(tmp_path):
    exe = Path(sys.executable).with_name("planner")
    program = (
        f'eval "$({exe} completion bash)"; COMP_WORDS=(planner catalog list --acc); '
        "COMP_CWORD=3; _planner_completion planner; printf '%s\\n' \"${COMPREPLY[@]}\""
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith("PLANNER_")}
    env["PATH"] = f"{exe.parent}:{env.get('PATH', '')}"
    done = subprocess.run(["bash", "-c", program], env=env, capture_output=True, text=True)
    assert "--accelerator" in done.stdout.split(), done.stderr


def test_config_file_env_and_flags_in_that_order(tmp_path):
    mine = tmp_path / "prices.csv"
    mine.write_text((ROOT / "planner" / "catalog" / "data" / "offerings.csv").read_text())
    (tmp_path / "sub").mkdir()
    (tmp_path / "planner.toml").write_text(
        'catalog = ["prices.csv"]\nformat = "json"\n\n[plan]\ntime-limit = 30\n'
    )
    shown = _planner("config", "show", "--format", "json", cwd=tmp_path / "sub")
    data = json.loads(shown.stdout)
    assert data["config_file"] == str(tmp_path / "planner.toml")
    catalog = next(s for s in data["settings"] if s["key"] == "catalog")
    assert catalog["value"] == [str(mine)] and catalog["source"] == f"{tmp_path}/planner.toml:1"
    assert "plan" in catalog["verbs"] and "catalog list" in catalog["verbs"]
    # format = "json" from the file applies where json exists ...
    listed = _planner("catalog", "list", "--accelerator", "L4", cwd=tmp_path / "sub")
    assert listed.returncode == 0 and json.loads(listed.stdout)
    # ... an environment variable beats the file, and a flag beats both
    env = {"PLANNER_FORMAT": "csv"}
    as_csv = _planner("catalog", "list", "--accelerator", "L4", cwd=tmp_path, env=env)
    assert as_csv.stdout.startswith("provider,region")
    flagged = _planner("catalog", "list", "--accelerator", "L4", "--format", "table",
                       cwd=tmp_path, env=env)  # fmt: skip
    assert "offering(s)" in flagged.stdout
    overridden = json.loads(
        _planner("config", "show", "--format", "json", cwd=tmp_path, env=env).stdout
    )
    fmt = [s for s in overridden["settings"] if s["key"] == "format"]
    assert fmt[0]["overridden_by"] == "environment PLANNER_FORMAT"


@pytest.mark.parametrize(
    ("text", "where"),
    [
        ('catalog = ["a.csv"\n', ":1"),
        ('format = "json"\ntime_limt = 3\n', ":2: time_limt"),
        ('[plan]\ntime-limit = "soon"\n', ":2: time-limit"),
        ("[plam]\nx = 1\n", ":1: [plam]"),
    ],
)
def test_a_malformed_config_exits_2_naming_file_line_and_key(tmp_path, text, where):
    (tmp_path / "planner.toml").write_text(text)
    result = _planner("models", cwd=tmp_path)
    assert result.returncode == 2 and f"{tmp_path / 'planner.toml'}{where}" in result.stderr
    assert "Traceback" not in result.stderr


def test_pyproject_tool_planner_table_is_read(tmp_path):
    (tmp_path / "pyproject.toml").write_text(
        '[project]\nname = "x"\n\n[tool.planner]\nformat = "csv"\n'
    )
    result = _planner("models", cwd=tmp_path)
    assert result.returncode == 0 and result.stdout.startswith("name,")


def test_no_color_and_quiet_are_accepted_everywhere(cli, tmp_path):
    out = tmp_path / "p.json"
    result = cli("--no-color", "-q", "plan", EU, "-o", out, "-q")
    assert result.exit_code == 0 and out.exists()
    old = cli("sweep", EXAMPLES / "sweep" / "small-fleet.yaml", "--no-progress", "--help")
    assert old.exit_code == 0


def test_an_option_two_verbs_declare_alike_is_declared_once():
    """An option (or argument) whose flags and help are the same in two verbs is one Annotated
    alias (planner/cli/options.py, or the module of the verbs that share it), not two copies
    that can drift apart."""
    import ast
    from collections import defaultdict

    declared = defaultdict(list)
    for path in sorted((ROOT / "planner" / "cli").glob("*_cmd.py")):
        for fn in ast.walk(ast.parse(path.read_text())):
            if not isinstance(fn, ast.FunctionDef):
                continue
            params = fn.args.args[len(fn.args.args) - len(fn.args.defaults) :]
            for param, default in zip(params, fn.args.defaults, strict=True):
                if not isinstance(default, ast.Call):
                    continue
                called = ast.unparse(default.func)
                if called not in ("typer.Option", "typer.Argument", "number"):
                    continue
                flags = tuple(
                    a.value for a in default.args if isinstance(a, ast.Constant) and a.value
                )
                shown = {k.arg: ast.unparse(k.value) for k in default.keywords}
                key = (called, flags or param.arg, shown.get("help"), shown.get("metavar"))
                declared[key].append(f"{path.stem}.{fn.name}")
    twice = {key: where for key, where in declared.items() if len(where) > 1}
    assert not twice, twice
