"""Rare earths as a family of products: the derived product rows add up to the sourced
family rows, recipes show up as consumption, and broken product tables are refused with
file, row and column named."""

from __future__ import annotations

import shutil

import pandas as pd
import pytest

from oreshock import load_dataset
from oreshock.core.errors import DataFileError
from oreshock.data.datasets import bundled_path
from oreshock.data.manifest import write_manifest

FAMILY = "rare_earths"


@pytest.fixture(scope="module")
def ds():
    return load_dataset()


@pytest.fixture()
def folder(tmp_path):
    target = tmp_path / "ds"
    shutil.copytree(bundled_path(), target)
    return target


def _edit(path, old: str, new: str) -> None:
    """Change one table as a user would and rehash, so only the table's problem remains."""
    text = path.read_text("utf-8")
    assert old in text, old
    path.write_text(text.replace(old, new, 1), "utf-8")
    write_manifest(path.parent)


def _problems(folder) -> str:
    with pytest.raises(DataFileError) as info:
        load_dataset(folder)
    return "\n".join(str(p) for p in info.value.problems)


def _row_of(path, start: str) -> int:
    """Spreadsheet row (header = 1) of the first line of ``path`` containing ``start``."""
    lines = path.read_text("utf-8").splitlines()
    return next(n for n, line in enumerate(lines, start=1) if start in line)


def _products(ds, stage: str) -> list[str]:
    return ds.sql(
        "SELECT DISTINCT m.mineral FROM minerals m JOIN stages s USING (mineral) "
        "JOIN product_shares p ON p.product = m.mineral AND p.stage = s.stage "
        "WHERE m.family = ? AND s.stage = ? AND p.measure = 'production'",
        [FAMILY, stage],
    )["mineral"].tolist()


def test_bundled_dataset_has_products_and_recipes(ds):
    minerals = ds.table("minerals").set_index("mineral")
    assert minerals.at["ree_ndpr", "family"] == FAMILY
    assert minerals.at["ree_ndpr", "elements"] == "Nd Pr"
    assert "Dy" in minerals.at[FAMILY, "elements"].split()
    recipes = ds.table("recipes")
    assert set(recipes["product"]) == {"ndfeb_dytb", "ndfeb_plain", "smco"}
    assert ds.stages("ndfeb_dytb") == ["magnets"]


@pytest.mark.parametrize("stage", ["mining", "separation", "metal", "magnets"])
def test_products_sum_to_the_family_by_country(ds, stage):
    production = ds.table("production")
    year = int(production[production["mineral"] == FAMILY]["year"].max())
    rows = production[(production["stage"] == stage) & (production["year"] == year)]
    family = rows[rows["mineral"] == FAMILY].set_index("iso3")["value"]
    parts = rows[rows["mineral"].isin(_products(ds, stage))].groupby("iso3")["value"].sum()
    assert len(family) > 1
    for iso3, value in family.items():
        assert parts.get(iso3, 0.0) == pytest.approx(float(value), rel=0.011), iso3


def test_derived_rows_name_their_family_row_and_share(ds):
    rows = ds.sql(
        "SELECT status, method FROM production WHERE mineral = 'ree_ndpr' "
        "AND stage = 'mining' AND iso3 = 'CHN' AND year = 2024"
    )
    assert rows["status"].tolist() == ["estimated"]
    method = rows["method"].iloc[0]
    assert method.startswith("rare_earths mining output (usgs_mcs2025) x ree_ndpr production")
    value = ds.sql(
        "SELECT value FROM production WHERE mineral = 'ree_ndpr' AND stage = 'mining' "
        "AND iso3 = 'CHN' AND year = 2024"
    )["value"].iloc[0]
    assert value == pytest.approx(270000 * 0.1916)


def test_metal_shares_close_with_the_recipes(ds):
    """World NdPr and Dy/Tb metal are what the world's magnets of both grades take."""
    world = ds.sql(
        "SELECT mineral, sum(value) AS v FROM production WHERE stage IN ('metal', 'magnets') "
        "AND iso3 <> 'WLD' AND year = 2024 GROUP BY mineral"
    ).set_index("mineral")["v"]
    recipes = ds.table("recipes")
    for metal in ("ree_ndpr", "ree_dytb"):
        need = sum(
            world[r.product] * r.quantity
            for r in recipes[recipes["input"] == metal].itertuples()
            if r.product in world
        )
        assert need == pytest.approx(world[metal], rel=0.001), metal


