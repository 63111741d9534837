"""The rest state: what the recordings say, and where a fit's integrator sits at rest.

    python -m organisms.zebrafish.tools.rest_state data
    python -m organisms.zebrafish.tools.rest_state fits organisms/zebrafish/models/integrator_fits.yaml connectome/0 sbm-redraw/1

``data``: the Boulanger-Weill 2025 traces of ``data/`` relative to their pre-motion baseline
(10-20 s): the proofread class means' preferred and null deflections (no per-cell null traces
exist in the release) and, per cell (preferred only), deflections with 95 % bootstrap CIs over cells.
``fits``: for entries of a fits file (own fits), the loss under both versions (``fit_integrator``
``losses``, the fit's three trials in the numpy replica), the null-suppression parts, and the rest
iMI+ rate and end-of-motion iMI+ preferred - null signal (the measures of ``null_rule.replica``).
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import numpy as np

WINDOWS = {"base": (10, 20), "late": (40, 60), "post": (70, 80), "pre0": (0, 5)}


def _win(t, y, k):
    a, b = WINDOWS[k]
    return y[(t >= a) & (t < b)].mean(0)


def data_report() -> str:
    from tasks.statistics import bootstrap_ci

    from ..neural_metric import CLASSES, recorded_individual, recorded_means
    from .fit_integrator import time_constants

    m = recorded_means()
    t = m["time_s"].to_numpy(float)
    out = ["proofread class means (normalised dF/F %), relative to the 10-20 s baseline"]
    side = ["preferred - null difference of the proofread class means (baseline-subtracted): how long the "
            "side signal lasts after the motion stops (decay to 37 % of its 55-60 s level; fraction left at 78-80 s)"]
    for c in CLASSES:
        p, n = m[f"{c}_preferred"].to_numpy(float), m[f"{c}_null"].to_numpy(float)
        bp, bn = _win(t, p, "base"), _win(t, n, "base")
        mot = (t >= 20) & (t < 60)
        dp, dn = _win(t, p, "late") - bp, _win(t, n, "late") - bn
        out.append(f"{c}: baseline pref {bp:+.2f} null {bn:+.2f} | 40-60 s pref {dp:+.1f} null {dn:+.1f} "
                   f"(null/pref {dn / dp:+.2f}) | min null in motion {n[mot].min() - bn:+.1f} | "
                   f"pref min in motion {p[mot].min() - bp:+.1f} | 70-80 s pref {_win(t, p, 'post') - bp:+.1f} "
                   f"null {_win(t, n, 'post') - bn:+.1f}")
        d = (p - bp) - (n - bn)
        end = d[(t >= 55) & (t < 60)].mean()
        side.append(f"{c}: decay {time_constants(t, d)['decay_s']:.1f} s, left at 78-80 s "
                    f"{d[t >= 78].mean() / end:.2f} of the 55-60 s level")
    out += side
    ind = recorded_individual()
    out.append("all clustered cells (raw dF/F %, preferred only); 95 % bootstrap CI over cells")
    for k in ("MI", "SMI", "MON"):
        X = ind[f"{k}_traces"].astype(float)
        b = _win(t, X, "base")
        for lab, w in (("40-60 s", "late"), ("70-80 s", "post"), ("0-5 s", "pre0")):
            d = _win(t, X, w) - b
            ci = bootstrap_ci(d, np.mean)
            out.append(f"{k} (n={X.shape[1]}): {lab} - baseline = {d.mean():+.2f} [{ci.lo:+.2f}, {ci.hi:+.2f}], "
                       f"{(d < 0).mean() * 100:.0f} % of cells below baseline")
        cb = bootstrap_ci(b, np.mean)
        sd = X[(t >= 10) & (t < 20)].std(0)
        out.append(f"{k}: baseline (10-20 s mean raw dF/F) {b.mean():+.2f} [{cb.lo:+.2f}, {cb.hi:+.2f}]; "
                   f"within-baseline s.d. median {np.median(sd):.2f}")
    return "\n".join(out)


def fit_state(path: Path, brain: str, draw: int) -> dict:
    from ..integrator_sbm import fitted_overrides
    from .fit_integrator import NULL_CLASSES, losses
    from .null_rule import replica_sim, rest_measures

    ov, src = fitted_overrides(brain, draw, path=path, fit="own")
    if src != f"{brain}/{draw}":
        raise SystemExit(f"{path}: no own fit for {brain}/{draw}")
    sim, left = replica_sim(brain, draw, ov)
    l1, per = losses(sim, left, loss="v1")
    l2, _ = losses(sim, left, loss="rest")
    return {"key": f"{brain}/{draw}", "file": str(path), "loss_v1": float(l1[0]), "loss_rest": float(l2[0]),
            **{f"{c}_null": float(per[f"{c}_null"][0]) for c in NULL_CLASSES}, **rest_measures(sim)}


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description="rest state: recordings and fits")
    sub = ap.add_subparsers(dest="cmd", required=True)
    sub.add_parser("data")
    f = sub.add_parser("fits")
    f.add_argument("path", type=Path)
    f.add_argument("keys", nargs="+", help="<brain>/<draw>")
    a = ap.parse_args(argv)
    if a.cmd == "data":
        print(data_report())
        return 0
    if not a.path.exists():
        raise SystemExit(f"{a.path}: no such fits file")
    for key in a.keys:
        brain, _, draw = key.partition("/")
        print(json.dumps(fit_state(a.path, brain, int(draw))), flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
