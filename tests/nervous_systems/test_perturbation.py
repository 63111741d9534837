"""In-silico perturbations of the connectome brain: lesions and activation (real Cook 2019 wiring)."""

import json

import numpy as np
import pytest

import organisms  # noqa: F401
from bodies.worm.body import MUSCLE_NAMES
from nervous_systems.connectome import UnknownNeuronError
from nervous_systems.connectome_brain import ConnectomeBrain
from organisms.c_elegans import BRIDGE_YAML, load_connectome

DT = 0.01
QUIET = {"sigma_noise": 0.0}
AIY = {"AIYL", "AIYR"}


def zero_obs():
    return {"concentration": np.zeros(1, np.float32), "dcdt": np.zeros(1, np.float32),
            "curvature": np.zeros(23, np.float32), "touch": np.zeros(1, np.float32)}


def make(**kw):
    return ConnectomeBrain(load_connectome(), BRIDGE_YAML, MUSCLE_NAMES, DT, model_overrides=QUIET, **kw)


def run(brain, seconds=1.0, seed=0):
    brain.reset(seed=seed)
    for _ in range(int(round(seconds / DT))):
        brain.act(zero_obs())
    return brain.network.state()[0] * 1e3  # mV


@pytest.fixture(scope="module")
def control():
    b = make()
    v = run(b)
    yield b, v
    b.close()


@pytest.fixture(scope="module")
def lesioned():
    b = make(lesion=["AIY"])
    yield b
    b.close()


def _touches(e, names):
    return e["pre"].isin(names) | (e["post"].isin(names) & (e["kind"] != "nmj"))


def test_lesion_removes_every_edge_of_the_class(lesioned):
    orig = load_connectome().edges
    after = lesioned.network.connectome.edges
    assert not _touches(after, AIY).any()
    n_touch = int(_touches(orig, AIY).sum())
    assert n_touch > 0
    for kind in ("chem", "gap"):  # AIY has chemical in/out and gap junctions in the dataset
        sub = orig[orig["kind"] == kind]
        assert (sub["pre"].isin(AIY) | sub["post"].isin(AIY)).any(), kind
    assert len(after) == len(orig) - n_touch
    cols = ["pre", "post", "kind", "weight", "sign"]
    keep = orig[~_touches(orig, AIY)][cols].sort_values(cols).reset_index(drop=True)
    got = after[cols].sort_values(cols).reset_index(drop=True)
    assert keep.equals(got)
    # the neurons stay (silenced, not deleted) and the cached dataset itself is untouched
    assert lesioned.network.connectome.names == load_connectome().names
    assert _touches(load_connectome().edges, AIY).sum() == n_touch


def test_lesioned_neurons_are_isolated_in_the_network(lesioned):
    net = lesioned.network
    idx = net.connectome.index_of(sorted(AIY))
    e_c = float(net.namespace["E_c"])
    assert np.allclose(net.v_rest[idx], e_c)  # no synaptic or gap input left: rests at leak reversal
    v = run(lesioned, 0.3) * 1e-3
    assert np.allclose(v[idx], e_c, atol=1e-9)


def test_activation_depolarises_asel(control):
    _, v_ctrl = control
    b = make(activate=["ASEL"])
    try:
        v_act = run(b)
        rec = b.record()
        info = b.info()
    finally:
        b.close()
    k = b.network.connectome.index_of("ASEL")[0]
    dv = v_act[k] - v_ctrl[k]
    assert dv >= 10.0, f"ASEL only {dv:.2f} mV above the unperturbed brain"
    assert dv <= 40.0  # of the order of activate_mV (20 mV; network feedback adds some), no runaway
    # the recording sees it too
    names = list(rec["names"])
    col = names.index("ASEL")
    assert rec["v"][-1, col] - v_ctrl[k] >= 10.0
    assert info["perturbation"]["activate"] == ["ASEL"]
    assert info["perturbation"]["activate_mV"] == pytest.approx(20.0)
    # ASER was not activated: it moves much less than ASEL
    j = b.network.connectome.index_of("ASER")[0]
    assert abs(v_act[j] - v_ctrl[j]) < dv / 2


def test_control_without_noise_is_at_rest_for_silent_neurons(control):
    b, v = control
    # a sensory neuron without drive stays near the network's resting state (no runaway)
    k = b.network.connectome.index_of("ASEL")[0]
    assert abs(v[k] - b.network.v_rest[k] * 1e3) < 5.0


def test_unknown_lesion_name_suggests():
    with pytest.raises(UnknownNeuronError) as ei:
        make(lesion=["AIYX"])
    assert ei.value.name == "AIYX"
    assert {"AIY", "AIYL", "AIYR"} & set(ei.value.suggestions)
    assert "AIYX" in str(ei.value) and "Did you mean" in str(ei.value)


def test_info_lists_perturbation(lesioned, control):
    info = lesioned.info()
    assert info["perturbation"]["lesion"] == ["AIY"]
    assert info["perturbation"]["activate"] == []
    assert info["connectome"]["sha256"] != load_connectome().content_hash()
    assert info["connectome"]["chemical_edges"] < load_connectome().summary()["chemical_edges"]
    assert json.loads(json.dumps(info))["perturbation"]["lesion"] == ["AIY"]
    plain = control[0].info()
    assert plain["perturbation"] == {"lesion": [], "activate": [], "activate_mV": None}
    assert plain["connectome"]["sha256"] == load_connectome().content_hash()
    assert plain["model"]["parameters"]["sigma_noise"].startswith("0.0")


@pytest.mark.parametrize("backend", ["kernel", "brian2"])
def test_activation_pulse_is_on_only_inside_its_window(control, backend):
    """activate_window_s: ASEL driven from 0.3 to 0.6 s only; before, same as the control brain;
    inside, depolarised like a whole-episode activation; after, back towards the control."""
    _, v_ctrl = control
    b = make(activate=["ASEL"], activate_window_s=[0.3, 0.6], backend=backend)
    k = b.network.connectome.index_of("ASEL")[0]
    try:
        b.reset(seed=0)
        trace = []
        for _ in range(100):
            b.act(zero_obs())
            trace.append(b.network.state()[0][k] * 1e3)
        info = b.info()
    finally:
        b.close()
    trace = np.array(trace)  # trace[i] = ASEL after control step i, i.e. at t = (i + 1) * DT
    rest = v_ctrl[k]
    assert np.all(np.abs(trace[:29] - rest) < 1.0)       # before the pulse: unperturbed
    assert trace[55] - rest >= 10.0                       # inside: depolarised by ~activate_mV
    assert abs(trace[99] - rest) < (trace[55] - rest) / 3  # 0.4 s after the pulse: largely decayed
    assert info["perturbation"]["activate"] == []          # not a whole-episode activation
    assert info["activation_pulse"] == {"neurons": ["ASEL"], "mV": 20.0, "window_s": [0.3, 0.6]}


@pytest.mark.parametrize("window, msg", [([0.5, 0.2], "t_on < t_off"), ("soon", "expected"),
                                         ([0.1, 0.2], "needs neurons")])
def test_activation_pulse_rejects_bad_windows(window, msg):
    kw = {} if msg == "needs neurons" else {"activate": ["ASEL"]}
    with pytest.raises(ValueError, match=msg):
        make(activate_window_s=window, **kw)
