"""Load a jobs file with the spec's line-numbered errors (exit 2 naming file, line and field)."""

from __future__ import annotations

from pathlib import Path

from planner._readfile import read_input
from planner.errors import listing
from planner.facts import accelerators, find_accelerator, find_llm, llms
from planner.schedule.durations import job_minutes
from planner.schedule.jobs import JobsFile
from planner.spec.load import FieldError, validate_yaml


def parse_jobs(text: str, source: str = "<string>") -> JobsFile:
    """Validate jobs-file text (YAML or JSON), or raise SpecError naming lines and fields."""
    return validate_yaml(
        text,
        source,
        JobsFile,
        _reference_problems,
        what="a mapping with `jobs:`",
        label="jobs file",
    )


def load_jobs(path: str | Path) -> JobsFile:
    """Read and validate a jobs file."""
    path = Path(path)
    return parse_jobs(read_input(path, "jobs file"), str(path))


def _reference_problems(jobs: JobsFile) -> list[FieldError]:
    """What pydantic cannot check: names used twice, unknown accelerators and models, and jobs
    that fit no pool."""
    problems = _duplicates(jobs)
    known_accs = ", ".join(a.name for a in accelerators())
    user = tuple(m.to_llm() for m in jobs.models)
    known_models = listing(sorted({m.name for m in (*user, *llms())}), limit=40)

    def unknown_accelerator(loc: tuple, name: str) -> None:
        if find_accelerator(name) is None:
            problems.append(FieldError(loc, f"unknown accelerator '{name}'; known: {known_accs}"))

    for i, pool in enumerate(jobs.capacity.pools):
        unknown_accelerator(("capacity", "pools", i, "accelerator"), pool.accelerator)
    before = len(problems)
    for i, job in enumerate(jobs.jobs):
        for j, name in enumerate(job.accelerators or ()):
            unknown_accelerator(("jobs", i, "accelerators", j), name)
        if job.reference_accelerator is not None:
            unknown_accelerator(("jobs", i, "reference_accelerator"), job.reference_accelerator)
        if job.model is not None and find_llm(job.model, user) is None:
            problems.append(
                FieldError(
                    ("jobs", i, "model"),
                    f"unknown model '{job.model}'; bundled models: {known_models}; "
                    "or define it under `models:`",
                )
            )
        if len(problems) > before:
            before = len(problems)
            continue
        minutes, why = job_minutes(job, jobs.capacity.pools, user)
        if not minutes:
            problems.append(
                FieldError(("jobs", i), f"job '{job.name}' fits no pool: {'; '.join(why)}")
            )
    return problems


def _duplicates(jobs: JobsFile) -> list[FieldError]:
    problems = []
    for section, items in (("jobs", jobs.jobs), (("capacity", "pools"), jobs.capacity.pools)):
        prefix = section if isinstance(section, tuple) else (section,)
        seen: dict[str, int] = {}
        for i, item in enumerate(items):
            if item.name in seen:
                problems.append(
                    FieldError(
                        (*prefix, i, "name"),
                        f"name '{item.name}' is used twice (also {prefix[-1]}[{seen[item.name]}])",
                    )
                )
            seen.setdefault(item.name, i)
    return problems
