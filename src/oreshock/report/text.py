"""The words of a report: sentences with every number tagged with where it came from.

Each number is a ``Num`` rendered as ``<data value=... data-field=...>``; names (countries,
stages, titles) are wrapped in ``<span class="name">`` so a test can check that every other
digit in the text is a tagged number read from the stored run.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass
from html import escape
from typing import Any

import numpy as np
import pandas as pd

from oreshock.core.i18n import t
from oreshock.core.months import add_months
from oreshock.data.datasets import Dataset
from oreshock.model.results import SUMMARY_COLUMNS
from oreshock.model.scenario import open_scenario, shipped_scenarios, variant_title
from oreshock.store.store import Store

SHOCK_TARGETS = ("export_ban", "reexport_control", "export_quota", "licence_delay", "licensing")


@dataclass(frozen=True)
class Num:
    """A number shown in text, with the raw value and the field it was read from."""

    value: float | int | str
    field: str
    shown: str

    def html(self) -> str:
        return (
            f'<data value="{escape(str(self.value))}" data-field="{escape(self.field)}">'
            f"{escape(self.shown)}</data>"
        )


def pct(value: float, field: str) -> Num:
    return Num(round(float(value), 1), field, f"{float(value):.1f}")


def tonnes(value: float, field: str) -> Num:
    return Num(round(float(value)), field, f"{float(value):,.0f}")


def month_label(start: str, offset: int, lang: str) -> str:
    """The month ``offset`` months after ``start`` as a reader writes it (2026年3月, Mar 2026)."""
    year, number = map(int, add_months(start, offset).split("-"))
    return f"{year}年{number}月" if lang == "ja" else dt.date(year, number, 1).strftime("%b %Y")


def month_num(start: str, offset: int, field: str, lang: str) -> Num:
    return Num(add_months(start, offset), field, month_label(start, offset, lang))


def _name_html(key: str, value: Any) -> str:
    """Names (countries, stages, titles) are marked so tests can tell them from numbers."""
    if key == "list":
        return str(value)
    return f'<span class="name">{escape(str(value))}</span>'


def sentence(key: str, lang: str, **parts: Any) -> dict:
    """One sentence: HTML with tagged numbers and the plain text."""
    html_parts = {k: v.html() if isinstance(v, Num) else _name_html(k, v) for k, v in parts.items()}
    text_parts = {k: v.shown if isinstance(v, Num) else str(v) for k, v in parts.items()}
    template = t(key, lang)
    return {
        "html": escape(template, quote=False).format(**html_parts),
        "text": template.format(**text_parts),
    }


class Names:
    """Country, stage and mineral names in one language, from the dataset."""

    def __init__(self, dataset: Dataset, lang: str) -> None:
        col = f"name_{lang}"
        self.lang = lang
        self.countries = dict(
            zip(dataset.table("countries")["iso3"], dataset.table("countries")[col], strict=True)
        )
        stages = dataset.table("stages")
        self.stages = {
            (m, s): n
            for m, s, n in zip(stages["mineral"], stages["stage"], stages[col], strict=True)
        }
        minerals = dataset.table("minerals")
        self.minerals = dict(zip(minerals["mineral"], minerals[col], strict=True))
        groups = dataset.table("groups")
        self.groups = dict(zip(groups["group"], groups[col], strict=True))

    def country(self, iso3: str) -> str:
        return self.countries.get(iso3, iso3)

    def group(self, group: str) -> str:
        """Members as ``--members`` takes them: a group's name (g7plus), else the country's
        of an ISO3 code."""
        return self.groups.get(group) or self.country(group.upper())

    def stage(self, mineral: str, stage: str) -> str:
        return self.stages.get((mineral, stage), stage)

    def mineral(self, mineral: str) -> str:
        return self.minerals.get(mineral, mineral)

    def cell(self, cell: str) -> str:
        """An ensemble's outcome cell ``COUNTRY.MINERAL.STAGE`` by name: "Japan,
        neodymium-praseodymium (metal)", 「日本・ネオジム・プラセオジム（金属）」."""
        country, mineral, stage = cell.split(".", 2)
        parts = self.country(country), self.mineral(mineral), self.stage(mineral, stage)
        return "{}・{}（{}）".format(*parts) if self.lang == "ja" else "{}, {} ({})".format(*parts)

    def product(self, mineral: str, stage: str) -> str:
        """A mineral at one stage by name ("イットリウムの分離精製（酸化物）"): the stage
        alone would not say which of a chain's products ran short; a one-stage chain
        (magnets) is named by its product alone."""
        if len(self.stages_of(mineral)) <= 1:
            return self.mineral(mineral)
        name = self.stage(mineral, stage)
        if self.lang == "en" and name[1:].split(" ")[0].islower():
            name = name[0].lower() + name[1:]  # "Yttrium separation", not "NdFeB" lowered
        return t("rep_product", self.lang, mineral=self.mineral(mineral), stage=name)

    def stages_of(self, mineral: str) -> dict[str, str]:
        """Stage ids of one mineral -> their names, for tables whose columns are stages."""
        return {s: n for (m, s), n in self.stages.items() if m == mineral}


