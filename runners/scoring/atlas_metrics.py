"""From simulated membrane potentials to atlas-style ΔF/F responses, and how they are scored.

Calcium indicator (applied to every recorded neuron, the same way for every brain)
    calcium proxy  c(t) = 1 / (1 + exp(−(V(t) − V0) / slope)),  V0 = the neuron's mean potential
                   in the pre-stimulus window, slope 8 mV (the graded synapse's activation slope,
                   1/β of Kunert et al. 2014): half-activated at the pre-stimulus level;
    fluorescence   F = F0 + K ⊛ (c − ½),  F0 = ½, with K a unit-area GCaMP6s-like kernel
                   K(t) ∝ exp(−t/τ_decay) − exp(−t/τ_rise), τ_rise 0.2 s, τ_decay 2.6 s (≈ the
                   ~0.18 s rise and ~1.8 s half-decay of GCaMP6s, Chen et al. 2013, Nature
                   499:295, doi:10.1038/nature12354). The atlas used nuclear GCaMP6s; its
                   kinetics in worm neurons are not modelled beyond this.
ΔF/F response (as the atlas: Randi et al. 2023, ``pumpprobe.Funatlas.get_deltaFoverF``)
    the mean of (F − F0)/F0 over the ``window_s`` = 30 s after stimulus onset. The simulation
    records each stimulation epoch for a few seconds only; beyond it the neural activity is
    taken to be back at its pre-stimulus level (the runner measures and prints the residual).
    Since the window mean of a convolution is a weighted sum, ΔF/F = (dt / T) Σ_t Δc(t) ·
    K_cum(T − t) / F0 with K_cum the kernel's running integral — exact and fast.

Scores, on the atlas's measured off-diagonal pairs (autoresponses excluded) where the model has a
value; atlas matrices are [responder, stimulated]:
    ``r_all``   Spearman (rank) correlation of model vs atlas mean ΔF/F over all measured pairs
                (ranks, not Pearson: single-trial ΔF/F has heavy tails — one wild-type trial is
                −105, from a near-zero baseline — and the model's ΔF/F scale is arbitrary);
    ``r_sig``   the same over pairs with q < 0.05;
    ``sign``    fraction of q < 0.05 pairs where the model's response has the atlas's sign (a zero
                response has no sign and counts as a disagreement; chance ≈ 0.5);
    ``auroc``   area under the ROC curve of |model response| for telling q < 0.05 pairs from the
                other measured pairs (0.5 = chance; ties count one half).
Noise ceiling (atlas alone): the trials of every pair with ≥ 2 trials are split at random into two
halves; one half's mean is scored against the other half's with the same scores (q from the full
atlas); median over repeats. Pairs with a single trial take no part in the ceiling.
"""

from __future__ import annotations

import numpy as np

METRICS = ("r_all", "r_sig", "sign", "auroc")
METRIC_LABELS = {"r_all": "r, all measured pairs", "r_sig": "r, pairs with q < 0.05",
                 "sign": "sign agreement, q < 0.05", "auroc": "AUROC, q < 0.05 vs rest"}
WINDOW_S = 30.0
TAU_RISE_S = 0.2
TAU_DECAY_S = 2.6
SLOPE_MV = 8.0


# ----------------------------------------------------------------------------- indicator

def gcamp_kernel_cumulative(t: np.ndarray, tau_rise: float = TAU_RISE_S,
                            tau_decay: float = TAU_DECAY_S) -> np.ndarray:
    """Running integral of the unit-area kernel exp(−t/τd) − exp(−t/τr) (0 for t ≤ 0, → 1)."""
    t = np.clip(np.asarray(t, float), 0.0, None)
    return 1.0 - (tau_decay * np.exp(-t / tau_decay) - tau_rise * np.exp(-t / tau_rise)) / (tau_decay - tau_rise)


def dff_response(v_epoch: np.ndarray, v_pre: np.ndarray, dt: float, window_s: float = WINDOW_S,
                 slope_mV: float = SLOPE_MV, tau_rise: float = TAU_RISE_S,
                 tau_decay: float = TAU_DECAY_S) -> np.ndarray:
    """Mean ΔF/F over ``window_s`` after stimulus onset for each neuron.

    ``v_epoch`` (T, N) membrane potentials (mV) sampled every ``dt`` s from stimulus onset;
    ``v_pre`` (N,) the pre-stimulus mean potentials. Activity after the epoch counts as baseline.
    """
    v = np.asarray(v_epoch, float)
    n_t = min(v.shape[0], int(round(window_s / dt)))
    dc = 1.0 / (1.0 + np.exp(-(v[:n_t] - np.asarray(v_pre, float)) / slope_mV)) - 0.5
    t = np.arange(n_t) * dt
    weights = gcamp_kernel_cumulative(window_s - t, tau_rise, tau_decay) * (dt / window_s)
    f0 = 0.5
    return weights @ dc / f0


