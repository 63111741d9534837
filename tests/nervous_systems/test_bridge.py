"""The C. elegans sensorimotor bridge (bridge.yaml interpreted by nervous_systems.bridge).

Checks signs and structure, not tuned magnitudes: gains in bridge.yaml may be recalibrated.
"""

import copy

import numpy as np
import pytest
import yaml

from bodies.worm.body import MUSCLE_NAMES
from nervous_systems.bridge import Bridge, BridgeConfigError
from nervous_systems.connectome import UnknownNeuronError
from organisms.c_elegans import BRIDGE_YAML, load_connectome

DT = 0.01
N_JOINTS = 23


@pytest.fixture(scope="module")
def connectome():
    return load_connectome()


@pytest.fixture(scope="module")
def config():
    return yaml.safe_load(BRIDGE_YAML.read_text())


@pytest.fixture
def bridge(connectome):
    return Bridge(BRIDGE_YAML, connectome, list(MUSCLE_NAMES), DT)


def obs(conc=1.0, k=0.0):
    return {"concentration": np.array([conc], np.float32), "dcdt": np.zeros(1, np.float32),
            "curvature": np.full(N_JOINTS, k, np.float32), "touch": np.zeros(1, np.float32)}


def idx(c, *names):
    return c.index_of(c.resolve(list(names)))


def enc(bridge, o):
    """encode in the forward state: AVB 20 mV above rest, AVA at rest (the default B-type feedback
    is gated by AVB minus AVA)."""
    c = bridge.c
    rest = np.zeros(c.n_neurons)
    v = rest.copy()
    v[idx(c, "AVBL", "AVBR")] = 20e-3
    return bridge.encode(o, v, rest)


# ---------------------------------------------------------------------- salt sensing (ASE)
def test_constant_concentration_gives_no_ase_drive(bridge, connectome):
    ase = idx(connectome, "ASEL", "ASER")
    for _ in range(200):
        d = enc(bridge, obs(2.0))
        assert np.allclose(d[ase], 0.0)


def test_ase_adapts_after_step(bridge, connectome):
    asel, aser = idx(connectome, "ASEL")[0], idx(connectome, "ASER")[0]
    for _ in range(100):
        enc(bridge, obs(1.0))
    drives = np.array([enc(bridge, obs(5.0))[[asel, aser]] for _ in range(int(30 / DT))])
    peak = drives[:, 0].max()
    assert peak > 10.0, f"ASEL barely responds to a 1 -> 5 mM step (peak {peak:.2f} mV)"
    assert np.all(drives[:, 1] == 0.0), "ASER (OFF cell) responded to an increase"
    assert drives[-1, 0] < 0.01 * peak, f"ASEL drive did not adapt: {drives[-1, 0]:.3f} mV after 30 s"
    assert drives[-1, 0] >= 0.0


def test_increase_drives_asel_decrease_drives_aser(bridge, connectome):
    asel, aser = idx(connectome, "ASEL")[0], idx(connectome, "ASER")[0]
    for _ in range(300):
        enc(bridge, obs(3.0))
    up = enc(bridge, obs(4.0))
    assert up[asel] > 0.0 and up[aser] == 0.0
    bridge.reset()
    for _ in range(300):
        enc(bridge, obs(3.0))
    down = enc(bridge, obs(2.0))
    assert down[aser] > 0.0 and down[asel] == 0.0


def test_reset_clears_filter_state(bridge, connectome):
    asel = idx(connectome, "ASEL")[0]
    enc(bridge, obs(1.0))
    assert enc(bridge, obs(5.0))[asel] > 0
    bridge.reset()
    assert enc(bridge, obs(5.0))[asel] == 0.0  # first sample after reset sets the baseline


# ---------------------------------------------------------------------- proprioception, tonic
def test_ventral_curvature_signs(bridge, connectome):
    base = enc(bridge, obs(1.0, 0.0))
    d = enc(bridge, obs(1.0, 2.0)) - base  # all joints bent ventrally (+k)
    vb, db = idx(connectome, "VB"), idx(connectome, "DB")
    smdd, smdv = idx(connectome, "SMDDL", "SMDDR"), idx(connectome, "SMDVL", "SMDVR")
    assert np.all(d[vb] > 0), d[vb]
    assert np.all(d[db] < 0), d[db]
    assert np.all(d[smdd] > 0) and np.all(d[smdv] < 0)
    # neurons that are not proprioceptive targets get nothing
    others = np.setdiff1d(np.arange(connectome.n_neurons), np.concatenate([vb, db, smdd, smdv]))
    assert np.allclose(d[others], 0.0)
    # dorsal bending flips every sign
    d2 = enc(bridge, obs(1.0, -2.0)) - base
    assert np.all(d2[vb] < 0) and np.all(d2[db] > 0) and np.all(d2[smdd] < 0) and np.all(d2[smdv] > 0)


