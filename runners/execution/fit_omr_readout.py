"""Fit the zebrafish motor-command readout of one brain to wild-type larvae in the random-dot paradigm.

    python -m runners.execution.fit_omr_readout --brain connectome --seed 0 --out runs/readout_fit/connectome_0
    python -m runners.execution.fit_omr_readout --collect runs/readout_fit/* --write

What is fitted: the five values of the motor-command stage (``organisms.zebrafish.motor_command``:
threshold ``mc_bias``, dynamic-threshold adaptation ``mc_g_a`` and ``mc_tau_a``, turn weight
``mc_turn``, bout-drive weight ``mc_bout``) — one set per brain and draw, never per edge; the
integrator keeps its own fit (``models/integrator_fits.yaml``). The same budget for every brain:
CMA-ES (``cma``), popsize 10, sigma0 0.25 of the unit box, seed 1, :data:`GENERATIONS` generations.

Against what: the wild-type larvae of ``tasks/optomotor/random_dots_reference.py`` (Bahl lab data;
seven experiments), at 25, 50 and 100 % coherence: P(bout toward the motion) in the five 2 s bins
of the motion and the two 2 s bins after it (every bout, no turn threshold), and the bout rate in
motion over the rate at 0 % (the chronometric). Loss: the mean over these 24 numbers of
((model - mean of the experiments) / s.d. between experiments)^2, the s.d. floored at
:data:`SD_FLOOR`.

On what: fictive random-dot trials of the brain (``organisms.zebrafish.fictive``; open loop,
paralysed-fish read-out of each bout's side), on the real paradigm's timing (10 s rest, 10 s
motion, 10 s rest; the model's rests are static dots, the task's too), :data:`RUNS` runs of
:data:`TRIALS` trials per coherence on training seeds 0.. (the closed-loop evaluation uses the
task's held-out seeds). The Brian2 runs are made once (``drive.npz``); each evaluation replays
the readout on them (``motor_command.replay``, common random numbers within a generation,
:data:`REPS` repetitions of each run).
"""

from __future__ import annotations

import argparse
import json
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import numpy as np

GENERATIONS = 40
CMA = {"popsize": 10, "sigma0": 0.25, "seed": 1}
COHERENCES = (0.0, 0.25, 0.5, 1.0)
RUNS, TRIALS, REPS = 6, 4, 2
TIMING = {"rest_pre": 10.0, "motion": 10.0, "rest_post": 10.0}
SD_FLOOR = {"p": 0.02, "ratio": 0.03}
#: (name, low, high, scale) of each fitted value; "log" = uniform in log between the bounds
PARAMS = (("mc_bias", -0.3, 0.1, "lin"), ("mc_g_a", 0.0, 4.0, "lin"), ("mc_tau_a", 0.3, 10.0, "log"),
          ("mc_turn", 0.25, 4.0, "log"), ("mc_bout", 0.0, 1.0, "lin"))
from organisms.zebrafish.fictive import DRIVE_INPUTS  # noqa: E402
from organisms.zebrafish.motor_command import READOUT_FITS as FITS  # noqa: E402  (one place for the path)
from runners.io.recording import git_commit  # noqa: E402
EDGES = (-2.0, 0.0, 2.0, 4.0, 6.0, 8.0, 10.0, 12.0, 14.0)   # s since the motion onset


def from_unit(x) -> dict:
    out = {}
    for xi, (name, lo, hi, scale) in zip(np.clip(np.asarray(x, float), 0, 1), PARAMS):
        out[name] = float(np.exp(np.log(lo) + xi * (np.log(hi) - np.log(lo)))) if scale == "log" else float(lo + xi * (hi - lo))
    return out


def targets() -> list[dict]:
    """The 24 numbers of the loss: mean and s.d. over the wild-type experiments."""
    from tasks.optomotor.random_dots_reference import MOTION_OFF_S, MOTION_ON_S, load

    rows = load()
    out = []
    for c in (0.25, 0.5, 1.0):
        for lo in range(10, 24, 2):
            v = [r["mean"] * 0.01 for r in rows if r["quantity"] == "p_correct_pct_binned" and r["coherence"] == c
                 and r["t_lo_s"] == lo]
            out.append({"kind": "p", "coherence": c, "since_lo_s": lo - MOTION_ON_S,
                        "label": f"P {c:.0%} {'motion' if lo < MOTION_OFF_S else 'after'} "
                                 f"{(lo - MOTION_ON_S) if lo < MOTION_OFF_S else lo - MOTION_OFF_S:.0f}-"
                                 f"{(lo - MOTION_ON_S + 2) if lo < MOTION_OFF_S else lo - MOTION_OFF_S + 2:.0f} s",
                        "values": v})
        rate = {}
        for r in rows:
            if r["quantity"] == "bout_rate_hz":
                rate.setdefault(r["experiment"], {})[r["coherence"]] = r["mean"]
        out.append({"kind": "ratio", "coherence": c, "label": f"bout rate {c:.0%} / 0 %",
                    "values": [e[c] / e[0.0] for e in rate.values()]})
    for t in out:
        v = np.asarray(t.pop("values"), float)
        t.update(mean=float(v.mean()), sd=float(max(v.std(ddof=1), SD_FLOOR[t["kind"]])), n=int(v.size))
    return out


