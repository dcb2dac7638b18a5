"""Loaders of published bulk files: USGS MCS world data, CEPII BACI, UN Comtrade.

Expected numbers were checked by hand against the fixture rows (copied from the published
files) and the unit factors, e.g. China rare-earth mine production 2024 = 270000 t REO.
"""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pandas as pd
import pytest

from oreshock.core.errors import DataFileError
from oreshock.data.loaders import baci as baci_module
from oreshock.data.loaders import load_baci, load_comtrade, load_usgs
from oreshock.data.loaders.common import HERE, Problems, hs_codes, schema_columns
from oreshock.data.loaders.usgs_layouts import per_commodity_columns

DATA = Path(__file__).parent / "data" / "loaders"
USGS = DATA / "MCS2025_World_Data_slice.csv"
USGS_QUIRKS = DATA / "MCS2026_World_Data_cp1252.csv"
BACI = DATA / "baci" / "BACI_HS22_Y2023_V202501.csv"
COMTRADE = DATA / "comtrade_TradeData_2023_HS22.csv"
# USGS files of other editions, as published (where each was read: see "USGS editions").
OLDER = Path(__file__).parent / "data"
# The compiled reference figures sit beside the repository (../shared) where they are available.
REFERENCE = Path(__file__).resolve().parents[2] / "shared" / "data" / "reference"


def one(frame: pd.DataFrame, **where: object) -> pd.Series:
    """The single row matching all column=value conditions."""
    mask = pd.Series(True, index=frame.index)
    for column, value in where.items():
        mask &= frame[column] == value
    rows = frame[mask]
    assert len(rows) == 1, f"{len(rows)} rows match {where}"
    return rows.iloc[0]


def raised(call, *args, **kwargs) -> DataFileError:
    """Run a loader that must fail and return its error."""
    with pytest.raises(DataFileError) as info:
        call(*args, **kwargs)
    return info.value


def edit(source: Path, target: Path, replacements: list[tuple[str, str]]) -> Path:
    """Copy a fixture with exact text replacements (each must match once)."""
    text = source.read_text(encoding="utf-8-sig")
    for old, new in replacements:
        assert text.count(old) == 1, old
        text = text.replace(old, new)
    target.write_text(text, encoding="utf-8")
    return target


# --- USGS -------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def usgs() -> dict[str, pd.DataFrame]:
    return load_usgs(USGS)


def test_usgs_tables_follow_schema(usgs):
    assert set(usgs) == {"production", "capacity", "reserves"}
    for table, frame in usgs.items():
        assert tuple(frame.columns) == schema_columns(table)
        assert frame["year"].dtype == "int64"
        assert frame["value"].dtype == "float64"
        assert set(frame["status"]) <= {"reported", "estimated"}
        assert set(frame["source_id"]) == {"usgs_mcs2025"}


def test_usgs_china_rare_earths(usgs):
    prod = usgs["production"]
    y2024 = one(prod, mineral="rare_earths", stage="mining", iso3="CHN", year=2024)
    assert y2024["value"] == 270000.0
    assert y2024["unit"] == "t REO"
    assert y2024["status"] == "estimated"
    assert y2024["method"].startswith("USGS estimate as published")
    y2023 = one(prod, mineral="rare_earths", iso3="CHN", year=2023)
    assert (y2023["value"], y2023["status"]) == (255000.0, "reported")
    world = one(usgs["reserves"], mineral="rare_earths", iso3="WLD")
    assert world["value"] == 90_000_000.0  # published as ">90000000"
    assert "lower bound" in world["method"]


def test_usgs_skips_withheld_blank_and_unmapped(usgs):
    prod = usgs["production"]
    # Lithium US: "W for 23-24" with blank cells -> no production rows, reserves kept.
    assert prod[(prod["mineral"] == "lithium") & (prod["iso3"] == "USA")].empty
    assert one(usgs["reserves"], mineral="lithium", iso3="USA")["value"] == 1_800_000.0
    assert prod[prod["mineral"] == "germanium"].empty  # "Gemanium": every cell blank
    assert prod[(prod["mineral"] == "ferrosilicon") & (prod["iso3"] == "USA")].empty
    assert not prod["mineral"].str.contains("cement").any()
    assert (prod["value"] > 0).all()


def test_usgs_country_labels_to_iso3(usgs):
    prod = usgs["production"]
    assert one(prod, mineral="manganese", iso3="CIV", year=2023)["value"] == 357_000.0
    assert one(prod, mineral="molybdenum", iso3="PRK", year=2024)["value"] == 700.0
    assert one(prod, mineral="graphite", iso3="KOR", year=2023)["value"] == 9620.0
    assert one(prod, mineral="cobalt", iso3="COD", year=2024)["value"] == 220_000.0
    assert one(prod, mineral="antimony", iso3="RUS", year=2023)["value"] == 13000.0  # "Russia "
    # "World total (rounded) 10": the trailing footnote number is not part of the label.
    assert one(prod, mineral="antimony", iso3="WLD", year=2023)["value"] == 106_000.0
    assert one(prod, mineral="rare_earths", iso3="OTH", year=2024)["value"] == 1100.0
    assert set(prod["iso3"]).isdisjoint({"", "nan"})


