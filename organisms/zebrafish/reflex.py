"""Behaviour-only baseline: leaky integrator of whole-field motion + stochastic bout clock.

After Bahl & Engert 2020 (Nat Neurosci 23:94, doi:10.1038/s41593-019-0534-9): the fish
integrates left-right motion evidence with a leaky integrator (tau ~ 1 s) and emits bouts at a
rate that grows with the evidence; the turn direction of a bout follows the sign of the
integrated evidence. No neurons and no connectome: the same Reichardt retina as the circuit, a
numpy integrator, and a prescribed tail pattern per bout (a 29 Hz travelling wave for 160 ms,
with a stronger first half-beat toward the turn side).
"""

from __future__ import annotations

import numpy as np

from .retina import ReichardtRetina, default_eye_points


class ReflexBrain:
    def __init__(self, n_seg: int, control_dt: float, n_eye_samples: int, tau_int: float = 1.0,
                 h0: float = 1.2, h1: float = 3.0, turn_gain: float = 6.0, beat_hz: float = 29.0,
                 bout_s: float = 0.16, refractory_s: float = 0.2, amplitude: float = 0.8,
                 turn_amplitude: float = 0.5, eye_points=None, gain: float = 9.0):
        self.n, self.dt = int(n_seg), float(control_dt)
        pts = default_eye_points(n_eye_samples) if eye_points is None else np.asarray(eye_points, float)
        self.retina = ReichardtRetina(pts, self.dt, gain=gain)
        self.tau, self.h0, self.h1, self.k = tau_int, h0, h1, turn_gain
        self.f, self.T, self.refr = beat_hz, bout_s, refractory_s
        self.amp, self.turn_amp = amplitude, turn_amplitude
        self.reset(None)

    def reset(self, seed=None) -> None:
        self.rng = np.random.default_rng(seed)
        self.retina.reset()
        self.x_lr = 0.0   # integrated leftward - rightward evidence
        self.x_f = 0.0    # integrated forward evidence
        self.t_bout = -np.inf
        self.t = 0.0
        self.side = 0.0
        self._rec_t, self._rec_v = [], []

    def act(self, obs) -> np.ndarray:
        ds = self.retina.step(obs["eye_left"], obs["eye_right"]).sum(0)  # F, B, L, R
        a = self.dt / self.tau
        self.x_lr += a * ((ds[2] - ds[3]) - self.x_lr)
        self.x_f += a * ((ds[0] - ds[1]) - self.x_f)
        since = self.t - self.t_bout
        if since > self.T + self.refr:
            hazard = self.h0 + self.h1 * (abs(self.x_lr) + max(self.x_f, 0.0))
            if self.rng.random() < hazard * self.dt:
                self.t_bout, since = self.t, 0.0
                p_left = 1.0 / (1.0 + np.exp(-self.k * self.x_lr))
                self.side = 1.0 if self.rng.random() < p_left else -1.0
                self.side *= min(1.0, abs(self.x_lr) * self.k / 2 + 0.3)
        out = np.zeros(2 * self.n, np.float32)
        if since < self.T:
            seg = np.arange(self.n)
            phase = 2 * np.pi * (self.f * since - 0.5 * seg / self.n)
            wave = np.sin(phase)
            first = since < 0.5 / self.f
            bias = self.turn_amp * self.side if first else 0.0
            out[: self.n] = np.clip(self.amp * np.clip(wave, 0, None) + np.clip(bias, 0, None), 0, 1)
            out[self.n:] = np.clip(self.amp * np.clip(-wave, 0, None) + np.clip(-bias, 0, None), 0, 1)
        self.t += self.dt
        self._rec_t.append(self.t)
        self._rec_v.append([self.x_lr, self.x_f, float(since < self.T)])
        return out

    def record(self) -> dict:
        v = np.asarray(self._rec_v, np.float32).reshape(-1, 3)
        return {"t": np.asarray(self._rec_t, float), "v": v,
                "names": np.asarray(["evidence_left_minus_right", "evidence_forward", "bout_gate"]),
                "unit": "dimensionless"}

    def info(self) -> dict:
        return {"brain": "reflex", "model": "leaky integrator + bout clock (Bahl & Engert 2020)",
                "tau_int_s": self.tau, "h0_hz": self.h0, "h1_hz": self.h1, "beat_hz": self.f}
