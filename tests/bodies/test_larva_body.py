"""The larval zebrafish body: conventions, swim-bout calibration, turning, dt invariance, errors.

Run with ``-s`` to see the calibration figures."""

import math

import mujoco
import numpy as np
import pytest

from bodies import BodyDivergedError, make_body
from bodies.larva import MUSCLE_NAMES, N_JOINTS, LarvaBody, bout
from bodies.larva.calibrate import (CALIBRATION_BOUT, TARGET_DISPLACEMENT, TARGET_PEAK_SPEED,
                                    TARGET_TAIL_TIP_SLOW, _fmt, amplitude_sweep, displacement_cv,
                                    episode_bouts, measure_bout)


def test_muscles_joints_and_sign_convention():
    body = make_body("larva")
    assert 10 <= N_JOINTS <= 14 and body.n_joints == N_JOINTS
    assert body.muscle_names == MUSCLE_NAMES and len(MUSCLE_NAMES) == 2 * N_JOINTS
    names = [mujoco.mj_id2name(body.model, mujoco.mjtObj.mjOBJ_ACTUATOR, i) for i in range(body.model.nu)]
    assert tuple(names) == MUSCLE_NAMES
    # left muscles bend the tail to the left: positive angles, tail tip on the +y (left) side
    a = np.zeros(2 * N_JOINTS)
    a[:N_JOINTS] = 0.3
    body.reset()
    body.step(a, 100)
    assert np.all(body.tail_angles() > 0)
    assert body.world_to_fish(body.centerline()[-1])[1] > 0.2
    a = np.zeros(2 * N_JOINTS)
    a[N_JOINTS:] = 0.3
    body.reset()
    body.step(a, 100)
    assert np.all(body.tail_angles() < 0)


def test_reset_pose_and_frames():
    body = LarvaBody()
    body.reset(position=(2.0, -1.0), heading=math.pi / 2)
    assert np.allclose(body.snout(), (2.0, -1.0))
    assert body.heading() == pytest.approx(math.pi / 2)
    cl = body.centerline()
    assert cl.shape == (N_JOINTS + 2, 2)
    assert np.allclose(cl[-1], (2.0, -5.0))  # straight 4 mm fish pointing along +y
    p = np.array([[1.0, 0.5], [-2.0, 3.0]])
    assert np.allclose(body.world_to_fish(body.fish_to_world(p)), p)
    assert body.world_to_fish(body.snout())[0] > 0  # snout ahead of the head centre


def test_calibration_bout_swims_forward_in_reference_range():
    r = measure_bout()
    print("\n" + _fmt("bout", r))
    print(f"targets: peak speed 5-95% {TARGET_PEAK_SPEED} mm/s (median 39, provisional), displacement "
          f"{TARGET_DISPLACEMENT} mm (Le Goc 2021 per-fish, median 1.6), tail tip {TARGET_TAIL_TIP_SLOW} deg")
    assert r["forward_mm"] > 0.9 * r["displacement_mm"] > 0, "the bout must swim forward"
    # a slow forward swim: real tail-bend amplitude gives the real displacement
    assert TARGET_TAIL_TIP_SLOW[0] <= r["max_tail_tip_angle_deg"] <= TARGET_TAIL_TIP_SLOW[1]
    assert TARGET_PEAK_SPEED[0] <= r["peak_speed_mm_s"] <= TARGET_PEAK_SPEED[1]
    assert TARGET_DISPLACEMENT[0] <= r["displacement_mm"] <= TARGET_DISPLACEMENT[1]
    assert abs(r["heading_change_deg"]) < 10  # forward bout: reference sigma ~5.4 deg


