"""CLI for ensembles: ``oreshock ensemble ...`` and ``oreshock ensembles list|show|export``.

Parsing and printing only; ``register(app)`` adds the commands to the main Typer app.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.table import Table

from oreshock.cli.common import DbOpt, JsonOpt, friendly, print_json
from oreshock.core.serialize import json_safe


def ensemble(
    scenario: Annotated[str, typer.Argument(help="Shipped scenario name or YAML path.")],
    runs: Annotated[
        int, typer.Option("--runs", help="Number of runs (Sobol: at least this many).")
    ],
    variant: Annotated[str | None, typer.Option("--variant", help="Scenario variant.")] = None,
    workers: Annotated[
        int | None, typer.Option("--workers", help="Local worker processes (default: CPU count).")
    ] = None,
    dask: Annotated[
        str | None, typer.Option("--dask", help="'local' (LocalCluster) or a scheduler address.")
    ] = None,
    seed: Annotated[int, typer.Option("--seed", help="Random seed of the sampler.")] = 0,
    out: Annotated[
        Path | None,
        typer.Option("--out", help="Folder of ensemble folders (default: next to the DB)."),
    ] = None,
    method: Annotated[
        str, typer.Option("--method", help="lhs (Latin hypercube) or sobol (Saltelli).")
    ] = "lhs",
    target: Annotated[
        str, typer.Option("--target", help="Country whose outcomes are recorded.")
    ] = "JPN",
    param: Annotated[
        list[str] | None,
        typer.Option(
            "--param", help="Extra or overriding parameter, NAME=uniform:LOW:HIGH (repeatable)."
        ),
    ] = None,
    outcome: Annotated[
        str | None, typer.Option("--outcome", help="Outcome for failure, PRIM and Sobol.")
    ] = None,
    threshold: Annotated[
        float | None,
        typer.Option("--threshold", help="Failure threshold (default: worst quarter)."),
    ] = None,
    batch_size: Annotated[int, typer.Option("--batch-size", help="Runs per Parquet batch.")] = 500,
    max_batches: Annotated[
        int | None,
        typer.Option("--max-batches", help="Stop after this many new batches (resume later)."),
    ] = None,
    plots: Annotated[
        bool, typer.Option("--plots", help="Write PNG charts to the ensemble folder.")
    ] = False,
    db: DbOpt = None,
    json_out: JsonOpt = False,
) -> None:
    """Run an ensemble over a variant's uncertain parameters; resumes if run again."""
    friendly(_ensemble)(**locals())


def _ensemble(
    scenario: str,
    runs: int,
    variant: str | None,
    workers: int | None,
    dask: str | None,
    seed: int,
    out: Path | None,
    method: str,
    target: str,
    param: list[str] | None,
    outcome: str | None,
    threshold: float | None,
    batch_size: int,
    max_batches: int | None,
    plots: bool,
    db: Path | None,
    json_out: bool,
) -> None:
    # Lazy: oreshock.ensemble loads scipy.stats (~0.6 s), which every `oreshock --help` would pay.
    from oreshock.ensemble.analysis import summarize
    from oreshock.ensemble.evaluators import make_evaluator
    from oreshock.ensemble.runner import EnsembleSpec, run_ensemble
    from oreshock.ensemble.sampling import parse_cli_spec

    extra = dict(parse_cli_spec(p) for p in param or [])
    spec = EnsembleSpec(scenario, variant, runs, seed, method, target, batch_size, extra)
    evaluator = make_evaluator(workers or os.cpu_count() or 1, dask)
    result = run_ensemble(
        spec, evaluator=evaluator, out=out, db=db, max_batches=max_batches, progress=True
    )
    report: dict[str, Any] = {
        "ensemble_id": result.ensemble_id,
        "runs": result.runs,
        "seconds": round(result.seconds, 3),
        "complete": result.complete,
        "folder": str(result.folder),
        "evaluator": evaluator.describe(),
    }
    if result.complete:
        names = [p.name for p in result.parameters]
        frame = result.results()
        report |= summarize(
            frame,
            names,
            result.outcome_names,
            outcome=outcome,
            threshold=threshold,
            method=method,
            seed=seed,
        )
        if plots:
            # Lazy for the same reason; write_plots loads matplotlib (the ensemble extra) itself.
            from oreshock.ensemble.plots import write_plots

            report["plots"] = [str(p) for p in write_plots(frame, report, names, result.folder)]
    if json_out:
        print_json(report)
        return
    console = Console()
    console.print(
        f"ensemble [bold]{result.ensemble_id}[/]: {result.batches_done}/{result.batches} batches, "
        f"{result.runs} runs, {result.seconds:.1f} s ({report['evaluator']}) -> {result.folder}"
    )
    if not result.complete:
        console.print("incomplete: run the same command again to resume")
        return
    table = Table("outcome", "p5", "p50", "p95")
    for name, q in report["outcomes"].items():
        table.add_row(name, *(f"{q[k]:.3g}" for k in ("p5", "p50", "p95")))
    console.print(table)
    fail = report["failure"]
    console.print(f"P({fail['rule']}) = {fail['probability']:.3f}")
    for i, box in enumerate(report["prim"], 1):
        ranges = ", ".join(f"{k} in [{lo:.3g}, {hi:.3g}]" for k, (lo, hi) in box["box"].items())
        console.print(
            f"PRIM box {i}: {ranges} (coverage {box['coverage']:.2f}, density {box['density']:.2f})"
        )
    for name, s in report.get("sobol", {}).items():
        console.print(f"Sobol {name}: S1 {s['S1']:.3f}, ST {s['ST']:.3f}")


