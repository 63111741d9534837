"""The C. elegans body: muscles, anisotropic drag, calibration, invariance, error handling."""

import numpy as np
import pytest

from bodies import BodyDivergedError
from bodies.worm import MUSCLE_NAMES, WormBody, travelling_wave
from bodies.worm.calibrate import CRAWL, SWIM, measure_gait

# Figures written in bodies/worm/README.md (python -m bodies.worm.calibrate); the tests check
# the body still reproduces them.
README_AGAR_SPEED = 0.1455  # mm/s
README_AGAR_RMS_CURVATURE = 4.37  # 1/mm


def _gait(medium="agar", direction=+1, cycles=1, **kw):
    cfg = dict(CRAWL if medium == "agar" else SWIM)
    cfg.pop("medium")
    body = WormBody(medium=medium, **kw)
    body.reset()
    return measure_gait(body, direction=direction, cycles=cycles, settle_cycles=0.5, **cfg)


def test_muscle_names_and_actuators():
    assert len(MUSCLE_NAMES) == 95
    assert MUSCLE_NAMES[:2] == ("MDL01", "MDL02") and MUSCLE_NAMES[-1] == "MVR24"
    assert "MVL24" not in MUSCLE_NAMES and "MVL23" in MUSCLE_NAMES
    body = WormBody()
    import mujoco

    names = [mujoco.mj_id2name(body.model, mujoco.mjtObj.mjOBJ_ACTUATOR, i) for i in range(body.model.nu)]
    assert tuple(names) == MUSCLE_NAMES


def test_ventral_muscles_bend_ventrally_positive_curvature():
    # in water (on agar the whole-body bending mode relaxes over tens of seconds)
    body = WormBody(medium="water")
    body.reset()
    a = np.zeros(95)
    a[[i for i, n in enumerate(MUSCLE_NAMES) if n.startswith("MV")]] = 0.5
    body.step(a, 1000)
    k = body.curvature()
    assert k.shape == (23,) and np.all(k[2:-2] > 1.0), k
    a = np.zeros(95)
    a[[i for i, n in enumerate(MUSCLE_NAMES) if n.startswith("MD")]] = 0.5
    body.reset()
    body.step(a, 1000)
    assert np.all(body.curvature()[2:-2] < -1.0)


def test_sensors_shapes_and_reset_pose():
    body = WormBody(n_segments=16)
    body.reset(position=(1.0, -2.0), heading=np.pi / 2)
    assert np.allclose(body.nose(), (1.0, -2.0))
    assert body.heading() == pytest.approx(np.pi / 2)
    cl = body.centerline()
    assert cl.shape == (17, 2) and np.allclose(cl[0], body.nose())
    assert np.allclose(cl[-1], (1.0, -3.0))  # straight body, tail 1 mm behind the nose
    assert body.curvature().shape == (15,)
    with pytest.raises(ValueError):
        WormBody(n_segments=8)


def test_travelling_wave_crawls_forward_on_agar():
    r = _gait("agar")
    print(f"\n[agar crawl, prescribed wave {CRAWL}] {r}")
    assert r["wave_direction"] == "head-to-tail"
    # kinematic ceiling f*lambda*L = 0.195 mm/s: see README ("Calibration")
    assert 0.10 < r["speed_mm_s"] < 0.20
    assert r["speed_mm_s"] == pytest.approx(README_AGAR_SPEED, rel=0.05)
    assert r["frequency_hz"] == pytest.approx(0.3, abs=0.05)
    assert r["wavelength_body_lengths"] == pytest.approx(0.65, abs=0.05)
    assert 3.0 < r["rms_curvature_per_mm"] < 6.0
    assert r["rms_curvature_per_mm"] == pytest.approx(README_AGAR_RMS_CURVATURE, rel=0.05)


def test_reverse_wave_moves_backward():
    r = _gait("agar", direction=-1)
    print(f"\n[agar reverse wave] {r}")
    assert r["speed_mm_s"] < -0.08


def test_swims_forward_in_water():
    r = _gait("water")
    print(f"\n[water swim, prescribed wave {SWIM}] {r}")
    assert r["speed_mm_s"] > 0.02


def test_mass_scale_invariance():
    base = WormBody().mass_scale
    r1 = _gait("agar", mass_scale=base * 0.5)
    r2 = _gait("agar", mass_scale=base * 2.0)
    print(f"\n[mass x0.5] {r1}\n[mass x2] {r2}")
    assert r1["speed_mm_s"] == pytest.approx(r2["speed_mm_s"], rel=0.02)
    assert r1["rms_curvature_per_mm"] == pytest.approx(r2["rms_curvature_per_mm"], rel=0.02)
    assert r1["wavelength_body_lengths"] == pytest.approx(r2["wavelength_body_lengths"], rel=0.02)


def test_nan_and_bad_shape_activation_raise_value_error():
    body = WormBody()
    a = np.zeros(95)
    a[3] = np.nan
    with pytest.raises(ValueError, match="NaN"):
        body.step(a, 1)
    with pytest.raises(ValueError, match="shape"):
        body.step(np.zeros(94), 1)


def test_forced_divergence_raises(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # MuJoCo writes MUJOCO_LOG.TXT to the cwd on warnings
    body = WormBody(medium="agar", mass_scale=1.0)  # real mass: dt >> 2 m/c, explicit drag blows up
    body.reset(curvature=2.0)
    with pytest.raises(BodyDivergedError, match=r"t=\d"):
        for k in range(100):
            body.step(travelling_wave(body.time), 5)
    body = WormBody()
    body.reset()
    body.data.qvel[0] = 1e9
    with pytest.raises(BodyDivergedError, match="velocity"):
        body.step(np.zeros(95), 1)
