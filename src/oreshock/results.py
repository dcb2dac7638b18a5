"""A run's results: labelled tables built from the engine's arrays at the boundary.

``RunResult`` holds one simulation's paths for every chain plus what reproduces it (the
scenario, the network's dataset identity, the seed) and turns them into tidy tables: the
time series, the flows by origin, the summary per country x mineral x stage, and the end-use
sectors hit.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from oreshock.outcomes import (
    NEVER,
    cumulative_shortfall_pct,
    months_to_shortfall,
    peak_shortfall_pct,
)

if TYPE_CHECKING:
    from oreshock.simulate import ChainRun

VARIABLES = (
    "production",
    "imports",
    "exports",
    "consumption",
    "demand",
    "shortfall",
    "stock",
    "stockpile",
    "in_transit",
)

SUMMARY_COLUMNS = [
    "country",
    "mineral",
    "stage",
    "months_to_shortfall",
    "peak_shortfall_pct",
    "cumulative_shortfall_pct",
]


def records(frame: pd.DataFrame) -> list[dict]:
    """Rows as plain Python values: missing values become None, numpy scalars Python ones."""
    out = []
    for row in frame.astype(object).to_dict("records"):
        out.append(
            {
                k: (
                    None
                    if v is None or v is pd.NA or (isinstance(v, float) and v != v)
                    else (v.item() if hasattr(v, "item") else v)
                )
                for k, v in row.items()
            }
        )
    return out


class RunResult:
    """One simulation's paths for every chain, with what is needed to reproduce it."""

    def __init__(self, scenario, network, runs: dict[str, ChainRun], seed: int = 0):
        self.scenario = scenario
        self.network = network
        self.runs = runs
        self.seed = seed

    def months(self) -> list[str]:
        return self.scenario.month_labels()

    def timeseries(self) -> pd.DataFrame:
        """Tidy table: month, country, mineral, stage, variable, value (first batch member)."""
        frames = []
        months = np.array(self.months(), dtype="datetime64[D]")
        for mineral, run in self.runs.items():
            ch = run.chain
            T, C, S = len(months), len(ch.countries), len(ch.stages)
            grid_t = np.repeat(months, C * S)
            grid_c = np.tile(np.repeat(np.array(ch.countries, dtype=object), S), T)
            grid_s = np.tile(np.array(ch.stages, dtype=object), T * C)
            for variable in VARIABLES:
                frames.append(
                    pd.DataFrame(
                        {
                            "month": grid_t,
                            "country": grid_c,
                            "mineral": mineral,
                            "stage": grid_s,
                            "variable": variable,
                            "value": run.series[variable][:, 0].reshape(-1),
                        }
                    )
                )
        return pd.concat(frames, ignore_index=True)

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
        """End-use sectors of a country: when their stage's final use first falls short, and how far.

        Final use at a stage is rationed in proportion across the sectors using it, so a sector's
        shortfall share equals its stage's final-use shortfall share.
        """
        rows = []
        for mineral, run in self.runs.items():
            ch = run.chain
            if country not in ch.countries or ch.end_uses.empty:
                continue
            c = ch.countries.index(country)
            uses = ch.end_uses
            # The country's own breakdown of a stage where published, else the world's.
            local_stages = set(uses.loc[uses["iso3"] == country, "stage"])
            table = uses[
                (uses["iso3"] == country)
                | ((uses["iso3"] == "WLD") & ~uses["stage"].isin(local_stages))
            ]
            short = run.series["shortfall"][:, 0, c]
            demand = run.series["demand"][:, 0, c]
            first = months_to_shortfall(short, demand, self.scenario.shortfall_threshold)
            peak = peak_shortfall_pct(short, demand)
            cumulative = cumulative_shortfall_pct(short, demand)
            for _, row in table.iterrows():
                if row["stage"] not in ch.stages or _names_later_stage(
                    row["sector"], ch, row["stage"]
                ):
                    continue
                s = ch.stages.index(row["stage"])
                rows.append(
                    {
                        "country": country,
                        "mineral": mineral,
                        "stage": row["stage"],
                        "sector": row["sector"],
                        "name_en": row["name_en"],
                        "name_ja": row["name_ja"],
                        "share_of_stage_use": float(row["share"]),
                        "months_to_shortfall": None if first[s] == NEVER else int(first[s]),
                        "peak_shortfall_pct": float(peak[s]),
                        "cumulative_shortfall_pct": float(cumulative[s]),
                    }
                )
        return pd.DataFrame(rows)


def _names_later_stage(sector: str, chain, stage: str) -> bool:
    """A sector named after a later stage (e.g. ``magnets_via_metal`` of separated oxide) is
    that stage's demand, which the chain models itself: it is not a final use here."""
    later = chain.stages[chain.stages.index(stage) + 1 :]
    return any(sector.startswith(name) for name in later)
