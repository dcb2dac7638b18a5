"""Base-year prices in USD/kg: every row sourced, ranged and in the one unit, refused with
file, row and field when not, and kept out of the 2010 vintage."""

from __future__ import annotations

import shutil

import pytest

from oreshock import load_dataset
from oreshock.core.errors import DataFileError
from oreshock.data.balance import latest
from oreshock.data.datasets import bundled_path
from oreshock.data.manifest import write_manifest


def test_bundled_prices_are_ranged_and_sourced(dataset):
    prices = dataset.table("prices")
    assert len(prices) >= 15
    assert (prices["unit"] == "USD/kg").all()
    ranged = prices.dropna(subset=["low", "high"])
    assert ((ranged["low"] <= ranged["value"]) & (ranged["value"] <= ranged["high"])).all()
    sources = set(dataset.table("sources")["source_id"])
    assert set(prices["source_id"]) <= sources
    dytb = prices[(prices["mineral"] == "ree_dytb") & (prices["stage"] == "separation")]
    ndpr = prices[(prices["mineral"] == "ree_ndpr") & (prices["stage"] == "separation")]
    assert float(dytb["value"].iloc[0]) > 5 * float(ndpr["value"].iloc[0])


@pytest.fixture()
def folder(tmp_path):
    target = tmp_path / "ds"
    shutil.copytree(bundled_path(), target)
    return target


def test_a_price_in_another_unit_names_file_row_and_field(folder):
    path = folder / "prices.csv"
    lines = path.read_text("utf-8").splitlines(keepends=True)
    lines[1] = lines[1].replace(",USD/kg,", ",USD/t,", 1)
    path.write_text("".join(lines), "utf-8")
    write_manifest(folder)
    with pytest.raises(DataFileError) as info:
        load_dataset(folder)
    assert any(
        "prices.csv, row 2, column 'unit'" in str(p) and "expected USD/kg" in str(p)
        for p in info.value.problems
    ), [str(p) for p in info.value.problems]


def test_the_2010_vintage_reads_no_2024_price():
    """Tables keep every year; what a vintage reads is each key's latest row not after it."""
    prices = load_dataset(base_year=2010).table("prices")
    assert latest(prices, 2010, ["mineral", "stage", "region"]).empty
