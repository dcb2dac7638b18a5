"""Derived tables: apparent consumption at every stage and bilateral trade by matrix balancing.

Published data give production by country at each stage, final use for some stages and
import-source shares for a few importers. The network needs, for the base year, a complete
and mass-balanced picture. This module builds it, marking every derived value `estimated`
and saying how:

1. Consumption of stage s in country c = production of stage s+1 in c / yield of s+1
   (input to the next stage) + what other chains' recipes take from s (production of the
   product in c x tonnes of input per tonne, ``recipes.csv``) + final use of stage s in c.
   Stage totals are scaled so that world consumption equals world production (the gap is
   unrecorded stock change and loss).
2. Net trade positions: exports X_c = max(P_c - D_c, 0), imports M_c = max(D_c - P_c, 0).
3. Bilateral flows: published tonnages and import shares fix some cells; the rest are
   filled by RAS (iterative proportional fitting) from a gravity seed X_e * M_i so that
   row sums equal X and column sums equal M.
"""

from __future__ import annotations

from typing import cast

import numpy as np
import pandas as pd

from oreshock.data.schema import column_names

RAS_TOLERANCE = 1e-9
RESIDUAL = "OTH"
BALANCED = "matrix balancing (RAS) of base-year net trade"
RAS_MAX_ITER = 2000


def ras(seed: np.ndarray, row_totals: np.ndarray, col_totals: np.ndarray) -> np.ndarray:
    """Scale ``seed`` by rows and columns until its margins match the totals (RAS / IPF).

    Column totals are rescaled to the row grand total first; rows or columns whose seed is all
    zero stay zero. Returns a matrix whose row sums equal ``row_totals`` wherever feasible.
    """
    seed = np.asarray(seed, dtype=float)
    rows = np.asarray(row_totals, dtype=float)
    cols = np.asarray(col_totals, dtype=float)
    if rows.sum() <= 0 or cols.sum() <= 0:
        return np.zeros_like(seed)
    cols = cols * rows.sum() / cols.sum()
    flows = seed.copy()
    for _ in range(RAS_MAX_ITER):
        row_sum = flows.sum(axis=1)
        flows *= np.divide(rows, row_sum, out=np.zeros_like(rows), where=row_sum > 0)[:, None]
        col_sum = flows.sum(axis=0)
        flows *= np.divide(cols, col_sum, out=np.zeros_like(cols), where=col_sum > 0)[None, :]
        if np.abs(flows.sum(axis=1) - rows).max() <= RAS_TOLERANCE * max(rows.max(), 1.0):
            break
    # End on the rows: an exporter never ships more than it has, even if the pattern of
    # allowed cells makes the column totals unreachable.
    row_sum = flows.sum(axis=1)
    flows *= np.minimum(1.0, np.divide(rows, row_sum, out=np.ones_like(rows), where=row_sum > 0))[
        :, None
    ]
    return flows


def latest(df: pd.DataFrame, base_year: int, keys: list[str]) -> pd.DataFrame:
    """Rows of the most recent year not after ``base_year`` for each key."""
    df = df[df["year"] <= base_year]
    if df.empty:
        return df
    newest = df.groupby(keys)["year"].transform("max")
    return df[df["year"] == newest]


def _rows(table: str, records: list[dict]) -> pd.DataFrame:
    frame = pd.DataFrame.from_records(records, columns=column_names(table))
    for col in ("value",):
        if col in frame:
            frame[col] = frame[col].astype("float64")
    if "year" in frame:
        frame["year"] = frame["year"].astype("Int64")
    return frame


def recipe_needs(
    recipes: pd.DataFrame | None, production: pd.DataFrame, mineral: str, stage: str
) -> tuple[dict[str, float], list[str]]:
    """Tonnes of ``mineral``'s ``stage`` output that recipes consume in each country, and a
    note per recipe: a magnet plant's metal is consumption where the magnets are made."""
    parts: dict[str, float] = {}
    notes: list[str] = []
    if recipes is None or recipes.empty:
        return parts, notes
    rows = recipes[(recipes["input"] == mineral) & (recipes["input_stage"] == stage)]
    for product, product_stage, quantity in zip(
        rows["product"], rows["stage"], rows["quantity"], strict=True
    ):
        made = production[
            (production["mineral"] == product) & (production["stage"] == product_stage)
        ]
        if made.empty:
            continue
        for iso3, value in zip(made["iso3"], made["value"], strict=True):
            parts[iso3] = parts.get(iso3, 0.0) + float(value) * float(quantity)
        notes.append(
            f"input to {product} {product_stage} = production x {float(quantity):g} (recipe)"
        )
    return parts, notes