def focus_countries(scenario: dict, summary: pd.DataFrame) -> list[str]:
    """Countries a scenario targets; else the ones hit hardest in the run."""
    found: list[str] = []
    for shock in scenario.get("shocks", []):
        if shock.get("type") in SHOCK_TARGETS and isinstance(shock.get("destinations"), list):
            found += [d for d in shock["destinations"] if d not in found]
    if found:
        return found[:3]
    if summary.empty:
        return []
    hit = summary[summary["cumulative_shortfall_pct"] > 0.05]
    worst = hit.groupby("country")["cumulative_shortfall_pct"].max().sort_values(ascending=False)
    return worst.index[:2].tolist()


def variant_name(record: dict, lang: str) -> str:
    """A stored run's variant as the reader names it (``scenario_variant_name`` of its stored
    scenario). Runs stored before variants had titles show their id."""
    scenario = record.get("scenario_json") or {}
    if isinstance(scenario, str):
        scenario = json.loads(scenario)
    return scenario_variant_name({**scenario, "variant": record.get("variant")}, lang)


def scenario_variant_name(scenario: dict, lang: str) -> str:
    """A scenario's variant (the scenario as data) as the reader names it
    (``model.scenario.variant_title``), "base" in ``lang`` for the base."""
    return variant_title(scenario, lang) or t("base", lang)


def sibling_runs(store: Store, record: dict) -> list[dict]:
    """The latest stored run of each variant of the same scenario (this run included)."""
    runs = store.list_runs()
    same = runs[(runs["scenario"] == record["scenario"]) & (runs["months"] == record["months"])]
    same = same.assign(variant=same["variant"].fillna("")).sort_values("created")
    latest = same.groupby("variant", sort=False).tail(1)
    chosen = {r: store.run(r) for r in latest["run_id"]}
    chosen[record["run_id"]] = record
    key = record["variant"] or ""
    return [rec for rec in chosen.values() if (rec["variant"] or "") != key or rec is record]


def frame(summary: list[dict]) -> pd.DataFrame:
    return pd.DataFrame(summary, columns=SUMMARY_COLUMNS)


def _fieldname(run_id: str, row: pd.Series | dict, column: str) -> str:
    return f"{run_id}|{row['country']}|{row['mineral']}|{row['stage']}|{column}"


