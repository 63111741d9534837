"""The action check every env's ``step`` makes: the right shape, finite values, and an error that
names the step, the time and the offending actuators."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np


def checked_action(action, shape: tuple[int, ...], names: Sequence[str], step: int, t: float) -> np.ndarray:
    """``action`` as float64, or ``ValueError`` naming step ``step`` (time ``t`` s) and, for NaN/Inf,
    the first five actuators of ``names`` that carry one."""
    a = np.asarray(action, dtype=np.float64)
    if a.shape != tuple(shape):
        raise ValueError(f"step {step}: action must have shape {tuple(shape)} "
                         f"(actuators {names[0]}..{names[-1]}), got {a.shape}")
    if not np.all(np.isfinite(a)):
        bad = [names[i] for i in np.nonzero(~np.isfinite(a))[0][:5]]
        raise ValueError(f"step {step} (t={t:.3f} s): action contains NaN/Inf (actuators {bad})")
    return a
