"""Text: verdicts and summaries of a few lines (verify, check, emit)."""

from __future__ import annotations

from planner.render import Format, renderer


@renderer("Verification", Format.text)
def verification(result, *, width=None) -> str:
    """OK in one line, or every violation, one per line."""
    if result.ok:
        return f"OK: {result.plan_name} keeps every constraint of {result.spec_name}\n"
    return (
        f"Plan {result.plan_name} breaks {len(result.violations)} constraint(s) of "
        f"{result.spec_name}:\n" + "".join(f"  - {v}\n" for v in result.violations)
    )


@renderer("Check", Format.text)
def check(result, *, width=None) -> str:
    return result.line + "\n"


@renderer("Emitted", Format.text)
def emitted(result, *, width=None) -> str:
    return (
        f"plan {result.plan_id}: {result.files} file(s) for {', '.join(result.targets)} in "
        f"{result.folder} ({len(result.created)} new, {len(result.changed)} changed, "
        f"{len(result.unchanged)} unchanged)\n"
    )


@renderer("Validation", Format.text)
def validation(result, *, width=None) -> str:
    """One line per valid file (its workloads); invalid files are the error the CLI raises."""
    from planner.errors import listing

    lines = []
    for f in result.files:
        if f.valid:
            kinds = listing([f"{name} ({kind})" for name, kind in f.workloads], limit=10)
            lines.append(f"{f.file}: valid: {len(f.workloads)} workload(s): {kinds}\n")
    return "".join(lines)


@renderer("CatalogRefreshed", Format.text)
@renderer("QuotasRefreshed", Format.text)
def refreshed(result, *, width=None) -> str:
    """What was written, in one line."""
    return result.summary + "\n"


@renderer("Calibrated", Format.text)
def calibrated(result, *, width=None) -> str:
    return result.summary + "\n"


@renderer("ProfilesImported", Format.text)
def profiles_imported(result, *, width=None) -> str:
    return result.summary + "\n"


@renderer("LaunchCalls", Format.text)
def launch_calls(result, *, width=None) -> str:
    """How many calls, then each with its body (credentials redacted by describe())."""
    if not result.calls:
        return f"nothing to {result.verb}: the plan has no allocations for this target\n"
    lines = [f"Dry run: {len(result.calls)} call(s) {result.verb} would make (pass --apply to "
             "make them)"]  # fmt: skip
    lines += [f"\n# {step}. {call.describe()}" for step, call in enumerate(result.calls, 1)]
    return "\n".join(lines) + "\n"


@renderer("Launched", Format.text)
def launched(result, *, width=None) -> str:
    lines = [*result.lines, f"plan {result.plan_id}: {result.changes} change(s)"]
    return "\n".join(lines) + "\n"
