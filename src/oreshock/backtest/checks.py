"""A check's two numbers: what the record says and what the run gives, and whether they agree.

Both sides are computed the same way: a month count from the control to the first month
short, or a ratio of mean monthly exports after the control to the mean before it. The
tolerance is the episode file's; nothing here widens it.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import pandas as pd

from oreshock.backtest.episodes import Check, Episode, ExportsRatio, FirstShortfall, PriceRatio
from oreshock.core.errors import ScenarioError
from oreshock.core.months import add_months, month_index
from oreshock.model.prices import REGIONS
from oreshock.model.results import RunResult


@dataclass(frozen=True)
class CheckResult:
    name: str
    kind: str
    unit: str
    observed: float | None
    model: float | None
    tolerance: float
    passed: bool
    source: str
    in_sample: bool
    known_failure: str | None
    text_en: str
    text_ja: str

    @property
    def tolerance_text(self) -> str:
        """``×1.5`` for a factor (prices), ``±1`` for a difference (months, ratios)."""
        return f"×{self.tolerance:g}" if self.kind == "price_ratio" else f"±{self.tolerance:g}"

    def record(self) -> dict:
        """The JSON shape of ``oreshock backtest --json``."""
        out = asdict(self)
        out["pass"] = out.pop("passed")
        return out


def _months(start: str, end: str) -> list[str]:
    """``YYYY-MM`` labels from ``start`` to ``end``, both included."""
    return [add_months(start, k) for k in range(month_index(start, end) + 1)]


def _result(
    check: Check,
    unit: str,
    observed: float | None,
    model: float | None,
    tolerance: float,
    passed: bool,
    source: str,
) -> CheckResult:
    return CheckResult(
        check.name,
        check.kind,
        unit,
        observed,
        model,
        tolerance,
        passed,
        source,
        check.in_sample,
        check.known_failure,
        check.text_en,
        check.text_ja,
    )


def _first_shortfall(check: FirstShortfall, episode: Episode, result: RunResult) -> CheckResult:
    summary = result.summary()
    row = summary[
        (summary["country"] == check.country)
        & (summary["mineral"] == check.mineral)
        & (summary["stage"] == check.stage)
    ]
    if row.empty:
        raise ScenarioError(
            f"episode {episode.id}, check {check.name}: the run has no "
            f"{check.country} {check.mineral} {check.stage}"
        )
    months = row["months_to_shortfall"].iloc[0]
    offset = episode.control_offset(result.scenario.start)
    model = None if pd.isna(months) else float(int(months) - offset)
    if check.observed_months is None:
        passed = model is None or model > check.window_months
    else:
        passed = model is not None and abs(model - check.observed_months) <= check.tolerance_months
    observed = None if check.observed_months is None else float(check.observed_months)
    return _result(
        check,
        "months after the control",
        observed,
        model,
        float(check.tolerance_months),
        passed,
        check.source_id,
    )


def _observed_rows(check: ExportsRatio, episode: Episode, obs: pd.DataFrame) -> pd.DataFrame:
    if check.record == "exports":
        measure, country, partner = "exports_t", check.exporter, check.partner
    else:
        measure, country, partner = "imports_t", check.partner, check.exporter
    rows = obs[
        (obs["episode"] == episode.record_id)
        & (obs["measure"] == measure)
        & (obs["country"] == country)
        & (obs["partner"] == partner)
        & (obs["mineral"] == (check.observed_as or check.mineral))
        & (obs["unit"] == "t")
    ].set_index("date")
    for window in (check.window, check.reference):
        missing = [m for m in _months(*window) if m not in rows.index]
        if missing:
            raise ScenarioError(
                f"episode {episode.id}, check {check.name}: observations.csv has no {measure} "
                f"of {check.mineral} for {country} with partner {partner} for {missing}"
            )
    return rows


def observed_monthly(check: ExportsRatio, episode: Episode, obs: pd.DataFrame) -> pd.Series:
    """The record's monthly tonnes over the mean of its reference window."""
    return _ratio_to_reference(check, _observed_rows(check, episode, obs))


def _ratio_to_reference(check: ExportsRatio, rows: pd.DataFrame) -> pd.Series:
    base = float(rows.loc[_months(*check.reference), "value"].mean())
    return rows["value"].sort_index() / base


def monthly_exports(
    check: ExportsRatio, result: RunResult, flows: pd.DataFrame, control_start: str
) -> pd.Series:
    """The run's monthly exports on the check's route (``flows``: ``result.flows()``, taken
    once per run) over their mean before the control."""
    chains = result.network.products(check.mineral) or (check.mineral,)
    pick = (
        flows["mineral"].isin(chains)
        & (flows["exporter"] == check.exporter)
        & (flows["importer"] != check.exporter)
    )
    if check.stage != "all":
        pick &= flows["stage"] == check.stage
    if check.partner != "WLD":
        pick &= flows["importer"] == check.partner
    picked = flows[pick]
    series = picked.groupby(picked["month"].dt.strftime("%Y-%m"))["value"].sum()
    labels = [m[:7] for m in result.scenario.month_labels()]
    series = series.reindex(labels, fill_value=0.0)
    before = [m for m in labels if m < control_start]
    base = float(series[before].mean()) if before else 0.0
    return series / base if base > 0 else series * float("nan")


