"""``oreshock data list|show|coverage|validate|import``: the dataset's tables, what they
cover, their checks, and published files read into the database or into an extended
dataset."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any

import pandas as pd
import typer

from oreshock.cli.common import (
    DataOpt,
    DbOpt,
    JsonOpt,
    LangOpt,
    friendly,
    out,
    print_frame,
    print_json,
    say,
)
from oreshock.core.errors import DataFileError, OreshockError
from oreshock.core.i18n import t
from oreshock.data.coverage_table import coverage_records, coverage_text
from oreshock.data.datasets import bundled_path, load_dataset
from oreshock.data.extend import SwapError, check_target, extending
from oreshock.data.loaders import load_baci, load_comtrade, load_usgs
from oreshock.store.store import Store

Tables = dict[str, pd.DataFrame]
Reader = Callable[[Path], pd.DataFrame | dict[str, pd.DataFrame]]
READERS: dict[str, Reader] = {"usgs": load_usgs, "baci": load_baci, "comtrade": load_comtrade}


def data_list(json_out: JsonOpt = False, data: DataOpt = None, lang: LangOpt = "en") -> None:
    """Tables of the dataset with row counts and file hashes."""
    ds = load_dataset(data)
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
    out.print(
        t(
            "lr_dataset_line",
            lang,
            name=ds.name,
            version=ds.version,
            year=ds.base_year,
            digest=ds.content_hash[:16],
        ),
        highlight=False,
    )
    print_frame(pd.DataFrame(rows), lang=lang)


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
    lang: LangOpt = "en",
) -> None:
    """Show one table, optionally filtered."""
    ds = load_dataset(data)
    df = ds.table(name)
    if mineral and "mineral" in df:
        ds.check_mineral(mineral)
        df = df[df["mineral"] == mineral]
    if stage and "stage" in df:
        df = df[df["stage"] == stage]
    if country:
        code = country.upper()
        cols = [c for c in ("iso3", "importer", "exporter") if c in df]
        df = df[(df[cols] == code).any(axis=1)] if cols else df
    if json_out:
        print_json(json.loads(df.to_json(orient="records", force_ascii=False)))
        return
    print_frame(df, title=name, lang=lang)


def data_coverage(
    mineral: Annotated[str | None, typer.Option(help="Only this mineral or product.")] = None,
    lang: LangOpt = "en",
    json_out: JsonOpt = False,
    data: DataOpt = None,
) -> None:
    """Per mineral and stage: for how many countries the dataset has production, demand,
    trade, stocks, capacity and recycling, and how many rest on reported, estimated or
    assumed rows (rules: ``oreshock.data.coverage_table``)."""
    ds = load_dataset(data)
    if json_out:
        print_json(
            {"dataset": ds.name, "version": ds.version, "rows": coverage_records(ds, mineral)}
        )
        return
    print_frame(coverage_text(ds, lang, mineral), title=t("cov_title", lang))
    out.print(t("cov_rules", lang), highlight=False, markup=False)


def data_validate(
    path: Annotated[Path | None, typer.Argument(help="Dataset folder (default: bundled).")] = None,
    lang: LangOpt = "en",
) -> None:
    """Check every table and list all problems (exit 1 if any).

    The checks are those of every command that loads a dataset (``load_dataset``): the
    manifest and its sha256 of each file, each file's shape, columns, values, keys, codes,
    units, share sums, world totals, and that the derived tables balance.
    """
    folder = path or bundled_path()
    try:
        ds = load_dataset(folder)
    except DataFileError as exc:
        for p in exc.problems:
            out.print(str(p), highlight=False, markup=False)
        out.print(t("lr_problems", lang, n=len(exc.problems), folder=folder), highlight=False)
        raise typer.Exit(1) from None
    out.print(
        t(
            "lr_tables_valid",
            lang,
            folder=folder,
            n=len(ds.files),
            name=ds.name,
            version=ds.version,
        ),
        highlight=False,
    )


def _record(db: Path | None, kind: str, file: Path, sha: str, tables: Tables) -> str:
    """Record the rows read in the results database (one transaction); the import id."""
    with Store(db) as store:
        return store.save_import(kind, str(file), sha, tables)


def _import_into(
    into: Path, db: Path | None, kind: str, file: Path, sha: str, tables: Tables
) -> tuple[str, dict[str, int]]:
    """Extend ``into`` and record the import, in the order ``oreshock.data.extend`` states:
    the new folder is validated in its temporary place, the import recorded, then the folder
    swapped in, so a folder never holds rows the store has no record of."""
    import_id = ""
    try:
        with extending(into, tables, str(file)) as staged:
            import_id = _record(db, kind, file, sha, tables)
    except SwapError as exc:
        raise OreshockError(
            f"{exc}; the import was recorded as {import_id}; import the file again to extend "
            "the folder (its rows replace those with the same key)"
        ) from None
    return import_id, staged.merged


def data_import(
    kind: Annotated[str, typer.Argument(help="usgs, baci or comtrade")],
    file: Annotated[Path, typer.Argument(help="The file as published.")],
    into: Annotated[
        Path | None,
        typer.Option(help="Dataset folder to extend (created from the bundled one if new)."),
    ] = None,
    db: DbOpt = None,
    json_out: JsonOpt = False,
    lang: LangOpt = "en",
) -> None:
    """Read a published file; record its rows in the database and optionally extend a dataset.

    Nothing is written when the file is refused or ``--into`` names a non-empty folder that
    is not a dataset folder; the extended folder replaces the old one whole (see
    ``oreshock.data.extend``).
    """
    if kind not in READERS:
        raise OreshockError(f"unknown import kind {kind!r}; expected one of: {', '.join(READERS)}")
    if not file.exists():
        raise OreshockError(f"{file}: no such file")
    if into:
        check_target(into)
    loaded = READERS[kind](file)
    tables = loaded if isinstance(loaded, dict) else {"trade": loaded}
    sha = hashlib.sha256(file.read_bytes()).hexdigest()
    if into:
        import_id, merged = _import_into(into, db, kind, file, sha, tables)
    else:
        import_id, merged = _record(db, kind, file, sha, tables), {}
    counts = {name: len(df) for name, df in tables.items()}
    report: dict[str, Any] = {
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
    say(t("lr_imported", lang, n=sum(counts.values()), file=file, id=import_id, counts=counts))
    if into:
        say(t("lr_extended", lang, folder=into, merged=merged))


def register(app: typer.Typer) -> None:
    """Add the ``data`` sub-app to the main CLI."""
    sub = typer.Typer(
        no_args_is_help=True, help="The bundled dataset: list, show, coverage, validate, import."
    )
    sub.command("list")(friendly(data_list))
    sub.command("show")(friendly(data_show))
    sub.command("coverage")(friendly(data_coverage))
    sub.command("validate")(friendly(data_validate))
    sub.command("import")(friendly(data_import))
    app.add_typer(sub, name="data")