# ----------------------------------------------------------------------------- scores

def rankdata(x: np.ndarray) -> np.ndarray:
    """Ranks 1..n with ties given their average rank (as ``scipy.stats.rankdata``)."""
    x = np.asarray(x, float).ravel()
    sorter = np.argsort(x, kind="mergesort")
    inv = np.empty(x.size, int)
    inv[sorter] = np.arange(x.size)
    xs = x[sorter]
    first = np.r_[True, xs[1:] != xs[:-1]]
    dense = np.cumsum(first)[inv]
    bounds = np.r_[np.nonzero(first)[0], x.size]
    return 0.5 * (bounds[dense] + bounds[dense - 1] + 1)


def _spearman(x: np.ndarray, y: np.ndarray) -> float:
    if x.size < 3 or np.ptp(x) == 0 or np.ptp(y) == 0:
        return float("nan")
    return float(np.corrcoef(rankdata(x), rankdata(y))[0, 1])


def auroc(scores: np.ndarray, labels: np.ndarray) -> float:
    """Area under the ROC curve (Mann–Whitney U / n_pos n_neg, ties count one half)."""
    scores = np.asarray(scores, float)
    labels = np.asarray(labels, bool)
    n_pos, n_neg = int(labels.sum()), int((~labels).sum())
    if n_pos == 0 or n_neg == 0:
        return float("nan")
    ranks = rankdata(scores)
    return float((ranks[labels].sum() - n_pos * (n_pos + 1) / 2) / (n_pos * n_neg))


def score_responses(model: np.ndarray, atlas_dff: np.ndarray, q: np.ndarray,
                    measured: np.ndarray | None = None) -> dict:
    """Scores of a model response matrix against an atlas matrix (both [responder, stimulated])."""
    model = np.asarray(model, float)
    atlas_dff = np.asarray(atlas_dff, float)
    if model.shape != atlas_dff.shape:
        raise ValueError(f"model matrix {model.shape} and atlas matrix {atlas_dff.shape} differ in shape")
    if measured is None:
        measured = np.isfinite(atlas_dff) & ~np.eye(atlas_dff.shape[0], dtype=bool)
    pairs = measured & np.isfinite(model)
    sig_all = np.nan_to_num(np.asarray(q, float), nan=1.0) < 0.05
    sig = pairs & sig_all
    tested = pairs & np.isfinite(q)
    m, a = model[pairs], atlas_dff[pairs]
    ms, as_ = model[sig], atlas_dff[sig]
    return {
        "n_pairs": int(pairs.sum()), "n_sig": int(sig.sum()),
        "r_all": _spearman(m, a),
        "r_sig": _spearman(ms, as_),
        "sign": float(np.mean(np.sign(ms) == np.sign(as_))) if ms.size else float("nan"),
        "auroc": auroc(np.abs(model[tested]), sig[tested]),
    }


def split_half_matrices(trials: np.ndarray, rng: np.random.Generator, min_trials: int = 2
                        ) -> tuple[np.ndarray, np.ndarray]:
    """Two matrices of half-trial means (NaN where a pair has < ``min_trials`` trials)."""
    a = np.full(trials.shape, np.nan)
    b = np.full(trials.shape, np.nan)
    counts = np.vectorize(lambda tr: 0 if tr is None else len(tr), otypes=[int])(trials)
    for i, j in np.argwhere(counts >= min_trials):
        tr = trials[i, j]
        p = rng.permutation(len(tr))
        h = len(tr) // 2
        a[i, j] = np.mean(tr[p[:h]])
        b[i, j] = np.mean(tr[p[h:]])
    return a, b


def split_half_ceiling(trials: np.ndarray, q: np.ndarray, n_rep: int = 10, seed: int = 0) -> dict:
    """Median (and 2.5–97.5 % range) over ``n_rep`` random splits of each score, half vs half."""
    rng = np.random.default_rng(seed)
    runs = []
    for _ in range(n_rep):
        a, b = split_half_matrices(trials, rng)
        runs.append(score_responses(a, b, q))
    out = {"n_rep": n_rep, "n_pairs": int(np.median([r["n_pairs"] for r in runs])),
           "n_sig": int(np.median([r["n_sig"] for r in runs]))}
    for k in METRICS:
        vals = np.array([r[k] for r in runs], float)
        out[k] = float(np.nanmedian(vals))
        out[f"{k}_range"] = [float(np.nanpercentile(vals, 2.5)), float(np.nanpercentile(vals, 97.5))]
    return out


def permute_labels(matrix: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """The same matrix with neuron labels shuffled (one permutation for rows and columns)."""
    p = rng.permutation(matrix.shape[0])
    return np.asarray(matrix)[p][:, p]
