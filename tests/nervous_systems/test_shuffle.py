"""degree_preserving_shuffle on the real Cook 2019 connectome: what it must keep and change."""

from collections import Counter

import numpy as np
import pandas as pd
import pytest

from nervous_systems.connectome import Connectome
from nervous_systems.shuffle import degree_preserving_shuffle
from organisms.c_elegans import load_connectome
from organisms.c_elegans.connectomes import DATA_DIR, DATASETS, DEFAULT


@pytest.fixture(scope="module")
def original():
    return load_connectome()


@pytest.fixture(scope="module")
def shuffled(original):
    return degree_preserving_shuffle(original, seed=0)


def chem(c):
    return c.edges_of("chem")


def gap_degree(c):
    i, j, _ = c.gap_pairs()
    return Counter(np.concatenate([i, j]).tolist())


def test_chemical_in_and_out_degree_preserved(original, shuffled):
    a, b = chem(original), chem(shuffled)
    assert len(a) == len(b)
    assert a["pre"].value_counts().sort_index().equals(b["pre"].value_counts().sort_index())
    assert a["post"].value_counts().sort_index().equals(b["post"].value_counts().sort_index())


def test_gap_junction_degree_preserved(original, shuffled):
    assert len(original.gap_pairs()[0]) == len(shuffled.gap_pairs()[0])
    assert gap_degree(original) == gap_degree(shuffled)
    # rows are the unordered pairs themselves: no duplicate or self-loop pair was produced
    g = shuffled.edges_of("gap")
    assert (g["pre"] != g["post"]).all()
    pairs = {tuple(sorted(p)) for p in zip(g["pre"], g["post"])}
    assert len(pairs) == len(g)


def test_no_new_self_loops_or_duplicate_chemical_edges(original, shuffled):
    a, b = chem(original), chem(shuffled)
    n_self_orig = int((a["pre"] == a["post"]).sum())
    assert n_self_orig > 0  # the dataset has autapses; the shuffle may drop, never add, them
    assert int((b["pre"] == b["post"]).sum()) <= n_self_orig
    assert int(a.duplicated(["pre", "post"]).sum()) == 0
    assert int(b.duplicated(["pre", "post"]).sum()) == 0


def test_nmj_edges_identical(original, shuffled):
    cols = ["pre", "post", "weight", "sign"]
    a = original.nmj()[cols].sort_values(cols).reset_index(drop=True)
    b = shuffled.nmj()[cols].sort_values(cols).reset_index(drop=True)
    pd.testing.assert_frame_equal(a, b)
    assert shuffled.effectors == original.effectors


def test_most_chemical_edges_rewired(original, shuffled):
    a = set(zip(chem(original)["pre"], chem(original)["post"]))
    b = set(zip(chem(shuffled)["pre"], chem(shuffled)["post"]))
    changed = len(b - a) / len(b)
    assert changed > 0.5, f"only {changed:.0%} of chemical edges changed"


def test_signs_follow_presynaptic_neuron(original, shuffled):
    orig_signs = chem(original).groupby("pre")["sign"].agg(lambda s: set(s.tolist())).to_dict()
    new_signs = chem(shuffled).groupby("pre")["sign"].agg(lambda s: set(s.tolist())).to_dict()
    assert set(new_signs) == set(orig_signs)
    bad = {p: (s, orig_signs[p]) for p, s in new_signs.items() if not s <= orig_signs[p]}
    assert not bad, f"signs not of the presynaptic neuron: {list(bad.items())[:5]}"
    # the multiset of (pre, sign, weight) is kept: rewiring moves only the postsynaptic end
    key = ["pre", "sign", "weight"]
    ka = chem(original)[key].sort_values(key).reset_index(drop=True)
    kb = chem(shuffled)[key].sort_values(key).reset_index(drop=True)
    pd.testing.assert_frame_equal(ka, kb)


def test_deterministic_given_seed(original, shuffled):
    again = degree_preserving_shuffle(original, seed=0)
    pd.testing.assert_frame_equal(again.edges, shuffled.edges)
    assert again.content_hash() == shuffled.content_hash()
    other = degree_preserving_shuffle(original, seed=1)
    assert other.content_hash() != shuffled.content_hash()
    e0 = set(zip(chem(shuffled)["pre"], chem(shuffled)["post"]))
    e1 = set(zip(chem(other)["pre"], chem(other)["post"]))
    assert e0 != e1


def test_result_is_a_valid_connectome(original, shuffled):
    assert isinstance(shuffled, Connectome)
    shuffled.validate()  # raises ConnectomeError if not
    rebuilt = Connectome(name="x", neurons=shuffled.neurons.copy(), edges=shuffled.edges.copy(),
                         effectors=list(shuffled.effectors))
    assert rebuilt.summary()["chemical_edges"] == original.summary()["chemical_edges"]
    assert shuffled.names == original.names
    assert shuffled.provenance["shuffled"]["seed"] == 0
    assert shuffled.content_hash() != original.content_hash()
    # the original (cached, shared) connectome is not modified in place: same wiring as on disk
    fresh = Connectome.from_csv(DATA_DIR / DATASETS[DEFAULT]["neurons"], DATA_DIR / DATASETS[DEFAULT]["edges"])
    assert original.content_hash() == fresh.content_hash()


def _block_pair_counts(c, kind, label):
    e = c.edges_of(kind)
    if kind == "gap":
        i, j, w = c.gap_pairs()
        names = np.asarray(c.names)
        e = pd.DataFrame({"pre": names[i], "post": names[j], "weight": w})
        pairs = [tuple(sorted((label[a], label[b]))) for a, b in zip(e["pre"], e["post"])]
    else:
        pairs = list(zip(e["pre"].map(label), e["post"].map(label)))
    counts, sections = Counter(pairs), Counter()
    for p, w in zip(pairs, e["weight"]):
        sections[p] += float(w)
    return counts, sections


def test_block_shuffle_keeps_the_synapses_between_blocks_and_every_degree(original):
    label = original.neurons["cell_type"].astype(str).to_dict()
    blocked = degree_preserving_shuffle(original, seed=2, blocks=label, blocks_name="cell_type")
    plain = degree_preserving_shuffle(original, seed=2)
    for kind in ("chem", "gap"):
        assert _block_pair_counts(blocked, kind, label) == _block_pair_counts(original, kind, label)
        # the plain shuffle does not keep them (sensory neurons gain synapses onto motor neurons)
        assert _block_pair_counts(plain, kind, label)[0] != _block_pair_counts(original, kind, label)[0]
    a, b = chem(original), chem(blocked)
    assert a["pre"].value_counts().sort_index().equals(b["pre"].value_counts().sort_index())
    assert a["post"].value_counts().sort_index().equals(b["post"].value_counts().sort_index())
    assert gap_degree(blocked) == gap_degree(original)
    changed = len(set(zip(b["pre"], b["post"])) - set(zip(a["pre"], a["post"]))) / len(b)
    assert changed > 0.5, f"only {changed:.0%} of chemical edges changed"
    assert int(b.duplicated(["pre", "post"]).sum()) == 0
    assert blocked.provenance["shuffled"]["blocks"] == "cell_type"
    assert "blocks-cell_type" in blocked.name and "blocks" not in plain.name


def test_block_shuffle_needs_a_label_for_every_neuron(original):
    label = original.neurons["cell_type"].astype(str).to_dict()
    label.pop("ASEL")
    with pytest.raises(ValueError, match="ASEL"):
        degree_preserving_shuffle(original, seed=0, blocks=label)
