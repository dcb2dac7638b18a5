"""Products of a mineral family: rows derived from the family's sourced rows.

A family (``rare_earths``) is published as one chain in total tonnes; its products (NdPr,
Dy/Tb, La/Ce, NdFeB grades, ...) are what shocks and recipes act on. ``product_shares.csv``
says what share of the family's output (``production``) or final use (``use``) at a stage
and country is each product (``WLD`` for countries without their own row). The family rows
stay as published; the product rows appended here are marked ``estimated`` and say which
family row and which share they come from, so every derived tonne is traceable.
"""

from __future__ import annotations

import pandas as pd

from oreshock.data.schema import column_names

WORLD = "WLD"
Shares = dict[tuple[str, str, str, str], list[tuple[str, float, str]]]


def _latest_shares(shares: pd.DataFrame, base_year: int) -> Shares:
    """(family, stage, iso3, measure) -> [(product, share, source)] for the newest year not
    after the base year, so a later revision of the shares replaces the earlier one."""
    df = shares[shares["year"] <= base_year]
    if df.empty:
        return {}
    keys = ["family", "stage", "iso3", "measure"]
    df = df[df["year"] == df.groupby(keys)["year"].transform("max")]
    out: Shares = {}
    for row in df.to_dict("records"):
        key = (str(row["family"]), str(row["stage"]), str(row["iso3"]), str(row["measure"]))
        out.setdefault(key, []).append(
            (str(row["product"]), float(row["share"]), str(row["source_id"]))
        )
    return out


def _shares_for(
    shares: Shares, family: str, stage: str, iso3: str, measure: str
) -> list[tuple[str, float, str]]:
    """A country's own shares, else the world default (empty when neither exists)."""
    return shares.get((family, stage, iso3, measure)) or shares.get(
        (family, stage, WORLD, measure), []
    )


def _product_stages(tables: dict[str, pd.DataFrame]) -> dict[str, set[str]]:
    """Stages of every product (a mineral whose ``family`` is set)."""
    minerals = tables["minerals"]
    if "family" not in minerals.columns:
        return {}
    products = set(minerals.loc[minerals["family"].fillna("") != "", "mineral"])
    stages = tables["stages"]
    out: dict[str, set[str]] = {p: set() for p in products}
    for mineral, stage in zip(stages["mineral"], stages["stage"], strict=True):
        if mineral in out:
            out[mineral].add(str(stage))
    return out


def _frame(table: str, records: list[dict], like: pd.DataFrame) -> pd.DataFrame:
    """Records as a frame with the table's columns and the dtypes of ``like``."""
    frame = pd.DataFrame.from_records(records, columns=column_names(table))
    return frame.astype(like.dtypes.to_dict()) if len(like.columns) else frame


def _append(table: pd.DataFrame, name: str, records: list[dict]) -> pd.DataFrame:
    if not records:
        return table
    return pd.concat([table, _frame(name, records, table)], ignore_index=True)


def _split_values(
    df: pd.DataFrame,
    table: str,
    family: str,
    stages: dict[str, set[str]],
    shares: Shares,
    measure: str,
) -> list[dict]:
    """Product rows of a value table (production, capacity, demand): family value x share.

    A world row is split in the mix of the country rows of the same stage and year (the
    world's product mix is its countries' mix), falling back to the WLD shares.
    """
    fam = df[df["mineral"] == family]
    own = set(zip(df["mineral"], df["stage"], df["iso3"], df["year"], strict=True))
    what = {"production": "output", "capacity": "capacity", "demand": "final use"}[table]
    records: list[dict] = []
    for row in fam.to_dict("records"):
        stage, iso3 = str(row["stage"]), str(row["iso3"])
        parts = _world_mix(fam, row, shares, family, measure) if iso3 == WORLD else None
        for product, share, source in parts or _shares_for(shares, family, stage, iso3, measure):
            if stage not in stages.get(product, set()):
                continue
            if (product, stage, iso3, row["year"]) in own:
                continue
            method = (
                f"{family} {stage} {what} ({row['source_id']}) x {product} "
                f"{measure} share {share:.4g} ({source})"
            )
            records.append(_split_row(row, product, share, source, method))
    return records


def _split_row(row: dict, product: str, share: float, source: str, method: str) -> dict:
    """A family row's share for one product, marked estimated with how it was split."""
    return {
        **row,
        "mineral": product,
        "value": float(row["value"]) * share,
        "status": "estimated",
        "source_id": source,
        "method": method,
    }


def _world_mix(
    fam: pd.DataFrame, row: dict, shares: Shares, family: str, measure: str
) -> list[tuple[str, float, str]] | None:
    """Product shares of a world row: the value-weighted shares of the country rows."""
    same = fam[(fam["stage"] == row["stage"]) & (fam["year"] == row["year"])]
    same = same[same["iso3"] != WORLD]
    total = float(same["value"].sum())
    if total <= 0:
        return None
    mix: dict[str, float] = {}
    source: dict[str, str] = {}
    for iso3, value in zip(same["iso3"], same["value"], strict=True):
        for product, share, src in _shares_for(shares, family, str(row["stage"]), iso3, measure):
            mix[product] = mix.get(product, 0.0) + float(value) * share / total
            source.setdefault(product, src)
    return [(p, s, source[p]) for p, s in mix.items()] or None


