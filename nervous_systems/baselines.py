"""Baseline brains, registered for every organism: ``null`` and ``random``.

These are the control brains every scorecard should include next to a connectome brain,
so a reader sees what the connectome adds (see DESIGN.md, "Honesty rules"):

``null``
    No motor output at all: every action is the all-zero vector (clipped into the action
    space, so a space whose lower bound is above zero gets its lower bound). A body driven by
    the null brain should not move under its own power.
``random``
    Uniform random actions in the action space from the brain's own
    :class:`numpy.random.Generator`, seeded in :meth:`RandomBrain.reset`. Option
    ``smoothing`` in [0, 1) low-pass filters the sequence (``a_t = s·a_{t-1} + (1-s)·u_t``),
    which gives slowly wandering, less jerky motor noise; 0 (default) is white noise.

Both accept no other options: an unknown option raises ``TypeError`` naming the brain, so a
``--lesion`` passed to a brain without neurons fails loudly instead of being ignored.
"""

from __future__ import annotations

import numpy as np
from gymnasium import spaces

from .brain import register_brain


def _reject_options(brain: str, options: dict) -> None:
    if options:
        raise TypeError(f"brain {brain!r} takes no option(s) {', '.join(sorted(options))}")


class NullBrain:
    """All-zero action (clipped into the action space): no motor output."""

    def __init__(self, organism: str, observation_space=None, action_space=None, control_dt=None, **options):
        _reject_options("null", options)
        if action_space is None:
            raise ValueError("brain 'null' needs an action_space")
        self.organism = organism
        self.action_space = action_space
        self._action = self._zero(action_space)

    @staticmethod
    def _zero(space):
        if isinstance(space, spaces.Box):
            return np.clip(np.zeros(space.shape, dtype=space.dtype), space.low, space.high)
        if isinstance(space, spaces.Discrete):
            return np.int64(space.start)
        if isinstance(space, spaces.Dict):
            return {k: NullBrain._zero(s) for k, s in space.spaces.items()}
        raise TypeError(f"brain 'null' does not support action space {space!r}")

    def reset(self, seed: int | None = None) -> None:
        pass

    def act(self, observation):
        if isinstance(self._action, np.ndarray):
            return self._action.copy()
        return self._action

    def info(self) -> dict:
        return {"brain": "null", "kind": "control",
                "description": "no motor output (all-zero action)"}


class RandomBrain:
    """Uniform random actions from its own generator (seeded in reset), optionally smoothed."""

    def __init__(self, organism: str, observation_space=None, action_space=None, control_dt=None,
                 smoothing: float = 0.0, **options):
        _reject_options("random", options)
        if not isinstance(action_space, spaces.Box):
            raise TypeError(f"brain 'random' needs a Box action space, got {action_space!r}")
        if not 0.0 <= float(smoothing) < 1.0:
            raise ValueError(f"brain 'random': smoothing must be in [0, 1), got {smoothing}")
        if not (np.all(np.isfinite(action_space.low)) and np.all(np.isfinite(action_space.high))):
            raise ValueError("brain 'random' needs a bounded Box action space")
        self.organism = organism
        self.action_space = action_space
        self.smoothing = float(smoothing)
        self._rng = np.random.default_rng()
        self._prev: np.ndarray | None = None

    def reset(self, seed: int | None = None) -> None:
        self._rng = np.random.default_rng(seed)
        self._prev = None

    def act(self, observation) -> np.ndarray:
        space = self.action_space
        u = self._rng.uniform(space.low, space.high, size=space.shape)
        if self._prev is not None and self.smoothing > 0:
            u = self.smoothing * self._prev + (1.0 - self.smoothing) * u
        self._prev = u
        return u.astype(space.dtype, copy=False)

    def info(self) -> dict:
        return {"brain": "random", "kind": "control", "smoothing": self.smoothing,
                "description": "uniform random actions" +
                (f", low-pass smoothed (s={self.smoothing})" if self.smoothing else "")}


register_brain("null", NullBrain, None, description="control: no motor output (all-zero action)")
register_brain("random", RandomBrain, None,
               description="control: uniform random actions (option smoothing in [0,1))")
