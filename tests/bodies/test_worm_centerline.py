"""bodies.worm.centerline: the sign conventions on the real body, and the geometry on known shapes."""

from __future__ import annotations

import numpy as np
import pytest

from bodies.worm import centerline as geo
from bodies.worm.body import MUSCLE_NAMES, WormBody


def test_a_ventral_bend_of_the_body_is_positive_curvature_and_turns_the_nose_clockwise():
    body = WormBody()
    body.reset()
    h0 = body.heading()
    head = np.array([0.8 if n[1] == "V" and int(n[-2:]) <= 6 else 0.0 for n in MUSCLE_NAMES])
    body.step(head, n_steps=150)
    kappa, frac = geo.curvature(body.centerline())
    assert kappa.shape == (1, body.centerline().shape[0] - 2)
    assert kappa[0, frac < 0.2].mean() > 1.0                     # + = ventral
    assert np.sign(body.curvature()[:4].mean()) == 1            # the body's own convention agrees
    assert body.heading() < h0 - 0.5                             # the nose turned clockwise


def test_arc_has_its_curvature_and_axis_heading():
    R, n = 2.0, 25
    a = np.linspace(0.0, -0.5, n)                     # nose at angle 0, tail clockwise around
    cl = np.stack([R * np.cos(a), R * np.sin(a)], axis=1)
    kappa, frac = geo.curvature(cl)
    assert np.allclose(np.abs(kappa), 1 / R, rtol=1e-3)
    assert frac[0] > 0 and frac[-1] < 1 and np.all(np.diff(frac) > 0)
    straight = np.stack([np.linspace(1, 0, n), np.zeros(n)], axis=1)   # nose at +x
    assert geo.axis_heading_deg(straight)[0] == pytest.approx(0.0)
    assert np.allclose(geo.axis_unit(straight), [[1.0, 0.0]])


def test_axial_velocity_sign_and_unwrapped_heading():
    t = np.linspace(0, 10, 101)
    n = 25
    body = np.linspace(0.5, -0.5, n)
    cl = np.stack([body[None, :] - 0.1 * t[:, None], np.zeros((t.size, n))], axis=2)   # tail first
    assert np.allclose(geo.axial_velocity(t, cl), -0.1)
    ang = np.deg2rad(np.linspace(170, 190, t.size))                                      # crosses 180
    rot = np.stack([np.cos(ang)[:, None] * body, np.sin(ang)[:, None] * body], axis=2)
    h = geo.axis_heading_deg(rot, unwrap=True)
    assert h[-1] - h[0] == pytest.approx(20.0, abs=1e-6)


def test_bad_shape_is_a_clear_error():
    with pytest.raises(ValueError, match="expected"):
        geo.curvature(np.zeros((5, 3)))