def test_tonic_avb_drive(bridge, connectome, config):
    d = enc(bridge, obs(1.0, 0.0))
    avb = idx(connectome, "AVB")
    assert len(avb) == 2 and np.all(d[avb] > 0)
    want = sum(float(t["mV"]) for t in config["tonic"] if set(t["neurons"]) & {"AVB", "AVBL", "AVBR"})
    assert np.allclose(d[avb], want)
    # with no salt change and a straight body, only the tonic neurons are driven
    tonic = idx(connectome, *[n for t in config["tonic"] for n in t["neurons"]])
    assert set(np.flatnonzero(d)) == set(tonic.tolist())


# ---------------------------------------------------------------------- motor readout
def test_rest_gives_tone(bridge, connectome, config):
    s_rest = np.full(connectome.n_neurons, 1 / 12)
    a = bridge.decode(s_rest, s_rest)
    assert a.shape == (len(MUSCLE_NAMES),) and a.dtype == np.float32
    assert np.allclose(a, float(config["motor"]["tone"]))


def _muscles(bridge, neuron, connectome):
    col = bridge.W[:, connectome.index_of(neuron)[0]]
    names = np.asarray(MUSCLE_NAMES)
    return col, np.char.startswith(names, "MD"), np.char.startswith(names, "MV")


def test_db_raises_its_dorsal_muscles(bridge, connectome):
    s_rest = np.full(connectome.n_neurons, 1 / 12)
    s = s_rest.copy()
    s[connectome.index_of("DB03")[0]] += 0.005
    da = bridge.decode(s, s_rest) - bridge.decode(s_rest, s_rest)
    col, dorsal, ventral = _muscles(bridge, "DB03", connectome)
    target = col > 0
    assert target.any() and np.all(dorsal[target])
    assert np.all(da[target] > 0)
    assert np.all(da[ventral] == 0)
    assert np.all(da[~target] == 0)


def test_dd_lowers_dorsal_muscles(bridge, connectome):
    s_rest = np.full(connectome.n_neurons, 1 / 12)
    s = s_rest.copy()
    s[connectome.index_of("DD01")[0]] += 0.005
    da = bridge.decode(s, s_rest) - bridge.decode(s_rest, s_rest)
    col, dorsal, ventral = _muscles(bridge, "DD01", connectome)
    target = col != 0
    assert target.any() and np.all(dorsal[target]) and np.all(col[target] < 0)
    assert np.all(da[target] < 0)
    assert np.all(da[ventral] == 0)


# ---------------------------------------------------------------------- malformed configs
def _bad(config, connectome, edit):
    cfg = copy.deepcopy(config)
    edit(cfg)
    return Bridge(cfg, connectome, list(MUSCLE_NAMES), DT, source="bad.yaml")


def test_unknown_filter_kind(config, connectome):
    def edit(cfg):
        cfg["sensors"][0]["filter"]["kind"] = "kalman"
    with pytest.raises(BridgeConfigError) as ei:
        _bad(config, connectome, edit)
    msg = str(ei.value)
    assert "bad.yaml" in msg and "sensors[0].filter" in msg and "kalman" in msg


def test_bad_side(config, connectome):
    k = next(i for i, s in enumerate(config["sensors"]) if s.get("kind") == "proprioception")

    def edit(cfg):
        cfg["sensors"][k]["targets"][0]["side"] = "left"
    with pytest.raises(BridgeConfigError) as ei:
        _bad(config, connectome, edit)
    msg = str(ei.value)
    assert f"sensors[{k}].side" in msg and "'left'" in msg and "ventral or dorsal" in msg


def test_missing_gain(config, connectome):
    def edit(cfg):
        del cfg["sensors"][1]["targets"][0]["gain_mV"]
    with pytest.raises(BridgeConfigError) as ei:
        _bad(config, connectome, edit)
    msg = str(ei.value)
    assert "sensors[1].targets" in msg and "gain_mV" in msg


def test_unknown_neuron_suggests(config, connectome):
    def edit(cfg):
        cfg["sensors"][0]["targets"][0]["neurons"] = ["ASEX"]
    with pytest.raises(UnknownNeuronError) as ei:
        _bad(config, connectome, edit)
    assert ei.value.name == "ASEX"
    assert "ASEL" in ei.value.suggestions
    assert "ASEX" in str(ei.value) and "Did you mean" in str(ei.value)


def test_unknown_tonic_neuron_suggests(config, connectome):
    def edit(cfg):
        cfg["tonic"][0]["neurons"] = ["AVBX"]
    with pytest.raises(UnknownNeuronError) as ei:
        _bad(config, connectome, edit)
    assert "AVBL" in ei.value.suggestions or "AVB" in ei.value.suggestions


