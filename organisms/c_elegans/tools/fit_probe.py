"""Fit per-class parameters of a C. elegans brain to the OPEN-LOOP NaCl step target of issue 11.

Target (neural, not behavioural): up-step -> AIY up and AIB down; down-step -> AIB up and AVA up,
and AVA up relative to AVB (so the common mode of the gap-junction network does not count);
|response| of several mV at AIB, AVA, RIA and SMD. Loss = sum of hinge terms
relu(A - signed response) / A with A = ``--target-mV`` (default 3 mV), evaluated by
``organisms.c_elegans.probe.step_responses`` (the same Brian2 path the brains use, noise off).

Searched: the ``fit: true`` entries of the start file (per class or global, never per edge), by
CMA-ES (``cma``, Hansen 2016 arXiv:1604.00772) in the [0, 1]-scaled box of their bounds (log
scale for ``log: true``). Writes the best file with a ``fit:`` block (command, optimiser settings,
budget, loss) after every generation, so an interrupted run leaves its best so far.

Because this fit targets the probe, the probe test (tests/organisms/test_c_elegans_probe.py) is a
regression test of this fit, not independent evidence; the behaviour (chemotaxis vs controls)
is not fitted here.

    python -m organisms.c_elegans.tools.fit_probe --start organisms/c_elegans/params/connectome.yaml \
        --out organisms/c_elegans/params/connectome.yaml --evals 120
"""

from __future__ import annotations

import argparse
import copy
import sys
import time

import numpy as np

from organisms.c_elegans.params import ParamSet
from organisms.c_elegans.probe import step_responses


def _mean(d, names):
    return float(np.mean([d[n] for n in names]))


MOTOR_GROUPS = ("VB", "DB", "VA", "DA", "AVB", "AVA")


def _group_rest(baseline: dict, group: str) -> float:
    import re
    pat = re.compile(rf"^{group}(\d|L$|R$)")
    return float(np.mean([v for n, v in baseline.items() if pat.match(n)]))


def probe_loss(r: dict, target_mV: float = 3.0, motor_rest: dict | None = None) -> tuple[float, dict]:
    """Hinge loss on the sign pattern; plus, when ``motor_rest`` (group -> rest mV of the unfitted
    brain) is given, a penalty on moving the rest potential of the motor circuit (B/A motor
    neurons, AVB, AVA) by more than 1 mV: the forward-crawling loop was calibrated at that rest
    state, and a probe fit must not buy amplitude by breaking locomotion."""
    up, dn = r["up"], r["down"]
    terms = {
        "AIY_up": _mean(up, ["AIYL", "AIYR"]),
        "AIB_up_neg": -_mean(up, ["AIBL", "AIBR"]),
        "AIB_down": _mean(dn, ["AIBL", "AIBR"]),
        "AVA_down": _mean(dn, ["AVAL", "AVAR"]),
        # backward over forward command: the common mode of the gap-junction network (everything
        # rising together) must not pass for a backward command
        "AVA_minus_AVB_down": _mean(dn, ["AVAL", "AVAR"]) - _mean(dn, ["AVBL", "AVBR"]),
        "RIA_abs": max(abs(_mean(up, ["RIAL", "RIAR"])), abs(_mean(dn, ["RIAL", "RIAR"]))),
        "SMD_abs": max(abs(_mean(x, [n])) for x in (up, dn) for n in ("SMDDL", "SMDDR", "SMDVL", "SMDVR")),
    }
    loss = sum(max(0.0, target_mV - v) / target_mV for v in terms.values())
    for g, ref in (motor_rest or {}).items():
        d = _group_rest(r["baseline"], g) - ref
        terms[f"rest_{g}"] = d
        loss += max(0.0, abs(d) - 1.0) / 2.0
    return loss, terms


def _to_unit(ps: ParamSet, x):
    lo, hi = ps.bounds()
    logm = np.array([ps.parameters[k].log for k in ps.fit_names()])
    u = np.where(logm, (np.log(np.maximum(x, 1e-12)) - np.log(np.maximum(lo, 1e-12)))
                 / (np.log(np.maximum(hi, 1e-12)) - np.log(np.maximum(lo, 1e-12))), (x - lo) / (hi - lo))
    return np.clip(u, 0, 1)


