"""Do the recordings decide whether a fitted draw follows a reversal? One fitted parameter moved; the fit loss and the reversal probe at each point.

    python -m organisms.zebrafish.tools.loss_profile --fits organisms/zebrafish/models/integrator_fits.yaml \\
        --param integrator.g_I_other --draws connectome/0 sbm-redraw/17 sbm-redraw/19
    python -m organisms.zebrafish.tools.loss_profile --fits ... --param integrator.bias_shift --steps -0.2 -0.1 0 0.1 0.2

Each draw's installed fit (``models/integrator_fits.yaml``, rest loss) with one of the fit's
parameters (:data:`.fit_integrator.PARAMS`) moved and the others held: a log-scaled parameter is
multiplied by each ``--steps`` value (default 0.25 0.5 0.71 1 1.41 2 4), a linear one
(``integrator.bias_shift``) has each step added; values are clipped to the fit's bounds. At each
point it prints

* the **fit loss**, the same objective the fit minimised (:class:`.fit_integrator.FitObjective`:
  the recorded class means, both directions, the kicked trial, the rest term), and its change
  from the fitted value (step 1, or 0 for a linear parameter);
* the **reversal probe** (:mod:`.reversal_probe`) at each ``--contrast``: class and score.

The others are held, not re-fitted, so the loss rise along the row is an upper bound on what the
recordings charge for the move (re-fitting the rest could only lower it): a class change at a
small loss rise shows that the recordings do not decide it; a large rise is not conclusive.
``--refit G`` settles it within a budget: at each point the other five parameters are re-fitted
(CMA-ES from the fitted values, the fit's popsize and seed, step :data:`REFIT_SIGMA0`, G
generations, the point itself counted), and the re-fitted brain is probed again, since a re-fit can
undo the move's effect. That is a profile of the loss with a small budget, not the fit's 600
evaluations. Nothing is written.
"""

from __future__ import annotations

import argparse
import importlib.util
import sys

import numpy as np

from .reversal_probe import CONTRASTS, draw_sort_key, fit_entries, probe

LOG_STEPS = (0.25, 0.5, 0.71, 1.0, 1.41, 2.0, 4.0)
LINEAR_STEPS = (-0.2, -0.1, 0.0, 0.1, 0.2)
#: the re-fit's step size in the unit box (the fit's own is 0.25, from the hand-chosen start)
REFIT_SIGMA0 = 0.1


def param_spec(key: str) -> tuple[str, float, float]:
    """(scale, low, high) of a fitted parameter; a one-line ValueError for any other key."""
    from .fit_integrator import PARAMS

    for k, scale, lo, hi in PARAMS:
        if k == key:
            return scale, lo, hi
    raise ValueError(f"--param {key}: not a fitted parameter (one of {', '.join(k for k, *_ in PARAMS)})")


def moved_values(fitted: float, scale: str, lo: float, hi: float, steps) -> list[float]:
    """The parameter's values along the profile: ``fitted`` times (log) or plus (linear) each step,
    clipped to [lo, hi]."""
    vals = [fitted * s if scale == "log" else fitted + s for s in steps]
    return [float(np.clip(v, lo, hi)) for v in vals]


def refit_others(objective, base: dict, fixed: str, generations: int, start_loss: float | None = None
                 ) -> tuple[dict, float]:
    """The other fitted parameters re-fitted with ``fixed`` held at its value in ``base``: CMA-ES
    from ``base`` (popsize and seed of the fit, sigma0 :data:`REFIT_SIGMA0` of the unit box),
    ``generations`` generations; (best values, best loss), ``base`` itself included (its loss
    ``start_loss`` when already known)."""
    try:
        import cma
    except ImportError:
        raise RuntimeError("--refit needs the cma package (CMA-ES): pip install 'connectome-gym[fit]'") from None

    from .fit_integrator import CMA, PARAMS, from_unit, unit_of

    keys = [k for k, *_ in PARAMS]
    u0 = unit_of(base)
    free = [i for i, k in enumerate(keys) if k != fixed]

    def values(x):
        u = u0.copy()
        u[free] = x
        return {**from_unit(u), fixed: base[fixed]}   # the held value exactly, not its round trip

    best_loss = float(objective([base])[0][0]) if start_loss is None else float(start_loss)
    best = dict(base)
    es = cma.CMAEvolutionStrategy(u0[free].tolist(), REFIT_SIGMA0, {"popsize": CMA["popsize"], "seed": CMA["seed"],
                                                                    "bounds": [0, 1], "verbose": -9})
    for _ in range(generations):
        xs = es.ask()
        lo_, _ = objective([values(x) for x in xs])
        lo_ = [float(v) if np.isfinite(v) else 10.0 for v in lo_]
        es.tell(xs, lo_)
        k = int(np.argmin(lo_))
        if lo_[k] < best_loss:
            best_loss, best = lo_[k], values(xs[k])
    return best, best_loss