def test_usgs_unit_conversion_to_tonnes(usgs):
    prod, cap, res = usgs["production"], usgs["capacity"], usgs["reserves"]
    copper = one(prod, mineral="copper", stage="mining", iso3="USA", year=2023)
    assert (copper["value"], copper["unit"]) == (1_130_000.0, "t Cu content")  # 1130 kt
    assert one(prod, mineral="copper", stage="refining", iso3="CHN", year=2024)["value"] == 12e6
    assert one(prod, mineral="palladium", iso3="ZAF", year=2023)["value"] == pytest.approx(74.9)
    assert one(prod, mineral="platinum", iso3="ZAF", year=2024)["value"] == pytest.approx(120.0)
    assert one(prod, mineral="gallium", iso3="CHN", year=2024)["value"] == pytest.approx(750.0)
    assert one(cap, mineral="gallium", iso3="CHN", year=2024)["value"] == pytest.approx(1000.0)
    assert one(cap, mineral="gallium", iso3="OTH", year=2024)["value"] == pytest.approx(88.0)
    assert one(cap, mineral="magnesium", iso3="CHN", year=2024)["value"] == 1_800_000.0
    # Molybdenum and vanadium reserves are published in thousand tonnes.
    assert one(res, mineral="molybdenum", iso3="CHN")["value"] == 5_900_000.0
    assert one(res, mineral="vanadium", iso3="WLD")["value"] == 18_000_000.0
    assert one(res, mineral="niobium", iso3="WLD")["value"] == 17_000_000.0  # ">17,000,000"
    assert one(res, mineral="platinum_group_metals", iso3="ZAF")["value"] == 63_000.0
    # The magnesium "reserves" column holds capacity, so it is not read as reserves.
    assert res[res["mineral"] == "magnesium"].empty


def test_usgs_statuses_follow_usgs_labels(usgs):
    prod = usgs["production"]
    antimony = one(prod, mineral="antimony", iso3="CHN", year=2023)  # note "estimated 2023"
    assert (antimony["status"], antimony["method"]) == ("estimated", "USGS note: estimated 2023")
    burma = one(prod, mineral="rare_earths", iso3="MMR", year=2023)
    assert burma["status"] == "estimated" and "import data for China" in burma["method"]
    assert one(prod, mineral="cobalt", iso3="COD", year=2023)["status"] == "estimated"
    assert one(prod, mineral="lithium", iso3="AUS", year=2023)["status"] == "reported"
    assert (prod.loc[prod["year"] == 2024, "status"] == "estimated").all()
    assert (usgs["reserves"]["status"] == "reported").all()


def test_usgs_cp1252_bom_new_edition_and_value_quirks():
    tables = load_usgs(USGS_QUIRKS)
    prod, res = tables["production"], tables["reserves"]
    assert set(prod["year"]) == {2024, 2025}  # years read from the header, not hard-coded
    assert set(prod["source_id"]) == {"usgs_mcs2026"}
    assert one(prod, mineral="graphite", iso3="CHN", year=2024)["value"] == 1_270_000.0
    china_2025 = one(prod, mineral="graphite", iso3="CHN", year=2025)
    assert china_2025["value"] == 1_300_000.0 and "footnote" in china_2025["method"]
    assert one(res, mineral="graphite", iso3="CHN")["value"] == 81_000_000.0
    # W, NA, dashes and words are skipped, never read as zero.
    assert set(prod.loc[prod["mineral"] == "graphite", "iso3"]) == {"CHN", "BRA"}
    assert list(res["iso3"]) == ["CHN"]
    assert one(prod, mineral="manganese", iso3="CIV", year=2025)["value"] == 370_000.0
    malaysia = prod[prod["iso3"] == "MYS"]  # "<1" skipped, "130 (3)" read as 130
    assert list(zip(malaysia["year"], malaysia["value"], strict=True)) == [(2025, 130.0)]


def test_usgs_bad_cells_are_all_reported(tmp_path):
    bad = edit(USGS, tmp_path / "bad.csv", [
        ("metric tons,91700,88000,", "metric tons,-91700,88000,"),
        ("metric tons,41400,49000,", "metric tons,41400,49x000,"),
        ("Rare earths,Burma,", "Rare earths,Atlantis,"),
        ("Copper ,Chile,\"Mine production, recoverable copper content\",thousand metric tons",
         "Copper ,Chile,\"Mine production, recoverable copper content\",metric tons"),
    ])  # fmt: skip
    error = raised(load_usgs, bad)
    found = {(p.row, p.column) for p in error.problems}
    assert found == {(17, "PROD_2023"), (18, "PROD_EST_ 2024"), (28, "COUNTRY"), (10, "UNIT_MEAS")}
    assert all(p.path == str(bad) for p in error.problems)
    assert (error.path, error.row, error.column) == (str(bad), 10, "UNIT_MEAS")
    assert error.found == "metric tons"
    text = str(error)
    assert "4 problem(s)" in text
    assert f"{bad}, row 28, column 'COUNTRY': expected a country listed" in text
    assert "row 17, column 'PROD_2023': expected a value >= 0, found '-91700'" in text


