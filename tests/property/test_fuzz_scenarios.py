"""Fuzzed scenarios: mutations of the shipped scenario files (wrong types, unknown keys, random
ids, NaN, deep nesting) and of API bodies end in a run or a clear error (ScenarioError and the
other OreshockErrors, or a 422), never another exception.

The example count is the ``property_examples`` option ($ORESHOCK_PROPERTY_EXAMPLES runs deeper).
"""

from __future__ import annotations

import copy
import json
import math
import warnings
from pathlib import Path
from typing import Any

import pytest
import yaml
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from oreshock.core.errors import OreshockError, OreshockWarning
from oreshock.core.options import get_option
from oreshock.model.scenario import ScenarioFile, open_scenario, shipped_scenarios
from oreshock.model.simulate import simulate
from oreshock.web.app import create_app

SHIPPED = {
    name: yaml.safe_load(Path(open_scenario(name).path).read_text("utf-8"))
    for name in shipped_scenarios()
}
SETTINGS = settings(
    max_examples=get_option("property_examples"),
    deadline=10_000,  # ms; a run is capped at a few months, so a slow example is a hang
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)

IDS = [
    "JAP",
    "JPN",
    "CHN",
    "XXX",
    "g7plus",
    "g8",
    "rare_earth",
    "separation",
    "seperation",
    "refining",
    "magnets",
    "all",
    "",
    "wind",
    "ev_motor",
]
VALUES = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-(10**6), 10**6),
    st.sampled_from([math.nan, math.inf, -math.inf, -1.0, 0.0, 0.5, 1.0, 2.0, 1e308]),
    st.sampled_from(IDS),
    st.sampled_from(["2026-01", "2025-12", "2031-01", "2026-13", "soon"]),
    st.lists(st.sampled_from(IDS), max_size=3),
    st.sampled_from(
        [
            {},
            [],
            {"dist": "uniform", "low": -0.5, "high": 0.5},
            {"dist": "uniform", "low": 1, "high": 0},
            {"dist": "beta"},
        ]
    ),
    st.integers(1, 40).map(lambda n: _nest(n)),
).map(copy.deepcopy)  # sampled dicts are shared objects: a copy keeps edits from making cycles


def _nest(depth: int) -> Any:
    value: Any = 1
    for k in range(depth):
        value = [value] if k % 2 else {"x": value}
    return value


def _paths(node: Any, path: tuple = ()) -> list[tuple]:
    """Every path to a value in a nested document (the document itself is the empty path)."""
    found = [path]
    if isinstance(node, dict):
        for k, v in node.items():
            found += _paths(v, (*path, k))
    elif isinstance(node, list):
        for i, v in enumerate(node):
            found += _paths(v, (*path, i))
    return found


@st.composite
def mutated(draw: st.DrawFn) -> dict:
    """A shipped scenario with one to three edits: a value replaced, a key added or removed."""
    doc = copy.deepcopy(SHIPPED[draw(st.sampled_from(sorted(SHIPPED)))])
    for _ in range(draw(st.integers(1, 3))):
        paths = _paths(doc)
        path = draw(st.sampled_from(paths))
        action = draw(st.sampled_from(["replace", "replace", "add", "delete"]))
        parent: Any = doc
        for key in path[:-1]:
            parent = parent[key]
        if not path:
            if action == "add":
                doc[draw(st.sampled_from(["horizon", "variants", "extends", "shocks"]))] = draw(
                    VALUES
                )
            continue
        target = parent[path[-1]]
        if action == "replace":
            parent[path[-1]] = draw(VALUES)
        elif action == "add" and isinstance(target, dict):
            target[draw(st.sampled_from(["typo", "extends", "end", "stages", "dist"]))] = draw(
                VALUES
            )
        elif action == "delete" and isinstance(parent, dict):
            del parent[path[-1]]
    return doc


def _run(text: str, network) -> None:
    """What ``oreshock run`` does with a file: build every variant, run the base briefly."""
    file = ScenarioFile(text, "fuzzed.yaml")
    for name in [None, *file.variants]:
        file.build(name)
    scenario = file.build(None, {("months",): 3})
    if scenario.minerals == "all":
        scenario = scenario.model_copy(update={"minerals": ["rare_earths"]})
    simulate(network, scenario)


@SETTINGS
@given(doc=mutated())
def test_mutated_scenario_files_end_in_a_run_or_a_clear_error(doc, network):
    text = yaml.safe_dump(doc, allow_unicode=True)
    with warnings.catch_warnings():
        warnings.simplefilter("error", OreshockWarning)
        try:
            _run(text, network)
        except (OreshockError, OreshockWarning) as exc:
            assert str(exc).strip(), "an error says what is wrong"


@SETTINGS
@given(text=st.text(alphabet="ab:-[]{}&*! \n'\"#|>.0123", max_size=200))
def test_arbitrary_yaml_text_ends_in_a_run_or_a_clear_error(text, network):
    with warnings.catch_warnings():
        warnings.simplefilter("error", OreshockWarning)
        try:
            _run(text, network)
        except (OreshockError, OreshockWarning) as exc:
            assert str(exc).strip()


@pytest.fixture(scope="module")
def client(tmp_path_factory):
    app = create_app(tmp_path_factory.mktemp("fuzz") / "runs.duckdb")
    with TestClient(app, base_url="http://localhost") as c:  # the service's own Host names
        yield c


@SETTINGS
@given(doc=mutated(), variant=st.sampled_from([None, "no-response", "full-response", "nope"]))
def test_mutated_api_bodies_end_in_202_or_a_clear_422(client, doc, variant):
    doc.pop("variants", None) if variant is None else None
    body = {"scenario": doc, "months": 3}
    if variant is not None:
        body["variant"] = variant
    r = client.post(
        "/api/runs",
        content=json.dumps(body, allow_nan=True),
        headers={"content-type": "application/json"},
    )
    assert r.status_code in (202, 422, 429, 503), (r.status_code, r.text)
    if r.status_code == 422:
        assert isinstance(r.json()["detail"], str) and r.json()["detail"]
