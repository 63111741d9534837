"""A labelled SURROGATE edge list over the real FlyWire v783 neuron table.

The real 15,091,983-edge Shiu et al. 2024 graph is not shipped (CC BY-NC 4.0, 100 MB; fetch it
with ``cgym data fetch flywire-783``). Until it is present, the fly brain runs on this surrogate:
the real neurons (ids, types, sides, transmitters) with generated wiring. **Nothing about fly
behaviour may be claimed from it**; every output names it (``EdgeSet.label()``, ``brain.info()``).

What is real and what is assumed (see also organisms/drosophila/README.md):

* neurons: the real 138,639 neurons of the Shiu graph, in Shiu order (``Completeness_783.csv``);
* number of edges: 15,091,983, the Shiu v783 graph's edge count (Shiu et al. 2024; DESIGN.md);
* sign of every edge: the real transmitter prediction of its presynaptic neuron (Eckstein et al.
  2024, via Codex ``neurons.csv``), with Shiu's rule (GABA, glutamate → −1, else +1);
* synapses per edge: ``ceil(LogNormal(mu, sigma))`` with (mu, sigma) = (0.0363, 1.4687), solved
  so that (a) the mean is 3.61 synapses per edge (~54.5 M v783 synapses / 15.09 M edges, Dorkenwald
  et al. 2024) and (b) 17.9 % of edges have >= 5 synapses (2,701,601 thresholded v783
  connections, Lin et al. 2024, Nature 634:153, doi:10.1038/s41586-024-07968-y, / 15,091,983);
* who connects to whom: an ASSUMPTION — a directed Chung–Lu random graph (endpoints drawn
  independently in proportion to per-neuron out- and in-propensities), propensities
  LogNormal(0, 1) (heavy-tailed, as FlyWire degree distributions are, Lin et al. 2024; the
  width is not fitted), scaled by super class: sensory neurons receive little in-brain input
  (in × 0.2), descending and motor neurons send few in-brain outputs (out × 0.3, × 0.1; their
  targets are in the VNC / muscles). No self-loops, no duplicate pairs. There is no spatial,
  type or side structure: pathways such as JO → aBN1 → aDN1 are NOT in the surrogate.

The generator is vectorised (NumPy), seeded and versioned; it writes exactly the Shiu file
layout into a user cache (never into the repository) with ``cgym.kind = surrogate`` and the
generator version and seed in the parquet metadata, and prints its time and peak memory.

    python -m organisms.drosophila.surrogate [--seed 0] [--out DIR] [--edges N]
"""

from __future__ import annotations

import argparse
import resource
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

from nervous_systems.chung_lu import sample_edges, synapse_counts

from . import flywire

GENERATOR = "cgym-flywire-surrogate"
VERSION = 1
N_EDGES_V783 = 15_091_983
DEGREE_SIGMA = 1.0
OUT_SCALE = {"descending": 0.3, "motor": 0.1}
IN_SCALE = {"sensory": 0.2}


def cache_root() -> Path:
    from nervous_systems.brian2_setup import cache_dir
    return cache_dir() / "flywire-783-surrogate"


def default_dir(seed: int = 0) -> Path:
    return cache_root() / f"v{VERSION}-seed{seed}"


def generate(neurons: pd.DataFrame, n_edges: int, seed: int = 0) -> dict:
    """Arrays of a surrogate graph over ``neurons`` (rows in model order; columns root_id,
    super_class, nt_type). Returns dict(pre, post, count, excitatory)."""
    n = len(neurons)
    if n < 2:
        raise ValueError("need at least 2 neurons")
    rng = np.random.default_rng(seed)
    sc = neurons["super_class"].fillna("").astype(str).to_numpy()
    out_w = rng.lognormal(0.0, DEGREE_SIGMA, n) * np.vectorize(lambda s: OUT_SCALE.get(s, 1.0), otypes=[float])(sc)
    in_w = rng.lognormal(0.0, DEGREE_SIGMA, n) * np.vectorize(lambda s: IN_SCALE.get(s, 1.0), otypes=[float])(sc)
    pre, post = sample_edges(out_w, in_w, n_edges, rng)
    count = synapse_counts(n_edges, rng)
    sign = flywire.NeuronTable(neurons.reset_index(drop=True)).signs()
    return {"pre": pre, "post": post, "count": count, "excitatory": sign[pre].astype(np.int8)}