# ---------------------------------------------------------------------- state-gated proprioception
def test_gated_target_follows_the_gate_neurons_depolarisation(config, connectome):
    cfg = copy.deepcopy(config)
    a = next(s for s in cfg["sensors"] if s["name"] == "A_stretch")
    for t in a["targets"]:
        t["gain_mV"] = 30.0
    for t in next(s for s in cfg["sensors"] if s["name"] == "tail_stretch")["targets"]:
        t["gain_mV"] = 0.0   # this test is about the A chain alone
    b = Bridge(cfg, connectome, list(MUSCLE_NAMES), DT)
    assert b.needs_state
    with pytest.raises(BridgeConfigError, match="network state"):
        b.encode(obs(1.0, 1.0))
    rest = np.zeros(connectome.n_neurons)
    ava, va = idx(connectome, "AVAL", "AVAR"), idx(connectome, "VA")
    closed = b.encode(obs(1.0, 1.0), rest, rest)
    half = rest.copy(); half[ava] = 5e-3     # AVA 5 mV above rest: gate 0.5 (gate mV 10)
    opened = rest.copy(); opened[ava] = 50e-3
    d_half = b.encode(obs(1.0, 1.0), half, rest) - closed
    d_open = b.encode(obs(1.0, 1.0), opened, rest) - closed
    assert np.allclose(d_half[va], 0.5 * d_open[va]) and np.all(d_open[va] > 0)
    other = np.setdiff1d(np.arange(connectome.n_neurons), np.concatenate([va, idx(connectome, "DA")]))
    assert np.allclose(d_open[other], 0.0)


def test_default_feedback_is_gated_by_the_command_competition(bridge, connectome):
    """Default bridge: B-type feedback opens when AVB is above AVA (relative to rest), A-type when
    AVA is above AVB; equal depolarisation of both (the common mode of the gap network) opens
    neither."""
    assert bridge.needs_state
    rest = np.zeros(connectome.n_neurons)
    ava, avb = idx(connectome, "AVAL", "AVAR"), idx(connectome, "AVBL", "AVBR")
    va, vb = idx(connectome, "VA"), idx(connectome, "VB")
    base = bridge.encode(obs(1.0, 1.0), rest, rest)

    def drive(mv_ava, mv_avb):
        v = rest.copy(); v[ava] = mv_ava * 1e-3; v[avb] = mv_avb * 1e-3
        return bridge.encode(obs(1.0, 1.0), v, rest) - base

    fwd, bwd, both = drive(0, 20), drive(20, 0), drive(20, 20)
    chain = np.setdiff1d(va, idx(connectome, "VA12"))   # VA12 also carries the tail reflex
    assert np.all(fwd[vb] > 0) and np.allclose(fwd[va], 0)
    assert np.all(bwd[chain] > 0) and np.allclose(bwd[vb], 0)
    assert np.allclose(both[va], 0) and np.allclose(both[vb], 0)


def test_tail_and_head_reflexes_are_gated_by_opposite_command_states(bridge, connectome):
    """The tail stretch reflex (DA9/VA12) opens in the backward state, the SMD head reflex in the
    forward state; each is negative feedback (ventral bending excites the dorsal-side cell)."""
    rest = np.zeros(connectome.n_neurons)
    ava, avb = idx(connectome, "AVAL", "AVAR"), idx(connectome, "AVBL", "AVBR")
    da9, va12 = idx(connectome, "DA09"), idx(connectome, "VA12")
    smdd, smdv = idx(connectome, "SMDDL", "SMDDR"), idx(connectome, "SMDVL", "SMDVR")

    def drive(k, mv_ava, mv_avb):
        v = rest.copy(); v[ava] = mv_ava * 1e-3; v[avb] = mv_avb * 1e-3
        return bridge.encode(obs(1.0, k), v, rest) - bridge.encode(obs(1.0, 0.0), v, rest)

    ventral_fwd, ventral_bwd = drive(1.0, 0, 20), drive(1.0, 20, 0)
    assert np.all(ventral_fwd[smdd] > 0) and np.all(ventral_fwd[smdv] < 0)
    assert np.allclose(ventral_bwd[smdd], 0) and np.allclose(ventral_bwd[smdv], 0)
    # tail: DA9 excited by ventral bending, VA12 inhibited (A_stretch adds VA12's own +30 mV share)
    tail_fwd = drive(1.0, 0, 20)
    assert np.allclose(tail_fwd[da9], 0) and np.allclose(tail_fwd[va12], 0)
    assert np.all(ventral_bwd[da9] > ventral_bwd[idx(connectome, "DA08")]) and np.all(ventral_bwd[va12] < 0)
