"""Episodes: a scenario on the data of its time, and the checks that judge the run.

An episode file (``episodes/<id>.yaml``) names the base year of the data it runs on (a
vintage of the dataset), the scenario (a shipped one and its variant, or one written out),
the month the control began, the parameters set from the record (and from which episode),
and its checks. Every check states its tolerance in the file, before the model is run; a
check the model is known to fail says why in ``known_failure`` and is reported as failing,
never dropped or widened.
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path
from typing import Annotated, Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from oreshock.core.errors import ScenarioError, UnknownIdError
from oreshock.core.months import month_index


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class FirstShortfall(_Strict):
    """Months from the control to the first month short, against a dated stoppage (or none).

    ``observed_months: null`` means no stoppage was reported within ``window_months``: the
    check passes when the model has no shortfall in that window either.
    """

    kind: Literal["first_shortfall"]
    name: str
    country: str
    mineral: str
    stage: str
    observed_months: int | None
    window_months: int = Field(12, ge=1)
    tolerance_months: int = Field(ge=0)
    source_id: str
    text_en: str
    text_ja: str
    in_sample: bool = False
    known_failure: str | None = None


class ExportsRatio(_Strict):
    """Mean monthly exports in a window over the mean before the control, model and record.

    The record's ratio comes from ``observations.csv`` (every month of both windows must be
    there; the reference window may be the same months a year before, to leave out the
    season); the model's from the run's flows, over its own months before the control.
    """

    kind: Literal["exports_ratio"]
    name: str
    exporter: str
    partner: str = "WLD"
    record: Literal["exports", "imports"] = Field(
        "exports",
        description="whose customs the record is: the exporter's (exports_t rows, country = "
        "exporter) or the importer's (imports_t rows, country = partner)",
    )
    mineral: str
    stage: str = Field(description="a stage id, or `all` for every stage of the chain")
    observed_as: str | None = Field(
        None, description="the `mineral` of the observations when it differs (e.g. ndfeb_magnets)"
    )
    window: tuple[str, str]
    reference: tuple[str, str]
    tolerance: float = Field(gt=0)
    text_en: str
    text_ja: str
    in_sample: bool = False
    known_failure: str | None = None


class PriceRatio(_Strict):
    """The price in a window over the price before the control, model and record.

    The record's ratio comes from ``observations.csv`` (``price_usd_kg`` rows of the
    ``observed_as`` series, the mean of those dated in each window; at least one in each),
    or, with no ``reference`` window, over ``reference_usd_kg``, the record's base-year
    price; the model's from the run's price index of the chain, stage and region over the
    same months (the base year's index is 1). Prices move by multiples, so the tolerance is a
    factor: the check passes when the larger of model / record and record / model is at most
    ``tolerance``.
    """

    kind: Literal["price_ratio"]
    name: str
    mineral: str = Field(description="a chain id (an element group, a magnet grade, a mineral)")
    stage: str
    region: Literal["CHN", "ROW"] = Field(description="CHN inside China, ROW outside")
    observed_as: str = Field(description="the observations' series id (their `mineral`)")
    observed_country: str = Field(description="the observations' `country` of the series")
    window: tuple[str, str]
    reference: tuple[str, str] | None = None
    reference_usd_kg: float | None = Field(None, gt=0)
    reference_source_id: str | None = None
    tolerance: float = Field(gt=1, description="a factor, e.g. 1.5")
    text_en: str
    text_ja: str
    in_sample: bool = False
    known_failure: str | None = None

    @model_validator(mode="after")
    def _one_reference(self) -> PriceRatio:
        if (self.reference is None) == (self.reference_usd_kg is None):
            raise ValueError("give either a reference window or reference_usd_kg, not both")
        if self.reference_usd_kg is not None and not self.reference_source_id:
            raise ValueError("reference_usd_kg needs a reference_source_id")
        return self


Check = Annotated[FirstShortfall | ExportsRatio | PriceRatio, Field(discriminator="kind")]


class Calibrated(_Strict):
    parameter: str
    fitted_on: str
    value: str


class Episode(_Strict):
    id: str
    title_en: str
    title_ja: str
    base_year: int
    scenario: str | dict[str, Any]
    variant: str | None = None
    control_start: str
    calibrated: list[Calibrated] = Field(default_factory=list)
    checks: list[Check] = Field(min_length=1)
    notes_en: str = ""
    notes_ja: str = ""
    record_of: str | None = Field(
        None, description="read the observations of this episode (the same events run otherwise)"
    )

    @property
    def record_id(self) -> str:
        """The episode whose rows of observations.csv the checks compare with."""
        return self.record_of or self.id

    def control_offset(self, scenario_start: str) -> int:
        """Months from the scenario's start to the control (at least 1: the run must show
        the months before)."""
        return month_index(scenario_start, self.control_start)


def episodes_folder() -> Path:
    return Path(str(resources.files("oreshock.backtest").joinpath("episodes")))


def shipped_episodes() -> dict[str, Path]:
    return {p.stem: p for p in sorted(episodes_folder().glob("*.yaml"))}


def load_episode(name_or_path: str | Path) -> Episode:
    """An episode by id, or a YAML file by path; errors name the file and field."""
    shipped = shipped_episodes()
    path = shipped.get(str(name_or_path)) or Path(name_or_path)
    if not path.exists():
        raise UnknownIdError(
            f"no episode {str(name_or_path)!r}; expected one of: {', '.join(shipped)}"
        )
    try:
        doc = yaml.safe_load(path.read_text(encoding="utf-8"))
        return Episode.model_validate(doc)
    except yaml.YAMLError as exc:
        raise ScenarioError(f"{path}: not valid YAML: {exc}") from None
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"])
        raise ScenarioError(
            f"{path}: {where}: {first['msg']} ({len(exc.errors())} problem(s))"
        ) from None
