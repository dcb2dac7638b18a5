"""Ensembles: sampled uncertain parameters, batched evaluation on a local pool or Dask,
results streamed to Parquet, and their analysis (percentiles, PRIM, Sobol).

Batches are verified (sha256 and row count in the index) before they count; a damaged one is
computed again on resume (``DamagedBatchWarning``) and refused when read
(``DamagedBatchError``)."""

from oreshock.ensemble.runner import (
    DamagedBatchError,
    DamagedBatchWarning,
    EnsembleRun,
    EnsembleSpec,
    get_ensemble,
    list_ensembles,
    load_results,
    plan_ensemble,
    resume_command,
    run_ensemble,
    verify_folder,
)

__all__ = [
    "DamagedBatchError",
    "DamagedBatchWarning",
    "EnsembleRun",
    "EnsembleSpec",
    "get_ensemble",
    "list_ensembles",
    "load_results",
    "plan_ensemble",
    "resume_command",
    "run_ensemble",
    "verify_folder",
]
