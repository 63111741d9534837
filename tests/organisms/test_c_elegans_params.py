"""Parameter files, cited first-synapse signs and the no-nerve-ring set of the C. elegans brains."""

import numpy as np
import pytest
import yaml

import organisms  # noqa: F401
from organisms.c_elegans import load_connectome
from organisms.c_elegans.params import (
    DEFAULT_FILES,
    PARAMS_DIR,
    ParamSet,
    ParamsFileError,
    apply_class_params,
    load_params,
)
from organisms.c_elegans.wiring import apply_sign_overrides, nerve_ring_neurons


@pytest.mark.parametrize("brain", sorted(DEFAULT_FILES))
def test_default_files_load_and_every_entry_is_sourced(brain):
    ps = load_params(brain)
    assert ps.brain == brain
    for p in ps.parameters.values():
        assert p.source, p.name
        assert p.bounds[0] <= p.value <= p.bounds[1]
    # the fit's vector round-trips through the file format
    x = ps.vector()
    assert np.allclose(ps.with_vector(x).vector(), x)


def test_vector_is_clipped_and_dump_round_trips(tmp_path):
    ps = load_params("connectome")
    lo, hi = ps.bounds()
    moved = ps.with_vector(hi + 1.0)
    assert np.allclose(moved.vector(), hi)
    moved.fit_info = {"command": "test"}
    moved.dump(tmp_path / "p.yaml")
    back = ParamSet.load(tmp_path / "p.yaml")
    assert np.allclose(back.vector(), hi) and back.fit_info == {"command": "test"}


@pytest.mark.parametrize("bad, msg", [
    ({"schema": "x"}, "schema"),
    ({"schema": "cgym.celegans.params/1", "parameters": {"class.AIB.gain": {"value": 5, "bounds": [0, 1]}}},
     "outside bounds"),
    ({"schema": "cgym.celegans.params/1", "parameters": {"edge.AIB.AVA": {"value": 1, "bounds": [0, 2]}}},
     "not understood"),
])
def test_bad_files_fail_with_one_clear_line(tmp_path, bad, msg):
    path = tmp_path / "bad.yaml"
    path.write_text(yaml.safe_dump(bad))
    with pytest.raises(ParamsFileError, match=msg) as info:
        ParamSet.load(path)
    assert str(path) in str(info.value) and "\n" not in str(info.value)


def test_class_gain_scales_outgoing_chemical_weights_only():
    c = load_connectome()
    raw = {"schema": "cgym.celegans.params/1", "parameters": {
        "class.AIB.gain": {"value": 3.0, "bounds": [0, 10]},
        "class.AVA.input_gain": {"value": 2.0, "bounds": [0, 10]},
        "class.RIM.threshold_mV": {"value": 5.0, "bounds": [-10, 10]},
        "class.ALL.threshold_mV": {"value": 1.0, "bounds": [-10, 10]}}}
    c2, shifts = apply_class_params(c, ParamSet.from_dict(raw))
    e1, e2 = c.edges, c2.edges
    w1, w2 = e1["weight"].to_numpy(float), e2["weight"].to_numpy(float)
    aib = e1["pre"].isin(["AIBL", "AIBR"]) & (e1["kind"] == "chem")
    ava_in = e1["post"].isin(["AVAL", "AVAR"]) & (e1["kind"] == "chem")
    assert np.allclose(w2[aib & ~ava_in], 3 * w1[aib & ~ava_in])
    assert np.allclose(w2[aib & ava_in], 6 * w1[aib & ava_in])
    other = ~aib & ~ava_in
    assert np.allclose(w2[other], w1[other])
    assert (e1[["pre", "post", "sign"]].values == e2[["pre", "post", "sign"]].values).all()
    assert shifts["RIML"] == 6.0 and shifts["AIBL"] == 1.0 and len(shifts) == c.n_neurons



def test_nmj_gain_scales_the_class_neuromuscular_junctions_and_shifts_the_muscle_shares():
    from bodies.worm.body import MUSCLE_NAMES
    from nervous_systems.bridge import Bridge
    from organisms.c_elegans import BRIDGE_YAML

    c = load_connectome()
    raw = {"schema": "cgym.celegans.params/1", "parameters": {
        "class.DB.nmj_gain": {"value": 2.0, "bounds": [0.5, 3.0]}}}
    c2, _ = apply_class_params(c, ParamSet.from_dict(raw))
    e1, e2 = c.edges, c2.edges
    w1, w2 = e1["weight"].to_numpy(float), e2["weight"].to_numpy(float)
    db = e1["pre"].str.fullmatch(r"DB\d+").to_numpy() & (e1["kind"] == "nmj").to_numpy()
    assert db.sum() > 10
    assert np.allclose(w2[db], 2 * w1[db]) and np.allclose(w2[~db], w1[~db])
    # through the bridge's per-muscle normalisation: DB's share of a dorsal muscle rises, DA's falls
    b1, b2 = (Bridge(BRIDGE_YAML, x, MUSCLE_NAMES, 0.01) for x in (c, c2))
    dorsal = [i for i, m in enumerate(MUSCLE_NAMES) if m[1] == "D" and int(m[-2:]) >= 7]
    idx = lambda x, pat: [i for i, n in enumerate(x.names) if __import__("re").fullmatch(pat, n)]  # noqa: E731
    share = lambda b, x, pat: b.W[dorsal][:, idx(x, pat)].sum(axis=1).mean()  # noqa: E731
    assert share(b2, c2, r"DB\d+") > 1.5 * share(b1, c, r"DB\d+")
    assert share(b2, c2, r"DA\d+") < share(b1, c, r"DA\d+")

