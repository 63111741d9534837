"""Evoked-turn and posture-bias diagnostics of the worm: sign conventions against the real body."""

from __future__ import annotations

import numpy as np
import pytest

from bodies.worm.body import MUSCLE_NAMES
from organisms.c_elegans.tools.evoked_turn import (
    episode_metrics,
    head_curvature,
)
from organisms.c_elegans.tools.posture_bias import (
    curvature_bands,
    drift,
    muscle_ventral_minus_dorsal,
)


def straight_worm(theta_deg, centre, n=25, length=1.0):
    """(T, n, 2) centrelines, nose first, body axis at theta (deg) pointing from tail to nose."""
    th = np.deg2rad(np.asarray(theta_deg, float))[:, None]
    s = np.linspace(length / 2, -length / 2, n)[None, :]
    return np.stack([centre[:, :1] + s * np.cos(th), centre[:, 1:] + s * np.sin(th)], axis=2)


def test_head_curvature_reads_the_head_band_only():
    n = 25
    psi = np.zeros((1, n - 1))
    psi[0, 3:6] = np.cumsum(np.full(3, 0.1))       # a bend at 10-30 % of the body only
    psi[0, 6:] = psi[0, 5]
    seg = 1.0 / (n - 1)
    pts = np.concatenate([[[0.0, 0.0]], np.cumsum(np.stack([np.cos(psi[0]), np.sin(psi[0])], 1) * seg, 0)])
    assert head_curvature(pts[None])[0] > 0.5
    assert curvature_bands(pts[None])["tail"] == pytest.approx(0.0, abs=1e-9)


def test_episode_metrics_reads_a_backward_pulse_and_a_clockwise_turn():
    t = np.arange(0, 20.0001, 0.04)
    theta = np.where(t < 11, 90.0, 90.0 - 30.0 * np.clip((t - 11) / 2, 0, 1))   # 30 deg clockwise after 11 s
    y = np.where(t < 8, 0.2 * t, np.where(t < 11, 1.6 - 0.1 * (t - 8), 1.3))      # backward during 8-11 s
    cl = straight_worm(theta, np.stack([np.zeros_like(t), y], axis=1))
    m = episode_metrics(t, cl, 8.0, 11.0, 4.0)
    assert m["v_pulse"] == pytest.approx(-0.1, abs=0.01)
    assert m["dtheta"] == pytest.approx(-30.0, abs=0.5) and m["ventral"] == 1.0
    cl_ccw = straight_worm(180.0 - theta, np.stack([np.zeros_like(t), y], axis=1))
    assert episode_metrics(t, cl_ccw, 8.0, 11.0, 4.0)["ventral"] == 0.0
    with pytest.raises(ValueError, match="outside the episode"):
        episode_metrics(t, cl, 8.0, 11.0, 30.0)


def test_drift_of_a_worm_circling_clockwise():
    R, v = 3.0, 0.2                                     # mm, mm/s
    t = np.arange(0, 60.0001, 0.04)
    phi = -v * t / R                                    # clockwise around the origin
    centre = np.stack([R * np.cos(phi), R * np.sin(phi)], axis=1)
    cl = straight_worm(np.rad2deg(phi) - 90.0, centre)  # tangent to the circle, moving clockwise
    deg_s, deg_mm = drift(t, cl)
    assert deg_s == pytest.approx(-np.rad2deg(v / R), rel=0.01)
    assert deg_mm == pytest.approx(-np.rad2deg(1 / R), rel=0.01)


def test_muscle_ventral_minus_dorsal_ignores_the_unfilled_last_row():
    a = np.array([[0.6 if n[1] == "V" else 0.2 for n in MUSCLE_NAMES]] * 3 + [[np.nan] * len(MUSCLE_NAMES)])
    assert muscle_ventral_minus_dorsal(a, MUSCLE_NAMES) == pytest.approx(0.4)
