"""Uncertain parameters of a scenario and seeded samplers (Latin hypercube, Sobol/Saltelli).

Kept apart from the model: a ``Parameter`` knows its field path, its distribution and whether
the field takes integers; ``sample`` draws points in the unit hypercube with an explicit seed
and maps them through each parameter's inverse CDF, so every run of an ensemble can be
regenerated from (parameters, n, method, seed) alone. That is what makes resuming possible.
"""

from __future__ import annotations

import math
import re
import warnings
from dataclasses import dataclass
from typing import Any, Literal, get_args

import numpy as np
from pydantic import BaseModel
from scipy import stats
from scipy.stats import qmc

from oreshock.core.errors import OreshockError
from oreshock.model.scenario import Scenario, ScenarioFile, split_uncertain

Method = Literal["lhs", "sobol"]
METHODS = ("lhs", "sobol")
_EPS = 1e-9


class EnsembleError(OreshockError):
    """An ensemble cannot be set up or run as asked (bad parameters, sizes or options)."""


class ParameterError(EnsembleError):
    """An uncertain parameter is unknown, not numeric, or has an empty or invalid range."""


@dataclass(frozen=True)
class Parameter:
    """One uncertain field: dotted name, path into the scenario document, distribution."""

    name: str
    path: tuple
    spec: dict
    integer: bool = False
    # The list items on the path, by what identifies them ("holder JPN"), for readers.
    about: str = ""

    def ppf(self, u: np.ndarray) -> np.ndarray:
        """Map unit-interval draws to values of this parameter (rounded for integer fields)."""
        d, u = self.spec, np.clip(u, _EPS, 1.0 - _EPS)
        kind = d["dist"]
        if kind == "uniform":
            x = d["low"] + u * (d["high"] - d["low"])
        elif kind == "triangular":
            c = (d["mode"] - d["low"]) / (d["high"] - d["low"])
            x = stats.triang.ppf(u, c, loc=d["low"], scale=d["high"] - d["low"])
        elif kind == "normal":
            x = stats.norm.ppf(u, loc=d["mean"], scale=d["sd"])
        else:  # lognormal: mean and sd of the variable itself, not of its logarithm
            sigma2 = math.log1p((d["sd"] / d["mean"]) ** 2)
            mu = math.log(d["mean"]) - sigma2 / 2
            x = stats.lognorm.ppf(u, math.sqrt(sigma2), scale=math.exp(mu))
        return np.rint(x) if self.integer else np.asarray(x, dtype=float)


def dotted(path: tuple) -> str:
    """A parameter's name: its path in the scenario, list items by position in brackets
    (``("buffers", "stockpiles", 0, "rate")`` -> ``buffers.stockpiles[0].rate``), so the name
    reads as where the value sits in the YAML file."""
    out = ""
    for part in path:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += f".{part}" if out else str(part)
    return out


_PART = re.compile(r"([^.\[\]]+)|\[(\d+)\]")


def parse_path(name: str) -> tuple:
    """``responses.sharing[0].share`` (or the older ``responses.sharing.0.share``) ->
    ("responses", "sharing", 0, "share")."""
    parts: list[str | int] = []
    for key, index in _PART.findall(name):
        if index:
            parts.append(int(index))
        else:
            parts.append(int(key) if key.isdigit() else key)
    return tuple(parts)


def check_spec(name: str, spec: Any) -> dict:
    """A validated copy of a distribution spec, with an error that names the field."""
    if not isinstance(spec, dict) or "dist" not in spec:
        raise ParameterError(f"parameter '{name}': expected a distribution, found {spec!r}")
    need = {
        "uniform": ("low", "high"),
        "triangular": ("low", "mode", "high"),
        "normal": ("mean", "sd"),
        "lognormal": ("mean", "sd"),
    }
    kind = spec["dist"]
    if kind not in need:
        raise ParameterError(
            f"parameter '{name}': unknown distribution {kind!r}; expected one of {sorted(need)}"
        )
    try:
        out = {"dist": kind} | {k: float(spec[k]) for k in need[kind]}
    except (KeyError, TypeError, ValueError):
        raise ParameterError(
            f"parameter '{name}': {kind} needs numbers {', '.join(need[kind])}; found {spec!r}"
        ) from None
    if kind in ("uniform", "triangular") and not out["low"] < out["high"]:
        raise ParameterError(
            f"parameter '{name}': empty range, low ({out['low']:g}) must be below high ({out['high']:g})"
        )
    if kind == "triangular" and not out["low"] <= out["mode"] <= out["high"]:
        raise ParameterError(f"parameter '{name}': mode must lie between low and high")
    if kind in ("normal", "lognormal") and not out["sd"] > 0:
        raise ParameterError(f"parameter '{name}': sd must be > 0 (found {out['sd']:g})")
    if kind == "lognormal" and not out["mean"] > 0:
        raise ParameterError(f"parameter '{name}': lognormal mean must be > 0")
    return out


def parse_cli_spec(text: str) -> tuple[str, dict]:
    """``NAME=uniform:LOW:HIGH`` (or triangular:LOW:MODE:HIGH, normal:MEAN:SD, lognormal:MEAN:SD)."""
    name, sep, rhs = text.partition("=")
    parts = rhs.split(":")
    keys = {
        "uniform": ("low", "high"),
        "triangular": ("low", "mode", "high"),
        "normal": ("mean", "sd"),
        "lognormal": ("mean", "sd"),
    }.get(parts[0])
    if not sep or keys is None or len(parts) != len(keys) + 1:
        raise ParameterError(
            f"bad --param {text!r}: expected NAME=uniform:LOW:HIGH, NAME=triangular:LOW:MODE:HIGH, "
            "NAME=normal:MEAN:SD or NAME=lognormal:MEAN:SD"
        )
    return name.strip(), {"dist": parts[0], **dict(zip(keys, parts[1:], strict=True))}


