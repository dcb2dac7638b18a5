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
    "worst_hit": {"en": "First end use hit", "ja": "最初に影響を受ける用途"},
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
        "en": "does not hold: at month 6 Japan still meets {kept:.0f}% of its {stage} demand ({worst} is {pct:.0f}% short)",
        "ja": "不成立: 6か月目も日本は{stage}の需要の{kept:.0f}%を確保（{worst}の不足は{pct:.0f}%）",
    },
    # --- reports and dashboard (oreshock.report.builder, oreshock.web.app) ---
    "report_title": {"en": "Stress-test report", "ja": "ストレステスト報告書"},
    "summary_heading": {"en": "Summary", "ja": "要約"},
    "analysis_heading": {"en": "Analysis", "ja": "解説"},
    "assumptions_heading": {"en": "Scenario assumptions", "ja": "シナリオの前提"},
    "sources_heading": {"en": "Data sources", "ja": "データの出典"},
    "provenance_heading": {"en": "Run provenance", "ja": "実行の記録"},
    "charts_heading": {"en": "Charts", "ja": "図表"},
    "variants_heading": {"en": "Responses compared", "ja": "対応策の比較"},
    "stages_heading": {"en": "Shortfall by stage", "ja": "工程別の供給不足"},
    "rep_scope": {
        "en": "Scenario {title}: {months} months from {start}.",
        "ja": "シナリオ「{title}」: {start}から{months}か月間。",
    },
    "rep_first_short": {
        "en": "{country} first runs short at the {stage} stage in {month}, {m} months after the start; its shortfall there peaks at {peak}% of demand and totals {cum}% of demand over the horizon.",
        "ja": "{country}は{month}（開始から{m}か月後）に{stage}で初めて供給不足となり、不足は最大で需要の{peak}%、期間全体で需要の{cum}%に達する。",
    },
    "rep_worst_stage": {
        "en": "{country}'s hardest-hit stage is {stage}: peak shortfall {peak}%, cumulative {cum}% of demand.",
        "ja": "{country}で最も影響が大きい工程は{stage}で、最大不足率{peak}%、累積不足率{cum}%。",
    },
    "rep_no_short": {
        "en": "{country} has no shortfall above the threshold at any stage within the {months} months.",
        "ja": "{country}では{months}か月の間、どの工程でも閾値を超える供給不足は生じない。",
    },
    "rep_who": {
        "en": "{n} countries run short at some stage; the hardest hit: {list}.",
        "ja": "いずれかの工程で供給不足となる国は{n}か国。影響が大きいのは{list}。",
    },
    "rep_who_item": {"en": "{country} {stage} ({cum}%)", "ja": "{country}の{stage}（{cum}%）"},
    "rep_none_short": {
        "en": "No country runs short in this run.",
        "ja": "この実行ではどの国も供給不足にならない。",
    },
    "rep_sectors": {
        "en": "End uses in {country} hit first: {list}.",
        "ja": "{country}で最初に影響を受ける用途: {list}。",
    },
    "rep_sector_item": {
        "en": "{name} (from month {m}, {cum}% cumulative)",
        "ja": "{name}（{m}か月目から、累積{cum}%）",
    },
    "rep_variant": {
        "en": "{variant}: {country} {stage} cumulative shortfall {cum}% of demand, {delta} points below {ref}.",
        "ja": "{variant}: {country}の{stage}の累積不足率は{cum}%で、{ref}より{delta}ポイント低い。",
    },
    "rep_variant_worse": {
        "en": "{variant}: {country} {stage} cumulative shortfall {cum}% of demand, {delta} points above {ref}.",
        "ja": "{variant}: {country}の{stage}の累積不足率は{cum}%で、{ref}より{delta}ポイント高い。",
    },
    "rep_variant_same": {
        "en": "{variant}: {country} {stage} cumulative shortfall {cum}% of demand, the same as {ref}.",
        "ja": "{variant}: {country}の{stage}の累積不足率は{cum}%で、{ref}と変わらない。",
    },
    "rep_why_origin": {
        "en": "Before the shock, {share}% of {country}'s {stage} supply originated in {origin} ({direct}% directly, {indirect}% through third countries) in the dataset's base year.",
        "ja": "ショック前（データの基準年）、{country}の{stage}の供給のうち{share}%が{origin}由来だった（直接{direct}%、第三国経由{indirect}%）。",
    },
    "rep_why_imports": {
        "en": "{country}'s {stage} imports go from {before} t in {m0} to {after} t in {m1}.",
        "ja": "{country}の{stage}の輸入は{m0}の{before}トンから{m1}には{after}トンになる。",
    },
    "rep_why_stock": {
        "en": "Its commercial stock at this stage ({initial} t at the start) is used up in {month}.",
        "ja": "この工程の民間在庫（開始時{initial}トン）は{month}に尽きる。",
    },
    "rep_why_stockpile": {
        "en": "The national stockpile ({initial} t) is drawn down to {last} t by the end.",
        "ja": "国家備蓄（{initial}トン）は期末までに{last}トンまで取り崩される。",
    },
    "chart_stock": {
        "en": "Stocks and stockpiles at {stage}, months of demand",
        "ja": "{stage}の在庫・備蓄（需要の月数）",
    },
    "months_of_demand": {"en": "months of demand", "ja": "需要の月数"},
    "chart_shortfall": {
        "en": "Shortfall at {stage}, % of demand",
        "ja": "{stage}の供給不足（需要比 %）",
    },
    "chart_country_stages": {
        "en": "{country}: shortfall by stage, % of demand",
        "ja": "{country}: 工程別の供給不足（需要比 %）",
    },
    "chart_sankey_before": {
        "en": "{country} {stage} supply by origin, base year (t/month)",
        "ja": "{country}の{stage}供給（原産地別、基準年、トン/月）",
    },
    "chart_sankey_after": {
        "en": "{country} {stage} supply by origin, {month} (t/month)",
        "ja": "{country}の{stage}供給（原産地別、{month}、トン/月）",
    },
    "chart_map": {
        "en": "World {mineral} {stage} output shares ({year})",
        "ja": "世界の{mineral}{stage}生産シェア（{year}年）",
    },
    "origin_suffix": {"en": " (origin)", "ja": "（原産）"},
    "domestic": {"en": " (domestic)", "ja": "（国内）"},
    "base": {"en": "base", "ja": "基本ケース"},
    "run_id": {"en": "Run id", "ja": "実行ID"},
    "created": {"en": "Created", "ja": "作成日時"},
    "dataset": {"en": "Dataset", "ja": "データセット"},
    "code_version": {"en": "Code version", "ja": "コードのバージョン"},
    "seed": {"en": "Seed", "ja": "乱数シード"},
    "publisher": {"en": "Publisher", "ja": "発行者"},
    "year": {"en": "Year", "ja": "年"},
    "dataset_mismatch": {
        "en": "Note: the run used dataset {run_hash}; names and sources come from {now_hash}.",
        "ja": "注: この実行のデータセットは{run_hash}、名称と出典は{now_hash}による。",
    },
    "nav_overview": {"en": "Overview", "ja": "概要"},
    "nav_builder": {"en": "Scenario builder", "ja": "シナリオ作成"},
    "nav_runs": {"en": "Runs", "ja": "実行結果"},
    "nav_compare": {"en": "Compare", "ja": "比較"},
    "dash_title": {
        "en": "oreshock: critical-mineral stress tests",
        "ja": "oreshock: 重要鉱物サプライチェーンのストレステスト",
    },
    "dash_scenario": {"en": "Scenario", "ja": "シナリオ"},
    "dash_shipped": {"en": "Shipped scenario", "ja": "収録シナリオ"},
    "dash_custom": {"en": "Custom shock", "ja": "独自のショック"},
    "dash_exporter": {"en": "Exporter", "ja": "輸出国"},
    "dash_targets": {
        "en": "Target countries (ISO3, comma-separated)",
        "ja": "対象国（ISO3、カンマ区切り）",
    },
    "dash_start": {"en": "Start month", "ja": "開始月"},
    "dash_end": {"en": "End month (optional)", "ja": "終了月（任意）"},
    "dash_months": {"en": "Horizon (months)", "ja": "期間（月）"},
    "dash_ban_share": {"en": "Share of exports cut", "ja": "輸出削減率"},
    "dash_reexport": {
        "en": "Re-export control on this exporter's material",
        "ja": "第三国経由の再輸出も規制",
    },
    "dash_stockpile": {
        "en": "Release targets' national stockpiles",
        "ja": "対象国の国家備蓄を放出",
    },
    "dash_sharing": {"en": "Sharing agreement among", "ja": "融通協定のグループ"},
    "dash_sharing_share": {"en": "Share of exports reserved", "ja": "融通に充てる輸出の割合"},
    "dash_rerouting": {"en": "Rerouting to other suppliers", "ja": "他の供給国への切り替え"},
    "dash_none": {"en": "none", "ja": "なし"},
    "dash_run": {"en": "Run", "ja": "実行"},
    "dash_status": {"en": "Status", "ja": "状態"},
    "dash_progress": {"en": "Progress", "ja": "進捗"},
    "dash_open": {"en": "Open", "ja": "開く"},
    "dash_compare_selected": {"en": "Compare selected", "ja": "選択した実行を比較"},
    "dash_download": {"en": "Download report (HTML)", "ja": "報告書をダウンロード（HTML）"},
    "dash_json": {"en": "JSON", "ja": "JSON"},
    "dash_production_share": {"en": "Production share", "ja": "生産シェア"},
    "dash_reliance": {"en": "Net import reliance", "ja": "純輸入依存度"},
    "dash_china_origin": {"en": "China-origin share", "ja": "中国由来の割合"},
    "dash_supply_risk": {"en": "Supply risk", "ja": "供給リスク"},
    "dash_consumption": {"en": "Consumption", "ja": "消費量"},
    "dash_error": {"en": "Error", "ja": "エラー"},
}


def t(key: str, lang: str = "en", **fmt) -> str:
    """The text for ``key`` in ``lang`` (English when a translation is missing)."""
    entry = TEXT.get(key)
    if entry is None:
        return key
    text = entry.get(lang) or entry["en"]
    return text.format(**fmt) if fmt else text
