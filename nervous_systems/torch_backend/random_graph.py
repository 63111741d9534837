"""Random graphs with the fly connectome's per-edge statistics, generated in memory, for the
backend equivalence tests and the brain-alone benchmark (no behaviour may be claimed from them).

* mean out-degree 108.9 = 15,091,983 edges / 138,639 neurons (the Shiu et al. 2024 v783 graph,
  doi:10.1038/s41586-024-07763-9; DESIGN.md), unless ``n_edges`` says otherwise;
* who connects to whom: a directed Chung–Lu graph, endpoints drawn independently in proportion to
  per-neuron out/in propensities LogNormal(0, 1) (heavy-tailed degrees); no self-loops, no
  duplicate pairs — the same assumption as the fly surrogate (organisms/drosophila/surrogate.py);
* synapses per edge: ceil(LogNormal(0.0363, 1.4687)), i.e. mean 3.61 synapses per edge (~54.5 M
  v783 synapses / 15.09 M edges, Dorkenwald et al. 2024) and 17.9 % of edges with >= 5 synapses
  (Lin et al. 2024, doi:10.1038/s41586-024-07968-y) — the surrogate's fit;
* sign per presynaptic neuron: inhibitory with probability 0.256, the share of GABA + glutamate
  neurons in the v783 transmitter predictions (16,017 + 19,605 of 139,255; Eckstein et al. 2024,
  via ../shared/data/flywire-783/README.md), Shiu's sign rule.
"""

from __future__ import annotations

import numpy as np

FLY_NEURONS = 138_639
FLY_EDGES = 15_091_983
MEAN_OUT_DEGREE = FLY_EDGES / FLY_NEURONS
SYN_MU, SYN_SIGMA = 0.0363, 1.4687
INHIBITORY_FRACTION = (16_017 + 19_605) / 139_255


def fly_like_graph(n: int, n_edges: int | None = None, seed: int = 0,
                   degree_sigma: float = 1.0) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(pre int32, post int32, weight = signed synapse count float32) of a random graph with
    the fly's per-edge statistics (module docstring). Vectorised; ~15 M edges in well under a
    minute and ~1 GB peak."""
    rng = np.random.default_rng(seed)
    n_edges = int(round(MEAN_OUT_DEGREE * n)) if n_edges is None else int(n_edges)
    if n_edges > 0.5 * n * (n - 1):
        raise ValueError(f"{n_edges} edges is too dense for {n} neurons")
    out_c = np.cumsum(rng.lognormal(0.0, degree_sigma, n)); out_c /= out_c[-1]
    in_c = np.cumsum(rng.lognormal(0.0, degree_sigma, n)); in_c /= in_c[-1]
    keys = np.zeros(0, np.int64)
    while len(keys) < n_edges:
        draw = int((n_edges - len(keys)) * 1.05) + 16
        pre = np.searchsorted(out_c, rng.random(draw), side="right").astype(np.int64)
        post = np.searchsorted(in_c, rng.random(draw), side="right").astype(np.int64)
        ok = pre != post
        keys = np.unique(np.concatenate([keys, pre[ok] * n + post[ok]]))
        del pre, post, ok
    if len(keys) > n_edges:
        keep = np.ones(len(keys), bool)
        keep[rng.choice(len(keys), len(keys) - n_edges, replace=False)] = False
        keys = keys[keep]
    pre = (keys // n).astype(np.int32)
    post = (keys % n).astype(np.int32)
    del keys
    count = np.maximum(np.ceil(rng.lognormal(SYN_MU, SYN_SIGMA, n_edges)), 1).astype(np.float32)
    sign = np.where(rng.random(n) < INHIBITORY_FRACTION, -1.0, 1.0).astype(np.float32)
    return pre, post, count * sign[pre]
