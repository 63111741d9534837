"""The fast water-force implementation (complex numbers on persistent MjData views) gives the
same forces and trajectories as the reference implementation it replaced.

Tolerance: forces agree to a few ulp (numpy's complex multiply may round the last bit differently
from the separate real products of the reference); a 1 s swim (500 control steps, alternating
tail beats and rest) stays within 1e-9 mm / rad of the reference.
"""

from __future__ import annotations

import mujoco
import numpy as np
import pytest

from bodies.larva.body import LarvaBody


def _drive(k: int) -> np.ndarray:
    ph = 2 * np.pi * 28 * k * 0.002
    on = (k % 150) < 60  # bouts and rest
    s = 0.5 + 0.5 * np.sin(ph)
    return np.r_[np.full(12, s), np.full(12, 1 - s)] * on


def _swim(reference: bool, n: int = 500) -> np.ndarray:
    b = LarvaBody()
    if reference:
        b._apply_water = b._apply_water_reference
    b.reset(position=(1.0, -2.0), heading=0.7)
    out = []
    for k in range(n):
        b.step(_drive(k), 4)
        out.append(np.r_[b.data.qpos, b.data.qvel])
    return np.array(out)


def test_fast_water_forces_match_reference_in_one_state():
    b = LarvaBody()
    b.reset(heading=0.3)
    for k in range(120):
        b.step(_drive(k), 4)
    mujoco.mj_step1(b.model, b.data)
    xm = b.data.xmat[b._bs]  # the fast path reads (R00, R01) as conj(t): needs R01 == -R10 exactly
    assert np.array_equal(xm[:, 1], -xm[:, 3])
    v_prev = b._vc_prev.copy()
    b._v_prev[:] = np.c_[v_prev.real, v_prev.imag]
    b._apply_water_reference()
    ref = b.data.xfrc_applied.copy()
    b.data.xfrc_applied[:] = 0.0
    b._vc_prev[:] = v_prev
    b._apply_water()
    fast = b.data.xfrc_applied.copy()
    assert np.abs(ref).max() > 1.0  # the fish is moving: forces are not trivially zero
    np.testing.assert_allclose(fast, ref, rtol=1e-13, atol=1e-12 * np.abs(ref).max())


def test_fast_water_trajectory_matches_reference():
    fast, ref = _swim(False), _swim(True)
    assert np.hypot(*(fast[-1, :2] - fast[0, :2])) > 1.0  # it swam
    np.testing.assert_allclose(fast, ref, rtol=0, atol=1e-9 * max(1.0, np.abs(ref).max()))


@pytest.mark.parametrize("reactive", [True, False])
def test_fast_water_reactive_switch(reactive):
    b = LarvaBody(reactive=reactive)
    b.reset()
    b.step(_drive(3), 4)
    assert np.all(np.isfinite(b.data.xfrc_applied))


def _swim_backend(use_c: bool, n: int = 500) -> tuple[np.ndarray, str]:
    b = LarvaBody()
    if not use_c:
        b._kernel = None  # the numpy water forces in the Python physics loop
    b.reset(position=(1.0, -2.0), heading=0.7)
    out = []
    for k in range(n):
        b.step(_drive(k), 4)
        out.append(np.r_[b.data.qpos, b.data.qvel, b.data.xfrc_applied.ravel()])
    return np.array(out), b.water_backend


def test_compiled_physics_loop_matches_numpy():
    """The C loop (mj_step1, water_kernel.c, mj_step2) swims the numpy path's trajectory: same
    forces term by term, no fused multiply-adds; differences are rounding (~1e-12)."""
    from bodies.larva import kernel

    if kernel.load() is None or kernel.mujoco_steps() is None:
        pytest.skip("no C compiler / libmujoco here: the body runs the numpy path")
    c, backend_c = _swim_backend(True)
    py, backend_py = _swim_backend(False)
    assert (backend_c, backend_py) == ("c", "numpy")
    assert np.hypot(*(c[-1, :2] - c[0, :2])) > 1.0  # it swam
    np.testing.assert_allclose(c, py, rtol=0, atol=1e-9 * max(1.0, np.abs(py).max()))


def test_swapping_the_water_model_bypasses_the_compiled_loop():
    b = LarvaBody()
    b._apply_water = b._apply_water_reference
    assert b.water_backend == "numpy"


def test_numpy_water_can_be_forced(monkeypatch):
    from bodies.larva import kernel

    monkeypatch.setenv("CGYM_LARVA_WATER", "numpy")
    kernel.load.cache_clear()
    try:
        assert LarvaBody().water_backend == "numpy"
    finally:
        monkeypatch.delenv("CGYM_LARVA_WATER")
        kernel.load.cache_clear()
