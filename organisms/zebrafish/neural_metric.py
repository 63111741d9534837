"""Neural metric: model population responses vs the recorded hindbrain calcium responses.

Protocol (:mod:`.openloop`): the recordings' stimulus — 80 s, whole-field motion 20–60 s in the
preferred vs null direction — run open loop on the brain side of the circuit. Each model class
mean rate is passed through a GCaMP kernel and compared with the recorded class means of
Boulanger-Weill 2025 (``data/clem_responses_*``):

* ``corr_pref``: Pearson correlation of the preferred-direction trace with the recorded mean of
  all functionally clustered cells of that class (MI: 360 cells, SMI: 275, MON: 24);
* ``ceiling``: split-half reliability of that recorded mean (median over 200 random halves of
  the recorded cells, Spearman–Brown corrected) — no model can be expected to beat it;
* ``corr_pref_null``: correlation of the concatenated [preferred, null] traces with the
  EM-proofread class means (captures direction selectivity: null responses are negative);
* ``tau``: time constant of integration — time from motion onset to 63 % of the response at
  the end of the motion epoch — model vs recorded, with the 5–95 % range of tau over bootstrap
  resamples of the recorded cells as the spread.

Scores are invariant to the model's rate scale (correlation; tau). Baseline = mean over 10–20 s.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import numpy as np
import pandas as pd

from tasks.statistics import bootstrap_ci

DATA = Path(__file__).resolve().parent / "data"
T_ON, T_OFF = 20.0, 60.0
CLASSES = ("iMI", "cMI", "MON", "SMI")
INDIVIDUAL_OF = {"iMI": "MI", "cMI": "MI", "MON": "MON", "SMI": "SMI"}
GCAMP_RISE_S, GCAMP_DECAY_S = 0.2, 1.5  # GCaMP6s-like (Chen et al. 2013, doi:10.1038/nature12354); hand-chosen


# ---------------------------------------------------------------------------- recorded data
def recorded_means() -> pd.DataFrame:
    return pd.read_csv(DATA / "clem_responses_means.csv")


def recorded_individual() -> dict:
    with np.load(DATA / "clem_responses_individual.npz") as z:
        return {k: z[k] for k in z.files}


def recorded_class(cls: str) -> dict:
    """Recorded traces of ``cls``: t, preferred/null proofread means, all-cell preferred traces."""
    m = recorded_means()
    ind = recorded_individual()
    return {"t": m["time_s"].to_numpy(float), "preferred": m[f"{cls}_preferred"].to_numpy(float),
            "null": m[f"{cls}_null"].to_numpy(float), "cells": ind[f"{INDIVIDUAL_OF[cls]}_traces"].astype(float)}


# ---------------------------------------------------------------------------- primitives
def calcium(trace, dt: float, rise: float = GCAMP_RISE_S, decay: float = GCAMP_DECAY_S) -> np.ndarray:
    """Convolve a rate trace with a difference-of-exponentials GCaMP kernel (peak 1)."""
    y = np.asarray(trace, float)
    tk = np.arange(0, 8 * decay, dt)
    k = np.exp(-tk / decay) - np.exp(-tk / rise)
    k /= k.sum()
    base = y[0]
    return base + np.convolve(y - base, k)[: len(y)]


def baseline_subtract(t, y) -> np.ndarray:
    t, y = np.asarray(t, float), np.asarray(y, float)
    pre = (t >= 10.0) & (t < T_ON)
    return y - (y[pre].mean() if pre.any() else y[0])


def pearson(a, b) -> float:
    a, b = np.asarray(a, float), np.asarray(b, float)
    if a.std() < 1e-12 or b.std() < 1e-12:
        return 0.0  # a flat trace carries no response
    return float(np.corrcoef(a, b)[0, 1])


def rise_tau(t, y, t_on: float = T_ON, t_off: float = T_OFF) -> float:
    """Time from motion onset to 63 % of the response level at the end of motion (s); NaN if
    the response does not rise."""
    t, y = np.asarray(t, float), baseline_subtract(t, y)
    end = y[(t >= t_off - 5.0) & (t < t_off)].mean()
    if not np.isfinite(end) or end <= 1e-9 * max(1.0, np.abs(y).max()):
        return float("nan")
    seg = (t >= t_on) & (t < t_off)
    above = np.flatnonzero(y[seg] >= 0.632 * end)
    return float(t[seg][above[0]] - t_on) if len(above) else float("nan")


def decay_tau(t, y, t_on: float = T_ON, t_off: float = T_OFF) -> float:
    """Time from motion offset until the response falls to 37 % of its end-of-motion level (s);
    NaN if it does not rise, or does not fall that far before the end of the trace."""
    t, y = np.asarray(t, float), baseline_subtract(t, y)
    end = y[(t >= t_off - 5.0) & (t < t_off)].mean()
    if not np.isfinite(end) or end <= 1e-9 * max(1.0, np.abs(y).max()):
        return float("nan")
    post = t >= t_off
    below = np.flatnonzero(y[post] <= 0.368 * end)
    return float(t[post][below[0]] - t_off) if len(below) else float("nan")


def split_half_ceiling(cells: np.ndarray, n_rep: int = 200, seed: int = 0) -> float:
    """Spearman–Brown-corrected split-half correlation of the class mean (cells: (T, N))."""
    rng = np.random.default_rng(seed)
    n = cells.shape[1]
    if n < 2:
        return float("nan")
    r = []
    for _ in range(n_rep):
        p = rng.permutation(n)
        a, b = cells[:, p[: n // 2]].mean(1), cells[:, p[n // 2:]].mean(1)
        r.append(pearson(a, b))
    rh = float(np.median(r))
    return 2 * rh / (1 + rh)


def tau_spread(t, cells: np.ndarray, n_rep: int = 200, seed: int = 0) -> tuple[float, float]:
    """5-95 % range of the class mean's rise tau over bootstrap resamples of the cells (cells: (T, N))."""
    ci = bootstrap_ci(np.asarray(cells, float).T, lambda sample: rise_tau(t, sample.mean(axis=0)),
                      n_boot=n_rep, rng=seed, alpha=0.10, vectorized=False)
    return ci.lo, ci.hi


