"""Turns after an evoked reversal: does the network make the ventral turn of the RIV/SMD motif?

    python -m organisms.c_elegans.tools.evoked_turn --out runs/evoked_turn
    python -m organisms.c_elegans.tools.evoked_turn --seeds 1000-1015 --pulse 8 11 --after 4 --out DIR

Real worms end most reversals with a turn, and the turn is ventral: Gray et al. 2005 (PNAS 102:3184,
doi:10.1073/pnas.0409009101) found that "SMD motor neurons help encode the steep amplitude of omega
turns, RIV motor neurons specify the ventral bias of turns that follow a reversal". This tool asks
whether the model does the same when a reversal is evoked, with no rule added: AVA is held
``--ava-mV`` above rest (an optogenetic pulse, brain option ``activate_window_s``) from t_on to
t_off, then released, and the body is followed for ``--after`` s. Every condition runs the same
seeds through the ordinary CLI (``python -m runners run celegans/chemotaxis``; one seed = one
animal; the salt gradient is the task's, so the turn can also carry a salt response).

Per animal, from the episode's centreline (nose first; body axis = head third minus tail third):

* ``v_pulse``: mean axial velocity during the pulse (mm/s; negative = backward: the reversal),
* ``dtheta``: the signed change of the body-axis heading from t_off to t_off + after (deg;
  **negative = ventral**: the ventral side is the body's local -y side, so a ventral head bend
  turns the heading clockwise; checked on the body, see README section 5.2),
* ``ventral``: dtheta < 0,
* ``head_bend``: the signed peak of the head's mean curvature (10-30 % of the body, 1/mm,
  + = ventral) over the same window, the depth of the first bend after the reversal,
* ``dV_RIV``, ``dV_SMDV``, ``dV_SMDD``: the mean membrane potential (L/R mean) in the 2 s after
  t_off minus that in the 3 s before t_on (mV): do the turn motif's motor neurons respond?

The same windows of the not-pulsed episodes give the turning of ordinary crawling on the same
seeds and lesions (the reference each pulsed condition is compared with: the model crawls with a
steady ventral drift, README section 5.3). Conditions:

==================================  ====================================================
``connectome, pulse``               the registered brain, AVA pulse
``connectome, no pulse``            same seeds, no drive (reference)
``connectome, RIV lesioned``        ``--lesion RIV`` (Gray 2005: loses the ventral bias)
``connectome, SMD lesioned``        ``--lesion SMD`` (Gray 2005: shallower turns)
``connectome, RIV + SMD lesioned``  both
``..., no pulse``                   each lesion again without the pulse (its own reference)
``shuffled S, pulse``               degree-preserving shuffle S with its own fitted file
==================================  ====================================================

Reported per condition: mean [95 % bootstrap CI over animals] of v_pulse, |dtheta|, dtheta and
head_bend, and the ventral fraction with a Wilson 95 % interval. A diagnostic, not a fit: it
changes no default.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import numpy as np

from bodies.worm import centerline
from tasks.statistics import bootstrap_ci, wilson_interval

from .evoked_backward import parse_seeds, run_episodes, shuffled_args

N_BOOT = 4000  # bootstrap resamples per CI
HEAD = (0.10, 0.30)  # fraction of body length: the head segment whose bend is reported
# head motor neurons of the turn motif (Gray 2005): potential change after the pulse, mean of L/R
MOTIF = {"RIV": ("RIVL", "RIVR"), "SMDV": ("SMDVL", "SMDVR"), "SMDD": ("SMDDL", "SMDDR")}


def conditions(shuffle_seeds: list[int]) -> list[tuple[str, list[str], bool]]:
    """(label, extra CLI arguments, pulsed?) for every condition."""
    out = [("connectome, pulse", ["--brain", "connectome"], True),
           ("connectome, no pulse", ["--brain", "connectome"], False),
           ("connectome, RIV lesioned", ["--brain", "connectome", "--lesion", "RIV"], True),
           ("connectome, RIV lesioned, no pulse", ["--brain", "connectome", "--lesion", "RIV"], False),
           ("connectome, SMD lesioned", ["--brain", "connectome", "--lesion", "SMD"], True),
           ("connectome, SMD lesioned, no pulse", ["--brain", "connectome", "--lesion", "SMD"], False),
           ("connectome, RIV + SMD lesioned", ["--brain", "connectome", "--lesion", "RIV", "SMD"], True),
           ("connectome, RIV + SMD lesioned, no pulse", ["--brain", "connectome", "--lesion", "RIV", "SMD"],
            False)]
    for s in shuffle_seeds:
        out.append((f"shuffled {s}, pulse", shuffled_args(s), True))
    return out


def head_curvature(cl: np.ndarray, head: tuple[float, float] = HEAD) -> np.ndarray:
    """(T,) mean signed curvature (1/mm, + = ventral) of the head segment ``head`` (fractions of
    the body from the nose; ``bodies.worm.centerline`` conventions)."""
    kappa, frac = centerline.curvature(cl)
    return kappa[:, (frac >= head[0]) & (frac <= head[1])].mean(axis=1)


def motif_response(neural_t: np.ndarray, neural_v: np.ndarray, names, t_on: float, t_off: float) -> dict:
    """Potential change (mV) of the MOTIF neurons: mean over [t_off, t_off + 2 s) minus [t_on - 3 s, t_on)."""
    t, v = np.asarray(neural_t, float), np.asarray(neural_v, float)
    names = [str(n) for n in names]
    pre, post = (t >= t_on - 3.0) & (t < t_on), (t >= t_off) & (t < t_off + 2.0)
    out = {}
    for key, pair in MOTIF.items():
        idx = [names.index(n) for n in pair if n in names]
        out[f"dV_{key}"] = (float(v[post][:, idx].mean() - v[pre][:, idx].mean())
                            if idx and pre.any() and post.any() else float("nan"))
    return out


def episode_metrics(t: np.ndarray, cl: np.ndarray, t_on: float, t_off: float, after: float) -> dict:
    """The per-animal numbers of the module docstring from one episode (t in s, cl (T, K, 2) mm)."""
    t, cl = np.asarray(t, float), np.asarray(cl, float)
    if cl.ndim != 3 or cl.shape[0] != t.shape[0] or cl.shape[2] != 2:
        raise ValueError(f"centreline of shape {cl.shape} does not match {t.shape[0]} time points")
    if not t[0] <= t_on < t_off < t_off + after <= t[-1] + 1e-9:
        raise ValueError(f"windows {t_on}-{t_off}-{t_off + after} s fall outside the episode ({t[0]}-{t[-1]} s)")
    th = centerline.axis_heading_deg(cl, unwrap=True)
    v_ax = centerline.axial_velocity(t, cl)
    pulse = (t >= t_on) & (t < t_off)
    i0, i1 = int(np.searchsorted(t, t_off)), int(np.searchsorted(t, t_off + after))
    i1 = min(i1, len(t) - 1)
    dtheta = float(th[i1] - th[i0])
    kh = head_curvature(cl)[i0:i1 + 1]
    j = int(np.nanargmax(np.abs(kh)))
    return {"v_pulse": float(np.mean(v_ax[pulse])), "dtheta": dtheta, "abs_dtheta": abs(dtheta),
            "ventral": float(dtheta < 0), "head_bend": float(kh[j])}


def pulse_args(neurons: list[str], mV: float, t_on: float, t_off: float) -> list[str]:
    """CLI arguments of the pulse: ``neurons`` held ``mV`` above rest from t_on to t_off (s)."""
    return ["--activate", *neurons, "--brain-option", f"activate_mV={mV}",
            "--brain-option", f"activate_window_s=[{t_on},{t_off}]"]


def condition_rows(out: Path, seed0: int, n: int, t_on: float, t_off: float, after: float) -> list[dict]:
    rows = []
    for s in range(seed0, seed0 + n):
        path = out / "episodes" / f"ep_{s:04d}.npz"
        try:
            z = np.load(path)
            rows.append({"seed": s, **episode_metrics(z["t"], z["centerline"], t_on, t_off, after),
                         **motif_response(z["neural_t"], z["neural_v"], z["neural_names"], t_on, t_off)})
        except (OSError, KeyError, ValueError) as e:
            raise SystemExit(f"{path}: {e}") from None
    return rows


def fmt(m: tuple[float, float, float], nd: int = 2) -> str:
    return f"{m[0]:+.{nd}f} [{m[1]:+.{nd}f}, {m[2]:+.{nd}f}]"


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seeds", default="1000-1015", help="episode seeds FIRST-LAST (one animal each)")
    ap.add_argument("--pulse", type=float, nargs=2, default=[8.0, 11.0], metavar=("T_ON", "T_OFF"),
                    help="AVA pulse window (s)")
    ap.add_argument("--after", type=float, default=4.0, help="seconds followed after the pulse")
    ap.add_argument("--ava-mV", type=float, default=20.0, help="pulse amplitude (mV above rest)")
    ap.add_argument("--pulse-neurons", nargs="+", default=["AVAL", "AVAR"],
                    help="neurons or classes pulsed (default the backward command AVA)")
    ap.add_argument("--shuffle-seeds", type=int, nargs="*", default=[1, 2, 3])
    ap.add_argument("--out", required=True, type=Path)
    a = ap.parse_args(argv)
    seed0, n = parse_seeds(a.seeds)
    t_on, t_off = a.pulse
    if not 0 <= t_on < t_off or a.after <= 0:
        raise SystemExit(f"--pulse {t_on} {t_off} --after {a.after}: need 0 <= T_ON < T_OFF and AFTER > 0")
    duration = t_off + a.after + 0.5
    a.out.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(0)
    print(f"{' '.join(a.pulse_neurons)} +{a.ava_mV:g} mV from {t_on:g} to {t_off:g} s, then {a.after:g} s followed; {n} animals "
          f"(seeds {a.seeds}); mean [95 % CI over animals]; heading change negative = ventral")
    print("| condition | v during pulse (mm/s) | \\|Δheading\\| (deg) | Δheading (deg) | ventral fraction "
          "[Wilson 95 %] | head bend peak (1/mm, + ventral) | ΔV RIV / SMDV / SMDD (mV) |")
    print("|---|---|---|---|---|---|---|")
    table = []
    for i, (label, args, pulsed) in enumerate(conditions(a.shuffle_seeds)):
        out = a.out / f"c{i}"
        pulse = pulse_args(a.pulse_neurons, a.ava_mV, t_on, t_off) if pulsed else []
        run_episodes(label, [*args, *pulse], out, seed0, n, duration)
        rows = condition_rows(out, seed0, n, t_on, t_off, a.after)
        col = {k: np.array([r[k] for r in rows], float) for k in rows[0] if k != "seed"}
        vp, ad, d, hb = (bootstrap_ci(col[k], n_boot=N_BOOT, rng=rng)
                         for k in ("v_pulse", "abs_dtheta", "dtheta", "head_bend"))
        k = int(col["ventral"].sum())
        w = wilson_interval(k, n)
        print(f"| {label} | {fmt(vp, 3)} | {fmt(ad, 0)} | {fmt(d, 0)} | {k}/{n} = {w[0]:.2f} "
              f"[{w[1]:.2f}, {w[2]:.2f}] | {fmt(hb, 2)} | "
              + " / ".join(f"{np.nanmean(col['dV_' + m]):+.1f}" for m in MOTIF) + " |", flush=True)
        table.append({"condition": label, "args": args, "pulsed": pulsed, "rows": rows})
    (a.out / "evoked_turn.json").write_text(json.dumps(
        {"seeds": a.seeds, "pulse_s": [t_on, t_off], "after_s": a.after, "pulse_mV": a.ava_mV,
         "pulse_neurons": a.pulse_neurons,
         "conditions": table}, indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
