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
    assert int((chem.sign == 1).sum()) == 2983
    assert int((chem.sign == -1).sum()) == 246
    assert int((chem.sign == 0).sum()) == 480
    gaba = cook.resolve(["DD", "VD"])
    assert set(cook.neurons.loc[gaba, "neurotransmitter"]) == {"GABA"}
    out = e[e.pre.isin(gaba) & e.kind.isin(["chem", "nmj"])]
    assert len(out) > 0 and (out.sign == -1).all()
    ach = e[(e.kind == "chem") & (e.transmitter == "ACh")]
    assert (ach.sign == 1).all()
    assert e.sign_source.notna().all()


def test_receptor_predictions_read_the_right_columns(cook):
    """Fenyves 2020 S3 sheet 4 columns are Glu+ Glu- ACh+ ACh- GABA+ GABA-. AIB expresses glr-1/2/5
    (and no glc/avr) and the ACh-gated chloride channels acc-1/lgc-47 only; AIY expresses glc-3 as its
    only glutamate receptor. A swapped column order (the bug fixed 2026-11) inverts all of these."""
    e = cook.edges
    chem = e[e.kind == "chem"]

    def pred(pre, post):
        return chem[(chem.pre == pre) & (chem.post == post)].receptor_prediction.iloc[0]

    assert pred("ADLL", "AIBL") == "+"    # Glu -> AIB: glr only
    assert pred("AIAL", "AIBL") == "-"    # ACh -> AIB: acc-1, lgc-47 only
    assert pred("ASER", "AIYL") == "-"    # Glu -> AIY: glc-3 only
    table = cook_receptor_table()
    assert table.loc["AIBL", "Glu_polarity"] == "+" and table.loc["AIBL", "ACh_polarity"] == "-"
    assert table.loc["AVBL", "ACh_polarity"] == "+" and table.loc["AVAL", "ACh_polarity"] == "complex"
    for cls in ("AIZL", "RIAL", "RIVL", "RMDL"):
        assert table.loc[cls, "ACh_polarity"] == "-", cls


def cook_receptor_table():
    import pandas as pd
    from organisms.c_elegans.connectomes import DATA_DIR
    return pd.read_csv(DATA_DIR / "fenyves2020_receptor_polarity.csv", index_col="neuron")


def test_sign_receptor_column(cook):
    e = cook.edges
    chem = e[e.kind == "chem"]
    assert int((chem.sign_receptor == 1).sum()) == 2711
    assert int((chem.sign_receptor == -1).sum()) == 518
    fast = chem.transmitter.isin(["ACh", "GABA", "Glu"])
    resolved = chem.receptor_prediction.isin(["+", "-"])
    want = chem.receptor_prediction.map({"+": 1, "-": -1})
    assert (chem.sign_receptor[fast & resolved] == want[fast & resolved]).all()
    assert (chem.sign_receptor[~(fast & resolved)] == chem.sign[~(fast & resolved)]).all()
    assert (chem.sign_receptor[chem.transmitter == "Glu"] == chem.sign[chem.transmitter == "Glu"]).all()


def test_apply_receptor_signs_then_overrides_win(cook):
    from organisms.c_elegans.wiring import apply_receptor_signs, apply_sign_overrides
    c = apply_receptor_signs(cook)
    e = c.edges
    ach_aib = e[(e.kind == "chem") & (e.pre == "AIAL") & (e.post == "AIBL")]
    assert (ach_aib.sign == -1).all()
    assert (cook.edges.loc[ach_aib.index, "sign"] == 1).all()   # the cached connectome is untouched
    o = apply_sign_overrides(c).edges
    m = (o.kind == "chem") & o.pre.isin(["ASER"]) & o.post.isin(["AIBL", "AIBR"])
    assert m.any() and (o.sign[m] == 1).all()


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
