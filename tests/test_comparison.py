"""The flagship table says what each figure is: the worst stage by name, ties as ties,
the threshold of months-to-shortfall in its caption, in both languages."""

from __future__ import annotations

import pytest

from oreshock.core.i18n import t
from oreshock.model.variants import run_variants
from oreshock.report.comparison import comparison_table

SCENARIO = "japan-rare-earths-2026"


@pytest.fixture(scope="module")
def results(network):
    return run_variants(SCENARIO, network, variants=["no-response", "reexport-control"])


@pytest.mark.parametrize("lang", ["en", "ja"])
def test_cumulative_names_its_stage(results, lang):
    table = comparison_table(results, "JPN", "rare_earths", lang)
    column = t("cumulative_worst_pct", lang)
    assert column in table.columns
    stage = t("worst_stage", lang)
    assert stage in table.columns
    # no-response: separation is worst (66%); with re-exports controlled, magnets (72%):
    # Japan's magnet imports from outside China are made from Chinese-origin metal
    assert list(table[stage]) == ["separation", "magnets"]
    assert list(table[column]) == [66.2, 71.9]
    names = {"separation": "separated oxides", "magnets": "NdFeB magnets"}
    named = comparison_table(results, "JPN", "rare_earths", lang, names)
    assert list(named[stage]) == ["separated oxides", "NdFeB magnets"]


@pytest.mark.parametrize("lang", ["en", "ja"])
def test_tied_first_end_uses_are_shown_as_a_tie(results, lang):
    """Catalysts and the other direct uses of separated oxide fall short in the same month
    by the same share: neither is first on its own."""
    table = comparison_table(results, "JPN", "rare_earths", lang)
    for cell in table[t("worst_hit", lang)]:
        assert cell.startswith(t("tie_several", lang, names="").strip())
        assert t("tie_several", lang, names="") != cell
    first = table[t("worst_hit", lang)].iloc[0]
    expect = {"en": ("Catalysts", "Other direct uses"), "ja": ("触媒", "その他の直接用途")}[lang]
    assert all(name in first for name in expect)


@pytest.mark.parametrize("lang", ["en", "ja"])
def test_caption_states_the_threshold(results, lang):
    caption = comparison_table(results, "JPN", "rare_earths", lang).attrs["caption"]
    assert "1%" in caption
    assert "60" in caption  # the horizon of the cumulative figure
    assert {"en": "first month short by more than 1% of demand", "ja": "1%を超えて不足"}[
        lang
    ] in caption