def test_recipe_needs_are_consumption_where_magnets_are_made(ds):
    production = ds.table("production")
    made = production[(production["stage"] == "magnets") & (production["iso3"] == "JPN")]
    made = made.set_index("mineral")["value"]
    need = made["ndfeb_dytb"] * 0.27 + made["ndfeb_plain"] * 0.30
    used = ds.sql(
        "SELECT value, method FROM consumption WHERE mineral = 'ree_ndpr' AND stage = 'metal' "
        "AND iso3 = 'JPN'"
    )
    assert used["value"].iloc[0] == pytest.approx(need, rel=0.001)
    assert "input to ndfeb_dytb magnets = production x 0.27 (recipe)" in used["method"].iloc[0]
    cobalt = ds.sql(
        "SELECT method FROM consumption WHERE mineral = 'cobalt' AND stage = 'refining' "
        "AND iso3 = 'CHN'"
    )["method"].iloc[0]
    assert "input to smco magnets = production x 0.5 (recipe)" in cobalt


def test_offtakes_and_split_trade(ds):
    trade = ds.table("trade")
    ndpr = trade[(trade["mineral"] == "ree_ndpr") & (trade["stage"] == "separation")]
    ndpr = ndpr[~ndpr["method"].str.startswith("matrix balancing")]  # the published rows
    flows = {(r.exporter, r.importer): r for r in ndpr.itertuples()}
    assert flows[("MYS", "CHN")].value == 3261
    assert flows[("MYS", "CHN")].status == "reported"
    shares = ds.table("import_shares")
    vietnam = shares[(shares["mineral"] == "ree_ndpr") & (shares["importer"] == "VNM")]
    assert vietnam.set_index("exporter").at["MYS", "share"] == 1.0
    magnets = trade[(trade["stage"] == "magnets") & (trade["exporter"] == "CHN")]
    magnets = magnets[magnets["importer"] == "JPN"]
    published = magnets[magnets["method"].str.contains("x exporter's", regex=False)]
    family = magnets[magnets["mineral"] == FAMILY]["value"].iloc[0]
    assert published["value"].sum() == pytest.approx(family, rel=0.011)


def test_stocks_and_shares_copied_to_products(ds):
    stocks = ds.table("stocks")
    magnets = stocks[(stocks["stage"] == "magnets") & (stocks["iso3"] == "JPN")]
    by_mineral = magnets.set_index("mineral")
    assert by_mineral.at["ndfeb_dytb", "value"] == by_mineral.at[FAMILY, "value"]
    assert by_mineral.at["ndfeb_dytb", "low"] == by_mineral.at[FAMILY, "low"]
    metal = stocks[(stocks["stage"] == "metal") & (stocks["iso3"] == "JPN")]
    assert set(metal["mineral"]) >= {FAMILY, "ree_ndpr", "ree_dytb"}
    assert set(metal["value"]) == {2.0}
    shares = ds.table("import_shares")
    jp = shares[(shares["importer"] == "JPN") & (shares["stage"] == "separation")]
    assert set(jp[jp["mineral"] == "ree_dytb"]["exporter"]) == set(
        jp[jp["mineral"] == FAMILY]["exporter"]
    )


def test_product_end_uses_sum_to_one(ds):
    uses = ds.table("end_uses")
    products = uses[uses["mineral"].isin(["ree_lace", "ndfeb_dytb", "ndfeb_plain"])]
    sums = products.groupby(["mineral", "stage", "iso3", "year"])["share"].sum()
    assert len(sums) == 3
    assert all(abs(s - 1) < 0.01 for s in sums)


def test_folder_without_products_still_loads(tmp_path):
    """A folder written before products existed (no family columns, no new tables)."""
    target = tmp_path / "old"
    shutil.copytree(bundled_path(), target)
    (target / "product_shares.csv").unlink()
    (target / "recipes.csv").unlink()
    (target / "prices.csv").unlink()
    (target / "impact_bridge.csv").unlink()  # written after products, about them
    minerals = pd.read_csv(target / "minerals.csv", dtype=str, keep_default_na=False)
    minerals = minerals[minerals["family"] == ""].drop(columns=["family", "elements"])
    minerals.to_csv(target / "minerals.csv", index=False)
    for name in ("stages", "production", "capacity", "trade", "import_shares", "end_uses"):
        table = pd.read_csv(target / f"{name}.csv", dtype=str, keep_default_na=False)
        keep = table["mineral"].isin(minerals["mineral"])
        table[keep].to_csv(target / f"{name}.csv", index=False)
    write_manifest(target)
    ds = load_dataset(target)
    assert "ree_ndpr" not in ds.minerals
    assert FAMILY in ds.minerals


# --- validation: each problem names file, row and column -------------------------------

RECIPE_NDPR = "ndfeb_dytb,magnets,ree_ndpr,metal,0.27,0.22,0.29,yes,"