def test_usgs_missing_columns_named(tmp_path):
    frame = pd.read_csv(USGS, dtype=str, keep_default_na=False)
    frame.drop(columns=["UNIT_MEAS", "PROD_2023", "PROD_EST_ 2024"]).to_csv(
        tmp_path / "cut.csv", index=False
    )
    error = raised(load_usgs, tmp_path / "cut.csv")
    assert {(p.row, p.column) for p in error.problems} == {(1, "UNIT_MEAS"), (1, "PROD_<year>")}


def test_usgs_duplicate_country_rows_rejected(tmp_path):
    line = next(x for x in USGS.read_text(encoding="utf-8").splitlines() if "Lithium ,Chile" in x)
    dup = edit(USGS, tmp_path / "dup.csv", [(line, line + "\n" + line.replace("Chile", "Chile "))])
    error = raised(load_usgs, dup)
    assert {(p.row, p.column) for p in error.problems} == {(19, "COUNTRY")}
    assert "row 18 already gives" in error.problems[0].message


@pytest.mark.skipif(not REFERENCE.is_dir(), reason="shared reference data not on this machine")
def test_usgs_real_extract_matches_hand_compiled_reference():
    tables = load_usgs(REFERENCE / "sources" / "usgs_mcs2025_world_data_extract.csv")
    ref = pd.read_csv(REFERENCE / "mine_production.csv", dtype=str)
    ref = ref[ref["source"].str.contains("USGS")]
    scale = ref["unit"].str[:2].map({"kt": 1000.0, "kg": 0.001}).fillna(1.0)
    renamed = {"graphite_natural": "graphite", "silicon_metal": "silicon",
               "silicon_ferrosilicon": "ferrosilicon", "magnesium_metal": "magnesium",
               "titanium_sponge": "titanium"}  # fmt: skip
    ref = ref.assign(
        mineral=ref["mineral"].replace(renamed),
        stage=ref["stage"].where(ref["stage"] == "mining", "refining"),
        year=ref["year"].astype("int64"),
        expected=pd.to_numeric(ref["value"]) * scale,
    ).drop(columns=["value", "unit"])  # fmt: skip
    merged = ref.merge(tables["production"], on=["mineral", "stage", "iso3", "year"], how="outer")
    assert len(merged) == len(ref) == len(tables["production"])
    assert (merged["expected"] - merged["value"]).abs().max() < 1e-6


# --- USGS editions other than MCS2025 ------------------------------------------------------
#
# tests/data/usgs_mcs20xx-<slug>_world.csv hold rows, each verbatim and in USGS's bytes (UTF-8
# with BOM, CRLF, no-break spaces in "United States"), of the per-commodity world files of
# the MCS2023 and MCS2024 data releases as kept in the public repository Redliana/cmm-data at
# commit d780c5b7ff41bef8906fe1518a4cb2e1b549785a, under API_Scripts/usgs_mcs_data/:
#   usgs_mcs2023-lithi_world.csv  cmm_extracted/2023/lithium_mcs2023-lithi_world.csv
#   usgs_mcs2023-<slug>_world.csv 2023/world/world/mcs2023-<slug>_world.csv (plati, titan,
#                                 vanad)
#   usgs_mcs2024-<slug>_world.csv 2024/world/mcs2024-<slug>_world.csv (fluor, galli, vanad)
# The same repository holds MCS2022 files (2022/individual_commodities/
# lithium_mcs2022-lithi_world.csv: "Source,Country,Type,Prod_t_2020,Prod_t_Est_2021"); their
# header is tested below, and the whole file where a copy sits in the shared reference data.
# tests/data/usgs_MCS2026_Commodities_Data.csv holds rows of the MCS2026 long file as
# excerpted in mastermindx-market-intelligence/macro at commit
# e02a969cabd486d9f3e919c8c122e172a703e23b, tests/fixtures/usgs_mcs/MCS2026_Commodities_Data.csv
# (its header, all gallium rows and the rare-earth reserves rows but Australia's), written in
# Windows-1252 as USGS publishes that file.


def older(name: str) -> Path:
    """A USGS file of another edition, kept under its published name after ``usgs_``."""
    return OLDER / f"usgs_{name}"


def test_usgs_mcs2022_header_years_units_and_estimates():
    """MCS2022 per-commodity header: "_Est_" in capitals, no notes, no reserves."""
    header = pd.Index(["Source", "Country", "Type", "Prod_t_2020", "Prod_t_Est_2021"])
    columns, notes = per_commodity_columns(Path("mcs2022-lithi_world.csv"), header, Problems())
    found = [(c.name, c.table, c.year, c.status, c.unit) for c in columns]
    assert found == [
        ("Prod_t_2020", "production", 2020, "reported", "metric tons"),
        ("Prod_t_Est_2021", "production", 2021, "estimated", "metric tons"),
    ]
    assert notes == {}


