"""A run's results: labelled tables built from the engine's arrays at the boundary.

``RunResult`` holds one simulation's paths for every chain plus what reproduces it (the
scenario, the network's dataset identity, the seed) and turns them into tidy tables: the
time series, the flows by origin, the summary per country x mineral x stage, and the end-use
sectors hit.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
import xarray as xr

from oreshock.core.errors import UnknownIdError
from oreshock.core.serialize import records
from oreshock.model.coverage import Coverage
from oreshock.model.labelled import LabelNames, timeseries_dataset
from oreshock.model.outcomes import (
    NEVER,
    cumulative_shortfall_pct,
    months_to_shortfall,
    peak_shortfall_pct,
)
from oreshock.model.prices import REGIONS
from oreshock.model.record import NODE_AXES, OPTIONAL, RECORDED, VARIABLES, ChainRun

SUMMARY_COLUMNS = [
    "country",
    "mineral",
    "stage",
    "months_to_shortfall",
    "peak_shortfall_pct",
    "cumulative_shortfall_pct",
]


class RunResult:
    """One simulation's paths for every chain, with what is needed to reproduce it.

    ``coverage`` says what the data lack for the scenario's shocks (``model.coverage``): a
    summary row of a node it names reads ``not_covered``, not "never short". It sits beside
    the summary rather than in it, so the summary's columns (and the stored reference
    results) stay as they are.
    """

    def __init__(
        self,
        scenario,
        network,
        runs: dict[str, ChainRun],
        seed: int = 0,
        coverage: Coverage | None = None,
    ):
        self.scenario = scenario
        self.network = network
        self.runs = runs
        self.seed = seed
        self.coverage = coverage if coverage is not None else Coverage()

    def coverage_status(self, country: str, mineral: str, stage: str | None = None) -> str:
        """``covered``, or ``not_covered`` when the data lack what a shock on the node acts on."""
        return self.coverage.status(country, mineral, stage)

    def status_records(self, countries: list[str] | None = None) -> list[dict]:
        """The summary as JSON-ready dicts, rows of nodes the data do not cover with
        ``status: not_covered``, plus such a row for each country and chain the coverage
        names without figures (``Coverage.mark``)."""
        rows = self.coverage.mark(self.summary_records(countries))
        return [r for r in rows if not countries or r["country"] in countries]

    def months(self) -> list[str]:
        return self.scenario.month_labels()

    def to_xarray(
        self,
        mineral: str | None = None,
        *,
        names: LabelNames | None = None,
        run_id: str | None = None,
    ) -> xr.Dataset:
        """The run's recorded paths as labelled arrays (first batch member).

        Without ``mineral``: every chain, as stored (``model.labelled``): node variables over
        (mineral, month, country, stage), prices over (mineral, month, region, stage), units
        and long names in English and Japanese, names of countries, chains and stages from
        ``names`` (default: the bundled dataset's), and the scenario, dataset and seed (and
        ``run_id`` when given) as attributes; ``Store.timeseries`` of the saved run holds the
        same numbers.

        With ``mineral``: that chain alone, over (month, country, stage) and (month, region,
        stage), with every variable, zero ones included."""
        if mineral is None:
            return timeseries_dataset(self.timeseries(), self.provenance(run_id), names)
        if mineral not in self.runs:
            raise UnknownIdError(
                f"this run has no {mineral!r} chain; it covers: {', '.join(self.runs)}"
            )
        run = self.runs[mineral]
        coords = {
            "month": np.array(self.months(), dtype="datetime64[ns]"),
            "country": list(run.chain.countries),
            "stage": list(run.chain.stages),
        }
        units = {r.name: r for r in RECORDED}
        variables: dict[str, tuple[tuple[str, ...], np.ndarray, dict[str, str]]] = {
            v: (
                NODE_AXES,
                run.series[v][:, 0],
                {"units": units[v].unit, "long_name": units[v].description},
            )
            for v in VARIABLES
        }
        coords["region"] = list(REGIONS)
        for name, values in (("price_index", run.price[:, 0]), ("price", self._usd(run)[:, 0])):
            meta = units[name]
            variables[name] = (
                meta.axes,
                values,
                {"units": meta.unit, "long_name": meta.description},
            )
        attrs = {
            "scenario": self.scenario.name,
            "variant": self.scenario.variant or "",
            "mineral": mineral,
        }
        return xr.Dataset(variables, coords=coords, attrs=attrs)

    def provenance(self, run_id: str | None = None) -> dict[str, object]:
        """What identifies the run: its id (when stored), scenario, variant, horizon, seed and
        dataset; the attributes of ``to_xarray`` and of the exports."""
        scenario, network = self.scenario, self.network
        found: dict[str, object] = {"run_id": run_id} if run_id else {}
        found.update(
            {
                "scenario": scenario.name,
                "variant": scenario.variant or "",
                "start_month": scenario.start,
                "months": scenario.months,
                "seed": int(self.seed),
                "dataset_name": network.dataset_name,
                "dataset_version": network.dataset_version,
                "dataset_hash": network.dataset_hash,
            }
        )
        return found

    @staticmethod
    def _usd(run: ChainRun) -> np.ndarray:
        """[T, B, R, S] price in USD/kg: the index x the chain's base-year price (NaN where
        the dataset has none)."""
        base = run.chain.base_price
        if base is None:
            base = np.full(run.price.shape[2:], np.nan)
        return run.price * base

    def timeseries(self) -> pd.DataFrame:
        """Tidy table: month, country, mineral, stage, variable, value (first batch member).

        Node variables have a country in ``country``; ``price`` (USD/kg, where the dataset
        has a base price) and ``price_index`` have a price region there (``model.prices``:
        ``CHN`` inside China, ``ROW`` outside)."""
        frames = []
        months = np.array(self.months(), dtype="datetime64[D]")
        for mineral, run in self.runs.items():
            ch = run.chain
            for variable in VARIABLES:
                if variable in OPTIONAL and not run.series[variable][:, 0].any():
                    continue
                frames.append(
                    _long(
                        months,
                        ch.countries,
                        ch.stages,
                        mineral,
                        variable,
                        run.series[variable][:, 0],
                    )
                )
            frames.append(
                _long(months, REGIONS, ch.stages, mineral, "price_index", run.price[:, 0])
            )
            usd = self._usd(run)[:, 0]
            if not np.isnan(usd).all():
                frame = _long(months, REGIONS, ch.stages, mineral, "price", usd)
                frames.append(frame[frame["value"].notna()])
        return pd.concat(frames, ignore_index=True)

    def prices(self) -> pd.DataFrame:
        """Price paths: month, mineral, stage, region, price_index, price_usd_kg (NaN where
        the dataset has no base price), first batch member."""
        months = np.array(self.months(), dtype="datetime64[D]")
        frames = []
        for mineral, run in self.runs.items():
            frame = _long(months, REGIONS, run.chain.stages, mineral, "", run.price[:, 0])
            frame = frame.rename(columns={"country": "region", "value": "price_index"})
            frame["price_usd_kg"] = self._usd(run)[:, 0].reshape(-1)
            frames.append(frame)
        columns = ["month", "mineral", "stage", "region", "price_index", "price_usd_kg"]
        return pd.concat(frames, ignore_index=True)[columns]

    def price_summary(self) -> list[dict]:
        """Per mineral, stage and region: base and peak price (USD/kg where known), the
        peak index and its month; JSON-ready, for the CLI, the API and the report."""
        rows = []
        labels = self.months()
        for mineral, run in self.runs.items():
            usd = self._usd(run)[:, 0]
            for r, region in enumerate(REGIONS):
                for s, stage in enumerate(run.chain.stages):
                    index = run.price[:, 0, r, s]
                    k = int(np.argmax(index))
                    table = run.chain.base_price
                    base = float("nan") if table is None else float(table[r, s])
                    known = not np.isnan(base)
                    rows.append(
                        {
                            "mineral": mineral,
                            "stage": stage,
                            "region": region,
                            "base_usd_kg": base if known else None,
                            "peak_usd_kg": float(usd[k, r, s]) if known else None,
                            "peak_index": float(index[k]),
                            "peak_month": labels[k],
                            "final_index": float(index[-1]),
                        }
                    )
        return rows

    def flows(self) -> pd.DataFrame:
        """Shipments: month, mineral, stage, exporter, importer, origin, value (non-zero only)."""
        frames = []
        months = np.array(self.months(), dtype="datetime64[D]")
        for mineral, run in self.runs.items():
            if run.flows is None:
                continue
            ch = run.chain
            idx = np.nonzero(run.flows > 1e-12)
            frames.append(
                pd.DataFrame(
                    {
                        "month": months[idx[0]],
                        "mineral": mineral,
                        "stage": np.array(ch.stages, dtype=object)[idx[1]],
                        "exporter": np.array(ch.countries, dtype=object)[idx[2]],
                        "importer": np.array(ch.countries, dtype=object)[idx[3]],
                        "origin": np.array(run.inputs.origin_labels, dtype=object)[idx[4]],
                        "value": run.flows[idx],
                    }
                )
            )
        columns = ["month", "mineral", "stage", "exporter", "importer", "origin", "value"]
        return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(columns=columns)

    def summary(self, countries: list[str] | None = None) -> pd.DataFrame:
        """Per country x mineral x stage: months to first shortfall, peak and cumulative %."""
        rows = []
        threshold = self.scenario.shortfall_threshold
        for mineral, run in self.runs.items():
            ch = run.chain
            short = run.series["shortfall"][:, 0]
            demand = run.series["demand"][:, 0]
            first = months_to_shortfall(short, demand, threshold)
            peak = peak_shortfall_pct(short, demand)
            cumulative = cumulative_shortfall_pct(short, demand)
            for c, iso3 in enumerate(ch.countries):
                if countries and iso3 not in countries:
                    continue
                for s, stage in enumerate(ch.stages):
                    if demand[:, c, s].sum() <= 0:
                        continue
                    rows.append(
                        {
                            "country": iso3,
                            "mineral": mineral,
                            "stage": stage,
                            "months_to_shortfall": None
                            if first[c, s] == NEVER
                            else int(first[c, s]),
                            "peak_shortfall_pct": float(peak[c, s]),
                            "cumulative_shortfall_pct": float(cumulative[c, s]),
                        }
                    )
        frame = pd.DataFrame(rows, columns=SUMMARY_COLUMNS)
        frame["months_to_shortfall"] = frame["months_to_shortfall"].astype("Int64")
        return frame

    def summary_records(self, countries: list[str] | None = None) -> list[dict]:
        """The summary as JSON-ready dicts (``months_to_shortfall`` None when never)."""
        return records(self.summary(countries))

    def sectors(self, country: str) -> pd.DataFrame:
        """End-use sectors of a country: when each first falls short, and how far.

        A stage's final use is split among its sectors by their shares. What is delivered goes
        first to the scenario's ``end_use_priority`` sectors, in order, and the rest is shared in
        proportion (with no priorities, every sector's shortfall share equals its stage's).
        Final use and input to the next stage are rationed in proportion at each node.
        """
        rows = []
        threshold = self.scenario.shortfall_threshold
        for path in self.end_use_paths(country):
            first = months_to_shortfall(path.short, path.wanted, threshold)
            peak = peak_shortfall_pct(path.short, path.wanted)
            cumulative = cumulative_shortfall_pct(path.short, path.wanted)
            for k, (_, row) in enumerate(path.uses.iterrows()):
                rows.append(
                    {
                        "country": country,
                        "mineral": path.mineral,
                        "stage": path.stage,
                        "sector": row["sector"],
                        "name_en": row["name_en"],
                        "name_ja": row["name_ja"],
                        "share_of_stage_use": float(row["share"]),
                        "months_to_shortfall": None if first[k] == NEVER else int(first[k]),
                        "peak_shortfall_pct": float(peak[k]),
                        "cumulative_shortfall_pct": float(cumulative[k]),
                    }
                )
        return pd.DataFrame(rows)

    def sector_series(self, country: str) -> pd.DataFrame:
        """A country's end-use sectors month by month: tonnes wanted and short (``month``,
        ``country``, ``mineral``, ``stage``, ``sector``, ``wanted``, ``short``), the paths
        that ``sectors`` summarises."""
        months = np.array(self.months(), dtype="datetime64[D]")
        frames = [
            pd.DataFrame(
                {
                    "month": np.repeat(months, len(path.uses)),
                    "country": country,
                    "mineral": path.mineral,
                    "stage": path.stage,
                    "sector": np.tile(path.uses["sector"].to_numpy(str), len(months)),
                    "wanted": path.wanted.ravel(),
                    "short": path.short.ravel(),
                }
            )
            for path in self.end_use_paths(country)
        ]
        return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()

    def end_use_paths(self, country: str) -> list[EndUsePath]:
        """Each of a country's end-use breakdowns: the tonnes its sectors want and lack per
        month. The impact layer values these; ``sectors`` summarises them."""
        paths = []
        priority = list(self.scenario.end_use_priority)
        for mineral, run in self.runs.items():
            ch = run.chain
            if country not in ch.countries or ch.end_uses.empty:
                continue
            c = ch.countries.index(country)
            for stage, group in _end_use_table(ch, country).groupby("stage", sort=False):
                s = ch.stages.index(stage)
                demand = run.series["demand"][:, 0, c, s]
                final = run.final_use[:, 0, c, s] if run.final_use is not None else demand
                delivered = final * (1.0 - _ratio(run.series["shortfall"][:, 0, c, s], demand))
                shares = group["share"].to_numpy(float)
                wanted = np.outer(final, shares / shares.sum())  # [T, sector]
                got = ration(
                    wanted,
                    delivered,
                    [priority.index(x) if x in priority else None for x in group["sector"]],
                )
                uses = group.reset_index(drop=True)
                paths.append(EndUsePath(mineral, str(stage), uses, wanted, wanted - got))
        return paths


@dataclass(frozen=True)
class EndUsePath:
    """One stage's end uses in one country: ``wanted`` and ``short`` [T, sector] in tonnes
    per month, columns in the order of ``uses`` (the end-use rows, with names and shares)."""

    mineral: str
    stage: str
    uses: pd.DataFrame
    wanted: np.ndarray
    short: np.ndarray


def _end_use_table(chain, country: str) -> pd.DataFrame:
    """The country's own breakdown of a stage where published, else the world's; sectors
    named after a later stage are that stage's demand, not a final use."""
    uses = chain.end_uses
    local_stages = set(uses.loc[uses["iso3"] == country, "stage"])
    table = uses[
        (uses["iso3"] == country) | ((uses["iso3"] == "WLD") & ~uses["stage"].isin(local_stages))
    ]
    keep = [
        st in chain.stages and not _names_later_stage(sec, chain, st)
        for sec, st in zip(table["sector"], table["stage"], strict=True)
    ]
    return table[keep]


