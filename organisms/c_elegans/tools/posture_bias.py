"""Do the model worms crawl straight? Heading drift, mean posture and the motor neurons behind them.

    python -m organisms.c_elegans.tools.posture_bias runs/eval16c/connectome runs/eval16c/shuffled-3 ...

A real worm on agar lies on its left or right side and, off a gradient, its path has no lasting
curvature in one direction. The model worm always lies on the same side (the body's ventral side is
its local -y, ``bodies/worm/body.py``), so a ventral bias of the crawl shows up as a clockwise drift
of the heading in every animal. Per run folder (one brain; every episode = one animal) this prints
the mean [95 % bootstrap CI over animals] of

* ``drift``: the body-axis heading change per second over the episode (deg/s; negative =
  clockwise = towards the ventral side), and per mm of path (deg/mm),
* ``animals ventral``: how many animals drift ventrally,
* ``mean curvature``: the time-averaged body curvature (1/mm, + = ventral) of the head (10-30 % of
  the body), the midbody (30-70 %) and the tail (70-90 %): a lasting ventral bend, not the wave,
* ``muscle V - D``: the time-averaged activation of the ventral minus the dorsal body-wall muscles
  (the body's input, from the episode's actions),
* ``VB - DB``: the time-averaged membrane potential of the VB class minus the DB class, each
  relative to its own resting potential in that brain (mV; the resting state is recomputed by
  building the brain from the run's recorded options), the same for SMDV - SMDD.

With ``--straight S`` it also builds each run's brain (its recorded options, noise off) and feeds it
S s of a straight, still body (zero curvature, no salt change): the same V - D and VB - DB numbers
without the closed loop.

With ``--nmj-shares`` it prints, for the first run's brain, each motor class's share of the
per-muscle normalised NMJ weight (``nervous_systems/bridge.py``: each muscle's weights divided by
its total excitatory weight) on the ventral and the dorsal body muscles (rows 7-24): how much of a
muscle's drive each class can give.

A diagnostic: it changes nothing and needs the episodes' ``.npz`` files (centreline, actions,
neural_v). Nothing here is fitted.
"""

from __future__ import annotations

import argparse
import json
import re
from pathlib import Path

import numpy as np

from bodies.worm import centerline
from tasks.statistics import bootstrap_ci

N_BOOT = 4000  # bootstrap resamples per CI
BANDS = {"head": (0.10, 0.30), "mid": (0.30, 0.70), "tail": (0.70, 0.90)}
PAIRS = (("VB", r"VB\d+", r"DB\d+"), ("SMD", r"SMDV[LR]", r"SMDD[LR]"))


def curvature_bands(cl: np.ndarray) -> dict[str, float]:
    """Time-averaged signed curvature (1/mm, + = ventral) per body band of a centreline (T, K, 2)."""
    kappa, frac = centerline.curvature(cl)
    return {k: float(np.mean(kappa[:, (frac >= a) & (frac <= b)])) for k, (a, b) in BANDS.items()}


def drift(t: np.ndarray, cl: np.ndarray) -> tuple[float, float]:
    """(deg/s, deg/mm): body-axis heading change over the episode per second and per mm of path."""
    th = centerline.axis_heading_deg(cl, unwrap=True)
    cen = cl.mean(axis=1)
    path = float(np.linalg.norm(np.diff(cen, axis=0), axis=1).sum())
    dth = float(th[-1] - th[0])
    return dth / float(t[-1] - t[0]), (dth / path if path > 0 else float("nan"))


def muscle_ventral_minus_dorsal(actions: np.ndarray, muscle_names) -> float:
    a = np.asarray(actions, float)
    ok = np.isfinite(a).all(axis=1)
    mean = a[ok].mean(axis=0)
    v = [i for i, n in enumerate(muscle_names) if n[1] == "V"]
    d = [i for i, n in enumerate(muscle_names) if n[1] == "D"]
    return float(mean[v].mean() - mean[d].mean())