def test_bout_vigour_spreads_displacement():
    # vigour (command amplitude) must map to displacement steeply enough that a moderate spread
    # of vigour gives the real bout-to-bout spread (Le Goc per-fish CV 0.35-0.54), and the
    # slow-swim range of tail-tip angles must span the real bout-to-bout displacements
    rows = amplitude_sweep((0.2, CALIBRATION_BOUT["amplitude"], 0.5))
    for r in rows:
        print("\n" + _fmt(f"amp {r['amplitude']:.2f}", r), end="")
    d = [r["displacement_mm"] for r in rows]
    tip = [r["max_tail_tip_angle_deg"] for r in rows]
    assert d[0] < d[1] < d[2] and tip[0] < tip[1] < tip[2]
    elasticity = math.log(d[2] / d[0]) / math.log(rows[2]["amplitude"] / rows[0]["amplitude"])
    assert elasticity > 1.0  # displacement grows faster than the command: no saturation here
    assert d[0] < 1.13 and d[2] > 2.08  # 29-64 deg tail tip spans the per-fish 5-95 % of medians
    cv = displacement_cv(0.35, rows)
    print(f"\ndisplacement elasticity {elasticity:.2f}; amplitude CV 0.35 -> displacement CV {cv:.2f}")
    assert 0.35 <= cv <= 0.6


def test_episode_bouts_reads_a_recorded_episode(tmp_path):
    t = np.arange(500) * 0.002
    act = np.zeros((500, 2 * N_JOINTS), np.float32)
    act[100:180] = 0.3
    act[300:302] = 0.3  # a 4 ms flicker is no bout
    ang = np.zeros((500, N_JOINTS))
    ang[150] = math.radians(3.0)  # tail tip 36 deg
    speed = np.zeros(500)
    speed[190] = 12.0  # peak in the glide
    np.savez(tmp_path / "ep.npz", t=t, actions=act, tail_angles=ang, speed=speed)
    (b,) = episode_bouts(tmp_path / "ep.npz")
    assert b["duration_s"] == pytest.approx(0.16) and b["peak_activation"] == pytest.approx(0.3)
    assert b["max_tail_tip_angle_deg"] == pytest.approx(36.0) and b["peak_speed_mm_s"] == 12.0


@pytest.mark.parametrize("turn", [0.5, -0.5, 1.0, -1.0])
def test_asymmetric_first_half_beats_turn_the_fish(turn):
    r = measure_bout(turn=turn)
    print("\n" + _fmt(f"turn {turn:+}", r))
    assert np.sign(r["heading_change_deg"]) == np.sign(turn)
    assert abs(r["heading_change_deg"]) > 8 * abs(turn)
    assert r["forward_mm"] > 0


def test_speed_does_not_depend_on_physics_dt():
    # the default step (0.5 ms) against a step 4x finer: README quotes the difference (~7 %)
    a = measure_bout(LarvaBody(physics_dt=0.0005), glide=0.2)
    b = measure_bout(LarvaBody(physics_dt=0.000125), glide=0.2)
    print(f"\ndt 0.5 ms: {a['peak_speed_mm_s']:.2f} mm/s, {a['displacement_mm']:.3f} mm; "
          f"dt 0.125 ms: {b['peak_speed_mm_s']:.2f} mm/s, {b['displacement_mm']:.3f} mm")
    assert a["peak_speed_mm_s"] == pytest.approx(b["peak_speed_mm_s"], rel=0.10)
    assert a["displacement_mm"] == pytest.approx(b["displacement_mm"], rel=0.10)


def test_reactive_thrust_matters():
    with_r = measure_bout(LarvaBody(), glide=0.2)
    without = measure_bout(LarvaBody(reactive=False), glide=0.2)
    assert with_r["displacement_mm"] > without["displacement_mm"]


def test_bad_input_errors():
    body = LarvaBody()
    with pytest.raises(ValueError, match="shape"):
        body.step(np.zeros(5))
    a = np.zeros(2 * N_JOINTS)
    a[3] = np.nan
    with pytest.raises(ValueError, match="L04"):
        body.step(a)
    with pytest.raises(ValueError):
        LarvaBody(physics_dt=-1)
    with pytest.raises(ValueError):
        LarvaBody(drag_normal=float("nan"))


def test_divergence_raises_clear_error():
    body = LarvaBody(physics_dt=0.02)  # far too coarse for the stiff tail
    with pytest.raises(BodyDivergedError, match="larva body diverged"):
        for k in range(200):
            body.step(bout(body.time, 0.0, 1.0, 29.0, 1.0), 1)


def test_bout_pattern_is_zero_outside_the_bout():
    assert not bout(-0.01).any() and not bout(0.2, duration=0.16).any()
    a = bout(0.001, turn=1.0)
    assert a[:N_JOINTS].sum() > a[N_JOINTS:].sum()
