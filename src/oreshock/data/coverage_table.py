"""What the dataset knows, per mineral and stage: the coverage table.

A run can only act on figures the dataset holds, and a figure the dataset holds may be
reported, estimated or assumed. This table says, for each mineral (or rare-earth product) and
stage, for how many countries the dataset has production, demand, trade, stocks, capacity and
recycling, and how many of those countries rest on reported, estimated or assumed rows. It is
computed from the tables themselves (one DuckDB query), so it cannot drift from the data:
``oreshock data coverage`` prints it, and ``python -m oreshock.data.coverage_table`` writes
docs/coverage.md, which a test compares with the dataset.

Counting rules, stated once:

- a country counts once per kind, with the best status among its rows (reported before
  estimated before assumed); ``OTH`` (the rest of the world) counts as one country, ``WLD``
  (world totals and world defaults) not at all; a world row (a world total, or a default for countries without their own row) is
  shown as ``world``;
- production: ``production.csv`` rows, ``stage_shares.csv`` rows (a country's share of a
  stage's world output) and, for rare-earth products, ``product_shares.csv`` rows of
  measure ``production``;
- trade: the importers named in ``trade.csv`` (bilateral tonnes) or ``import_shares.csv``
  (shares by partner), counted as importers;
- recycling: ``recycling.csv`` has no stage; its rows count at the mineral's last stage,
  where recovered material re-enters supply.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import pandas as pd

from oreshock.core.i18n import t
from oreshock.core.serialize import markdown_table
from oreshock.data.datasets import Dataset, load_dataset
from oreshock.data.loaders.common import hs_codes

KINDS = ("production", "demand", "trade", "stocks", "capacity", "recycling")
STATUSES = ("reported", "estimated", "assumed")

# One row per (kind, mineral, stage, country, status) that the dataset holds.
_ENTRIES = """
SELECT 'production' AS kind, mineral, stage, iso3, status FROM production
UNION ALL SELECT 'production', mineral, stage, iso3, status FROM stage_shares
UNION ALL SELECT 'production', product, stage, iso3, status FROM product_shares
    WHERE measure = 'production'
UNION ALL SELECT 'demand', mineral, stage, iso3, status FROM demand
UNION ALL SELECT 'trade', mineral, stage, importer, status FROM trade
UNION ALL SELECT 'trade', mineral, stage, importer, status FROM import_shares
UNION ALL SELECT 'stocks', mineral, stage, iso3, status FROM stocks
UNION ALL SELECT 'capacity', mineral, stage, iso3, status FROM capacity
UNION ALL SELECT 'recycling', r.mineral, last.stage, r.iso3, r.status FROM recycling r
    JOIN (SELECT mineral, arg_max(stage, "order") AS stage FROM stages GROUP BY mineral) last
    ON last.mineral = r.mineral
"""

# Best status per country, then counts per (kind, mineral, stage).
_COUNTS = f"""
WITH entries AS ({_ENTRIES}),
best AS (
    SELECT kind, mineral, stage, iso3,
           min(CASE status WHEN 'reported' THEN 0 WHEN 'estimated' THEN 1 ELSE 2 END) AS rank
    FROM entries GROUP BY ALL
)
SELECT kind, mineral, stage,
       count(*) FILTER (WHERE iso3 <> 'WLD') AS countries,
       count(*) FILTER (WHERE iso3 <> 'WLD' AND rank = 0) AS reported,
       count(*) FILTER (WHERE iso3 <> 'WLD' AND rank = 1) AS estimated,
       count(*) FILTER (WHERE iso3 <> 'WLD' AND rank = 2) AS assumed,
       bool_or(iso3 = 'WLD') AS world_default
