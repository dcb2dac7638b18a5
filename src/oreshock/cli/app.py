"""Command line: parsing and printing only; the work is done by the Python API."""

from __future__ import annotations

import hashlib
import json
import sys
from pathlib import Path
from typing import Annotated

import pandas as pd
import typer
from rich.progress import Progress

from oreshock.cli.common import (
    DataOpt,
    DbOpt,
    JsonOpt,
    LangOpt,
    err,
    friendly,
    out,
    print_frame,
    print_json,
)
from oreshock.cli.ensemble import register as register_ensembles
from oreshock.cli.web import register as register_web
from oreshock.core.errors import OreshockError

app = typer.Typer(
    no_args_is_help=True,
    add_completion=False,
    help="Stress tests for critical-mineral supply chains.",
)
data_app = typer.Typer(
    no_args_is_help=True, help="The bundled dataset: list, show, validate, import."
)
metrics_app = typer.Typer(no_args_is_help=True, help="Dependency metrics.")
runs_app = typer.Typer(
    no_args_is_help=True, help="Stored runs: list, show, compare, export, rerun, delete."
)
app.add_typer(data_app, name="data")
app.add_typer(metrics_app, name="metrics")
app.add_typer(runs_app, name="runs")
register_web(app)
register_ensembles(app)


def _dataset(path: Path | None = None):
    from oreshock.data.datasets import load_dataset

    return load_dataset(path)


def label(dataset, table: str, key: str, value: str, lang: str) -> str:
    """The name of a country or mineral in ``lang``, or its id when the dataset has none."""
    rows = dataset.table(table)
    match = rows.loc[rows[key] == value, f"name_{lang}"]
    return str(match.iloc[0]) if not match.empty else value


def stage_names(dataset, mineral: str, lang: str) -> dict[str, str]:
    """Stage ids of a mineral -> their names in ``lang`` (from the dataset's stages table)."""
    stages = dataset.table("stages")
    rows = stages[stages["mineral"] == mineral]
    return dict(zip(rows["stage"], rows[f"name_{lang}"], strict=True))


def _network(path: Path | None = None):
    from oreshock.model.network import build_network

    return build_network(_dataset(path))


# ----------------------------------------------------------------------------- data


@data_app.command("list")
@friendly
def data_list(json_out: JsonOpt = False, data: DataOpt = None) -> None:
    """Tables of the dataset with row counts and file hashes."""
    ds = _dataset(data)
    rows = []
    for name in sorted(ds.tables()):
        file = ds.files.get(name)
        digest = hashlib.sha256(Path(file).read_bytes()).hexdigest()[:16] if file else "(derived)"
        rows.append({"table": name, "rows": len(ds.table(name)), "sha256": digest})
    info = {
        "name": ds.name,
        "version": ds.version,
        "base_year": ds.base_year,
        "hash": ds.content_hash,
        "tables": rows,
    }
    if json_out:
        print_json(info)
        return
    out.print(f"{ds.name} {ds.version} (base year {ds.base_year}, hash {ds.content_hash[:16]})")
    print_frame(pd.DataFrame(rows))


@data_app.command("show")
@friendly
def data_show(
    name: Annotated[
        str,
        typer.Argument(
            help="Table name (minerals, stages, countries, groups, production, trade, ...)."
        ),
    ],
    mineral: Annotated[str | None, typer.Option(help="Only this mineral.")] = None,
    stage: Annotated[str | None, typer.Option(help="Only this stage.")] = None,
    country: Annotated[str | None, typer.Option(help="Only rows naming this ISO3 code.")] = None,
    json_out: JsonOpt = False,
    data: DataOpt = None,
) -> None:
    """Show one table, optionally filtered."""
    ds = _dataset(data)
    df = ds.table(name)
    if mineral and "mineral" in df:
        ds.check_mineral(mineral)
        df = df[df["mineral"] == mineral]
    if stage and "stage" in df:
        df = df[df["stage"] == stage]
    if country:
        code = country.upper()
        cols = [c for c in ("iso3", "importer", "exporter") if c in df]
        df = df[df[cols].eq(code).any(axis=1)] if cols else df
    if json_out:
        print_json(json.loads(df.to_json(orient="records", force_ascii=False)))
        return
    print_frame(df, title=name)


@data_app.command("validate")
@friendly
def data_validate(
    path: Annotated[Path | None, typer.Argument(help="Dataset folder (default: bundled).")] = None,
) -> None:
    """Check every table and list all problems (exit 1 if any)."""
    from oreshock.core.errors import DataFileError
    from oreshock.data.datasets import bundled_path, read_tables
    from oreshock.data.validate import validate_tables

    folder = path or bundled_path()
    try:
        raw, paths = read_tables(folder)
    except DataFileError as exc:
        problems = exc.problems
    else:
        problems = validate_tables(raw, paths)
    if problems:
        for p in problems:
            out.print(str(p), highlight=False, markup=False)
        out.print(f"{len(problems)} problem(s) found in {folder}")
        raise typer.Exit(1)
    out.print(f"{folder}: all {len(raw)} tables valid")


