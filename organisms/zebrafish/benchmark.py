"""`cgym suite` benchmark "zebrafish/integrator" (kind "neural"): the hindbrain integrator's
open-loop responses vs the Boulanger-Weill 2025 calcium recordings (:mod:`.neural_metric`).

Run function with the contract signature (``tasks/benchmarks.py``)::

    run(brain, brain_options, out, *, seeds, quick=False, progress=True) -> dict

Rows per recorded class (iMI, cMI, MON, SMI):

* ``<cls>_corr_pref`` — correlation of the preferred-direction response with the recorded class
  mean; ceiling = split-half reliability of the recording; score = model / ceiling;
* ``<cls>_corr_pref_null`` — correlation of [preferred, null] with the EM-proofread means
  (direction selectivity: the recorded null response is suppressed below baseline);
* ``<cls>_tau`` — rise time constant (s) vs the recorded one (5–95 % bootstrap range).

**Fitted vs predicted.** No time constant is fitted: every integrator population has an
intrinsic tau of 0.1 s (``models/omr_circuit.yaml``), so each rise time is a *prediction* of the
wiring. The free parameters are global and hand-chosen, not fitted to these traces: g_syn (one
gain for all CLEM blocks), w_visual, ds_bias, contra_fraction (listed in ``notes``).
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

NAME = "zebrafish/integrator"
SOURCE = "Boulanger-Weill et al. 2025 (bioRxiv; clem_zfish1, github.com/jboulanger91/Zebrafish_CLEM)"


def _verdict(model, ceiling, lo=None, hi=None, kind="corr"):
    if model is None or not np.isfinite(model):
        return "insufficient data"
    if kind == "tau":
        return "pass" if lo is not None and lo <= model <= hi else "fail"
    return "pass" if ceiling and np.isfinite(ceiling) and model >= 0.8 * ceiling else "fail"


def run(brain: str, brain_options: dict, out: Path, *, seeds: list[int], quick: bool = False,
        progress: bool = True) -> dict:
    from .circuit import load_params
    from .integrator_sbm import WIRINGS
    from .neural_metric import evaluate

    if brain not in WIRINGS:
        raise ValueError(f"zebrafish/integrator: brain {brain!r} has no CLEM integrator; one of {', '.join(WIRINGS)}")
    opts = dict(brain_options or {})
    wseed = opts.pop("seed", opts.pop("wiring_seed", None))
    seeds = list(seeds)[:1] if quick else list(seeds)
    per_seed = []
    for s in seeds:
        if progress:
            print(f"zebrafish/integrator: {brain} seed {s} (80 s open loop)")
        per_seed.append(evaluate(brain, seed=int(s), wiring_seed=wseed)["scores"])
    rows = []
    for cls in per_seed[0]:
        for key, label, unit, kind in (("corr_pref", f"{cls}: preferred-direction response vs recorded mean", "r", "corr"),
                                       ("corr_pref_null", f"{cls}: [preferred, null] vs proofread means (direction selectivity)", "r", "corr"),
                                       ("tau_model_s", f"{cls}: rise time constant (prediction; intrinsic tau 0.1 s)", "s", "tau")):
            vals = np.array([ps[cls][key] for ps in per_seed], float)
            m = float(np.nanmean(vals)) if np.isfinite(vals).any() else float("nan")
            ci = [float(np.nanmin(vals)), float(np.nanmax(vals))] if np.isfinite(vals).any() else [float("nan")] * 2
            s0 = per_seed[0][cls]
            if kind == "tau":
                ref, ceil = s0["tau_recorded_s"], None
                lo, hi = s0["tau_recorded_5_95_s"]
                verdict = _verdict(m, None, lo, hi, "tau")
                score = None
            else:
                ref, ceil = 1.0, s0["ceiling"] if key == "corr_pref" else None
                verdict = _verdict(m, ceil if ceil else 1.0)
                score = m / ceil if ceil else None
            rows.append({"metric": f"{cls}_{key.replace('_model_s', '')}", "label": label, "unit": unit, "model": m,
                         "ci": ci, "reference": ref, "ceiling": ceil, "score": score, "n": len(vals),
                         "verdict": verdict, "source": SOURCE})
    p = load_params()
    notes = ["open-loop protocol of the recordings (80 s; motion 20-60 s; left hemisphere = preferred, right = null)",
             "fitted: none. hand-chosen global parameters: integrator.g_syn=%s, visual.w_visual=%s, visual.ds_bias=%s, "
             "visual.contra_fraction=%s" % (p["integrator"]["g_syn"]["value"], p["visual"]["w_visual"]["value"],
                                            p["visual"]["ds_bias"]["value"], p["visual"]["contra_fraction"]["value"]),
             "ci = min..max over seeds (network noise); tau pass = inside the recorded 5-95 % bootstrap range"]
    res = {"schema": "cgym.benchmark/1", "benchmark": NAME, "brain": brain,
           "brain_info": {"wiring": brain, "wiring_seed": wseed, "seeds": seeds}, "rows": rows,
           "notes": notes, "figures": [], "labels": []}
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    (out / "benchmark.json").write_text(json.dumps(res, indent=1))
    return res
