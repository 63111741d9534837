"""FlyWire v783 formats (Shiu 2024 files, Codex exports), annotations, surrogate, shuffling."""

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from nervous_systems.shuffle import shuffle_edge_arrays
from organisms.drosophila import dataset, flywire, surrogate

# three real FlyWire v783 neurons (from the shipped annotation table)
JO_E = None


def real_ids(k=4):
    ann = flywire.load_annotations()
    dn = ann[ann["cell_type"] == "DNg62"]["root_id"].tolist()
    gaba = ann[ann["nt_type"] == "GABA"]["root_id"].iloc[:1].tolist()
    return dn + gaba + ann["root_id"].iloc[:k - 3].tolist()


def write_shiu_by_hand(d, ids):
    """Exactly the layout of the Shiu et al. 2024 repository files, written without our writer."""
    comp = d / "Completeness_783.csv"
    comp.write_text(",Completed\n" + "".join(f"{i},True\n" for i in ids))
    pre_i = np.array([0, 1, 2, 3]); post_i = np.array([1, 0, 0, 2])
    count = np.array([12, 3, 7, 1]); exc = np.array([1, 1, -1, 1])
    ids = np.asarray(ids, np.int64)
    df = pd.DataFrame({"Presynaptic_ID": ids[pre_i], "Postsynaptic_ID": ids[post_i],
                       "Connectivity": count, "Excitatory": exc, "Excitatory x Connectivity": count * exc,
                       "Presynaptic_Index": pre_i, "Postsynaptic_Index": post_i})
    pq.write_table(pa.Table.from_pandas(df, preserve_index=False), d / "Connectivity_783.parquet")
    return pre_i, post_i, count * exc


def test_shiu_layout_is_read_exactly(tmp_path):
    ids = real_ids()
    pre, post, w = write_shiu_by_hand(tmp_path, ids)
    root_ids, es = flywire.read_shiu(tmp_path / "Completeness_783.csv", tmp_path / "Connectivity_783.parquet")
    assert root_ids.tolist() == ids
    assert es.pre.tolist() == pre.tolist() and es.post.tolist() == post.tolist()
    assert es.weight.tolist() == w.tolist()
    assert es.kind == "real-v783" and not es.surrogate          # no cgym metadata: a real file
    assert es.sha256 == flywire.sha256_file(tmp_path / "Connectivity_783.parquet")
    nt = flywire.NeuronTable.from_root_ids(root_ids)
    assert sorted(nt.table.loc[nt.resolve("DNg62"), "side"]) == ["left", "right"]
    assert nt.resolve("DNg62:left").tolist() == [int(np.flatnonzero(nt.table["side"].eq("left")
                                                                     & nt.table["cell_type"].eq("DNg62"))[0])]
    assert nt.resolve(str(ids[2])).tolist() == [2]
    assert nt.signs()[2] == -1          # the GABAergic neuron
    # the same folder through the dataset locator (a user's own copy)
    nt2, es2 = dataset.load_edges(str(tmp_path))
    assert es2.n_edges == 4 and len(nt2) == 4


def test_real_completeness_file_is_the_shipped_neuron_order():
    import os
    from pathlib import Path
    shared = Path(__file__).resolve().parents[3] / "shared/data/flywire-783/shiu2024/Completeness_783.csv"
    if not shared.exists():
        shared = Path(__file__).resolve().parents[4] / "shared/data/flywire-783/shiu2024/Completeness_783.csv"
    if not shared.exists():
        pytest.skip("real Completeness_783.csv not available here")
    ids = flywire.read_completeness(shared)
    ann = flywire.load_annotations()
    assert len(ids) == 138_639 and np.array_equal(ids, ann["root_id"].to_numpy())


