"""A run's time series as one labelled xarray Dataset, in English and Japanese.

Built from the tidy time series table (``RunResult.timeseries``, the store's ``timeseries``
rows), so the arrays of a run in memory and of the same run read back from the store hold
exactly the stored numbers. Node variables lie over (mineral, month, country, stage), the
prices over (mineral, month, region, stage); a chain's stages and countries differ from
another's, so a cell of a stage or country a chain does not have is NaN. Each variable
carries its unit and its meaning in both languages; countries, chains, stages and price
regions carry their names as coordinates; the Dataset's attributes say which run, scenario
and dataset the numbers come from.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import xarray as xr

from oreshock.core.i18n import LANGUAGES, t
from oreshock.data.datasets import Dataset, bundled_path
from oreshock.model.prices import REGION_NAMES
from oreshock.model.record import PRICE_AXES, RECORDED

PRICE_VARIABLES = tuple(r.name for r in RECORDED if r.axes == PRICE_AXES)
NODE_DIMS = ("mineral", "month", "country", "stage")
PRICE_DIMS = ("mineral", "month", "region", "stage")


@dataclass(frozen=True)
class LabelNames:
    """Names in both languages of countries, chains and stages, and each stage's unit.

    Read from a dataset's ``countries``, ``minerals`` and ``stages`` tables; an id the tables
    do not name is shown as itself.
    """

    countries: pd.DataFrame
    minerals: pd.DataFrame
    stages: pd.DataFrame

    @classmethod
    def read(cls, folder: str | Path | None = None) -> LabelNames:
        """The names in a dataset folder's CSV files (the bundled dataset by default), read
        without validating or loading the whole dataset."""
        root = Path(folder) if folder is not None else bundled_path()

        def table(name: str) -> pd.DataFrame:
            return pd.read_csv(root / f"{name}.csv", dtype=str, keep_default_na=False)

        return cls(table("countries"), table("minerals"), table("stages"))

    @classmethod
    def of(cls, dataset: Dataset) -> LabelNames:
        """The names of a loaded dataset."""
        return cls(dataset.table("countries"), dataset.table("minerals"), dataset.table("stages"))

    def country(self, lang: str) -> dict[str, str]:
        return dict(zip(self.countries["iso3"], self.countries[f"name_{lang}"], strict=True))

    def mineral(self, lang: str) -> dict[str, str]:
        return dict(zip(self.minerals["mineral"], self.minerals[f"name_{lang}"], strict=True))

    def stage(self, column: str) -> dict[tuple[str, str], str]:
        """(mineral, stage) -> ``column`` of the stages table (``name_en``, ``unit``...)."""
        rows = zip(self.stages["mineral"], self.stages["stage"], self.stages[column], strict=True)
        return {(m, s): str(v) for m, s, v in rows}


def variable_attrs(name: str) -> dict[str, str]:
    """A recorded variable's unit and meaning in English and Japanese (``model.record``)."""
    meta = next(r for r in RECORDED if r.name == name)
    return {
        "units": meta.unit,
        "long_name": meta.description,
        "long_name_ja": t(f"lr_var_{name}", "ja"),
    }


def timeseries_dataset(
    timeseries: pd.DataFrame, attrs: Mapping[str, Any], names: LabelNames | None = None
) -> xr.Dataset:
    """The tidy time series (month, country, mineral, stage, variable, value) as labelled
    arrays, with ``attrs`` (run id, scenario, dataset...) as the Dataset's attributes and the
    names of ``names`` (default: the bundled dataset's) as coordinates."""
    names = names if names is not None else LabelNames.read()
    frame = timeseries.assign(month=pd.to_datetime(timeseries["month"]))
    is_price = frame["variable"].isin(PRICE_VARIABLES)
    parts = [
        _arrays(frame[~is_price], "country"),
        _arrays(frame[is_price].rename(columns={"country": "region"}), "region"),
    ]
    data = xr.merge([p for p in parts if p is not None], join="outer", compat="no_conflicts")
    for name in data.data_vars:
        data[name].attrs = variable_attrs(str(name))
    data = data.assign_coords(_name_coords(data, names))
    data = data.assign_coords(month_index=("month", np.arange(data.sizes.get("month", 0))))
    data["month_index"].attrs = {"long_name": "months from the start of the scenario"}
    data.attrs = {k: _attr(v) for k, v in attrs.items()}
    return data


def _arrays(frame: pd.DataFrame, place: str) -> xr.Dataset | None:
    """One group of variables (node or price) as a Dataset over mineral, month, place,
    stage; None when the table has none of them."""
    if frame.empty:
        return None
    series = frame.set_index(["variable", "mineral", "month", place, "stage"])["value"]
    return series.to_xarray().to_dataset(dim="variable")


def _name_coords(data: xr.Dataset, names: LabelNames) -> dict[str, Any]:
    """Names in each language of the countries, chains, stages and price regions held, and
    each chain's stage units (empty where a chain has no such stage)."""
    coords: dict[str, Any] = {}
    minerals = [str(m) for m in data["mineral"].values]
    for lang in LANGUAGES:
        if "country" in data.dims:
            known = names.country(lang)
            codes = [str(c) for c in data["country"].values]
            coords[f"country_name_{lang}"] = ("country", [known.get(c, c) for c in codes])
        if "region" in data.dims:
            regions = [str(r) for r in data["region"].values]
            coords[f"region_name_{lang}"] = (
                "region",
                [REGION_NAMES.get(r, {}).get(lang, r) for r in regions],
            )
        chain = names.mineral(lang)
        coords[f"mineral_name_{lang}"] = ("mineral", [chain.get(m, m) for m in minerals])
        coords[f"stage_name_{lang}"] = (("mineral", "stage"), _grid(names, f"name_{lang}", data))
    coords["stage_unit"] = (("mineral", "stage"), _grid(names, "unit", data))
    return coords


def _grid(names: LabelNames, column: str, data: xr.Dataset) -> np.ndarray:
    """[mineral, stage] texts of the stages table's ``column``; empty where the chain has no
    such stage."""
    known = names.stage(column)
    return np.array(
        [
            [known.get((str(m), str(s)), "") for s in data["stage"].values]
            for m in data["mineral"].values
        ],
        dtype=object,
    )


def _attr(value: Any) -> Any:
    """A value netCDF can hold as an attribute: None becomes an empty text, numpy scalars
    and dates plain numbers and texts."""
    if value is None:
        return ""
    if isinstance(value, bool | np.bool_):
        return int(value)
    if isinstance(value, int | float | str):
        return value
    if isinstance(value, np.integer | np.floating):
        return value.item()
    return str(value)