def _is_int(annotation: Any) -> bool:
    if annotation is int:
        return True
    args = [a for a in get_args(annotation) if a is not type(None)]
    return bool(args) and all(a is int for a in args)


def _field_is_int(scenario: Scenario, path: tuple, name: str) -> bool:
    """Whether the field at ``path`` is typed int, found by walking the built scenario."""
    obj: Any = scenario
    for key in path[:-1]:
        try:
            obj = obj[key] if isinstance(obj, list | dict) else getattr(obj, str(key))
        except (IndexError, KeyError, AttributeError, TypeError):
            raise ParameterError(f"unknown parameter '{name}': no such field") from None
    last = path[-1]
    if isinstance(obj, BaseModel):
        field = type(obj).model_fields.get(str(last))
        if field is None:
            raise ParameterError(f"unknown parameter '{name}': no such field")
        value = getattr(obj, str(last))
        if not isinstance(value, int | float) or isinstance(value, bool):
            raise ParameterError(f"parameter '{name}' is not numeric (found {value!r})")
        return _is_int(field.annotation)
    if isinstance(obj, dict) and last in obj and isinstance(obj[last], int | float):
        return False
    raise ParameterError(f"unknown parameter '{name}': not a numeric field of the scenario")


def _exists(doc: Any, path: tuple) -> bool:
    for key in path:
        in_dict = isinstance(doc, dict) and key in doc
        in_list = isinstance(doc, list) and isinstance(key, int) and 0 <= key < len(doc)
        if not (in_dict or in_list):
            return False
        doc = doc[key]
    return True


def scenario_parameters(
    sf: ScenarioFile, variant: str | None, extra: dict[str, Any] | None = None
) -> list[Parameter]:
    """The variant's uncertain parameters, plus or overridden by ``extra`` {dotted name: spec}.

    Raises ParameterError when a name is not a numeric field of the resolved scenario, when a
    range is empty, or when nothing is uncertain at all.
    """
    specs = {dotted(p): (p, s) for p, s in sf.uncertain(variant).items()}
    doc, _ = split_uncertain(sf.resolve(variant), ())
    for name, spec in (extra or {}).items():
        path = parse_path(name)
        if not _exists(doc, path[:-1]):  # the field itself may be left at its default
            raise ParameterError(
                f"unknown parameter '{name}': no such field in {sf.path} (variant {variant!r})"
            )
        specs[dotted(path)] = (path, spec)
    if not specs:
        raise ParameterError(
            f"{sf.path}: variant {variant!r} has no uncertain parameters; write a value as "
            "{dist: uniform, low: ..., high: ...} or pass --param NAME=uniform:LOW:HIGH"
        )
    base = sf.build(variant)
    return [
        Parameter(
            name,
            path,
            check_spec(name, spec),
            _field_is_int(base, path, name),
            describe_items(doc, path),
        )
        for name, (path, spec) in specs.items()
    ]


_IDENTIFIERS = ("holder", "group", "exporter", "countries", "country", "mineral", "stage", "origin")


def describe_items(doc: Any, path: tuple) -> str:
    """What identifies each list item on ``path`` in the scenario document, e.g. for
    ``responses.new_capacity[1].lead_months``: "new_capacity[1]: countries USA, stage metal"."""
    out = []
    node = doc
    for i, key in enumerate(path):
        try:
            node = node[key]
        except (KeyError, IndexError, TypeError):
            break
        if isinstance(key, int) and isinstance(node, dict):
            ids = []
            for field_name in _IDENTIFIERS:
                value = node.get(field_name)
                if value is not None:
                    text = ", ".join(map(str, value)) if isinstance(value, list) else str(value)
                    ids.append(f"{field_name} {text}")
            if ids:
                out.append(f"{dotted(path[: i + 1])}: {', '.join(ids)}")
    return "; ".join(out)


def sobol_base(runs: int, k: int) -> int:
    """Saltelli base sample size giving at least ``runs`` runs (N x (k + 2))."""
    return max(2, math.ceil(runs / (k + 2)))


def unit_sample(k: int, runs: int, method: str, seed: int) -> np.ndarray:
    """Points in [0, 1]^k, shape (n, k); n = runs for LHS, N (k + 2) >= runs for Sobol."""
    if runs < 1:
        raise EnsembleError(f"--runs must be at least 1 (found {runs})")
    if method == "lhs":
        return qmc.LatinHypercube(d=k, seed=np.random.default_rng(seed)).random(runs)
    if method == "sobol":
        # SALib is the optional `ensemble` extra, loaded only for Sobol (Saltelli) samples.
        from SALib.sample import sobol

        problem = {"num_vars": k, "names": [f"x{i}" for i in range(k)], "bounds": [[0, 1]] * k}
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # non-power-of-2 N: balance warning only
            return sobol.sample(
                problem, sobol_base(runs, k), calc_second_order=False, scramble=True, seed=seed
            )
    raise EnsembleError(f"unknown --method {method!r}; expected one of {', '.join(METHODS)}")


def sample(params: list[Parameter], runs: int, method: str, seed: int) -> np.ndarray:
    """Parameter values, shape (n, len(params)), reproducible from the seed."""
    u = unit_sample(len(params), runs, method, seed)
    return np.column_stack([p.ppf(u[:, j]) for j, p in enumerate(params)])
