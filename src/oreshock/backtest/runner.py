"""Run an episode: its vintage of the data, its scenario, its checks; the run is stored.

What the data do not cover for the episode's shocks (the run's coverage warnings) is kept
with the result, in both languages, and printed with it like the vintage's notices.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from oreshock.backtest.checks import CheckResult, evaluate
from oreshock.backtest.episodes import Episode, load_episode
from oreshock.backtest.observations import load_observations
from oreshock.core.errors import ScenarioError
from oreshock.data.datasets import load_dataset
from oreshock.model.network import build_network
from oreshock.model.results import RunResult
from oreshock.model.scenario import Scenario, open_scenario
from oreshock.model.simulate import simulate
from oreshock.store.store import Store


@dataclass
class EpisodeResult:
    episode: Episode
    result: RunResult
    flows: pd.DataFrame
    checks: list[CheckResult]
    notices_en: list[str] = field(default_factory=list)
    notices_ja: list[str] = field(default_factory=list)
    run_id: str | None = None

    def record(self) -> dict:
        return {
            "id": self.episode.id,
            "title_en": self.episode.title_en,
            "title_ja": self.episode.title_ja,
            "base_year": self.episode.base_year,
            "run_id": self.run_id,
            "checks": [c.record() for c in self.checks],
            "calibrated": [c.model_dump() for c in self.episode.calibrated],
            "notices_en": self.notices_en,
            "notices_ja": self.notices_ja,
        }


def episode_scenario(episode: Episode) -> Scenario:
    """The episode's scenario, which must start before the control."""
    if isinstance(episode.scenario, dict):
        scenario = Scenario.model_validate(episode.scenario)
    else:
        scenario = open_scenario(episode.scenario).build(episode.variant)
    if episode.control_offset(scenario.start) < 1:
        raise ScenarioError(
            f"episode {episode.id}: the scenario starts {scenario.start}, not before the "
            f"control ({episode.control_start}); a back-test shows the months before"
        )
    return scenario


def _check_sources(episode: Episode, sources: set[str]) -> None:
    """Every check that names its own source names one of the dataset's."""
    for check in episode.checks:
        for key in ("source_id", "reference_source_id"):
            source = getattr(check, key, None)
            if source is not None and source not in sources:
                raise ScenarioError(
                    f"episode {episode.id}, check {check.name}: {key} {source!r} is not in "
                    "the dataset's sources table"
                )


def run_episode(
    name_or_path: str | Path,
    *,
    data: Path | None = None,
    db: Path | None = None,
    store: bool = True,
) -> EpisodeResult:
    """Run one episode on its vintage and evaluate its checks; store the run unless told not."""
    episode = load_episode(name_or_path)
    dataset = load_dataset(data, base_year=episode.base_year)
    sources = set(dataset.table("sources")["source_id"])
    _check_sources(episode, sources)
    observations = load_observations(sources=sources)
    result = simulate(build_network(dataset), episode_scenario(episode), warn=False)
    gaps = result.coverage.warnings
    flows = result.flows()
    checks = [evaluate(check, episode, result, flows, observations) for check in episode.checks]
    out = EpisodeResult(
        episode,
        result,
        flows,
        checks,
        [n.message_en for n in dataset.notices] + [g.message_en for g in gaps],
        [n.message_ja for n in dataset.notices] + [g.message_ja for g in gaps],
    )
    if store:
        with Store(db) as st:
            out.run_id = st.save_run(result)
    return out
