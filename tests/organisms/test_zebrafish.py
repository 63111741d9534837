"""Zebrafish nervous system: derived CLEM data, the integrator block model and its shuffle,
the Reichardt retina, the neural metric's sanity, the brain's input checks."""

import hashlib

import numpy as np
import pandas as pd
import pytest
import yaml

from organisms.zebrafish import integrator_sbm as sbm
from organisms.zebrafish import neural_metric as nm
from organisms.zebrafish.retina import ReichardtRetina, default_eye_points, grating_samples

DATA = sbm.DATA


def test_derived_files_match_provenance():
    prov = yaml.safe_load((DATA / "provenance.yaml").read_text())
    for name, digest in prov["outputs"].items():
        assert hashlib.sha256((DATA / name).read_bytes()).hexdigest() == digest, name
    assert "MIT" in prov["dataset"]["licence"]


def test_population_table_agrees_with_neuron_table():
    pops = pd.read_csv(DATA / "clem_populations.csv")
    cells = pd.read_csv(DATA / "clem_neurons.csv")
    for r in pops.itertuples():
        s = cells[(cells.population == r.population) & (cells.hemisphere == r.hemisphere)]
        assert len(s) == r.n_cells
        assert r.n_excitatory + r.n_inhibitory + r.n_unknown == r.n_cells
    conn = pd.read_csv(DATA / "clem_connectivity.csv")
    assert ((conn.p_connect > 0) & (conn.p_connect <= 1)).all()
    # the published motif: contralateral integrators inhibit the other hemisphere's iMI+
    assert ((conn.pre == "cMI") & (conn.post == "iMI+") & (conn.side == "other")).any()


def test_block_model_is_seeded_and_follows_the_tables():
    a, b = sbm.draw_integrator(0), sbm.draw_integrator(0)
    assert np.array_equal(a.pre, b.pre) and np.array_equal(a.weight, b.weight)
    c = sbm.draw_integrator(1)
    assert not (len(c.pre) == len(a.pre) and np.array_equal(c.pre, a.pre))
    blocks = a.block_matrix()
    # cMI_L -> iMI+_R is a CLEM block (inhibitory, the cMI are ~90 % inhibitory); no same-side one
    assert blocks.loc["cMI_L", "iMI+_R"] < 0
    assert blocks.loc["cMI_L"].get("iMI+_L", 0.0) == 0.0
    n_cmi = int(sum(a.population == "cMI"))
    assert 0.8 < np.mean(a.sign[a.population == "cMI"] < 0) <= 1.0 and n_cmi > 0


def test_shuffle_keeps_degrees_and_breaks_blocks():
    a = sbm.draw_integrator(0)
    s = sbm.shuffle_integrator(a, seed=0)
    assert len(s.pre) == len(a.pre)
    assert np.array_equal(np.bincount(s.pre, minlength=a.n), np.bincount(a.pre, minlength=a.n))
    assert np.array_equal(np.bincount(s.post, minlength=a.n), np.bincount(a.post, minlength=a.n))
    assert np.isclose(np.abs(s.weight).sum(), np.abs(a.weight).sum())
    # signs stay with the presynaptic unit
    assert np.all(np.sign(s.weight) == a.sign[s.pre])
    # blocks absent from the CLEM tables get edges after shuffling
    assert s.block_matrix().loc["cMI_L"].get("iMI+_L", 0.0) != 0.0


@pytest.mark.parametrize("direction,channel", [(0.0, 0), (np.pi, 1), (np.pi / 2, 2), (-np.pi / 2, 3)])
def test_reichardt_retina_is_direction_selective(direction, channel):
    pts = default_eye_points(16)
    r = ReichardtRetina(pts, 0.002, gain=1.0)
    out = np.mean([r.step(*grating_samples(pts, k * 0.002, direction)) for k in range(1500)][500:], axis=0)
    for eye in range(2):
        assert out[eye].argmax() == channel
        assert out[eye, channel] > 5 * np.delete(out[eye], channel).max(initial=1e-12) or \
            np.delete(out[eye], channel).max() < 1e-9


def test_metric_recorded_vs_itself_is_at_ceiling_and_flat_scores_low():
    rec = nm.recorded_class("iMI")
    t = rec["t"]
    own = nm.score_class(t, rec["cells"].mean(1), rec["null"], rec)
    assert own["corr_pref"] == pytest.approx(1.0)
    assert own["corr_pref"] >= own["ceiling"] - 1e-9
    assert own["ceiling"] > 0.9
    flat = nm.score_class(t, np.zeros_like(t), np.zeros_like(t), rec)
    assert flat["corr_pref"] == 0.0 and flat["score"] == 0.0 and not np.isfinite(flat["tau_model_s"])
    # the wrong sign (a cell inhibited by preferred motion) scores negative
    inv = nm.score_class(t, -rec["cells"].mean(1), -rec["null"], rec)
    assert inv["corr_pref"] < -0.9


