"""Prescribed muscle activation patterns of the larva (calibration, tests, simple policies)."""

from __future__ import annotations

import numpy as np

from .body import N_JOINTS


def travelling_wave(
    t: float,
    frequency: float = 29.0,
    amplitude: float = 0.8,
    wavelength: float = 1.0,
    bias: float = 0.0,
    phase: float = 0.0,
    envelope: float = 1.0,
) -> np.ndarray:
    """(2·N_J,) activations [L_1..L_NJ, R_1..R_NJ] of a head-to-tail bending wave.

    The net command of joint j (at tail coordinate u_j = (j-1)/N_J, in tail lengths) is
    ``c_j = envelope * amplitude * sin(2π (frequency t - u_j / wavelength) + phase) + bias``;
    c_j > 0 drives the left muscle with c_j, c_j < 0 the right one with -c_j (antagonists
    alternate, as in the real left–right alternation of the spinal CPG). ``bias`` > 0 adds a
    sustained left bend (turn to the left), < 0 to the right.
    """
    u = np.arange(N_JOINTS) / N_JOINTS
    c = envelope * amplitude * np.sin(2 * np.pi * (frequency * t - u / wavelength) + phase) + bias
    return np.concatenate([np.clip(c, 0.0, 1.0), np.clip(-c, 0.0, 1.0)])


def bout(
    t: float,
    onset: float = 0.0,
    duration: float = 0.16,
    frequency: float = 29.0,
    amplitude: float = 0.8,
    wavelength: float = 1.0,
    turn: float = 0.0,
    turn_halfbeats: float = 1.0,
    decay: float = 0.0,
) -> np.ndarray:
    """(2·N_J,) activations of one swim bout: a travelling wave from ``onset`` for ``duration``
    seconds (zero outside). ``turn`` in [-1, 1] makes the first ``turn_halfbeats`` half-beats
    asymmetric: the wave is biased to the left (turn > 0, the fish turns left) or right; the
    rest of the bout is symmetric (the larva's turn is set by its first half-beats). ``decay``
    in [0, 1) lets the amplitude fall linearly to ``1 - decay`` of its start by the end of the
    bout (larval tail beats are largest at the start of a bout and wane)."""
    tau = t - onset
    if tau < 0 or tau >= duration:
        return np.zeros(2 * N_JOINTS)
    bias = turn * amplitude if tau < turn_halfbeats * 0.5 / frequency else 0.0
    # start each bout at phase 0 with a left bend for turn >= 0, right bend for turn < 0
    phase = 0.0 if turn >= 0 else np.pi
    env = 1.0 - decay * tau / duration
    return travelling_wave(tau, frequency, amplitude, wavelength, bias=bias * env, phase=phase, envelope=env)