# ---------------------------------------------------------------------------- scoring
def score_class(t, model_pref, model_null, rec: dict) -> dict:
    """Score one class; ``model_*`` are calcium traces on ``rec['t']``."""
    rt = rec["t"]
    all_mean = rec["cells"].mean(1)
    mp, mn = baseline_subtract(rt, model_pref), baseline_subtract(rt, model_null)
    rp, rn = baseline_subtract(rt, rec["preferred"]), baseline_subtract(rt, rec["null"])
    corr_pref = pearson(mp, all_mean)
    ceiling = split_half_ceiling(rec["cells"])
    lo, hi = tau_spread(rt, rec["cells"])
    return {"corr_pref": corr_pref, "ceiling": ceiling,
            "score": corr_pref / ceiling if ceiling and np.isfinite(ceiling) else float("nan"),
            "corr_pref_null": pearson(np.concatenate([mp, mn]), np.concatenate([rp, rn])),
            "tau_model_s": rise_tau(rt, mp), "tau_recorded_s": rise_tau(rt, all_mean),
            "tau_recorded_5_95_s": [lo, hi],
            "tau_decay_model_s": decay_tau(rt, mp), "tau_decay_recorded_s": decay_tau(rt, all_mean)}


def model_calcium(run: dict, t_rec: np.ndarray) -> dict:
    """Model protocol output (:func:`.openloop.run_protocol`) -> calcium traces on t_rec."""
    t = np.asarray(run["t"], float)
    dt = float(t[1] - t[0])
    out = {}
    for cls in CLASSES:
        for cond in ("preferred", "null"):
            ca = calcium(run[f"{cls}_{cond}"], dt)
            out[f"{cls}_{cond}"] = np.interp(t_rec, t, ca)
    return out


def score_model_run(run: dict) -> dict:
    recs = {cls: recorded_class(cls) for cls in CLASSES}
    t_rec = recs["iMI"]["t"]
    ca = model_calcium(run, t_rec)
    return {cls: score_class(t_rec, ca[f"{cls}_preferred"], ca[f"{cls}_null"], recs[cls]) for cls in CLASSES}


BRAINS = ("connectome", "sbm-redraw", "block-shuffled", "no-integrator-edges")


def brain_params(brain: str, wiring_seed: int | None = None, fitted: bool = True, fit: str | None = None) -> tuple[dict, str]:
    """The model parameters of ``brain`` as the brain factory builds it: the model YAML plus the
    per-class integrator parameters fitted for this brain and draw (``models/integrator_fits.yaml``)."""
    from .circuit import load_params
    from .integrator_sbm import fitted_overrides

    ov, src = fitted_overrides(brain, wiring_seed, fit=fit) if fitted else ({}, "off")
    return load_params(overrides=ov), src