def ensembles_list(db: DbOpt = None, json_out: JsonOpt = False) -> None:
    """Ensembles indexed in the results database."""
    # Lazy: oreshock.ensemble loads scipy.stats (~0.6 s), which every `oreshock --help` would pay.
    from oreshock.ensemble.runner import list_ensembles

    df = list_ensembles(db)
    if json_out:
        print_json(df.to_dict(orient="records"))
        return
    table = Table(*df.columns)
    for row in df.itertuples(index=False):
        table.add_row(*("" if v is None else str(v) for v in row))
    Console().print(table)


def ensembles_show(
    ensemble_id: str,
    db: DbOpt = None,
    outcome: Annotated[
        str | None, typer.Option("--outcome", help="Outcome for failure and PRIM.")
    ] = None,
    threshold: Annotated[
        float | None,
        typer.Option("--threshold", help="Failure threshold (default: worst quarter)."),
    ] = None,
    json_out: JsonOpt = False,
) -> None:
    """An ensemble's spec and, when complete, its analysis."""
    # Lazy: oreshock.ensemble loads scipy.stats (~0.6 s), which every `oreshock --help` would pay.
    from oreshock.ensemble.analysis import summarize
    from oreshock.ensemble.runner import get_ensemble, load_results

    record = get_ensemble(ensemble_id, db)
    if record["status"] == "complete":
        frame = load_results(record["folder"])
        record |= summarize(
            frame,
            list(record["parameters"]),
            record["outcomes"],
            outcome=outcome,
            threshold=threshold,
            method=record["method"],
            seed=int(record["seed"]),
        )
    if json_out:
        print_json(record)
        return
    Console().print_json(json.dumps(json_safe(record)))


def ensembles_export(
    ensemble_id: str,
    out: Annotated[Path, typer.Option("--out", help="File to write: .parquet or .csv.")],
    db: DbOpt = None,
) -> None:
    """Write every run of an ensemble (parameters and outcomes) to one file."""
    # Lazy: oreshock.ensemble loads scipy.stats (~0.6 s), which every `oreshock --help` would pay.
    from oreshock.ensemble.runner import get_ensemble, load_results
    from oreshock.ensemble.sampling import EnsembleError

    record = get_ensemble(ensemble_id, db)
    frame = load_results(record["folder"])
    if out.suffix == ".csv":
        frame.to_csv(out, index=False)
    elif out.suffix == ".parquet":
        frame.to_parquet(out, index=False)
    else:
        raise EnsembleError(f"--out {out}: expected a .parquet or .csv file name")
    typer.echo(f"wrote {len(frame)} runs to {out}")


def register(app: typer.Typer) -> None:
    """Add ``ensemble`` and the ``ensembles`` sub-app to the main CLI."""
    app.command("ensemble")(ensemble)
    sub = typer.Typer(no_args_is_help=True, help="Stored ensembles: list, show, export.")
    sub.command("list")(friendly(ensembles_list))
    sub.command("show")(friendly(ensembles_show))
    sub.command("export")(friendly(ensembles_export))
    app.add_typer(sub, name="ensembles")
