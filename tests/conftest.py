"""Shared fixtures: the bundled dataset and network (loaded once), a mini dataset, a temp DB."""

from __future__ import annotations

from pathlib import Path

import pytest

from oreshock import build_network, load_dataset

DATA = Path(__file__).parent / "data"
MINI = DATA / "mini_dataset"


@pytest.fixture(scope="session")
def dataset():
    return load_dataset()


@pytest.fixture(scope="session")
def network(dataset):
    return build_network(dataset)


@pytest.fixture(scope="session")
def mini_dataset():
    return load_dataset(MINI)


@pytest.fixture(scope="session")
def mini_network(mini_dataset):
    return build_network(mini_dataset)


@pytest.fixture()
def db_path(tmp_path, monkeypatch) -> Path:
    path = tmp_path / "results.duckdb"
    monkeypatch.setenv("ORESHOCK_DB", str(path))
    return path
