"""The ``reflex`` brain for C. elegans: a hand-written controller, no connectome.

A central pattern generator (a sinusoidal travelling wave of muscle activation at the real
crawling frequency and wavelength) plus a klinokinesis rule (Pierce-Shimomura et al. 1999,
doi:10.1523/JNEUROSCI.19-21-09557.1999): while the NaCl concentration at the nose falls, the
probability per second of a pirouette (reversal, then an omega-like deep ventral turn) is high;
while it rises, low. This is the "lookup table" that a behavioural test alone cannot tell apart
from a brain: it belongs in every scorecard as the behaviour-only baseline.
"""

from __future__ import annotations

import numpy as np

from bodies.worm import travelling_wave
from bodies.worm.body import MUSCLE_NAMES

_VENTRAL = np.array([n[1] == "V" for n in MUSCLE_NAMES])


class ReflexBrain:
    def __init__(self, control_dt: float, frequency: float = 0.3, wavelength: float = 0.65,
                 amplitude: float = 0.7, rate_down: float = 0.25, rate_up: float = 0.01,
                 tau_dcdt: float = 1.0, reversal_s: float = 2.0, turn_s: float = 1.5):
        self.dt = control_dt
        self.f, self.lam, self.amp = frequency, wavelength, amplitude
        self.rate_down, self.rate_up = rate_down, rate_up  # pirouettes per s
        self.a = 1.0 - np.exp(-control_dt / tau_dcdt)
        self.reversal_s, self.turn_s = reversal_s, turn_s
        self.reset(None)

    def reset(self, seed: int | None = None) -> None:
        self.rng = np.random.default_rng(seed)
        self.t = 0.0
        self.phase = 0.0
        self.dcdt = 0.0
        self.mode, self.mode_left = "forward", 0.0
        self.n_pirouettes = 0

    def act(self, obs) -> np.ndarray:
        self.dcdt += self.a * (float(np.asarray(obs["dcdt"]).reshape(-1)[0]) - self.dcdt)
        self.t += self.dt
        if self.mode == "forward":
            rate = self.rate_down if self.dcdt < 0 else self.rate_up
            if self.rng.random() < rate * self.dt:
                self.mode, self.mode_left = "reverse", self.reversal_s
                self.n_pirouettes += 1
        else:
            self.mode_left -= self.dt
            if self.mode_left <= 0:
                if self.mode == "reverse":
                    self.mode, self.mode_left = "turn", self.turn_s
                else:
                    self.mode = "forward"
        direction = -1 if self.mode == "reverse" else 1
        self.phase += 2 * np.pi * self.f * self.dt * direction
        act = travelling_wave(0.0, self.f, self.lam, self.amp, direction=1, phase=-self.phase)
        if self.mode == "turn":  # omega turn: deep ventral bend of the anterior body
            act = np.where(_VENTRAL, np.maximum(act, 0.8), act * 0.2)
        return act.astype(np.float32)

    def info(self) -> dict:
        return {"brain": "reflex", "controller": "CPG travelling wave + klinokinesis (Pierce-Shimomura 1999)",
                "frequency_hz": self.f, "wavelength_bl": self.lam,
                "pirouette_rate_per_s": {"dC/dt<0": self.rate_down, "dC/dt>=0": self.rate_up},
                "connectome": None}
