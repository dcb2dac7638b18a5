"""What a run's answer rests on: whether the dataset has the figures each shock acts on.

A shock on a country or mineral with no demand, trade, production or stocks in the data
changes nothing, and the run then reads "never short" although it says nothing at all. Before
a run, ``check_coverage`` looks at each shock and each country the user asks about and notes
what the data lack:

- export bans, quotas and licence delays: the destinations' demand at the stages the shock
  covers, then the base-year trade on the routes it cuts;
- re-export controls: the destinations' demand and their base-year imports at those stages;
- outages: the country's production at those stages;
- demand surges: the countries' final use at those stages;
- stockpiles: the holder's stockpile level in the data (or its demand, for a level given in
  months of demand);
- a country asked about: its demand in each chain the run covers.

A note of a shock that touches no flow at all is a ``warning`` (``simulate`` warns with
``CoverageWarning``, and refuses with ``CoverageError`` when strict); a note of one target of a
shock that touches flows elsewhere, or of a country asked about, is a ``note``. Every note
marks its nodes ``not_covered``, so a table can say so instead of "never short".
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from functools import cache
from typing import Any

import numpy as np
import pandas as pd

from oreshock.core.errors import OreshockWarning, ScenarioError
from oreshock.core.i18n import LANGUAGES, t
from oreshock.core.ids import ALL
from oreshock.data.datasets import Dataset, bundled_path
from oreshock.model.network import Chain, Network
from oreshock.model.scenario import Scenario

COVERED = "covered"
NOT_COVERED = "not_covered"
WARNING = "warning"
NOTE = "note"
ASKED = "asked"
"""``source`` of a note about a country the user asked about, not about a shock."""

TINY = 1e-9
"""Tonnes per year below which a flow counts as absent."""


class CoverageWarning(OreshockWarning):
    """A shock touches no flow in the data: the run's result for it is not meaningful."""


class CoverageError(ScenarioError):
    """Strict runs refuse a scenario with a shock that touches no flow in the data."""


@dataclass(frozen=True)
class Names:
    """Country, mineral and stage names in each language (ids where the data name none)."""

    countries: Mapping[str, Mapping[str, str]] = field(default_factory=dict)
    minerals: Mapping[str, Mapping[str, str]] = field(default_factory=dict)
    stages: Mapping[tuple[str, str], Mapping[str, str]] = field(default_factory=dict)

    @classmethod
    def from_tables(
        cls, countries: pd.DataFrame, minerals: pd.DataFrame, stages: pd.DataFrame
    ) -> Names:
        def langs(row: Any) -> dict[str, str]:
            return {lang: str(getattr(row, f"name_{lang}")) for lang in LANGUAGES}

        return cls(
            countries={str(r.iso3): langs(r) for r in countries.itertuples()},
            minerals={str(r.mineral): langs(r) for r in minerals.itertuples()},
            stages={(str(r.mineral), str(r.stage)): langs(r) for r in stages.itertuples()},
        )

    @classmethod
    def of(cls, dataset: Dataset) -> Names:
        """The names a dataset gives."""
        return cls.from_tables(
            dataset.table("countries"), dataset.table("minerals"), dataset.table("stages")
        )

    def country(self, iso3: str, lang: str) -> str:
        return self.countries.get(iso3, {}).get(lang, iso3)

    def mineral(self, mineral: str, lang: str) -> str:
        return self.minerals.get(mineral, {}).get(lang, mineral)

    def stage_list(self, mineral: str, stages: Sequence[str], lang: str) -> str:
        sep = "、" if lang == "ja" else ", "
        return sep.join(self.stages.get((mineral, s), {}).get(lang, s) for s in stages)


@cache
def bundled_names() -> Names:
    """Names of the bundled dataset: what a run uses when it is given none."""
    folder = bundled_path()
    return Names.from_tables(
        pd.read_csv(folder / "countries.csv", keep_default_na=False),
        pd.read_csv(folder / "minerals.csv", keep_default_na=False),
        pd.read_csv(folder / "stages.csv", keep_default_na=False),
    )