def _stock_parts(
    shares: Shares, family: str, stage: str, iso3: str, stages: dict[str, set[str]]
) -> list[tuple[str, float, str]]:
    """Use shares of a stock's stage and holder, else production shares (a stage with no
    final use, such as metal, holds what it makes)."""
    for measure in ("use", "production"):
        parts = [p for p in _shares_for(shares, family, stage, iso3, measure) if p[1] > 0]
        if parts:
            return parts
    return [(p, 1.0, "") for p, s in stages.items() if stage in s]


def _split_stocks(
    df: pd.DataFrame, family: str, stages: dict[str, set[str]], shares: Shares
) -> list[dict]:
    """Family stocks for each product with the stage: days and months copied to every such
    product (a holder's cover is the same in each), tonnes split by the stage's shares."""
    own = set(zip(df["mineral"], df["stage"], df["iso3"], df["holder"], df["year"], strict=True))
    records: list[dict] = []
    for row in df[df["mineral"] == family].to_dict("records"):
        stage, iso3 = str(row["stage"]), str(row["iso3"])
        tonnes = row["unit"] not in ("days", "months")
        if tonnes:
            parts = _stock_parts(shares, family, stage, iso3, stages)
        else:
            parts = [(p, 1.0, "") for p, s in stages.items() if stage in s]
        for product, share, source in parts:
            if stage not in stages.get(product, set()):
                continue
            if (product, stage, iso3, row["holder"], row["year"]) in own:
                continue
            scaled = {c: row[c] * share for c in ("value", "low", "high") if pd.notna(row[c])}
            how = f"x {product} share {share:.4g} ({source})" if tonnes else "copied"
            records.append(
                {
                    **row,
                    **scaled,
                    "mineral": product,
                    "status": "estimated" if tonnes else row["status"],
                    "source_id": source or row["source_id"],
                    "method": f"{family} {stage} stock {how}: {row['method']}",
                }
            )
    return records


def _copy_rows(
    df: pd.DataFrame, family: str, stages: dict[str, set[str]], keys: list[str]
) -> list[dict]:
    """Family rows (import shares, recycling rates) repeated for each product unless the
    product has its own rows for the key: a share or rate applies to every part alike."""
    own = {tuple(r) for r in df[df["mineral"] != family][["mineral", *keys]].to_numpy()}
    records: list[dict] = []
    for row in df[df["mineral"] == family].to_dict("records"):
        for product, product_stages in stages.items():
            if "stage" in row and row["stage"] not in product_stages:
                continue
            if (product, *(row[k] for k in keys)) in own:
                continue
            records.append({**row, "mineral": product, "method": f"as {family}: {row['method']}"})
    return records


def _split_trade(
    df: pd.DataFrame, family: str, stages: dict[str, set[str]], shares: Shares
) -> list[dict]:
    """Published family flows split by the exporter's production shares, unless the product
    already has a published flow for the exporter, importer and stage."""
    own = set(zip(df["mineral"], df["stage"], df["exporter"], df["importer"], strict=True))
    records: list[dict] = []
    for row in df[df["mineral"] == family].to_dict("records"):
        stage = str(row["stage"])
        parts = _shares_for(shares, family, stage, str(row["exporter"]), "production")
        for product, share, source in parts:
            if stage not in stages.get(product, set()):
                continue
            if (product, stage, row["exporter"], row["importer"]) in own:
                continue
            method = (
                f"{family} {stage} flow ({row['source_id']}) x exporter's "
                f"{product} production share {share:.4g} ({source})"
            )
            records.append(_split_row(row, product, share, source, method))
    return records


def families(tables: dict[str, pd.DataFrame]) -> list[str]:
    """Families named by the products of the dataset."""
    minerals = tables["minerals"]
    if "family" not in minerals.columns:
        return []
    return sorted({str(f) for f in minerals["family"].fillna("") if f})


def expand_products(tables: dict[str, pd.DataFrame], base_year: int) -> dict[str, pd.DataFrame]:
    """The tables with each family's production, capacity, demand, stocks, import shares,
    recycling and published trade repeated for its products (see the module docstring).

    Returns a new mapping; tables without products or shares come back unchanged.
    """
    out = dict(tables)
    share_table = tables.get("product_shares")
    stages = _product_stages(tables)
    if share_table is None or share_table.empty or not stages:
        return out
    shares = _latest_shares(share_table, base_year)
    for family in families(tables):
        members = {
            p: s
            for p, s in stages.items()
            if p in set(tables["minerals"].loc[tables["minerals"]["family"] == family, "mineral"])
        }
        for name, measure in (("production", "production"), ("capacity", "production")):
            out[name] = _append(
                out[name], name, _split_values(out[name], name, family, members, shares, measure)
            )
        out["demand"] = _append(
            out["demand"],
            "demand",
            _split_values(out["demand"], "demand", family, members, shares, "use"),
        )
        out["stocks"] = _append(
            out["stocks"], "stocks", _split_stocks(out["stocks"], family, members, shares)
        )
        out["import_shares"] = _append(
            out["import_shares"],
            "import_shares",
            _copy_rows(out["import_shares"], family, members, ["stage", "importer"]),
        )
        out["recycling"] = _append(
            out["recycling"], "recycling", _copy_rows(out["recycling"], family, members, ["iso3"])
        )
        out["trade"] = _append(
            out["trade"], "trade", _split_trade(out["trade"], family, members, shares)
        )
    return out
