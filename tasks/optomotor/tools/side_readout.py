"""How deterministic is the turn side? P(turn to the left) against a recorded left − right signal.

    python -m tasks.optomotor.tools.side_readout RUN [RUN ...] [--signal iMI+_L iMI+_R] [--window 0.1]

For a brain that records its populations (``neural_v`` with ``neural_names`` in the episodes'
npz, e.g. the zebrafish circuit), every turn (|heading change| > 10°, bouts detected as the scorer
does, :func:`tasks.optomotor.features.detect_bouts`) is paired with the signal
``v[A] − v[B]`` (``--signal A B``; default the hindbrain integrator's ``iMI+_L − iMI+_R``, the side
its turn command is read from) averaged over the ``--window`` seconds before the bout's onset.
Pooled over every run given, it prints

* P(turn left) in bins of the signal, with Wilson 95 % intervals — the readout's psychometric
  function: a step means any residual difference picks the side, a shallow curve means the side
  is noisy;
* a logistic fit P(left) = 1 / (1 + exp(−k (s − s0))) (maximum likelihood, ``scipy``) and the
  signal at which P reaches 0.75 and 0.9;
* the signal at the onset of the turns made in rest epochs (median |s| and its 5–95 % range),
  i.e. how large the difference the animal keeps after the motion stops is on that scale.

It measures the model's readout; it assumes nothing about real larvae. Read-only: it runs nothing.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np

from ...statistics import wilson_interval
from ..features import BoutParams, detect_bouts

N_BINS = 8


def turn_signals(npz_files: list[Path], a: str, b: str, window_s: float = 0.1) -> dict:
    """Per turn: signal before onset, turned left (bool), in motion (bool)."""
    s, left, motion = [], [], []
    params = BoutParams()
    for f in npz_files:
        with np.load(f, allow_pickle=False) as d:
            if "neural_names" not in d.files:
                raise SystemExit(f"{f}: no neural recording (neural_names)")
            names = [str(n) for n in d["neural_names"]]
            for n in (a, b):
                if n not in names:
                    raise SystemExit(f"{f}: no {n!r} in neural_names ({', '.join(names[:8])}, ...)")
            traj = {k: d[k] for k in d.files if not k.startswith("neural")}
            nt, v = d["neural_t"], d["neural_v"]
            sig = v[:, names.index(a)] - v[:, names.index(b)]
        for bout in detect_bouts(traj, params):
            dh = bout["heading_change_deg"]
            if abs(dh) <= params.turn_threshold_deg:
                continue
            m = (nt >= bout["onset_s"] - window_s) & (nt < bout["onset_s"])
            if not m.any():
                continue
            s.append(float(sig[m].mean()))
            left.append(dh > 0)
            motion.append(bool(bout["motion_on"]))
    return {"signal": np.array(s), "left": np.array(left, bool), "motion": np.array(motion, bool)}


def logistic_fit(s: np.ndarray, left: np.ndarray) -> dict:
    """Maximum-likelihood logistic P(left | s): slope k (per unit signal) and midpoint s0."""
    from scipy.optimize import minimize

    y = left.astype(float)

    def nll(p):
        z = p[0] * (s - p[1])
        return float(np.sum(np.logaddexp(0.0, -z) * y + np.logaddexp(0.0, z) * (1 - y)))

    scale = float(np.std(s)) or 1.0
    res = minimize(nll, x0=[1.0 / scale, 0.0], method="Nelder-Mead",
                   options={"xatol": 1e-6, "fatol": 1e-8, "maxiter": 4000})
    k, s0 = (float(x) for x in res.x)
    return {"k": k, "s0": s0, "s75": s0 + np.log(3.0) / k if k else float("nan"),
            "s90": s0 + np.log(9.0) / k if k else float("nan"), "converged": bool(res.success)}


def table(res: dict) -> list[tuple[float, float, int, float, tuple[float, float]]]:
    """Quantile bins of the signal: (lo, hi, n, P(left), Wilson 95 % interval)."""
    s, left = res["signal"], res["left"]
    edges = np.unique(np.quantile(s, np.linspace(0, 1, N_BINS + 1)))
    rows = []
    for i, (lo, hi) in enumerate(zip(edges[:-1], edges[1:])):
        m = (s >= lo) & ((s <= hi) if i == len(edges) - 2 else (s < hi))
        n, k = int(m.sum()), int(left[m].sum())
        if n:
            ci = wilson_interval(k, n)
            rows.append((float(lo), float(hi), n, k / n, (float(ci.lo), float(ci.hi))))
    return rows


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("runs", nargs="+", type=Path)
    ap.add_argument("--signal", nargs=2, default=["iMI+_L", "iMI+_R"], metavar=("A", "B"),
                    help="the two recorded populations whose difference A − B is the side signal (default iMI+_L iMI+_R)")
    ap.add_argument("--window", type=float, default=0.1, help="seconds before the onset averaged (default 0.1)")
    a = ap.parse_args(argv)
    if a.window <= 0:
        ap.error("--window must be > 0")
    files = []
    for run in a.runs:
        if not run.is_dir():
            raise SystemExit(f"{run}: not a run folder")
        files += sorted(run.glob("**/episodes/*.npz"))
    if not files:
        raise SystemExit(f"{a.runs[0]}: no episodes/*.npz below the run folders")
    res = turn_signals(files, *a.signal, a.window)
    n = res["signal"].size
    if n < 10 or res["left"].all() or not res["left"].any():
        raise SystemExit(f"{n} turns, {int(res['left'].sum())} to the left: too few to fit the readout")
    sig = f"{a.signal[0]} − {a.signal[1]}"
    print(f"{len(files)} episodes, {n} turns (|Δheading| > 10°); signal = {sig}, mean over the "
          f"{a.window:g} s before onset\n")
    print(f"| {sig} at onset | turns | P(turn left) [Wilson 95 %] |")
    print("|---|---|---|")
    for lo, hi, k, p, (cl, ch) in table(res):
        print(f"| {lo:+.3f} … {hi:+.3f} | {k} | {p:.2f} [{cl:.2f}, {ch:.2f}] |")
    if float(np.std(res["signal"])) < 1e-9:
        print(f"\nthe signal is the same ({res['signal'][0]:+.3g}) at every turn: nothing to fit")
        return 0
    fit = logistic_fit(res["signal"], res["left"])
    print(f"\nlogistic fit: slope k = {fit['k']:.1f} per unit signal, midpoint s0 = {fit['s0']:+.3f}; "
          f"P(left) = 0.75 at s = {fit['s75']:+.3f}, 0.9 at {fit['s90']:+.3f}"
          + ("" if fit["converged"] else " (optimiser did not converge)"))
    rest = np.abs(res["signal"][~res["motion"]])
    if rest.size:
        print(f"turns in rest epochs: {rest.size}, |signal| at onset median {np.median(rest):.3f} "
              f"[5–95 %: {np.quantile(rest, 0.05):.3f}, {np.quantile(rest, 0.95):.3f}]")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