@dataclass(frozen=True)
class CoverageNote:
    """One thing the data lack for one country of one chain, and what it means."""

    mineral: str
    country: str
    stages: tuple[str, ...]
    missing: str
    """``demand``, ``trade``, ``imports``, ``production``, ``final_use``, ``stocks`` or ``chain``."""
    source: str
    """Where in the scenario it comes from (``shocks[0]``, ``buffers.stockpiles[0]``) or ``asked``."""
    level: str
    """``warning`` (the shock touches no flow at all) or ``note``."""
    message_en: str
    message_ja: str
    status: str = NOT_COVERED

    def message(self, lang: str) -> str:
        return self.message_ja if lang == "ja" else self.message_en

    def concerns(self, country: str, mineral: str, stage: str | None = None) -> bool:
        return (
            self.country == country
            and self.mineral == mineral
            and (stage is None or stage in self.stages)
        )

    def to_dict(self) -> dict[str, Any]:
        out = asdict(self)
        out["stages"] = list(self.stages)
        return out

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> CoverageNote:
        fields = {k: data[k] for k in cls.__dataclass_fields__ if k in data}
        fields["stages"] = tuple(fields.get("stages") or ())
        return cls(**fields)


@dataclass(frozen=True)
class Coverage:
    """Every coverage note of one run; empty when the data hold what every shock acts on."""

    notes: tuple[CoverageNote, ...] = ()

    def __bool__(self) -> bool:
        return bool(self.notes)

    def __iter__(self):
        return iter(self.notes)

    def __len__(self) -> int:
        return len(self.notes)

    @property
    def warnings(self) -> tuple[CoverageNote, ...]:
        return tuple(n for n in self.notes if n.level == WARNING)

    def status(self, country: str, mineral: str, stage: str | None = None) -> str:
        """``not_covered`` when a note concerns the node (any stage when ``stage`` is None)."""
        hit = any(n.concerns(country, mineral, stage) for n in self.notes)
        return NOT_COVERED if hit else COVERED

    def records(self) -> list[dict[str, Any]]:
        return [n.to_dict() for n in self.notes]

    @classmethod
    def from_records(cls, rows: Iterable[Mapping[str, Any]] | None) -> Coverage:
        return cls(tuple(CoverageNote.from_dict(r) for r in rows or ()))

    def mark(self, rows: Iterable[Mapping[str, Any]]) -> list[dict[str, Any]]:
        """Summary rows, those of nodes a note concerns with ``status: not_covered``, plus one
        such row for each country and chain a note names that has no row (no demand there,
        so no figures). Covered rows keep exactly the summary's keys, so a reader of the JSON
        of earlier versions reads them as before."""
        out = []
        seen = set()
        for row in rows:
            status = self.status(row["country"], row["mineral"], row.get("stage"))
            out.append({**row, "status": status} if status == NOT_COVERED else dict(row))
            seen.add((row["country"], row["mineral"]))
        for note in self.notes:
            key = (note.country, note.mineral)
            if key in seen:
                continue
            seen.add(key)
            out.append(
                {
                    "country": note.country,
                    "mineral": note.mineral,
                    "stage": None,
                    "months_to_shortfall": None,
                    "peak_shortfall_pct": None,
                    "cumulative_shortfall_pct": None,
                    "status": NOT_COVERED,
                }
            )
        return out

    def error(self) -> CoverageError:
        """The error a strict run raises, naming every shock that touches nothing."""
        lines = "\n  ".join(f"{n.source}: {n.message_en}" for n in self.warnings)
        return CoverageError(
            "the data do not cover what these shocks act on (strict run):\n  " + lines
        )


def mark_rows(
    rows: Iterable[Mapping[str, Any]], coverage: Iterable[Mapping[str, Any]] | None
) -> list[dict[str, Any]]:
    """Stored summary rows marked with the stored coverage (rows unchanged when a run was
    stored before coverage was recorded, so no status is claimed for it)."""
    if coverage is None:
        return [dict(r) for r in rows]
    return Coverage.from_records(coverage).mark(rows)


# ------------------------------------------------------------------------------ the checks

SHOCK_WORDS = {
    "export_ban": "cov_shock_export_ban",
    "export_quota": "cov_shock_export_quota",
    "licence_delay": "cov_shock_licence_delay",
    "licensing": "cov_shock_licensing",
    "reexport_control": "cov_shock_reexport_control",
    "outage": "cov_shock_outage",
    "demand_surge": "cov_shock_demand_surge",
}


