"""Random graphs with the fly connectome's per-edge statistics, generated in memory, for the
backend equivalence tests and the brain-alone benchmark (no behaviour may be claimed from them).

* mean out-degree 108.9 = 15,091,983 edges / 138,639 neurons (the Shiu et al. 2024 v783 graph,
  doi:10.1038/s41586-024-07763-9; DESIGN.md), unless ``n_edges`` says otherwise;
* who connects to whom: a directed Chung–Lu graph (``nervous_systems.chung_lu``, the fly
  surrogate's sampler), per-neuron out/in propensities LogNormal(0, 1) (heavy-tailed degrees);
* synapses per edge: ceil(LogNormal(0.0363, 1.4687)), i.e. mean 3.61 synapses per edge (~54.5 M
  v783 synapses / 15.09 M edges, Dorkenwald et al. 2024) and 17.9 % of edges with >= 5 synapses
  (Lin et al. 2024, doi:10.1038/s41586-024-07968-y) — the surrogate's fit;
* sign per presynaptic neuron: inhibitory with probability 0.256, the share of GABA + glutamate
  neurons in the v783 transmitter predictions (16,017 + 19,605 of 139,255; Eckstein et al. 2024,
  via ../shared/data/flywire-783/README.md), Shiu's sign rule.
"""

from __future__ import annotations

import numpy as np

from ..chung_lu import sample_edges, synapse_counts

FLY_NEURONS = 138_639
FLY_EDGES = 15_091_983
MEAN_OUT_DEGREE = FLY_EDGES / FLY_NEURONS
INHIBITORY_FRACTION = (16_017 + 19_605) / 139_255


def fly_like_graph(n: int, n_edges: int | None = None, seed: int = 0,
                   degree_sigma: float = 1.0) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(pre int32, post int32, weight = signed synapse count float32) of a random graph with
    the fly's per-edge statistics (module docstring). Vectorised; ~15 M edges in well under a
    minute and ~1 GB peak."""
    rng = np.random.default_rng(seed)
    n_edges = int(round(MEAN_OUT_DEGREE * n)) if n_edges is None else int(n_edges)
    pre, post = sample_edges(rng.lognormal(0.0, degree_sigma, n), rng.lognormal(0.0, degree_sigma, n),
                             n_edges, rng)
    count = synapse_counts(n_edges, rng).astype(np.float32)
    sign = np.where(rng.random(n) < INHIBITORY_FRACTION, -1.0, 1.0).astype(np.float32)
    return pre, post, count * sign[pre]