def _from_unit(ps: ParamSet, u):
    lo, hi = ps.bounds()
    u = np.clip(u, 0, 1)
    logm = np.array([ps.parameters[k].log for k in ps.fit_names()])
    return np.where(logm, np.exp(np.log(np.maximum(lo, 1e-12)) + u * (np.log(np.maximum(hi, 1e-12))
                                                                          - np.log(np.maximum(lo, 1e-12)))),
                    lo + u * (hi - lo))


def main(argv=None) -> int:
    import tempfile

    import cma

    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--start", required=True)
    p.add_argument("--out", required=True)
    p.add_argument("--brain", default="connectome")
    p.add_argument("--evals", type=int, default=120)
    p.add_argument("--popsize", type=int, default=8)
    p.add_argument("--sigma0", type=float, default=0.25)
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--target-mV", type=float, default=3.0)
    p.add_argument("--reference", default=None,
                   help="params file of the unfitted brain whose motor-circuit rest state must be kept")
    p.add_argument("--brain-option", action="append", default=[], metavar="KEY=VALUE",
                   help="a brain option for every probe (e.g. receptor_signs=true); repeatable")
    p.add_argument("--freeze", action="append", default=[], metavar="PREFIX",
                   help="keep the fit: true entries whose name starts with PREFIX at their start value "
                        "(e.g. bridge.A_stretch: proprioception has no input in the open-loop probe); repeatable")
    a = p.parse_args(argv)
    from organisms.c_elegans.probe import parse_brain_options
    extra = parse_brain_options(a.brain_option)
    start = ParamSet.load(a.start)
    frozen = [n for n in start.fit_names() if any(n.startswith(f) for f in a.freeze)]
    for name in frozen:
        start.parameters[name].fit = False
    names = start.fit_names()
    ref = step_responses(a.brain, brain_options={**extra, "params": a.reference}) if a.reference else None
    motor_rest = {g: _group_rest(ref["baseline"], g) for g in MOTOR_GROUPS} if ref else None
    es = cma.CMAEvolutionStrategy(_to_unit(start, start.vector()).tolist(), a.sigma0,
                                  {"popsize": a.popsize, "bounds": [0, 1], "seed": a.seed, "verbose": -9})
    best = (np.inf, None, None)
    n_eval = 0
    tmp = tempfile.NamedTemporaryFile(suffix=".yaml", delete=False).name
    t0 = time.time()
    while n_eval < a.evals and not es.stop():
        us = es.ask()
        losses = []
        for u in us:
            cand = start.with_vector(_from_unit(start, np.asarray(u)))
            cand.dump(tmp)
            try:
                r = step_responses(a.brain, brain_options={**extra, "params": tmp})
                loss, terms = probe_loss(r, a.target_mV, motor_rest)
            except Exception as exc:  # a diverging candidate is just a bad one
                loss, terms = 10.0, {"error": str(exc)[:80]}
            n_eval += 1
            losses.append(loss)
            if loss < best[0]:
                best = (loss, cand, terms)
            print(f"[{n_eval}/{a.evals} {time.time() - t0:6.0f}s] loss {loss:.3f} best {best[0]:.3f} "
                  + " ".join(f"{k}={v:+.1f}" for k, v in terms.items() if isinstance(v, float)), flush=True)
        es.tell(us, losses)
        loss, cand, terms = best
        cand.fit_info = {
            "target": "open-loop NaCl step sign pattern of issue 11 (not behaviour)"
                      + ("; motor-circuit rest state of --reference kept (penalty)" if a.reference else ""),
            "command": "python -m organisms.c_elegans.tools.fit_probe " + " ".join(argv or sys.argv[1:]),
            "optimiser": {"name": "cma.CMAEvolutionStrategy", "version": cma.__version__,
                          "popsize": a.popsize, "sigma0": a.sigma0, "seed": a.seed,
                          "space": "bounds scaled to [0, 1], log for log: true"},
            "budget_evals": a.evals, "evals_done": n_eval, "best_loss": float(loss),
            "best_terms_mV": {k: round(float(v), 2) for k, v in terms.items() if isinstance(v, float)},
            "fitted": names,
            "brain_options": extra,
            "frozen_at_start_value": frozen,
        }
        out = copy.deepcopy(cand)
        for name in frozen:   # frozen here, still free for other fits (e.g. the behavioural spec)
            out.parameters[name].fit = True
        out.dump(a.out)
    print(f"best loss {best[0]:.3f} -> {a.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