def evaluate(brain: str = "connectome", seed: int = 0, wiring_seed: int | None = None, cache: bool = True,
             fitted: bool = True, fit: str | None = None) -> dict:
    """Run the open-loop protocol for ``brain`` (a wiring of :data:`.integrator_sbm.WIRINGS`) and
    score it (cached on disk by model, data and code hash)."""
    from nervous_systems.brian2_setup import cache_dir

    from .openloop import run_protocol, wiring_for

    here = Path(__file__).resolve().parent
    h = hashlib.sha256()
    for f in [here / "models" / "omr_circuit.yaml", here / "circuit.py", here / "openloop.py", here / "retina.py",
              here / "integrator_sbm.py", Path(__file__), DATA / "clem_connectivity.csv",
              here / "models" / "integrator_fits.yaml"]:
        h.update(f.read_bytes() if f.exists() else b"")
    h.update(f"{brain}-{seed}-{wiring_seed}-{fitted}-{fit}".encode())
    path = cache_dir() / "zebrafish_neural_metric" / f"{h.hexdigest()[:16]}.json"
    if cache and path.exists():
        return json.loads(path.read_text())
    params, fit_src = brain_params(brain, wiring_seed, fitted, fit)
    run = run_protocol(wiring_for(brain, wiring_seed, params=params), seed=seed, params=params)
    scores = score_model_run(run)
    res = {"brain": brain, "seed": seed, "wiring_seed": wiring_seed, "scores": scores, "integrator_fit": fit_src,
           "model_traces": {k: np.asarray(v).round(4).tolist() for k, v in run.items() if k not in ("pops",)}}
    if cache:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(res))
    return res


def _fmt(x, nd=2) -> str:
    return "—" if x is None or not np.isfinite(x) else f"{x:.{nd}f}"


def scorecard_sections(runs, fitted: bool = True) -> list[dict]:
    """TaskSpec ``sections`` hook: the neural metric for the connectome circuit and its controls."""
    results = {b: evaluate(b, fitted=fitted) for b in BRAINS}
    lines = ["Open-loop protocol of the recordings (80 s; motion 20–60 s; left hemisphere = preferred, "
             "right = null), model rates through a GCaMP kernel, vs Boulanger-Weill 2025 hindbrain "
             "calcium responses. `score` = corr_pref / split-half ceiling of the recorded class mean.",
             "", "| brain | class | corr_pref | ceiling | score | corr [pref, null] | tau model (s) | "
             "tau recorded (s) [5–95 %] | decay model / recorded (s) |", "|---|---|---|---|---|---|---|---|---|"]
    for b, res in results.items():
        for cls, s in res["scores"].items():
            lo, hi = s["tau_recorded_5_95_s"]
            lines.append(f"| {b} | {cls} | {_fmt(s['corr_pref'])} | {_fmt(s['ceiling'])} | {_fmt(s['score'])} | "
                         f"{_fmt(s['corr_pref_null'])} | {_fmt(s['tau_model_s'], 1)} | "
                         f"{_fmt(s['tau_recorded_s'], 1)} [{_fmt(lo, 1)}–{_fmt(hi, 1)}] | "
                         f"{_fmt(s.get('tau_decay_model_s', float('nan')), 1)} / {_fmt(s.get('tau_decay_recorded_s', float('nan')), 1)} |")
    brains_run = sorted({getattr(r, "brain", "?") for r in runs}) if runs else []
    lines += ["", f"(Closed-loop runs scored above: {', '.join(brains_run) or 'none'}; the neural metric is "
              "computed from its own open-loop runs of the connectome circuit and its three controls, seed 0. "
              "FITTED, not predicted: six per-class parameters of each brain (edge-class gains, MON adaptation, "
              "bias, visual gain) were fitted to these recordings with the same CMA-ES budget per brain "
              "(tools/fit_integrator.py); every integrator population keeps an intrinsic tau of 0.1 s, so any "
              "slower time constant is the fitted wiring's.)"]
    data = {b: res["scores"] for b, res in results.items()}
    return [{"title": "Neural metric: hindbrain integrator responses (model vs CLEM calcium imaging)",
             "markdown": "\n".join(lines), "data": data}]


def main(argv=None) -> int:
    """``python -m organisms.zebrafish.neural_metric [--unfitted] [--out FILE.md]``: the table."""
    import argparse

    ap = argparse.ArgumentParser(description="neural metric of the four integrator brains (open loop, seed 0)")
    ap.add_argument("--unfitted", action="store_true", help="the model YAML's values, not the per-brain fits")
    ap.add_argument("--out", type=Path, default=None)
    a = ap.parse_args(argv)
    sec = scorecard_sections([], fitted=not a.unfitted)[0]
    text = f"# {sec['title']}{' (UNFITTED)' if a.unfitted else ''}\n\n{sec['markdown']}\n"
    print(text)
    if a.out:
        a.out.write_text(text)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

