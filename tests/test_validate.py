"""Bad dataset files get errors naming file, row, column and expectation; all at once."""

from __future__ import annotations

import shutil

import pytest
from typer.testing import CliRunner

from oreshock import load_dataset
from oreshock.cli.app import app
from oreshock.core.errors import DataFileError
from oreshock.data.manifest import write_manifest
from tests.conftest import MINI


@pytest.fixture()
def folder(tmp_path):
    target = tmp_path / "ds"
    shutil.copytree(MINI, target)
    return target


def _edit(path, old: str, new: str, *, rehash: bool = True) -> None:
    """Edit a table as a user would, then rewrite the manifest's hashes (as the user is told
    to), so the test sees the problem in the table and not only a stale sha256."""
    text = path.read_text("utf-8")
    assert old in text
    path.write_text(text.replace(old, new, 1), "utf-8")
    if rehash:
        write_manifest(path.parent)


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


# --- keys, types and the manifest (issue 9: wrong rows that used to pass) -----------------


def test_duplicated_stage_row_refused(folder):
    row = "rare_earths,separation,1,t REO,1.0,Separation,分離,assumed,test_src,test yield\n"
    _edit(folder / "stages.csv", row, row + row)
    problems = _problems(folder)
    assert any(
        "stages.csv, row 4: duplicate of row 3 (mineral=rare_earths, stage=separation)" in p
        for p in problems
    ), problems


def test_conflicting_production_row_refused(folder):
    row = "rare_earths,mining,CHN,2024,60,t REO,reported,test_src,\n"
    _edit(folder / "production.csv", row, row + row.replace(",60,", ",0.0002,"))
    problems = _problems(folder)
    assert any(
        "production.csv, row 3, column 'value': conflicts with row 2 for the same key "
        "(mineral=rare_earths, stage=mining, iso3=CHN, year=2024): value '0.0002' against '60'" in p
        for p in problems
    ), problems


def test_underscore_number_refused(folder):
    _edit(folder / "production.csv", "CHN,2024,60,t REO", "CHN,2024,1_000,t REO")
    problems = _problems(folder)
    assert any(
        "production.csv, row 2, column 'value': expected a number, found '1_000'" in p
        for p in problems
    ), problems


@pytest.mark.parametrize("value", ["0", "0.0", "-0"])
def test_zero_yield_refused(folder, value):
    _edit(folder / "stages.csv", "t REO,1.0,Separation", f"t REO,{value},Separation")
    problems = _problems(folder)
    assert any(
        "stages.csv, row 3, column 'yield': expected a number above zero" in p for p in problems
    ), problems


def test_missing_yield_after_first_stage_refused(folder):
    _edit(folder / "stages.csv", "t REO,1.0,Separation", "t REO,,Separation")
    assert any("row 3, column 'yield': a yield is required" in p for p in _problems(folder))


def test_manifest_hash_mismatch_names_the_file(folder):
    _edit(folder / "demand.csv", "\n", "\n\n", rehash=False)  # a blank line: same table
    problems = _problems(folder)
    assert problems == [
        f"{folder / 'demand.csv'}: contents differ from the sha256 in dataset.toml (edited, cut "
        "short or replaced); if the change is intended, run "
        "`python -m oreshock.data.update_manifest FOLDER`"
    ]


def test_manifest_missing_hash_version_and_listed_file(folder):
    toml = folder / "dataset.toml"
    text = toml.read_text("utf-8")
    text = text.replace('version = "test.1"\n', "")
    text = "\n".join(line for line in text.splitlines() if not line.startswith('"stocks.csv"'))
    toml.write_text(text + '\n"gone.csv" = "' + "0" * 64 + '"\n', "utf-8")
    problems = _problems(folder)
    text = "\n".join(problems)
    assert f"{toml}, column 'version': expected a non-empty text version, found None" in text
    assert f"{folder / 'stocks.csv'}: no sha256 for this file in dataset.toml" in text
    assert f"{toml}, column 'files': lists 'gone.csv', which is not in the folder" in text


def test_manifest_without_files_table(folder):
    toml = folder / "dataset.toml"
    toml.write_text(toml.read_text("utf-8").split("[files]")[0], "utf-8")
    problems = _problems(folder)
    assert len(problems) == 1 and "expected a [files] table" in problems[0]


def test_update_manifest_command_rewrites_hashes(folder):
    import subprocess
    import sys

    _edit(folder / "demand.csv", "\n", "\n\n", rehash=False)
    assert _problems(folder)
    done = subprocess.run(
        [sys.executable, "-m", "oreshock.data.update_manifest", str(folder)],
        capture_output=True,
        text=True,
        check=True,
    )
    assert "sha256 of 10 files" in done.stdout and not done.stderr
    assert load_dataset(folder).name == "mini"


def test_cut_table_row_refused(folder):
    path = folder / "production.csv"
    text = path.read_text("utf-8")
    cut = text.index("rare_earths,mining,MMR,2024,20") + len("rare_earths,mining,MMR,2024,2")
    path.write_text(text[:cut] + "\n" + text[cut:].split("\n", 1)[1], "utf-8")
    write_manifest(folder)
    problems = _problems(folder)
    assert any("production.csv, row 3: row has 5 of the header's 9 fields" in p for p in problems)


def test_stock_unit_checked(folder):
    _edit(folder / "stocks.csv", ",months,", ",weeks,")
    problems = _problems(folder)
    assert any("stocks.csv" in p and "column 'unit'" in p and "'weeks'" in p for p in problems)


def test_problems_from_every_check_at_once(folder):
    row = "rare_earths,separation,1,t REO,1.0,Separation,分離,assumed,test_src,test yield\n"
    _edit(folder / "stages.csv", row, row + row, rehash=False)
    _edit(folder / "production.csv", "CHN,2024,60,t REO", "CHN,2024,1_000,t REO", rehash=False)
    result = CliRunner().invoke(app, ["data", "validate", str(folder)])
    assert result.exit_code == 1
    text = result.output.replace("\n", "")  # the terminal wraps long paths mid-word
    assert "duplicate of row 3" in text
    assert "found '1_000'" in text
    assert "stages.csv: contents differ from the sha256" in text
    assert "production.csv: contents differ from the sha256" in text
    assert "4 problem(s)" in text