def test_usgs_mcs2023_per_commodity_units_notes_and_reserves():
    """kg in the column names, reserves for the latest year, notes that say estimated."""
    pgm = load_usgs(older("mcs2023-plati_world.csv"))
    prod, res = pgm["production"], pgm["reserves"]
    zaf = one(prod, mineral="palladium", iso3="ZAF", year=2021)
    assert zaf["value"] == pytest.approx(84.3) and zaf["unit"] == "t Pd content"
    assert one(prod, mineral="platinum", iso3="USA", year=2022)["value"] == pytest.approx(3.3)
    russia = one(prod, mineral="palladium", iso3="RUS", year=2021)  # "86,000", noted estimated
    assert russia["value"] == pytest.approx(86.0) and russia["status"] == "estimated"
    assert "also estimated" in russia["method"]
    # Reserves are on the platinum rows and include all PGM; palladium's say "NA".
    assert set(res["mineral"]) == {"platinum_group_metals"} and set(res["year"]) == {2022}
    assert one(res, iso3="ZAF")["value"] == pytest.approx(63000.0)
    lithium = load_usgs(older("mcs2023-lithi_world.csv"))
    world = one(lithium["production"], iso3="WLD", year=2022)  # "..., excluding U.S. production"
    assert world["value"] == 130000.0
    china = one(lithium["production"], iso3="CHN", year=2021)  # "14,000", noted estimated
    assert (china["value"], china["status"]) == (14000.0, "estimated")
    assert one(lithium["reserves"], iso3="WLD")["value"] == 26_000_000.0


def test_usgs_mcs2024_per_commodity_quirks():
    """Capacity columns, footnotes glued to countries ("Japane", "Other countries4"), rows
    padded with empty fields, an estimate mark before a number ("e20,000"), kt reserves and
    the fluorspar file whose Type header is the type text itself."""
    gallium = load_usgs(older("mcs2024-galli_world.csv"))
    prod, cap = gallium["production"], gallium["capacity"]
    japan = one(prod, mineral="gallium", iso3="JPN", year=2022)
    assert japan["value"] == pytest.approx(3.0) and japan["status"] == "estimated"
    assert "'Japane': footnote e" in japan["method"]
    assert one(cap, iso3="CHN", year=2023)["value"] == pytest.approx(1000.0)  # Cap_kg_2023
    assert one(cap, iso3="OTH", year=2023)["value"] == pytest.approx(88.0)  # "Other countries4"
    assert one(cap, iso3="WLD", year=2023)["value"] == pytest.approx(1100.0)  # "1,100,000"
    vanadium = load_usgs(older("mcs2024-vanad_world.csv"))
    russia = one(vanadium["production"], iso3="RUS", year=2022)
    assert russia["value"] == 20000.0 and "'e' marks an estimate" in russia["method"]
    assert one(vanadium["reserves"], iso3="WLD")["value"] == 19_000_000.0  # Reserves_kt
    fluorspar = load_usgs(older("mcs2024-fluor_world.csv"))
    assert one(fluorspar["production"], iso3="CHN", year=2022)["value"] == 5_700_000.0
    assert one(fluorspar["production"], iso3="CHN", year=2023)["status"] == "estimated"


def test_usgs_titanium_columns_name_their_product():
    """MCS2023 titanium metal: one row holds sponge production and sponge and pigment
    capacity; only the sponge columns are titanium sponge."""
    tables = load_usgs(older("mcs2023-titan_world.csv"))
    prod, cap = tables["production"], tables["capacity"]
    assert one(prod, mineral="titanium", iso3="CHN", year=2022)["value"] == 150000.0
    assert one(cap, iso3="CHN", year=2021)["value"] == 181000.0  # Cap_Sponge_t_2021
    assert cap["value"].max() == 350000.0  # world sponge; pigment (9,400,000) not read
    assert "USA" not in set(prod["iso3"]) and one(cap, iso3="USA")["value"] == 500.0


def test_usgs_unit_in_a_column_name_must_be_the_commodity_unit():
    """MCS2023 vanadium names its reserves 'Reserves_t', but they are thousand metric tons
    (26,000 for the world; MCS2024 renamed the column 'Reserves_kt')."""
    path = older("mcs2023-vanad_world.csv")
    error = raised(load_usgs, path)
    assert [(p.row, p.column, p.found) for p in error.problems] == [(1, "Reserves_t", "Reserves_t")]
    assert "expected Vanadium reserves in 'thousand metric tons'" in str(error)


