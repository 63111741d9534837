"""Prescribed muscle activation patterns (for calibration, tests and reflex baselines)."""

from __future__ import annotations

import numpy as np

from .body import MUSCLE_NAMES, N_MUSCLE_ROWS

_ROWS = np.array([int(n[3:]) - 1 for n in MUSCLE_NAMES])  # 0..23, anterior -> posterior
_VENTRAL = np.array([n[1] == "V" for n in MUSCLE_NAMES])


def travelling_wave(
    t: float,
    frequency: float = 0.3,
    wavelength: float = 0.65,
    amplitude: float = 0.7,
    direction: int = +1,
    phase: float = 0.0,
) -> np.ndarray:
    """(95,) activations of a sinusoidal bending wave, MUSCLE_NAMES order.

    The net command of muscle row i (centred at body coordinate u_i = (i-0.5)/24, in body
    lengths) is ``amplitude * sin(2π (u_i / wavelength - direction * frequency * t) + phase)``:
    positive values drive the ventral muscles of the row, negative the dorsal ones (antagonists
    rectified, as in the alternating D/V activity of the real worm). ``direction=+1`` sends the
    wave from head to tail (forward locomotion), ``-1`` from tail to head (reversal).
    """
    u = (_ROWS + 0.5) / N_MUSCLE_ROWS
    s = amplitude * np.sin(2 * np.pi * (u / wavelength - direction * frequency * t) + phase)
    return np.where(_VENTRAL, np.clip(s, 0.0, 1.0), np.clip(-s, 0.0, 1.0))
