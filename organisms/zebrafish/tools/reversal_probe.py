"""Open-loop reversal probe: does a fitted integrator follow the motion one way, then the other?

    python -m organisms.zebrafish.tools.reversal_probe --fits organisms/zebrafish/models/integrator_fits.yaml
    python -m organisms.zebrafish.tools.reversal_probe --fits organisms/zebrafish/models/integrator_fits.yaml \\
        --scorecard organisms/zebrafish/figures/omr60_incoherent.json organisms/zebrafish/figures/omr60_more_incoherent.json ...
    python -m organisms.zebrafish.tools.reversal_probe --fits ... --draws connectome/0 sbm-redraw/16

The integrator fits (``fit_integrator``) see the recordings' protocol only: one motion epoch from
rest, at full contrast. The closed-loop task alternates the direction of the motion and shows it
at partial coherence. This probe runs each fitted draw's brain (``FastBrain``: the brain group of
the circuit in numpy, no bout gate, noise seed 0) through the timing of the ``random_dots_60``
schedule with a sine grating at ``--contrast`` (default 1 and 0.5): 6 s still, 15 s moving
leftward, 12 s still, 15 s rightward, 12 s still. From the iMI+ left-minus-right rate it reports

* ``left``: mean of L - R over the last 5 s of the leftward epoch (> 0: the integrator follows);
* ``right``: mean of R - L over the last 5 s of the rightward epoch (> 0: it follows the reversal);
* ``after``: mean of R - L over the last 5 s of the final rest (> 0: it still holds the reversal);
* ``score`` = min(left, right): positive only when the draw follows both directions;
* ``class``: follows (both > ``THRESHOLD``), inverted (both < -``THRESHOLD``), latched (one side
  above and the other below: the state stays on one side), weak (otherwise: little or no response).

With ``--scorecard`` (``omr_closed_loop`` JSONs) each draw's score is joined with its closed-loop
P(turn with the motion) at each coherence, and Spearman's rho over draws is given per group and
pooled, with permutation p values (``draw_level.spearman_permutation``; one-sided: rho > 0).
Nothing here is fitted; it reads the fits and simulates.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

from .draw_level import GROUPS, draw_level, paired_by_group, read_per_draw, spearman_permutation
from .draw_level import fit_entries as draw_level_fit_entries

#: the random_dots_60 timing: (start s, end s, direction: +1 leftward, -1 rightward, 0 still)
SCHEDULE = ((0.0, 6.0, 0), (6.0, 21.0, 1), (21.0, 33.0, 0), (33.0, 48.0, -1), (48.0, 60.0, 0))
#: the seconds at the end of an epoch that are averaged
WINDOW_S = 5.0
#: iMI+ L - R (rate units) above which a draw counts as following a direction
THRESHOLD = 0.05
CONTRASTS = (1.0, 0.5)


def fit_entries(path, loss_version: str = "rest") -> dict[str, dict]:
    """:func:`draw_level.fit_entries`, each entry also with its fitted ``overrides``; a file
    without them is a one-line ValueError naming it."""
    out = draw_level_fit_entries(path, loss_version)
    for k, e in out.items():
        if not isinstance(e.get("overrides"), dict):
            raise ValueError(f"{path}: fit entry {k} has no 'overrides' mapping")
    return out


def reversal_drive(fb, contrast: float, schedule=SCHEDULE, n_eye: int = 16, speed: float = 10.0,
                   period: float = 10.0) -> np.ndarray:
    """(T, 8) direction-selective drive of ``fb`` (a ``FastBrain``) for a sine grating that is
    still, moves leftward or rightward as ``schedule`` says, continuous in phase across epochs."""
    from ..retina import grating_samples
    from .fit_integrator import DT

    pts, ret = fb.eye(n_eye)
    t_end = schedule[-1][1]
    out, pos = [], 0.0
    for k in range(int(round(t_end / DT))):
        tt = k * DT
        direction = next((d for a, b, d in schedule if a <= tt < b), 0)
        pos += direction * DT  # grating "time": forward = leftward (direction +pi/2), back = rightward
        lum = grating_samples(pts, pos, np.pi / 2, speed, period, contrast)
        out.append(ret.step(lum[0], lum[1]).ravel())
    return np.asarray(out)


def classify(left: float, right: float, threshold: float = THRESHOLD) -> str:
    if left > threshold and right > threshold:
        return "follows"
    if left < -threshold and right < -threshold:
        return "inverted"
    if (left > threshold and right < -threshold) or (left < -threshold and right > threshold):
        return "latched"
    return "weak"


def probe(fb, overrides: dict, contrast: float, schedule=SCHEDULE) -> dict:
    """The probe's numbers for one brain with one set of fitted overrides (the readout gain, which
    acts after the integrator, is not used)."""
    values = {k: v for k, v in overrides.items() if k != "integrator.readout_gain"}
    sim = fb.simulate([values], [reversal_drive(fb, contrast, schedule)], [0])
    t, d = sim["t"], sim["iMI+_L"][:, 0] - sim["iMI+_R"][:, 0]
    motion = [(a, b, s) for a, b, s in schedule if s != 0]
    (_, l_end, _), (_, r_end, _) = motion[0], motion[1]
    end = schedule[-1][1]

    def tail(t1):
        sel = (t >= t1 - WINDOW_S) & (t < t1)
        return float(d[sel].mean())

    left, right, after = tail(l_end), -tail(r_end), -tail(end)
    return {"left": left, "right": right, "after": after, "score": min(left, right),
            "class": classify(left, right)}


def run(entries: dict[str, dict], contrasts=CONTRASTS, schedule=SCHEDULE, progress=None) -> dict[str, dict]:
    """``{"brain/draw": {"loss": ..., contrast: probe(...)}}`` for every entry."""
    from .fit_integrator import FastBrain

    out = {}
    for key, e in entries.items():
        brain, _, draw = key.partition("/")
        fb = FastBrain(brain, None if brain == "connectome" else int(draw))
        out[key] = {"loss": float(e["loss"]), **{c: probe(fb, e["overrides"], c, schedule) for c in contrasts}}
        if progress:
            progress(key)
    return out


def draw_sort_key(key: str):
    brain, _, draw = key.partition("/")
    return (GROUPS[brain], brain != "connectome", int(draw))


def markdown(results: dict[str, dict], contrasts=CONTRASTS) -> str:
    head = "| draw | fit loss | " + " | ".join(
        f"contrast {c:g}: left / right / after | score | class" for c in contrasts) + " |"
    lines = [head, "|" + "---|" * (2 + 3 * len(contrasts))]
    for key in sorted(results, key=draw_sort_key):
        r = results[key]
        cells = [f"{r[c]['left']:+.3f} / {r[c]['right']:+.3f} / {r[c]['after']:+.3f} | {r[c]['score']:+.3f} "
                 f"| {r[c]['class']}" for c in contrasts]
        lines.append(f"| {key} | {r['loss']:.2f} | " + " | ".join(cells) + " |")
    counts = []
    for group in ("CLEM block model", "block-shuffled"):
        keys = [k for k in results if GROUPS[k.partition("/")[0]] == group]
        if keys:
            cls = [results[k][contrasts[-1]]["class"] for k in keys]
            counts.append(f"{group}: {len(keys)} draws, at contrast {contrasts[-1]:g} "
                          + ", ".join(f"{c} {cls.count(c)}" for c in ("follows", "latched", "weak", "inverted")))
    return "\n".join(lines + [""] + [f"- {c}" for c in counts])


def association(results: dict[str, dict], per_draw_rows: list[dict], contrast: float, seed: int = 0) -> list[dict]:
    """Per coherence and set of draws (pooled, then each group): Spearman's rho between the probe
    score at ``contrast`` and P(with), with permutation p values; sets of at least 4 draws."""
    rng = np.random.default_rng(seed)
    out = []
    for coh in sorted({r["coherence"] for r in per_draw_rows}):
        pairs = paired_by_group(per_draw_rows, coh,
                                lambda b, d: results[f"{b}/{d}"][contrast]["score"] if f"{b}/{d}" in results else None)
        sets = [("CLEM and block-shuffled", [x for g in ("CLEM block model", "block-shuffled") for x in pairs.get(g, [])])]
        sets += [(g, pairs.get(g, [])) for g in ("CLEM block model", "block-shuffled")]
        for name, xy in sets:
            if len(xy) < 4 or (name.startswith("CLEM and") and not all(pairs.get(g) for g in ("CLEM block model", "block-shuffled"))):
                continue
            x, y = np.array(xy).T
            s = spearman_permutation(x, y, rng)
            follows = y[x > THRESHOLD]
            out.append({"coherence": coh, "draws": name, "n": len(xy), **s, "n_follows": int(follows.size),
                        "p_with_follows": float(follows.mean()) if follows.size else float("nan"),
                        "p_with_others": float(y[x <= THRESHOLD].mean()) if (x <= THRESHOLD).any() else float("nan")})
    return out


def _p(p: float) -> str:
    if np.isnan(p):
        return "—"
    return f"{p:.3f}" if p >= 0.001 else "< 0.001"


def _rho(v: float) -> str:
    return "— (constant)" if np.isnan(v) else f"{v:+.2f}"


def _mean(v: float) -> str:
    return "—" if np.isnan(v) else f"{v:.2f}"


def markdown_association(rows: list[dict], contrast: float) -> str:
    lines = [f"| coherence | draws | n | Spearman rho, probe score (contrast {contrast:g}) vs P(with) | "
             "two-sided p | one-sided p (rho > 0) | P(with): draws that follow / the others |",
             "|---|---|---|---|---|---|---|"]
    for r in rows:
        lines.append(f"| {r['coherence'] * 100:.0f} % | {r['draws']} | {r['n']} | {_rho(r['rho'])} | "
                     f"{_p(r['p_two_sided'])} | {_p(r['p_positive'])} | {_mean(r['p_with_follows'])} ({r['n_follows']}) / "
                     f"{_mean(r['p_with_others'])} ({r['n'] - r['n_follows']}) |")
    return "\n".join(lines)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(prog="python -m organisms.zebrafish.tools.reversal_probe",
                                 description=__doc__.split("\n")[0])
    ap.add_argument("--fits", required=True, metavar="YAML", help="integrator fits (models/integrator_fits.yaml)")
    ap.add_argument("--loss-version", default="rest")
    ap.add_argument("--draws", nargs="+", metavar="BRAIN/DRAW", help="only these fit entries (default: all)")
    ap.add_argument("--contrast", type=float, nargs="+", default=list(CONTRASTS),
                    help="grating contrasts (default 1 0.5); the last one is joined with behaviour")
    ap.add_argument("--scorecard", nargs="+", metavar="JSON",
                    help="omr_closed_loop scorecards: join each draw's score with its P(with)")
    a = ap.parse_args(argv)
    if any(not 0 < c <= 1 for c in a.contrast):
        ap.error(f"--contrast {a.contrast}: each must be in (0, 1]")
    try:
        entries = fit_entries(a.fits, a.loss_version)
        rows = draw_level(read_per_draw(a.scorecard)) if a.scorecard else None
    except ValueError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    if a.draws:
        missing = [d for d in a.draws if d not in entries]
        if missing:
            print(f"error: --draws {missing[0]}: no {a.loss_version} entry in {a.fits}", file=sys.stderr)
            return 2
        entries = {d: entries[d] for d in a.draws}
    results = run(entries, tuple(a.contrast), progress=lambda k: print(f"  probed {k}", file=sys.stderr))
    print(markdown(results, tuple(a.contrast)))
    if rows is not None:
        print()
        print(markdown_association(association(results, rows, a.contrast[-1]), a.contrast[-1]))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
