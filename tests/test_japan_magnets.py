"""Japan's magnet data are consistent (issue 11 item 3, magnets): one China -> Japan tonnage
in every table, KITA's share read as a share of Japan's imports, and Japan a net importer of
NdFeB magnets (no source says it is a net exporter)."""

from __future__ import annotations

from oreshock import load_dataset
from oreshock.model.network import build_network

CHINA_TO_JAPAN = 3240.4


def _chain_cell():
    chain = build_network().chain("rare_earths")
    return chain, chain.countries.index("JPN"), chain.stages.index("magnets")


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
    chain, j, s = _chain_cell()
    assert chain.imports[j, s] > chain.exports[j, s] + 1000
    assert chain.consumption[j, s] > chain.production[j, s]


def test_china_share_of_japan_imports_is_near_kita():
    """KITA's figure is China's share of Japan's imports: 31.1% (2022), 42.3% (2016). The
    balanced data keep China's share of Japan's magnet imports within those years' figures,
    and China's direct share of Japan's whole supply well below it."""
    chain, j, s = _chain_cell()
    china = chain.countries.index("CHN")
    share = chain.trade[s, china, j] / chain.imports[j, s]
    assert 0.311 <= share <= 0.423
    assert chain.trade[s, china, j] / chain.consumption[j, s] < 0.311
