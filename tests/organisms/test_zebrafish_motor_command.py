"""The motor-command readout: absent by default, wired as documented when on, and its numpy replay
equals the Brian2 circuit (noise off, bout onsets imposed) and the trigger's renewal statistics."""

from __future__ import annotations

import numpy as np
import pytest

from organisms.zebrafish.circuit import OMRCircuit, load_params, si
from organisms.zebrafish.integrator_sbm import fitted_overrides, make_wiring
from organisms.zebrafish.motor_command import (bout_table, motor_command_overrides, readout_overrides,
                                               replay)

VALUES = {"mc_bias": -0.05, "mc_g_a": 1.5, "mc_tau_a": 2.0, "mc_turn": 1.2, "mc_bout": 0.3}


def _wiring(p):
    ip = p["integrator"]
    return make_wiring("connectome", 0, scale=si(ip["scale"]), completeness=si(ip["completeness"]), g_syn=si(ip["g_syn"]))


def _weight(c, pre, post):
    L = c.layout.brain_pops
    sel = np.isin(c.brain_pre, L[pre]) & np.isin(c.brain_post, L[post])
    return float(c.brain_w[sel].sum())


def test_the_stage_is_absent_by_default_and_replaces_the_direct_readout_when_on():
    ov, _ = fitted_overrides("connectome", 0)
    p0 = load_params(overrides=ov)
    rg = si(p0["integrator"]["readout_gain"])
    c0 = OMRCircuit(_wiring(p0), 4, p0, include_spinal=False)
    assert len(c0.layout.brain_pops["MC_L"]) == 0
    assert _weight(c0, "iMI+_L", "vSPN_L") == pytest.approx(rg) and _weight(c0, "iMI+_L", "vSPN_R") == pytest.approx(-rg)
    assert _weight(c0, "iMI+_L", "BOUT") == pytest.approx(0.03)
    p1 = load_params(overrides={**ov, **motor_command_overrides(VALUES)})
    c1 = OMRCircuit(_wiring(p1), 4, p1, include_spinal=False)
    assert len(c1.layout.brain_pops["MC_L"]) == 1
    assert _weight(c1, "iMI+_L", "vSPN_L") == 0 and _weight(c1, "iMI+_L", "BOUT") == 0
    assert _weight(c1, "iMI+_L", "MC_L") == pytest.approx(rg) and _weight(c1, "iMI+_L", "MC_R") == pytest.approx(-rg)
    assert _weight(c1, "MC_L", "vSPN_L") == pytest.approx(1.2) and _weight(c1, "MC_L", "vSPN_R") == 0
    assert _weight(c1, "MC_R", "BOUT") == pytest.approx(0.3)
    mc = c1.layout.brain_pops["MC_L"]
    assert float(c1.G.bias[mc][0]) == pytest.approx(-0.05) and float(c1.G.g_a[mc][0]) == pytest.approx(1.5)
    # everything upstream of the stage is built alike (same edges into the integrator and ARTR)
    for a, b in (("iMI+_L", "iMI+_L"), ("cMI_R", "iMI+_L"), ("ARTR_L", "vSPN_L")):
        assert _weight(c0, a, b) == pytest.approx(_weight(c1, a, b))
    with pytest.raises(KeyError, match="no parameter 'nope'"):
        load_params(overrides={"populations.MC.nope": 1})


def test_replay_equals_brian2_with_the_noise_off():
    from organisms.zebrafish.fictive import run_fictive
    from tasks.visual_stimuli import Dots

    ov, _ = fitted_overrides("connectome", 0)
    p = load_params(overrides={**ov, **motor_command_overrides(VALUES), "noise.sigma": 0.0, "vigour.turn_sigma": 0.0})
    r = run_fictive(_wiring(p), Dots(coherence=1.0), n_trials=1, seed=3, params=p, rest_pre=0.5, motion=2.5,
                    rest_post=0.5, record_drive=True)
    d = r["drive"]
    rep = replay(d, p, VALUES, rng=0, bout_times=[r["onsets"]], record=True)
    assert len(r["onsets"]) >= 1 and np.ptp(d["u_MC_L"]) > 0.01
    for key in ("u_MC_L", "u_MC_R", "u_BOUT", "u_vSPN_L", "u_vSPN_R"):
        np.testing.assert_allclose(rep["states"][key][0], d[key].astype(float), atol=1e-5, err_msg=key)
    assert [b["side"] for b in r["bouts"]] == rep["bout_side"][: len(r["bouts"])].tolist()


