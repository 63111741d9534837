"""cgym/DrosophilaGrooming-v0: schedule, record, task_info, features on synthetic data, reflex."""

import json

import numpy as np
import pytest

pytest.importorskip("dm_control", reason="the fly body needs dm-control (pip install 'connectome-gym[fly]')")

import gymnasium as gym  # noqa: E402

import tasks  # noqa: E402,F401
from tasks.grooming.env import DrosophilaGroomingEnv  # noqa: E402
from tasks.grooming.features import FEATURE_DOCS, extract_features  # noqa: E402
from tasks.reference import load_reference  # noqa: E402


# ------------------------------------------------------------------ synthetic trajectories
def _synthetic(side="left", groom=(1.2, 2.8), f=6.0, rate=200.0, dur=4.0, both_legs=False):
    t = np.arange(0, dur, 1 / rate)
    tips = np.zeros((len(t), 6, 3))
    tips[..., 2] = -0.12  # standing claws 1.2 mm below the thorax
    contact = np.zeros((len(t), 2))
    on = (t >= groom[0]) & (t < groom[1])
    legs = [0, 1] if both_legs else [0 if side == "left" else 1]
    for k in legs:
        tips[on, k, 2] = -0.02 + 0.01 * np.sin(2 * np.pi * f * t[on])
        tips[on, k, 1] = 0.02 * np.sin(2 * np.pi * f * t[on])
        contact[on, k] = np.where(np.sin(2 * np.pi * f * t[on]) > 0.5, 2.0, 0.0)
    stim = np.zeros((len(t), 2))
    stim[(t >= 1.0) & (t < 3.0), 0 if side == "left" else 1] = 1
    traj = {"t": t, "leg_tips": tips, "antenna_contact": contact, "stimulus_on": stim}
    info = {"stimulus_side": side, "stimulus_onset_s": 1.0, "stimulus_duration_s": 2.0}
    return traj, info


def test_features_on_synthetic_unilateral_grooming():
    f = extract_features(*_synthetic("left"))
    assert set(f) == set(FEATURE_DOCS)
    assert f["groom_latency"] == pytest.approx(0.2, abs=0.01)
    assert f["groom_fraction"] == pytest.approx(0.8, abs=0.01)
    assert f["groom_fraction_rest"] == 0.0
    assert f["n_bouts"] == 1 and f["bout_duration"] == pytest.approx(1.6, abs=0.02)
    assert f["sweep_frequency"] == pytest.approx(6.0, abs=0.2)
    assert f["contact_frequency"] == pytest.approx(6.0, abs=0.7)
    assert f["ipsilateral_fraction"] == pytest.approx(1.0) and f["bilateral_fraction"] == 0.0


def test_features_side_and_bilateral():
    f = extract_features(*_synthetic("right", f=5.0))
    assert f["ipsilateral_fraction"] == pytest.approx(1.0) and f["sweep_frequency"] == pytest.approx(5.0, abs=0.2)
    traj, info = _synthetic("left")
    traj["leg_tips"][:, [0, 1]] = traj["leg_tips"][:, [1, 0]]  # the wrong (contralateral) leg grooms
    assert extract_features(traj, info)["ipsilateral_fraction"] == 0.0
    fb = extract_features(*_synthetic("left", both_legs=True))
    assert fb["bilateral_fraction"] == pytest.approx(1.0) and fb["ipsilateral_fraction"] == 0.0


def test_brain_output_features_latency_bouts_side_and_touches():
    traj, info = _synthetic("left")
    lac = np.zeros((len(traj["t"]), 2, 2))
    lac[:, 0, 0] = traj["antenna_contact"][:, 0]          # the left foreleg touches the left antenna
    f = extract_features({**traj, "leg_antenna_contact": lac}, info)
    assert f["first_sweep_latency"] == pytest.approx(0.2, abs=0.01)
    assert f["first_bout_start"] == pytest.approx(0.2, abs=0.01)
    assert f["first_bout_duration"] == pytest.approx(1.6, abs=0.02)
    assert f["bout_stop_after_offset"] == pytest.approx(-0.2, abs=0.01)   # stopped before the stimulus ended
    assert f["side_choice"] == 1.0
    assert f["ipsilateral_contact_fraction"] == 1.0 and f["stimulated_antenna_contact_fraction"] == 1.0
    # the contralateral leg grooms and touches the stimulated antenna: side choice 0, contacts not ipsilateral
    traj["leg_tips"][:, [0, 1]] = traj["leg_tips"][:, [1, 0]]
    lac2 = np.zeros_like(lac); lac2[:, 1, 0] = lac[:, 0, 0]
    g = extract_features({**traj, "leg_antenna_contact": lac2}, info)
    assert g["side_choice"] == 0.0 and g["ipsilateral_contact_fraction"] == 0.0
    assert g["stimulated_antenna_contact_fraction"] == 1.0
    # later onset of grooming -> later latency (the measure follows the output's timing)
    late, info3 = _synthetic("left", groom=(1.7, 2.9))
    assert extract_features(late, info3)["first_sweep_latency"] == pytest.approx(0.7, abs=0.02)


def test_features_no_grooming_and_degenerate_input():
    traj, info = _synthetic("left", groom=(5, 5))
    f = extract_features(traj, info)
    assert f["groom_fraction"] == 0.0 and np.isnan(f["groom_latency"]) and f["n_bouts"] == 0
    assert np.isnan(f["sweep_frequency"]) and np.isnan(f["bout_duration"])
    assert np.isnan(f["first_sweep_latency"]) and np.isnan(f["side_choice"]) and np.isnan(f["first_bout_start"])
    short = {k: v[:2] for k, v in traj.items()}
    assert all(np.isnan(v) for v in extract_features(short, info).values())


