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
    "cumulative_worst_pct": {
        "en": "Cumulative shortfall % (worst stage)",
        "ja": "累積不足率 %（最も不足する工程）",
    },
    "worst_stage": {"en": "Worst stage", "ja": "最も不足する工程"},
    "tie_several": {"en": "several: {names}", "ja": "複数（同順）: {names}"},
    "flagship_caption": {
        "en": "Per stage: months from the start to the first month short by more than "
        "{threshold:g}% of demand ({never}: no such month); cumulative shortfall over {months} months "
        "as % of demand at the worst stage, named; the end use hit first (ties within "
        "{tie:g} points in the same month shown together). Shortfalls below {tol} of demand "
        "count as none.",
        "ja": "工程別: 開始から需要の{threshold:g}%を超えて不足する最初の月までの月数"
        "（{never}: 該当月なし）。累積不足率は{months}か月間の需要に対する割合で、最も不足する"
        "工程の値とその工程名。最初に影響を受ける用途（同じ月で差が{tie:g}ポイント未満なら"
        "同順として併記）。需要の{tol}未満の不足は不足なしとする。",
    },
    "never": {"en": "never", "ja": "なし"},
    # --- back-tests (oreshock.cli.backtest) ---
    "bt_header": {
        "en": "{title} (data of {year}; run {run_id})",
        "ja": "{title}（{year}年のデータ、ラン {run_id}）",
    },
    "bt_check": {"en": "Check", "ja": "検証項目"},
    "bt_observed": {"en": "Observed", "ja": "実績"},
    "bt_model": {"en": "Model", "ja": "モデル"},
    "bt_tolerance": {"en": "Tolerance", "ja": "許容幅"},
    "bt_result": {"en": "Result", "ja": "結果"},
    "bt_pass": {"en": "pass", "ja": "合格"},
    "bt_fail": {"en": "FAIL", "ja": "不合格"},
    "bt_known": {"en": "known failure, reason below", "ja": "既知の不一致、理由は下記"},
    "bt_sample": {"en": "Fitted on it?", "ja": "較正に使用"},
    "bt_in": {"en": "in sample", "ja": "使用（標本内）"},
    "bt_out": {"en": "out of sample", "ja": "不使用（標本外）"},
    "bt_notice": {"en": "data", "ja": "データ"},
    "bt_calibrated": {"en": "Set from the record", "ja": "実績から設定したパラメータ"},
    "bt_intro": {
        "en": "Each episode runs a scenario on the data of its time and compares the run with "
        "the record: months from the control to the first month short against dated plant "
        "stoppages (or none), and China's exports after the control as a ratio to before, "
        "against customs figures. Tolerances are in each episode file "
        "(src/oreshock/backtest/episodes/), set before the model was run; a check that fails "
        'is shown as failing, with why. "Fitted on it" marks checks whose record was used '
        "to set an input (an export path, a stock level): they test consistency, not skill.",
        "ja": "各エピソードは当時のデータでシナリオを実行し、記録と比較する。規制から最初の不足月"
        "までの月数を工場停止の日付（または停止なし）と、規制後の中国の輸出を規制前との比で"
        "通関統計と比べる。許容幅はモデル実行前に各エピソードファイル"
        "（src/oreshock/backtest/episodes/）に記載。不合格の項目は理由とともに不合格と示す。"
        "「較正に使用」は入力（輸出経路、在庫水準）の設定に記録を使った項目で、整合性の確認で"
        "あって予測力の検証ではない。",
    },
    # --- demand share (oreshock.cli.metrics) ---
    "ds_share": {"en": "Share of world demand", "ja": "世界需要に占める割合"},
    "ds_headline_mean": {
        "en": "{group}: {share:.1%} of world demand (mean over minerals with demand data)",
        "ja": "{group}: 世界需要の{share:.1%}（国別需要データのある鉱物の平均）",
    },
    "ds_headline_one": {
        "en": "{group}: {share:.1%} of world demand for {mineral}",
        "ja": "{group}: {mineral}の世界需要の{share:.1%}",
    },
    "ds_members_named": {
        "en": "Members with demand data",
        "ja": "需要データのある構成国",
    },
    "ds_coverage": {
        "en": "Measured as final use where the material is first used (the plants that take "
        "it), not demand embodied in imported final goods; {n} minerals have demand by "
        "country, {left} others have none and are left out; members without a row are in "
        "the rest of the world (OTH) and count as outside the group.",
        "ja": "素材が最初に使われる国（それを受け入れる工場）での最終用途として測定し、輸入"
        "最終製品に体化された需要は含まない。国別需要があるのは{n}鉱物で、他の{left}鉱物は"
        "データがなく除外。行のない構成国はその他の世界（OTH）に含まれ、グループ外として数える。",
    },
    # --- dataset coverage (oreshock.data.coverage_table) ---
    "cov_title": {"en": "Coverage per mineral and stage", "ja": "鉱物・工程別の網羅状況"},
    "cov_rules": {
        "en": "Each cell: the number of countries with figures of that kind, then how many of "
        "them rest on reported, estimated or assumed rows (a country counts once, with its best "
        'status; OTH, the rest of the world, counts as one; "world": the dataset also has a '
        "world row, a world total or a default for countries without their own). Trade counts importers with bilateral "
        'tonnes or import shares; recycling counts at the mineral\'s last stage. "missing": '
        "the dataset has nothing of that kind, so a shock acting through it changes nothing "
        'and the run says "not covered".',
        "ja": "各セル: その種類の数値がある国の数と、そのうち報告値・推計値・仮定値に基づく国の数"
        "（1か国は最も確かな区分で1回数える。OTH＝その他の世界は1か国として数える。"
        "「世界」は世界の行もあること：世界計、または固有の行がない国への既定値）。貿易は二国間数量または輸入"
        "シェアがある輸入国を数え、リサイクルは鉱物の最終工程で数える。「欠落」: その種類の"
        "データがなく、それを通じて作用するショックは何も変えないため、結果は「対象外」となる。",
    },
    "cov_production": {"en": "Production", "ja": "生産"},
    "cov_demand": {"en": "Demand", "ja": "需要"},
    "cov_trade": {"en": "Trade (importers)", "ja": "貿易（輸入国）"},
    "cov_stocks": {"en": "Stocks", "ja": "在庫"},
    "cov_capacity": {"en": "Capacity", "ja": "生産能力"},
    "cov_recycling": {"en": "Recycling", "ja": "リサイクル"},
    "cov_countries": {"en": "{n}: {statuses}", "ja": "{n}か国: {statuses}"},
    "cov_reported": {"en": "{n} reported", "ja": "報告{n}"},
    "cov_estimated": {"en": "{n} estimated", "ja": "推計{n}"},
    "cov_assumed": {"en": "{n} assumed", "ja": "仮定{n}"},
    "cov_world": {"en": "world", "ja": "世界"},
    "cov_missing": {"en": "missing", "ja": "欠落"},
    "cov_factor": {"en": "Factor to the stage unit", "ja": "工程単位への換算係数"},
    "cov_hs_note": {"en": "What the code holds", "ja": "コードの内容（英語）"},
    "cov_hs_title": {
        "en": "HS codes read by the trade loaders",
        "ja": "貿易ローダーが読むHSコード",
    },
    "cov_hs_rules": {
        "en": "`oreshock data import baci|comtrade FILE --into DIR` reads these six-digit codes "
        "(src/oreshock/data/loaders/hs_codes.csv) and turns gross weight into the stage's unit "
        "with the factor; a factor marked assumed makes every flow it produces estimated.",
        "ja": "`oreshock data import baci|comtrade FILE --into DIR` はこの6桁コード"
        "（src/oreshock/data/loaders/hs_codes.csv）を読み、総重量を係数で工程の単位に換算する。"
        "係数が仮定値なら、そこから得た貿易量はすべて推計値となる。",
    },
    "cov_hs_unmapped": {
        "en": "Stages no code maps to (their trade cannot be rebuilt from customs files by "
        "these loaders; a code shared with other goods, such as HS 811292 for unwrought "
        "gallium, germanium and indium together, is not mapped): {stages}.",
        "ja": "対応するコードのない工程（これらのローダーでは通関データから貿易を再構築できない。"
        "未加工のガリウム・ゲルマニウム・インジウムをまとめたHS 811292のように他の品目と"
        "共有されるコードは対応させていない）: {stages}。",
    },
    # --- ensembles (oreshock.ensemble.analysis, oreshock.cli.ensemble) ---
    "ens_fail_default": {
        "en": "failure (default): {rule}, a cumulative shortfall above 5% of demand at the "
        "target's worst stage, a policy level and not a quantile of the runs; state another "
        "with --fail",
        "ja": "失敗の定義（既定）: {rule}。対象国で最も不足する工程の累積不足が需要の5%を超えること"
        "（政策上意味のある水準で、ラン分布の分位点ではない）。--fail で変更可",
    },
    "ens_fail_stated": {
        "en": "failure as stated: {rule}",
        "ja": "指定された失敗の定義: {rule}",
    },
    "ens_failure_line": {
        "en": "P(failure) = {p:.3f}: {failed} of {runs} runs with {rule}",
        "ja": "失敗確率 = {p:.3f}: {runs}ラン中{failed}ランが {rule}",
    },
    "ens_worst_share": {
        "en": "worst stage per run: {shares}",
        "ja": "各ランで最も不足する工程: {shares}",
    },
    "ens_prim_flat": {
        "en": "PRIM skipped: the outcome barely varies (range {range:.3g} below the tolerance "
        "{tolerance:g}); there are no conditions of failure to find",
        "ja": "PRIMを省略: 結果がほとんど変動しない（幅 {range:.3g} が許容値 {tolerance:g} 未満）。"
        "失敗の条件は見いだせない",
    },
    "ens_prim_no_failure": {
        "en": "PRIM skipped: no run fails ({rule} in none of {runs} runs)",
        "ja": "PRIMを省略: 失敗するランがない（{runs}ランのいずれも {rule} に該当しない）",
    },
    "ens_prim_all_fail": {
        "en": "PRIM skipped: every run fails ({rule} in all {runs} runs), whatever the "
        "parameters within their ranges",
        "ja": "PRIMを省略: すべてのランが失敗（{runs}ランすべてが {rule}）。パラメータの範囲内では"
        "条件によらない",
    },
    "ens_sobol_flat": {
        "en": "Sobol indices not computed: the outcome does not vary (range below {tolerance:g})",
        "ja": "Sobol指数は計算せず: 結果が変動しない（幅が {tolerance:g} 未満）",
    },
    "ens_sobol_small": {
        "en": "Sobol sample too small: N = {n} base samples ({runs} runs); indices are "
        "reliable from N = {minimum} ({needed} runs)",
        "ja": "Sobolのサンプルが少なすぎる: 基本サンプル N = {n}（{runs}ラン）。信頼できるのは "
        "N = {minimum}（{needed}ラン）以上",
    },
    "ens_sobol_negative": {
        "en": "{index} of {parameter} is negative ({value:.3f} ± {conf:.3f}): true indices are "
        "never below 0, so this is sampling error; take more runs",
        "ja": "{parameter} の {index} が負（{value:.3f} ± {conf:.3f}）: 真の指数は0未満にならない"
        "ため標本誤差。ラン数を増やすこと",
    },
    "ens_sobol_wide": {
        "en": "{index} of {parameter} is uncertain: its 95% interval (± {conf:.3f}) is wider "
        "than the index ({value:.3f})",
        "ja": "{parameter} の {index} は不確か: 95%信頼区間（± {conf:.3f}）が指数（{value:.3f}）"
        "より広い",
    },
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
    "chart_suppliers_before": {
        "en": "Where {country} gets {stage}: share of supply by shipping country, base year",
        "ja": "{country}の{stage}の調達先：出荷国別の供給シェア（基準年）",
    },
    "chart_suppliers_after": {
        "en": "Where {country} gets {stage}: share of supply by shipping country, {month}",
        "ja": "{country}の{stage}の調達先：出荷国別の供給シェア（{month}）",
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
    "nav_plans": {"en": "Plans", "ja": "計画"},
    "dash_plan_new": {"en": "Make a plan", "ja": "計画を作成"},
    "dash_members": {"en": "Coalition", "ja": "連合"},
    "dash_cap": {"en": "Shortfall cap (share of demand)", "ja": "不足の上限（需要比）"},
    "dash_risk": {"en": "Risk measure", "ja": "リスク指標"},
    "dash_plan_scenarios": {"en": "Sampled controls", "ja": "サンプル規制数"},
    "dash_caps": {"en": "Cost-vs-cap curve at", "ja": "費用曲線の上限"},
    "dash_verify": {"en": "Check in the engine on", "ja": "エンジン検証の規制数"},
    "dash_plan_run": {"en": "Plan", "ja": "計画する"},
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
    # --- coverage of a run (oreshock.model.coverage) ---
    "cov_no_demand": {
        "en": "{mineral}: no demand data for {country}; result not meaningful",
        "ja": "{mineral}: データに{country}の需要がなく、結果は意味をなさない",
    },
    "cov_no_trade": {
        "en": "{mineral}: no base-year trade from {other} to {country} at {stages}; the {shock} cuts nothing",
        "ja": "{mineral}: 基準年に{other}から{country}への{stages}の貿易がなく、{shock}は何も止めない",
    },
    "cov_no_exports": {
        "en": "{mineral}: no base-year exports from {country} at {stages}; the {shock} cuts nothing",
        "ja": "{mineral}: 基準年に{country}の{stages}の輸出がなく、{shock}は何も止めない",
    },
    "cov_no_imports": {
        "en": "{mineral}: no base-year imports into {country} at {stages}; the {shock} cuts nothing",
        "ja": "{mineral}: 基準年に{country}の{stages}の輸入がなく、{shock}は何も止めない",
    },
    "cov_no_production": {
        "en": "{mineral}: no production data for {country} at {stages}; the {shock} cuts nothing",
        "ja": "{mineral}: データに{country}の{stages}の生産がなく、{shock}は何も減らさない",
    },
    "cov_no_final_use": {
        "en": "{mineral}: no final-use data for {country} at {stages}; the {shock} changes nothing",
        "ja": "{mineral}: データに{country}の{stages}の最終需要がなく、{shock}は何も変えない",
    },
    "cov_no_stocks": {
        "en": "{mineral}: no stockpile data for {country} at {stages}; the stockpile holds nothing",
        "ja": "{mineral}: データに{country}の{stages}の備蓄がなく、備蓄は空である",
    },
    "cov_shock_export_ban": {"en": "export ban", "ja": "輸出禁止"},
    "cov_shock_export_quota": {"en": "export quota", "ja": "輸出枠"},
    "cov_shock_licence_delay": {"en": "licence delay", "ja": "許可の遅延"},
    "cov_shock_licensing": {"en": "export licensing", "ja": "輸出許可制"},
    "plan_header": {
        "en": "Least-cost plan: {cost} million USD over the horizon, every member's shortfall "
        "under {cap} of demand ({risk} case over {n} sampled future controls)",
        "ja": "最小費用の計画：期間中{cost}百万ドル。各加盟国の不足を需要の{cap}以下に"
        "（将来の規制{n}通りの標本、{risk}）",
    },
    "plan_items": {
        "en": "Stockpiles to buy and plants to build now",
        "ja": "今購入する備蓄と今建設する工場",
    },
    "plan_holder": {"en": "Holder", "ja": "保有者"},
    "plan_joint": {"en": "Joint (coalition)", "ja": "共同（連合）"},
    "plan_product": {"en": "Product: stage", "ja": "製品：段階"},
    "plan_tonnes": {"en": "Tonnes (plants: t/yr)", "ja": "トン（工場：トン/年）"},
    "plan_infeasible": {
        "en": "No plan keeps every member under the {cap} cap at any cost: stocks cannot be bought "
        "fast enough before the earliest controls (starting in months {starts}). Above the cap "
        "in the plan that exceeds it least: {where}",
        "ja": "どの費用でも全加盟国を上限{cap}以下に保つ計画はありません：早期の規制（開始月 {starts}）"
        "までに備蓄を十分な速さで購入できません。超過が最も小さい計画での上限超過：{where}",
    },
    "plan_binds_at": {
        "en": "{member}, {product} +{points} points",
        "ja": "{member}・{product} +{points}ポイント",
    },
    "plan_report_written": {"en": "the plan's report: {path}", "ja": "計画の報告書：{path}"},
    "plan_report_title": {"en": "Resilience plan", "ja": "強靱化計画"},
    "plan_id": {"en": "plan", "ja": "計画"},
    "plan_million_usd": {"en": "million USD", "ja": "百万ドル"},
    "plan_total": {"en": "total cost", "ja": "総費用"},
    "plan_shares_chart": {"en": "Who pays, by rule", "ja": "負担額（ルール別）"},
    "plan_curve_chart": {"en": "Cost against the cap", "ja": "上限と費用"},
    "plan_verify_heading": {
        "en": "Checked in the engine on {n} fresh controls",
        "ja": "新たな{n}件の規制でのシミュレーション検証",
    },
    "plan_engine_mean_pct": {
        "en": "Mean cumulative shortfall in the engine, %",
        "ja": "エンジンでの平均累積不足（%）",
    },
    "plan_program_mean_pct": {
        "en": "Expected by the program, %",
        "ja": "計画モデルの想定（%）",
    },
    "plan_exceed_pct": {"en": "Controls above the cap, %", "ja": "上限を超えた規制の割合（%）"},
    "plan_worst_pct": {
        "en": "Largest cumulative shortfall, % of demand",
        "ja": "最大の累積不足（需要比%）",
    },
    "plan_plant": {"en": "New plant in {country}: {name}", "ja": "{country}の新工場：{name}"},
    "plan_cost": {"en": "Cost, million USD", "ja": "費用（百万ドル）"},
    "plan_shares": {
        "en": "Who pays what, million USD (and the saving per percentage point of cap)",
        "ja": "費用分担（百万ドル）と上限1ポイント緩和あたりの節約",
    },
    "plan_member": {"en": "Member", "ja": "加盟国"},
    "plan_rule_shapley": {"en": "Shapley", "ja": "シャープレイ値"},
    "plan_rule_demand": {"en": "By demand", "ja": "需要比例"},
    "plan_rule_benefit": {"en": "By benefit", "ja": "便益比例"},
    "plan_standalone": {"en": "Alone", "ja": "単独"},
    "plan_cap_dual": {"en": "Per cap point, million USD", "ja": "上限1ポイントあたり（百万ドル）"},
    "plan_core": {
        "en": "{rule}: {n} groups of members would pay less on their own; most: {groups}, "
        "by {excess} million USD",
        "ja": "{rule}：{n}組の加盟国の組み合わせは単独の方が安い。最大は{groups}で{excess}百万ドル",
    },
    "plan_verify": {
        "en": "{member}: in the engine, over {n} fresh controls, above the {cap} cap in {p} "
        "of them; largest cumulative shortfall {worst}%, mean {engine}% (the program "
        "expected {program}%)",
        "ja": "{member}：エンジンで新たな規制{n}通りを検証、上限{cap}を超えたのは{p}、"
        "累積不足の最大{worst}%、平均{engine}%（計画モデルの想定は{program}%）",
    },
    "plan_written": {
        "en": "the plan as a scenario file: {path} (oreshock run takes it)",
        "ja": "計画のシナリオファイル：{path}（oreshock run で実行可能）",
    },
    "plan_curve": {
        "en": "cap {cap}: {cost} million USD",
        "ja": "上限{cap}：{cost}百万ドル",
    },
    "plan_risk_worst": {"en": "worst", "ja": "最悪ケース"},
    "plan_risk_expected": {"en": "expected", "ja": "期待値"},
    "plan_risk_cvar": {"en": "CVaR (mean of the worst tail)", "ja": "CVaR（最悪側の裾の平均）"},
    "plan_saved": {
        "en": "stored as plan {plan_id}: oreshock plans show {plan_id}",
        "ja": "計画 {plan_id} として保存：oreshock plans show {plan_id}",
    },
    # --- stored plans (oreshock.cli.plans) ---
    "plans_title": {"en": "Stored plans", "ja": "保存された計画"},
    "plans_none": {
        "en": "no plan stored in {path} yet; make one with oreshock plan",
        "ja": "{path} に保存された計画はまだない。oreshock plan で作成する",
    },
    "plans_id": {"en": "Plan", "ja": "計画"},
    "plans_scenario": {"en": "Scenario", "ja": "シナリオ"},
    "plans_members": {"en": "Members", "ja": "対象国"},
    "plans_cap": {"en": "Cap", "ja": "上限"},
    "plans_risk": {"en": "Risk", "ja": "リスク"},
    "plans_scenarios": {"en": "Controls", "ja": "標本数"},
    "plans_created": {"en": "Made (UTC)", "ja": "作成（UTC）"},
    "plans_content_damaged": {"en": "damaged", "ja": "破損"},
    "plans_content_unreadable": {"en": "unreadable", "ja": "読めない"},
    "plans_damaged": {
        "en": "warning: {n} of {total} plans in {path} cannot be trusted: {plans}; "
        "oreshock plans show and export refuse them",
        "ja": "警告：{path} の計画{total}件のうち{n}件は信頼できない：{plans}。"
        "oreshock plans show と export はこれらを拒否する",
    },
    "plans_about": {
        "en": "Plan {plan_id}: {scenario}, members {members}, seed {seed}, data {dataset} "
        "{version}, made {created} UTC with oreshock {code}",
        "ja": "計画 {plan_id}：{scenario}、対象国 {members}、seed {seed}、データ {dataset} "
        "{version}、{created}（UTC）に oreshock {code} で作成",
    },
    "price_table_title": {
        "en": "Prices, USD/kg: base year, peak outside China (month), last month inside China",
        "ja": "価格（ドル/kg）：基準年、中国国外のピーク（月）、最終月の中国国内",
    },
    "price_product": {"en": "Product: stage", "ja": "製品：段階"},
    "price_base": {"en": "Base year", "ja": "基準年"},
    "price_peak_outside": {"en": "peak outside China", "ja": "中国国外のピーク"},
    "price_end_inside": {"en": "inside China, last month", "ja": "中国国内・最終月"},
    "chart_price": {
        "en": "Price of {stage}, inside and outside China",
        "ja": "{stage}の価格（中国国内・中国国外）",
    },
    "cov_shock_reexport_control": {"en": "re-export control", "ja": "再輸出規制"},
    "cov_shock_outage": {"en": "outage", "ja": "供給停止"},
    "cov_shock_demand_surge": {"en": "demand surge", "ja": "需要の急増"},
    "cov_heading": {"en": "Data coverage", "ja": "データの網羅性"},
    "cov_warning": {"en": "warning", "ja": "警告"},
    "cov_note": {"en": "note", "ja": "注"},
    "cov_not_covered": {"en": "not covered", "ja": "データなし"},
    "cov_asked": {
        "en": "{country}: no demand data for {minerals}; no table for these",
        "ja": "{country}: {minerals}の需要データがなく、表は示さない",
    },
    # --- impact on output and GDP (oreshock.cli.impact) ---
    "imp_title": {
        "en": "Impact on output and GDP ({method}, table {table}; run {run_id})",
        "ja": "生産とGDPへの影響（{method}、産業連関表 {table}、ラン {run_id}）",
    },
    "imp_gdp_horizon": {"en": "GDP lost, horizon %", "ja": "GDP損失（全期間）%"},
    "imp_gdp_quarter": {"en": "GDP lost, worst quarter %", "ja": "GDP損失（最悪四半期）%"},
    "imp_va": {"en": "Value added lost, bn USD", "ja": "付加価値損失（10億ドル）"},
    "imp_output": {"en": "Output lost, bn USD", "ja": "生産損失（10億ドル）"},
    "imp_industry": {"en": "Industry", "ja": "産業"},
    "imp_sectors_of": {"en": "{country}: losses by industry", "ja": "{country}: 産業別の損失"},
    "imp_hardest": {"en": "Hardest-hit industry", "ja": "最も影響を受ける産業"},
    "imp_none": {
        "en": "No output is lost: the run has no shortfall the bridge values.",
        "ja": "生産損失はない（産業への換算対象となる不足がない）。",
    },
    "imp_coverage": {
        "en": "Valued {share:.0%} of the {tonnes:,.0f} t of final use short; not valued "
        "(no bridge to an industry): {missing}.",
        "ja": "最終用途の不足{tonnes:,.0f}トンのうち{share:.0%}を産業に換算した。"
        "換算できない不足（産業への対応がない）: {missing}。",
    },
    "imp_money": {
        "en": "US dollars of {year}; the table ({table_year}) is scaled to {year} by each "
        "region's nominal GDP. {notes}",
        "ja": "{year}年の米ドル。産業連関表（{table_year}年）は地域ごとの名目GDPで{year}年に"
        "換算。{notes}",
    },
    "imp_method_dynamic": {
        "en": "dynamic: input stocks, rationing and recovery",
        "ja": "動学モデル（投入在庫・配分・回復）",
    },
    "imp_method_leontief": {"en": "Leontief (backward)", "ja": "レオンチェフ（後方連関）"},
    "imp_method_ghosh": {"en": "Ghosh (forward)", "ja": "ゴーシュ（前方連関）"},
    "imp_method_direct": {"en": "direct only", "ja": "直接効果のみ"},
    "imp_by_method": {
        "en": "Value added lost worldwide by measure, bn USD: {values}",
        "ja": "手法別の付加価値損失（世界計、10億ドル）: {values}",
    },
    "imp_note_unscaled": {
        "en": "The table's money is not scaled to the base year (no table year or GDP).",
        "ja": "産業連関表の金額は基準年に換算していない（表の年またはGDPがない）。",
    },
    "imp_note_latest_gdp": {
        "en": "GDP of {year}, the latest in the data, stands in for {base_year}.",
        "ja": "{base_year}年のGDPには、データ中で最新の{year}年の値を用いた。",
    },
    "imp_note_world_ratio": {
        "en": "{region}: no GDP in the data; the world's ratio ({ratio}) stands in.",
        "ja": "{region}: GDPのデータがなく、世界全体の比率（{ratio}）を用いた。",
    },
    "imp_variants_title": {
        "en": "{country}: impact on GDP by variant ({method}, table {table})",
        "ja": "{country}: ケース別のGDPへの影響（{method}、産業連関表 {table}）",
    },
    "imp_top_industries": {
        "en": "{country}: the {n} industries losing most value added, by variant",
        "ja": "{country}: ケース別、付加価値損失の大きい上位{n}産業",
    },
    "imp_heading": {"en": "Impact on output and GDP", "ja": "生産とGDPへの影響"},
    "imp_compute": {
        "en": "Compute the impact on output and GDP",
        "ja": "生産とGDPへの影響を計算する",
    },
    "imp_computing": {
        "en": "Computing (the run is simulated again)…",
        "ja": "計算中（ランを再計算しています）…",
    },
    "iv_heading": {
        "en": "Impact on GDP: a sustained cut of rare earths to Japan",
        "ja": "GDPへの影響: 日本向けレアアースの供給停止",
    },
    "iv_intro": {
        "en": "China stops every rare-earth export to Japan, directly and through third "
        "countries, for three months or a year (src/oreshock/impact/cases/), on the 2024 data; "
        "Japan draws only on commercial stocks. The model's figure is Japan's value added lost "
        "over 24 months (the cut and the recovery) as a share of a year's GDP, table "
        "wiod2011_agg11. The check, stated before the model was run: the dynamic measure lies "
        "within the published figures of the case widened by a factor of {tolerance:g} each "
        "way. Germany and the US have no published loss estimate of a comparable case (USGS "
        "2025 gives probability-weighted expected losses; KfW/IW Consult 2024 an exposure: 22% "
        "of German manufacturing value added involves goods containing rare earths).",
        "ja": "中国が日本向けのレアアース輸出を、直接・第三国経由とも3か月または1年停止する"
        "（src/oreshock/impact/cases/、2024年データ）。日本は民間在庫のみで対応する。モデルの値は"
        "24か月（停止と回復）の日本の付加価値損失の年間GDP比（産業連関表 wiod2011_agg11）。"
        "判定基準はモデル実行前に定めた: 動学モデルの値が、公表値の範囲を上下{tolerance:g}倍に"
        "広げた幅に入ること。ドイツと米国には比較可能な損失の公表推計がない（USGS 2025は確率加重"
        "の期待損失、KfW/IW Consult 2024はドイツ製造業付加価値の22%がレアアース含有品に関わると"
        "いう暴露度）。",
    },
    "iv_why_none": {
        "en": "no end use in Japan runs short in the model: commercial stocks of magnets, "
        "metal and oxide, and the magnet and metal plants' own, carry it through the cut, so "
        "no output is lost; the published figure is scaled from the 2010 episode (as "
        "reported) and does not follow stocks.",
        "ja": "モデルでは日本のどの用途も不足しない（磁石・金属・酸化物の民間在庫と磁石・金属"
        "工場の在庫で停止期間を乗り切る）ため生産損失はない。公表値は（報道によれば）2010年の"
        "事例から比例計算した推計で、在庫を考慮しない。",
    },
    "iv_within": {
        "en": "Within the band: {methods}.",
        "ja": "許容幅に入る手法: {methods}。",
    },
    "iv_why_low": {
        "en": "below the band (the first output is lost {month} months after the start): the "
        "bridge counts the "
        "magnets of traction motors only (in 2025 petrol cars also stopped for want of small "
        "motor magnets), and {share:.0%} of the tonnes short are valued (La/Ce polishing, "
        "glass, metallurgy and NiMH, and the Y, Sm and other separated oxides have no bridge "
        "to an industry).",
        "ja": "許容幅を下回る（開始から{month}か月後に最初の生産損失）。産業への換算は駆動用モーターの"
        "磁石のみ（2025年には小型モーター用磁石の不足でガソリン車も停止した）で、不足量のうち"
        "換算できたのは{share:.0%}（La/Ceの研磨・ガラス・冶金・ニッケル水素電池、Y・Smなどの"
        "分離酸化物は産業への対応がない）。",
    },
    # --- demand share on the embodied basis (oreshock.cli.metrics, oreshock.impact.embodied) ---
    "ds_embodied_share": {
        "en": "Share embodied in final goods",
        "ja": "最終製品に体化された割合",
    },
    "ds_first_use_share": {"en": "First-use basis", "ja": "初回使用ベース"},
    "ds_placed": {"en": "Placed in industries", "ja": "産業に割り当てた割合"},
    "ds_headline_mean_embodied": {
        "en": "{group}: {share:.1%} of world demand, embodied in the final goods bought there "
        "(mean over minerals with demand data; {first:.1%} where first used)",
        "ja": "{group}: 世界需要の{share:.1%}（そこで購入される最終製品に体化された分、国別需要"
        "データのある鉱物の平均。最初に使われる国で数えると{first:.1%}）",
    },
    "ds_headline_one_embodied": {
        "en": "{group}: {share:.1%} of world demand for {mineral}, embodied in the final goods "
        "bought there ({first:.1%} where first used)",
        "ja": "{group}: {mineral}の世界需要の{share:.1%}（そこで購入される最終製品に体化された"
        "分。最初に使われる国で数えると{first:.1%}）",
    },
    "ds_coverage_embodied": {
        "en": "Measured as each mineral's final use in first-stage tonnes, placed in the "
        "industries that first use it and followed through the input-output table {table} "
        "({year}) into final goods, counted where they are bought; {placed:.0%} of world "
        "first-use tonnes sit in named industries (mean over minerals), the rest is spread "
        "like each mineral's placed use; {n} minerals are counted, {left} without demand by "
        "country are left out.",
        "ja": "各鉱物の最終用途（第1工程換算トン）を最初に使う産業に割り当て、産業連関表"
        "{table}（{year}年）で最終製品まで追い、その購入地域で数えた。世界の初回使用トンの"
        "{placed:.0%}（鉱物の平均）が特定の産業に割り当てられ、残りは各鉱物の割り当て済みの"
        "用途と同じ比率で配分した。{n}鉱物を計上し、国別需要のない{left}鉱物は除外。",
    },
    "ds_partial_region": {
        "en": "{region} is partly in the group: counted as {weight:.1%} of it ({by}; members "
        "{members})",
        "ja": "{region}は一部のみグループに属する: その{weight:.1%}として計上（{by}、構成国 "
        "{members}）",
    },
    "ds_by_gdp": {"en": "by GDP", "ja": "GDPで按分"},
    "ds_by_count": {"en": "by count of countries", "ja": "国数で按分"},
    "imp_note_embodied_final_demand": {
        "en": "final demand of each buyer region brought to the base year by its nominal GDP "
        "(base year over table year); the table's input structure is that of its year",
        "ja": "各購入地域の最終需要は名目GDP（基準年÷表の年）で基準年に換算し、投入構造は表の年"
        "のまま",
    },
    "ds_not_covered": {
        "en": "Not counted on this basis (no industry of the table takes them): {minerals}",
        "ja": "このベースでは計上しない（表のどの産業にも割り当てられない）: {minerals}",
    },
    "ev_heading": {
        "en": "A group's share of world demand: where minerals are first used and where the "
        "goods are bought",
        "ja": "グループの世界需要シェア: 鉱物が最初に使われる国と最終財が購入される国",
    },
    "ev_intro": {
        "en": "`oreshock metrics demand-share --group {group} --basis first-use|embodied`. "
        'The figure quoted in January 2026, "about 60%" of world demand for the G7 and '
        "partners (a US official via Reuters, no basis given), is matched by neither basis: "
        "{first:.1f}% where the minerals are first used, {embodied:.1f}% embodied in the final "
        "goods bought in the group (table wiod2011_agg11). It is close to the group's share of "
        "world final demand in the same table, {final:.1f}%: a share of spending, not of "
        "mineral use, which China's own final demand holds much of. No published footprint "
        "study gives a comparable group share (Nansai et al. 2014 measure the neodymium in "
        "internationally traded goods, 18.6 kt in 2005, not a buyers' share); the embodied "
        "basis rests on one world split of each mineral's first-using industries and, for "
        "rare earths, on the end uses the bridge values (the rest is spread like them).",
        "ja": "`oreshock metrics demand-share --group {group} --basis first-use|embodied`。"
        "2026年1月に引用された「世界需要の約60%」（G7と協力国、米政府高官、ロイター、根拠の"
        "説明なし）はどちらの基準とも一致しない: 鉱物が最初に使われる国で数えると{first:.1f}%、"
        "グループで購入される最終財に体化された量では{embodied:.1f}%（産業連関表 "
        "wiod2011_agg11）。同じ表でのグループの世界最終需要シェア{final:.1f}%に近く、鉱物使用"
        "ではなく支出のシェアといえる（中国自身の最終需要が多くを占める）。比較可能なグループ"
        "シェアを示す公表の物質フットプリント研究はない（Nansai et al. 2014は国際取引財に含まれる"
        "ネオジム量、2005年18.6 kt）。体化基準は各鉱物の最初の使用産業の世界一律の配分と、"
        "レアアースでは産業に換算できる用途に基づく（残りは同じ比率で配分）。",
    },
    "imp_not_valued": {"en": "not valued", "ja": "換算不可"},
    # --- scenario workbench (dashboard #/workbench, web/dashboard/builder.js) ---
    "nav_workbench": {"en": "Scenario workbench", "ja": "シナリオ作業台"},
    "wb_file": {"en": "Scenario file", "ja": "シナリオファイル"},
    "wb_load": {"en": "Load", "ja": "読み込む"},
    "wb_upload": {"en": "Upload YAML", "ja": "YAMLをアップロード"},
    "wb_download": {"en": "Download YAML", "ja": "YAMLをダウンロード"},
    "wb_new": {"en": "New scenario", "ja": "新しいシナリオ"},
    "wb_run_all": {"en": "Run with every variant", "ja": "全ケースを実行"},
    "wb_general": {"en": "Scenario and horizon", "ja": "シナリオと期間"},
    "wb_shocks": {"en": "Shocks", "ja": "ショック"},
    "wb_buffers": {"en": "Buffers", "ja": "在庫・備蓄"},
    "wb_responses": {"en": "Responses", "ja": "対応策"},
    "wb_all": {"en": "all", "ja": "すべて"},
    "wb_add": {"en": "Add", "ja": "追加"},
    "wb_remove": {"en": "Remove", "ja": "削除"},
    "wb_dist": {"en": "Distribution", "ja": "分布"},
    "wb_dist_fixed": {"en": "fixed value", "ja": "固定値"},
    "wb_dist_uniform": {"en": "uniform", "ja": "一様分布"},
    "wb_dist_triangular": {"en": "triangular", "ja": "三角分布"},
    "wb_dist_normal": {"en": "normal", "ja": "正規分布"},
    "wb_dist_lognormal": {"en": "lognormal", "ja": "対数正規分布"},
    "wb_dist_low": {"en": "low", "ja": "下限"},
    "wb_dist_high": {"en": "high", "ja": "上限"},
    "wb_dist_mode": {"en": "mode", "ja": "最頻値"},
    "wb_dist_mean": {"en": "mean", "ja": "平均"},
    "wb_dist_sd": {"en": "sd", "ja": "標準偏差"},
    "wb_own": {"en": "set by this variant", "ja": "このケースで変更した項目"},
    "wb_default": {"en": "default", "ja": "既定値"},
    "wb_variant_name": {"en": "new variant name", "ja": "新しいケース名"},
    "wb_add_variant": {"en": "Add variant", "ja": "ケースを追加"},
    "wb_drop_variant": {"en": "Remove this variant", "ja": "このケースを削除"},
    "wb_levels_hint": {
        "en": '{"national" or "commercial": {country: {mineral: {stage: level}}}}',
        "ja": '{"national" または "commercial": {国: {鉱物: {工程: 水準}}}}',
    },
    "wb_not_json": {"en": "not JSON", "ja": "JSONではありません"},
    "wb_checking": {"en": "Checking…", "ja": "検証中…"},
    "wb_refused": {"en": "Not a scenario file", "ja": "シナリオファイルではありません"},
    "wb_valid": {
        "en": "Valid: the base and {n} variant(s) checked as `oreshock scenarios validate` does",
        "ja": "有効: 基本ケースと{n}件のケースを `oreshock scenarios validate` と同じく検証済み",
    },
    "wb_invalid": {"en": "{n} problem(s)", "ja": "問題 {n} 件"},
    "wb_status_queued": {"en": "queued", "ja": "待機中"},
    "wb_status_running": {"en": "running", "ja": "実行中"},
    "wb_status_done": {"en": "done", "ja": "完了"},
    "wb_status_failed": {"en": "failed", "ja": "失敗"},
    "wb_status_cancelled": {"en": "cancelled", "ja": "取り消し"},
    "wb_warning": {"en": "warning", "ja": "警告"},
    "wb_results": {"en": "Variants side by side", "ja": "ケース別の結果"},
    "wb_no_shortfall": {
        "en": "No country or stage falls short in any variant.",
        "ja": "どのケースでも不足する国・工程はありません。",
    },
    "wbs_export_ban": {"en": "Export ban", "ja": "輸出禁止"},
    "wbs_export_quota": {"en": "Export quota", "ja": "輸出枠"},
    "wbs_licence_delay": {"en": "Licence delay", "ja": "許可の遅延"},
    "wbs_licensing": {"en": "Export licensing", "ja": "輸出許可制"},
    "wbs_reexport_control": {"en": "Re-export control", "ja": "再輸出規制"},
    "wbs_outage": {"en": "Outage", "ja": "操業停止"},
    "wbs_demand_surge": {"en": "Demand surge", "ja": "需要急増"},
    "wbs_stockpiles": {"en": "Stockpile (national or joint)", "ja": "備蓄（国家・共同）"},
    "wbs_sharing": {"en": "Sharing agreement", "ja": "融通協定"},
    "wbs_rerouting": {"en": "Rerouting", "ja": "調達先の切り替え"},
    "wbs_recycling": {"en": "Recycling", "ja": "リサイクル"},
    "wbs_new_capacity": {"en": "New capacity (plant)", "ja": "新規生産能力（工場）"},
    "wbs_substitution": {"en": "Substitution", "ja": "代替"},
    "wbs_market": {"en": "Market (prices)", "ja": "市場（価格）"},
    "wbs_plan": {"en": "Plan control (oreshock plan)", "ja": "計画用の規制（oreshock plan）"},
    "wbf_name": {"en": "Name", "ja": "名前"},
    "wbf_title_en": {"en": "Title (English)", "ja": "タイトル（英語）"},
    "wbf_variant_title_en": {"en": "Variant name (English)", "ja": "バリアント名（英語）"},
    "wbf_variant_title_ja": {"en": "Variant name (Japanese)", "ja": "バリアント名（日本語）"},
    "wbf_title_ja": {"en": "Title (Japanese)", "ja": "タイトル（日本語）"},
    "wbf_description": {"en": "Description", "ja": "説明"},
    "wbf_start": {"en": "Start month", "ja": "開始月"},
    "wbf_end": {"en": "End month (exclusive)", "ja": "終了月（その月を含まない）"},
    "wbf_months": {"en": "Months", "ja": "月数"},
    "wbf_base_year": {"en": "Data base year", "ja": "データの基準年"},
    "wbf_minerals": {"en": "Minerals", "ja": "鉱物"},
    "wbf_mineral": {"en": "Mineral", "ja": "鉱物"},
    "wbf_stages": {"en": "Stages", "ja": "工程"},
    "wbf_stage": {"en": "Stage", "ja": "工程"},
    "wbf_elements": {"en": "Elements", "ja": "元素"},
    "wbf_shortfall_threshold": {
        "en": "Shortfall threshold (share of demand)",
        "ja": "不足とみなす閾値（需要比）",
    },
    "wbf_end_use_priority": {"en": "End uses served first", "ja": "優先する用途"},
    "wbf_exporter": {"en": "Exporter", "ja": "輸出国"},
    "wbf_origin": {"en": "Origin", "ja": "原産国"},
    "wbf_destinations": {"en": "Destinations", "ja": "仕向け先"},
    "wbf_country": {"en": "Country", "ja": "国"},
    "wbf_countries": {"en": "Countries", "ja": "国"},
    "wbf_share": {"en": "Share", "ja": "割合"},
    "wbf_allowed": {"en": "Allowed share of base exports", "ja": "基準輸出に対する許容割合"},
    "wbf_review_months": {"en": "Review months", "ja": "審査期間（月）"},
    "wbf_approval": {
        "en": "Approval share by month after review (comma-separated)",
        "ja": "審査後の月ごとの承認割合（カンマ区切り）",
    },
    "wbf_stock_building_months": {"en": "Stock-building months", "ja": "駆け込み輸出の月数"},
    "wbf_stock_building_share": {"en": "Stock-building share", "ja": "駆け込み輸出の割合"},
    "wbf_factor": {"en": "Factor", "ja": "倍率"},
    "wbf_commercial_stocks": {"en": "Commercial stocks", "ja": "民間在庫"},
    "wbf_commercial_months": {
        "en": "Commercial stocks by country (months of demand)",
        "ja": "国別の民間在庫（需要の月数）",
    },
    "wbf_stock_levels": {
        "en": "Stock levels replacing the dataset's (JSON)",
        "ja": "データの在庫水準を置き換える値（JSON）",
    },
    "wbf_holder": {"en": "Holder", "ja": "保有者"},
    "wbf_joint": {"en": "Joint stockpile", "ja": "共同備蓄"},
    "wbf_months_of_demand": {"en": "Months of demand", "ja": "需要の月数"},
    "wbf_trigger": {"en": "Trigger (shortfall share)", "ja": "放出の発動（不足率）"},
    "wbf_rate": {"en": "Rate", "ja": "率"},
    "wbf_floor": {"en": "Floor (share kept back)", "ja": "下限（残す割合）"},
    "wbf_group": {"en": "Group", "ja": "グループ"},
    "wbf_delay_months": {"en": "Delay (months)", "ja": "遅れ（月）"},
    "wbf_growth": {"en": "Monthly growth cap", "ja": "月間の伸びの上限"},
    "wbf_ramp_months": {"en": "Ramp-up (months)", "ja": "立ち上げ期間（月）"},
    "wbf_capacity": {"en": "Capacity (t/year)", "ja": "生産能力（t/年）"},
    "wbf_lead_months": {"en": "Lead time (months)", "ja": "リードタイム（月）"},
    "wbf_lag_months": {"en": "Lag (months)", "ja": "遅れ（月）"},
    "wbf_persistence": {"en": "Price persistence", "ja": "価格の持続性"},
    "wbf_demand_elasticity": {"en": "Demand elasticity", "ja": "需要の価格弾力性"},
    "wbf_supply_elasticity": {"en": "Supply elasticity", "ja": "供給の価格弾力性"},
    "wbf_storage_elasticity": {"en": "Storage elasticity", "ja": "在庫の弾力性"},
    "wbf_max_price_multiple": {"en": "Largest price multiple", "ja": "価格倍率の上限"},
    "wbf_supply_lag_months": {"en": "Supply lag (months)", "ja": "供給の遅れ（月）"},
    "wbf_demand_lag_months": {"en": "Demand lag (months)", "ja": "需要の遅れ（月）"},
    "wbf_start_months": {
        "en": "Start, months from the scenario's start (low – high)",
        "ja": "開始（シナリオ開始からの月数、下限–上限）",
    },
    "wbf_length_months": {"en": "Length in months (low – high)", "ja": "継続月数（下限–上限）"},
    "wbf_leak_share": {"en": "Share let through (low – high)", "ja": "通過する割合（下限–上限）"},
    "wbf_extends": {"en": "Extends", "ja": "元にするケース"},
    # --- reports: names, provenance and assumptions a person reads (report/) ---
    "rep_product": {"en": "{mineral} {stage}", "ja": "{mineral}の{stage}"},
    "prov_run_id": {"en": "Run id", "ja": "実行ID"},
    "prov_created": {"en": "Computed", "ja": "計算日時"},
    "prov_scenario": {"en": "Scenario", "ja": "シナリオ"},
    "prov_variant": {"en": "Variant", "ja": "ケース"},
    "prov_dataset_name": {"en": "Dataset", "ja": "データセット"},
    "prov_dataset_version": {"en": "Dataset version", "ja": "データセットの版"},
    "prov_dataset_hash": {"en": "Dataset content hash", "ja": "データセットのハッシュ値"},
    "prov_code_version": {"en": "oreshock version", "ja": "oreshockの版"},
    "prov_seed": {"en": "Random seed", "ja": "乱数シード"},
    "asm_col_parameter": {"en": "Parameter", "ja": "項目"},
    "asm_col_value": {"en": "Value", "ja": "値"},
    "asm_col_range": {"en": "Range (low – high)", "ja": "範囲（下限～上限）"},
    "asm_col_source": {"en": "Source", "ja": "出典"},
    "asm_general": {"en": "Scenario", "ja": "シナリオ"},
    "asm_scenario": {"en": "Scenario", "ja": "シナリオ"},
    "asm_variant": {"en": "Case", "ja": "ケース"},
    "asm_start": {"en": "Start", "ja": "開始"},
    "asm_end": {"en": "End", "ja": "終了"},
    "asm_horizon": {"en": "Horizon", "ja": "期間"},
    "asm_minerals": {"en": "Minerals", "ja": "鉱物"},
    "asm_stages": {"en": "Stages", "ja": "工程"},
    "asm_elements": {"en": "Elements", "ja": "元素"},
    "asm_shortfall_threshold": {
        "en": "Shortfall counted from (share of demand)",
        "ja": "供給不足とみなす水準（需要比）",
    },
    "asm_shock": {"en": "Shock {n} ({kind})", "ja": "ショック{n}（{kind}）"},
    "asm_share": {"en": "Share", "ja": "割合"},
    "asm_export_ban_share": {"en": "Share of exports blocked", "ja": "停止される輸出の割合"},
    "asm_reexport_control_share": {
        "en": "Share of re-exports blocked",
        "ja": "停止される再輸出の割合",
    },
    "asm_outage_share": {"en": "Capacity lost", "ja": "失われる生産能力"},
    "asm_allowed": {"en": "Exports allowed (share of base)", "ja": "認められる輸出（基準比）"},
    "asm_months": {"en": "Delay", "ja": "遅延"},
    "asm_review_months": {"en": "Review before any approval", "ja": "最初の許可までの審査期間"},
    "asm_approval": {
        "en": "Pending applications approved per month",
        "ja": "毎月許可される申請の割合",
    },
    "asm_stock_building_months": {
        "en": "Months of stock building before the start",
        "ja": "開始前の在庫積み増し期間",
    },
    "asm_stock_building_share": {
        "en": "Extra exports while stock is built (share of base)",
        "ja": "積み増し中の追加輸出（基準比）",
    },
    "asm_factor": {"en": "Demand multiple", "ja": "需要の倍率"},
    "asm_buffers": {"en": "Stocks", "ja": "在庫"},
    "asm_commercial_stocks": {
        "en": "Commercial stocks (dataset levels)",
        "ja": "民間在庫（データセットの水準）",
    },
    "asm_commercial_months": {"en": "Commercial stocks in {country}", "ja": "{country}の民間在庫"},
    "asm_stockpile": {"en": "National stockpile of {holder}", "ja": "{holder}の国家備蓄"},
    "asm_joint_stockpile": {"en": "Joint stockpile of {holder}", "ja": "{holder}の共同備蓄"},
    "asm_months_of_demand": {"en": "Level", "ja": "備蓄水準"},
    "asm_trigger": {
        "en": "Shortfall tolerated before release (share of demand)",
        "ja": "放出開始までに許容する不足（需要比）",
    },
    "asm_rate": {"en": "Rate", "ja": "率"},
    "asm_stockpile_rate": {
        "en": "Largest release per month (share of initial level)",
        "ja": "月あたり最大放出量（当初水準比）",
    },
    "asm_floor": {"en": "Kept back (share of initial level)", "ja": "放出しない部分（当初水準比）"},
    "asm_sharing": {"en": "Sharing among {group}", "ja": "{group}による融通"},
    "asm_sharing_share": {
        "en": "Exports reserved for members short of supply",
        "ja": "不足する加盟国向けに確保する輸出の割合",
    },
    "asm_rerouting": {"en": "Rerouting to other suppliers", "ja": "他の供給元への切り替え"},
    "asm_delay_months": {"en": "Delay before new routes", "ja": "新しい調達先までの期間"},
    "asm_growth": {
        "en": "Growth of new routes per month (share of demand)",
        "ja": "新しい調達の月あたり増加上限（需要比）",
    },
    "asm_recycling": {
        "en": "Recycling in {countries}: {product}",
        "ja": "{countries}のリサイクル: {product}",
    },
    "asm_recycling_rate": {
        "en": "Recycled share of use (at full ramp)",
        "ja": "リサイクルで賄う使用量の割合（立ち上げ後）",
    },
    "asm_ramp_months": {"en": "Ramp-up", "ja": "立ち上げ期間"},
    "asm_new_capacity": {
        "en": "New capacity: {name} ({country}, {product})",
        "ja": "新規生産能力: {country}の{product}",  # project names are written in English only
    },
    "asm_capacity": {"en": "Capacity at full output", "ja": "フル稼働時の能力"},
    "asm_lead_months": {"en": "Lead time", "ja": "準備期間"},
    "asm_substitution": {"en": "Substitution in {countries}", "ja": "{countries}での代替"},
    "asm_substitution_share": {"en": "Use replaced by substitutes", "ja": "代替される使用量の割合"},
    "asm_lag_months": {
        "en": "Shortfall before substitution starts",
        "ja": "代替が始まるまでの不足期間",
    },
    "asm_market": {"en": "Prices", "ja": "価格"},
    "asm_persistence": {
        "en": "Price persistence (share of last month's log price)",
        "ja": "価格の持続性（前月の対数価格の比重）",
    },
    "asm_demand_elasticity": {"en": "Price elasticity of final use", "ja": "最終需要の価格弾力性"},
    "asm_supply_elasticity": {"en": "Price elasticity of supply", "ja": "供給の価格弾力性"},
    "asm_storage_elasticity": {
        "en": "Price response to stock cover (elasticity)",
        "ja": "在庫水準に対する価格の反応（弾力性）",
    },
    "asm_max_price_multiple": {
        "en": "Price bound (multiple of base-year price)",
        "ja": "価格の上下限（基準年価格の倍率）",
    },
    "asm_supply_lag_months": {
        "en": "Mean lag of supply behind price",
        "ja": "価格に対する供給の平均遅れ",
    },
    "asm_demand_lag_months": {
        "en": "Mean lag of final use behind price",
        "ja": "価格に対する最終需要の平均遅れ",
    },
    "asm_open": {"en": "to the end of the run", "ja": "期間末まで"},
    "asm_dataset_level": {"en": "dataset level", "ja": "データセットの水準"},
    "asm_yes": {"en": "yes", "ja": "あり"},
    "asm_no": {"en": "no", "ja": "なし"},
    "asm_all": {"en": "all", "ja": "すべて"},
    "asm_unit_months": {"en": "{v} months", "ja": "{v}か月"},
    "asm_unit_months_demand": {"en": "{v} months of demand", "ja": "需要の{v}か月分"},
    "asm_unit_tpy": {"en": "{v} t/yr", "ja": "年{v}トン"},
    "asm_unit_times": {"en": "{v}×", "ja": "{v}倍"},
    "asm_normal": {"en": "mean {mean}, sd {sd}", "ja": "平均{mean}、標準偏差{sd}"},
    "asm_src_range": {
        "en": "Scenario file: range assumed, sampled by ensembles",
        "ja": "シナリオファイル: 想定範囲（アンサンブルで抽出）",
    },
    "asm_src_model": {
        "en": "Model default, fitted on past episodes (docs/model.md)",
        "ja": "モデルの既定値（過去の事例に当てはめ、docs/model.md）",
    },
    "asm_src_scenario": {"en": "Scenario file", "ja": "シナリオファイル"},
    "chart_month": {"en": "Month", "ja": "年月"},
    "chart_end_uses": {
        "en": "{country}: shortfall by end use (first to fall short first)",
        "ja": "{country}: 用途別の供給不足（不足が早い順）",
    },
    "chart_end_uses_y": {"en": "% of the use's demand", "ja": "用途の需要比 %"},
    "chart_variants_shortfall": {
        "en": "{country}: shortfall of {stage} by case (% of demand)",
        "ja": "{country}: {stage}の供給不足（ケース別、需要比 %）",
    },
    "chart_variants_stock": {
        "en": "{country}: stocks and stockpiles of {stage} by case (months of demand)",
        "ja": "{country}: {stage}の在庫・備蓄（ケース別、需要の月数）",
    },
    "chart_variants_price": {
        "en": "Price of {stage} outside China by case",
        "ja": "{stage}の中国国外価格（ケース別）",
    },
    "el_La": {"en": "Lanthanum", "ja": "ランタン"},
    "el_Ce": {"en": "Cerium", "ja": "セリウム"},
    "el_Pr": {"en": "Praseodymium", "ja": "プラセオジム"},
    "el_Nd": {"en": "Neodymium", "ja": "ネオジム"},
    "el_Sm": {"en": "Samarium", "ja": "サマリウム"},
    "el_Eu": {"en": "Europium", "ja": "ユウロピウム"},
    "el_Gd": {"en": "Gadolinium", "ja": "ガドリニウム"},
    "el_Tb": {"en": "Terbium", "ja": "テルビウム"},
    "el_Dy": {"en": "Dysprosium", "ja": "ジスプロシウム"},
    "el_Ho": {"en": "Holmium", "ja": "ホルミウム"},
    "el_Er": {"en": "Erbium", "ja": "エルビウム"},
    "el_Tm": {"en": "Thulium", "ja": "ツリウム"},
    "el_Yb": {"en": "Ytterbium", "ja": "イッテルビウム"},
    "el_Lu": {"en": "Lutetium", "ja": "ルテチウム"},
    "el_Y": {"en": "Yttrium", "ja": "イットリウム"},
    "el_Sc": {"en": "Scandium", "ja": "スカンジウム"},
    "el_Co": {"en": "Cobalt", "ja": "コバルト"},
    # --- HTTP service and dashboard: ensembles, run labels and lists, comparisons ---
    "nav_ensembles": {"en": "Ensembles", "ja": "アンサンブル"},
    "ens_new": {"en": "New ensemble", "ja": "新しいアンサンブル"},
    "ens_start": {"en": "Start the ensemble", "ja": "アンサンブルを開始"},
    "ens_runs": {"en": "Runs", "ja": "試行数"},
    "ens_method": {"en": "Sampler", "ja": "サンプリング法"},
    "ens_method_lhs": {"en": "Latin hypercube", "ja": "ラテン超方格"},
    "ens_method_sobol": {"en": "Sobol (Saltelli)", "ja": "Sobol（Saltelli）"},
    "ens_seed": {"en": "Seed", "ja": "乱数シード"},
    "ens_target": {"en": "Target country", "ja": "対象国"},
    "ens_batch_size": {"en": "Runs per batch", "ja": "バッチあたりの試行数"},
    "ens_fail_rule": {"en": "Failure rule", "ja": "失敗の条件"},
    "ens_stock_ranges": {
        "en": "Also sample the dataset's stock ranges",
        "ja": "データセットの在庫範囲もサンプリングする",
    },
    "ens_extra_params": {
        "en": "Extra parameters, one a line (NAME=uniform:LOW:HIGH)",
        "ja": "追加パラメータ（1行に1つ、NAME=uniform:LOW:HIGH）",
    },
    "ens_id": {"en": "Ensemble", "ja": "アンサンブル"},
    "ens_batches": {"en": "Batches", "ja": "バッチ"},
    "ens_status_complete": {"en": "complete", "ja": "完了"},
    "ens_status_partial": {"en": "partial", "ja": "一部のみ"},
    "ens_status_running": {"en": "running", "ja": "実行中"},
    "ens_status_interrupted": {"en": "interrupted", "ja": "中断"},
    "ens_status_failed": {"en": "failed", "ja": "失敗"},
    "ens_status_queued": {"en": "queued", "ja": "待機中"},
    "ens_not_complete": {
        "en": "This ensemble is {status}: {done} of {batches} batches are written. Submit the "
        "same request again to resume it.",
        "ja": "このアンサンブルは{status}です（{batches}バッチ中{done}バッチ書き込み済み）。"
        "同じ条件で再度開始すると続きから実行します。",
    },
    "ens_failure_heading": {"en": "Failure probability", "ja": "失敗確率"},
    "ens_failure_text": {
        "en": "{p} of runs fail ({failed} of {runs}) under the rule {rule}.",
        "ja": "条件 {rule} のもとで、試行の{p}が失敗（{runs}回中{failed}回）。",
    },
    "ens_outcomes_heading": {
        "en": "Outcomes (percentiles over runs)",
        "ja": "結果（試行間の分位点）",
    },
    "ens_outcome": {"en": "Outcome", "ja": "結果"},
    "ens_cell": {"en": "Country, mineral (stage)", "ja": "国・鉱物（段階）"},
    "ens_prim_heading": {
        "en": "PRIM boxes (where failures gather)",
        "ja": "PRIMボックス（失敗が集中する範囲）",
    },
    "ens_box": {"en": "Box", "ja": "ボックス"},
    "ens_parameter": {"en": "Parameter", "ja": "パラメータ"},
    "ens_low": {"en": "From", "ja": "下限"},
    "ens_high": {"en": "To", "ja": "上限"},
    "ens_coverage": {"en": "Coverage", "ja": "カバー率"},
    "ens_density": {"en": "Density", "ja": "密度"},
    "ens_sobol_heading": {"en": "Sobol indices", "ja": "Sobol感度指数"},
    "ens_sobol_none": {
        "en": "Sobol indices are computed for a Sobol sample only (sampler: Sobol).",
        "ja": "Sobol感度指数はSobolサンプル（サンプリング法: Sobol）でのみ計算されます。",
    },
    "ens_timeline_heading": {"en": "Runs short over time", "ja": "時間とともに不足する試行"},
    "ens_timeline_title": {
        "en": "Share of runs already short, by month of the horizon",
        "ja": "期間の各月までに不足に陥った試行の割合",
    },
    "ens_timeline_y": {"en": "% of runs", "ja": "試行の%"},
    "ens_timeline_note": {
        "en": "From each run's months to shortfall: the first month short by more than the "
        "scenario's threshold.",
        "ja": "各試行の不足までの月数（シナリオの閾値を超えて不足した最初の月）から算出。",
    },
    "ens_bands_heading": {
        "en": "Shortfall over time across runs",
        "ja": "試行間の不足の推移",
    },
    "ens_bands_note": {
        "en": "Each month's shortfall as a share of that month's demand: the median run and "
        "the bands holding the middle 50% and 90% of runs, from every run's monthly path.",
        "ja": "各月の不足量（その月の需要に対する割合）：中央値の試行と、試行の中央50%・90%が"
        "入る帯。各試行の月次経路から算出。",
    },
    "ens_bands_none": {
        "en": "This ensemble was run before monthly paths were kept; run it again for bands "
        "over time.",
        "ja": "このアンサンブルは月次経路を記録する前に実行されました。推移の帯を見るには再実行して"
        "ください。",
    },
    "ens_bands_cli_note": {
        "en": "Shortfall as % of each month's demand, percentiles across {runs} runs; "
        "--every sets the months between rows, --out writes every month.",
        "ja": "各月の需要に対する不足（%）、{runs}試行間の分位点。--everyで行の間隔（月）、"
        "--outで全月を書き出し。",
    },
    "ens_bands_wrote": {"en": "wrote {n} rows to {path}", "ja": "{n}行を{path}に書き出しました"},
    "ens_band_median": {"en": "Median", "ja": "中央値"},
    "ens_band_50": {"en": "Middle 50% of runs", "ja": "試行の中央50%"},
    "ens_band_90": {"en": "Middle 90% of runs", "ja": "試行の中央90%"},
    "ens_band_y": {"en": "Shortfall, % of demand", "ja": "不足（需要比%）"},
    "ens_parameters_heading": {"en": "Uncertain parameters", "ja": "不確実なパラメータ"},
    "ens_source": {"en": "Source", "ja": "出典"},
    "ens_source_dataset": {"en": "dataset stock range", "ja": "データセットの在庫範囲"},
    "ens_source_scenario": {"en": "scenario", "ja": "シナリオ"},
    "label": {"en": "Label", "ja": "ラベル"},
    "horizon_months": {"en": "Horizon (months)", "ja": "期間（月）"},
    "months_unit": {"en": "months", "ja": "か月"},
    "runs_since": {"en": "Stored since", "ja": "保存日（以降）"},
    "runs_filter": {"en": "Filter", "ja": "絞り込み"},
    "runs_all_scenarios": {"en": "all scenarios", "ja": "すべてのシナリオ"},
    "cmp_horizons_differ": {
        "en": "These runs cover different horizons ({horizons} months): totals over the horizon "
        "are not comparable, and a run that is never short may become short after its horizon.",
        "ja": "比較する実行の期間が異なります（{horizons}か月）。期間全体の合計は比較できず、"
        "不足なしの実行も期間の後に不足する可能性があります。",
    },
    "cmp_datasets_differ": {
        "en": "These runs were computed on different datasets ({datasets}): differences may come "
        "from the data, not from the scenarios.",
        "ja": "比較する実行は異なるデータセット（{datasets}）で計算されています。差はシナリオでは"
        "なくデータに由来する可能性があります。",
    },
    # --- workbench: ensembles, plans and PDF reports of the scenario being edited ---
    "wb_further": {
        "en": "This scenario in an ensemble or a plan",
        "ja": "このシナリオでアンサンブル・計画を実行",
    },
    "wb_ens_runs": {"en": "Runs", "ja": "実行回数"},
    "wb_ensemble": {"en": "Run an ensemble", "ja": "アンサンブルを実行"},
    "wb_plan": {"en": "Make a plan", "ja": "計画を作成"},
    "wb_fix_first": {
        "en": "Fix the problems listed above first.",
        "ja": "先に上に示した問題を直してください。",
    },
    "dash_download_pdf": {"en": "Download PDF (A4)", "ja": "PDFをダウンロード（A4）"},
    # --- labelled results and run exports (oreshock.model.labelled, oreshock.store.export) ---
    "lr_var_production": {"en": "production", "ja": "生産（二次供給を含む段階の産出）"},
    "lr_var_imports": {"en": "imports", "ja": "輸入（当月に到着した出荷）"},
    "lr_var_exports": {"en": "exports", "ja": "輸出（当月に出発した出荷）"},
    "lr_var_consumption": {"en": "consumption", "ja": "消費（在庫・備蓄から満たされた使用）"},
    "lr_var_demand": {"en": "demand", "ja": "需要（最終用途と次段階が求める投入）"},
    "lr_var_shortfall": {"en": "shortfall", "ja": "不足（満たされなかった需要）"},
    "lr_var_stock": {"en": "stock", "ja": "月末の商業在庫"},
    "lr_var_stockpile": {"en": "stockpile", "ja": "月末の国家・共同備蓄"},
    "lr_var_stockpile_transfer": {
        "en": "stockpile transfer",
        "ja": "他の加盟国に置かれた共同備蓄からの純取り崩し",
    },
    "lr_var_in_transit": {"en": "in transit", "ja": "許可遅延で止められた出荷（輸入国別）"},
    "lr_var_price_index": {
        "en": "price index",
        "ja": "価格地域（中国国内・国外）における段階の価格指数",
    },
    "lr_var_price": {
        "en": "price",
        "ja": "価格地域における段階の価格: 基準年価格（データセット）×指数",
    },
    "lr_var_flow": {"en": "flow", "ja": "経路・原産地別の出荷（単一実行のみ）"},
    "lr_meta_run_id": {"en": "run id", "ja": "実行ID"},
    "lr_meta_created": {"en": "created (UTC)", "ja": "作成日時（UTC）"},
    "lr_meta_scenario": {"en": "scenario", "ja": "シナリオ"},
    "lr_meta_variant": {"en": "variant", "ja": "バリアント"},
    "lr_meta_start_month": {"en": "first month", "ja": "開始月"},
    "lr_meta_months": {"en": "months", "ja": "月数"},
    "lr_meta_seed": {"en": "seed", "ja": "乱数シード"},
    "lr_meta_dataset_name": {"en": "dataset", "ja": "データセット"},
    "lr_meta_dataset_version": {"en": "dataset version", "ja": "データセットのバージョン"},
    "lr_meta_dataset_hash": {
        "en": "dataset hash (sha256)",
        "ja": "データセットのハッシュ（sha256）",
    },
    "lr_meta_code_version": {"en": "oreshock version", "ja": "oreshockのバージョン"},
    "lr_meta_content_hash": {
        "en": "content hash of the stored run",
        "ja": "保存された実行の内容ハッシュ",
    },
    "lr_meta_content": {"en": "content", "ja": "内容の検査"},
    "lr_meta_run": {"en": "run (variant)", "ja": "実行（バリアント）"},
    "lr_shortfalls": {"en": "shortfalls", "ja": "不足"},
    "lr_left_out": {
        "en": "left out to fit the terminal: {columns} (--json has every column)",
        "ja": "端末の幅に収めるため省略: {columns}（--json ではすべての列）",
    },
    "lr_dataset_line": {
        "en": "{name} {version} (base year {year}, hash {digest})",
        "ja": "{name} {version}（基準年 {year}、ハッシュ {digest}）",
    },
    "lr_col_table": {"en": "table", "ja": "表"},
    "lr_col_rows": {"en": "rows", "ja": "行数"},
    "lr_warning": {"en": "warning", "ja": "警告"},
    "lr_not_valid": {
        "en": "error: {file} is not a valid scenario:",
        "ja": "エラー: {file} は有効なシナリオではありません:",
    },
    "lr_valid_base": {
        "en": "{file}: valid (the base checked)",
        "ja": "{file}: 有効（基本ケースを検査）",
    },
    "lr_valid_variants": {
        "en": "{file}: valid (the base and {n} variant(s) checked)",
        "ja": "{file}: 有効（基本ケースと{n}個のバリアントを検査）",
    },
    "lr_problems": {"en": "{n} problem(s) found in {folder}", "ja": "{folder} に{n}件の問題"},
    "lr_tables_valid": {
        "en": "{folder}: all {n} tables valid ({name} {version})",
        "ja": "{folder}: {n}個の表はすべて有効（{name} {version}）",
    },
    "lr_col_name": {"en": "name", "ja": "名前"},
    "lr_col_title": {"en": "title", "ja": "タイトル"},
    "lr_col_variants": {"en": "variants", "ja": "バリアント"},
    "lr_rerun_damaged": {
        "en": "stored run {run_id} is {status}: its content no longer matches the hash written "
        "when it was saved, so it cannot be trusted; compared with the rerun:",
        "ja": "保存された実行 {run_id} は {status}: 内容が保存時のハッシュと一致せず、信頼できない。"
        "再実行と比較した結果:",
    },
    "lr_rerun_unhashed": {
        "en": "{run_id} was stored before runs were hashed; compared in full",
        "ja": "{run_id} はハッシュ導入前に保存された実行のため、全体を比較した",
    },
    "lr_rerun_same": {
        "en": "{new_id}: time series, flows, sectors and summary identical to {run_id}",
        "ja": "{new_id}: 時系列・フロー・用途・要約はすべて {run_id} と同一",
    },
    "lr_rerun_different": {
        "en": "{new_id}: DIFFERENT from {run_id}",
        "ja": "{new_id}: {run_id} と異なる",
    },
    "lr_rerun_summary": {"en": "summary: differs", "ja": "要約: 異なる"},
    "lr_imported": {
        "en": "imported {n} rows from {file} as {id}: {counts}",
        "ja": "{file} から{n}行を取り込みました（{id}）: {counts}",
    },
    "lr_extended": {
        "en": "extended dataset {folder}: {merged}; use it with --data {folder}",
        "ja": "データセット {folder} を拡張しました: {merged}。--data {folder} で使えます",
    },
    "lr_col_item": {"en": "item", "ja": "項目"},
    "lr_col_detail": {"en": "value", "ja": "内容"},
    "lr_col_month": {"en": "month", "ja": "月"},
    "lr_col_p50": {"en": "median", "ja": "中央値"},
    "lr_col_country": {"en": "country", "ja": "国"},
    "lr_col_country_name": {"en": "country name", "ja": "国名"},
    "lr_col_mineral": {"en": "chain", "ja": "チェーン"},
    "lr_col_mineral_name": {"en": "chain name", "ja": "チェーン名"},
    "lr_col_stage": {"en": "stage", "ja": "段階"},
    "lr_col_stage_name": {"en": "stage name", "ja": "段階名"},
    "lr_col_variable": {"en": "variable", "ja": "変数"},
    "lr_col_value": {"en": "value", "ja": "値"},
    "lr_col_exporter": {"en": "exporter", "ja": "輸出国"},
    "lr_col_exporter_name": {"en": "exporter name", "ja": "輸出国名"},
    "lr_col_importer": {"en": "importer", "ja": "輸入国"},
    "lr_col_importer_name": {"en": "importer name", "ja": "輸入国名"},
    "lr_col_origin": {"en": "origin", "ja": "原産地"},
    "lr_col_region": {"en": "price region", "ja": "価格地域"},
    "lr_col_region_name": {"en": "price region name", "ja": "価格地域名"},
    "lr_col_sector": {"en": "sector", "ja": "用途"},
    "lr_col_name_en": {"en": "sector name (English)", "ja": "用途名（英語）"},
    "lr_col_name_ja": {"en": "sector name (Japanese)", "ja": "用途名（日本語）"},
    "lr_col_share_of_stage_use": {"en": "share of the stage's use", "ja": "段階の使用に占める割合"},
    "lr_col_months_to_shortfall": {"en": "months to shortfall", "ja": "不足までの月数"},
    "lr_col_peak_shortfall_pct": {"en": "peak shortfall %", "ja": "最大不足率（%）"},
    "lr_col_cumulative_shortfall_pct": {"en": "cumulative shortfall %", "ja": "累積不足率（%）"},
    "lr_wrote": {"en": "wrote {path}", "ja": "{path} に書き出しました"},
    "lr_deleted": {"en": "deleted {run_id}", "ja": "{run_id} を削除しました"},
    "lr_recovered": {
        "en": "every run of {folder} is stored; the folder may be deleted",
        "ja": "{folder} の実行はすべて保存されました。フォルダーは削除して構いません",
    },
    "lr_wrote_runs": {
        "en": "wrote {n} runs to {path}",
        "ja": "{n} 件の実行を {path} に書き出しました",
    },
}


def t(key: str, lang: str = "en", **fmt) -> str:
    """The text for ``key`` in ``lang`` (English when a translation is missing)."""
    entry = TEXT.get(key)
    if entry is None:
        return key
    text = entry.get(lang) or entry["en"]
    return text.format(**fmt) if fmt else text
