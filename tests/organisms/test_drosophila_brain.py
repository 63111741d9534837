"""The fly connectome brain on a small generated graph (2,000 real FlyWire neurons, 60k edges,
Shiu file layout) through the same loader, builder and bridge as the full-size brain."""

import json

import numpy as np
import pytest

import organisms  # noqa: F401  (registers the drosophila brains)
from nervous_systems.brain import make_brain
from organisms.drosophila import flywire
from organisms.drosophila.brain import FlyBrain, FlyBrainError

from _fly_helpers import ACTION_SPACE, ACTUATORS, COMMANDS, OBS_SPACE, StandInVNC, write_small_graph

DT = 0.002


@pytest.fixture(scope="module")
def graph_dir(tmp_path_factory):
    return write_small_graph(tmp_path_factory.mktemp("fly_small"))


def make(graph_dir, name="connectome", **options):
    return make_brain(name, "drosophila", OBS_SPACE, ACTION_SPACE, control_dt=DT, edges=str(graph_dir),
                      vnc_factory=StandInVNC, actuator_names=ACTUATORS, verbose=False, **options)


def obs(left=0.0, right=0.0):
    return {"antenna_deflection": np.array([left, right]), "antenna_contact": np.zeros(2)}


def run(brain, steps, o, seed=1):
    brain.reset(seed=seed)
    return np.stack([brain.act(o) for _ in range(steps)])


def pop_rate(brain, pop):
    rec = brain.record()
    names = list(rec["populations"])
    return rec["rates"][:, names.index(pop)]


def test_left_deflection_drives_left_jo_neurons_only(graph_dir):
    brain = make(graph_dir)
    try:
        acts = run(brain, 150, obs(left=0.3))
        assert acts.shape == (150, len(ACTUATORS)) and ACTION_SPACE.contains(acts[-1])
        jl, jr = pop_rate(brain, "JO-CE:left"), pop_rate(brain, "JO-CE:right")
        # 150 Hz Poisson on the left JO-CE only (right JO-CE only get recurrent input, a few Hz)
        assert jl[-1] > 100 and jr.max() < 10
        info = brain.info()
        json.dumps(info, allow_nan=False)
        assert info["surrogate"] is True and "SURROGATE" in info["edge_set_label"]
        assert info["edge_set"]["edges"] == 60_000 and info["input_neurons"]["antenna_deflection:left"] > 50
        # aDN2 pinned by root id (Shiu 2024): one per circuit side
        assert info["populations"]["aDN2:left"] == 1 and info["populations"]["aDN1:right"] == 1
        # same seed, same observations: the same actions (reset restores the network)
        again = run(brain, 150, obs(left=0.3))
        assert np.array_equal(acts, again)
        rest = run(brain, 50, obs())
        assert pop_rate(brain, "JO-CE:left").max() == 0.0 and np.all(rest == 0)
    finally:
        brain.close()


def test_activation_and_silencing_by_cell_type(graph_dir):
    brain = make(graph_dir, activate=["aDN1"], silence=["JO-CE"])
    try:
        acts = run(brain, 100, obs(left=0.5, right=0.5))
        k = COMMANDS.index("antennal_groom_left")
        assert acts[-1, k] > 0.5 and acts[-1, COMMANDS.index("antennal_groom_right")] > 0.5
        assert pop_rate(brain, "JO-CE:left").max() == 0.0          # silenced: no spikes at all
        info = brain.info()["perturbations"]
        assert info["silence"] == ["JO-CE"] and info["silenced_neurons"] > 100
        assert info["activate"] == ["aDN1"] and info["activated_neurons"] == 2
    finally:
        brain.close()


def test_unknown_perturbation_names_are_explained(graph_dir):
    with pytest.raises(flywire.UnknownNeuronError, match="Did you mean: .*aDN1"):
        make(graph_dir, silence=["aDN"])
    with pytest.raises(FlyBrainError, match="oDN1.*no FlyWire cell type"):
        make(graph_dir, silence=["oDN1"])
    with pytest.raises(FlyBrainError, match="control_dt"):
        FlyBrain(OBS_SPACE, ACTION_SPACE, None, edges=str(graph_dir))


def test_shuffled_brain_keeps_degrees(graph_dir):
    brain = make(graph_dir, name="shuffled", shuffle_seed=4)
    try:
        real = make(graph_dir)
        e1, e2 = real.edges, brain.edges
        assert np.array_equal(np.bincount(e1.post, minlength=e1.n), np.bincount(e2.post, minlength=e2.n))
        assert np.array_equal(e1.pre, e2.pre) and not np.array_equal(e1.post, e2.post)
        assert brain.info()["brain"] == "shuffled" and brain.info()["edge_set"]["shuffled"]["seed"] == 4
        # labelled as shuffled everywhere, with its own hash (issue 15 item 4)
        info, rinfo = brain.info(), real.info()
        assert info["edge_set"]["kind"] == "shuffled-surrogate" and "SHUFFLED" in info["label"]
        assert info["shuffled"] and not rinfo["shuffled"]
        assert info["edge_set"]["sha256"] != rinfo["edge_set"]["sha256"]
        assert info["edge_set"]["shuffled_from_sha256"] == rinfo["edge_set"]["sha256"]
        assert info["edge_set_label"] == info["label"] and rinfo["label"] not in info["label"].split(" (")[0]
        real.close()
    finally:
        brain.close()


def test_neural_metric_open_loop_and_scorecard_section(graph_dir, tmp_path):
    from types import SimpleNamespace

    from organisms.drosophila import neural_metric

    res = neural_metric.jo_frequency_response(str(graph_dir), rates_hz=(0, 100), duration_s=0.3)
    r0, r1 = res["rows"]
    assert r0["JO-CE:left"] == 0 and 80 < r1["JO-CE:left"] < 120 and r1["JO-CE:right"] < 10
    assert res["surrogate"] and "SURROGATE" in neural_metric.table_markdown(res)
    # scorecard hook on a recorded episode
    brain = make(graph_dir)
    try:
        run(brain, 100, obs(left=0.3))
        rec = brain.record()
        info = brain.info()
    finally:
        brain.close()
    T = len(rec["t"])
    stim = np.zeros((T, 2)); stim[T // 2:, 0] = 1
    np.savez(tmp_path / "ep_0000.npz", neural_rates=rec["rates"], neural_populations=rec["populations"],
             stimulus_on=stim)
    runobj = SimpleNamespace(run={"brain_info": info}, brain="connectome", path=tmp_path,
                             episodes=[{"status": "ok", "_path": str(tmp_path / "ep_0000.json"),
                                        "task_info": {"stimulus_side": "left"}}])
    from tasks.grooming.neural import scorecard_sections
    secs = scorecard_sections([runobj])
    (sec,) = [x for x in secs if x["title"].startswith("Neural metric")]
    assert any(x["title"].startswith("Modelling assumption") for x in secs)  # the brain's motor model
    assert "JO-CE:left" in sec["markdown"] and "Surrogate edge set" in sec["markdown"]
    assert sec["data"][str(tmp_path)]["JO-CE:left|left/on"] > 50