def test_rise_tau_of_a_known_exponential():
    t = np.arange(0, 80, 0.5)
    y = np.where((t >= 20) & (t < 60), 1 - np.exp(-(t - 20) / 4.0), 0.0)
    assert nm.rise_tau(t, y) == pytest.approx(4.0, abs=0.5)
    ca = nm.calcium(y, 0.5)
    assert nm.rise_tau(t, ca) > nm.rise_tau(t, y)  # the indicator slows the rise


def test_connectome_brain_rejects_nan_and_missing_observations():
    import gymnasium as gym

    import tasks  # noqa: F401
    from nervous_systems.brain import make_brain
    from nervous_systems.connectome_brain import ObservationError

    if "cgym/ZebrafishOptomotor-v0" not in gym.registry:
        pytest.skip("optomotor env not on this branch")
    env = gym.make("cgym/ZebrafishOptomotor-v0", duration=1)
    brain = make_brain("connectome", "zebrafish", env.observation_space, env.action_space,
                       control_dt=env.unwrapped.control_dt)
    try:
        obs, _ = env.reset(seed=0)
        brain.reset(seed=0)
        brain.act(obs)
        bad = dict(obs)
        bad["eye_left"] = np.full_like(obs["eye_left"], np.nan)
        with pytest.raises(ObservationError, match="eye_left"):
            brain.act(bad)
        with pytest.raises(ObservationError, match="tail_angles"):
            brain.act({k: v for k, v in obs.items() if k != "tail_angles"})
        assert env.action_space.contains(brain.act(obs))
        rec = brain.record()
        assert {"iMI+_L", "ARTR_R", "bout_gate", "MN_L"} <= set(rec["names"].tolist())
    finally:
        brain.close()
        env.close()


def test_block_shuffled_table_moves_blocks_keeps_values():
    conn = pd.read_csv(DATA / "clem_connectivity.csv")
    sh = sbm.block_shuffled_table(conn, seed=0)
    assert sorted(sh.p_connect) == sorted(conn.p_connect)
    assert sorted(sh.synapses_per_connection) == sorted(conn.synapses_per_connection)
    key = lambda df: set(zip(df.pre, df.post, df.side))  # noqa: E731
    assert len(key(sh)) == len(sh)  # one value per block
    assert key(sh) != key(conn)
    assert sbm.block_shuffled_table(conn, seed=0).equals(sh)
    assert not sbm.block_shuffled_table(conn, seed=1).equals(sh)


def test_brain_wirings():
    con = sbm.make_wiring("connectome")
    red = sbm.make_wiring("sbm-redraw")
    bs = sbm.make_wiring("block-shuffled")
    ne = sbm.make_wiring("no-integrator-edges")
    assert con.label == "connectome" and red.label == "sbm-redraw"
    assert len(ne.pre) == 0 and ne.n == con.n and ne.visual_weight == con.visual_weight
    assert not np.array_equal(con.pre[:100], red.pre[:100])
    # the CLEM cross-midline motif is in both draws of the block model, not (as such) after block shuffling
    for w in (con, red):
        assert w.block_matrix().loc["cMI_L", "iMI+_R"] < 0
    nz = lambda w: {(a, b) for a, row in w.block_matrix().iterrows() for b, v in row.items() if v != 0}  # noqa: E731
    assert nz(bs) != nz(con) and len(bs.pre) > 0
    # expected input per block is independent of the edge-density factor (clipped or not)
    lo = sbm.draw_integrator(0, completeness=1.0)
    hi = sbm.draw_integrator(0, completeness=10.0)
    r = hi.block_matrix().loc["iMI-_L", "MON_L"] / lo.block_matrix().loc["iMI-_L", "MON_L"]
    assert 0.6 < r < 1.6
    with pytest.raises(ValueError, match="unknown integrator wiring"):
        sbm.make_wiring("nope")