def write(directory: str | Path | None = None, seed: int = 0, n_edges: int | None = None,
          neurons: pd.DataFrame | None = None, verbose: bool = True) -> Path:
    """Generate and write a surrogate in the Shiu layout; returns the directory."""
    t0 = time.perf_counter()
    neurons = flywire.load_annotations() if neurons is None else neurons
    n_edges = N_EDGES_V783 if n_edges is None else int(n_edges)
    directory = Path(directory) if directory else default_dir(seed)
    g = generate(neurons, n_edges, seed)
    t_gen = time.perf_counter() - t0
    flywire.write_shiu(directory, neurons["root_id"].to_numpy(np.int64), g["pre"], g["post"], g["count"],
                       g["excitatory"], metadata={"kind": "surrogate", "generator": GENERATOR,
                                                  "generator_version": VERSION, "seed": seed,
                                                  "neurons": len(neurons), "edges": n_edges})
    t_all = time.perf_counter() - t0
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    if verbose:
        print(f"surrogate {GENERATOR} v{VERSION} seed {seed}: {len(neurons):,} neurons, {n_edges:,} edges, "
              f"{int(g['count'].sum()):,} synapses, {100 * np.mean(g['excitatory'] < 0):.1f}% inhibitory edges; "
              f"generated in {t_gen:.1f} s, written in {t_all - t_gen:.1f} s; process peak RSS {peak:,.0f} MB "
              f"-> {directory}", file=sys.stderr)
    return directory


SMALL_N = 2000


def small_neuron_table(n: int = SMALL_N, seed: int = 0) -> pd.DataFrame:
    """``n`` real FlyWire neurons: every JO-C/E/F, BM_Ant and read-out neuron, plus random
    others (for quick tries and tests of the same loader / builder / bridge)."""
    ann = flywire.load_annotations()
    t = ann["cell_type"].fillna("").astype(str)
    p = ann["primary_type"].fillna("").astype(str)
    from . import identities
    pinned = np.concatenate([identities.root_ids(pop) for pop in
                             ("aBN1", "aBN2", "aBN3", "aDN1", "aDN2", "aDN3", "CB0496-Shiu2024")])
    keep = (t.str.match(r"JO-[CEF]") | t.isin(["BM_Ant", "DNg62", "DNa01"])
            | p.isin(["DNp09", "DNa02", "DNp50"]) | ann["root_id"].isin(pinned))
    rng = np.random.default_rng(seed)
    others = np.flatnonzero(~keep.to_numpy())
    extra = rng.choice(others, n - int(keep.sum()), replace=False)
    rows = np.sort(np.concatenate([np.flatnonzero(keep.to_numpy()), extra]))
    return ann.iloc[rows].reset_index(drop=True)


# The planted antennal-grooming pathway of the small test graph (plant_grooming=True): per circuit
# side, every JO-CE neuron of that side -> aBN1 (PLANT_JO_ABN1 synapses), aBN1 -> aDN1 and aDN2
# (PLANT_ABN1_ADN synapses), all excitatory. TEST SCAFFOLD ONLY: the synapse counts are chosen so
# that the pathway carries Shiu's drive (a 60-synapse edge = 16.5 mV per spike), not measured.
PLANT_JO_ABN1 = 5
PLANT_ABN1_ADN = 60