FROM best GROUP BY ALL
"""


def _stage_order(ds: Dataset) -> tuple[list[str], list[str]]:
    """(mineral, stage) ids of every stage, minerals in the dataset's order, stages in chain
    order."""
    stages = ds.sql('SELECT mineral, stage, "order" FROM stages')
    stages["mineral_rank"] = stages["mineral"].map({m: k for k, m in enumerate(ds.minerals)})
    stages = stages.sort_values(["mineral_rank", "order"])
    return stages["mineral"].tolist(), stages["stage"].tolist()


def coverage_frame(ds: Dataset, mineral: str | None = None) -> pd.DataFrame:
    """One row per mineral and stage (in chain order) with counts for each kind.

    Columns: ``mineral``, ``stage``, then for each kind ``{kind}_countries``,
    ``{kind}_reported``, ``{kind}_estimated``, ``{kind}_assumed`` and ``{kind}_world``.
    """
    if mineral is not None:
        ds.check_mineral(mineral)
    minerals, stage_ids = _stage_order(ds)
    frame = pd.DataFrame({"mineral": minerals, "stage": stage_ids})
    counts = ds.sql(_COUNTS)
    for kind in KINDS:
        part = counts[counts["kind"] == kind].drop(columns="kind")
        part = part.rename(
            columns={c: f"{kind}_{c}" for c in ("countries", *STATUSES)}
            | {"world_default": f"{kind}_world"}
        )
        frame = frame.merge(part, on=["mineral", "stage"], how="left")
    numbers = [c for c in frame.columns if c.endswith(("_countries", *STATUSES))]
    frame[numbers] = frame[numbers].fillna(0).astype(int)
    worlds = [f"{kind}_world" for kind in KINDS]
    frame[worlds] = frame[worlds].astype("boolean").fillna(False).astype(bool)
    if mineral is not None:
        frame = frame[frame["mineral"] == mineral]
    return frame.reset_index(drop=True)


def cell_text(row: pd.Series, kind: str, lang: str = "en") -> str:
    """One cell as a person reads it: ``12: 10 reported, 2 estimated`` or ``missing``."""
    n = int(row[f"{kind}_countries"])
    world = bool(row[f"{kind}_world"])
    if n == 0 and not world:
        return t("cov_missing", lang)
    parts = [
        t(f"cov_{status}", lang, n=int(row[f"{kind}_{status}"]))
        for status in STATUSES
        if row[f"{kind}_{status}"]
    ]
    text = t("cov_countries", lang, n=n, statuses=", ".join(parts)) if n else ""
    if world:
        text = f"{text} + {t('cov_world', lang)}" if text else t("cov_world", lang)
    return text


def _names(ds: Dataset, lang: str) -> tuple[dict[str, str], dict[tuple[str, str], str]]:
    """Mineral and stage names in ``lang``."""
    column = f"name_{lang}"
    minerals = dict(zip(ds.table("minerals")["mineral"], ds.table("minerals")[column], strict=True))
    stages = ds.table("stages")
    stage_names = {
        (m, s): name
        for m, s, name in zip(stages["mineral"], stages["stage"], stages[column], strict=True)
    }
    return minerals, stage_names


def coverage_text(ds: Dataset, lang: str = "en", mineral: str | None = None) -> pd.DataFrame:
    """The coverage table with names and readable cells, in ``lang``."""
    frame = coverage_frame(ds, mineral)
    minerals, stages = _names(ds, lang)
    shown = pd.DataFrame(
        {
            t("mineral", lang): frame["mineral"].map(minerals),
            t("stage", lang): [
                stages[(m, s)] for m, s in zip(frame["mineral"], frame["stage"], strict=True)
            ],
        }
    )
    for kind in KINDS:
        shown[t(f"cov_{kind}", lang)] = [cell_text(row, kind, lang) for _, row in frame.iterrows()]
    return shown


def coverage_records(ds: Dataset, mineral: str | None = None) -> list[dict[str, Any]]:
    """The table as JSON records: per mineral and stage, per kind, counts by status."""
    frame = coverage_frame(ds, mineral)
    records = []
    for _, row in frame.iterrows():
        record: dict[str, Any] = {"mineral": row["mineral"], "stage": row["stage"]}
        for kind in KINDS:
            record[kind] = {
                "countries": int(row[f"{kind}_countries"]),
                **{status: int(row[f"{kind}_{status}"]) for status in STATUSES},
                "world": bool(row[f"{kind}_world"]),
            }
        records.append(record)
    return records


def hs_code_text(ds: Dataset, lang: str = "en") -> tuple[pd.DataFrame, list[str]]:
    """The HS codes the BACI and Comtrade loaders read, per mineral and stage, and the
    stages of the dataset that no HS code maps to (their trade cannot be rebuilt from
    customs files with these loaders)."""
    codes = hs_codes().reset_index()
    minerals, stages = _names(ds, lang)
    shown = pd.DataFrame(
        {
            "HS6": codes["hs6"],
            t("mineral", lang): codes["mineral"].map(minerals),
            t("stage", lang): [
                stages.get((m, s), s) for m, s in zip(codes["mineral"], codes["stage"], strict=True)
            ],
            t("cov_factor", lang): codes["factor"],
            "status": codes["status"],
            t("cov_hs_note", lang): codes["note"],
        }
    )
    mapped = set(zip(codes["mineral"], codes["stage"], strict=True))
    products = set(
        ds.sql("SELECT mineral FROM minerals WHERE coalesce(family, '') <> ''")["mineral"]
    )
    unmapped = [
        f"{minerals[m]} · {stages[(m, s)]}"
        for m, s in zip(*_stage_order(ds), strict=True)
        if (m, s) not in mapped and m not in products
    ]
    return shown, unmapped


def coverage_markdown(ds: Dataset) -> str:
    """docs/coverage.md: the rules and the tables, in English then Japanese."""
    sections = []
    for lang in ("en", "ja"):
        sections.append(f"## {t('cov_title', lang)}\n\n{t('cov_rules', lang)}\n")
        sections.append(markdown_table(coverage_text(ds, lang)) + "\n")
        codes, unmapped = hs_code_text(ds, lang)
        sections.append(f"### {t('cov_hs_title', lang)}\n\n{t('cov_hs_rules', lang)}\n")
        sections.append(markdown_table(codes) + "\n")
        sections.append(t("cov_hs_unmapped", lang, stages="; ".join(unmapped)) + "\n")
    header = (
        "# Data coverage / データの網羅状況\n\n"
        "<!-- Generated by `python -m oreshock.data.coverage_table` from the bundled dataset "
        f"{ds.name} {ds.version}; tests/test_data_coverage.py checks it is current. -->\n"
    )
    return header + "\n" + "\n".join(sections)


def main(argv: list[str] | None = None) -> None:
    """Write docs/coverage.md (or the path given) from the bundled dataset."""
    args = sys.argv[1:] if argv is None else argv
    target = Path(args[0]) if args else Path("docs/coverage.md")
    target.write_text(coverage_markdown(load_dataset()), encoding="utf-8")
    print(f"wrote {target}")


if __name__ == "__main__":
    main()
