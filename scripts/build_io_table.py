"""Build the bundled input-output table ``wiod2011_agg11`` from the WIOD 2013 release.

The source is the World Input-Output Table for 2011 of the WIOD 2013 release (40 countries
and a rest of the world, 35 ISIC Rev. 3 industries, millions of current US dollars), as
shipped in the R data package ``wiod`` (file ``data/wiot_2011.RData``). WIOD is licensed
under Creative Commons Attribution 4.0; the aggregate built here is redistributed under the
same licence with its attribution (see the table's ``oreshock.json``).

Why aggregate: oreshock needs the countries its mineral data name and the industries its
end uses feed, not 1,435 rows; a small table keeps the package light and the impact of a
60-month run well under a second. Regions outside the list and the source's RoW become
``ROW``; EU members not listed become ``XEU``.

Usage (needs the ``rdata`` package, only for this script)::

    python scripts/build_io_table.py PATH/wiot_2011.RData src/oreshock/data/bundled/io/wiod2011_agg11
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import numpy as np
import pandas as pd

REGIONS = ["JPN", "USA", "DEU", "KOR", "CHN", "FRA", "GBR", "ITA", "CAN", "IND", "MEX",
           "AUS", "BRA", "TWN", "RUS", "XEU", "ROW"]  # fmt: skip
EU_OTHERS = {"AUT", "BEL", "BGR", "CYP", "CZE", "DNK", "ESP", "EST", "FIN", "GRC", "HUN",
             "IRL", "LTU", "LUX", "LVA", "MLT", "NLD", "POL", "PRT", "ROM", "SVK", "SVN",
             "SWE"}  # fmt: skip
SECTORS = {
    "agri_mining": (range(1, 3), "Agriculture and mining", "農林水産業・鉱業"),
    "light_manufacturing": (range(3, 8), "Food, textiles, wood and paper", "食品・繊維・木材・紙"),
    "petro_chemicals": (range(8, 11), "Refining, chemicals, rubber and plastics",
                        "石油精製・化学・ゴム・プラスチック"),
    "minerals_glass": (range(11, 12), "Glass, ceramics and other non-metallic minerals",
                       "ガラス・窯業・土石製品"),
    "metals": (range(12, 13), "Basic and fabricated metals", "鉄鋼・非鉄金属・金属製品"),
    "machinery": (range(13, 14), "Machinery", "一般機械"),
    "electrical_optical": (range(14, 15), "Electrical and optical equipment (incl. electronics)",
                           "電気機械・電子・光学機器"),
    "transport_equipment": (range(15, 16), "Transport equipment (vehicles, aircraft, ships)",
                            "輸送用機械（自動車・航空機・船舶）"),
    "other_manufacturing": (range(16, 17), "Other manufacturing and recycling",
                            "その他の製造業・リサイクル"),
    "utilities_construction": (range(17, 19), "Utilities and construction", "電気・ガス・水道・建設"),
    "services": (range(19, 36), "Services", "サービス"),
}  # fmt: skip
CATEGORIES = 5  # WIOD final demand: households, NPISH, government, GFCF, inventories


def region_of(code: str) -> str:
    if code in REGIONS:
        return code
    return "XEU" if code in EU_OTHERS else "ROW"


def sector_of(industry: str) -> str:
    number = int(industry.lstrip("c"))
    return next(s for s, (rng, _, _) in SECTORS.items() if number in rng)


def read_source(path: Path) -> tuple[list[str], list[str], np.ndarray, np.ndarray, np.ndarray]:
    import rdata

    wiot = rdata.conversion.convert(rdata.parser.parse_file(path))["wiot_2011"]
    countries = [str(c) for c in wiot["countries"]]
    industries = [str(i) for i in wiot["industries"]]
    return (
        countries,
        industries,
        np.asarray(wiot["inter"].values, float),
        np.asarray(wiot["final"].values, float),
        np.asarray(wiot["output"], float),
    )


def aggregate(path: Path) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame, dict]:
    countries, industries, Z, Y, output = read_source(path)
    rows = pd.MultiIndex.from_tuples(
        [(region_of(c), sector_of(i)) for c in countries for i in industries]
    )
    buyers = [region_of(c) for c in countries for _ in range(CATEGORIES)]
    order = pd.MultiIndex.from_product([REGIONS, list(SECTORS)], names=["region", "sector"])
    Zd = pd.DataFrame(Z, index=rows, columns=rows).T.groupby(level=[0, 1]).sum().T
    Zd = Zd.groupby(level=[0, 1]).sum().reindex(index=order, columns=order)
    Yd = pd.DataFrame(Y, index=rows, columns=buyers).T.groupby(level=0).sum().T
    Yd = Yd.groupby(level=[0, 1]).sum().reindex(index=order, columns=REGIONS)
    Yd.columns = pd.MultiIndex.from_product(
        [REGIONS, ["final_demand"]], names=["region", "category"]
    )
    x = pd.Series(output, index=rows).groupby(level=[0, 1]).sum().reindex(order)
    primary = x - Zd.sum(axis=0)
    F = pd.DataFrame([primary.to_numpy()], index=["value_added"], columns=order)
    F.index.name = "inputtype"
    checks = {
        "row_gap_max_musd": float(np.abs(Zd.sum(axis=1) + Yd.sum(axis=1) - x).max()),
        "row_gap_max_relative": float((np.abs(Zd.sum(axis=1) + Yd.sum(axis=1) - x) / x).max()),
        "world_output_musd": float(x.sum()),
        "world_value_added_musd": float(primary.sum()),
        "negative_value_added": int((primary < 0).sum()),
        "negative_final_demand_cells": int((Yd < 0).to_numpy().sum()),
    }
    return Zd, Yd, F, checks


def save(Zd: pd.DataFrame, Yd: pd.DataFrame, F: pd.DataFrame, out: Path, source: Path) -> None:
    import pymrio

    io = pymrio.IOSystem(Z=Zd, Y=Yd, unit=pd.DataFrame({"unit": "M.USD"}, index=Zd.index),
                         name="wiod2011_agg11")  # fmt: skip
    io.factor_inputs = pymrio.Extension(
        name="factor_inputs", F=F, unit=pd.DataFrame({"unit": ["M.USD"]}, index=F.index)
    )
    io.save_all(out, table_format="txt")
    meta = {
        "name": "wiod2011_agg11",
        "source": "World Input-Output Database, 2013 release: World Input-Output Table 2011 "
        "(Timmer et al. 2015), aggregated to 17 regions and 11 industries",
        "licence": "CC BY 4.0 (WIOD: 'WIOD is licensed under a Creative Commons Attribution "
        "4.0 International-license'); attribution: Timmer, M. P., Dietzenbacher, E., Los, B., "
        "Stehrer, R. and de Vries, G. J. (2015), An Illustrated User Guide to the World "
        "Input-Output Database: the Case of Global Automotive Production, Review of "
        "International Economics 23: 575-605",
        "read_from": "github.com/bquast/wiod at commit 59a28ac, data/wiot_2011.RData",
        "year": 2011,
        "unit": "M.USD",
        "usd_per_unit": 1e6,
        "value_added": "output less intermediate inputs at basic prices (value added plus net "
        "taxes on products and international margins of the industry's purchases; the source "
        "file carries no separate value-added row)",
        "regions": {r: sorted({c for c in EU_OTHERS}) if r == "XEU" else [r] for r in REGIONS}
        | {"ROW": ["IDN", "TUR", "RoW (WIOD's rest of the world)"]},
        "sector_map": {s: [f"c{n}" for n in rng] for s, (rng, _, _) in SECTORS.items()},
        "sector_names": {s: {"en": en, "ja": ja} for s, (_, en, ja) in SECTORS.items()},
        "region_names": {
            "TWN": {"en": "Taiwan", "ja": "台湾"},
            "XEU": {"en": "EU27 members not listed separately", "ja": "EU27（個別掲載国以外）"},
            "ROW": {"en": "Rest of world", "ja": "その他の国・地域"},
        },
        "stockable": [s for s in SECTORS if s not in ("utilities_construction", "services")],
        "built_by": "scripts/build_io_table.py",
        "source_file": source.name,
    }
    (out / "oreshock.json").write_text(json.dumps(meta, indent=1, ensure_ascii=False) + "\n")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("source", type=Path)
    parser.add_argument("out", type=Path)
    args = parser.parse_args()
    Zd, Yd, F, checks = aggregate(args.source)
    save(Zd, Yd, F, args.out, args.source)
    print(json.dumps(checks, indent=1))


if __name__ == "__main__":
    main()
