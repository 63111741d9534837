"""A plug-in brain from a separate package: a travelling sine wave over the action vector.

Installed with ``pip install -e examples/plugin_brain`` it registers through the ``cgym.brains``
entry point as ``sinewave`` and appears in ``cgym list`` and ``cgym suite`` with no code change
in connectome-gym. It ignores its observations: a lookup-table-like control brain.
"""

from __future__ import annotations

import numpy as np


class SineWaveBrain:
    def __init__(self, action_space, control_dt: float | None, frequency_hz: float = 0.3,
                 wavelength: float = 0.65):
        self.space = action_space
        self.dt = float(control_dt or 0.02)
        self.f, self.wl = float(frequency_hz), float(wavelength)
        self.t = 0.0

    def reset(self, seed=None) -> None:
        self.t = 0.0

    def act(self, observation) -> np.ndarray:
        shape = self.space.shape
        n = int(np.prod(shape)) if shape else 1
        phase = 2 * np.pi * (self.f * self.t - np.linspace(0, 1, n) / self.wl)
        self.t += self.dt
        lo = np.broadcast_to(np.asarray(self.space.low, float), shape).ravel()
        hi = np.broadcast_to(np.asarray(self.space.high, float), shape).ravel()
        lo, hi = np.where(np.isfinite(lo), lo, -1.0), np.where(np.isfinite(hi), hi, 1.0)
        a = lo + (hi - lo) * 0.5 * (1 + np.sin(phase))
        return a.reshape(shape).astype(self.space.dtype)

    def info(self) -> dict:
        return {"brain": "sinewave", "description": f"plug-in travelling sine wave, {self.f} Hz "
                "(package cgym-plugin-brain, examples/plugin_brain)"}


def make_brain(organism, observation_space, action_space, control_dt=None, **options):
    return SineWaveBrain(action_space, control_dt, **options)
