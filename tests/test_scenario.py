"""Scenario files: variants, distributions and errors that name file, line and field."""

from __future__ import annotations

import pytest

from oreshock.core.errors import ScenarioError
from oreshock.model.scenario import ScenarioFile, load_scenario, open_scenario, shipped_scenarios

BAD = """name: broken
start: 2026-01
months: 12
shocks:
  - type: export_ban
    exporter: CHN
    destinations: [JPN]
    start: 2026-13
    share: 1.5
"""


def test_shipped_scenarios_validate():
    assert {"baseline", "japan-rare-earths-2026"} <= set(shipped_scenarios())
    file = open_scenario("japan-rare-earths-2026")
    assert list(file.variants) == [
        "no-response",
        "reexport-control",
        "heavy-elements-control",
        "stockpiles",
        "g7plus-sharing",
        "full-response",
    ]
    for name in file.variants:
        scenario = file.build(name)
        assert scenario.variant == name
        assert scenario.months == 60


def test_every_shipped_variant_has_a_name_in_both_languages_of_its_own():
    for scenario in shipped_scenarios():
        file = open_scenario(scenario)
        named = [
            (file.build(v).variant_name("en"), file.build(v).variant_name("ja"))
            for v in file.variants
        ]
        assert len(set(named)) == len(named), scenario  # no two variants read alike
        for (en, ja), variant in zip(named, file.variants, strict=True):
            assert en != variant and ja != variant and en != ja, (scenario, variant)


def test_a_variant_title_names_that_variant_only(tmp_path):
    """A variant extending a titled one does not take its title; an untitled variant reads
    by its id, one titled in one language by that title in both; the base has no name."""
    path = tmp_path / "s.yaml"
    path.write_text(
        "name: s\nmonths: 12\nvariants:\n"
        "  a:\n    variant_title_en: Plan A\n    variant_title_ja: 案A\n"
        "  b:\n    extends: a\n"
        "  c:\n    extends: a\n    variant_title_en: Plan C\n"
    )
    file = ScenarioFile(path.read_text(), str(path))
    assert (file.build("a").variant_name("en"), file.build("a").variant_name("ja")) == (
        "Plan A",
        "案A",
    )
    assert file.build("b").variant_name("ja") == "b"
    assert file.build("c").variant_name("ja") == "Plan C"
    assert file.build(None).variant_name("en") == ""
    path.write_text("name: s\nvariants:\n  a:\n    variant_title_en: " + "x" * 81 + "\n")
    with pytest.raises(ScenarioError, match="variant_title_en"):
        ScenarioFile(path.read_text(), str(path)).build("a")


def test_variants_extend_each_other():
    file = open_scenario("japan-rare-earths-2026")
    full = file.build("full-response")
    assert [s.type for s in full.shocks] == ["export_ban", "reexport_control"]
    assert full.responses.rerouting is not None
    assert full.buffers.stockpiles[0].holder == "JPN"
    assert file.build("no-response").responses.rerouting is None
    heavy = file.build("heavy-elements-control")
    assert [s.type for s in heavy.shocks] == ["export_ban", "reexport_control"]
    assert all({"Dy", "Tb"} <= set(s.elements) and "Nd" not in s.elements for s in heavy.shocks)


def test_distributions_take_central_values_and_are_listed():
    file = open_scenario("japan-rare-earths-2026")
    full = file.build("full-response")
    assert full.responses.sharing[0].share == pytest.approx(0.3)
    assert full.responses.new_capacity[0].lead_months == 24
    uncertain = file.uncertain("full-response")
    assert ("responses", "sharing", 0, "share") in uncertain
    assert file.uncertain("no-response") == {}


def test_errors_name_file_line_and_field(tmp_path):
    path = tmp_path / "broken.yaml"
    path.write_text(BAD, "utf-8")
    with pytest.raises(ScenarioError) as info:
        load_scenario(path)
    message = str(info.value)
    assert f"{path}, line 8, field 'shocks.0.start'" in message
    assert "YYYY-MM" in message
    assert f"{path}, line 9, field 'shocks.0.share'" in message


def test_unknown_field_and_bad_yaml(tmp_path):
    path = tmp_path / "typo.yaml"
    path.write_text("name: x\nmonths: 12\nhorizon: 5\n", "utf-8")
    with pytest.raises(
        ScenarioError, match=r"line 3, field 'horizon': Extra inputs are not permitted"
    ):
        load_scenario(path)
    with pytest.raises(ScenarioError, match="not valid YAML"):
        ScenarioFile("name: [unclosed\n", "x.yaml")


def test_unknown_variant_and_missing_file():
    with pytest.raises(ScenarioError, match="unknown variant 'nope'; expected one of: no-response"):
        load_scenario("japan-rare-earths-2026", "nope")
    with pytest.raises(ScenarioError, match="not a shipped name"):
        load_scenario("does-not-exist")


def test_bad_distribution():
    text = "name: x\nresponses:\n  rerouting:\n    growth: {dist: uniform, low: 0.5, high: 0.1}\n"
    with pytest.raises(ScenarioError, match=r"responses.rerouting.growth: bad distribution"):
        ScenarioFile(text, "x.yaml").build()


def test_month_labels():
    scenario = load_scenario("baseline")
    labels = scenario.month_labels()
    assert labels[0] == "2026-01-01" and labels[12] == "2027-01-01" and len(labels) == 60
