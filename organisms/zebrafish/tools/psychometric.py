"""Psychometric / chronometric table of the fictive random-dot protocol for several brains.

    python -m organisms.zebrafish.tools.psychometric --combine A.json B.json --out OUT   # pool seeds
    python -m organisms.zebrafish.tools.psychometric --brains connectome sbm-redraw block-shuffled \
        no-integrator-edges --coherences 0 0.25 0.5 1 --seeds 0 1 --trials 4 --workers 2 \
        --out organisms/zebrafish/figures/psychometric

Each (brain, coherence, seed) is one open-loop run of :func:`organisms.zebrafish.fictive.run_fictive`
(``--trials`` trials of 5 s rest / 10 s motion / 10 s rest); for the control brains the seed is
also the wiring seed (a fresh SBM draw / block shuffle per seed; connectome keeps its draw 0).
Writes ``<out>.json`` (all bouts and summaries), ``<out>.md`` (the table) and ``<out>.png``.
The dots are :class:`tasks.visual_stimuli.Dots`, the generator the optomotor task shows (static
rests, as in every fictive result so far).
"""

from __future__ import annotations

import argparse
import json
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import numpy as np

#: The comparison with real larvae is the closed-loop scorer's (``runners.scoring.omr_closed_loop``,
#: wild-type data of ``tasks/optomotor/random_dots_reference.py``); this open-loop tool of the first
#: version prints and plots the model only.


def _one(job):
    brain, coh, seed, trials, overrides, fitted = job
    from organisms.zebrafish.circuit import load_params, si
    from organisms.zebrafish.fictive import run_fictive
    from organisms.zebrafish.integrator_sbm import fitted_overrides, make_wiring
    from tasks.visual_stimuli import Dots

    wseed = 0 if brain == "connectome" else seed + (1 if brain == "sbm-redraw" else 0)
    fit_ov, fit_src = fitted_overrides(brain, wseed) if fitted else ({}, "off")
    p = load_params(overrides={**fit_ov, **(overrides or {})})
    ip = p["integrator"]
    w = make_wiring(brain, wseed, scale=si(ip["scale"]), completeness=si(ip["completeness"]), g_syn=si(ip["g_syn"]))
    t0 = time.time()
    r = run_fictive(w, Dots(coherence=coh), n_trials=trials, seed=seed, params=p)
    r.update(brain=brain, coherence=coh, seed=seed, wiring_seed=wseed, wall_s=time.time() - t0, integrator_fit=fit_src)
    return r


