"""The shipped C. elegans connectomes (organisms/c_elegans/data), loaded without cect."""

import time

import numpy as np
import pytest

from nervous_systems.connectome import UnknownNeuronError
from organisms.c_elegans.connectomes import DATASETS, available_connectomes, load_connectome

MUSCLES = ({f"MDL{i:02d}" for i in range(1, 25)} | {f"MDR{i:02d}" for i in range(1, 25)}
           | {f"MVL{i:02d}" for i in range(1, 24)} | {f"MVR{i:02d}" for i in range(1, 25)})


@pytest.fixture(scope="module")
def cook():
    return load_connectome()


def test_cook_counts(cook):
    assert cook.name == "cook2019_herm"
    assert cook.n_neurons == 302
    s = cook.summary()
    assert s["chemical_edges"] == 3709
    assert s["gap_pairs"] == 1091
    assert s["nmj_edges"] == 956
    assert len(MUSCLES) == 95
    assert set(cook.effectors) == MUSCLES
    assert set(cook.nmj()["post"]) == MUSCLES


def test_signs(cook):
    e = cook.edges
    assert (e.loc[e.kind == "gap", "sign"] == 0).all()
    chem = e[e.kind == "chem"]
    assert int((chem.sign == 1).sum()) == 2773
    assert int((chem.sign == -1).sum()) == 456
    assert int((chem.sign == 0).sum()) == 480
    gaba = cook.resolve(["DD", "VD"])
    assert set(cook.neurons.loc[gaba, "neurotransmitter"]) == {"GABA"}
    out = e[e.pre.isin(gaba) & e.kind.isin(["chem", "nmj"])]
    assert len(out) > 0 and (out.sign == -1).all()
    ach = e[(e.kind == "chem") & (e.transmitter == "ACh")]
    assert (ach.sign == 1).all()
    assert e.sign_source.notna().all()


def test_known_facts(cook):
    n = cook.neurons
    assert n.loc["AVAL", "cell_type"] == "interneuron"
    assert n.loc["ASEL", "cell_type"] == "sensory"
    assert {"ASEL", "ASER"} <= set(cook.names)
    assert cook.resolve("AIY") == ["AIYL", "AIYR"]
    assert cook.resolve("AVA") == ["AVAL", "AVAR"]
    sizes = {"DB": 7, "VB": 11, "DA": 9, "VA": 12, "DD": 6, "VD": 13, "AS": 11, "VC": 6}
    for cls, k in sizes.items():
        members = cook.resolve(cls)
        assert members == [f"{cls}{i:02d}" for i in range(1, k + 1)], cls
        assert set(n.loc[members, "cell_type"]) == {"motor"}
    assert cook.resolve("SMD") == ["SMDDL", "SMDDR", "SMDVL", "SMDVR"]
    assert len(set(n.cell_class)) == 118
    assert n.loc["AVAL", "neurotransmitter"] == "ACh"
    assert n.loc["AIYL", "neurotransmitter"] == "ACh"
    assert n.loc["ASEL", "neurotransmitter"] == "Glu"
    # head before mid-body before tail
    assert n.loc["AIYL", "position"] < n.loc["ALML", "position"] < n.loc["PLML", "position"]
    assert n.position.between(0, 1).all()
    pairs = set(zip(cook.edges.pre, cook.edges.post, cook.edges.kind))
    for pre, post in [("AIYL", "AIZL"), ("AIYR", "AIZR"), ("AVAL", "VA08"), ("AVBL", "VB02"),
                      ("ASEL", "AIYL"), ("AWCL", "AIYL")]:
        assert (pre, post, "chem") in pairs, (pre, post)
    gaps = set(zip(cook.edges.pre, cook.edges.post))
    assert ("AVBL", "VB02") in gaps or ("VB02", "AVBL") in gaps
    # DB/VB motor neurons drive body-wall muscles on their side
    nmj = cook.nmj()
    assert nmj[nmj.pre.str.startswith("DB")].post.str.startswith("MD").all()
    assert nmj[nmj.pre.str.startswith("VB")].post.str.startswith("MV").all()


def test_unknown_neuron(cook):
    with pytest.raises(UnknownNeuronError) as ei:
        cook.resolve("AVAX")
    assert {"AVAL", "AVAR"} <= set(ei.value.suggestions)
    assert "AVAL" in str(ei.value)


@pytest.mark.parametrize("name", sorted(DATASETS))
def test_every_dataset_loads(name):
    c = load_connectome(name)
    assert c.n_neurons == 302
    assert c.name == name
    assert c.provenance["doi"].startswith("10.")
    assert c.provenance["counts"]["chem_edges"] == c.summary()["chemical_edges"]
    assert c.provenance["counts"]["gap_pairs"] == c.summary()["gap_pairs"]
    assert set(c.effectors) <= MUSCLES
    assert (c.edges.loc[c.edges.kind == "gap", "sign"] == 0).all()
    i, j, w = c.gap_pairs()
    assert (i < j).all() and (w > 0).all()
    pre, post, w, s = c.chemical()
    assert len(pre) == len(post) == len(w) > 0 and (w > 0).all()


def test_other_dataset_counts():
    w = load_connectome("witvliet2021_adult").summary()
    assert (w["chemical_edges"], w["gap_pairs"], w["nmj_edges"]) == (1933, 296, 216)
    v = load_connectome("varshney2011").summary()
    assert (v["chemical_edges"], v["gap_pairs"], v["nmj_edges"]) == (2194, 514, 0)


def test_available_and_unknown_dataset():
    names = available_connectomes()
    assert names[0] == "cook2019_herm" and set(names) == set(DATASETS)
    with pytest.raises(ValueError) as ei:
        load_connectome("cook2019")
    msg = str(ei.value)
    assert "cook2019_herm" in msg and "varshney2011" in msg and "Did you mean 'cook2019_herm'" in msg


def test_cached_and_fast():
    from organisms.c_elegans import connectomes
    connectomes._load.cache_clear()
    t = time.perf_counter()
    a = load_connectome()
    assert time.perf_counter() - t < 0.5
    assert load_connectome("cook2019_herm") is a


def test_provenance_hashes_match_files():
    import hashlib
    from organisms.c_elegans.connectomes import DATA_DIR, _provenance
    prov = _provenance()
    assert prov["cect_version"] == "0.3.5"
    for name, d in prov["datasets"].items():
        for fname, h in d["files"].items():
            assert hashlib.sha256((DATA_DIR / fname).read_bytes()).hexdigest() == h, fname
    assert np.isclose(sum(1 for _ in open(DATA_DIR / "cook2019_herm_neurons.csv")) - 1, 302)
