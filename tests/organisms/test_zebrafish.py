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


@pytest.mark.slow
def test_connectome_null_suppression_beats_shuffled():
    """Open-loop protocol (~30 s each): the CLEM cross-midline inhibition gives the recorded
    null-direction suppression; the shuffled wiring does not reproduce it as well."""
    c = nm.evaluate("connectome", cache=False)["scores"]
    s = nm.evaluate("shuffled", cache=False)["scores"]
    assert c["cMI"]["corr_pref_null"] > s["cMI"]["corr_pref_null"]
    assert c["iMI"]["corr_pref"] > 0.8