def model_values(table: dict, tg: list[dict]) -> np.ndarray:
    """(n_cand, n_targets) model values of a ``motor_command.bout_table``."""
    cohs = list(table["coherences"])
    edges = list(table["edges"])
    rate = table["n_motion"] / table["motion_s"][None, :]
    cols = []
    for t in tg:
        ci = cohs.index(t["coherence"])
        if t["kind"] == "p":
            b = edges.index(t["since_lo_s"])
            n, w = table["n"][:, ci, b], table["n_with"][:, ci, b]
            cols.append(np.where(n > 0, w / np.maximum(n, 1), 0.5))
        else:
            cols.append(rate[:, ci] / np.maximum(rate[:, cohs.index(0.0)], 1e-9))
    return np.stack(cols, axis=1)


def loss_of(values: np.ndarray, tg: list[dict]) -> np.ndarray:
    mean = np.array([t["mean"] for t in tg]); sd = np.array([t["sd"] for t in tg])
    return np.mean(((values - mean) / sd) ** 2, axis=1)


# ------------------------------------------------------------------ recording (Brian2, once)
def _record_one(job):
    brain, seed, coh, run, trials = job
    from organisms.zebrafish.circuit import load_params, si
    from organisms.zebrafish.fictive import run_fictive
    from organisms.zebrafish.integrator_sbm import fitted_overrides, make_wiring
    from organisms.zebrafish.motor_command import motor_command_overrides
    from tasks.visual_stimuli import Dots

    fit_ov, fit_src = fitted_overrides(brain, seed, fit="own")
    p = load_params(overrides={**fit_ov, **motor_command_overrides({})})
    ip = p["integrator"]
    w = make_wiring(brain, seed, scale=si(ip["scale"]), completeness=si(ip["completeness"]), g_syn=si(ip["g_syn"]))
    r = run_fictive(w, Dots(coherence=coh), n_trials=trials, seed=run, params=p, record_drive=True, **TIMING)
    return {"coherence": coh, "run": run, "directions": r["directions"], "trial_s": r["trial_s"],
            "integrator_fit": fit_src, "drive": {k: r["drive"][k] for k in DRIVE_INPUTS}}


def record(brain: str, seed: int, out: Path, workers: int = 2) -> dict:
    """The Brian2 fictive runs of one brain (cached per run under ``out/runs/``)."""
    part = out / "runs"
    part.mkdir(parents=True, exist_ok=True)
    jobs = [(brain, seed, c, r, TRIALS) for c in COHERENCES for r in range(RUNS)]
    todo = [j for j in jobs if not (part / f"c{j[2]}_r{j[3]}.npz").exists()]
    with ProcessPoolExecutor(max_workers=max(1, workers)) as ex:
        for res in ex.map(_record_one, todo):
            np.savez_compressed(part / f"c{res['coherence']}_r{res['run']}.npz", **res["drive"],
                                meta=json.dumps({k: res[k] for k in ("coherence", "run", "directions", "trial_s", "integrator_fit")}))
            print(f"{brain}/{seed}: recorded coherence {res['coherence']} run {res['run']}", flush=True)
    drive, meta = {}, []
    for j in jobs:
        z = np.load(part / f"c{j[2]}_r{j[3]}.npz")
        meta.append(json.loads(str(z["meta"])))
        for k in DRIVE_INPUTS:
            drive.setdefault(k, []).append(z[k])
    return {"drive": {k: np.stack(v) for k, v in drive.items()}, "meta": meta}


