"""The fly body: provenance edits, action mapping, sensors, stimulus torque, errors."""

import mujoco
import numpy as np
import pytest

pytest.importorskip("dm_control", reason="the fly body needs dm-control (pip install 'connectome-gym[fly]')")

from bodies import BodyDivergedError, make_body  # noqa: E402
from bodies.fly import ACTUATOR_NAMES, JOINT_NAMES, FlyBody  # noqa: E402


@pytest.fixture(scope="module")
def body():
    return FlyBody()


def test_model_edits_and_names(body):
    m = body.model
    names = {m.body(i).name for i in range(m.nbody)}
    assert "wing_left" not in names and "antenna_left" in names
    assert m.nu == len(ACTUATOR_NAMES) == 57
    assert [m.actuator(i).name for i in range(m.nu)] == list(ACTUATOR_NAMES)
    assert len(JOINT_NAMES) == 42
    assert m.opt.density == 0 and m.opt.timestep == pytest.approx(2e-4)
    assert m.jnt_stiffness[m.joint("antenna_left").id] > 0  # passive antenna spring


def test_action_map_zero_is_rest_and_round_trips(body):
    c0 = body.action_to_ctrl(np.zeros(57))
    assert np.allclose(c0[~body.is_adhesion], 0.0)
    a = np.random.default_rng(0).uniform(-1, 1, 57)
    assert np.allclose(body.ctrl_to_action(body.action_to_ctrl(a)), a)
    lo, hi = body.model.actuator_ctrlrange.T
    assert np.allclose(body.action_to_ctrl(np.ones(57)), hi) and np.allclose(body.action_to_ctrl(-np.ones(57)), lo)


def test_stands_still_with_zero_action(body):
    body.reset()
    z0 = body.thorax_xyz()[2]
    body.step(np.zeros(57), 2500)  # 0.5 s
    assert body.upright() > 0.99
    assert abs(body.thorax_xyz()[2] - z0) < 0.02  # cm
    assert np.all(body.antenna_contact() == 0)
    tips = body.leg_tips()
    assert tips.shape == (6, 3) and np.all(tips[:, 2] < -0.08)  # claws below the thorax


def test_antenna_torque_deflects_that_side_only(body):
    body.reset()
    body.apply_antenna_torque(0.2 * 0.01, 0.0)  # static deflection 0.2 rad on the left
    body.step(np.zeros(57), 1000)
    d = body.antenna_deflection()
    assert d[0] == pytest.approx(0.2, abs=0.03) and abs(d[1]) < 0.01
    body.apply_antenna_torque(0.0, 0.0)


def test_bad_actions_raise(body, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # MuJoCo writes MUJOCO_LOG.TXT to the cwd on warnings
    with pytest.raises(ValueError, match="shape"):
        body.step(np.zeros(56), 1)
    a = np.zeros(57)
    a[5] = np.nan
    with pytest.raises(ValueError, match="NaN"):
        body.step(a, 1)
    body.reset()
    body.data.qvel[0] = 1e9
    with pytest.raises(BodyDivergedError, match="diverged at t="):
        body.step(np.zeros(57), 1)
    body.reset()


def test_registry_builds_fly():
    b = make_body("fly")
    assert isinstance(b, FlyBody)
    warnings = {mujoco.mjtWarning(i).name: w.number for i, w in enumerate(b.data.warning) if w.number}
    assert not warnings
