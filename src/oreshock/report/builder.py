"""Reports of a stored run in Japanese or English, as standalone HTML or PDF.

Every number in the text comes from the stored run (or, for base-year structure, from the
dataset the run used) and is written as ``<data value=... data-field=...>``, so a test can
parse each one back and compare it with the store. The same ``report_data`` feeds the HTTP
API, so the dashboard and the file say the same thing.
"""

from __future__ import annotations

import json
import math
import os
import shutil
import subprocess
import tempfile
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from oreshock.core.atomic import write_file, write_text
from oreshock.core.errors import OreshockError
from oreshock.core.i18n import LANGUAGES, t
from oreshock.core.months import add_months
from oreshock.core.options import get_option
from oreshock.data.datasets import Dataset, load_dataset
from oreshock.model.metrics import concentration, exposure, origin_composition
from oreshock.model.network import Network, build_network
from oreshock.report import charts as charts
from oreshock.report.assumptions import assumption_rows
from oreshock.report.impact import section as impact_section
from oreshock.report.text import (
    Names,
    coverage_sentences,
    focus_countries,
    frame,
    month_label,
    month_num,
    pct,
    sentence,
    sibling_runs,
    summary_sentences,
    tonnes,
    variant_name,
)
from oreshock.report.text import path as _path
from oreshock.store.impacts import get_impact, impact_tables
from oreshock.store.store import Store, default_path, open_read

FORMATS = ("html", "pdf")
#: Paper sizes a PDF report is printed on, as CSS ``@page size`` names (A4 unless told).
PAPERS = {"a4": "A4", "letter": "Letter"}
CHROMIUM_FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
)


def run_months(record: dict) -> list[str]:
    """A stored run's months as ``YYYY-MM``: the x axis of its charts and the month of its
    fields."""
    return [add_months(record["start_month"], k) for k in range(int(record["months"]))]


def analysis(
    record: dict,
    ts: pd.DataFrame,
    flows: pd.DataFrame,
    names: Names,
    ds: Dataset,
    network: Network,
) -> tuple[list[dict], list[dict]]:
    """解説: why it happened (origins, imports, stocks) and the charts that show it."""
    lang, rid = names.lang, record["run_id"]
    scen, start = record["scenario_json"], record["start_month"]
    summary = frame(record["summary"])
    n_months = int(record["months"])
    month_axis = labels = run_months(record)
    text: list[dict] = []
    figs: list[dict] = []
    focus = focus_countries(scen, summary)
    origin = next(
        (
            s.get("exporter") or s.get("origin")
            for s in scen.get("shocks", [])
            if s.get("exporter") or s.get("origin")
        ),
        "CHN",
    )
    for iso3 in focus[:2]:
        rows = summary[summary["country"] == iso3]
        if rows.empty:
            continue
        worst = rows.sort_values("cumulative_shortfall_pct", ascending=False).iloc[0]
        mineral, stage = worst["mineral"], worst["stage"]
        cname, sname = names.country(iso3), names.product(mineral, stage)
        if network is not None and mineral in network.chains:
            ex = exposure(network, iso3, mineral, stage, origin)
            base = f"dataset|exposure|{iso3}|{mineral}|{stage}|{origin}|"
            text.append(
                sentence(
                    "rep_why_origin",
                    lang,
                    country=cname,
                    stage=sname,
                    origin=names.country(origin),
                    share=pct(100 * ex.total_share, base + "total_share"),
                    direct=pct(100 * ex.direct_share, base + "direct_share"),
                    indirect=pct(100 * ex.indirect_share, base + "indirect_share"),
                )
            )
        imports = _path(ts, iso3, mineral, stage, "imports")
        if imports.size:
            base = f"{rid}|ts|{iso3}|{mineral}|{stage}|imports|"
            text.append(
                sentence(
                    "rep_why_imports",
                    lang,
                    country=cname,
                    stage=sname,
                    before=tonnes(imports[0], base + month_axis[0]),
                    after=tonnes(imports[-1], base + month_axis[-1]),
                    m0=month_label(start, 0, lang),
                    m1=month_label(start, n_months - 1, lang),
                )
            )
        stock = _path(ts, iso3, mineral, stage, "stock")
        if stock.size and stock[0] > 0:
            gone = np.nonzero(stock <= 1e-6 * stock[0])[0]
            if gone.size:
                k = int(gone[0])
                text.append(
                    sentence(
                        "rep_why_stock",
                        lang,
                        initial=tonnes(
                            stock[0], f"{rid}|ts|{iso3}|{mineral}|{stage}|stock|{month_axis[0]}"
                        ),
                        month=month_num(
                            start, k, f"{rid}|ts|{iso3}|{mineral}|{stage}|stock_gone", lang
                        ),
                    )
                )
        pile = _path(ts, iso3, mineral, stage, "stockpile")
        if pile.size and pile[0] > 0:
            base = f"{rid}|ts|{iso3}|{mineral}|{stage}|stockpile|"
            text.append(
                sentence(
                    "rep_why_stockpile",
                    lang,
                    initial=tonnes(pile[0], base + month_axis[0]),
                    last=tonnes(pile[-1], base + month_axis[-1]),
                )
            )
        figs += charts.path_charts(ts, summary, names, iso3, mineral, stage, labels)
        if network is not None and mineral in network.chains:
            chain = network.chain(mineral)
            figs += charts.sankey_charts(
                chain,
                origin_composition(chain),
                flows,
                ts,
                names,
                iso3,
                mineral,
                stage,
                start,
                n_months,
            )
            figs += charts.supplier_maps(
                chain, flows, ts, names, iso3, mineral, stage, start, n_months
            )
            try:
                conc = concentration(ds, mineral, stage)
            except OreshockError:
                conc = None
            if conc is not None:
                title = t(
                    "chart_map",
                    lang,
                    mineral=names.mineral(mineral),
                    stage=names.stage(mineral, stage),
                    year=conc.year,
                )
                figs.append(
                    {
                        "id": f"map-{iso3}",
                        "title": title,
                        "svg": charts.bubble_map(conc.shares, title, names.countries),
                    }
                )
    return text, figs