def test_fictive_summary_counts_sides_and_after_motion_bins():
    from organisms.zebrafish.fictive import summarise

    bouts = [{"t": 1, "trial": 0, "direction": 1, "phase": "motion", "since_s": 1.0, "side": 1, "asym": 0.1},
             {"t": 2, "trial": 0, "direction": 1, "phase": "motion", "since_s": 2.0, "side": -1, "asym": -0.1},
             {"t": 3, "trial": 0, "direction": 1, "phase": "motion", "since_s": 3.0, "side": 1, "asym": 0.1},
             {"t": 4, "trial": 0, "direction": 1, "phase": "post", "since_s": 1.0, "side": 1, "asym": 0.1},
             {"t": 5, "trial": 0, "direction": 1, "phase": "post", "since_s": 6.0, "side": -1, "asym": -0.1}]
    run = {"bouts": bouts, "n_trials": 1, "motion_s": 10.0, "rest_pre_s": 5.0, "rest_post_s": 10.0}
    s = summarise([run, run])  # 2 trials in all
    assert s["correct"]["value"] == pytest.approx(2 / 3) and s["correct"]["n_bouts"] == 6
    assert s["bout_rate_motion_hz"] == pytest.approx(0.3)
    assert s["latency_first_bout_s"] == pytest.approx(1.0)
    assert s["after_0_2s"]["value"] == 1.0 and s["after_5_10s"]["value"] == 0.0
    assert np.isnan(s["after_2_5s"]["value"])


def test_benchmark_rows_follow_the_contract(monkeypatch, tmp_path):
    from organisms.zebrafish import benchmark

    fake = {cls: {"corr_pref": 0.9, "ceiling": 0.99, "score": 0.9, "corr_pref_null": 0.8, "tau_model_s": 5.0,
                  "tau_recorded_s": 7.5, "tau_recorded_5_95_s": [7.0, 8.0]} for cls in nm.CLASSES}
    monkeypatch.setattr(nm, "evaluate", lambda brain, seed=0, wiring_seed=None, cache=True, fitted=True: {"scores": fake})
    res = benchmark.run("connectome", {}, tmp_path, seeds=[0, 1], progress=False)
    assert res["schema"] == "cgym.benchmark/1" and res["benchmark"] == "zebrafish/integrator"
    keys = {"metric", "label", "unit", "model", "ci", "reference", "ceiling", "score", "n", "verdict", "source"}
    assert all(keys <= set(r) for r in res["rows"])
    tau = [r for r in res["rows"] if r["metric"] == "iMI_tau"][0]
    assert tau["verdict"] == "fail" and tau["reference"] == 7.5  # 5.0 s is outside [7.0, 8.0]
    assert (tmp_path / "benchmark.json").exists()
    with pytest.raises(ValueError, match="no CLEM integrator"):
        benchmark.run("reflex", {}, tmp_path, seeds=[0], progress=False)


@pytest.mark.slow
def test_integrator_edges_are_needed_for_direction_selectivity():
    """Open-loop protocol (~30-90 s each): with the CLEM edges the null-direction response is
    suppressed (cross-midline inhibition); without integrator edges it is not."""
    c = nm.evaluate("connectome", cache=False)["scores"]
    n = nm.evaluate("no-integrator-edges", cache=False)["scores"]
    assert c["iMI"]["corr_pref_null"] > n["iMI"]["corr_pref_null"] + 0.1


def test_no_visual_path_bypasses_the_integrator_to_the_turn_command():
    """Issue 12: the turn side must be read from the CLEM integrator, not from a hand-built
    lateralised visual path. Every input of vSPN and ARTR comes from the integrator, the ARTR
    or (none) the pretectum; the hindbrain's visual input is only weakly direction-biased and
    all integrator time constants are short."""
    from organisms.zebrafish.circuit import OMRCircuit, load_params, si

    p = load_params()
    c = OMRCircuit(sbm.make_wiring("connectome", g_syn=si(p["integrator"]["g_syn"]),
                                   completeness=si(p["integrator"]["completeness"])), 2, p, include_spinal=False)
    owner = {}
    for name, idx in c.layout.brain_pops.items():
        for i in idx:
            owner[int(i)] = name
    pre_of = lambda target: {owner[int(i)].rsplit("_", 1)[0] for i, j in zip(c.brain_pre, c.brain_post)  # noqa: E731
                             if owner[int(j)].startswith(target)}
    assert pre_of("vSPN") <= {"iMI+", "ARTR"}
    assert pre_of("ARTR") <= {"ARTR"}
    for pop in sbm.POPULATIONS:
        assert si(p["populations"][pop]["tau"]) <= 0.1
    assert si(p["visual"]["ds_bias"]) < 0.5
    assert not any(k.startswith("BIN") for k in c.layout.brain_pops)


