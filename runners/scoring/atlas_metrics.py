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
Noise ceiling and held-out significance (``split_half_scores``), on exactly the pairs the model
is scored on: the pairs with >= 2 trials (a pair with one trial cannot be split), among the
stimulated neurons of the protocol. Each of ``n_rep`` random splits cuts every pair's trials
into halves L and T (⌊k/2⌋ and the rest):
    ``r_all``   the model against the full-data mean; ceiling = the Spearman–Brown corrected
                split-half correlation 2r/(1 + r), r = Spearman(L mean, T mean) (the reliability
                of the full mean; the Brain-Score convention, Schrimpf et al. 2018,
                doi:10.1101/407007);
    ``r_sig``, ``sign``  labels from one half, values from the other: pairs with q_L < 0.05;
                the model is compared with T's mean. Ceiling of ``r_sig``: √r(L, T) on those
                pairs (the correlation a noise-free predictor reaches with a half target, the
                classical attenuation bound); ceiling of ``sign``: L's sign against T's (an
                independent replicate of half the data — a lower bound: a noise-free model can
                exceed it); both directions (L, T) and (T, L) averaged;
    ``auroc``   |prediction| telling q_T < 0.05 pairs from the rest, labels from T; the model's
                |response|, and for the ceiling |L mean|; both directions averaged.
q within a half: each half mean is z-scored against the responding neuron's own single-trial
noise (1.4826 × MAD of all its trials in the strain, i.e. the atlas's trial spread, mostly
unconnected pairs) scaled by 1/√k, two-sided normal p, Benjamini–Hochberg over the pairs of
that half. This approximates, and does not reproduce, the atlas's own test (pumpprobe's q uses
each trial's full time course); the labels it gives never come from the trials they label.
Medians over splits are reported, with the 2.5–97.5 % range of the ceiling.
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


# ----------------------------------------------------------------------------- held-out ceiling

def _flatten_trials(trials: np.ndarray, min_trials: int = 2):
    """Long arrays (pair index, trial value) of pairs with >= ``min_trials`` trials, plus the
    (row, col) of each pair."""
    counts = np.vectorize(lambda tr: 0 if tr is None else len(tr), otypes=[int])(trials)
    rows, cols = np.nonzero(counts >= min_trials)
    vals = [np.asarray(trials[i, j], float) for i, j in zip(rows, cols)]
    pair = np.repeat(np.arange(len(rows)), [len(v) for v in vals])
    return rows, cols, pair, (np.concatenate(vals) if vals else np.zeros(0))


def trial_noise_sd(trials: np.ndarray) -> np.ndarray:
    """Per responding neuron (row): 1.4826 × MAD of all its single-trial ΔF/F values."""
    out = np.full(trials.shape[0], np.nan)
    for i in range(trials.shape[0]):
        vals = [np.asarray(t, float) for t in trials[i] if t is not None and len(t)]
        if vals:
            v = np.concatenate(vals)
            out[i] = 1.4826 * np.median(np.abs(v - np.median(v)))
    fallback = np.nanmedian(out[out > 0]) if np.any(out > 0) else 1.0
    return np.where(np.isfinite(out) & (out > 0), out, fallback)


def bh_qvalues(p: np.ndarray) -> np.ndarray:
    """Benjamini–Hochberg q-values of a 1-D array of p-values."""
    p = np.asarray(p, float)
    n = p.size
    if n == 0:
        return p
    order = np.argsort(p)
    ranked = p[order] * n / np.arange(1, n + 1)
    q = np.minimum.accumulate(ranked[::-1])[::-1]
    out = np.empty(n)
    out[order] = np.minimum(q, 1.0)
    return out


def _half_q(means: np.ndarray, k: np.ndarray, sd: np.ndarray) -> np.ndarray:
    from math import erfc, sqrt
    z = np.abs(means) / (sd / np.sqrt(k))
    p = np.array([erfc(x / sqrt(2)) for x in z])
    return bh_qvalues(p)


def spearman_brown(r: float) -> float:
    return float(2 * r / (1 + r)) if np.isfinite(r) and r > -1 else float("nan")


