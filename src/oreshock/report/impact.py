"""A run's impact on output and GDP in words and table rows a person reads (en/ja, names
not ids), for the terminal (``oreshock impact``, ``run --impact``), the report and the
dashboard alike."""

from __future__ import annotations

from typing import Any

from oreshock.core.i18n import t
from oreshock.report.text import Names

TOP_COUNTRIES = 6


def region_name(code: str, names: Names, info: dict[str, Any] | None = None) -> str:
    """A table region by name: the dataset's name of the country or EU rest, the table's
    own name of a region the dataset does not list (Taiwan), or the rest of the world."""
    if code == "ROW":
        return names.country("OTH")
    if code in names.countries:
        return names.country(code)
    own = ((info or {}).get("region_names") or {}).get(code, {})
    return str(own.get(names.lang) or own.get("en") or code)


def sector_name(sector: str, info: dict[str, Any], lang: str) -> str:
    return str((info.get("sector_names") or {}).get(sector, {}).get(lang) or sector)


def method_name(method: str, lang: str) -> str:
    return t(f"imp_method_{method}", lang)


def bn(usd: float) -> str:
    return f"{usd / 1e9:,.1f}"


def country_rows(record: dict[str, Any], names: Names, lang: str) -> list[dict[str, str]]:
    """The regions losing most (largest GDP share first), as display rows."""
    info = record["table_info"]
    return [
        {
            t("country", lang): region_name(c["country"], names, info),
            t("imp_gdp_horizon", lang): f"{c['gdp_loss_pct_horizon']:.3f}",
            t("imp_gdp_quarter", lang): f"{c['gdp_loss_pct_worst_quarter']:.3f}",
            t("imp_va", lang): bn(c["value_added_loss_usd"]),
            t("imp_output", lang): bn(c["output_loss_usd"]),
        }
        for c in record["countries"][:TOP_COUNTRIES]
    ]


def sector_rows(country: dict[str, Any], info: dict[str, Any], lang: str) -> list[dict[str, str]]:
    """A region's industries, largest value added lost first, as display rows."""
    ordered = sorted(country["sectors"], key=lambda s: -float(s["value_added_loss_usd"]))
    return [
        {
            t("imp_industry", lang): sector_name(s["sector"], info, lang),
            t("imp_va", lang): bn(s["value_added_loss_usd"]),
            t("imp_output", lang): bn(s["output_loss_usd"]),
        }
        for s in ordered
    ]


def by_method_sentence(record: dict[str, Any], lang: str) -> str:
    values = ", ".join(
        f"{method_name(m, lang)} {bn(v['value_added_loss_usd'])}"
        for m, v in record["by_method"].items()
    )
    return t("imp_by_method", lang, values=values)


def coverage_sentence(coverage: dict[str, Any], names: Names, lang: str) -> str:
    """What the bridge valued and what it could not, by mineral and end use (names)."""
    missing: dict[str, float] = {}
    for row in coverage["not_valued"]:
        if float(row["tonnes_short"]) < 0.5:
            continue  # would print as 0 t
        use = row.get(f"name_{lang}") or names.stage(row["mineral"], row["stage"])
        label = f"{names.mineral(row['mineral'])} ({use})"
        missing[label] = missing.get(label, 0.0) + float(row["tonnes_short"])
    sep = "、" if lang == "ja" else "; "
    listed = sep.join(f"{k} {v:,.0f} t" for k, v in sorted(missing.items(), key=lambda kv: -kv[1]))
    total = coverage["tonnes_short_valued"] + coverage["tonnes_short_not_valued"]
    return t(
        "imp_coverage", lang, share=coverage["share_valued"], tonnes=total, missing=listed or "-"
    )


def money_sentence(record: dict[str, Any], lang: str, base_year: int) -> str:
    notes = " ".join(n.get(lang) or n.get("en", "") for n in record["coverage"].get("notes", []))
    year = record["table_info"].get("year") or "?"
    return t("imp_money", lang, year=base_year, table_year=year, notes=notes)


def title(record: dict[str, Any], lang: str) -> str:
    return t(
        "imp_title",
        lang,
        method=method_name(record["method"], lang),
        table=record["table"],
        run_id=record["run_id"],
    )


def section(record: dict[str, Any] | None, names: Names, lang: str, base_year: int) -> dict | None:
    """What the report's and the dashboard's impact section shows (None: no impact stored)."""
    if record is None:
        return None
    first = record["countries"][0] if record["countries"] else None
    info = record["table_info"]
    heading = None
    if first:
        heading = t("imp_sectors_of", lang, country=region_name(first["country"], names, info))
    return {
        "title": title(record, lang),
        "countries": country_rows(record, names, lang),
        "sectors_title": heading,
        "sectors": sector_rows(first, record["table_info"], lang) if first else [],
        "none": None if first else t("imp_none", lang),
        "notes": [
            by_method_sentence(record, lang),
            coverage_sentence(record["coverage"], names, lang),
            money_sentence(record, lang, base_year),
        ],
        "record": record,
    }
