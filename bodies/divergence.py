"""Divergence checks shared by the bodies that integrate their own medium forces."""

from __future__ import annotations

import math

import mujoco
import numpy as np

from . import BodyDivergedError


def check_state(label: str, data: mujoco.MjData, warn0: np.ndarray, time: float, hint: str) -> None:
    """Raise :class:`BodyDivergedError` if qpos/qvel/act went non-finite or MuJoCo raised a
    warning since ``warn0`` (it then resets the state silently); ``hint`` ends that message."""
    d = data
    if not math.isfinite(float(d.qpos.sum() + d.qvel.sum() + d.act.sum())):
        for name, arr in (("qpos", d.qpos), ("qvel", d.qvel), ("act", d.act)):
            if not np.all(np.isfinite(arr)):
                raise BodyDivergedError(f"{label} body diverged at t={time:.4f} s: non-finite {name}")
    warn = d.warning.number
    if (warn > warn0).any():
        names = [mujoco.mjtWarning(i).name for i in np.nonzero(warn > warn0)[0]]
        raise BodyDivergedError(
            f"{label} body diverged at t={time:.4f} s: MuJoCo warnings {names} ({hint})")