def summary_sentences(
    record: dict, siblings: list[dict], names: Names, sectors: pd.DataFrame
) -> list[dict]:
    """要約: what happened, when, to whom, and how much each response helped."""
    lang, rid = names.lang, record["run_id"]
    scen = record["scenario_json"]
    summary = frame(record["summary"])
    start, months = record["start_month"], int(record["months"])
    title = scen.get(f"title_{lang}") or scen.get("title_en") or scen["name"]
    if record["variant"]:
        title += f" / {variant_name(record, lang)}"
    out = [
        sentence(
            "rep_scope",
            lang,
            title=title,
            months=Num(months, f"{rid}|months", str(months)),
            start=month_num(start, 0, f"{rid}|start", lang),
        )
    ]
    notes = coverage_sentences(record, lang)
    out += notes
    uncovered = {n["country"] for n in record.get("coverage") or []}
    for iso3 in focus_countries(scen, summary):
        rows = summary[summary["country"] == iso3]
        short = rows[rows["months_to_shortfall"].notna()]
        if short.empty and iso3 in uncovered:
            continue  # the coverage note says why: "never short" would read as an answer
        if short.empty:
            out.append(
                sentence(
                    "rep_no_short",
                    lang,
                    country=names.country(iso3),
                    months=Num(months, f"{rid}|months", str(months)),
                )
            )
            continue
        first = short.sort_values(["months_to_shortfall", "cumulative_shortfall_pct"]).iloc[0]
        m = int(first["months_to_shortfall"])
        out.append(
            sentence(
                "rep_first_short",
                lang,
                country=names.country(iso3),
                stage=names.product(first["mineral"], first["stage"]),
                month=month_num(start, m, _fieldname(rid, first, "first_shortfall_month"), lang),
                m=Num(m, _fieldname(rid, first, "months_to_shortfall"), str(m)),
                peak=pct(first["peak_shortfall_pct"], _fieldname(rid, first, "peak_shortfall_pct")),
                cum=pct(
                    first["cumulative_shortfall_pct"],
                    _fieldname(rid, first, "cumulative_shortfall_pct"),
                ),
            )
        )
        worst = rows.sort_values("cumulative_shortfall_pct", ascending=False).iloc[0]
        if worst["stage"] != first["stage"] or worst["mineral"] != first["mineral"]:
            out.append(
                sentence(
                    "rep_worst_stage",
                    lang,
                    country=names.country(iso3),
                    stage=names.product(worst["mineral"], worst["stage"]),
                    peak=pct(
                        worst["peak_shortfall_pct"], _fieldname(rid, worst, "peak_shortfall_pct")
                    ),
                    cum=pct(
                        worst["cumulative_shortfall_pct"],
                        _fieldname(rid, worst, "cumulative_shortfall_pct"),
                    ),
                )
            )
        hit = sectors[(sectors["country"] == iso3) & (sectors["cumulative_shortfall_pct"] > 0)]
        if not hit.empty:
            hit = hit.assign(
                first=hit["months_to_shortfall"].astype("float64").fillna(np.inf)
            ).sort_values(["first", "cumulative_shortfall_pct"], ascending=[True, False])
            items = []
            for _, row in hit.head(3).iterrows():
                field = f"{rid}|sector|{iso3}|{row['mineral']}|{row['sector']}|"
                first_m = row["months_to_shortfall"]
                if pd.isna(first_m):
                    continue
                items.append(
                    sentence(
                        "rep_sector_item",
                        lang,
                        name=row[f"name_{lang}"],
                        m=Num(int(first_m), field + "months_to_shortfall", str(int(first_m))),
                        cum=pct(
                            row["cumulative_shortfall_pct"], field + "cumulative_shortfall_pct"
                        ),
                    )
                )
            if items:
                out.append(_joined("rep_sectors", lang, items, country=names.country(iso3)))
        out += variant_sentences(record, siblings, names, iso3, worst)
    out.append(who_sentence(record, names))
    return out


def coverage_sentences(record: dict, lang: str) -> list[dict]:
    """The run's coverage warnings, then its notes, as stored with it (in both languages, with
    the names the run's dataset gave): what the data lack for the shocks and countries asked
    about. A run stored before coverage was recorded has none to show."""
    notes = sorted(record.get("coverage") or [], key=lambda n: n.get("level") != "warning")
    seen: dict[str, None] = {}
    for note in notes:
        seen.setdefault(note.get(f"message_{lang}") or note["message_en"], None)
    return [{"html": escape(text, quote=False), "text": text} for text in seen]