def main(argv=None) -> int:
    from organisms.zebrafish.fictive import summarise

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--brains", nargs="+", default=["connectome", "sbm-redraw", "block-shuffled", "no-integrator-edges"])
    ap.add_argument("--coherences", nargs="+", type=float, default=[0.0, 0.25, 0.5, 1.0])
    ap.add_argument("--seeds", nargs="+", type=int, default=[0, 1])
    ap.add_argument("--trials", type=int, default=4, help="trials per run (25 s each)")
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--unfitted", action="store_true", help="the model YAML's integrator values, not the per-brain fits")
    ap.add_argument("--override", action="append", default=[], metavar="SECTION.NAME=VALUE")
    ap.add_argument("--out", required=True, metavar="PREFIX",
                    help="write PREFIX.md, PREFIX.json, PREFIX.png (e.g. runs/psychometric)")
    ap.add_argument("--replot", action="store_true", help="only redraw <out>.png from <out>.json")
    ap.add_argument("--combine", nargs="+", metavar="JSON",
                    help="pool the runs of earlier outputs (e.g. other seeds) instead of running")
    a = ap.parse_args(argv)
    if a.replot:
        res = json.loads(Path(a.out).with_suffix(".json").read_text())
        _figure(res["summary"], res["brains"], res["coherences"], Path(a.out).with_suffix(".png"))
        return 0
    ov = {k: float(v) for k, v in (o.split("=", 1) for o in a.override)}
    t0 = time.time()
    if a.combine:
        parts = [json.loads(Path(f).read_text()) for f in a.combine]
        runs = [r for p in parts for r in p["runs"]]
        a.seeds = sorted({r["seed"] for r in runs})
        a.trials = parts[0]["trials"]
        if any(p["overrides"] != parts[0]["overrides"] for p in parts):
            raise SystemExit("--combine: the outputs were made with different --override values")
        ov = parts[0]["overrides"]
    else:
        jobs = [(b, c, s, a.trials, ov, not a.unfitted) for b in a.brains for c in a.coherences for s in a.seeds]
        if a.workers > 1:
            with ProcessPoolExecutor(a.workers) as ex:
                runs = list(ex.map(_one, jobs))
        else:
            runs = [_one(j) for j in jobs]
    table = {}
    for b in a.brains:
        for c in a.coherences:
            sel = [r for r in runs if r["brain"] == b and r["coherence"] == c]
            table[f"{b}|{c:g}"] = summarise(sel)
    out = Path(a.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    res = {"command": "python -m organisms.zebrafish.tools.psychometric " + " ".join(argv or __import__("sys").argv[1:]),
           "brains": a.brains, "coherences": a.coherences, "seeds": a.seeds, "trials": a.trials,
           "overrides": ov, "wall_s": time.time() - t0, "summary": table,
           "runs": [{k: v for k, v in r.items() if k != "trace"} for r in runs]}
    out.with_suffix(".json").write_text(json.dumps(res, indent=1))
    md = [f"Fictive random-dot protocol (open loop, brain side), {len(a.seeds)} run(s) x {a.trials} trials x "
          f"10 s motion per brain and coherence; 95 % CI: bootstrap over trials.", "",
          "| brain | coherence | P(turn with motion) [95 % CI] | bouts | bout rate motion / rest (Hz) | "
          "first-bout latency (s) | after-motion bias 0-2 / 2-5 / 5-10 s |", "|---|---|---|---|---|---|---|"]

    def f(x, nd=2):
        return "—" if x is None or not np.isfinite(x) else f"{x:.{nd}f}"
    for key, s in table.items():
        b, c = key.split("|")
        cc = s["correct"]
        md.append(f"| {b} | {float(c):.0%} | {f(cc['value'])} [{f(cc['ci'][0])}, {f(cc['ci'][1])}] | {cc['n_bouts']} | "
                  f"{f(s['bout_rate_motion_hz'])} / {f(s['bout_rate_rest_hz'])} | {f(s['latency_first_bout_s'], 1)} | "
                  + " / ".join(f(s[f'after_{lo}_{hi}s']['value']) for lo, hi in ((0, 2), (2, 5), (5, 10))) + " |")
    md += ["", "Real larvae: see the closed-loop scorer (runners.scoring.omr_closed_loop), which compares with "
           "wild-type data (tasks/optomotor/random_dots_reference.py)."]
    out.with_suffix(".md").write_text("\n".join(md) + "\n")
    print("\n".join(md))
    _figure(table, a.brains, a.coherences, out.with_suffix(".png"))
    return 0


def _figure(table, brains, cohs, path):
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(1, 3, figsize=(13, 3.8))
    x = np.array(cohs) * 100
    for b in brains:
        s = [table[f"{b}|{c:g}"] for c in cohs]
        v = np.array([q["correct"]["value"] for q in s])
        lo = np.array([q["correct"]["ci"][0] for q in s]); hi = np.array([q["correct"]["ci"][1] for q in s])
        ax[0].errorbar(x, v, yerr=[v - lo, hi - v], marker="o", capsize=3, label=b)
        rate = np.array([q["bout_rate_motion_hz"] for q in s])
        ax[1].plot(x, 1 / np.maximum(rate, 1e-9), marker="o", label=b)
        aft = [[q[f"after_{lo_}_{hi_}s"]["value"] for lo_, hi_ in ((0, 2), (2, 5), (5, 10))] for q in s]
        ax[2].plot([1, 3.5, 7.5], aft[-1], marker="o", label=f"{b} ({cohs[-1]:.0%})")
    ax[0].axhline(0.5, color="0.7", lw=0.8)
    ax[2].axhline(0.5, color="0.7", lw=0.8)
    ax[0].set(xlabel="coherence (%)", ylabel="P(bout toward motion)", title="psychometric", ylim=(0.3, 1.02))
    ax[1].set(xlabel="coherence (%)", ylabel="mean inter-bout interval in motion (s)", title="chronometric")
    ax[2].set(xlabel="time since motion stopped (s)", ylabel="P(bout toward previous motion)", title="after-motion bias", ylim=(-0.02, 1.02))
    ax[0].legend(fontsize=7); ax[1].legend(fontsize=7); ax[2].legend(fontsize=7)
    fig.tight_layout()
    fig.savefig(path, dpi=110)


if __name__ == "__main__":
    raise SystemExit(main())
