"""The hindbrain motion integrator as a seeded stochastic block model drawn from the CLEM tables.

Boulanger-Weill et al. 2025 (clem_zfish1) publish class-level wiring, not a cell-to-cell edge list
(``data/README.md``). So the integrator is *drawn* from it:

* populations iMI+, iMI-, cMI, MON, SMI per hemisphere, ``scale`` model units per reconstructed
  cell (``data/clem_populations.csv``: the CLEM proportions); each unit's transmitter is drawn
  from its population's E/I counts (so cMI is ~90 % inhibitory, SMI mixed);
* block (pre, post, same/other hemisphere) connection probability ``min(1, c * p_connect)`` and
  weight ``g_syn * synapses_per_connection / (c * scale)`` (``data/clem_connectivity.csv``), so
  the expected input a cell gets from a block is ``g_syn`` x the expected number of CLEM synapses;
* visual input weight per population = its fraction of input synapses from axons that leave the
  volume rostrally (``data/clem_inputs.csv``; the pretectal side).

The ``shuffled`` control rewires these edges by degree-preserving double-edge swaps
(:func:`nervous_systems.shuffle.degree_preserving_shuffle`: every unit keeps its in- and
out-degree, each edge keeps its presynaptic sign and weight) — the block structure (who inhibits
whom across the midline) is destroyed, the counts are kept.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from nervous_systems.connectome import Connectome

DATA = Path(__file__).resolve().parent / "data"
POPULATIONS = ("iMI+", "iMI-", "cMI", "MON", "SMI")
SIDES = ("L", "R")


def _other(h: str) -> str:
    return "R" if h == "L" else "L"


@dataclass
class IntegratorWiring:
    names: list[str]           # unit names "iMI+_L_003"
    population: np.ndarray     # (n,) population label
    hemisphere: np.ndarray     # (n,) "L" / "R"
    sign: np.ndarray           # (n,) +1 excitatory / -1 inhibitory
    pre: np.ndarray            # edges, local indices
    post: np.ndarray
    weight: np.ndarray         # signed weight per edge
    visual_weight: dict        # population -> relative pretectal input
    label: str = "connectome"

    @property
    def n(self) -> int:
        return len(self.names)

    def block_matrix(self) -> pd.DataFrame:
        """Summed signed weight per (pre population_hemi, post population_hemi)."""
        key = np.char.add(np.char.add(self.population.astype(str), "_"), self.hemisphere.astype(str))
        df = pd.DataFrame({"pre": key[self.pre], "post": key[self.post], "w": self.weight})
        return df.pivot_table(index="pre", columns="post", values="w", aggfunc="sum", fill_value=0.0)


#: integrator edge classes that get one gain each (``integrator.g_E`` ... in the model YAML)
EDGE_CLASSES = ("g_E", "g_I_same", "g_I_other")


def edge_class(w: "IntegratorWiring") -> np.ndarray:
    """Class of every integrator edge: 0 = excitatory presynaptic cell, 1 = inhibitory within a
    hemisphere, 2 = inhibitory across the midline (defined for any wiring, controls included)."""
    inh = w.sign[w.pre] < 0
    cross = w.hemisphere[w.pre] != w.hemisphere[w.post]
    return np.where(~inh, 0, np.where(cross, 2, 1)).astype(int)


def class_gains(w: "IntegratorWiring", gains: dict) -> np.ndarray:
    """Per-edge multiplier from one gain per class (:data:`EDGE_CLASSES`)."""
    g = np.array([float(gains.get(k, 1.0)) for k in EDGE_CLASSES])
    return g[edge_class(w)] if len(w.pre) else np.zeros(0)


def load_tables(data_dir: Path = DATA):
    pops = pd.read_csv(data_dir / "clem_populations.csv")
    conn = pd.read_csv(data_dir / "clem_connectivity.csv")
    inputs = pd.read_csv(data_dir / "clem_inputs.csv")
    for name, df, cols in (("clem_populations.csv", pops, ["population", "hemisphere", "n_cells", "n_excitatory", "n_inhibitory"]),
                           ("clem_connectivity.csv", conn, ["pre", "post", "side", "p_connect", "synapses_per_connection"]),
                           ("clem_inputs.csv", inputs, ["population", "source", "fraction_of_input_synapses"])):
        missing = [c for c in cols if c not in df.columns]
        if missing:
            raise ValueError(f"{data_dir / name}: missing columns {missing}")
    return pops, conn, inputs


def block_shuffled_table(conn: pd.DataFrame, seed: int = 0) -> pd.DataFrame:
    """The connectivity table with its blocks relabelled at random: the (p_connect,
    synapses_per_connection) of every observed block moves to a random (pre, post, side) slot
    among all 5 x 5 x 2 = 50 slots of the integrator (seeded). What the data fix per block —
    connection probability and synapses per connection — is kept as a set; *which* populations
    and which side of the midline they connect is destroyed. Presynaptic sign stays with the
    presynaptic population (it is a property of the cells, not of the block)."""
    rng = np.random.default_rng(seed)
    rows = conn[conn.pre.isin(POPULATIONS) & conn.post.isin(POPULATIONS)].reset_index(drop=True)
    slots = [(a, b, s) for a in POPULATIONS for b in POPULATIONS for s in ("same", "other")]
    pick = rng.choice(len(slots), size=len(rows), replace=False)
    out = rows.copy()
    out["pre"] = [slots[k][0] for k in pick]
    out["post"] = [slots[k][1] for k in pick]
    out["side"] = [slots[k][2] for k in pick]
    return out


def draw_integrator(seed: int = 0, scale: float = 5, completeness: float = 3.0, g_syn: float = 1.0,
                    data_dir: Path = DATA, conn: pd.DataFrame | None = None, label: str = "connectome",
                    edges: bool = True) -> IntegratorWiring:
    """Draw one wiring of the integrator (deterministic given ``seed``).

    ``conn`` replaces the CLEM connectivity table (e.g. :func:`block_shuffled_table`);
    ``edges=False`` keeps the populations, signs and visual input but no integrator edges.
    P(edge) = min(1, c p_connect); weight = g_syn * syn/conn * p_connect / (P(edge) * scale), so
    the expected input a unit gets from a block is g_syn x (expected CLEM synapses) / scale
    whatever c (also where c p_connect is clipped at 1).
    """
    rng = np.random.default_rng(seed)
    pops, conn0, inputs = load_tables(data_dir)
    conn = conn0 if conn is None else conn
    # population sizes: CLEM counts pooled over hemispheres, split evenly (the reconstruction
    # samples the two hemispheres unevenly; the circuit is bilaterally symmetric)
    tot = pops.groupby("population")[["n_cells", "n_excitatory", "n_inhibitory"]].sum()
    # bilaterally symmetric draw: the tables are pooled over hemispheres (per seed population and
    # same / other side), so one hemisphere is drawn and mirrored — unit k of a population has the
    # same sign on both sides, and every within-hemisphere and cross-midline block has the same
    # edges (by unit index) from left and from right. Independent draws per hemisphere gave
    # left-right differences of up to 15 % in a block's summed weight (cMI -> contralateral iMI+),
    # enough to lock one hemisphere on once the recurrent gains were fitted.
    names, popl, hemi, sign = [], [], [], []
    for p in POPULATIONS:
        n = max(1, int(round(scale * tot.loc[p, "n_cells"] / 2)))
        frac_e = tot.loc[p, "n_excitatory"] / max(1, tot.loc[p, "n_excitatory"] + tot.loc[p, "n_inhibitory"])
        s = np.where(rng.random(n) < frac_e, 1.0, -1.0)
        for h in SIDES:
            for k in range(n):
                names.append(f"{p}_{h}_{k:03d}")
                popl.append(p)
                hemi.append(h)
            sign.extend(s.tolist())
    popl, hemi, sign = np.asarray(popl), np.asarray(hemi), np.asarray(sign)
    idx = {(p, h): np.flatnonzero((popl == p) & (hemi == h)) for p in POPULATIONS for h in SIDES}
    pre_l, post_l, w_l = [], [], []
    for r in conn.itertuples(index=False):
        if r.pre not in POPULATIONS or r.post not in POPULATIONS:
            continue
        if not edges:
            continue
        prob = min(1.0, completeness * float(r.p_connect))
        w_abs = g_syn * float(r.synapses_per_connection) * float(r.p_connect) / (prob * scale)
        m = rng.random((len(idx[(r.pre, "L")]), len(idx[(r.post, "L")]))) < prob  # mirrored to both sides
        if r.pre == r.post and r.side == "same":
            np.fill_diagonal(m, False)
        i, j = np.nonzero(m)
        for h in SIDES:
            src = idx[(r.pre, h)]
            dst = idx[(r.post, h if r.side == "same" else _other(h))]
            pre_l.append(src[i]); post_l.append(dst[j]); w_l.append(w_abs * sign[src[i]])
    pre = np.concatenate(pre_l).astype(int) if pre_l else np.zeros(0, int)
    post = np.concatenate(post_l).astype(int) if post_l else np.zeros(0, int)
    weight = np.concatenate(w_l) if w_l else np.zeros(0)
    rostral = inputs[inputs.source.str.contains("rostrally")]
    vis = rostral.groupby("population")["fraction_of_input_synapses"].sum().to_dict()
    visual = {p: float(vis.get(p, 0.0)) for p in POPULATIONS}
    return IntegratorWiring(names, popl, hemi, sign, pre, post, weight, visual, label=label)


def as_connectome(w: IntegratorWiring) -> Connectome:
    neurons = pd.DataFrame({"cell_class": [f"{p}_{h}" for p, h in zip(w.population, w.hemisphere)],
                            "neurotransmitter": np.where(w.sign > 0, "excitatory", "inhibitory")},
                           index=pd.Index(w.names, name="name"))
    edges = pd.DataFrame({"pre": np.asarray(w.names)[w.pre], "post": np.asarray(w.names)[w.post],
                          "kind": "chem", "weight": np.abs(w.weight), "sign": np.sign(w.weight).astype(int)})
    return Connectome(neurons=neurons, edges=edges, name="clem_sbm")


def shuffle_integrator(w: IntegratorWiring, seed: int = 0) -> IntegratorWiring:
    """Degree-preserving rewiring (Maslov & Sneppen swaps) of a drawn integrator."""
    from nervous_systems.shuffle import degree_preserving_shuffle

    c = degree_preserving_shuffle(as_connectome(w), seed=seed)
    pos = {n: k for k, n in enumerate(w.names)}
    e = c.edges
    pre = e["pre"].map(pos).to_numpy(int)
    post = e["post"].map(pos).to_numpy(int)
    weight = e["weight"].to_numpy(float) * w.sign[pre]
    return IntegratorWiring(w.names, w.population, w.hemisphere, w.sign, pre, post, weight,
                            dict(w.visual_weight), label="shuffled")


#: the integrator wirings behind the brains of the same names (organisms/zebrafish/__init__.py)
WIRINGS = {
    "connectome": "the canonical draw (seed 0) from the CLEM block model",
    "sbm-redraw": "a fresh draw from the same CLEM block model (another seed): should behave like connectome",
    "block-shuffled": "the CLEM block statistics moved to random (pre, post, side) blocks: should degrade",
    "no-integrator-edges": "the integrator populations with no edges between them: should fail",
    "shuffled": "degree-preserving double-edge swaps of the connectome draw (Maslov & Sneppen 2002)",
}
DEFAULT_SEED = {"connectome": 0, "sbm-redraw": 1, "block-shuffled": 0, "no-integrator-edges": 0, "shuffled": 0}


def make_wiring(kind: str, seed: int | None = None, scale: float = 5, completeness: float = 3.0,
                g_syn: float = 1.0, data_dir: Path = DATA) -> IntegratorWiring:
    """The integrator wiring of brain ``kind`` (see :data:`WIRINGS`) with ``seed``."""
    if kind not in WIRINGS:
        raise ValueError(f"unknown integrator wiring {kind!r}; known: {', '.join(WIRINGS)}")
    seed = DEFAULT_SEED[kind] if seed is None else int(seed)
    kw = dict(scale=scale, completeness=completeness, g_syn=g_syn, data_dir=data_dir)
    if kind in ("connectome", "sbm-redraw"):
        return draw_integrator(seed, label=kind, **kw)
    if kind == "block-shuffled":
        _, conn, _ = load_tables(data_dir)
        return draw_integrator(seed, conn=block_shuffled_table(conn, seed), label=kind, **kw)
    if kind == "no-integrator-edges":
        return draw_integrator(seed, edges=False, label=kind, **kw)
    return shuffle_integrator(draw_integrator(0, **kw), seed=seed)


FITS_YAML = Path(__file__).resolve().parent / "models" / "integrator_fits.yaml"
#: which fit a brain uses by default when it is not its own draw's (README, "Which fit a control uses"):
#: brain -> key of the fits file; brains not listed use their own draw's fit (else their default draw's)
FIT_RULE: dict[str, str] = {}


def fitted_overrides(kind: str, seed: int | None = None, path: Path = FITS_YAML, fit: str | None = None) -> tuple[dict, str]:
    """The per-class parameters fitted for brain ``kind`` at wiring ``seed``
    (``models/integrator_fits.yaml``, made by ``tools/fit_integrator.py``) and where they come
    from: ``"<kind>/<seed>"`` (its own fit), ``"<brain>/<s> (transferred)"`` (a fit made on another
    draw or brain) or ``"none"`` (no fit: the model YAML's values).

    ``fit``: a key of the fits file (``"<brain>/<seed>"``) to use instead of the rule; ``"own"``:
    this draw's own fit if there is one, else the brain's default-draw fit. Without it the rule
    :data:`FIT_RULE` applies (the null-model rule of the README, "Which fit a control uses")."""
    from nervous_systems.yaml_file import load_yaml

    seed = DEFAULT_SEED.get(kind, 0) if seed is None else int(seed)
    if not path.exists():
        if fit not in (None, "own"):
            raise ValueError(f"brain option fit={fit!r}: {path} does not exist")
        return {}, "none"
    fits = (load_yaml(path) or {}).get("fits", {}) or {}
    key = f"{kind}/{seed}"
    if fit is None and kind in FIT_RULE:
        fit = FIT_RULE[kind]
    if fit not in (None, "own"):
        fit = str(fit).strip()
        if fit not in fits:
            raise ValueError(f"brain option fit={fit!r}: no such fit in {path} (known: {', '.join(sorted(fits))})")
        return dict(fits[fit]["overrides"]), fit if fit == key else f"{fit} (transferred)"
    if key in fits:
        return dict(fits[key]["overrides"]), key
    same = sorted(k for k in fits if k.split("/")[0] == kind)
    dflt = f"{kind}/{DEFAULT_SEED.get(kind, 0)}"
    src = dflt if dflt in fits else (same[0] if same else None)
    if src is None:
        return {}, "none"
    return dict(fits[src]["overrides"]), f"{src} (transferred)"
