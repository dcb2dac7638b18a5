"""The scenario's assumptions as a table a person reads: each parameter by name in the
report's language, its value with a unit, the range an ensemble samples it from (when the
scenario gives one) and where it comes from.

It reads the scenario as the run stored it (central values) and, for a shipped scenario,
the distributions its file gives (``ScenarioFile.uncertain``), so a value written as
``{dist: uniform, low: 0.02, high: 0.10}`` shows as ``6% (2–10%)``, never as
``0.060000000000000005``.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

from oreshock.core.errors import OreshockError
from oreshock.core.i18n import TEXT, t
from oreshock.model.scenario import Market, open_scenario, shipped_scenarios
from oreshock.report.text import Names, month_label, scenario_variant_name

Path = tuple[str | int, ...]

#: Unit of each parameter by field name: how its value (and range) is written.
UNITS = {
    "share": "pct",
    "allowed": "pct",
    "trigger": "pct",
    "rate": "pct",
    "floor": "pct",
    "growth": "pct",
    "shortfall_threshold": "pct",
    "stock_building_share": "pct",
    "months": "months",
    "months_of_demand": "months_demand",
    "delay_months": "months",
    "ramp_months": "months",
    "lead_months": "months",
    "lag_months": "months",
    "review_months": "months",
    "stock_building_months": "months",
    "supply_lag_months": "months",
    "demand_lag_months": "months",
    "capacity": "tpy",
    "approval": "pct",
    "factor": "times",
    "max_price_multiple": "times",
    "start": "month",
    "end": "month",
}
SKIP = {
    "type",
    "name",
    "exporter",
    "origin",
    "destinations",
    "country",
    "countries",
    "holder",
    "group",
    "joint",
    "mineral",
    "stage",
}  # fmt: skip  (named in the row group's title)
SCOPES = ("minerals", "stages", "elements")


def number(value: float, digits: int = 3) -> str:
    """A number to ``digits`` significant digits (whole numbers from 100 up), without float
    noise or trailing zeros (0.060000000000000005 -> 0.06, 9000.0 -> 9,000)."""
    if not math.isfinite(value):
        return str(value)
    if value == 0 or abs(value) >= 10 ** (digits - 1):
        return f"{round(value):,}"
    decimals = digits - 1 - math.floor(math.log10(abs(value)))
    rounded = round(value, decimals)
    if rounded == int(rounded):
        return f"{int(rounded):,}"
    return f"{rounded:.{decimals}f}".rstrip("0")


def with_unit(value: Any, unit: str, lang: str) -> str:
    """``value`` written in its unit in ``lang`` (6%, 24 months, 9,000 t/yr, 30×)."""
    if value is None:
        return t("asm_open", lang) if unit == "month" else t("asm_dataset_level", lang)
    if unit == "month":
        return month_label(str(value), 0, lang)
    if isinstance(value, bool):
        return t("asm_yes" if value else "asm_no", lang)
    if not isinstance(value, int | float):
        return str(value)
    if unit == "pct":
        return f"{number(100 * value)}%"
    if unit in ("months", "months_demand", "tpy", "times"):
        return t(f"asm_unit_{unit}", lang, v=number(value))
    return number(value)


def spread(spec: dict, unit: str, lang: str) -> str:
    """The range an ensemble samples from: low–high (a triangular's mode is the value)."""
    if "low" in spec and "high" in spec:
        low, high = with_unit(spec["low"], unit, lang), with_unit(spec["high"], unit, lang)
        return f"{low} – {high}"
    if "mean" in spec:
        return t(
            "asm_normal", lang, mean=with_unit(spec["mean"], unit, lang), sd=number(spec["sd"])
        )
    return ""


def uncertain_specs(scenario: dict) -> dict[Path, dict]:
    """Distributions the scenario's file gives for the run's variant (shipped scenarios;
    a run of a file elsewhere shows its values without ranges)."""
    name = scenario.get("name")
    if name not in shipped_scenarios():
        return {}
    try:
        return open_scenario(name).uncertain(scenario.get("variant"))
    except (OreshockError, KeyError):  # a variant renamed since the run: no ranges to show
        return {}


def _scope(value: Any, field: str, words: Names, lang: str) -> str:
    """Minerals, stages or elements a shock or response covers, by name."""
    if value == "all" or value is None:
        return t("asm_all", lang)
    items = value if isinstance(value, list) else [value]
    if field in ("minerals", "mineral"):
        return (
            "、".join(words.mineral(m) for m in items)
            if lang == "ja"
            else ", ".join(words.mineral(m) for m in items)
        )
    if field == "elements":
        names = [t(f"el_{e}", lang) for e in items]
        return ("、" if lang == "ja" else ", ").join(names)
    stages = {s: n for (_, s), n in words.stages.items()}
    return ("、" if lang == "ja" else ", ").join(str(stages.get(s, s)) for s in items)


class Table:
    """Rows of the assumptions table, written in one language with one set of names."""

    def __init__(self, scenario: dict, words: Names) -> None:
        self.scenario, self.words, self.lang = scenario, words, words.lang
        self.specs = uncertain_specs(scenario)
        self.rows: list[dict[str, str]] = []
        self.default_market = Market().model_dump()

    def source(self, path: Path) -> str:
        """Where a value comes from: the scenario file (with a range), the model's fitted
        default (market parameters, docs/model.md), or the scenario file."""
        if path in self.specs:
            return t("asm_src_range", self.lang)
        default = self.default_market.get(str(path[-1]))
        if path[0] == "market" and default == _get(self.scenario, path):
            return t("asm_src_model", self.lang)
        return t("asm_src_scenario", self.lang)

    def add(
        self,
        group: str,
        path: Path,
        label: str | None = None,
        value: str | None = None,
        kind: str = "",
    ) -> None:
        """One parameter row; its value, unit and range read from ``path``; its label is
        the ``kind``'s own for the field (a stockpile's rate is not a recycling rate)."""
        field = str(path[-1])
        if label is None:
            own = f"asm_{kind}_{field}"
            label = t(own if own in TEXT else f"asm_{field}", self.lang)
        unit = UNITS.get(field, "plain")
        raw = _get(self.scenario, path)
        spec = self.specs.get(path)
        self.rows.append(
            {
                "group": group,
                "label": label,
                "value": value if value is not None else with_unit(raw, unit, self.lang),
                "range": spread(spec, unit, self.lang) if spec else "",
                "source": self.source(path),
            }
        )

    def item(self, group: str, base: Path, item: dict, kind: str = "") -> None:
        """Every parameter of one shock or response, scopes by name, others with units."""
        for field, raw in item.items():
            if field in SKIP or isinstance(raw, dict) or f"asm_{field}" not in TEXT:
                continue
            path = (*base, field)
            if field in SCOPES:
                if raw == "all":
                    continue  # every mineral, stage or element: nothing to say
                scope = _scope(raw, field, self.words, self.lang)
                self.add(group, path, value=scope, kind=kind)
            elif isinstance(raw, list):
                shown = ", ".join(with_unit(v, UNITS.get(field, "plain"), self.lang) for v in raw)
                self.add(group, path, value=shown, kind=kind)
            else:
                self.add(group, path, kind=kind)


def _get(data: Any, path: Path) -> Any:
    for key in path:
        data = data[int(key)] if isinstance(data, list) else (data or {}).get(key)
    return data


def _countries(words: Names, codes: Any, lang: str) -> str:
    items = codes if isinstance(codes, list) else [codes]
    sep = "、" if lang == "ja" else ", "
    return sep.join(words.group(c) if c.islower() else words.country(c) for c in items)


def general(table: Table) -> None:
    """Title, variant, period, minerals and the shortfall threshold."""
    s, lang, words = table.scenario, table.lang, table.words
    group = t("asm_general", lang)
    title = s.get(f"title_{lang}") or s.get("title_en") or s["name"]
    table.add(group, ("name",), t("asm_scenario", lang), title)
    table.add(group, ("variant",), t("asm_variant", lang), scenario_variant_name(s, lang))
    table.add(group, ("start",))
    table.add(group, ("months",), t("asm_horizon", lang))
    table.add(group, ("minerals",), value=_scope(s.get("minerals"), "minerals", words, lang))
    table.add(group, ("shortfall_threshold",))


def shocks(table: Table) -> None:
    """Each shock: what kind, who against whom, then its parameters."""
    lang, words = table.lang, table.words
    for i, shock in enumerate(table.scenario.get("shocks") or []):
        who = shock.get("exporter") or shock.get("origin") or shock.get("country")
        to = shock.get("destinations")
        parties = words.country(who) if who else ""
        if to:
            parties += f" → {_countries(words, to, lang)}"
        group = t("asm_shock", lang, n=i + 1, kind=t(f"cov_shock_{shock.get('type')}", lang))
        title = f"{group}: {parties}" if parties else group
        table.item(title, ("shocks", i), shock, str(shock.get("type")))


def buffers(table: Table) -> None:
    """Commercial stocks and each stockpile's release rule."""
    lang, words = table.lang, table.words
    b = table.scenario.get("buffers") or {}
    group = t("asm_buffers", lang)
    table.add(group, ("buffers", "commercial_stocks"))
    for iso3, months in (b.get("commercial_months") or {}).items():
        label = t("asm_commercial_months", lang, country=words.country(iso3))
        table.add(group, ("buffers", "commercial_months", iso3), label,
                  with_unit(months, "months_demand", lang))  # fmt: skip
    for i, pile in enumerate(b.get("stockpiles") or []):
        key = "asm_joint_stockpile" if pile.get("joint") else "asm_stockpile"
        name = t(key, lang, holder=_countries(words, pile.get("holder"), lang))
        table.item(name, ("buffers", "stockpiles", i), pile, "stockpile")


def responses(table: Table) -> None:
    """Sharing, rerouting, recycling, new capacity and substitution, one group each item."""
    lang, words = table.lang, table.words
    r = table.scenario.get("responses") or {}
    for i, item in enumerate(r.get("sharing") or []):
        group = t("asm_sharing", lang, group=_countries(words, item.get("group"), lang))
        table.item(group, ("responses", "sharing", i), item, "sharing")
    if r.get("rerouting"):
        path = ("responses", "rerouting")
        table.item(t("asm_rerouting", lang), path, r["rerouting"], "rerouting")
    for i, item in enumerate(r.get("recycling") or []):
        product = words.product(item["mineral"], item["stage"])
        group = t("asm_recycling", lang, countries=_countries(words, item["countries"], lang),
                  product=product)  # fmt: skip
        table.item(group, ("responses", "recycling", i), item, "recycling")
    for i, item in enumerate(r.get("new_capacity") or []):
        product = words.product(item["mineral"], item["stage"])
        group = t("asm_new_capacity", lang, name=item.get("name", ""),
                  country=words.country(item["country"]), product=product)  # fmt: skip
        table.item(group, ("responses", "new_capacity", i), item, "new_capacity")
    for i, item in enumerate(r.get("substitution") or []):
        group = t("asm_substitution", lang, countries=_countries(words, item["countries"], lang))
        table.item(group, ("responses", "substitution", i), item, "substitution")


def market(table: Table) -> None:
    """The price model's parameters."""
    group = t("asm_market", table.lang)
    for field in table.scenario.get("market") or {}:
        if f"asm_{field}" in TEXT:
            table.add(group, ("market", field))


SECTIONS: tuple[Callable[[Table], None], ...] = (general, shocks, buffers, responses, market)


def assumption_rows(scenario: dict, words: Names) -> list[dict[str, str]]:
    """The table: rows of group, label, value, range and source, in the reader's language."""
    table = Table(scenario, words)
    for section in SECTIONS:
        section(table)
    return table.rows
