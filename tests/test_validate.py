"""Bad dataset files get errors naming file, row, column and expectation; all at once."""

from __future__ import annotations

import shutil

import pytest
from tests.conftest import MINI
from typer.testing import CliRunner

from oreshock import load_dataset
from oreshock.cli.app import app
from oreshock.core.errors import DataFileError


@pytest.fixture()
def folder(tmp_path):
    target = tmp_path / "ds"
    shutil.copytree(MINI, target)
    return target


def _edit(path, old: str, new: str) -> None:
    text = path.read_text("utf-8")
    assert old in text
    path.write_text(text.replace(old, new, 1), "utf-8")


def _problems(folder) -> list[str]:
    with pytest.raises(DataFileError) as info:
        load_dataset(folder)
    return [str(p) for p in info.value.problems]


def test_bundled_dataset_is_valid():
    runner = CliRunner()
    result = runner.invoke(app, ["data", "validate"])
    assert result.exit_code == 0, result.output
    assert "valid" in result.output


def test_wrong_columns_named(folder):
    _edit(folder / "production.csv", "value,unit", "amount,unit")
    problems = _problems(folder)
    assert any("production.csv, row 1" in p and "missing ['value']" in p for p in problems)


def test_unknown_country_negative_and_non_numeric_all_reported(folder):
    prod = folder / "production.csv"
    _edit(prod, "rare_earths,mining,MMR,2024,20", "rare_earths,mining,ZZZ,2024,20")
    _edit(prod, "rare_earths,mining,USA,2024,20", "rare_earths,mining,USA,2024,-5")
    _edit(prod, "rare_earths,separation,USA,2024,10", "rare_earths,separation,USA,2024,ten")
    problems = _problems(folder)
    text = "\n".join(problems)
    assert "production.csv, row 3, column 'iso3': unknown country code 'ZZZ'" in text
    assert (
        "production.csv, row 4, column 'value': expected a non-negative number, found '-5'" in text
    )
    assert "production.csv, row 7, column 'value': expected a number, found 'ten'" in text
    assert len(problems) >= 3


def test_unit_mismatch(folder):
    _edit(folder / "production.csv", "CHN,2024,60,t REO", "CHN,2024,60,kt REO")
    problems = _problems(folder)
    assert any("row 2, column 'unit': unit mismatch" in p and "'t REO'" in p for p in problems)


def test_shares_far_from_one(folder):
    _edit(folder / "import_shares.csv", "JPN,CHN,2024,0.7", "JPN,CHN,2024,0.9")
    problems = _problems(folder)
    assert any("import_shares.csv" in p and "sum to 1.200" in p for p in problems)


def test_percent_instead_of_fraction(folder):
    _edit(folder / "import_shares.csv", "JPN,CHN,2024,0.7", "JPN,CHN,2024,70")
    problems = _problems(folder)
    assert any("expected a fraction between 0 and 1, found '70'" in p for p in problems)


def test_world_total_below_sum(folder):
    _edit(folder / "production.csv", "mining,WLD,2024,100", "mining,WLD,2024,50")
    problems = _problems(folder)
    assert any(
        "row 5, column 'value': world total 50" in p and "below the sum" in p for p in problems
    )


def test_estimated_value_must_say_how(folder):
    _edit(folder / "production.csv", "CHN,2024,60,t REO,reported", "CHN,2024,60,t REO,estimated")
    problems = _problems(folder)
    assert any("column 'method': a estimated value must say how" in p for p in problems)


def test_unknown_source(folder):
    _edit(
        folder / "reserves.csv",
        "CHN,2024,1000,t REO,reported,test_src",
        "CHN,2024,1000,t REO,reported,nope",
    )
    problems = _problems(folder)
    assert any(
        "reserves.csv, row 2, column 'source_id': unknown source 'nope'" in p for p in problems
    )


def test_cli_validate_lists_all_problems(folder):
    _edit(folder / "production.csv", "rare_earths,mining,MMR", "rare_earths,mining,ZZZ")
    _edit(folder / "import_shares.csv", "JPN,CHN,2024,0.7", "JPN,CHN,2024,0.9")
    result = CliRunner().invoke(app, ["data", "validate", str(folder)])
    assert result.exit_code == 1
    assert "unknown country code 'ZZZ'" in result.output
    assert "sum to 1.200" in result.output
    assert "2 problem(s)" in result.output