def derive_consumption(tables: dict[str, pd.DataFrame], base_year: int) -> pd.DataFrame:
    """Apparent consumption for every mineral, stage and country in the base year."""
    stages = tables["stages"].sort_values(["mineral", "order"])
    production = latest(tables["production"], base_year, ["mineral", "stage"])
    production = production[production["iso3"] != "WLD"]
    final = latest(tables["demand"], base_year, ["mineral", "stage"])
    recipes = tables.get("recipes")
    records: list[dict] = []
    for mineral, chain in stages.groupby("mineral", sort=False):
        chain = chain.reset_index(drop=True)
        for k, stage in enumerate(chain["stage"]):
            unit = chain.at[k, "unit"]
            made = production[(production["mineral"] == mineral) & (production["stage"] == stage)]
            world = float(made["value"].sum())
            if world <= 0:
                continue
            year = int(made["year"].max())
            parts: dict[str, float] = {}
            notes: list[str] = []
            if k + 1 < len(chain):
                nxt = str(chain.at[k + 1, "stage"])
                y = float(cast(float, chain.at[k + 1, "yield"]))
                down = production[(production["mineral"] == mineral) & (production["stage"] == nxt)]
                for iso3, value in zip(down["iso3"], down["value"], strict=True):
                    parts[iso3] = parts.get(iso3, 0.0) + float(value) / y
                if not down.empty:
                    notes.append(f"input to {nxt} = {nxt} production / yield {y:g}")
            needs, recipe_notes = recipe_needs(recipes, production, str(mineral), str(stage))
            for iso3, value in needs.items():
                parts[iso3] = parts.get(iso3, 0.0) + value
            notes.extend(recipe_notes)
            uses = final[(final["mineral"] == mineral) & (final["stage"] == stage)]
            intermediate = sum(parts.values())
            final_total = float(uses["value"].sum())
            sources = sorted(set(uses["source_id"])) or sorted(set(made["source_id"]))
            if final_total > 0 and intermediate < world:
                scale = (world - intermediate) / final_total
                for iso3, value in zip(uses["iso3"], uses["value"], strict=True):
                    parts[iso3] = parts.get(iso3, 0.0) + float(value) * scale
                notes.append(
                    f"final use from demand table ({', '.join(sources)}) x {scale:.3f} "
                    "so world consumption equals world production"
                )
                status = "estimated"
            elif intermediate > 0:
                scale = world / intermediate
                parts = {c: v * scale for c, v in parts.items()}
                notes.append(f"scaled x {scale:.3f} so world consumption equals world production")
                status = "estimated"
            else:
                parts = dict(zip(made["iso3"], made["value"].astype(float), strict=True))
                notes.append(
                    "no consumption data: consumption assumed equal to production (no trade)"
                )
                status = "assumed"
            for iso3, value in sorted(parts.items()):
                if value <= 0:
                    continue
                records.append(
                    {
                        "mineral": mineral,
                        "stage": stage,
                        "iso3": iso3,
                        "year": year,
                        "value": value,
                        "unit": unit,
                        "status": status,
                        "source_id": sources[0],
                        "method": "; ".join(notes),
                    }
                )
    return _rows("consumption", records)


def _fill(rows: np.ndarray, cols: np.ndarray, blocked: np.ndarray) -> np.ndarray:
    """Spread free exports over free imports by RAS, keeping pinned cells as published.

    A first pass leaves pinned cells alone so published shares hold; if that cannot place
    everything (say the only exporter is a pinned one), a second pass may top pinned cells up.
    """
    if rows.sum() <= 0 or cols.sum() <= 0:
        return np.zeros((len(rows), len(cols)))
    seed = np.outer(rows, cols)
    np.fill_diagonal(seed, 0.0)
    first = ras(np.where(blocked, 0.0, seed), rows, cols)
    row_gap = np.maximum(rows - first.sum(axis=1), 0.0)
    col_gap = np.maximum(cols * rows.sum() / cols.sum() - first.sum(axis=0), 0.0)
    col_gap *= min(1.0, row_gap.sum() / col_gap.sum()) if col_gap.sum() > 0 else 0.0
    if col_gap.sum() <= RAS_TOLERANCE * max(cols.sum(), 1.0):
        return first
    second = np.outer(row_gap, col_gap)
    np.fill_diagonal(second, 0.0)
    return first + ras(second, row_gap, col_gap)


