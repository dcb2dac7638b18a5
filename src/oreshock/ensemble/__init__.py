"""Ensembles: sampled uncertain parameters, batched evaluation on a local pool or Dask,
results streamed to Parquet, and their analysis (percentiles, PRIM, Sobol)."""

from oreshock.ensemble.runner import (
    EnsembleRun,
    EnsembleSpec,
    get_ensemble,
    list_ensembles,
    load_results,
    plan_ensemble,
    run_ensemble,
)

__all__ = [
    "EnsembleRun",
    "EnsembleSpec",
    "get_ensemble",
    "list_ensembles",
    "load_results",
    "plan_ensemble",
    "run_ensemble",
]