def _brain_of(episode_json: Path, **extra):
    from nervous_systems.brain import make_brain

    cfg = json.loads(episode_json.read_text())["config"]
    if cfg.get("organism") != "celegans":
        raise SystemExit(f"{episode_json}: not a C. elegans episode")
    return make_brain(cfg["brain"], "celegans", None, None, control_dt=0.01,
                      **{**(cfg.get("brain_options") or {}), **extra})


def resting_potentials_mV(episode_json: Path) -> dict[str, float]:
    """Resting potential (mV) of every neuron of the brain an episode was run with."""
    brain = _brain_of(episode_json)
    try:
        return dict(zip(brain.network.connectome.names, brain.network.v_rest * 1e3))
    finally:
        brain.close()


def straight_body(episode_json: Path, seconds: float) -> dict[str, float]:
    """Muscle V - D and VB - DB / SMDV - SMDD (mV from rest) after ``seconds`` of a straight, still
    body, noise off, for the brain an episode was run with."""
    from bodies.worm.body import MUSCLE_NAMES

    cfg = json.loads(episode_json.read_text())["config"]
    overrides = {**((cfg.get("brain_options") or {}).get("model_overrides") or {}), "sigma_noise": 0.0}
    brain = _brain_of(episode_json, model_overrides=overrides)
    with np.load(episode_json.with_suffix(".npz"), allow_pickle=False) as z:
        n_joints = int(z["centerline"].shape[1]) - 2   # the episode's curvature observation size
    obs = {"concentration": np.zeros(1, np.float32), "dcdt": np.zeros(1, np.float32),
           "curvature": np.zeros(n_joints, np.float32), "touch": np.zeros(1, np.float32)}
    try:
        brain.reset(seed=0)
        for _ in range(max(1, round(seconds / 0.01))):
            act = brain.act(obs)
        names = list(brain.network.connectome.names)
        v = (brain.network.state()[0] - brain.network.v_rest) * 1e3
    finally:
        brain.close()
    out = {"muscle_VmD": muscle_ventral_minus_dorsal(np.asarray(act)[None], MUSCLE_NAMES)}
    for key, pv, pd in PAIRS:
        iv = [i for i, n in enumerate(names) if re.fullmatch(pv, n)]
        id_ = [i for i, n in enumerate(names) if re.fullmatch(pd, n)]
        out[key] = float(np.mean(v[iv]) - np.mean(v[id_]))
    return out


MOTOR_CLASSES = (r"VB\d+", r"DB\d+", r"VA\d+", r"DA\d+", r"AS\d+", r"VC\d+", r"VD\d+", r"DD\d+")


def nmj_shares(episode_json: Path, first_row: int = 7) -> dict[str, tuple[float, float]]:
    """Class pattern -> (mean share over ventral, over dorsal body muscles of rows >= first_row)."""
    from bodies.worm.body import MUSCLE_NAMES

    brain = _brain_of(episode_json)
    try:
        W, names = np.asarray(brain.bridge.W), list(brain.network.connectome.names)
    finally:
        brain.close()
    ventral = np.array([m[1] == "V" for m in MUSCLE_NAMES])
    body = np.array([int(m[-2:]) >= first_row for m in MUSCLE_NAMES])
    out = {}
    for pat in MOTOR_CLASSES:
        idx = [i for i, n in enumerate(names) if re.fullmatch(pat, n)]
        out[pat] = (float(W[ventral & body][:, idx].sum(axis=1).mean()),
                    float(W[~ventral & body][:, idx].sum(axis=1).mean()))
    return out