def _long(
    months: np.ndarray,
    places: tuple[str, ...],
    stages: tuple[str, ...],
    mineral: str,
    variable: str,
    values: np.ndarray,
) -> pd.DataFrame:
    """One variable's [T, place, S] array as tidy rows (place: a country or a price region)."""
    T, P, S = len(months), len(places), len(stages)
    return pd.DataFrame(
        {
            "month": np.repeat(months, P * S),
            "country": np.tile(np.repeat(np.array(places, dtype=object), S), T),
            "mineral": mineral,
            "stage": np.tile(np.array(stages, dtype=object), T * P),
            "variable": variable,
            "value": values.reshape(-1),
        }
    )


def _ratio(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    return np.divide(a, b, out=np.zeros_like(a), where=b > 0)


def ration(wanted: np.ndarray, delivered: np.ndarray, rank: list[int | None]) -> np.ndarray:
    """Share ``delivered`` [T] among sectors wanting ``wanted`` [T, K]: ranked sectors first,
    in rank order, each up to what it wants; the unranked share the rest in proportion."""
    got = np.zeros_like(wanted)
    left = delivered.copy()
    ranked = sorted((r, k) for k, r in enumerate(rank) if r is not None)
    for _, k in ranked:
        got[:, k] = np.minimum(wanted[:, k], left)
        left = left - got[:, k]
    rest = [k for k, r in enumerate(rank) if r is None]
    if rest:
        want = wanted[:, rest]
        total = want.sum(axis=1)
        fill = np.minimum(1.0, _ratio(left, total))
        got[:, rest] = want * fill[:, None]
    return got


def _names_later_stage(sector: str, chain, stage: str) -> bool:
    """A sector named after a later stage (e.g. ``magnets_via_metal`` of separated oxide) is
    that stage's demand, which the chain models itself: it is not a final use here."""
    later = chain.stages[chain.stages.index(stage) + 1 :]
    return any(sector.startswith(name) for name in later)