def test_cited_sign_overrides_separate_on_and_off_pathways():
    c = apply_sign_overrides(load_connectome())
    e = c.edges[c.edges["kind"] == "chem"].set_index(["pre", "post"])["sign"]
    assert e[("ASEL", "AIYL")] == 1 and e[("ASER", "AIYR")] == -1      # ASER -| AIY (GLC-3)
    assert e[("ASEL", "AIBL")] == -1 and e[("ASER", "AIBR")] == 1      # ASER -> AIB (Kuramochi & Doi 2019)
    raw = load_connectome().edges.set_index(["pre", "post", "kind"])["sign"]
    # the overrides really change the data defaults where the receptor prediction differs
    # (Fenyves 2020, columns fixed: AIY has only GLC-3 -> Glu -1; AIB only GLR-1/2/5 -> Glu +1)
    assert raw[("ASEL", "AIYL", "chem")] == -1 and raw[("ASEL", "AIBL", "chem")] == 1


def test_no_nerve_ring_set():
    c = load_connectome()
    ring = set(nerve_ring_neurons(c))
    for n in ("ASEL", "AIYL", "AIBR", "RIAL", "RIML", "AVAL", "AVBR", "SMDDL", "RMDVR", "RIVL"):
        assert n in ring
    for n in ("VB01", "DA01", "AS01", "DD01", "PVCL", "DVA", "PLML", "M1", "I2L"):
        assert n not in ring
    assert 140 <= len(ring) <= 180


def test_brains_load_their_own_files_and_accept_params_option(tmp_path):
    from nervous_systems.brain import make_brain
    ps = load_params("connectome").with_values({"class.AIB.gain": 2.0})
    ps.dump(tmp_path / "p.yaml")
    b = make_brain("no-nerve-ring", "celegans", None, None, control_dt=0.01,
                   params=str(tmp_path / "p.yaml"))
    try:
        info = b.info()
        assert info["params"] == str(tmp_path / "p.yaml")
        assert len(b.network.lesioned) == len(nerve_ring_neurons(load_connectome()))
    finally:
        b.close()
    assert (PARAMS_DIR / DEFAULT_FILES["shuffled"]).exists()


def test_set_option_changes_named_entries_within_bounds_and_is_recorded():
    from nervous_systems.brain import make_brain
    ps = load_params("connectome")
    gain = ps.parameters["class.ASE.gain"].value
    lo, hi = ps.parameters["class.ASE.gain"].bounds
    new = ps.with_set({"class.ASE.gain": hi})
    assert new.parameters["class.ASE.gain"].value == hi and ps.parameters["class.ASE.gain"].value == gain
    assert list(new.parameters) == list(ps.parameters)
    for bad, msg in (({"class.ASE.gain": hi * 2}, "outside its bounds"), ({"class.NOPE.gain": 1.0}, "no parameter"),
                     ({"class.ASE.gain": "x"}, "not a number"), ({}, "mapping"), ([1], "mapping")):
        with pytest.raises(ParamsFileError, match=msg):
            ps.with_set(bad)
    b = make_brain("connectome", "celegans", None, None, control_dt=0.01, set={"class.ASE.gain": lo})
    try:
        assert b.info()["set"] == {"class.ASE.gain": lo}
    finally:
        b.close()
    with pytest.raises(ValueError, match="outside its bounds"):
        make_brain("connectome", "celegans", None, None, control_dt=0.01, set={"class.ASE.gain": hi * 2})


def test_init_sd_makes_each_seed_start_from_its_own_state():
    from nervous_systems.brain import make_brain
    b = make_brain("connectome", "celegans", None, None, control_dt=0.01, init_sd_mV=2.0,
                   model_overrides={"sigma_noise": 0.0})
    obs = {"concentration": np.ones(1, np.float32), "dcdt": np.zeros(1, np.float32),
           "curvature": np.zeros(23, np.float32), "touch": np.zeros(1, np.float32)}
    try:
        states = []
        for seed in (1, 2, 1):
            b.reset(seed)
            b.act(obs)
            states.append(b.network.state()[0].copy())
    finally:
        b.close()
    assert np.allclose(states[0], states[2])               # same seed, same animal
    assert np.abs(states[0] - states[1]).max() > 0.5e-3     # another seed starts elsewhere (> 0.5 mV)