def sources(dataset: Dataset, minerals: list[str]) -> list[dict]:
    """Sources cited by the dataset rows about the run's minerals."""
    frames = []
    for name in dataset.tables():
        cols = dataset.table(name).columns
        if "source_id" in cols and "mineral" in cols:
            frames.append(dataset.sources_for(name, "list_contains(?, t.mineral)", [minerals]))
    if not frames:
        return []
    ids = pd.concat(frames)["source_id"].unique().tolist()
    table = dataset.table("sources")
    table = table[table["source_id"].isin(ids)].sort_values("source_id")
    return json.loads(table.to_json(orient="records", force_ascii=False))


def build_context(dataset: Dataset | None = None) -> tuple[Dataset, Network]:
    """Dataset and network for names, base-year structure and sources (bundled by default)."""
    ds = dataset or load_dataset()
    return ds, build_network(ds)


def report_data(
    store: Store, run_id: str, lang: str = "en", context: tuple[Dataset, Network] | None = None
) -> dict:
    """Everything a report shows, as JSON-able data (the API's report endpoint returns it)."""
    if lang not in LANGUAGES:
        raise OreshockError(f"unknown language {lang!r}; expected one of: {', '.join(LANGUAGES)}")
    record = store.run(run_id)
    store.require_intact(run_id)  # a report of a damaged run would state wrong numbers
    ts = store.timeseries(run_id)
    flows = store.flows(run_id)
    sectors = store.sectors(run_id)
    siblings = sibling_runs(store, record)
    ds, network = context or build_context()
    names = Names(ds, lang)
    summary = summary_sentences(record, siblings, names, sectors)
    text, figures = analysis(record, ts, flows, names, ds, network)
    figures += end_uses(store, record, sectors, names)
    figures += compared(store, record, siblings, names)
    scen = record["scenario_json"]
    minerals = sorted(frame(record["summary"])["mineral"].unique().tolist())
    notes = []
    if record["dataset_hash"] != ds.content_hash:
        notes.append(
            t(
                "dataset_mismatch",
                lang,
                run_hash=record["dataset_hash"][:12],
                now_hash=ds.content_hash[:12],
            )
        )
    return {
        "lang": lang,
        "run_id": run_id,
        "title": scen.get(f"title_{lang}") or scen.get("title_en") or scen["name"],
        "variant": record["variant"],
        "variant_name": variant_name(record, lang) if record["variant"] else "",
        "summary": summary,
        "analysis": text,
        "figures": figures,
        "stages": named_rows(frame(record["summary"]), names),
        "variants": [
            {
                "run_id": r["run_id"],
                "variant": variant_name(r, lang),
                "summary": named_rows(frame(r["summary"]), names),
            }
            for r in siblings
        ],
        "assumptions": assumption_rows(scen, names),
        "sources": sources(ds, minerals),
        "provenance": {
            k: str(record[k])[:19] if k == "created" else record[k]  # to the second
            for k in (
                "run_id",
                "created",
                "scenario",
                "variant",
                "dataset_name",
                "dataset_version",
                "dataset_hash",
                "code_version",
                "seed",
            )
        },
        "notes": notes,
        "coverage": record.get("coverage"),
        "coverage_text": coverage_sentences(record, lang),
        "impact": impact_section(stored_impact(store, run_id), names, lang, ds.base_year),
    }


