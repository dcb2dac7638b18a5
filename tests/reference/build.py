"""Write the stored reference results that tests/test_reference.py compares against.

For every shipped scenario and every variant (the base included): the summary of every
country x mineral x stage, the tidy time series, and the end-use sectors of Japan; plus the
flagship table that the README prints, and the flagship's impact on output and GDP by
measure and country on the bundled input-output table. Run it only when a change is meant to move these
figures, and say why in the same commit (README and docs updated):

    python -m tests.reference.build
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

import oreshock
from oreshock.report.comparison import comparison_table

HERE = Path(__file__).parent
SECTOR_COUNTRY = "JPN"
FLAGSHIP = "japan-rare-earths-2026"


def variant_results():
    """(scenario name, variant label, RunResult) for every shipped scenario and variant."""
    from oreshock.model.scenario import shipped_scenarios

    network = oreshock.build_network(oreshock.load_dataset())
    for name in shipped_scenarios():
        file = oreshock.open_scenario(name)
        for variant in [None, *file.variants]:
            scenario = file.build(variant)
            yield name, variant or "base", oreshock.simulate(network, scenario)


def frames() -> dict[str, pd.DataFrame]:
    """The reference tables, keyed by file stem."""
    summaries, series, flows, sectors, flagship = [], [], [], [], []
    for name, variant, result in variant_results():
        if name == FLAGSHIP:
            flagship.append(result)
        for frame, target in (
            (result.summary(), summaries),
            (result.timeseries(), series),
            (result.flows(), flows),
            (result.sectors(SECTOR_COUNTRY), sectors),
        ):
            frame = frame.copy()
            frame.insert(0, "variant", variant)
            frame.insert(0, "scenario", name)
            target.append(frame)
    impact = impact_frame(flagship)
    sector_table = pd.concat(sectors, ignore_index=True)
    sector_table["months_to_shortfall"] = sector_table["months_to_shortfall"].astype("Int64")
    return {
        "summary": pd.concat(summaries, ignore_index=True),
        "timeseries": pd.concat(series, ignore_index=True),
        "flows": pd.concat(flows, ignore_index=True),
        "sectors": sector_table,
        "flagship": pd.concat(
            [
                comparison_table(flagship, SECTOR_COUNTRY, product).assign(mineral=product)
                for product in flagship[0].network.products("rare_earths")
            ],
            ignore_index=True,
        ).astype(str),  # one table per product: columns mix months and "never"
        "impact": impact,
    }


def impact_frame(results) -> pd.DataFrame:
    """Per flagship variant, measure and country: GDP shares and value added lost."""
    from oreshock.impact.assessment import METHODS, assess
    from oreshock.impact.tables import load_table

    dataset, table = oreshock.load_dataset(), load_table()
    rows = []
    for result in results:
        found = assess(result, dataset, table)
        for method in METHODS:
            for c in found.countries(method):
                rows.append(
                    {
                        "variant": result.scenario.variant or "base",
                        "method": method,
                        "country": c["country"],
                        "gdp_loss_pct_horizon": c["gdp_loss_pct_horizon"],
                        "gdp_loss_pct_worst_quarter": c["gdp_loss_pct_worst_quarter"],
                        "value_added_loss_usd": c["value_added_loss_usd"],
                        "output_loss_usd": c["output_loss_usd"],
                    }
                )
    return pd.DataFrame(rows)


def main() -> None:
    for stem, frame in frames().items():
        frame.to_parquet(HERE / f"{stem}.parquet", index=False, compression="zstd")
        print(f"{stem}: {len(frame)} rows")


if __name__ == "__main__":
    main()