def test_animal_cv_draws_each_seeds_class_strengths_reproducibly():
    from nervous_systems.brain import make_brain
    from nervous_systems.per_animal import PerAnimalBrain
    plain = make_brain("connectome", "celegans", None, None, control_dt=0.01)
    b = make_brain("connectome", "celegans", None, None, control_dt=0.01, animal_cv=0.3,
                   model_overrides={"sigma_noise": 0.0})
    obs = {"concentration": np.ones(1, np.float32), "dcdt": np.zeros(1, np.float32),
           "curvature": np.zeros(23, np.float32), "touch": np.zeros(1, np.float32)}
    try:
        assert not isinstance(plain, PerAnimalBrain)            # animal_cv 0: one brain for every seed
        base = plain.network.connectome.edges
        w0 = base["weight"].to_numpy()
        weights, states = [], []
        for seed in (1, 2, 1):
            b.reset(seed)
            for _ in range(20):
                b.act(obs)
            weights.append(b.network.connectome.edges["weight"].to_numpy().copy())
            states.append(b.network.state()[0].copy())
        assert b.info()["animal"]["cv"] == 0.3 and b.info()["animal"]["seed"] == 1
    finally:
        plain.close()
        b.close()
    assert np.array_equal(weights[0], weights[2]) and np.allclose(states[0], states[2])  # same seed, same animal
    assert np.abs(states[0] - states[1]).max() > 0.5e-3          # noise off: only the draw differs
    # one factor per class and kind: every chemical edge of a class scaled alike, classes differ
    r = weights[0] / w0
    chem = (base["kind"] == "chem").to_numpy()
    cls = base["pre"].map(load_connectome().neurons["cell_class"]).to_numpy()
    per_class = {c: r[chem & (cls == c)] for c in set(cls[chem])}
    assert all(np.ptp(v) < 1e-9 for v in per_class.values())
    f = np.array([v[0] for v in per_class.values()])
    assert 0.85 < f.mean() < 1.15 and 0.2 < f.std() / f.mean() < 0.4   # mean 1, CV 0.3 (~100 classes)


@pytest.mark.parametrize("bad", ["-0.1", "x", "3"])
def test_animal_cv_rejects_bad_values_in_one_line(bad):
    from nervous_systems.brain import make_brain
    with pytest.raises(ValueError, match="animal_cv") as e:
        make_brain("connectome", "celegans", None, None, control_dt=0.01, animal_cv=bad)
    assert "\n" not in str(e.value)


def test_shuffled_brain_loads_its_own_shuffles_fit_by_default():
    from nervous_systems.brain import make_brain
    cases = [({}, "fitted/shuffled-1.yaml", 1), ({"shuffle_seed": 3}, "fitted/shuffled-3.yaml", 3),
             ({"shuffle_seed": 7}, "params/shuffled.yaml", 7)]            # no fit for seed 7: start values
    for opts, file, seed in cases:
        b = make_brain("shuffled", "celegans", None, None, control_dt=0.01, **opts)
        try:
            assert b.info()["params"].endswith(file)
            assert b.network.connectome.provenance["shuffled"]["seed"] == seed
        finally:
            b.close()
    with pytest.raises(ValueError, match="shuffle_seed"):
        make_brain("connectome", "celegans", None, None, control_dt=0.01, shuffle_seed=1)
    with pytest.raises(ValueError, match="whole number"):
        make_brain("shuffled", "celegans", None, None, control_dt=0.01, shuffle_seed="one")


def test_block_shuffle_option_keeps_ase_off_the_motor_neurons_and_loads_the_unfitted_file():
    from nervous_systems.brain import make_brain
    b = make_brain("shuffled", "celegans", None, None, control_dt=0.01, shuffle_seed=3, shuffle_blocks="cell_type")
    try:
        c = b.network.connectome
        assert c.provenance["shuffled"]["blocks"] == "cell_type" and c.provenance["shuffled"]["seed"] == 3
        assert b.info()["params"].endswith("params/shuffled.yaml") and b.info()["shuffle_blocks"] == "cell_type"
        e = c.edges_of("chem")
        kind = c.neurons["cell_type"].to_dict()
        assert not (e["pre"].isin(["ASEL", "ASER"]) & (e["post"].map(kind) == "motor")).any()
    finally:
        b.close()
    with pytest.raises(ValueError, match="shuffle_blocks='layer'"):
        make_brain("shuffled", "celegans", None, None, control_dt=0.01, shuffle_blocks="layer")
    with pytest.raises(ValueError, match="for the 'shuffled' brain"):
        make_brain("connectome", "celegans", None, None, control_dt=0.01, shuffle_blocks="cell_type")
