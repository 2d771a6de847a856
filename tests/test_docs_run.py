"""The README's and the docs site's shell, console and Python blocks run, page by page, in the
order written, in a fresh folder holding a copy of the examples, with the test venv's `planner`
on PATH.

- ```sh / ```bash blocks: each command exits with the code the page gives it (an inline
  `# exit N` comment; 0 otherwise).
- ```console blocks: `$ COMMAND` lines run the same way, and the lines under a command are its
  output (stdout and stderr together), compared line by line; a line `...` stands for any
  number of lines left out.
- ```python blocks run as scripts.

A block that cannot run here (a cloud account, a cluster, `pip install`, `make test` itself) is
marked by `<!-- not run: WHY -->` on the line before it; marked blocks are counted, never
skipped silently. The site itself is built with `mkdocs build --strict` by `make test`."""

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

DOCS = sorted(p for p in (ROOT / "docs").glob("*.md") if not p.is_symlink())
PAGES = [ROOT / "README.md", *DOCS]
MARKER = re.compile(r"^<!--\s*not run:\s*(?P<why>.+?)\s*-->$")
SHELLS = ("sh", "bash", "console")


@dataclass(frozen=True)
class Block:
    language: str
    line: int
    text: str
    not_run: str | None


@dataclass(frozen=True)
class Step:
    command: str
    code: int
    output: tuple[str, ...] | None  # None: not compared (sh/bash blocks)


def blocks(text: str) -> list[Block]:
    """Every sh, bash, console and python block, with the not-run reason marked above it."""
    found: list[Block] = []
    lines = text.splitlines()
    i = 0
    while i < len(lines):
        fence = re.match(r"^```(sh|bash|console|python)\s*$", lines[i])
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


def _command(line: str) -> tuple[str, int]:
    expected = re.search(r"#\s*exit (\d)\b", line)
    command = re.sub(r"\s+#.*$", "", line) if "#" in line else line
    return command, int(expected.group(1)) if expected else 0


def commands(block: str) -> list[tuple[str, int]]:
    """(command, expected exit code) per line; `\\` continues a line, `#` lines are comments."""
    joined = re.sub(r"\\\n\s*", " ", block)
    out = []
    for raw in joined.splitlines():
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        out.append(_command(line))
    return out


def steps(block: Block) -> list[Step]:
    """The commands of a block; for a console block, each with the output shown under it."""
    if block.language != "console":
        return [Step(c, code, None) for c, code in commands(block.text)]
    found: list[Step] = []
    lines = re.sub(r"\\\n\s*", " ", block.text).splitlines()
    for i, line in enumerate(lines):
        if not line.startswith("$ "):
            continue
        end = next((j for j in range(i + 1, len(lines)) if lines[j].startswith("$ ")), len(lines))
        command, code = _command(line[2:].strip())
        found.append(Step(command, code, tuple(x.rstrip() for x in lines[i + 1 : end])))
    return found


def matches(shown: tuple[str, ...], actual: list[str]) -> bool:
    """Whether `actual` is `shown` with each `...` line standing for any run of lines."""
    parts: list[list[str]] = [[]]
    for line in shown:
        if line.strip() == "...":
            parts.append([])
        else:
            parts[-1].append(line)
    if len(parts) == 1:
        return list(shown) == actual
    head, *middle, tail = parts
    if actual[: len(head)] != head or (tail and actual[-len(tail) :] != tail):
        return False
    at, stop = len(head), len(actual) - len(tail)
    for part in middle:
        found = next(
            (k for k in range(at, stop - len(part) + 1) if actual[k : k + len(part)] == part), None
        )
        if found is None:
            return False
        at = found + len(part)
    return at <= stop


def _workspace(tmp_path: Path) -> Path:
    work = tmp_path / "work"
    work.mkdir()
    shutil.copytree(ROOT / "examples", work / "examples")
    bin_dir = Path(sys.executable).parent
    (work / ".venv" / "bin").mkdir(parents=True)
    (work / ".venv" / "bin" / "activate").write_text(f'export PATH="{bin_dir}:$PATH"\n')
    return work


def _env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PLANNER_")}
    env["PATH"] = f"{Path(sys.executable).parent}:{env.get('PATH', '')}"
    env["PYTHONPATH"] = str(ROOT)
    env.pop("COLUMNS", None)
    return env


@pytest.mark.parametrize("page", PAGES, ids=[p.name for p in PAGES])
def test_every_page_marks_the_blocks_it_does_not_run(page):
    for block in blocks(page.read_text()):
        if block.not_run is not None:
            assert block.not_run.strip(), (page.name, block.line)
            continue
        for step in steps(block) if block.language in SHELLS else []:
            assert not re.match(r"(pip |ray start|make |.*--apply)", step.command), (
                page.name, block.line, step.command)  # fmt: skip


@pytest.mark.parametrize("page", PAGES, ids=[p.name for p in PAGES])
def test_every_page_runs_in_order_as_written(page, tmp_path):
    work = _workspace(tmp_path)
    env = _env()
    for block in blocks(page.read_text()):
        where = f"{page.name}:{block.line}"
        if block.not_run is not None:
            continue
        if block.language == "python":
            done = subprocess.run([sys.executable, "-c", block.text], cwd=work, env=env,
                                  capture_output=True, text=True, timeout=600)  # fmt: skip
            assert done.returncode == 0, (where, done.stderr[-3000:])
            continue
        for step in steps(block):
            done = subprocess.run(["bash", "-c", step.command], cwd=work, env=env, text=True,
                                  stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                  stdin=subprocess.DEVNULL, timeout=900)  # fmt: skip
            assert done.returncode == step.code, (where, step.command, done.stdout[-4000:])
            if step.output is not None:
                actual = [x.rstrip() for x in done.stdout.splitlines()]
                assert matches(step.output, actual), (where, step.command, done.stdout[-6000:])


def test_the_readme_and_the_docs_run_commands_and_show_real_output():
    found = [b for p in PAGES for b in blocks(p.read_text())]
    console = [b for b in found if b.language == "console" and b.not_run is None]
    assert len([b for b in found if b.not_run is None]) >= 10 and len(console) >= 5


def test_the_readme_stays_short():
    assert len((ROOT / "README.md").read_text().splitlines()) <= 200


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


@pytest.mark.parametrize(
    ("shown", "actual", "ok"),
    [
        (("a", "b"), ["a", "b"], True),
        (("a", "b"), ["a", "b", "c"], False),
        (("a", "..."), ["a", "b", "c"], True),
        (("...", "c"), ["a", "b", "c"], True),
        (("a", "...", "c"), ["a", "x", "c"], True),
        (("a", "...", "d", "..."), ["a", "b", "c"], False),
        (("...", "b", "...", "a"), ["a", "b"], False),
    ],
)
def test_console_output_is_compared_line_by_line_with_elisions(shown, actual, ok):
    assert matches(shown, actual) is ok
