"""Directed Chung–Lu random graphs: endpoints drawn independently in proportion to per-neuron
out- and in-propensities, no self-loops, no duplicate pairs, exactly ``n_edges`` edges.

The one sampler behind the fly's generated stand-ins: the labelled FlyWire surrogate
(``organisms/drosophila/surrogate.py``, propensities scaled per super-class) and the backends'
fly-like test and benchmark graphs (``nervous_systems/torch_backend/random_graph.py``). Synapses
per edge: ceil(LogNormal(:data:`SYN_MU`, :data:`SYN_SIGMA`)), at least 1 — mean 3.61 synapses
per edge (~54.5 M v783 synapses / 15.09 M edges, Dorkenwald et al. 2024,
doi:10.1038/s41586-024-07558-y) and 17.9 % of edges with >= 5 synapses (Lin et al. 2024,
doi:10.1038/s41586-024-07968-y).
"""

from __future__ import annotations

import numpy as np

SYN_MU, SYN_SIGMA = 0.0363, 1.4687


def sample_edges(out_weight: np.ndarray, in_weight: np.ndarray, n_edges: int,
                 rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """(pre int32, post int32), sorted by (pre, post): ``n_edges`` distinct directed pairs over
    ``len(out_weight)`` neurons, each endpoint drawn in proportion to its weight. Vectorised
    rejection (draw 5 % more than missing, drop self-loops and repeats, then a random surplus);
    ~15 M edges in well under a minute, ~1 GB peak."""
    out_weight = np.asarray(out_weight, float)
    in_weight = np.asarray(in_weight, float)
    n = len(out_weight)
    if len(in_weight) != n:
        raise ValueError(f"out_weight and in_weight differ in length ({n} vs {len(in_weight)})")
    if n_edges > 0.5 * n * (n - 1):
        raise ValueError(f"{n_edges} edges is too dense for {n} neurons (max half of {n * (n - 1)})")
    out_c, in_c = np.cumsum(out_weight), np.cumsum(in_weight)
    out_c /= out_c[-1]
    in_c /= in_c[-1]
    keys = np.zeros(0, np.int64)
    while len(keys) < n_edges:
        draw = int((n_edges - len(keys)) * 1.05) + 16
        pre = np.searchsorted(out_c, rng.random(draw), side="right").astype(np.int64)
        post = np.searchsorted(in_c, rng.random(draw), side="right").astype(np.int64)
        ok = pre != post
        keys = np.unique(np.concatenate([keys, pre[ok] * n + post[ok]]))
        del pre, post, ok
    if len(keys) > n_edges:  # drop a random surplus (keeps the sorted order)
        keep = np.ones(len(keys), bool)
        keep[rng.choice(len(keys), len(keys) - n_edges, replace=False)] = False
        keys = keys[keep]
    return (keys // n).astype(np.int32), (keys % n).astype(np.int32)


def synapse_counts(n_edges: int, rng: np.random.Generator) -> np.ndarray:
    """Synapses per edge (int32 >= 1): ceil(LogNormal(SYN_MU, SYN_SIGMA))."""
    return np.maximum(np.ceil(rng.lognormal(SYN_MU, SYN_SIGMA, n_edges)), 1).astype(np.int32)