def test_usgs_per_commodity_name_and_header_problems(tmp_path):
    """The file name is the only place the commodity is written, so it must be USGS's."""
    text = older("mcs2023-lithi_world.csv").read_bytes()
    renamed = tmp_path / "lithium.csv"
    renamed.write_bytes(text)
    error = raised(load_usgs, renamed)
    assert "a per-commodity file named as USGS names it" in str(error)
    cement = tmp_path / "mcs2023-cemen_world.csv"
    cement.write_bytes(text)
    assert raised(load_usgs, cement).found == "cemen"
    no_years = tmp_path / "mcs2023-lithi_world.csv"
    no_years.write_bytes(text.replace(b"Prod_t_2021,Prod_t_est_2022", b"Prod_t,Prod_t_est"))
    assert raised(load_usgs, no_years).column == "Prod_<unit>_<year>"


def test_usgs_mcs2026_long_file():
    """One row per value: unit and year in the row, estimates in Notes, reserves and
    capacity rows read with their commodity's production."""
    tables = load_usgs(older("MCS2026_Commodities_Data.csv"))
    prod, cap, res = tables["production"], tables["capacity"], tables["reserves"]
    assert set(prod["source_id"]) == {"usgs_mcs2026"} and set(prod["year"]) == {2024, 2025}
    china_2024 = one(prod, mineral="gallium", stage="refining", iso3="CHN", year=2024)
    assert china_2024["value"] == pytest.approx(839.0) and china_2024["status"] == "reported"
    assert one(prod, iso3="CHN", year=2025)["status"] == "estimated"  # "Estimated. -- ..."
    assert "USA" not in set(prod["iso3"])  # "—" in Windows-1252
    assert one(cap, iso3="WLD", year=2025)["value"] == pytest.approx(1700.0)
    assert set(res["mineral"]) == {"rare_earths"} and set(res["year"]) == {2025}
    assert one(res, iso3="CHN")["value"] == 44_000_000.0
    world = one(res, iso3="WLD")  # ">85,000,000"
    assert world["value"] == 85_000_000.0 and "lower bound" in world["method"]


def test_usgs_mcs2026_rows_outside_world_tables_and_bad_cells(tmp_path):
    """Sections other than the world tables are not read; a year or unit that is not the
    one expected is named with its row."""
    source = older("MCS2026_Commodities_Data.csv")
    text = source.read_bytes().decode("cp1252")
    lines = text.splitlines(keepends=True)
    japan = next(i for i, line in enumerate(lines) if ",Japan,Production," in line)
    salient = lines[japan].replace("World Low-Purity Production and Production Capacity",
                                   "Salient Statistics-United States")  # fmt: skip
    skipped = tmp_path / "MCS2026_Commodities_Data.csv"
    skipped.write_bytes(_replace_line(lines, japan, salient))
    prod = load_usgs(skipped)["production"]
    assert ("JPN", 2024) not in set(zip(prod["iso3"], prod["year"], strict=True))
    wrong = tmp_path / "MCS2026_Commodities_Data.csv"
    wrong.write_bytes(_replace_line(lines, japan, lines[japan].replace(",2024,", ",2021-24,")))
    error = raised(load_usgs, wrong)
    assert [(p.row, p.column, p.found) for p in error.problems] == [(japan + 1, "Year", "2021-24")]
    unit = lines[japan].replace(",kilograms,", ",metric tons,")
    wrong.write_bytes(_replace_line(lines, japan, unit))
    error = raised(load_usgs, wrong)
    assert [(p.row, p.column, p.found) for p in error.problems] == [
        (japan + 1, "Unit", "metric tons")
    ]


def _replace_line(lines: list[str], index: int, line: str) -> bytes:
    """The long file with one line replaced, in the file's Windows-1252."""
    return "".join([*lines[:index], line, *lines[index + 1 :]]).encode("cp1252")


# --- BACI -------------------------------------------------------------------------------


def test_baci_trade_rows():
    trade = load_baci(BACI)  # code files found next to the data file
    assert tuple(trade.columns) == schema_columns("trade")
    magnets = one(trade, mineral="rare_earths", stage="magnets", exporter="CHN", importer="JPN")
    assert magnets["value"] == pytest.approx(21000.25)
    assert (magnets["unit"], magnets["status"], magnets["year"]) == ("t NdFeB", "estimated", 2023)
    assert magnets["method"].startswith("BACI HS22 V202501: HS 850511 quantity x 1")
    lithium = one(trade, mineral="lithium", exporter="CHL", importer="CHN")
    assert lithium["value"] == pytest.approx(40000 * 0.1879)  # Li share of Li2CO3
    assert lithium["status"] == "reported"
    # 284610 + 284690 feed the same stage: 2000 + 9500.5 t.
    sep = one(trade, mineral="rare_earths", stage="separation", exporter="CHN", importer="JPN")
    assert sep["value"] == pytest.approx(11500.5)
    assert one(trade, stage="magnets", exporter="OTH")["value"] == 100.0  # 490 = S19
    assert one(trade, mineral="graphite", exporter="CHN")["value"] == 3000.0  # k " 250410"
    assert set(trade["source_id"]) == {"cepii_baci"}