@data_app.command("import")
@friendly
def data_import(
    kind: Annotated[str, typer.Argument(help="usgs, baci or comtrade")],
    file: Annotated[Path, typer.Argument(help="The file as published.")],
    into: Annotated[
        Path | None,
        typer.Option(help="Dataset folder to extend (created from the bundled one if new)."),
    ] = None,
    db: DbOpt = None,
    json_out: JsonOpt = False,
) -> None:
    """Read a published file; record its rows in the database and optionally extend a dataset."""
    from oreshock.data import loaders
    from oreshock.data.extend import extend_dataset
    from oreshock.store.store import Store

    readers = {
        "usgs": loaders.load_usgs,
        "baci": loaders.load_baci,
        "comtrade": loaders.load_comtrade,
    }
    if kind not in readers:
        raise OreshockError(f"unknown import kind {kind!r}; expected one of: {', '.join(readers)}")
    if not file.exists():
        raise OreshockError(f"{file}: no such file")
    loaded = readers[kind](file)
    tables = loaded if isinstance(loaded, dict) else {"trade": loaded}
    merged = extend_dataset(into, tables, str(file)) if into else {}
    sha = hashlib.sha256(file.read_bytes()).hexdigest()
    with Store(db) as store:
        import_id = store.save_import(kind, str(file), sha, tables)
    counts = {name: len(df) for name, df in tables.items()}
    report = {
        "import_id": import_id,
        "kind": kind,
        "file": str(file),
        "sha256": sha,
        "rows": counts,
    }
    if into:
        report["dataset"] = str(into)
        report["merged"] = merged
    if json_out:
        print_json(report)
        return
    out.print(f"imported {sum(counts.values())} rows from {file} as {import_id}: {counts}")
    if into:
        out.print(f"extended dataset {into}: {merged}; use it with --data {into}")


# -------------------------------------------------------------------------- metrics


@metrics_app.command("concentration")
@friendly
def metrics_concentration(
    mineral: Annotated[str, typer.Option(help="Mineral id, e.g. rare_earths.")],
    stage: Annotated[
        str, typer.Option(help="Stage id, e.g. mining, refining, separation, magnets.")
    ],
    year: Annotated[int | None, typer.Option(help="Data year (default: base year).")] = None,
    json_out: JsonOpt = False,
    lang: LangOpt = "en",
    data: DataOpt = None,
) -> None:
    """Producer shares of world output at a stage, HHI, top-1 and top-3 shares."""
    from oreshock.core.i18n import t
    from oreshock.model.metrics import concentration

    result = concentration(_dataset(data), mineral, stage, year).to_dict()
    if json_out:
        result.pop("china_share")
        print_json(result)
        return
    out.print(
        f"{mineral} / {result['stage']} ({result['year']}): {t('hhi', lang)} {result['hhi']:.3f}, "
        f"{t('top1_share', lang)} {result['top1_share']:.1%}, {t('top3_share', lang)} {result['top3_share']:.1%}"
    )
    print_frame(
        pd.DataFrame(
            {"iso3": list(result["shares"]), t("share", lang): list(result["shares"].values())}
        )
    )
    for s in result["sources"]:
        out.print(f"{t('sources', lang)}: {s['title']} — {s['url']}", highlight=False)


@metrics_app.command("exposure")
@friendly
def metrics_exposure(
    country: Annotated[str, typer.Option(help="ISO3 code of the exposed country.")],
    mineral: Annotated[str, typer.Option(help="Mineral id.")],
    stage: Annotated[str, typer.Option(help="Stage id.")],
    origin: Annotated[str, typer.Option(help="ISO3 code of the origin.")] = "CHN",
    json_out: JsonOpt = False,
    lang: LangOpt = "en",
    data: DataOpt = None,
) -> None:
    """Share of a country's supply originating in a country, directly or via third countries."""
    from oreshock.core.i18n import t
    from oreshock.model.metrics import exposure

    result = exposure(_network(data), country, mineral, stage, origin).to_dict()
    if json_out:
        print_json(result)
        return
    out.print(
        f"{result['country']} {mineral}/{result['stage']} ← {result['origin']}: "
        f"{t('direct_share', lang)} {result['direct_share']:.1%}, {t('indirect_share', lang)} "
        f"{result['indirect_share']:.1%}, {t('total_share', lang)} {result['total_share']:.1%}"
    )