def _joined(key: str, lang: str, items: list[dict], **parts: Any) -> dict:
    sep = "、" if lang == "ja" else "; "
    marker = "\x00LIST\x00"
    base = sentence(key, lang, list=marker, **parts)
    return {
        "html": base["html"].replace(marker, sep.join(i["html"] for i in items)),
        "text": base["text"].replace(marker, sep.join(i["text"] for i in items)),
    }


def who_sentence(record: dict, names: Names) -> dict:
    lang, rid = names.lang, record["run_id"]
    summary = frame(record["summary"])
    short = summary[summary["months_to_shortfall"].notna()]
    if short.empty:
        return sentence("rep_none_short", lang)
    countries = short["country"].unique()
    worst = short.sort_values("cumulative_shortfall_pct", ascending=False)
    worst = worst.drop_duplicates("country").head(4)
    items = [
        sentence(
            "rep_who_item",
            lang,
            country=names.country(r["country"]),
            stage=names.product(r["mineral"], r["stage"]),
            cum=pct(r["cumulative_shortfall_pct"], _fieldname(rid, r, "cumulative_shortfall_pct")),
        )
        for _, r in worst.iterrows()
    ]
    n = Num(len(countries), f"{rid}|count_short_countries", str(len(countries)))
    return _joined("rep_who", lang, items, n=n)


def parents(scenario_name: str) -> dict[str, str | None]:
    """Which variant each variant of a shipped scenario builds on (``extends``; base = None)."""
    if scenario_name not in shipped_scenarios():
        return {}
    file = open_scenario(scenario_name)
    return {name: (spec or {}).get("extends") for name, spec in file.variants.items()}


def variant_sentences(
    record: dict, siblings: list[dict], names: Names, iso3: str, worst: pd.Series
) -> list[dict]:
    """How much each stored variant changes the focus country's worst stage, against the
    variant it builds on (its ``extends``, else the base scenario)."""
    if len(siblings) < 2:
        return []
    lang = names.lang
    by_variant = {rec["variant"] or "": rec for rec in siblings}
    parent_of = parents(record["scenario"])

    def row_of(rec: dict) -> pd.Series | None:
        df = frame(rec["summary"])
        match = df[
            (df["country"] == iso3)
            & (df["mineral"] == worst["mineral"])
            & (df["stage"] == worst["stage"])
        ]
        return match.iloc[0] if not match.empty else None

    out = []
    for rec in siblings:
        if not rec["variant"]:
            continue
        ref = by_variant.get(parent_of.get(rec["variant"]) or "")
        if ref is None or ref["run_id"] == rec["run_id"]:
            continue
        row, ref_row = row_of(rec), row_of(ref)
        if row is None or ref_row is None:
            continue
        delta = float(ref_row["cumulative_shortfall_pct"]) - float(row["cumulative_shortfall_pct"])
        key = (
            "rep_variant"
            if delta >= 0.05
            else "rep_variant_worse"
            if delta <= -0.05
            else "rep_variant_same"
        )
        field = f"delta|{ref['run_id']}|{rec['run_id']}|{iso3}|{worst['mineral']}|{worst['stage']}"
        parts = {
            "variant": variant_name(rec, lang),
            "country": names.country(iso3),
            "stage": names.product(worst["mineral"], worst["stage"]),
            "cum": pct(
                row["cumulative_shortfall_pct"],
                _fieldname(rec["run_id"], row, "cumulative_shortfall_pct"),
            ),
            "ref": variant_name(ref, lang),
        }
        if key != "rep_variant_same":
            parts["delta"] = Num(round(abs(delta), 1), field, f"{abs(delta):.1f}")
        out.append(sentence(key, lang, **parts))
    return out


def path(ts: pd.DataFrame, country: str, mineral: str, stage: str, variable: str) -> np.ndarray:
    sel = ts[
        (ts["country"] == country)
        & (ts["mineral"] == mineral)
        & (ts["stage"] == stage)
        & (ts["variable"] == variable)
    ].sort_values("month")
    return sel["value"].to_numpy(dtype=float)
