"""The options registry: documented, looked up at use time, checked, restored after a block."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from oreshock.cli.app import app
from oreshock.core.errors import OreshockError
from oreshock.core.options import (
    OPTIONS,
    get_option,
    get_options,
    options_reference,
    set_options,
)
from oreshock.store.store import Store, default_path

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(autouse=True)
def clean_environment(monkeypatch):
    """Each test starts from the defaults, whatever the calling shell exports."""
    for option in OPTIONS.values():
        monkeypatch.delenv(option.env, raising=False)


def test_every_option_is_documented():
    written = (ROOT / "docs" / "options.md").read_text("utf-8")
    assert OPTIONS, "no options registered"
    for option in OPTIONS.values():
        assert option.help.strip(), f"{option.name} has no help"
        assert option.expected.strip(), f"{option.name} does not say what it expects"
        assert option.env.startswith("ORESHOCK_"), option.env
        rows = [line for line in written.splitlines() if line.startswith(f"| `{option.name}` |")]
        assert len(rows) == 1, f"{option.name} missing from docs/options.md"
        assert f"`{option.env}`" in rows[0]
        assert f"`{option.default}`" in rows[0]
    assert written == options_reference(), (
        "stale: python -m oreshock.cli.reference options > docs/options.md"
    )


def test_every_default_is_valid():
    values = get_options()
    assert set(values) == set(OPTIONS)
    assert values["language"] == "en"
    assert values["property_examples"] == 50


def test_environment_is_read_at_lookup_not_import(monkeypatch, tmp_path):
    monkeypatch.setenv("HOME", str(tmp_path))
    assert get_option("db_path") == tmp_path / ".oreshock" / "oreshock.duckdb"
    monkeypatch.setenv("ORESHOCK_DB", str(tmp_path / "a.duckdb"))
    assert get_option("db_path") == tmp_path / "a.duckdb"
    assert default_path() == tmp_path / "a.duckdb"
    monkeypatch.setenv("ORESHOCK_DB", "~/b.duckdb")
    assert get_option("db_path") == tmp_path / "b.duckdb"
    monkeypatch.setenv("ORESHOCK_PROPERTY_EXAMPLES", "500")
    assert get_option("property_examples") == 500
    monkeypatch.setenv("ORESHOCK_DB", "")
    assert get_option("db_path") == tmp_path / ".oreshock" / "oreshock.duckdb", "empty = unset"


def test_set_options_wins_over_environment_and_is_restored(monkeypatch, tmp_path):
    monkeypatch.setenv("ORESHOCK_LANG", "ja")
    assert get_option("language") == "ja"
    with set_options(language="en", db_path=str(tmp_path / "x.duckdb")):
        assert get_option("language") == "en"
        assert get_option("db_path") == tmp_path / "x.duckdb"
        with set_options(language="ja"):
            assert get_option("language") == "ja"
            assert get_option("db_path") == tmp_path / "x.duckdb"
        assert get_option("language") == "en"
    assert get_option("language") == "ja"
    assert get_option("db_path") == Path.home() / ".oreshock" / "oreshock.duckdb"


def test_set_options_for_the_process_and_unset_with_none():
    try:
        set_options(property_examples=7)
        assert get_option("property_examples") == 7
        set_options(property_examples=None)
        assert get_option("property_examples") == 50
    finally:
        set_options(property_examples=None)


def test_store_opens_the_database_the_option_names(tmp_path):
    target = tmp_path / "sub" / "chosen.duckdb"
    with set_options(db_path=target), Store() as store:
        assert store.path == target
    assert target.exists()


@pytest.mark.parametrize(
    ("name", "value", "expected"),
    [
        ("property_examples", "many", "a whole number of at least 1"),
        ("property_examples", "0", "a whole number of at least 1"),
        ("language", "fr", "one of en, ja"),
    ],
)
def test_bad_environment_value_names_option_value_and_expectation(
    monkeypatch, name, value, expected
):
    env = OPTIONS[name].env
    monkeypatch.setenv(env, value)
    with pytest.raises(OreshockError) as info:
        get_option(name)
    message = str(info.value)
    assert name in message and repr(value) in message and env in message and expected in message


def test_directory_is_not_a_database_path(monkeypatch, tmp_path):
    monkeypatch.setenv("ORESHOCK_DB", str(tmp_path))
    with pytest.raises(OreshockError, match=r"db_path.*not a directory"):
        get_option("db_path")


def test_bad_set_options_changes_nothing():
    with pytest.raises(OreshockError, match=r"property_examples.*-3.*at least 1"):
        set_options(language="ja", property_examples=-3)
    assert get_option("language") == "en"
    with pytest.raises(OreshockError, match="property_examples"):
        set_options(property_examples=True)
    with pytest.raises(OreshockError, match=r"unknown option 'colour'.*db_path"):
        set_options(colour="red")
    with pytest.raises(OreshockError, match="unknown option"):
        get_option("colour")


def test_cli_language_follows_the_option(monkeypatch):
    runner = CliRunner()
    args = ["metrics", "concentration", "--mineral", "lithium", "--stage", "refining"]
    monkeypatch.setenv("ORESHOCK_LANG", "ja")
    result = runner.invoke(app, args)
    assert result.exit_code == 0 and "首位シェア" in result.output
    result = runner.invoke(app, [*args, "--lang", "en"])
    assert result.exit_code == 0 and "Top-1 share" in result.output
    monkeypatch.setenv("ORESHOCK_LANG", "fr")
    bad = runner.invoke(app, args)
    assert bad.exit_code == 2 and "ORESHOCK_LANG" in bad.output
