"""Which fit should a null-model draw use? The neural evidence, per draw and fit source.

    python -m organisms.zebrafish.tools.null_rule --out organisms/zebrafish/figures/null_rule.md

For each (brain, wiring draw, fit) in :data:`CASES` it reports, with nothing behavioural in it:

* the fit's loss (``tools/fit_integrator.py``: same three 80 s trials, numpy replica at 2 ms)
  and its parts (iMI / cMI error, time-constant penalty, baseline asymmetry);
* the Brian2 neural metric of :mod:`..neural_metric` (open loop, noise seed 0): iMI and cMI
  correlation of [preferred, null] with the proofread means, calcium rise / decay (s);
* the integrator's state at rest and its direction signal: mean iMI+ rate 10-20 s (before
  motion) and the iMI+ preferred - null rate at the end of motion (the readout's input).

The fits themselves are read from ``models/integrator_fits.yaml``; a fit is "own" when it was
made on that draw, "transferred" when it was made on another draw of the same block model.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np

#: (brain, wiring draw, fit key or "own")
CASES = [("connectome", 0, "own")] \
    + [("sbm-redraw", d, "connectome/0") for d in (1, 2, 3, 4)] \
    + [("sbm-redraw", d, "own") for d in (1, 2, 3, 4)] \
    + [("block-shuffled", d, "block-shuffled/0") for d in (1, 2, 3)] \
    + [("block-shuffled", d, "own") for d in (0, 1, 2, 3)] \
    + [("no-integrator-edges", 0, "own")]


def replica_sim(brain: str, draw: int, values: dict) -> tuple[dict, list[bool]]:
    """The fit's three trials (``fit_integrator.CONDITIONS``) for one parameter set in the numpy
    replica: (sim, leftward per trial), as ``fit_integrator.losses`` takes them."""
    from .fit_integrator import CONDITIONS, PARAMS, FastBrain

    fb = FastBrain(brain, draw)
    v = {k: values[k] for k, *_ in PARAMS if k in values}
    drives = {lw: fb.visual_drive(leftward=lw) for lw in (True, False)}
    conds = CONDITIONS
    kicks = [fb.kick_vector("R" if lw else "L") if k else None for lw, _, k in conds]
    sim = fb.simulate([v], [drives[lw] for lw, _, _ in conds], [sd for _, sd, _ in conds], kicks=kicks)
    return sim, [lw for lw, _, _ in conds]


def rest_measures(sim: dict) -> dict:
    """Trial 0 (leftward: left hemisphere preferred, no kick) of a replica run: the iMI+ rate at
    rest (mean of both hemispheres, 10-20 s), the iMI+ preferred - null signal at the end of the
    motion (55-60 s), and how that left - right difference fades after the motion stops (the
    memory the turn side is read from): its decay time constant (back to 37 %; of the rates and
    through the GCaMP kernel, comparable with ``rest_state data``; NaN if it has not decayed by the
    end of the trial) and its value at the end (78-80 s)."""
    from ..neural_metric import calcium
    from .fit_integrator import time_constants

    t = sim["t"]
    rest = (t >= 10.0) & (t < 20.0)
    end = (t >= 55.0) & (t < 60.0)
    last = t >= t[-1] - 2.0
    raw = sim["iMI+_L"][:, 0] - sim["iMI+_R"][:, 0]
    diff = raw - raw[rest].mean()
    return {"rest_iMI+": float(0.5 * (sim["iMI+_L"][rest, 0] + sim["iMI+_R"][rest, 0]).mean()),
            "signal_iMI+": float(raw[end].mean()),
            "decay_iMI+_LR_s": float(time_constants(t, diff)["decay_s"]),
            "decay_iMI+_LR_calcium_s": float(time_constants(t, calcium(diff, float(t[1] - t[0])))["decay_s"]),
            "end_iMI+_LR": float(diff[last].mean())}


def replica(brain: str, draw: int, values: dict) -> dict:
    from .fit_integrator import losses

    sim, left = replica_sim(brain, draw, values)
    total, per = losses(sim, left)
    return {"loss": float(total[0]), **{k: float(x[0]) for k, x in per.items()}, **rest_measures(sim)}


def evaluate_case(brain: str, draw: int, fit: str) -> dict:
    from ..integrator_sbm import fitted_overrides
    from ..neural_metric import evaluate

    ov, src = fitted_overrides(brain, draw, fit=fit)
    rep = replica(brain, draw, ov)
    nm = evaluate(brain, seed=0, wiring_seed=draw, fit=fit)["scores"]
    return {"brain": brain, "draw": draw, "fit": src, "replica": rep, "neural": nm,
            "readout_gain": ov.get("integrator.readout_gain")}


def _f(x, nd=2):
    return "—" if x is None or not np.isfinite(x) else f"{x:.{nd}f}"


def table(rows: list[dict]) -> str:
    out = ["| brain / draw | fit used | loss | iMI err | cMI err | tau penalty (iMI, cMI, SMI) | asym | "
           "corr [pref, null] iMI / cMI | calcium rise, decay iMI (s) | calcium rise, decay cMI (s) | "
           "iMI+ at rest | iMI+ pref − null, end of motion |",
           "|---|---|---|---|---|---|---|---|---|---|---|---|"]
    for r in rows:
        p, n = r["replica"], r["neural"]
        out.append(
            f"| {r['brain']}/{r['draw']} | {r['fit']} | {_f(p['loss'])} | {_f(p['iMI'])} | {_f(p['cMI'])} | "
            f"{_f(p['iMI_tau'])}, {_f(p['cMI_tau'])}, {_f(p['SMI_tau'])} | {_f(p['asym'], 3)} | "
            f"{_f(n['iMI']['corr_pref_null'])} / {_f(n['cMI']['corr_pref_null'])} | "
            f"{_f(n['iMI']['tau_model_s'], 1)}, {_f(n['iMI']['tau_decay_model_s'], 1)} | "
            f"{_f(n['cMI']['tau_model_s'], 1)}, {_f(n['cMI']['tau_decay_model_s'], 1)} | "
            f"{_f(p['rest_iMI+'], 3)} | {_f(p['signal_iMI+'], 3)} |")
    return "\n".join(out)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description="neural evidence for the null-model fit rule (no behaviour)")
    ap.add_argument("--out", type=Path, default=None, help="markdown file for the table")
    ap.add_argument("--only", default=None, help="comma-separated brain names to restrict CASES")
    a = ap.parse_args(argv)
    only = set(a.only.split(",")) if a.only else None
    rows = []
    for brain, draw, fit in CASES:
        if only and brain not in only:
            continue
        rows.append(evaluate_case(brain, draw, fit))
        print(table(rows[-1:]).splitlines()[-1], flush=True)
    text = ("# Which fit should a null-model draw use? Neural evidence (no behaviour)\n\n"
            "Loss and its parts: `tools/fit_integrator.py` loss (3 trials, numpy replica, 2 ms); recorded "
            "calcium rise / decay: iMI and cMI all-cell means 7.5 / 11.5 s. Neural columns: Brian2 open loop, "
            "noise seed 0 (`neural_metric.evaluate`). Rates: replica, leftward trial, no kick.\n\n" + table(rows) + "\n")
    print(text)
    if a.out:
        a.out.write_text(text)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