def derive_trade(
    tables: dict[str, pd.DataFrame], consumption: pd.DataFrame, base_year: int
) -> pd.DataFrame:
    """Bilateral base-year flows per mineral and stage, balanced against net positions."""
    production = latest(tables["production"], base_year, ["mineral", "stage"])
    production = production[production["iso3"] != "WLD"]
    shares = latest(tables["import_shares"], base_year, ["importer", "mineral", "stage"])
    reported = latest(tables["trade"], base_year, ["mineral", "stage", "exporter", "importer"])
    records: list[dict] = []
    for (mineral, stage), used in consumption.groupby(["mineral", "stage"], sort=False):
        made = production[(production["mineral"] == mineral) & (production["stage"] == stage)]
        nodes = sorted(set(made["iso3"]) | set(used["iso3"]))
        index = {c: i for i, c in enumerate(nodes)}
        p = np.zeros(len(nodes))
        d = np.zeros(len(nodes))
        np.add.at(p, [index[c] for c in made["iso3"]], made["value"].to_numpy(float))
        np.add.at(d, [index[c] for c in used["iso3"]], used["value"].to_numpy(float))
        exports = np.maximum(p - d, 0.0)
        imports = np.maximum(d - p, 0.0)
        if exports.sum() <= 0:
            continue
        fixed = np.zeros((len(nodes), len(nodes)))
        fixed_note: dict[tuple[int, int], str] = {}
        known = reported[(reported["mineral"] == mineral) & (reported["stage"] == stage)]
        for e, i, v, src in zip(
            known["exporter"], known["importer"], known["value"], known["source_id"], strict=True
        ):
            if e in index and i in index and e != i:
                # A published flow beyond net positions is cross-hauling: the importer also
                # exports (and the exporter also imports) that much more.
                a, b, flow = index[e], index[i], float(v)
                extra_in = max(flow - (imports[b] - fixed[:, b].sum()), 0.0)
                imports[b] += extra_in
                exports[b] += extra_in
                extra_out = max(flow - (exports[a] - fixed[a, :].sum()), 0.0)
                exports[a] += extra_out
                imports[a] += extra_out
                fixed[a, b] = flow
                fixed_note[(a, b)] = f"published flow ({src})"
        pinned = shares[(shares["mineral"] == mineral) & (shares["stage"] == stage)]
        for importer, rows in pinned.groupby("importer"):
            if importer not in index or imports[index[importer]] <= 0:
                continue
            col = index[importer]
            for e, share, src in zip(
                rows["exporter"], rows["share"], rows["source_id"], strict=True
            ):
                note = f"import share {float(share):.3f} ({src})"
                if e == RESIDUAL:
                    continue  # the remainder is left to the balancing
                if e not in index or exports[index[e]] <= 0:
                    # A named exporter with no output at this stage in the dataset: its share
                    # goes to the exporters the source does not name, never to those it does.
                    named = set(rows["exporter"])
                    others = [c for c in nodes if c not in named and exports[index[c]] > 0]
                    weights = np.array([exports[index[c]] for c in others])
                    for c, w in zip(others, weights / max(weights.sum(), 1e-300), strict=True):
                        fixed[index[c], col] += float(share) * w * imports[col]
                        fixed_note[(index[c], col)] = (
                            f"share {float(share):.3f} of {e} ({src}), which has no {stage} "
                            "output in the dataset, spread over exporters the source does not name"
                        )
                    continue
                if e == importer or fixed[index[e], col] > 0:
                    continue
                fixed[index[e], col] += float(share) * imports[col]
                fixed_note[(index[e], col)] = note
        # An exporter cannot ship more than its net exports: scale its pinned flows down.
        pinned_out = fixed.sum(axis=1)
        over = pinned_out > exports + 1e-9
        fixed[over] *= (exports[over] / pinned_out[over])[:, None]
        free_rows = np.maximum(exports - fixed.sum(axis=1), 0.0)
        free_cols = np.maximum(imports - fixed.sum(axis=0), 0.0)
        flows = fixed + _fill(free_rows, free_cols, blocked=fixed > 0)
        unit = used["unit"].iloc[0]
        year = int(used["year"].max())
        for e, i in zip(*np.nonzero(flows > 1e-9), strict=True):
            note = fixed_note.get((e, i), "RAS balance of net exports and net imports")
            records.append(
                {
                    "mineral": mineral,
                    "stage": stage,
                    "exporter": nodes[e],
                    "importer": nodes[i],
                    "year": year,
                    "value": float(flows[e, i]),
                    "unit": unit,
                    "status": "estimated",
                    "source_id": used["source_id"].iloc[0],
                    "method": f"{BALANCED}; cell from {note}",
                }
            )
    return _rows("trade", records)


def derive_tables(tables: dict[str, pd.DataFrame], base_year: int) -> dict[str, pd.DataFrame]:
    """Tables derived from the published ones: ``consumption`` and the estimated ``trade``."""
    consumption = derive_consumption(tables, base_year)
    estimated = derive_trade(tables, consumption, base_year)
    trade = (
        pd.concat([tables["trade"], estimated], ignore_index=True)
        if len(tables["trade"])
        else estimated
    )
    return {"consumption": consumption, "trade": trade}