def plant_grooming_edges(root_ids: np.ndarray) -> dict:
    """Edges (pre/post model indices, counts) of the planted JO-CE -> aBN1 -> aDN1/aDN2 pathway."""
    from . import identities

    pos = {int(r): i for i, r in enumerate(np.asarray(root_ids, np.int64))}
    pre, post, cnt = [], [], []
    for side in ("left", "right"):
        jo = set(identities.root_ids("JO-C-Ozdil2024", side)) | set(identities.root_ids("JO-E-Ozdil2024", side))
        if side == "left":
            jo |= set(identities.root_ids("JO-CE-Shiu2024", side))
        abn = [pos[int(i)] for i in identities.root_ids("aBN1", side) if int(i) in pos]
        adn = [pos[int(i)] for p in ("aDN1", "aDN2") for i in identities.root_ids(p, side) if int(i) in pos]
        for a in abn:
            for j in sorted(pos[int(i)] for i in jo if int(i) in pos):
                pre.append(j); post.append(a); cnt.append(PLANT_JO_ABN1)
            for d in adn:
                pre.append(a); post.append(d); cnt.append(PLANT_ABN1_ADN)
    return {"pre": np.asarray(pre, np.int64), "post": np.asarray(post, np.int64), "count": np.asarray(cnt, np.int32)}


def write_small_graph(directory: str | Path, n: int = SMALL_N, n_edges: int = 60_000,
                      seed: int = 0, plant_grooming: bool = False) -> Path:
    """A small surrogate (``n`` real neurons, ``n_edges`` generated edges) in exactly the Shiu
    layout, labelled as a surrogate like the full-size one; ``edges=DIRECTORY`` loads it.
    ``plant_grooming=True`` adds the JO-CE -> aBN1 -> aDN1/aDN2 pathway of
    :func:`plant_grooming_edges` (replacing generated edges on the same pairs) and says so in the
    file's metadata and the edge-set label: a test scaffold for the Shiu protocol, not wiring."""
    neurons = small_neuron_table(n, seed)
    g = generate(neurons, n_edges, seed)
    meta = {"kind": "surrogate", "generator": GENERATOR, "generator_version": VERSION, "seed": seed}
    if plant_grooming:
        pl = plant_grooming_edges(neurons["root_id"].to_numpy(np.int64))
        nn = len(neurons)
        planted = set((pl["pre"] * nn + pl["post"]).tolist())
        keep = ~np.isin(g["pre"].astype(np.int64) * nn + g["post"], list(planted))
        g = {"pre": np.concatenate([g["pre"][keep], pl["pre"].astype(np.int32)]),
             "post": np.concatenate([g["post"][keep], pl["post"].astype(np.int32)]),
             "count": np.concatenate([g["count"][keep], pl["count"]]),
             "excitatory": np.concatenate([g["excitatory"][keep], np.ones(len(pl["pre"]), np.int8)])}
        meta["planted"] = (f"JO-CE->aBN1 ({PLANT_JO_ABN1} syn), aBN1->aDN1/aDN2 ({PLANT_ABN1_ADN} syn) per "
                           f"circuit side, {len(pl['pre'])} edges")
    flywire.write_shiu(directory, neurons["root_id"].to_numpy(), g["pre"], g["post"], g["count"],
                       g["excitatory"], metadata=meta)
    return Path(directory)


def ensure(seed: int = 0, verbose: bool = True) -> Path:
    """The full-size surrogate directory, generated on first use."""
    d = default_dir(seed)
    if not (d / flywire.SHIU_CONNECTIVITY).exists():
        if verbose:
            print(f"no FlyWire v783 edge list found (cgym data fetch flywire-783, or cgym data path "
                  f"flywire-783 DIR); generating the labelled SURROGATE (seed {seed}) once into {d}",
                  file=sys.stderr)
        write(d, seed=seed, verbose=verbose)
    return d


def main(argv=None) -> int:
    p = argparse.ArgumentParser(prog="python -m organisms.drosophila.surrogate", description=__doc__.split("\n")[0])
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--edges", type=int, default=N_EDGES_V783)
    p.add_argument("--out", help="folder (default: the user cache)")
    a = p.parse_args(argv)
    write(a.out, seed=a.seed, n_edges=a.edges)
    return 0


if __name__ == "__main__":
    sys.exit(main())
