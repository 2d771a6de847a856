"""BENCHMARKS.md as sections: rewriting some of them leaves the others as they are.

A section runs from its `## ` heading to the next one; what comes before the first heading is
the preamble. Sections written by other commands (`python -m benchmarks.accuracy` writes
"Prediction accuracy") survive a run that measures only some sections.
"""

from __future__ import annotations


def split_sections(text: str) -> tuple[list[str], list[list[str]]]:
    """The preamble's lines and each section's lines (heading first), in file order."""
    preamble: list[str] = []
    sections: list[list[str]] = []
    for line in text.splitlines():
        if line.startswith("## "):
            sections.append([line])
        elif sections:
            sections[-1].append(line)
        else:
            preamble.append(line)
    return preamble, sections


def replace_sections(text: str, fresh: list[list[str]]) -> str:
    """`text` with each section of `fresh` in place of the section with its heading (added at
    the end when the file has none); every other section and the preamble kept."""
    preamble, sections = split_sections(text)
    by_heading = {s[0].strip(): s for s in fresh}
    out = [line for line in preamble]
    used = set()
    for section in sections:
        heading = section[0].strip()
        if heading in by_heading:
            out += _ended(by_heading[heading])
            used.add(heading)
        else:
            out += section
    for section in fresh:
        if section[0].strip() not in used:
            if out and out[-1].strip():
                out.append("")
            out += _ended(section)
    return "\n".join(out).rstrip() + "\n"


def _ended(section: list[str]) -> list[str]:
    """A section's lines with one blank line after it (sections are separated by one)."""
    lines = list(section)
    while lines and not lines[-1].strip():
        lines.pop()
    return [*lines, ""]