def profile(key: str, entry: dict, param: str, steps, contrasts=CONTRASTS, refit: int = 0) -> list[dict]:
    """One row per distinct value: the value, the fit loss and the probe of ``entry`` (an installed
    fit of the draw ``key``, "brain/draw") with ``param`` moved; with ``refit`` > 0 also the loss
    and the probe after the other parameters are re-fitted for that many generations."""
    from .fit_integrator import PARAMS, FastBrain, FitObjective

    scale, lo, hi = param_spec(param)
    brain, _, draw = key.partition("/")
    fb = FastBrain(brain, None if brain == "connectome" else int(draw))
    objective = FitObjective(fb, kick=True, loss="rest")
    base = {k: float(entry["overrides"][k]) for k, *_ in PARAMS}
    points, seen = [], set()
    for s, v in zip(steps, moved_values(base[param], scale, lo, hi, steps)):
        if v not in seen:   # steps beyond a bound give the bound once
            seen.add(v)
            points.append((float(s), v))
    sets = [{**base, param: v} for _, v in points]
    loss, _ = objective(sets + [base])
    loss = [float(v) for v in loss]
    rows = []
    for (s, v), lv, vals in zip(points, loss[:-1], sets):
        row = {"draw": key, "step": s, "value": v, "loss": lv, "d_loss": lv - loss[-1],
               **{c: probe(fb, vals, c) for c in contrasts}}
        if refit:
            rvals, rloss = refit_others(objective, vals, param, refit, start_loss=lv)
            row["refit"] = {"loss": rloss, "d_loss": rloss - loss[-1], "values": rvals,
                            **{c: probe(fb, rvals, c) for c in contrasts}}
        rows.append(row)
    return rows


def markdown(rows: list[dict], param: str, scale: str, contrasts=CONTRASTS) -> str:
    step = "× fitted" if scale == "log" else "+ fitted"
    refit = any("refit" in r for r in rows)
    head = f"| draw | {param} ({step}) | value | fit loss | change from the fit | " + \
        " | ".join(f"contrast {c:g}: class (score)" for c in contrasts)
    if refit:
        head += " | re-fitted others: fit loss | change | " + " | ".join(f"contrast {c:g}" for c in contrasts)
    lines = [head + " |", "|---|---|---|---|---|" + "---|" * (len(contrasts) * (2 if refit else 1) + (2 if refit else 0))]
    for r in rows:
        line = (f"| {r['draw']} | {r['step']:g} | {r['value']:.3g} | {r['loss']:.3f} | {r['d_loss']:+.3f} | "
                + " | ".join(f"{r[c]['class']} ({r[c]['score']:+.3f})" for c in contrasts))
        if refit:
            f = r["refit"]
            line += (f" | {f['loss']:.3f} | {f['d_loss']:+.3f} | "
                     + " | ".join(f"{f[c]['class']} ({f[c]['score']:+.3f})" for c in contrasts))
        lines.append(line + " |")
    return "\n".join(lines)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(prog="python -m organisms.zebrafish.tools.loss_profile",
                                 description=__doc__.split("\n")[0])
    ap.add_argument("--fits", required=True, metavar="YAML", help="integrator fits (models/integrator_fits.yaml)")
    ap.add_argument("--param", required=True, help="a fitted parameter, e.g. integrator.g_I_other")
    ap.add_argument("--draws", nargs="+", required=True, metavar="BRAIN/DRAW", help="fit entries, e.g. connectome/0")
    ap.add_argument("--steps", type=float, nargs="+",
                    help=f"factors (log-scaled parameter; default {' '.join(map(str, LOG_STEPS))}) or "
                         f"offsets (linear; default {' '.join(map(str, LINEAR_STEPS))})")
    ap.add_argument("--contrast", type=float, nargs="+", default=list(CONTRASTS))
    ap.add_argument("--refit", type=int, default=0, metavar="GENERATIONS",
                    help="also re-fit the other parameters at each point (CMA-ES, the fit's popsize and "
                         "seed, this many generations) and probe the re-fitted brain")
    a = ap.parse_args(argv)
    if a.refit < 0:
        ap.error(f"--refit {a.refit}: must be >= 0")
    try:
        scale, _, _ = param_spec(a.param)
        entries = fit_entries(a.fits, "rest")
    except ValueError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    if any(not 0 < c <= 1 for c in a.contrast):
        ap.error(f"--contrast {a.contrast}: each must be in (0, 1]")
    steps = a.steps or (LOG_STEPS if scale == "log" else LINEAR_STEPS)
    if scale == "log" and any(s <= 0 for s in steps):
        ap.error(f"--steps {steps}: factors of a log-scaled parameter must be > 0")
    missing = [d for d in a.draws if d not in entries]
    if missing:
        print(f"error: --draws {missing[0]}: no rest entry in {a.fits}", file=sys.stderr)
        return 2
    rows = []
    if a.refit and importlib.util.find_spec("cma") is None:
        print("error: --refit needs the cma package (CMA-ES): pip install 'connectome-gym[fit]'", file=sys.stderr)
        return 2
    for key in sorted(a.draws, key=draw_sort_key):
        rows += profile(key, entries[key], a.param, steps, tuple(a.contrast), refit=a.refit)
        print(f"  profiled {key}", file=sys.stderr)
    print(markdown(rows, a.param, scale, tuple(a.contrast)))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
