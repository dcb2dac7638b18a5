"""Words people read, in English and Japanese: one table, looked up by key."""

from __future__ import annotations

LANGUAGES = ("en", "ja")

TEXT: dict[str, dict[str, str]] = {
    "variant": {"en": "Variant", "ja": "ケース"},
    "country": {"en": "Country", "ja": "国"},
    "mineral": {"en": "Mineral", "ja": "鉱物"},
    "stage": {"en": "Stage", "ja": "工程"},
    "sector": {"en": "End use", "ja": "用途"},
    "months_to_shortfall": {"en": "Months to shortfall", "ja": "不足までの月数"},
    "peak_shortfall_pct": {"en": "Peak shortfall %", "ja": "最大不足率 %"},
    "cumulative_shortfall_pct": {"en": "Cumulative shortfall %", "ja": "累積不足率 %"},
    "worst_hit": {"en": "Worst-hit end uses", "ja": "影響の大きい用途"},
    "never": {"en": "never", "ja": "なし"},
    "share": {"en": "Share", "ja": "シェア"},
    "hhi": {"en": "HHI", "ja": "HHI"},
    "top1_share": {"en": "Top-1 share", "ja": "首位シェア"},
    "top3_share": {"en": "Top-3 share", "ja": "上位3か国シェア"},
    "sources": {"en": "Sources", "ja": "出典"},
    "direct_share": {"en": "Direct", "ja": "直接"},
    "indirect_share": {"en": "Indirect (via third countries)", "ja": "間接（第三国経由）"},
    "total_share": {"en": "Total", "ja": "合計"},
    "group": {"en": "Group", "ja": "グループ"},
    "claim_title": {
        "en": 'Claim: "in six months Japan can make nothing"',
        "ja": "主張:「6か月で日本は何も作れなくなる」",
    },
    "claim_holds": {
        "en": "holds: by month 6 Japan's {stage} supply is {pct:.0f}% short",
        "ja": "成立: 6か月目に日本の{stage}の供給不足は{pct:.0f}%",
    },
    "claim_fails": {
        "en": "does not hold: at month 6 Japan's worst stage ({stage}) is {pct:.0f}% short",
        "ja": "不成立: 6か月目の日本の最大不足工程（{stage}）でも不足は{pct:.0f}%",
    },
}


def t(key: str, lang: str = "en", **fmt) -> str:
    """The text for ``key`` in ``lang`` (English when a translation is missing)."""
    entry = TEXT.get(key)
    if entry is None:
        return key
    text = entry.get(lang) or entry["en"]
    return text.format(**fmt) if fmt else text
