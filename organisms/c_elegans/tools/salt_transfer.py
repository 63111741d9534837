"""Where does the salt signal go in the closed loop? How many mV of each neuron follow dC/dt.

    python -m organisms.c_elegans.tools.salt_transfer runs/ase24000/connectome runs/ase24000/shuffled-3
    python -m organisms.c_elegans.tools.salt_transfer RUN --neurons ASER AIBL AVAL AVBL --episodes 8

The open-loop probe (``cgym probe celegans --step NaCl:20:40``) shows each neuron's response to a
20 mM step. A crawling worm never meets such a step: it meets the slow changes its own path makes.
This tool measures, on the episodes a run recorded (``concentration`` and ``neural_v`` in each
``episodes/ep_*.npz``), how much of each neuron's slow potential follows the concentration change
the animal is meeting:

* dC/dt: the concentration at the nose, smoothed over ``--smooth-c-s`` (1 s), differentiated;
* each neuron's potential smoothed over ``--smooth-v-s`` (2 s), which removes the undulation
  (~0.3-0.6 Hz) and keeps slow state changes;
* per animal and neuron, the least-squares slope of V(t + lag) on dC/dt(t), for each lag in
  ``--lags`` (s); the lag with the largest |correlation| is kept (choosing among a few lags inflates
  |r| slightly; with ~6000 samples per 240 s episode the inflation is small against the spread
  between animals);
* per neuron, over animals: the median lag, the mean slope (mV per mM/s) and mean correlation r,
  each with a bootstrap 95 % CI over animals (:func:`tasks.statistics.bootstrap_ci`), the
  salt-driven part ``|slope| x sd(dC/dt)`` (mV, averaged over animals) and the s.d. of the raw
  potential (mV), which holds the undulation rhythm too.

A neuron whose salt-driven part is a small fraction of a mV passes the salt on to nothing, whatever
its open-loop step response. A diagnostic of a run; it changes nothing. The first and last
``--edge-s`` seconds of each episode are left out (smoothing edges).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

from organisms.c_elegans.probe import PATHWAY
from tasks.statistics import bootstrap_ci


def _box(x: np.ndarray, n: int) -> np.ndarray:
    n = max(1, int(n))
    return np.convolve(x, np.ones(n) / n, mode="same")


def load_episode(path: Path) -> dict:
    """t, concentration, neural_v and neural_names of one recorded episode, checked."""
    try:
        with np.load(path, allow_pickle=False) as z:
            missing = [k for k in ("t", "concentration", "neural_v", "neural_names") if k not in z.files]
            if missing:
                raise ValueError(f"{path}: no {', '.join(missing)} (was the run recorded with neural traces?)")
            return {k: z[k] for k in ("t", "concentration", "neural_v", "neural_names")}
    except (OSError, EOFError) as e:
        raise ValueError(f"{path}: cannot read ({e})") from None


def transfer_of_episode(ep: dict, neurons: list[str], lags_s: list[float], smooth_c_s: float = 1.0,
                        smooth_v_s: float = 2.0, edge_s: float = 2.0) -> tuple[float, dict[str, tuple]]:
    """sd of dC/dt, and per neuron (slope mV per mM/s, r, lag s, sd of the raw potential mV)."""
    t = np.asarray(ep["t"], float)
    if t.size < 3:
        raise ValueError("episode too short")
    dt = float(np.median(np.diff(t)))
    dc = np.gradient(_box(np.asarray(ep["concentration"], float), round(smooth_c_s / dt)), dt)
    e = int(round(edge_s / dt))
    names = [str(n) for n in ep["neural_names"]]
    out = {}
    for name in neurons:
        raw = np.asarray(ep["neural_v"][:, names.index(name)], float)
        v = _box(raw, round(smooth_v_s / dt))
        best = None
        for lag in lags_s:
            k = int(round(lag / dt))
            x = dc[e:len(dc) - e - k]
            y = v[e + k:len(v) - e]
            if x.size < 10:
                continue
            x, y = x - x.mean(), y - y.mean()
            sxx, syy = float((x * x).sum()), float((y * y).sum())
            if sxx == 0 or syy == 0:
                cand = (0.0, 0.0, lag)
            else:
                sxy = float((x * y).sum())
                cand = (sxy / sxx, sxy / np.sqrt(sxx * syy), lag)
            if best is None or abs(cand[1]) > abs(best[1]):
                best = cand
        if best is None:
            raise ValueError(f"episode shorter than the longest lag ({max(lags_s)} s) plus its edges")
        out[name] = (*best, float(np.std(raw[e:len(raw) - e])))
    return float(np.std(dc[e:len(dc) - e])), out


def transfer_of_run(run: Path, neurons: list[str] | None = None, lags_s=(0.0, 0.5, 1.0, 2.0, 3.0),
                    episodes: int | None = None, **kw) -> dict:
    files = sorted((run / "episodes").glob("ep_*.npz"))
    if not files:
        raise ValueError(f"{run}: no episodes/ep_*.npz (not a run folder, or a run without recordings?)")
    files = files[:episodes] if episodes else files
    sds, per = [], {}
    for f in files:
        ep = load_episode(f)
        names = [str(n) for n in ep["neural_names"]]
        use = [n for n in (neurons or PATHWAY) if n in names]
        unknown = [n for n in (neurons or []) if n not in names]
        if unknown:
            raise ValueError(f"{f}: no neuron named {', '.join(unknown)}")
        sd, res = transfer_of_episode(ep, use, list(lags_s), **kw)
        sds.append(sd)
        for n, v in res.items():
            per.setdefault(n, []).append(v)
    return {"run": run, "n": len(files), "sd_dcdt": float(np.mean(sds)),
            "neurons": {n: np.array(v, float) for n, v in per.items()}}


def table(result: dict) -> list[str]:
    sd = result["sd_dcdt"]
    lines = [f"{result['run']}: {result['n']} animals, s.d. of dC/dt {sd:.3f} mM/s",
             "| neuron | lag s (median) | slope mV per mM/s [95 % CI] | r [95 % CI] | salt-driven s.d. mV | raw s.d. mV |",
             "|---|---|---|---|---|---|"]
    for n, a in result["neurons"].items():
        s = bootstrap_ci(a[:, 0], np.mean, min_n=2)
        r = bootstrap_ci(a[:, 1], np.mean, min_n=2)
        lines.append(f"| {n} | {np.median(a[:, 2]):.1f} | {s[0]:+.2f} [{s[1]:+.2f}, {s[2]:+.2f}] "
                     f"| {r[0]:+.2f} [{r[1]:+.2f}, {r[2]:+.2f}] | {np.mean(np.abs(a[:, 0])) * sd:.2f} "
                     f"| {np.mean(a[:, 3]):.2f} |")
    return lines


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("runs", nargs="+", type=Path, help="run folders recorded with neural traces")
    ap.add_argument("--neurons", nargs="+", metavar="NAME", help="neurons (default: the probe's pathway)")
    ap.add_argument("--episodes", type=int, metavar="N", help="only the first N episodes of each run")
    ap.add_argument("--lags", nargs="+", type=float, default=[0.0, 0.5, 1.0, 2.0, 3.0], metavar="S",
                    help="lags of V after dC/dt to try, s (default 0 0.5 1 2 3)")
    ap.add_argument("--smooth-c-s", type=float, default=1.0)
    ap.add_argument("--smooth-v-s", type=float, default=2.0)
    ap.add_argument("--edge-s", type=float, default=4.0, help="s left out at each end (default 4)")
    a = ap.parse_args(argv)
    if a.episodes is not None and a.episodes < 1:
        ap.error("--episodes must be at least 1")
    if min(a.lags) < 0 or min(a.smooth_c_s, a.smooth_v_s) <= 0 or a.edge_s < 0:
        ap.error("--lags and --edge-s must be >= 0, --smooth-c-s and --smooth-v-s > 0")
    for run in a.runs:
        try:
            res = transfer_of_run(run, a.neurons, a.lags, a.episodes, smooth_c_s=a.smooth_c_s,
                                  smooth_v_s=a.smooth_v_s, edge_s=a.edge_s)
        except ValueError as e:
            print(f"error: {e}", file=sys.stderr)
            return 2
        print("\n".join(table(res)) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
