"""A run's impact: its direct loss propagated by each measure, in US dollars of the run's
base year, by region, industry and month; GDP shares for the horizon and the worst quarter.

Value added lost = output lost x the industry's value-added ratio (value added / output in
the table), so value added lost summed over a region's industries is its GDP loss.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from oreshock.core.errors import OreshockError
from oreshock.impact import dynamic, propagation
from oreshock.impact.bridge import Bridge
from oreshock.impact.direct import Direct, direct_loss
from oreshock.impact.regions import RegionMap, eu_members, money_scale, region_map
from oreshock.impact.tables import IOTable

METHODS = ("dynamic", "leontief", "ghosh", "direct")


class ImpactError(OreshockError):
    """An impact that cannot be measured as asked; says what was expected."""


DEFAULT_METHOD = "dynamic"


@dataclass
class Impact:
    """Output lost per measure [T, n] in table units per month, with what it rests on."""

    table: IOTable
    months: list[str]
    scale: np.ndarray
    losses: dict[str, np.ndarray]
    direct: Direct
    notes: list[dict[str, str]] = field(default_factory=list)

    def _money(self) -> np.ndarray:
        """USD of the base year in one table unit, per industry [n]."""
        return self.table.usd_per_unit * self.scale[self.table.region_of()]

    def output_loss_usd(self, method: str = DEFAULT_METHOD) -> np.ndarray:
        return self.losses[method] * self._money()[None, :]

    def value_added_loss_usd(self, method: str = DEFAULT_METHOD) -> np.ndarray:
        x = self.table.x
        ratio = np.divide(self.table.value_added, x, out=np.zeros_like(x), where=x > 0)
        return self.output_loss_usd(method) * np.clip(ratio, 0.0, 1.0)[None, :]

    def gdp_usd_per_month(self) -> np.ndarray:
        """Each region's GDP per month [R] in USD of the base year."""
        return self.table.gdp() * self.table.usd_per_unit * self.scale / 12.0

    def countries(self, method: str = DEFAULT_METHOD) -> list[dict]:
        """Per region with a loss: GDP shares, value added and output lost, by industry (the
        JSON of ``oreshock impact``), largest GDP share first."""
        t = self.table
        va = self.value_added_loss_usd(method)
        output = self.output_loss_usd(method)
        gdp = self.gdp_usd_per_month()
        S = len(t.sectors)
        rows: list[dict[str, Any]] = []
        for r, region in enumerate(t.regions):
            cols = slice(r * S, (r + 1) * S)
            va_r = va[:, cols]
            if va_r.sum() <= 0 and output[:, cols].sum() <= 0:
                continue
            monthly = va_r.sum(axis=1)
            rows.append(
                {
                    "country": region,
                    "gdp_loss_pct_horizon": _pct(monthly.sum(), gdp[r] * len(monthly)),
                    "gdp_loss_pct_worst_quarter": _worst_quarter(monthly, gdp[r]),
                    "value_added_loss_usd": float(va_r.sum()),
                    "output_loss_usd": float(output[:, cols].sum()),
                    "sectors": [
                        {
                            "sector": t.sectors[s],
                            "output_loss_usd": float(output[:, r * S + s].sum()),
                            "value_added_loss_usd": float(va[:, r * S + s].sum()),
                        }
                        for s in range(S)
                        if output[:, r * S + s].sum() > 0
                    ],
                }
            )
        rows.sort(key=lambda row: -row["gdp_loss_pct_horizon"])
        return rows

    def tidy(self) -> pd.DataFrame:
        """Every measure's losses by month, region and industry (for storage and export)."""
        t = self.table
        T, n = len(self.months), t.size
        frames = []
        for method in self.losses:
            frames.append(
                pd.DataFrame(
                    {
                        "month": np.repeat(self.months, n),
                        "country": np.tile(np.array(t.regions)[t.region_of()], T),
                        "sector": np.tile(np.array(t.sectors)[t.sector_of()], T),
                        "method": method,
                        "output_loss_usd": self.output_loss_usd(method).reshape(-1),
                        "value_added_loss_usd": self.value_added_loss_usd(method).reshape(-1),
                    }
                )
            )
        out = pd.concat(frames, ignore_index=True)
        return out[(out["output_loss_usd"] > 0) | (out["value_added_loss_usd"] > 0)]

    def coverage(self) -> dict:
        """Tonnes of final use short that the bridge valued and did not, with what was not."""
        valued = sum(v["tonnes_short"] for v in self.direct.valued)
        missed = sum(v["tonnes_short"] for v in self.direct.unvalued)
        total = valued + missed
        return {
            "tonnes_short_valued": valued,
            "tonnes_short_not_valued": missed,
            "share_valued": valued / total if total > 0 else 1.0,
            "not_valued": self.direct.unvalued,
            "notes": self.notes,
        }

    def to_json(self, run_id: str | None, method: str = DEFAULT_METHOD) -> dict:
        return {
            "run_id": run_id,
            "table": self.table.name,
            "method": method,
            "countries": self.countries(method),
            "table_info": self.table.describe()
            | {
                "scale_to_base_year": dict(
                    zip(self.table.regions, (float(s) for s in self.scale), strict=True)
                )
            },
            "coverage": self.coverage(),
            "by_method": {
                m: {
                    "value_added_loss_usd": float(self.value_added_loss_usd(m).sum()),
                    "output_loss_usd": float(self.output_loss_usd(m).sum()),
                }
                for m in self.losses
            },
        }

    def stored_record(self, run_id: str | None) -> dict:
        """What the store keeps: the default measure's record, plus every measure's
        countries (``countries_by_method``), so any measure can be shown later."""
        record = self.to_json(run_id, DEFAULT_METHOD)
        record["countries_by_method"] = {
            m: record["countries"] if m == DEFAULT_METHOD else self.countries(m)
            for m in self.losses
        }
        return record


