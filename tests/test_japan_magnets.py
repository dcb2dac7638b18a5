"""Japan's magnet data are consistent (issue 11 item 3, magnets): one China -> Japan tonnage
in every table, KITA's share read as a share of Japan's imports, and Japan a net importer of
NdFeB magnets (no source says it is a net exporter)."""

from __future__ import annotations

from oreshock import load_dataset
from oreshock.model.network import build_network

CHINA_TO_JAPAN = 3240.4


MAGNETS = ("ndfeb_dytb", "ndfeb_plain")


def _japan_magnets() -> dict[str, float]:
    """Japan's NdFeB magnets over both grades: production, imports, exports, consumption and
    imports from China, t/yr."""
    network = build_network()
    out = dict.fromkeys(("production", "imports", "exports", "consumption", "from_china"), 0.0)
    for product in MAGNETS:
        chain = network.chains[product]
        j, s = chain.index("JPN"), chain.stages.index("magnets")
        out["production"] += chain.production[j, s]
        out["imports"] += chain.imports[j, s]
        out["exports"] += chain.exports[j, s]
        out["consumption"] += chain.consumption[j, s]
        out["from_china"] += chain.trade[s, chain.index("CHN"), j]
    return out


def test_one_china_to_japan_tonnage_everywhere():
    """trade.csv's flow is the tonnage demand.csv's method uses; the old 2,297 t is gone."""
    ds = load_dataset()
    trade = ds.table("trade")
    row = trade[(trade["exporter"] == "CHN") & (trade["importer"] == "JPN")]
    assert float(row["value"].iloc[0]) == CHINA_TO_JAPAN
    demand = ds.table("demand")
    method = demand[(demand["iso3"] == "JPN") & (demand["stage"] == "magnets")]["method"].iloc[0]
    assert "3,240.4" in method and "2297" not in method and "2,297" not in method


def test_japan_is_a_net_importer_of_magnets():
    japan = _japan_magnets()
    assert japan["imports"] > japan["exports"] + 1000
    assert japan["consumption"] > japan["production"]


def test_china_share_of_japan_imports_is_near_kita():
    """KITA's figure is China's share of Japan's imports: 31.1% (2022), 42.3% (2016). The
    balanced data keep China's share of Japan's magnet imports (both grades) within those
    years' figures, and China's direct share of Japan's whole supply well below it."""
    japan = _japan_magnets()
    assert 0.311 <= japan["from_china"] / japan["imports"] <= 0.423
    assert japan["from_china"] / japan["consumption"] < 0.311
