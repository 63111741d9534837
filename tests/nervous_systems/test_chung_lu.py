"""The Chung–Lu sampler behind the fly's generated graphs (surrogate and backend test graphs)."""

import numpy as np
import pytest

from nervous_systems.chung_lu import sample_edges, synapse_counts


def test_exact_edge_count_no_self_loops_no_repeats_sorted():
    rng = np.random.default_rng(0)
    w_out, w_in = rng.lognormal(0, 1, 400), rng.lognormal(0, 1, 400)
    pre, post = sample_edges(w_out, w_in, 20_000, np.random.default_rng(1))
    assert pre.dtype == post.dtype == np.int32 and len(pre) == 20_000
    assert not np.any(pre == post)
    keys = pre.astype(np.int64) * 400 + post
    assert len(np.unique(keys)) == len(keys) and np.all(np.diff(keys) > 0)
    # degrees follow the propensities: the top tenth by out-weight sends far more edges
    deg = np.bincount(pre, minlength=400)
    top = np.argsort(w_out)[-40:]
    bottom = np.argsort(w_out)[:40]
    assert deg[top].mean() > 3 * deg[bottom].mean()
    # seeded: the same generator state gives the same graph
    again = sample_edges(w_out, w_in, 20_000, np.random.default_rng(1))
    assert np.array_equal(pre, again[0]) and np.array_equal(post, again[1])


def test_a_silent_neuron_gets_no_edges_and_errors_are_clear():
    w = np.ones(50)
    w_out = w.copy(); w_out[7] = 0.0
    pre, _ = sample_edges(w_out, w, 500, np.random.default_rng(2))
    assert 7 not in pre
    with pytest.raises(ValueError, match="too dense for 10 neurons"):
        sample_edges(np.ones(10), np.ones(10), 46, np.random.default_rng(0))
    with pytest.raises(ValueError, match="differ in length"):
        sample_edges(np.ones(10), np.ones(9), 5, np.random.default_rng(0))


def test_synapse_counts_match_the_flywire_statistics():
    c = synapse_counts(200_000, np.random.default_rng(3))
    assert c.dtype == np.int32 and c.min() >= 1
    assert c.mean() == pytest.approx(3.61, rel=0.05)          # ~54.5 M synapses / 15.09 M edges
    assert np.mean(c >= 5) == pytest.approx(0.179, abs=0.01)  # Lin et al. 2024