def test_bad_files_name_file_and_row(tmp_path):
    ids = real_ids()
    write_shiu_by_hand(tmp_path, ids)
    t = pq.read_table(tmp_path / "Connectivity_783.parquet").to_pandas()
    t.loc[2, "Postsynaptic_Index"] = 99
    pq.write_table(pa.Table.from_pandas(t, preserve_index=False), tmp_path / "bad.parquet")
    with pytest.raises(flywire.FlyWireDataError, match=r"bad.parquet: row 3: Postsynaptic_Index = 99"):
        flywire.read_shiu(tmp_path / "Completeness_783.csv", tmp_path / "bad.parquet")
    pq.write_table(pa.Table.from_pandas(t.drop(columns=["Excitatory x Connectivity"]), preserve_index=False),
                   tmp_path / "nocol.parquet")
    with pytest.raises(flywire.FlyWireDataError, match="missing Shiu column"):
        flywire.read_shiu(tmp_path / "Completeness_783.csv", tmp_path / "nocol.parquet")
    with pytest.raises(dataset.EdgesNotFound, match="missing"):
        dataset.load_edges(str(tmp_path / "nowhere"))


def test_unknown_names_suggest_close_types():
    nt = flywire.NeuronTable(flywire.load_annotations())
    with pytest.raises(flywire.UnknownNeuronError, match="Did you mean: .*DNg62"):
        nt.resolve("DNg621")
    assert len(nt.resolve("JO-E*:right")) > 100


def test_codex_connections_export(tmp_path):
    ids = real_ids()
    rows = [(ids[0], ids[1], "GNG_L", 4, "ACH"), (ids[0], ids[1], "SAD", 3, "ACH"),
            (ids[2], ids[0], "GNG_R", 6, "GABA"), (ids[3], 720575940000000000, "GNG_R", 9, "ACH")]
    pd.DataFrame(rows, columns=["pre_root_id", "post_root_id", "neuropil", "syn_count", "nt_type"]).to_csv(
        tmp_path / "connections.csv.gz", index=False)
    nt = flywire.NeuronTable.from_root_ids(np.asarray(ids))
    es = flywire.read_codex_connections(tmp_path / "connections.csv.gz", nt)
    got = sorted(zip(es.pre.tolist(), es.post.tolist(), es.weight.tolist()))
    assert got == [(0, 1, 7.0), (2, 0, -6.0)]
    assert es.details["dropped_edges_outside_table"] == 1


def test_surrogate_statistics_and_labels(tmp_path):
    ann = flywire.load_annotations()
    g = surrogate.generate(ann, 300_000, seed=5)
    n = len(ann)
    keys = g["pre"].astype(np.int64) * n + g["post"]
    assert len(g["pre"]) == 300_000 and len(np.unique(keys)) == 300_000
    assert not np.any(g["pre"] == g["post"])
    sign = flywire.NeuronTable(ann).signs()
    assert np.array_equal(g["excitatory"], sign[g["pre"]])          # real transmitter of the sender
    assert 3.3 < g["count"].mean() < 3.9                              # calibrated: 3.61 synapses/edge
    assert 0.16 < np.mean(g["count"] >= 5) < 0.20                     # 17.9 % with >= 5 synapses
    again = surrogate.generate(ann, 300_000, seed=5)
    assert np.array_equal(again["post"], g["post"])                   # seeded
    d = surrogate.write(tmp_path, seed=5, n_edges=1000, neurons=ann.iloc[:500].reset_index(drop=True),
                        verbose=False)
    _, es = flywire.read_shiu(d / "Completeness_783.csv", d / "Connectivity_783.parquet")
    assert es.surrogate and es.details["seed"] == "5" and "SURROGATE" in es.label()


def test_vectorised_shuffle_keeps_degrees_and_signs():
    rng = np.random.default_rng(0)
    n = 3000
    k = np.unique(rng.integers(0, n, 60_000) * n + rng.integers(0, n, 60_000))
    pre, post = k // n, k % n
    ok = pre != post
    pre, post = pre[ok], post[ok]
    new, st = shuffle_edge_arrays(pre, post, n, seed=2, swaps_per_edge=2)
    assert np.array_equal(np.bincount(post, minlength=n), np.bincount(new, minlength=n))
    assert not np.any(new == pre) and len(np.unique(pre * n + new)) == len(pre)
    assert np.mean(new == post) < 0.05 and st["accepted"] > 0.9 * st["proposed"]