def test_reference_library_matches_features():
    lib = load_reference("drosophila_grooming")
    ids = [e.id for e in (lib.entries.values() if isinstance(lib.entries, dict) else lib.entries)]
    assert set(ids) <= set(FEATURE_DOCS)
    assert "sweep_frequency" in ids


# ------------------------------------------------------------------ env
def test_schedule_record_and_task_info():
    env = DrosophilaGroomingEnv(duration=0.1, stimulus_onset=0.02, stimulus_duration=0.04)
    obs, info = env.reset(seed=0, options={"stimulus_side": "right"})
    rec = info["record"]
    assert rec["leg_tips"].shape == (6, 3) and rec["stimulus_on"].tolist() == [0, 0]
    assert env.control_dt == 0.002 and env.record_rate_hz >= 100
    stim, n = [], 0
    while True:
        obs, r, term, trunc, info = env.step(np.zeros(57, np.float32))
        n += 1
        stim.append(info["record"]["stimulus_on"].copy())
        if term or trunc:
            break
    stim = np.array(stim)
    assert trunc and not term and n == 50
    assert stim[:, 0].max() == 0 and stim[:, 1].sum() == pytest.approx(20, abs=1)
    ti = env.task_info()
    json.dumps(ti)
    assert ti["stimulus_side"] == "right" and "none in the env" in ti["motor_bridge"]
    with pytest.raises(ValueError, match="stimulus_side"):
        env.reset(options={"stimulus_side": "up"})
    with pytest.raises(ValueError, match="step 0"):
        env.reset(seed=0)
        env.step(np.full(57, np.nan, np.float32))


def test_stimulus_deflects_the_antenna():
    env = gym.make("cgym/DrosophilaGrooming-v0", stimulus_onset=0.0, stimulus_amplitude=0.2)
    obs, _ = env.reset(seed=1, options={"stimulus_side": "left"})
    for _ in range(100):
        obs, *_ = env.step(np.zeros(57, np.float32))
    assert obs["antenna_deflection"][0] == pytest.approx(0.2, abs=0.04)
    assert abs(obs["antenna_deflection"][1]) < 0.02


def test_reflex_brain_grooms_the_stimulated_side():
    """~1 s episode: stimulus at 0.2 s; the reflex brain (no brain, VNC only) grooms left."""
    from organisms.drosophila.reflex import DrosophilaReflexBrain, register
    from nervous_systems.brain import make_brain

    register()
    env = DrosophilaGroomingEnv(duration=1.0, stimulus_onset=0.2, stimulus_duration=0.8)
    brain = make_brain("reflex", "drosophila", env.observation_space, env.action_space, control_dt=env.control_dt)
    assert isinstance(brain, DrosophilaReflexBrain)
    obs, info = env.reset(seed=0, options={"stimulus_side": "left"})
    brain.reset(0)
    recs, ts = [], []
    while True:
        obs, r, term, trunc, info = env.step(brain.act(obs))
        recs.append(info["record"])
        ts.append(info["t"])
        if term or trunc:
            break
    traj = {k: np.array([r[k] for r in recs]) for k in recs[0]}
    traj["t"] = np.array(ts)
    f = extract_features(traj, env.task_info())
    print(f"\n[reflex, 1 s] {f}")
    assert f["groom_latency"] < 0.3
    assert f["ipsilateral_fraction"] > 0.9
    assert traj["antenna_contact"][:, 0].max() > 0
    rec = brain.record()
    assert rec["groom_left"].max() == 1 and rec["groom_right"].max() == 0


def _reflex_episode(side, duration=4.0):
    from organisms.drosophila.reflex import DrosophilaReflexBrain

    env = DrosophilaGroomingEnv(duration=duration)
    brain = DrosophilaReflexBrain("drosophila", env.observation_space, env.action_space, env.control_dt)
    obs, _ = env.reset(seed=2, options={"stimulus_side": side})
    brain.reset(2)
    recs, ts = [], []
    while True:
        obs, _, term, trunc, info = env.step(brain.act(obs))
        recs.append(info["record"])
        ts.append(info["t"])
        if term or trunc:
            break
    traj = {k: np.array([r[k] for r in recs]) for k in recs[0]}
    traj["t"] = np.array(ts)
    return extract_features(traj, env.task_info())


@pytest.mark.slow
@pytest.mark.parametrize("side", ["right", "both", "none"])
def test_reflex_full_episode_per_side(side):
    f = _reflex_episode(side)
    print(f"\n[reflex 4 s, {side}] {f}")
    if side == "none":
        assert f["n_bouts"] == 0
        return
    assert f["groom_latency"] < 0.3 and f["groom_fraction"] > 0.8
    assert 5.0 <= f["sweep_frequency"] <= 7.0
    if side == "right":
        assert f["ipsilateral_fraction"] > 0.9
    else:
        assert f["bilateral_fraction"] > 0.8


def test_render_rgb_array():
    env = DrosophilaGroomingEnv(render_mode="rgb_array", render_size=(160, 120))
    env.reset(seed=0)
    try:
        img = env.render()
    except Exception as exc:  # noqa: BLE001 - no offscreen GL on this machine
        pytest.skip(f"offscreen rendering unavailable: {exc}")
    assert img.shape == (120, 160, 3) and img.dtype == np.uint8 and img.std() > 1
    env.close()
