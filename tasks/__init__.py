"""Gymnasium tasks of connectome-gym, registered under the ``cgym/`` namespace.

Importing :mod:`tasks` registers every env with Gymnasium::

    import gymnasium as gym
    import tasks
    env = gym.make("cgym/CElegansChemotaxis-v0")

:data:`TASKS` maps a task name (``"celegans/chemotaxis"``) to a :class:`TaskSpec`: the env id,
the organism, the behaviour feature extractor and the reference library (both named by string,
resolved by whoever needs them). Tasks import only :mod:`bodies`.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass

import gymnasium

__all__ = ["TASKS", "TaskSpec", "task_spec", "ENV_IDS"]


@dataclass(frozen=True)
class TaskSpec:
    env_id: str
    organism: str
    features: str  # "module:function" extracting behaviour features from a recorded episode
    reference: str  # name of the reference behaviour library
    description: str = ""
    # "module:function(task, runs, out_dir) -> list[Path]": the task's scorecard figures
    # (a per-metric figure is drawn for every task in any case)
    plots: str | None = None
    # "module:function(task, runs) -> list[dict(title=, markdown=, data=)]": extra scorecard
    # sections for this task (e.g. a neural metric, the bridge's modelling assumptions)
    sections: str | None = None


TASKS: dict[str, TaskSpec] = {
    "celegans/chemotaxis": TaskSpec(
        env_id="cgym/CElegansChemotaxis-v0",
        organism="celegans",
        features="tasks.chemotaxis.features:extract_features",
        reference="celegans_chemotaxis",
        description=(
            "Adult C. elegans crawling on agar toward an NaCl peak (salt chemotaxis); 95 muscle "
            "activations in, nose concentration/dC/dt/curvature/touch out; 60 s episodes."
        ),
        plots="runners.scoring.plots:chemotaxis_figures",
    ),
    "zebrafish/optomotor": TaskSpec(
        env_id="cgym/ZebrafishOptomotor-v0",
        organism="zebrafish",
        features="tasks.optomotor.features:extract_features",
        reference="zebrafish_optomotor",
        description=(
            "5-7 dpf larval zebrafish over a grating (10 s rest / 10 s motion toward one side / "
            "10 s rest, direction relative to the fish, side randomised); 24 tail muscle "
            "activations in, eye luminance samples and tail proprioception out; 2 ms control step. "
            "Task option coherence=0..1 selects the random-dot paradigm of Bahl & Engert 2020 "
            "(random_dots schedule; rests show the dots at 0 % coherence, rest_dots=static freezes them)."
        ),
        plots="tasks.optomotor.plots:optomotor_figures",
        sections="organisms.zebrafish.neural_metric:scorecard_sections",
    ),
    "zebrafish/spontaneous": TaskSpec(
        env_id="cgym/ZebrafishSpontaneous-v0",
        organism="zebrafish",
        features="tasks.optomotor.features:extract_features",
        reference="zebrafish_spontaneous_legoc2021",
        description=(
            "5-7 dpf larval zebrafish swimming spontaneously over a static grating for 30 s; "
            "bout statistics scored against per-fish data of Le Goc et al. 2021."
        ),
        plots="tasks.optomotor.plots:optomotor_figures",
    ),
    "drosophila/grooming": TaskSpec(
        env_id="cgym/DrosophilaGrooming-v0",
        organism="drosophila",
        features="tasks.grooming.features:extract_features",
        reference="drosophila_grooming",
        description=(
            "Adult Drosophila (flybody) standing on a floor; one or both antennae deflected on a "
            "schedule (default 1 s rest, 2 s stimulus, 1 s rest); 57 normalised actuator targets in, "
            "antennal deflection/contact and leg proprioception out; 4 s episodes."
        ),
        plots="tasks.grooming.plots:grooming_figures",
        sections="tasks.grooming.neural:scorecard_sections",
    ),
}

_ENTRY_POINTS = {
    "cgym/CElegansChemotaxis-v0": "tasks.chemotaxis.env:CElegansChemotaxisEnv",
    "cgym/ZebrafishOptomotor-v0": "tasks.optomotor.env:ZebrafishOptomotorEnv",
    "cgym/ZebrafishSpontaneous-v0": "tasks.optomotor.env:ZebrafishSpontaneousEnv",
    "cgym/DrosophilaGrooming-v0": "tasks.grooming.env:DrosophilaGroomingEnv",
}

for _id, _entry in _ENTRY_POINTS.items():
    if _id not in gymnasium.registry:
        # no max_episode_steps: the env truncates at its own `duration` (no TimeLimit wrapper)
        gymnasium.register(id=_id, entry_point=_entry)

ENV_IDS: tuple[str, ...] = tuple(_ENTRY_POINTS)


def task_spec(name: str) -> TaskSpec:
    """The :class:`TaskSpec` of ``name`` (e.g. ``"celegans/chemotaxis"``)."""
    try:
        return TASKS[name]
    except KeyError:
        close = difflib.get_close_matches(str(name), list(TASKS), n=3, cutoff=0.4)
        hint = f" Did you mean: {', '.join(close)}?" if close else ""
        raise KeyError(f"unknown task {name!r}; known tasks: {', '.join(TASKS)}.{hint}") from None