def test_replay_trigger_renewal_rate_and_common_noise():
    p = load_params(overrides={**motor_command_overrides({"mc_bout": 0.0}), "noise.sigma": 0.0})
    n = 50000  # 100 s lanes of zero drive: a renewal process with hazard h0 and the bout + refractory dead time
    drive = {k: np.zeros((1, n)) for k in ("imi_L", "imi_R", "bout_in", "vspn_in_L", "vspn_in_R")}
    rep = replay(drive, p, {"mc_bias": 0.0, "mc_g_a": 0.0, "mc_tau_a": 1.0, "mc_turn": 1.0, "mc_bout": 0.0},
                 rng=1, n_reps=40)
    h0, dead = si(p["bout"]["h0"]), si(p["bout"]["T_bout"]) + si(p["bout"]["T_refr"])
    order = np.lexsort((rep["bout_t"], rep["bout_lane"]))
    lane, t = rep["bout_lane"][order], rep["bout_t"][order]
    isi = np.diff(t)[np.diff(lane) == 0]                 # intervals within a lane
    assert isi.min() >= dead - 1e-9 and isi.mean() == pytest.approx(dead + 1 / h0, rel=0.03)
    vals = {k: np.array([v, v]) for k, v in VALUES.items()}
    drive = {k: np.full((2, 1500), 0.1) for k in drive}
    drive["imi_L"] = np.full((2, 1500), 0.3)
    same = replay(drive, p, vals, rng=2, n_reps=2, common_noise=True)
    lanes = same["bout_lane"]
    first, second = lanes < 4, lanes >= 4
    assert np.array_equal(same["bout_t"][first], same["bout_t"][second])
    indep = replay(drive, p, vals, rng=2, n_reps=2)
    assert not np.array_equal(indep["bout_t"][indep["bout_lane"] < 4], indep["bout_t"][indep["bout_lane"] >= 4])


def test_bout_table_bins_by_time_since_motion_onset_and_side():
    rep = {"lane_cand": np.array([0, 0]), "lane_seq": np.array([0, 1]), "n_reps": 1,
           "bout_lane": np.array([0, 0, 0, 1, 1]), "bout_detect_t": np.array([9.0, 10.5, 21.0, 11.0, 45.0]),
           "bout_side": np.array([1, 1, -1, -1, 1])}
    # run 0: coherence 1, trials leftward (+1) then rightward; run 1: coherence 0, one leftward trial;
    # trials of 30 s, motion 10-20 s
    tab = bout_table(rep, [1.0, 0.0], [[1, -1], [1]], 30.0, 10.0, 10.0)
    assert tab["coherences"] == [0.0, 1.0]
    n, w = tab["n"][0], tab["n_with"][0]
    assert (n[1, 0], w[1, 0]) == (1, 1)     # 9 s: 1 s before the onset, a left bout
    assert (n[1, 1], w[1, 1]) == (1, 1)     # 10.5 s: 0.5 s into leftward motion, left
    assert (n[1, 6], w[1, 6]) == (1, 0)     # 21 s: 1 s after the motion, right
    assert (n[0, 1], w[0, 1]) == (1, 0)     # coherence 0: 1 s into the epoch, right
    assert n.sum() == 4                     # 45 s lies past the last trial's bins
    assert tab["n_motion"][0].tolist() == [1, 1] and tab["motion_s"].tolist() == [10.0, 20.0]


def test_readout_overrides_need_the_draws_own_fit(tmp_path):
    path = tmp_path / "readout_fits.yaml"
    path.write_text("fits:\n  connectome/0:\n    values: {mc_bias: -0.1, mc_g_a: 1.0, mc_tau_a: 2.0, mc_turn: 1.0, mc_bout: 0.2}\n")
    ov, src = readout_overrides("connectome", 0, path)
    assert src == "connectome/0" and ov["populations.MC.n"] == 1 and ov["readout.direct"] == 0.0
    assert ov["readout.mc_bout"] == 0.2
    with pytest.raises(ValueError, match=r"no readout fit for sbm-redraw/1 in .*readout_fits.yaml"):
        readout_overrides("sbm-redraw", 1, path)
    with pytest.raises(KeyError, match="unknown motor-command readout"):
        motor_command_overrides({"threshold": 1})


def test_with_the_stage_the_turn_command_still_reads_only_the_integrator():
    """Issue 12 (no visual path around the integrator) holds with the stage on: vSPN reads MC and
    ARTR only, MC reads iMI+ only."""
    p = load_params(overrides=motor_command_overrides(VALUES))
    c = OMRCircuit(_wiring(p), 2, p, include_spinal=False)
    owner = {int(i): name.rsplit("_", 1)[0] for name, idx in c.layout.brain_pops.items() for i in idx}
    pre_of = lambda target: {owner[int(i)] for i, j in zip(c.brain_pre, c.brain_post) if owner[int(j)] == target}  # noqa: E731
    assert pre_of("vSPN") == {"MC", "ARTR"} and pre_of("MC") == {"iMI+"}
    assert pre_of("BOUT") == {"MC", "PT_F", "PT_B"}


def test_the_brain_option_runs_closed_loop_with_the_installed_readout_fit():
    import gymnasium as gym

    import tasks  # noqa: F401
    from nervous_systems.brain import make_brain

    env = gym.make("cgym/ZebrafishOptomotor-v0", duration=1)
    with pytest.raises(ValueError, match="known readouts"):
        make_brain("connectome", "zebrafish", env.observation_space, env.action_space,
                   control_dt=env.unwrapped.control_dt, readout="threshold")
    brain = make_brain("connectome", "zebrafish", env.observation_space, env.action_space,
                       control_dt=env.unwrapped.control_dt, readout="motor_command")
    try:
        obs, _ = env.reset(seed=0)
        brain.reset(seed=0)
        for _ in range(20):
            obs, *_ = env.step(brain.act(obs))
        assert {"MC_L", "MC_R"} <= set(brain.record()["names"].tolist())
        assert brain.info()["readout_fit"] == "connectome/0"
    finally:
        brain.close()
        env.close()