def test_baci_skips_missing_quantities_and_unmapped_codes():
    trade = load_baci(BACI)
    assert trade[trade["stage"] == "metal"].empty  # 280530 has q "NA"
    assert trade[trade["exporter"] == "DEU"].empty  # blank q
    assert len(trade) == 11


def test_baci_explicit_code_files_and_chunks(monkeypatch):
    whole = load_baci(BACI)
    monkeypatch.setattr(baci_module, "CHUNK_ROWS", 4)
    chunked = load_baci(
        BACI,
        country_codes=BACI.parent / "country_codes_V202501.csv",
        product_codes=BACI.parent / "product_codes_HS22_V202501.csv",
    )
    pd.testing.assert_frame_equal(whole, chunked)


def test_baci_bad_rows_all_reported(tmp_path, monkeypatch):
    folder = tmp_path / "baci"
    shutil.copytree(BACI.parent, folder)
    bad = edit(BACI, folder / BACI.name, [
        ("2023,156,842,850511,", "2023,999,842,850511,"),
        ("    40000.000\n", "    abc\n"),
        ("     2000.000,      100.000", "     2000.000,     -100.000"),
        ("2023,704,392,284690,", "2023,704,39x,284690,"),
    ])  # fmt: skip
    monkeypatch.setattr(baci_module, "CHUNK_ROWS", 5)  # row numbers must survive chunking
    error = raised(load_baci, bad)
    found = {(p.row, p.column, p.found) for p in error.problems}
    assert found == {(3, "i", "999"), (7, "q", "abc"), (10, "q", "-100.000"), (15, "j", "39x")}
    assert "row 3, column 'i': expected a code listed in the country codes file" in str(error)


def test_baci_missing_column_and_code_file(tmp_path):
    folder = tmp_path / "baci"
    folder.mkdir()
    data = folder / BACI.name
    data.write_text("t,i,j,k,v\n2023,156,392,850511,1.0\n", encoding="utf-8")
    error = raised(load_baci, data)
    assert "country_codes_V*.csv" in str(error)
    shutil.copy(BACI.parent / "country_codes_V202501.csv", folder)
    error = raised(load_baci, data)
    assert [(p.row, p.column) for p in error.problems] == [(1, "q")]


# --- UN Comtrade ------------------------------------------------------------------------


def test_comtrade_trade_rows():
    trade = load_comtrade(COMTRADE)
    assert tuple(trade.columns) == schema_columns("trade")
    assert set(trade["source_id"]) == {"un_comtrade"}
    # Japan's import report is kept; China's mirror export, the World total and the
    # transport-mode breakdown row are not added to it.
    magnets = one(trade, stage="magnets", exporter="CHN", importer="JPN")
    assert magnets["value"] == pytest.approx(21034.567)
    assert "importer-reported M" in magnets["method"]
    # China -> USA only reported by China (X); netWgt blank so qty in kg is used.
    usa = one(trade, stage="magnets", exporter="CHN", importer="USA")
    assert usa["value"] == pytest.approx(12001.0)
    assert "exporter-reported X" in usa["method"]
    assert one(trade, stage="magnets", exporter="OTH")["value"] == pytest.approx(98.0)
    vietnam = one(trade, stage="separation", exporter="VNM", importer="JPN")
    assert vietnam["value"] == pytest.approx(310.5)
    assert "weight estimated by UN Comtrade" in vietnam["method"]
    assert not trade[["exporter", "importer"]].isin(["W00", "WLD"]).any().any()
    assert trade[trade["mineral"] == "lithium"].empty  # no weight in kg -> skipped
    assert len(trade) == 5


def test_comtrade_bad_rows_all_reported(tmp_path):
    text = COMTRADE.read_bytes().decode("utf-8-sig")
    lines = text.split("\r\n")
    # qty repeats netWgt in these rows, so both cells go bad (qty is the kg fallback).
    lines[2] = lines[2].replace(",21034567,", ",21O34567,")  # letter O typed for zero
    lines[4] = lines[4].replace(",310500,", ",-310500,")
    lines[5] = lines[5].replace(",392,JPN,Japan,", ",392,,Japan,")
    lines[6] = lines[6].replace("C,A,", "C,M,", 1)
    bad = tmp_path / "bad.csv"
    bad.write_text("\r\n".join(lines), encoding="utf-8")
    error = raised(load_comtrade, bad)
    found = {(p.row, p.column) for p in error.problems}
    assert found == {
        (3, "netWgt"), (3, "qty"), (5, "netWgt"), (5, "qty"), (6, "reporterISO"), (7, "freqCode")
    }  # fmt: skip
    assert re.search(r"row 3, column 'netWgt': expected a number of kilograms, found '21O34567'",
                     str(error))  # fmt: skip