def _exports_ratio(
    check: ExportsRatio,
    episode: Episode,
    result: RunResult,
    flows: pd.DataFrame,
    obs: pd.DataFrame,
) -> CheckResult:
    rows = _observed_rows(check, episode, obs)
    window = _months(*check.window)
    observed = float(_ratio_to_reference(check, rows)[window].mean())
    sources = ", ".join(sorted(set(rows.loc[window, "source_id"])))
    model_series = monthly_exports(check, result, flows, episode.control_start)
    if not set(window) <= set(model_series.index):
        raise ScenarioError(
            f"episode {episode.id}, check {check.name}: the run does not cover {check.window}"
        )
    model_value = float(model_series[window].mean())
    model = None if pd.isna(model_value) else model_value
    passed = model is not None and abs(model - observed) <= check.tolerance
    return _result(
        check, "ratio to the months before", observed, model, check.tolerance, passed, sources
    )


def observed_prices(check: PriceRatio, episode: Episode, obs: pd.DataFrame) -> pd.DataFrame:
    """The record's price rows of the check's series (date, value, source_id), by month."""
    rows = obs[
        (obs["episode"] == episode.record_id)
        & (obs["measure"] == "price_usd_kg")
        & (obs["mineral"] == check.observed_as)
        & (obs["country"] == check.observed_country)
    ]
    return rows.set_index("date").sort_index()


def _mean_in(check: PriceRatio, episode: Episode, rows: pd.DataFrame, window: tuple) -> float:
    picked = rows[rows.index.isin(_months(*window))]
    if picked.empty:
        raise ScenarioError(
            f"episode {episode.id}, check {check.name}: observations.csv has no price of "
            f"{check.observed_as} ({check.observed_country}) in {window[0]}..{window[1]}"
        )
    return float(picked["value"].mean())


def model_prices(check: PriceRatio, result: RunResult) -> pd.Series:
    """The run's monthly price index of the check's chain, stage and region."""
    if check.mineral not in result.runs:
        raise ScenarioError(f"check {check.name}: the run has no {check.mineral!r} chain")
    run = result.runs[check.mineral]
    if check.stage not in run.chain.stages:
        raise ScenarioError(f"check {check.name}: {check.mineral} has no stage {check.stage!r}")
    region = REGIONS.index(check.region)
    index = run.price[:, 0, region, run.chain.stages.index(check.stage)]
    return pd.Series(index, index=[m[:7] for m in result.scenario.month_labels()])


@dataclass(frozen=True)
class PriceRatios:
    """Both sides of a price check over the check's reference: the record's rows (by date)
    and the run's months, and the sources behind the record's reference."""

    observed: pd.Series
    model: pd.Series
    reference_sources: set[str]


def price_ratios(
    check: PriceRatio, episode: Episode, result: RunResult, obs: pd.DataFrame
) -> PriceRatios:
    """The record's prices over its reference (the mean of the reference months, or the
    stated base-year price) and the run's index over the same months (or 1 for the base)."""
    rows = observed_prices(check, episode, obs)
    model = model_prices(check, result)
    if check.reference is None:
        assert check.reference_usd_kg is not None and check.reference_source_id is not None
        return PriceRatios(
            rows["value"] / check.reference_usd_kg, model, {check.reference_source_id}
        )
    months = _months(*check.reference)
    base = _mean_in(check, episode, rows, check.reference)
    sources = set(rows[rows.index.isin(months)]["source_id"])
    return PriceRatios(rows["value"] / base, model / float(model[months].mean()), sources)


def _price_ratio(
    check: PriceRatio, episode: Episode, result: RunResult, obs: pd.DataFrame
) -> CheckResult:
    rows = observed_prices(check, episode, obs)
    ratios = price_ratios(check, episode, result, obs)
    window = _months(*check.window)
    if not set(window) <= set(ratios.model.index):
        raise ScenarioError(
            f"episode {episode.id}, check {check.name}: the run does not cover {check.window}"
        )
    _mean_in(check, episode, rows, check.window)  # the record has the window
    observed = float(ratios.observed[ratios.observed.index.isin(window)].mean())
    model = float(ratios.model[window].mean())
    passed = max(model / observed, observed / model) <= check.tolerance
    sources = set(rows[rows.index.isin(window)]["source_id"]) | ratios.reference_sources
    return _result(
        check,
        "price ratio (tolerance a factor)",
        observed,
        model,
        check.tolerance,
        passed,
        ", ".join(sorted(sources)),
    )


def evaluate(
    check: Check, episode: Episode, result: RunResult, flows: pd.DataFrame, obs: pd.DataFrame
) -> CheckResult:
    """The check's observed and model values, and whether they agree within its tolerance."""
    if isinstance(check, FirstShortfall):
        return _first_shortfall(check, episode, result)
    if isinstance(check, PriceRatio):
        return _price_ratio(check, episode, result, obs)
    return _exports_ratio(check, episode, result, flows, obs)
