"""The hand-built VNC model: gating, side specificity, and the grooming rhythm in the body."""

import numpy as np
import pytest

pytest.importorskip("dm_control", reason="the fly body needs dm-control (pip install 'connectome-gym[fly]')")

from bodies.fly import ACTUATOR_NAMES, FlyBody  # noqa: E402
from organisms.drosophila.vnc import DESCENDING_COMMANDS, VentralNerveCordModel, load_params  # noqa: E402
from tasks.grooming.features import FeatureParams, contact_events  # noqa: E402


@pytest.fixture(scope="module")
def body():
    return FlyBody()


def _vnc(body):
    ids = [body.model.actuator(n).id for n in ACTUATOR_NAMES]
    return VentralNerveCordModel(None, 0.002, ACTUATOR_NAMES, ctrlrange=body.model.actuator_ctrlrange[ids])


def _run(body, commands, seconds=1.5, n_sub=10):
    vnc = _vnc(body)
    body.reset()
    contact, t = [], []
    while body.time < seconds - 1e-9:
        body.step(vnc.step(commands), n_sub)
        contact.append(body.antenna_contact())
        t.append(body.time)
    return np.array(t), np.array(contact)


def test_idle_is_rest_pose_and_unknown_command_raises(body):
    vnc = _vnc(body)
    a = vnc.step({})
    adh = np.array([n.startswith("adhere") for n in ACTUATOR_NAMES])
    assert np.allclose(a[~adh], 0.0) and np.allclose(a[adh], 1.0)  # rest pose, claws adhering
    with pytest.raises(KeyError, match="unknown descending"):
        vnc.step({"groom_left": 1.0})
    assert "MODELLING ASSUMPTION" in vnc.describe() and "6 Hz" in vnc.describe()
    assert set(DESCENDING_COMMANDS) >= {"antennal_groom_left", "walk_forward"}


def test_groom_left_moves_only_left_foreleg(body):
    vnc = _vnc(body)
    for _ in range(100):
        a = vnc.step({"antennal_groom_left": 1.0})
    left = [i for i, n in enumerate(ACTUATOR_NAMES) if n.endswith("T1_left") and not n.startswith("adhere")]
    right = [i for i, n in enumerate(ACTUATOR_NAMES) if n.endswith("T1_right") and not n.startswith("adhere")]
    assert np.abs(a[left]).max() > 0.2 and np.allclose(a[right], 0.0)
    assert a[ACTUATOR_NAMES.index("adhere_claw_T1_left")] == pytest.approx(-1.0)  # claw released


def test_groom_left_touches_left_antenna_at_5_to_7_hz(body):
    """The contract: antennal_groom_left = 1 makes the left foreleg contact the left antenna
    periodically at 5-7 Hz, measured with the body's contact sensor."""
    t, c = _run(body, {"antennal_groom_left": 1.0}, seconds=1.6)
    dt = t[1] - t[0]
    steady = t > 0.3
    ev = contact_events(c[steady, 0] > FeatureParams().contact_threshold_un, dt)
    starts = t[steady][[a for a, _ in ev]]
    assert len(starts) >= 6, f"only {len(starts)} left-antenna touches in 1.3 s"
    f = 1.0 / np.median(np.diff(starts))
    print(f"\n[left groom] {len(starts)} touches, {f:.2f} Hz, peak force {c[:, 0].max():.2f} uN")
    assert 5.0 <= f <= 7.0
    assert c[steady, 1].max() < 0.5 * c[steady, 0].max()  # the right antenna is not groomed


def test_no_command_no_contact(body):
    _, c = _run(body, {}, seconds=0.6)
    assert c.max() == 0.0


def test_params_file_errors_name_the_key(tmp_path):
    import yaml

    p = load_params()
    p["grooming"]["poses"]["left"]["in"] = [0.0, 1.0]
    f = tmp_path / "bad.yaml"
    f.write_text(yaml.safe_dump(p))
    with pytest.raises(ValueError, match=r"grooming.poses.left.in"):
        load_params(f)


@pytest.mark.slow
def test_groom_right_and_bilateral_touch_their_antennae(body):
    for cmd, sides in (({"antennal_groom_right": 1.0}, [1]), ({"antennal_groom_left": 1.0, "antennal_groom_right": 1.0}, [0, 1])):
        t, c = _run(body, cmd, seconds=1.6)
        for k in sides:
            ev = contact_events(c[t > 0.3, k] > 0.05, t[1] - t[0])
            assert len(ev) >= 6


def test_walk_is_a_tripod_and_grooming_suppresses_it(body):
    vnc = _vnc(body)
    pro = {leg: ACTUATOR_NAMES.index(n) for leg, n in
           (("T1_left", "coxa_T1_left"), ("T2_right", "coxa_twist_T2_right"), ("T1_right", "coxa_T1_right"))}
    trace = np.array([vnc.step({"walk_forward": 1.0})[[pro["T1_left"], pro["T2_right"], pro["T1_right"]]]
                      for _ in range(300)])[100:]
    # T1_left and T1_right are in different tripods: anti-phase; the per-leg signs differ by segment
    assert np.corrcoef(trace[:, 0], trace[:, 2])[0, 1] < -0.7  # (piecewise action map bends the sines)
    assert np.abs(trace).max() > 0.05
    for _ in range(100):
        a = vnc.step({"walk_forward": 1.0, "antennal_groom_left": 1.0})
    assert vnc.state["walk_gate"] == pytest.approx(0.0, abs=0.05)


@pytest.mark.slow
def test_walk_forward_moves_forward_in_the_body():
    from organisms.drosophila.vnc import walk_check

    rows = {r["commands"]: r for r in walk_check()}
    print(rows)
    assert rows["walk_forward"]["forward_mm_per_s"] > 0.2
    assert rows["walk_backward"]["forward_mm_per_s"] < -0.1
    assert all(r["upright"] > 0.9 for r in rows.values())