def test_comtrade_missing_columns(tmp_path):
    frame = pd.read_csv(COMTRADE, dtype=str, keep_default_na=False, encoding="utf-8-sig")
    frame.drop(columns=["netWgt", "partnerISO"]).to_csv(tmp_path / "cut.csv", index=False)
    error = raised(load_comtrade, tmp_path / "cut.csv")
    assert {(p.row, p.column) for p in error.problems} == {(1, "netWgt"), (1, "partnerISO")}


# --- mapping files ----------------------------------------------------------------------


def test_hs_code_table_is_consistent():
    table = pd.read_csv(HERE / "hs_codes.csv", dtype=str, keep_default_na=False)
    assert table["hs6"].str.fullmatch(r"\d{6}").all() and table["hs6"].is_unique
    assert set(table["status"]) <= {"reported", "assumed"}
    assert (table["note"].str.len() > 10).all()
    assert table.groupby(["mineral", "stage"])["unit"].nunique().max() == 1
    usgs_units = pd.read_csv(HERE / "usgs_commodities.csv", dtype=str, keep_default_na=False)
    both = table.merge(usgs_units, on=["mineral", "stage"], suffixes=("_hs", "_usgs"))
    assert (both["unit_hs"] == both["unit_usgs"]).all()
    li2co3 = hs_codes().loc["283691", "factor"]
    assert li2co3 == pytest.approx(2 * 6.941 / (2 * 6.941 + 12.011 + 3 * 15.999), abs=1e-4)


def test_usgs_slugs_name_mapped_commodities():
    slugs = pd.read_csv(HERE / "usgs_slugs.csv", dtype=str, keep_default_na=False)
    rules = pd.read_csv(HERE / "usgs_commodities.csv", dtype=str, keep_default_na=False)
    assert slugs["slug"].str.fullmatch(r"[a-z]+(-[a-z]+)*").all() and slugs["slug"].is_unique
    assert set(slugs["commodity"]) <= set(rules["commodity"])


def test_country_names_are_iso3():
    names = pd.read_csv(HERE / "country_names.csv", dtype=str, keep_default_na=False)
    assert names["iso3"].str.fullmatch(r"[A-Z]{3}").all()
    assert names["name"].str.casefold().is_unique


# --- truncated files (issue 9: a cut file imported without a word) -----------------------

# Each fixture file, with how to load it from a folder holding it (BACI needs its code files).
TRUNCATED = {
    "usgs": (USGS, lambda path: load_usgs(path)),
    "usgs_cp1252": (USGS_QUIRKS, lambda path: load_usgs(path)),
    "usgs_mcs2023_per_commodity": (older("mcs2023-plati_world.csv"), lambda path: load_usgs(path)),
    "usgs_mcs2026_long": (older("MCS2026_Commodities_Data.csv"), lambda path: load_usgs(path)),
    "comtrade": (COMTRADE, lambda path: load_comtrade(path)),
    "baci": (BACI, lambda path: load_baci(path)),
    "baci_countries": (BACI.parent / "country_codes_V202501.csv", lambda path: load_baci(
        path.parent / BACI.name)),
    "baci_products": (BACI.parent / "product_codes_HS22_V202501.csv", lambda path: load_baci(
        path.parent / BACI.name)),
}  # fmt: skip


def _rows(loaded) -> set[tuple]:
    """Imported rows as hashable tuples, tagged with their table."""
    tables = loaded if isinstance(loaded, dict) else {"trade": loaded}
    return {
        (name, *row)
        for name, frame in tables.items()
        for row in frame.astype(object).where(frame.notna(), None).itertuples(index=False)
    }