def evaluate(rec: dict, params: dict, cands: list[dict], tg: list[dict], seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    from organisms.zebrafish.motor_command import READOUT_KEYS, bout_table, replay

    vals = {k: np.array([c[k] for c in cands]) for k in READOUT_KEYS}
    rep = replay(rec["drive"], params, vals, rng=seed, n_reps=REPS, common_noise=True)
    tab = bout_table(rep, [m["coherence"] for m in rec["meta"]], [m["directions"] for m in rec["meta"]],
                     rec["meta"][0]["trial_s"], TIMING["rest_pre"], TIMING["motion"], EDGES)
    mv = model_values(tab, tg)
    return loss_of(mv, tg), mv


def fit(brain: str, seed: int, out: Path, generations: int = GENERATIONS, workers: int = 2) -> dict:
    import cma

    from organisms.zebrafish.circuit import load_params
    from organisms.zebrafish.integrator_sbm import fitted_overrides
    from organisms.zebrafish.motor_command import motor_command_overrides

    out.mkdir(parents=True, exist_ok=True)
    rec = record(brain, seed, out, workers)
    fit_ov, fit_src = fitted_overrides(brain, seed, fit="own")
    params = load_params(overrides={**fit_ov, **motor_command_overrides({})})
    tg = targets()
    x0 = [0.5] * len(PARAMS)
    es = cma.CMAEvolutionStrategy(x0, CMA["sigma0"], {"popsize": CMA["popsize"], "seed": CMA["seed"],
                                                      "bounds": [0, 1], "verbose": -9})
    best = (np.inf, None)
    for g in range(generations):
        t0 = time.time()
        xs = es.ask()
        lo, _ = evaluate(rec, params, [from_unit(x) for x in xs], tg)
        lo = [float(v) if np.isfinite(v) else 1e3 for v in lo]
        es.tell(xs, lo)
        i = int(np.argmin(lo))
        if lo[i] < best[0]:
            best = (lo[i], list(map(float, xs[i])))
        print(f"{brain}/{seed} gen {g + 1}/{generations}: best {best[0]:.3f} this {lo[i]:.3f} ({time.time() - t0:.1f} s)", flush=True)
    values = from_unit(best[1])
    init = from_unit(x0)
    (bl, il), (bm, im) = evaluate(rec, params, [values, init], tg)  # the same noise for both
    res = {"brain": brain, "wiring_seed": seed, "integrator_fit": fit_src, "values": values,
           "loss": float(bl), "initial_values": init, "initial_loss": float(il),
           "per_target": [{**t, "model": float(m), "model_initial": float(m0)} for t, m, m0 in zip(tg, bm, im)],
           "optimiser": {**CMA, "generations": generations, "evaluations": generations * CMA["popsize"],
                         "parameters": [list(p) for p in PARAMS], "runs": RUNS, "trials": TRIALS, "reps": REPS,
                         "coherences": list(COHERENCES), "timing_s": TIMING, "training_seeds": list(range(RUNS)),
                         "sd_floor": SD_FLOOR},
           "git_commit": git_commit() or "unknown",
           "command": f"python -m runners.execution.fit_omr_readout --brain {brain} --seed {seed} --out {out}"}
    (out / "fit_result.json").write_text(json.dumps(res, indent=1))
    return res


def markdown(res: dict) -> str:
    lines = [f"{res['brain']}/{res['wiring_seed']}: loss {res['initial_loss']:.2f} (start) -> {res['loss']:.2f}; "
             + ", ".join(f"{k} {v:.3g}" for k, v in res["values"].items()),
             "", "| target | wild type (mean ± s.d. of 7) | model fitted | model at start |", "|---|---|---|---|"]
    for t in res["per_target"]:
        lines.append(f"| {t['label']} | {t['mean']:.2f} ± {t['sd']:.2f} | {t['model']:.2f} | {t['model_initial']:.2f} |")
    return "\n".join(lines)


def write_fits(results: list[dict], path: Path = FITS) -> None:
    """models/readout_fits.yaml: one entry per (brain, draw), plain numbers; entries of the file that
    ``results`` does not re-make are kept."""
    import yaml

    from nervous_systems.yaml_file import load_yaml

    fits = dict(((load_yaml(path) or {}).get("fits") or {}) if path.exists() else {})
    for r in results:
        fits[f"{r['brain']}/{r['wiring_seed']}"] = {
            "values": {k: round(float(v), 5) for k, v in r["values"].items()},
            "loss": round(r["loss"], 4), "initial_loss": round(r["initial_loss"], 4),
            "integrator_fit": r["integrator_fit"], "evaluations": r["optimiser"]["evaluations"],
            "git_commit": r["git_commit"], "command": r["command"]}
    doc = {"about": "Per-brain fitted motor-command readout (runners/execution/fit_omr_readout.py): CMA-ES, the "
                    "same settings and budget for every brain, fitted on fictive random-dot trials (training seeds) "
                    "to wild-type larvae (tasks/optomotor/random_dots_reference.py). Used by brain option "
                    "readout=motor_command. Key: '<brain>/<draw>'.",
           "fits": dict(sorted(fits.items()))}
    path.write_text(yaml.safe_dump(doc, sort_keys=False, width=120))


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(prog="python -m runners.execution.fit_omr_readout", description=__doc__.splitlines()[0])
    ap.add_argument("--brain", default="connectome")
    ap.add_argument("--seed", type=int, default=0, help="the draw (wiring seed)")
    ap.add_argument("--out", type=Path)
    ap.add_argument("--generations", type=int, default=GENERATIONS, help=f"default {GENERATIONS} (the budget)")
    ap.add_argument("--workers", type=int, default=2, help="processes for the Brian2 recording")
    ap.add_argument("--collect", nargs="+", type=Path, help="fit folders to print (and with --write, install)")
    ap.add_argument("--write", action="store_true", help="with --collect: write the fits file")
    ap.add_argument("--fits", type=Path, default=FITS, help="with --collect --write (default models/readout_fits.yaml)")
    a = ap.parse_args(argv)
    if a.collect:
        res = []
        for d in a.collect:
            f = d / "fit_result.json"
            if not f.exists():
                print(f"{d}: no fit_result.json (not finished); left out")
                continue
            res.append(json.loads(f.read_text()))
            print(markdown(res[-1]) + "\n")
        if a.write:
            write_fits(res, a.fits)
        return 0
    if a.out is None:
        ap.error("--out is required (or --collect)")
    print(markdown(fit(a.brain, a.seed, a.out, a.generations, a.workers)))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