@pytest.mark.parametrize(
    ("new", "row_field", "expected"),
    [
        ("ndfeb_xx,magnets,ree_ndpr,metal,0.27,0.22,0.29,yes,", "column 'product'", "unknown mineral 'ndfeb_xx'"),
        ("ndfeb_dytb,magnets,ree_xx,metal,0.27,0.22,0.29,yes,", "column 'input'", "unknown mineral 'ree_xx'"),
        ("ndfeb_dytb,sintering,ree_ndpr,metal,0.27,0.22,0.29,yes,", "column 'stage'", "unknown stage 'sintering'"),
        ("ndfeb_dytb,magnets,ree_ndpr,oxide,0.27,0.22,0.29,yes,", "column 'input_stage'", "unknown stage 'oxide'"),
        ("ndfeb_dytb,magnets,ree_ndpr,metal,0,0.22,0.29,yes,", "column 'quantity'", "above zero"),
        ("ndfeb_dytb,magnets,ree_ndpr,metal,0.27,0.29,0.22,yes,", "column 'low'", "expected low <= high"),
        ("ndfeb_dytb,magnets,ree_ndpr,metal,0.35,0.22,0.29,yes,", "column 'quantity'", "within [0.22, 0.29]"),
        ("ndfeb_dytb,magnets,ree_ndpr,metal,0.27,0.22,0.29,no,", "column 'principal'", "0 principal inputs"),
        ("ndfeb_dytb,magnets,ree_ndpr,metal,2.5,0.22,3,yes,", "column 'quantity'", "expected at most 2"),
    ],
)  # fmt: skip
def test_broken_recipe_refused(folder, new, row_field, expected):
    _edit(folder / "recipes.csv", RECIPE_NDPR, new)
    text = _problems(folder)
    assert f"recipes.csv, row 2, {row_field}" in text
    assert expected in text


def test_recipe_on_a_later_stage_refused(folder):
    _edit(
        folder / "recipes.csv",
        RECIPE_NDPR,
        "ree_ndpr,metal,ree_ndpr,separation,0.27,0.22,0.29,yes,",
    )
    text = _problems(folder)
    assert "recipes.csv, row 2, column 'stage': a recipe feeds the first stage of ree_ndpr" in text


def test_two_principal_inputs_refused(folder):
    _edit(folder / "recipes.csv", "ndfeb_dytb,magnets,ree_dytb,metal,0.03,0.01,0.08,no,",
          "ndfeb_dytb,magnets,ree_dytb,metal,0.03,0.01,0.08,yes,")  # fmt: skip
    assert "2 principal inputs; expected exactly one" in _problems(folder)


SHARE_NDPR = "rare_earths,ree_ndpr,mining,USA,2024,production,0.157,0.157,0.162,"


@pytest.mark.parametrize(
    ("new", "row_field", "expected"),
    [
        ("rare_earths,cobalt,mining,USA,2024,production,0.157,0.157,0.162,", "column 'product'", "'cobalt' is not a product of 'rare_earths'"),
        ("rare_earths,ndfeb_plain,mining,USA,2024,production,0.157,0.157,0.162,", "column 'stage'", "unknown stage 'mining' of ndfeb_plain"),
        ("rare_earths,ree_ndpr,mining,USA,2024,production,0.3,0.157,0.4,", "column 'share'", "sum to 1.1430; expected 1"),
        ("rare_earths,ree_ndpr,mining,USA,2024,production,0.157,0.162,0.157,", "column 'low'", "expected low <= high"),
        ("rare_earths,ree_ndpr,mining,USA,2024,output,0.157,0.157,0.162,", "column 'measure'", "expected one of ['production', 'use']"),
    ],
)  # fmt: skip
def test_broken_product_share_refused(folder, new, row_field, expected):
    path = folder / "product_shares.csv"
    row = _row_of(path, SHARE_NDPR)
    _edit(path, SHARE_NDPR, new)
    text = _problems(folder)
    assert expected in text
    if "sum to" not in expected:
        assert f"product_shares.csv, row {row}, {row_field}" in text


@pytest.mark.parametrize(
    ("old", "new", "field", "expected"),
    [
        ("NdPr metal,rare_earths,Nd Pr", "NdPr metal,rare_earth,Nd Pr", "family", "unknown family 'rare_earth'"),
        ("Dy/Tb metal,rare_earths,Dy Tb", "Dy/Tb metal,rare_earths,Dx Tb", "elements", "found 'Dx'"),
    ],
)  # fmt: skip
def test_broken_mineral_refused(folder, old, new, field, expected):
    path = folder / "minerals.csv"
    row = _row_of(path, old)
    _edit(path, old, new)
    text = _problems(folder)
    assert f"minerals.csv, row {row}, column '{field}': " in text
    assert expected in text