def end_uses(store: Store, record: dict, sectors: pd.DataFrame, names: Names) -> list[dict]:
    """Shortfall by end use over time for the first focus country (none for a run stored
    before the store kept end-use series)."""
    focus = focus_countries(record["scenario_json"], frame(record["summary"]))
    if not focus:
        return []
    series = store.sector_series(record["run_id"])
    return charts.end_use_chart(series, sectors, names, focus[0], run_months(record))


def compared(store: Store, record: dict, siblings: list[dict], names: Names) -> list[dict]:
    """Charts of the stored variants overlaid (shortfall, stock cover, price) for the
    focus country's hardest-hit stage; none when the run has no stored siblings."""
    summary = frame(record["summary"])
    focus = focus_countries(record["scenario_json"], summary)
    if len(siblings) < 2 or not focus:
        return []
    rows = summary[summary["country"] == focus[0]]
    if rows.empty:
        return []
    worst = rows.sort_values("cumulative_shortfall_pct", ascending=False).iloc[0]
    mineral, stage = str(worst["mineral"]), str(worst["stage"])
    cases = {
        variant_name(r, names.lang): stage_series(store, r["run_id"], mineral, stage)
        for r in siblings
    }
    return charts.variant_charts(cases, names, focus[0], mineral, stage, run_months(record))


def stage_series(store: Store, run_id: str, mineral: str, stage: str) -> pd.DataFrame:
    """One stage's time series of a stored run, filtered in DuckDB: a run's whole table
    (every stage of every country) took seconds to read for each variant compared."""
    return store.con.execute(
        "SELECT month, country, mineral, stage, variable, value FROM timeseries "
        "WHERE run_id = ? AND mineral = ? AND stage = ? ORDER BY country, variable, month",
        [run_id, mineral, stage],
    ).df()


def named_rows(summary: pd.DataFrame, names: Names) -> list[dict]:
    """Summary rows with the country, mineral and stage also by name in the reader's
    language (``country_name``...): tables a person reads show names, the ids stay for
    programs."""
    rows = summary.to_dict("records")
    for row in rows:
        row["country_name"] = names.country(row["country"])
        row["mineral_name"] = names.mineral(row["mineral"])
        row["stage_name"] = names.stage(row["mineral"], row["stage"])
        row["product_name"] = names.product(row["mineral"], row["stage"])
    return rows


def stored_impact(store: Store, run_id: str) -> dict | None:
    """The run's newest stored impact, or None when it has none (``oreshock impact``)."""
    return get_impact(store, run_id) if impact_tables(store, run_id) else None


def check_paper(paper: str) -> str:
    """The CSS page size of ``paper`` (``a4`` or ``letter``); anything else is refused."""
    if paper not in PAPERS:
        raise OreshockError(f"unknown paper {paper!r}; expected one of: {', '.join(PAPERS)}")
    return PAPERS[paper]