def _offsets(data: bytes) -> list[int]:
    """Every line break and the bytes either side of it, plus an even spread in between."""
    breaks = [i + 1 for i, byte in enumerate(data) if byte == 0x0A]
    spread = range(0, len(data), max(1, len(data) // 80))
    near = {o + d for o in breaks for d in (-2, -1, 0)}
    return sorted(o for o in near | set(spread) if 0 <= o < len(data))


@pytest.mark.parametrize("kind", sorted(TRUNCATED))
def test_truncated_files_refused_or_a_prefix_of_the_full_import(tmp_path, kind):
    """Cut each fixture at many byte offsets.

    A cut inside a line must be refused (DataFileError): the loader sees a row with fewer
    fields than the header, a quote never closed or a last line without its line break, and
    cannot know what the cut row held. A cut just after a line break leaves a well-formed,
    shorter file; it is refused where the file's own structure shows rows are missing (a USGS
    commodity without its World total row), and otherwise imports only rows the full file
    also imports, each unchanged (for USGS, where one row is one figure), or flows the full
    file also has (for trade files, where several rows sum into one flow).
    """
    source, load = TRUNCATED[kind]
    folder = tmp_path / "cut"
    shutil.copytree(source.parent, folder)
    target = folder / source.name
    data = source.read_bytes()
    full = _rows(load(target))
    refused = imported = 0
    for offset in _offsets(data):
        target.write_bytes(data[:offset])
        mid_line = offset > 0 and data[offset - 1 : offset] not in (b"\n", b"\r")
        try:
            rows = _rows(load(target))
        except DataFileError as exc:
            assert exc.problems and all(p.path for p in exc.problems)
            refused += 1
            continue
        assert not mid_line, f"{kind}: cut at byte {offset} inside a line was imported"
        imported += 1
        if kind.startswith("usgs"):
            assert rows <= full, f"{kind}: cut at byte {offset} changed rows"
        else:
            keys = {r[:6] for r in full}
            assert {r[:6] for r in rows} <= keys, f"{kind}: cut at byte {offset} made new flows"
    assert refused > 0


def test_usgs_row_cut_mid_line_refused(tmp_path):
    """The issue's case: a file cut after "255000,27" imported 27 t for China's 2024 mining."""
    text = USGS.read_text("utf-8")
    cut = text.index('rare-earth-oxide equivalent",metric tons,255000,27') + len(
        'rare-earth-oxide equivalent",metric tons,255000,27'
    )
    path = tmp_path / "MCS2025_World_Data.csv"
    path.write_text(text[:cut], "utf-8")
    error = raised(load_usgs, path)
    messages = [str(p) for p in error.problems]
    assert f"{path}, row 29: row has 7 of the header's 13 fields (ends with '27')" in messages[0]
    assert any("does not end with a line break" in m for m in messages)


def test_usgs_truncated_before_world_total_refused(tmp_path):
    """Cut at a line break inside the rare-earth rows: the World total row never comes."""
    lines = USGS.read_text("utf-8").splitlines(keepends=True)
    end = next(i for i, line in enumerate(lines) if line.startswith("MCS2025,Rare earths,China"))
    path = tmp_path / "MCS2025_World_Data.csv"
    path.write_text("".join(lines[: end + 1]), "utf-8")
    error = raised(load_usgs, path)
    assert len(error.problems) == 1
    assert "ends inside the 'Rare earths' rows, before their 'World total' row" in str(error)


def test_usgs_countries_far_from_world_total_refused(tmp_path):
    """A figure cut short inside the file (27 for 270000) leaves the countries far below the
    published World total."""
    bad = edit(
        USGS, tmp_path / "bad.csv", [("metric tons,255000,270000,", "metric tons,255000,27,")]
    )
    error = raised(load_usgs, bad)
    assert (
        "rare_earths mining production 2024: the countries sum to 77127 t, 20% of the "
        "published World total 390000 t" in str(error)
    )


def test_baci_last_row_cut_refused(tmp_path):
    """The last quantity cut from 10000 t to 10 t keeps all six fields: only the missing
    line break shows the cut."""
    folder = tmp_path / "baci"
    shutil.copytree(BACI.parent, folder)
    data = BACI.read_bytes()
    (folder / BACI.name).write_bytes(data[: data.rindex(b"10000.000") + 2])
    error = raised(load_baci, folder / BACI.name)
    assert [(p.row, p.message.split(":")[0]) for p in error.problems] == [
        (16, "the last line does not end with a line break")
    ]


# --- files that are not what the loader reads (issue 10) ---------------------------------


def test_not_csv_text_is_named_before_any_parsing(tmp_path):
    """An archive or UTF-16 text is refused with one problem saying what the file is (it
    decoded as Latin-1 and was refused with field counts before)."""
    zipped = tmp_path / "MCS2025_World_Data.zip"
    zipped.write_bytes(b"PK\x03\x04" + USGS.read_bytes())
    error = raised(load_usgs, zipped)
    assert [(p.row, p.column, p.found) for p in error.problems] == [(None, None, error.found)]
    assert error.found is not None and error.found.startswith("a ZIP archive")
    utf16 = tmp_path / "comtrade.csv"
    utf16.write_bytes(COMTRADE.read_text("utf-8-sig").encode("utf-16"))
    assert raised(load_comtrade, utf16).found == "UTF-16 text; save it as CSV in UTF-8"


def test_a_code_file_that_is_not_text_is_named(tmp_path):
    """BACI's country codes file given compressed: the problem names that file."""
    folder = tmp_path / "baci"
    shutil.copytree(BACI.parent, folder)
    codes = folder / "country_codes_V202501.csv"
    codes.write_bytes(b"\x1f\x8b" + codes.read_bytes())
    error = raised(load_baci, folder / BACI.name)
    assert error.path == str(codes)
    assert "gzip-compressed" in error.problems[0].message


def test_a_file_of_another_kind_is_named_first(tmp_path):
    """The first problem says which kind of file was given and the command that reads it;
    the missing columns follow."""
    error = raised(load_usgs, BACI)
    first = error.problems[0]
    assert (first.row, first.column, first.found) == (1, None, "a CEPII BACI trade file")
    assert "import it with `oreshock data import baci FILE`" in first.message
    assert {p.column for p in error.problems[1:]} == {
        "COMMODITY", "COUNTRY", "TYPE", "UNIT_MEAS", "PROD_<year>"
    }  # fmt: skip