@metrics_app.command("demand-share")
@friendly
def metrics_demand_share(
    group: Annotated[str, typer.Option(help="Group id (g7, eu27, g7plus, quad) or ISO3 code.")],
    mineral: Annotated[
        str | None, typer.Option(help="Mineral id (default: every mineral with demand data).")
    ] = None,
    json_out: JsonOpt = False,
    data: DataOpt = None,
) -> None:
    """A group's share of world final use."""
    from oreshock.model.metrics import demand_share

    result = demand_share(_network(data), group, mineral)
    if json_out:
        print_json(result)
        return
    out.print(
        f"{group}: {result['share']:.1%} of world demand"
        + (f" for {mineral}" if mineral else " (mean over minerals with demand data)")
    )
    print_frame(
        pd.DataFrame(
            {"mineral": list(result["by_mineral"]), "share": list(result["by_mineral"].values())}
        )
    )


@metrics_app.command("dependency")
@friendly
def metrics_dependency(
    mineral: Annotated[str, typer.Option(help="Mineral id.")],
    country: Annotated[str | None, typer.Option(help="Only this ISO3 code.")] = None,
    json_out: JsonOpt = False,
    data: DataOpt = None,
) -> None:
    """Per stage and country: production share, China-origin share, import reliance, supply risk."""
    from oreshock.model.metrics import dependency_table

    df = dependency_table(_network(data), mineral)
    if country:
        df = df[df["country"] == country.upper()]
    if json_out:
        print_json(df.to_dict("records"))
        return
    print_frame(df)


# ------------------------------------------------------------------------------ run


@app.command("run")
@friendly
def run(
    scenario: Annotated[str, typer.Argument(help="Shipped scenario name or path to a YAML file.")],
    variant: Annotated[
        list[str] | None,
        typer.Option("--variant", help="Variant to run (repeatable; default: all)."),
    ] = None,
    months: Annotated[
        int | None, typer.Option(help="Override the horizon in months.", min=1, max=600)
    ] = None,
    seed: Annotated[int, typer.Option(help="Random seed recorded with the run.")] = 0,
    country: Annotated[str, typer.Option(help="Country the comparison table is about.")] = "JPN",
    db: DbOpt = None,
    json_out: JsonOpt = False,
    lang: LangOpt = "en",
    data: DataOpt = None,
) -> None:
    """Run a scenario's variants, store each run, and compare them."""
    from oreshock.core.i18n import t
    from oreshock.model.scenario import open_scenario
    from oreshock.model.variants import claim_check, claim_line, comparison_table, run_variants
    from oreshock.store.store import Store

    file = open_scenario(scenario)
    names = variant or list(file.variants) or [None]
    for name in variant or []:
        file.resolve(name)
    from oreshock.model.network import build_network

    dataset = _dataset(data)
    network = build_network(dataset)
    results = []
    with Progress(console=err, transient=True, disable=json_out) as progress:
        task = progress.add_task("simulating", total=len(names))
        for name in names:
            results.extend(
                run_variants(
                    scenario, network, variants=[name] if name else None, months=months, seed=seed
                )[:1]
            )
            progress.advance(task)
    with Store(db) as store:
        run_ids = [store.save_run(r) for r in results]
    if json_out:
        print_json(
            {
                "runs": [
                    {
                        "variant": r.scenario.variant or "base",
                        "run_id": rid,
                        "summary": r.summary_records(),
                    }
                    for r, rid in zip(results, run_ids, strict=True)
                ]
            }
        )
        return
    code = country.upper()
    for mineral in results[0].runs:
        names = stage_names(dataset, mineral, lang)
        table = comparison_table(results, code, mineral, lang, names)
        if table.empty:
            continue
        table["run_id"] = run_ids
        title = f"{label(dataset, 'countries', 'iso3', code, lang)} · "
        title += f"{label(dataset, 'minerals', 'mineral', mineral, lang)}: "
        print_frame(table, title=title + t("months_to_shortfall", lang))
        if mineral == "rare_earths" and code == "JPN":  # the claim is about Japan
            out.print(t("claim_title", lang), soft_wrap=True)
            for r in results:
                check = claim_check(r, code, mineral)
                line = claim_line(check, lang, names)
                out.print(
                    f"  {r.scenario.variant or 'base'}: {line}", highlight=False, soft_wrap=True
                )