def render_template(name: str, data: dict, paper: str = "a4") -> str:
    """A page of ``report/templates`` rendered with ``data`` (``d``) in its language, with
    the ``t`` of the catalogue and the filters the pages share. ``paper`` sets the CSS
    ``@page`` size, which Chromium follows when it prints the PDF (and a browser when a
    reader prints the HTML)."""
    page_size = check_paper(paper)
    # Lazy: jinja2 (it loads asyncio) would add ~20 ms to every CLI start; only rendering needs it.
    from jinja2 import Environment, PackageLoader, select_autoescape

    env = Environment(
        loader=PackageLoader("oreshock.report", "templates"), autoescape=select_autoescape(["html"])
    )
    env.globals["t"] = t
    env.filters["num"] = _num_cell
    env.filters["months"] = _months_cell
    return env.get_template(name).render(d=data, lang=data["lang"], page_size=page_size)


def render_html(data: dict, paper: str = "a4") -> str:
    """The standalone HTML page of a report (inline SVG, inline CSS, no external files)."""
    return render_template("report.html", data, paper)


def _months_cell(value: Any, never: str) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return never
    return str(int(value))


def _num_cell(value: Any) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "–"
    if isinstance(value, float):
        return f"{value:.1f}"
    return str(value)


def html_to_pdf(
    html: str, out: Path, chromium: str | Path | None = None, timeout: float = 120
) -> Path:
    """Print HTML to PDF with headless Chromium (same engine as the dashboard tests); the
    ``chromium`` option names it, else it is looked up on PATH."""
    chromium = Path(chromium) if chromium is not None else get_option("chromium")
    exe = (
        str(chromium)
        if chromium.exists()
        else shutil.which("chromium") or shutil.which("chromium-browser")
    )
    if not exe:
        raise OreshockError(
            f"PDF needs Chromium at {chromium}; install it with scripts/install-system-deps.sh "
            "or write --format html"
        )
    with tempfile.TemporaryDirectory(prefix="oreshock-pdf-") as tmp:
        page = Path(tmp) / "report.html"
        page.write_text(html, "utf-8")
        target = Path(tmp) / "report.pdf"
        cmd = [
            exe,
            *CHROMIUM_FLAGS,
            f"--user-data-dir={Path(tmp) / 'profile'}",
            "--no-pdf-header-footer",
            f"--print-to-pdf={target}",
            page.as_uri(),
        ]
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, check=False)
        if proc.returncode != 0 or not target.exists():
            raise OreshockError(f"chromium could not print the PDF: {proc.stderr.strip()[-500:]}")
        out.parent.mkdir(parents=True, exist_ok=True)
        tmp_out = out.with_name(out.name + ".tmp")
        shutil.copyfile(target, tmp_out)
        os.replace(tmp_out, out)
    return out


def pdf_bytes(html: str) -> bytes:
    """HTML printed to PDF (``html_to_pdf``) and read back: what a server sends."""
    with tempfile.TemporaryDirectory(prefix="oreshock-pdf-") as tmp:
        return html_to_pdf(html, Path(tmp) / "report.pdf").read_bytes()


def write_report(
    run_id: str,
    out: str | Path,
    *,
    lang: str = "en",
    fmt: str = "html",
    db_path: str | Path | None = None,
    data_path: str | Path | None = None,
    paper: str = "a4",
) -> Path:
    """Write the report of a stored run to ``out`` as HTML or PDF, on ``paper`` (a4 or
    letter) when printed.

    The file is written whole or not at all (``core.atomic.write_file``: a temporary file of
    its own beside ``out``, flushed, renamed over it), so a crash or two reports written to
    one name at once never leave a file cut short.
    """
    if fmt not in FORMATS:
        raise OreshockError(f"unknown format {fmt!r}; expected one of: {', '.join(FORMATS)}")
    check_paper(paper)  # refused before the store is read
    db = Path(db_path) if db_path else default_path()
    if not db.exists():
        raise OreshockError(f"no results database at {db}; run a scenario first (`oreshock run`)")
    context = build_context(load_dataset(data_path) if data_path else None)
    with open_read(db) as store:
        data = report_data(store, run_id, lang, context)
    html = render_html(data, paper)
    if fmt == "pdf":  # Chromium prints into the temporary file, flushed and renamed over out
        return write_file(out, lambda tmp: html_to_pdf(html, tmp))
    return write_text(out, html)
