"""The flagship table says what each figure is: the worst stage by name, ties as ties,
the threshold of months-to-shortfall in its caption, in both languages."""

from __future__ import annotations

import pytest

from oreshock.core.i18n import t
from oreshock.model.variants import claim_check, run_variants
from oreshock.report.comparison import comparison_table, family_claim_check

SCENARIO = "japan-rare-earths-2026"


@pytest.fixture(scope="module")
def results(network):
    return run_variants(
        SCENARIO, network, variants=["no-response", "reexport-control", "heavy-elements-control"]
    )


@pytest.mark.parametrize("lang", ["en", "ja"])
def test_cumulative_names_its_stage(results, lang):
    """Each product's table names the stage its figure is at: Japan uses La/Ce as separated
    oxide (66% short over the horizon), NdFeB as magnets (27%; the figures move with the
    price model, whose lagged demand response trims final use as prices rise); a product never short in a
    variant (standard grades when only the heavy elements stop) has no worst stage."""
    column = t("cumulative_worst_pct", lang)
    stage = t("worst_stage", lang)
    lace = comparison_table(results, "JPN", "ree_lace", lang)
    assert column in lace.columns and stage in lace.columns
    assert list(lace[stage]) == ["separation", "separation", "–"]
    assert list(lace[column]) == [66.2, 66.2, 0.0]
    magnets = comparison_table(results, "JPN", "ndfeb_dytb", lang)
    assert list(magnets[stage]) == ["magnets"] * 3
    assert list(magnets[column]) == [27.2, 27.2, 27.2]
    plain = comparison_table(results, "JPN", "ndfeb_plain", lang)
    assert list(plain[stage]) == ["magnets", "magnets", "–"]
    assert list(plain[column]) == [27.2, 27.2, 0.0]
    names = {"magnets": "NdFeB magnets"}
    named = comparison_table(results, "JPN", "ndfeb_dytb", lang, names)
    assert list(named[stage]) == ["NdFeB magnets"] * 3


@pytest.mark.parametrize("lang", ["en", "ja"])
def test_tied_first_end_uses_are_shown_as_a_tie(results, lang):
    """Catalysts and the other direct uses of separated La/Ce fall short in the same month
    by the same share: neither is first on its own."""
    table = comparison_table(results, "JPN", "ree_lace", lang)
    hit = table[t("worst_hit", lang)]
    for cell in hit.iloc[:2]:
        assert cell.startswith(t("tie_several", lang, names="").strip())
        assert t("tie_several", lang, names="") != cell
    expect = {"en": ("Catalysts", "Other direct uses"), "ja": ("触媒", "その他の直接用途")}[lang]
    assert all(name in hit.iloc[0] for name in expect)
    assert hit.iloc[2] == "–"  # La/Ce still flow when only the heavy elements stop


@pytest.mark.parametrize("lang", ["en", "ja"])
def test_first_end_use_hit_is_the_products_own(results, lang):
    """A product's table names only its own end uses: the magnet grades their motors and
    electronics, never the catalysts of La/Ce (which fall short months earlier)."""
    sectors = results[0].sectors("JPN")
    for product in ("ndfeb_dytb", "ndfeb_plain"):
        own = sectors[sectors["mineral"] == product]
        others = sectors[sectors["mineral"] != product]
        for cell in comparison_table(results, "JPN", product, lang)[t("worst_hit", lang)]:
            if cell == "–":
                continue
            assert any(name in cell for name in own[f"name_{lang}"])
            assert not any(name in cell for name in set(others[f"name_{lang}"]))
    # products whose use the data split into no end use name none
    assert set(comparison_table(results, "JPN", "ree_y", lang)[t("worst_hit", lang)]) == {"–"}


def test_claim_is_checked_over_every_product(results):
    """The claim holds only if all of Japan's rare-earth-using production is short: each
    product's final-use stages are in the check, and the least short one decides."""
    products = list(results[0].network.products("rare_earths"))
    for result in results:
        check = family_claim_check(result, "JPN", products)
        expected = {
            f"{p}:{s}": v
            for p in products
            for s, v in claim_check(result, "JPN", p)["by_stage"].items()
        }
        assert check["by_stage"] == expected and expected
        assert check["least_pct"] == min(expected.values())
        assert check["worst_pct"] == max(expected.values())
        assert check["holds"] is (min(expected.values()) >= 90.0)
        # month 6: the magnets still come from stock, so the claim does not hold
        assert check["least_stage"].endswith(":magnets") and not check["holds"]


@pytest.mark.parametrize("lang", ["en", "ja"])
def test_caption_states_the_threshold(results, lang):
    caption = comparison_table(results, "JPN", "ndfeb_dytb", lang).attrs["caption"]
    assert "1%" in caption
    assert "60" in caption  # the horizon of the cumulative figure
    assert {"en": "first month short by more than 1% of demand", "ja": "1%を超えて不足"}[
        lang
    ] in caption