def run_rows(run: Path) -> tuple[str, list[dict]]:
    from bodies.worm.body import MUSCLE_NAMES

    eps = sorted((run / "episodes").glob("ep_*.npz"))
    if not eps:
        raise SystemExit(f"{run}: no episodes/ep_*.npz")
    rest = resting_potentials_mV(eps[0].with_suffix(".json"))
    label = json.loads(eps[0].with_suffix(".json").read_text())["config"]["brain"]
    rows = []
    for path in eps:
        z = np.load(path, allow_pickle=False)
        t, cl = np.asarray(z["t"], float), np.asarray(z["centerline"], float)
        names = [str(n) for n in z["neural_names"]]
        v = np.asarray(z["neural_v"], float).mean(axis=0)
        row = {"seed": path.stem}
        row["deg_s"], row["deg_mm"] = drift(t, cl)
        row.update(curvature_bands(cl))
        row["muscle_VmD"] = muscle_ventral_minus_dorsal(z["actions"], MUSCLE_NAMES)
        for key, pv, pd in PAIRS:
            iv = [i for i, n in enumerate(names) if re.fullmatch(pv, n)]
            id_ = [i for i, n in enumerate(names) if re.fullmatch(pd, n)]
            dv = np.mean([v[i] - rest[names[i]] for i in iv]) if iv else np.nan
            dd = np.mean([v[i] - rest[names[i]] for i in id_]) if id_ else np.nan
            row[key] = float(dv - dd)
        rows.append(row)
    return label, rows


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("runs", nargs="+", type=Path, help="run folders (each with episodes/ep_*.npz)")
    ap.add_argument("--straight", type=float, default=0.0, metavar="S",
                    help="also run each brain S s on a straight, still body (0 = no)")
    ap.add_argument("--nmj-shares", action="store_true",
                    help="also print each motor class's share of the ventral and dorsal muscles' drive")
    a = ap.parse_args(argv)
    rng = np.random.default_rng(0)
    print("mean [95 % CI over animals]; heading drift negative = ventral (clockwise); curvature + = ventral")
    print("| run | animals | drift deg/s | drift deg/mm | animals ventral | curvature head / mid / tail (1/mm) "
          "| muscle V − D | VB − DB (mV) | SMDV − SMDD (mV) |")
    print("|---|---|---|---|---|---|---|---|---|")
    for run in a.runs:
        label, rows = run_rows(run)
        col = {k: np.array([r[k] for r in rows], float) for k in rows[0] if k != "seed"}

        def f(k: str, nd: int = 2, col: dict = col) -> str:
            m, lo, hi = bootstrap_ci(col[k], n_boot=N_BOOT, rng=rng)
            return f"{m:+.{nd}f} [{lo:+.{nd}f}, {hi:+.{nd}f}]"

        curv = " / ".join(f"{np.mean(col[k]):+.2f}" for k in BANDS)
        print(f"| {run} ({label}) | {len(rows)} | {f('deg_s')} | {f('deg_mm', 1)} | "
              f"{int((col['deg_s'] < 0).sum())}/{len(rows)} | {curv} | {f('muscle_VmD', 3)} | {f('VB', 1)} | "
              f"{f('SMD', 1)} |", flush=True)
    if a.straight > 0:
        print(f"\nstraight, still body, {a.straight:g} s, noise off (no closed loop):")
        print("| run | muscle V − D | VB − DB (mV) | SMDV − SMDD (mV) |")
        print("|---|---|---|---|")
        for run in a.runs:
            ep = sorted((run / "episodes").glob("ep_*.json"))[0]
            r = straight_body(ep, a.straight)
            print(f"| {run} | {r['muscle_VmD']:+.3f} | {r['VB']:+.1f} | {r['SMD']:+.1f} |", flush=True)
    if a.nmj_shares:
        ep = sorted((a.runs[0] / "episodes").glob("ep_*.json"))[0]
        print(f"\nshare of the per-muscle normalised NMJ weight, body muscles rows 7-24 ({a.runs[0]}'s brain):")
        print("| class | ventral muscles | dorsal muscles |")
        print("|---|---|---|")
        for pat, (v, d) in nmj_shares(ep).items():
            print(f"| {pat.replace(chr(92) + 'd+', '')} | {v:+.2f} | {d:+.2f} |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