def shown_record(stored: dict, method: str) -> dict:
    """A stored record as ``--json`` and the API give it for one measure."""
    shown = {k: v for k, v in stored.items() if k != "countries_by_method"}
    by = stored.get("countries_by_method") or {}
    if method != stored.get("method") and method in by:
        shown["countries"] = by[method]
        shown["method"] = method
    return shown


def assess(
    result,
    dataset,
    table: IOTable,
    methods: tuple[str, ...] = METHODS,
    params: dynamic.Dynamics | None = None,
) -> Impact:
    """The impact of one run on ``table`` by every measure asked."""
    bridge = check_covered(list(result.runs), dataset)
    countries = sorted({c for run in result.runs.values() for c in run.chain.countries})
    eu = eu_members(dataset)
    scale, notes = money_scale(table, dataset.table("gdp"), dataset.base_year, eu)
    regions = RegionMap(region_map(table, countries, eu), table.regions[-1], scale, notes)
    direct = direct_loss(result, table, bridge, regions)
    losses: dict[str, np.ndarray] = {}
    goods = dynamic.stockable(table, list(table.stockable) if table.stockable else None)
    for method in methods:
        if method == "direct":
            losses[method] = direct.loss
        elif method == "leontief":
            losses[method] = propagation.backward(table, direct.loss)
        elif method == "ghosh":
            losses[method] = propagation.forward(table, direct.loss)
        elif method == "dynamic":
            losses[method] = dynamic.simulate(table, direct.loss, params, goods)
        else:
            raise ValueError(f"unknown impact method {method!r}; expected one of {METHODS}")
    return Impact(table, result.months(), scale, losses, direct, notes)


def check_covered(chains: list[str], dataset) -> Bridge:
    """The bridge, if it values an end use of any of ``chains``; else an error saying which
    minerals it does value (a run of other minerals has no impact to measure)."""
    bridge = Bridge.from_table(dataset.table("impact_bridge"))
    if not any(bridge.covers(m) for m in chains):
        raise ImpactError(
            f"no end use of {', '.join(sorted(chains))} has a row in impact_bridge.csv, so the "
            "impact cannot be measured; expected a run of a mineral the bridge values "
            f"({', '.join(sorted({k[0] for k in bridge.links}))})"
        )
    return bridge


def _pct(part: float, whole: float) -> float:
    return float(100.0 * part / whole) if whole > 0 else 0.0


def _worst_quarter(monthly: np.ndarray, gdp_month: float) -> float:
    quarters = [monthly[i : i + 3] for i in range(0, len(monthly), 3)]
    return max((_pct(q.sum(), gdp_month * len(q)) for q in quarters), default=0.0)
