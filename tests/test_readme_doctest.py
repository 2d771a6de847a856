"""The README's shell blocks run, in the order written, in a fresh folder holding a copy of the
examples, with the test venv's `planner` on PATH; each command exits with the code the README
gives it (an inline `# exit N` comment; 0 otherwise). A block that cannot run here (a cloud
account, a cluster, `pip install`, `make test` itself) is marked in the README by
`<!-- not run: WHY -->` on the line before it; the marked blocks are counted, never skipped
silently. The README's Python blocks run too, unless marked the same way."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.conftest import ROOT

README = ROOT / "README.md"
MARKER = re.compile(r"^<!--\s*not run:\s*(?P<why>.+?)\s*-->$")


@dataclass(frozen=True)
class Block:
    language: str
    line: int
    text: str
    not_run: str | None


def blocks(text: str) -> list[Block]:
    """Every ```sh and ```python block, with the not-run reason marked above it (if any)."""
    found: list[Block] = []
    lines = text.splitlines()
    i = 0
    while i < len(lines):
        fence = re.match(r"^```(sh|python)\s*$", lines[i])
        if not fence:
            i += 1
            continue
        end = next(j for j in range(i + 1, len(lines)) if lines[j].startswith("```"))
        above = lines[i - 1].strip() if i else ""
        marked = MARKER.match(above)
        found.append(Block(fence.group(1), i + 1, "\n".join(lines[i + 1 : end]),
                           marked.group("why") if marked else None))  # fmt: skip
        i = end + 1
    return found


def commands(block: str) -> list[tuple[str, int]]:
    """(command, expected exit code) per line; `\\` continues a line, `#` lines are comments."""
    joined = re.sub(r"\\\n\s*", " ", block)
    out = []
    for raw in joined.splitlines():
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        expected = re.search(r"#\s*exit (\d)\b", line)
        command = re.sub(r"\s+#.*$", "", line) if "#" in line else line
        out.append((command, int(expected.group(1)) if expected else 0))
    return out


def test_the_readme_marks_every_block_it_does_not_run():
    found = blocks(README.read_text())
    runnable = [b for b in found if b.not_run is None]
    marked = [b for b in found if b.not_run is not None]
    assert runnable and all(b.not_run.strip() for b in marked)
    for block in runnable:  # a cloud or cluster command needs a marker
        for command, _ in commands(block.text) if block.language == "sh" else []:
            assert not re.match(r"(pip |ray start|make |.*--apply)", command), (block.line, command)


def _workspace(tmp_path: Path) -> Path:
    work = tmp_path / "work"
    work.mkdir()
    shutil.copytree(ROOT / "examples", work / "examples")
    bin_dir = Path(sys.executable).parent
    (work / ".venv" / "bin").mkdir(parents=True)
    (work / ".venv" / "bin" / "activate").write_text(f'export PATH="{bin_dir}:$PATH"\n')
    return work


def test_the_readme_runs_in_order_as_written(tmp_path):
    work = _workspace(tmp_path)
    env = {k: v for k, v in os.environ.items() if not k.startswith("PLANNER_")}
    env["PATH"] = f"{Path(sys.executable).parent}:{env.get('PATH', '')}"
    env.pop("COLUMNS", None)
    ran = not_run = 0
    reasons: list[str] = []
    for block in blocks(README.read_text()):
        if block.not_run is not None:
            not_run += 1
            reasons.append(f"README.md:{block.line}: {block.not_run}")
            continue
        if block.language == "python":
            done = subprocess.run([sys.executable, "-c", block.text], cwd=work, env=env,
                                  capture_output=True, text=True, timeout=600)  # fmt: skip
            assert done.returncode == 0, (block.line, done.stderr[-3000:])
            ran += 1
            continue
        script = ["set +e"]
        expected: list[tuple[str, int]] = []
        for number, (command, code) in enumerate(commands(block.text)):
            script += [command, f'echo "__rc__ {number} $?" >&3']
            expected.append((command, code))
        rc_file = tmp_path / "rc.txt"
        done = _run_with_fd3(script, work, env, rc_file)
        codes = dict(re.findall(r"__rc__ (\d+) (\d+)", rc_file.read_text()))
        for number, (command, code) in enumerate(expected):
            got = int(codes.get(str(number), -1))
            assert got == code, (f"README.md:{block.line}", command, got, done[-4000:])
        ran += 1
    print(f"README doctest: {ran} block(s) run, {not_run} marked not run: " + "; ".join(reasons))
    assert ran >= 6 and not_run >= 6  # README blocks: 6 run, 6 marked (2026-12-02)


def _run_with_fd3(script: list[str], work: Path, env: dict, rc_file: Path) -> str:
    body = "\n".join(script) + "\n"
    wrapped = f'exec 3>"{rc_file}"\n{body}'
    done = subprocess.run(["bash", "-c", wrapped], cwd=work, env=env, capture_output=True,
                          text=True, timeout=900, stdin=subprocess.DEVNULL)  # fmt: skip
    return done.stdout[-2000:] + done.stderr[-2000:]


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ("planner validate /tmp/typo.yaml      # exit 2: names the line", 2),
        ("planner verify plan.json x.yaml      # independent re-check, exit 1 on a violation", 0),
        ("planner plan x.yaml", 0),
    ],
)
def test_expected_codes_come_from_an_exit_comment(line, expected):
    assert commands(line) == [(line.split("  #")[0].strip(), expected)]