@app.command("scenarios")
@friendly
def scenarios(json_out: JsonOpt = False) -> None:
    """Shipped scenarios and their variants."""
    from oreshock.model.scenario import open_scenario, shipped_scenarios

    rows = []
    for name, path in shipped_scenarios().items():
        file = open_scenario(path)
        rows.append(
            {"name": name, "title": file.doc.get("title_en", ""), "variants": list(file.variants)}
        )
    if json_out:
        print_json(rows)
        return
    print_frame(pd.DataFrame([{**r, "variants": ", ".join(r["variants"])} for r in rows]))


# ----------------------------------------------------------------------------- runs


@runs_app.command("list")
@friendly
def runs_list(db: DbOpt = None, json_out: JsonOpt = False) -> None:
    """Stored runs."""
    from oreshock.store.store import Store

    with Store(db) as store:
        df = store.list_runs()
    if json_out:
        print_json(json.loads(df.to_json(orient="records", date_format="iso")))
        return
    print_frame(df)


@runs_app.command("show")
@friendly
def runs_show(run_id: str, db: DbOpt = None, json_out: JsonOpt = False) -> None:
    """A run's provenance and summary."""
    from oreshock.store.store import Store

    with Store(db) as store:
        record = store.run(run_id)
    if json_out:
        print_json(record)
        return
    for key in (
        "run_id",
        "created",
        "scenario",
        "variant",
        "months",
        "start_month",
        "seed",
        "dataset_name",
        "dataset_version",
        "dataset_hash",
        "code_version",
    ):
        out.print(f"{key}: {record[key]}", highlight=False)
    summary = pd.DataFrame(record["summary"])
    if not summary.empty:
        summary = summary[summary["cumulative_shortfall_pct"] > 0]
    print_frame(summary, title="shortfalls")


@runs_app.command("compare")
@friendly
def runs_compare(
    run_ids: Annotated[list[str], typer.Argument(help="Two or more run ids.")],
    country: Annotated[str | None, typer.Option(help="Only this ISO3 code.")] = None,
    db: DbOpt = None,
    json_out: JsonOpt = False,
) -> None:
    """Side-by-side summaries of stored runs."""
    from oreshock.store.store import Store

    frames = []
    with Store(db) as store:
        for rid in run_ids:
            record = store.run(rid)
            df = pd.DataFrame(record["summary"])
            df.insert(0, "run", f"{rid} ({record['variant'] or 'base'})")
            frames.append(df)
    table = pd.concat(frames, ignore_index=True)
    if country:
        table = table[table["country"] == country.upper()]
    if json_out:
        print_json(json.loads(table.to_json(orient="records")))
        return
    print_frame(table)


@runs_app.command("export")
@friendly
def runs_export(
    run_id: str,
    out_dir: Annotated[
        Path, typer.Option("--out", help="Folder to write timeseries and flows into.")
    ],
    db: DbOpt = None,
) -> None:
    """Write timeseries.parquet and flows.parquet (and CSV copies)."""
    from oreshock.store.store import Store

    with Store(db) as store:
        files = store.export_run(run_id, out_dir)
    for f in files:
        out.print(str(f))


@runs_app.command("delete")
@friendly
def runs_delete(run_id: str, db: DbOpt = None) -> None:
    """Delete a stored run."""
    from oreshock.store.store import Store

    with Store(db) as store:
        store.delete_run(run_id)
    out.print(f"deleted {run_id}")


@runs_app.command("rerun")
@friendly
def runs_rerun(
    run_id: str,
    db: DbOpt = None,
    data: DataOpt = None,
    json_out: JsonOpt = False,
) -> None:
    """Run a stored run again from its record and check that the results are identical."""
    from oreshock.model.network import build_network
    from oreshock.model.scenario import Scenario
    from oreshock.model.simulate import simulate
    from oreshock.store.store import Store

    with Store(db) as store:
        record = store.run(run_id)
    dataset = _dataset(data)
    if dataset.content_hash != record["dataset_hash"]:
        raise OreshockError(
            f"run {run_id} used dataset {record['dataset_name']} {record['dataset_version']} "
            f"(hash {record['dataset_hash'][:16]}); this dataset's hash is "
            f"{dataset.content_hash[:16]}: pass --data with the dataset it used"
        )
    scenario = Scenario.model_validate(record["scenario_json"])
    result = simulate(build_network(dataset), scenario, seed=int(record["seed"]))
    with Store(db) as store:
        new_id = store.save_run(result)
    identical = result.summary_records() == record["summary"]
    report = {"run_id": new_id, "rerun_of": run_id, "identical": identical}
    if json_out:
        print_json(report)
    else:
        verdict = "identical to" if identical else "DIFFERENT from"
        out.print(f"{new_id}: summary {verdict} {run_id}")
    if not identical:
        raise typer.Exit(1)


def main() -> None:  # pragma: no cover - console entry point
    app(sys.argv[1:])