class _Collector:
    """Builds notes with their messages in both languages."""

    def __init__(self, names: Names) -> None:
        self.names = names
        self.notes: list[CoverageNote] = []

    def add(
        self,
        key: str,
        *,
        chain: Chain,
        country: str,
        stages: Sequence[str],
        missing: str,
        source: str,
        level: str,
        shock: str | None = None,
        other: str | None = None,
    ) -> None:
        n, m = self.names, chain.mineral
        messages = {
            lang: t(
                key,
                lang,
                mineral=n.mineral(m, lang),
                country=n.country(country, lang),
                stages=n.stage_list(m, stages, lang),
                shock=t(SHOCK_WORDS[shock], lang) if shock else "",
                other=n.country(other, lang) if other else "",
            )
            for lang in LANGUAGES
        }
        self.notes.append(
            CoverageNote(
                mineral=m,
                country=country,
                stages=tuple(stages),
                missing=missing,
                source=source,
                level=level,
                message_en=messages["en"],
                message_ja=messages["ja"],
            )
        )


def _members(network: Network, targets: Any) -> list[str] | None:
    """The countries named by ids or groups, in order; None for ``all``."""
    if targets == ALL:
        return None
    found: list[str] = []
    for name in [targets] if isinstance(targets, str) else targets:
        try:
            members = network.members(name)
        except KeyError:  # an unknown id or group is the scenario check's to report
            continue
        found += [c for c in members if c not in found]
    return found


def _amount(chain: Chain, table: np.ndarray, iso3: str, stages: np.ndarray) -> float:
    """A [country, stage] table's total for one country at the stages (0 if not a node)."""
    if iso3 not in chain.countries:
        return 0.0
    return float(table[chain.countries.index(iso3), stages].sum())


def _trade_shock(col: _Collector, network: Network, chain: Chain, shock: Any, where: str) -> None:
    """Bans, quotas and licence delays: the destinations' demand, then the routes' trade."""
    stages = chain.stage_mask(shock.stages)
    names = [s for s, on in zip(chain.stages, stages, strict=True) if on]
    exporter = shock.exporter.upper()
    dests = _members(network, shock.destinations)
    e = chain.countries.index(exporter) if exporter in chain.countries else None
    if dests is None:
        cut = 0.0 if e is None else float(chain.trade[stages, e, :].sum())
        if cut <= TINY:
            col.add(
                "cov_no_exports",
                chain=chain,
                country=exporter,
                stages=names,
                missing="trade",
                source=where,
                level=WARNING,
                shock=shock.type,
            )
        return
    dests = [d for d in dests if d != exporter]
    routes = {
        d: 0.0
        if e is None or d not in chain.countries
        else float(chain.trade[stages, e, chain.countries.index(d)].sum())
        for d in dests
    }
    level = WARNING if sum(routes.values()) <= TINY else NOTE
    for d in dests:
        if _amount(chain, chain.consumption, d, stages) <= TINY:
            col.add(
                "cov_no_demand",
                chain=chain,
                country=d,
                stages=names,
                missing="demand",
                source=where,
                level=level,
            )
        elif routes[d] <= TINY:
            col.add(
                "cov_no_trade",
                chain=chain,
                country=d,
                stages=names,
                missing="trade",
                source=where,
                level=level,
                shock=shock.type,
                other=exporter,
            )


def _reexport(col: _Collector, network: Network, chain: Chain, shock: Any, where: str) -> None:
    """Re-export controls: the destinations' demand, then their imports at the stages."""
    stages = chain.stage_mask(shock.stages)
    names = [s for s, on in zip(chain.stages, stages, strict=True) if on]
    dests = _members(network, shock.destinations) or []
    imports = {d: _amount(chain, chain.imports, d, stages) for d in dests}
    level = WARNING if sum(imports.values()) <= TINY else NOTE
    for d in dests:
        if _amount(chain, chain.consumption, d, stages) <= TINY:
            key, missing = "cov_no_demand", "demand"
        elif imports[d] <= TINY:
            key, missing = "cov_no_imports", "imports"
        else:
            continue
        col.add(
            key,
            chain=chain,
            country=d,
            stages=names,
            missing=missing,
            source=where,
            level=level,
            shock=shock.type,
        )


