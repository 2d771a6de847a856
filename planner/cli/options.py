"""Options and arguments that several verbs' modules declare alike, declared once each as typer
`Annotated` aliases: `profiles: ProfilesCsv = None`. The default stays on the parameter (typer's
rule for `Annotated`), so one alias serves a verb that requires the value (no default) and one
that does not. An option that two verbs of one module share is an alias in that module; one
whose help differs by verb (--fit says what the fit is for) stays with its verb.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from planner.cli.params import number
from planner.perf.dtypes import Dtype

CATALOG_HELP = (
    "Catalog CSV file or SkyPilot catalog directory; repeat to combine. Replaces the bundled "
    "catalog unless 'bundled' is also given (later files override matching rows)."
)

PlanArgument = Annotated[Path, typer.Argument(help="Plan JSON (from planner plan -o).")]
SpecArgument = Annotated[Path, typer.Argument(help="Spec file (YAML or JSON).")]

Catalogs = Annotated[list[str] | None, typer.Option("--catalog", metavar="PATH", help=CATALOG_HELP)]
ProfilesCsv = Annotated[
    Path | None, typer.Option("--profiles", metavar="FILE", help="Measured profiles CSV.")
]
SolverTimeLimit = Annotated[
    float, number(float, ..., "--time-limit", help="Solver time limit, seconds.")
]

# what benchmark runs were measured on (planner calibrate, planner profiles import)
RunsModel = Annotated[
    str | None,
    typer.Option("--model", metavar="TEXT", help="Model, when the files name none we know."),
]
RunsAccelerator = Annotated[
    str | None,
    typer.Option(
        "--accelerator", metavar="TEXT", help="Accelerator the runs used (files rarely say)."
    ),
]
RunsTp = Annotated[
    int | None, number(int, ..., "--tp", min=1, help="Tensor-parallel degree of the replica.")
]

# a replica's number formats (planner estimate, calibrate, profiles import)
_DTYPES = "|".join(d.value for d in Dtype)
WeightsDtype = Annotated[
    Dtype, typer.Option("--weights-dtype", metavar=_DTYPES, help="Weights format.")
]
KvDtype = Annotated[Dtype, typer.Option("--kv-dtype", metavar=_DTYPES, help="KV-cache format.")]
