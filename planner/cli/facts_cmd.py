"""`planner models` and `planner accelerators`: the bundled facts the performance model uses."""

from __future__ import annotations

from dataclasses import asdict

import typer

from planner.cli.output import Format, print_rows, writes_output

MODEL_OPTIONAL = ("hf_id", "kv_heads", "attention_heads", "hidden_size", "head_dim", "vocab_size")
ACCELERATOR_OPTIONAL = ("fp8_tflops", "vendor", "family", "int8_tops", "interconnect_gbps",
                        "link", "supports_bf16", "fp4_tflops", "scale_up_domain", "topology",
                        "pcie_gbps", "tp_degrees", "aliases")  # fmt: skip
"""Columns a narrow terminal drops, the last named first (--format json/csv keep them all)."""
VIEW_FIELDS = ("pipeline_stages", "stage_link_gbps")
"""Accelerator fields of the performance model's multi-instance view, not facts of the chip."""


def models(
    fmt: Format = typer.Option(Format.table, "--format", help="table, json or csv."),
) -> None:
    """List the bundled open LLMs and their shapes."""
    from planner.facts import llms

    rows = [asdict(m) for m in llms()]
    print_rows(rows, list(rows[0]), fmt, title="Bundled models", optional=MODEL_OPTIONAL)


def accelerators(
    fmt: Format = typer.Option(Format.table, "--format", help="table, json or csv."),
) -> None:
    """List the bundled accelerators and their memory, bandwidth and FLOPs."""
    from planner.facts import accelerators as all_accelerators

    rows = [
        {
            **{k: v for k, v in asdict(a).items() if k not in VIEW_FIELDS},
            "aliases": ", ".join(a.aliases),
            "tp_degrees": "|".join(map(str, a.tp_degrees)),
        }
        for a in all_accelerators()
    ]
    print_rows(
        rows, list(rows[0]), fmt, title="Bundled accelerators", optional=ACCELERATOR_OPTIONAL
    )


def register(app: typer.Typer) -> None:
    app.command()(writes_output("the model list")(models))
    app.command()(writes_output("the accelerator list")(accelerators))