def _node_shock(
    col: _Collector,
    chain: Chain,
    countries: list[str] | None,
    stage_targets: Any,
    table: np.ndarray,
    key: str,
    missing: str,
    where: str,
    shock: str | None,
    covered_elsewhere: bool = False,
) -> None:
    """Outages, demand surges and stockpiles: the countries' production, final use or stocks
    at the stages (``shock`` names the shock type in the message; None for a stockpile).
    ``covered_elsewhere``: the item names a family and another of its products has data, so a
    product without any is a note, not a warning."""
    stages = chain.stage_mask(stage_targets)
    names = [s for s, on in zip(chain.stages, stages, strict=True) if on]
    if countries is None:
        if float(table[:, stages].sum()) <= TINY:
            col.add(
                key,
                chain=chain,
                country="WLD",
                stages=names,
                missing=missing,
                source=where,
                level=WARNING,
                shock=shock,
            )
        return
    amounts = {c: _amount(chain, table, c, stages) for c in countries}
    level = WARNING if sum(amounts.values()) <= TINY and not covered_elsewhere else NOTE
    for c, amount in amounts.items():
        if amount <= TINY:
            col.add(
                key,
                chain=chain,
                country=c,
                stages=names,
                missing=missing,
                source=where,
                level=level,
                shock=shock,
            )


def check_coverage(
    network: Network,
    scenario: Scenario,
    *,
    countries: Iterable[str] = (),
    names: Names | None = None,
) -> Coverage:
    """What the data lack for each shock of ``scenario`` and each of ``countries``."""
    col = _Collector(names or bundled_names())
    run = [m for m in network.covered(scenario) if m in network.chains]
    for k, shock in enumerate(scenario.shocks):
        where = f"shocks[{k}] ({shock.type})"
        for mineral in run:
            chain = network.chains[mineral]
            if not (chain.named_by(shock.minerals) and chain.carries(shock.elements)):
                continue
            if shock.type in ("export_ban", "export_quota", "licence_delay", "licensing"):
                _trade_shock(col, network, chain, shock, where)
            elif shock.type == "reexport_control":
                _reexport(col, network, chain, shock, where)
            elif shock.type == "outage":
                _node_shock(
                    col,
                    chain,
                    _members(network, [shock.country]),
                    shock.stages,
                    chain.production,
                    "cov_no_production",
                    "production",
                    where,
                    shock.type,
                )
            elif shock.type == "demand_surge":
                _node_shock(
                    col,
                    chain,
                    _members(network, shock.countries),
                    shock.stages,
                    chain.final_use,
                    "cov_no_final_use",
                    "final_use",
                    where,
                    shock.type,
                )
    for k, pile in enumerate(scenario.buffers.stockpiles):
        where = f"buffers.stockpiles[{k}]"
        for mineral in run:
            chain = network.chains[mineral]
            if not chain.named_by(pile.minerals):
                continue
            dataset_level = pile.months_of_demand is None
            holders = _members(network, [pile.holder]) or []

            def held(ch: Chain, dataset_level: bool = dataset_level) -> np.ndarray:
                return ch.national_ceiling if dataset_level else ch.consumption

            _node_shock(
                col,
                chain,
                holders,
                pile.stages,
                held(chain),
                "cov_no_stocks" if dataset_level else "cov_no_demand",
                "stocks" if dataset_level else "demand",
                where,
                None,
                covered_elsewhere=_family_has(network, chain, pile.minerals, holders, held),
            )
    for iso3 in dict.fromkeys(c.upper() for c in countries):
        for mineral in run:
            chain = network.chains[mineral]
            if _amount(chain, chain.consumption, iso3, chain.stage_mask(ALL)) <= TINY:
                col.add(
                    "cov_no_demand",
                    chain=chain,
                    country=iso3,
                    stages=chain.stages,
                    missing="demand",
                    source=ASKED,
                    level=NOTE,
                )
    return Coverage(_deduplicated(col.notes))


def _family_has(
    network: Network,
    chain: Chain,
    minerals: Any,
    countries: list[str],
    table_of: Callable[[Chain], np.ndarray],
) -> bool:
    """Whether an item that names ``chain``'s family (not the product itself) finds data for
    the countries in another product of that family."""
    if not chain.family or (minerals != ALL and chain.mineral in minerals):
        return False
    for other in network.products(chain.family):
        ch = network.chains[other]
        if other != chain.mineral and any(
            _amount(ch, table_of(ch), c, ch.stage_mask(ALL)) > TINY for c in countries
        ):
            return True
    return False


def _deduplicated(notes: list[CoverageNote]) -> tuple[CoverageNote, ...]:
    """One note per message and node; a warning wins over a note of the same thing."""
    best: dict[tuple, CoverageNote] = {}
    for note in notes:
        key = (note.mineral, note.country, note.stages, note.message_en)
        if key not in best or (note.level == WARNING and best[key].level != WARNING):
            best[key] = note
    return tuple(best.values())
