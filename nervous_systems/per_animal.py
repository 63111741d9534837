"""One brain per animal: a brain rebuilt at every episode from parameters drawn from the seed.

The connectome brains are built once per run and reused across episodes, so two seeds differ
only in noise and initial state. Real animals of one strain also differ in how strong their
connections are. :class:`PerAnimalBrain` wraps a ``build(rng)`` callable: at every
``reset(seed)`` it builds a fresh inner brain with ``rng = numpy.random.default_rng([seed,
ANIMAL_STREAM])`` (so the draw is fixed by the seed and independent of the noise stream), resets
it with the same seed and forwards the Brain protocol to it. What is drawn is the organism's
choice (``organisms.c_elegans``: per-class connection strengths); ``describe(rng_seed)`` says it in
``info()["animal"]`` of every episode.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

# a fixed second key of the per-animal generator, so that its stream differs from every other
# stream seeded by the episode seed (noise, initial state)
ANIMAL_STREAM = 104729


class PerAnimalBrain:
    """Brain protocol over a brain rebuilt per seed by ``build(rng)``.

    ``build(None)`` must return the population's mean animal (nothing drawn); it is built at
    construction so that attributes (``network``, ``bridge``) can be read before the first
    ``reset``. ``describe`` gives the JSON-able block stored as ``info()["animal"]``.
    """

    def __init__(self, build: Callable[[np.random.Generator | None], Any], describe: dict):
        self._build = build
        self._describe = dict(describe)
        self._seed: int | None = None
        self.inner = build(None)

    def reset(self, seed: int | None = None) -> None:
        old = self.inner
        rng = np.random.default_rng(None if seed is None else [int(seed), ANIMAL_STREAM])
        self.inner = self._build(rng)
        if hasattr(old, "close"):
            old.close()
        self._seed = None if seed is None else int(seed)
        self.inner.reset(seed)

    def act(self, observation) -> np.ndarray:
        return self.inner.act(observation)

    def record(self) -> dict:
        return self.inner.record() if hasattr(self.inner, "record") else {}

    def info(self) -> dict:
        base = self.inner.info() if hasattr(self.inner, "info") else {}
        return {**base, "animal": {**self._describe, "seed": self._seed}}

    def close(self) -> None:
        if hasattr(self.inner, "close"):
            self.inner.close()

    def __getattr__(self, name: str):
        # everything else (stimulate, network, bridge, label, ...) is the current animal's
        if name in ("inner", "_build", "_describe", "_seed"):
            raise AttributeError(name)
        return getattr(self.inner, name)


def lognormal_factors(rng: np.random.Generator, n: int, cv: float) -> np.ndarray:
    """``n`` independent log-normal factors with mean 1 and coefficient of variation ``cv``."""
    if cv <= 0:
        return np.ones(n)
    s2 = np.log1p(float(cv) ** 2)
    return np.exp(rng.normal(-0.5 * s2, np.sqrt(s2), n))