def split_half_scores(trials: np.ndarray, dff: np.ndarray, predictions: dict, n_rep: int = 10,
                      seed: int = 0, pairs: np.ndarray | None = None) -> dict:
    """Scores of each prediction matrix and of the data's own ceiling on the pairs with >= 2
    trials (optionally further restricted by the boolean mask ``pairs``), held-out labels.

    Returns ``{"ceiling": {...}, name: {...}, "n_pairs": int}``; each entry has the median over
    splits of every metric in :data:`METRICS` (``*_range``: 2.5–97.5 % over splits) plus
    ``n_sig`` (median number of held-out significant pairs).
    """
    rows, cols, pair, vals = _flatten_trials(trials)
    if pairs is not None:
        keep = np.asarray(pairs, bool)[rows, cols]
        sel = np.nonzero(keep)[0]
        remap = np.full(len(rows), -1)
        remap[sel] = np.arange(sel.size)
        t_keep = keep[pair]
        rows, cols, pair, vals = rows[sel], cols[sel], remap[pair[t_keep]], vals[t_keep]
    n_pairs = len(rows)
    sd = trial_noise_sd(trials)[rows]
    full = np.asarray(dff, float)[rows, cols]
    preds = {k: np.asarray(m, float)[rows, cols] for k, m in predictions.items()}
    rng = np.random.default_rng(seed)
    k_tot = np.bincount(pair, minlength=n_pairs)
    acc: dict[str, dict[str, list]] = {k: {m: [] for m in (*METRICS, "n_sig")}
                                       for k in ("ceiling", *preds)}
    for _ in range(n_rep):
        # a random rank of each trial within its pair; the first ⌊k/2⌋ go to half L
        key = rng.random(pair.size)
        order = np.lexsort((key, pair))
        starts = np.r_[0, np.cumsum(k_tot)[:-1]]
        rank = np.empty(pair.size, int)
        rank[order] = np.arange(pair.size) - starts[pair[order]]
        in_l = rank < (k_tot // 2)[pair]
        halves = []
        for mask in (in_l, ~in_l):
            kk = np.bincount(pair[mask], minlength=n_pairs)
            mean = np.bincount(pair[mask], weights=vals[mask], minlength=n_pairs) / kk
            halves.append((mean, _half_q(mean, kk, sd) < 0.05))
        (ml, sl), (mt, st) = halves
        r_half = _spearman(ml, mt)
        per: dict[str, dict[str, list]] = {k: {m: [] for m in ("r_sig", "sign", "auroc", "n_sig")}
                                           for k in acc}
        for (a, sig_a), (b, sig_b) in (((ml, sl), (mt, st)), ((mt, st), (ml, sl))):
            # labels from a; target b.  ceiling predictor = a itself
            for name, pr in (("ceiling", a), *preds.items()):
                ok = sig_a & np.isfinite(pr)
                per[name]["r_sig"].append(_spearman(pr[ok], b[ok]))
                per[name]["sign"].append(float(np.mean(np.sign(pr[ok]) == np.sign(b[ok])))
                                         if ok.any() else np.nan)
                fin = np.isfinite(pr)
                per[name]["auroc"].append(auroc(np.abs(pr[fin]), sig_b[fin]))
                per[name]["n_sig"].append(int(ok.sum()))
        acc["ceiling"]["r_all"].append(spearman_brown(r_half))
        # r_sig: the target is a half; a noise-free predictor reaches √(reliability of a half)
        per["ceiling"]["r_sig"] = [float(np.sqrt(r)) if np.isfinite(r) and r > 0 else
                                   (0.0 if np.isfinite(r) else np.nan) for r in per["ceiling"]["r_sig"]]
        for name, pr in preds.items():
            ok = np.isfinite(pr)
            acc[name]["r_all"].append(_spearman(pr[ok], full[ok]))
        for name in acc:
            for m in ("r_sig", "sign", "auroc", "n_sig"):
                acc[name][m].append(float(np.nanmean(per[name][m])) if np.any(np.isfinite(per[name][m]))
                                    else np.nan)
    out: dict = {"n_pairs": int(n_pairs), "n_rep": int(n_rep)}
    for name, d in acc.items():
        e = {"n_pairs": int(n_pairs)}
        for m, v in d.items():
            v = np.asarray(v, float)
            e[m] = float(np.nanmedian(v)) if np.any(np.isfinite(v)) else float("nan")
            if m in METRICS:
                e[f"{m}_range"] = ([float(np.nanpercentile(v, 2.5)), float(np.nanpercentile(v, 97.5))]
                                   if np.any(np.isfinite(v)) else [float("nan")] * 2)
        out[name] = e
    return out


# ----------------------------------------------------------------------------- baselines

def hop_distance_predictions(connectome, names) -> dict:
    """Wiring-only baselines [responder, stimulated] on ``names``: 1/hop distance from the
    stimulated to the responding neuron in the directed graph of chemical synapses plus gap
    junctions (both ways), unsigned (``1/hops``) and signed (``signed 1/hops``: the sign of the
    summed products of edge signs over all shortest paths; chemical edges signed by transmitter,
    unknown and gap junctions +1), 0 where unreachable; and ``all excitatory`` (+1 everywhere)."""
    n = connectome.n_neurons
    adj = np.zeros((n, n))       # [post, pre] 0/1
    sgn = np.zeros((n, n))       # [post, pre] summed edge signs
    ci, cj, cw, csign = connectome.chemical()
    s = np.where(csign == 0, 1.0, np.sign(csign))
    adj[cj, ci] = 1
    np.add.at(sgn, (cj, ci), s)
    gi, gj, _ = connectome.gap_pairs()
    adj[gi, gj] = adj[gj, gi] = 1
    np.add.at(sgn, (gi, gj), 1.0)
    np.add.at(sgn, (gj, gi), 1.0)
    np.fill_diagonal(adj, 0)
    np.fill_diagonal(sgn, 0)
    sgn = np.sign(sgn)
    hops = np.full((n, n), np.inf)
    sign_at = np.zeros((n, n))
    reach = np.eye(n, dtype=bool)
    walk = np.eye(n)             # signed path sums of the current length [post, pre]
    for d in range(1, n):
        walk = sgn @ walk
        walk = np.clip(walk, -1e6, 1e6)
        new = ((adj @ reach.astype(float)) > 0) & ~reach
        if not new.any():
            break
        hops[new] = d
        sign_at[new] = np.sign(walk[new])
        reach |= new
    inv = np.where(np.isfinite(hops), 1.0 / np.where(np.isfinite(hops), hops, 1.0), 0.0)
    np.fill_diagonal(inv, 0.0)
    have = list(connectome.names)
    return {"1/hops": reindex(inv, have, names),
            "signed 1/hops": reindex(inv * np.where(sign_at == 0, 1.0, sign_at), have, names),
            "all excitatory": reindex(np.ones((n, n)), have, names)}


def reindex(matrix: np.ndarray, have: list, want) -> np.ndarray:
    """``matrix`` over the neurons ``have``, re-ordered to ``want`` (NaN rows/columns for
    neurons ``have`` lacks)."""
    pos = {n: i for i, n in enumerate(have)}
    idx = np.array([pos.get(n, -1) for n in want])
    out = np.full((len(want), len(want)), np.nan)
    ok = idx >= 0
    out[np.ix_(ok, ok)] = matrix[np.ix_(idx[ok], idx[ok])]
    return out
