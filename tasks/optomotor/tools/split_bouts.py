"""What the bout detector's interval rule changes: turns by size, split bouts, and P(with).

    python -m tasks.optomotor.tools.split_bouts RUN [RUN ...] [--pool]

For each run folder (episodes/*.npz of zebrafish/optomotor or zebrafish/spontaneous), bouts are
detected twice with :func:`tasks.optomotor.features.detect_bouts`: as the scorer does (a bout
may not start sooner than ``BoutParams.min_interval_s``, 0.187 s, after the previous bout's
onset: the shortest interval in the reference libraries), and without that rule (the detector
before it had one). It prints

* turns (|heading change| > 10°) in motion epochs by size, without the rule: how many, the
  fraction toward the side the stimulus moves (P(with), the OMR measure), the median duration;
* **close pairs** without the rule: a bout starting less than 0.187 s after the previous one's
  onset, how many of those pairs turn opposite ways, and the pair's summed heading change;
* P(with) of turns > 10° in motion, pooled over episodes with the scorer's bootstrap CI over
  episodes (:func:`tasks.optomotor.features.pooled_fraction`), without and with the rule; over
  each run and, with ``--pool``, over all runs given (e.g. the wiring draws of one brain).

Read-only: it runs nothing.
"""

from __future__ import annotations

import argparse
import itertools
from pathlib import Path

import numpy as np

from ..features import BoutParams, detect_bouts, pooled_fraction, side_counts

SIZE_BINS = ((10.0, 30.0), (30.0, 60.0), (60.0, 120.0), (120.0, 180.0))
NO_INTERVAL_RULE = BoutParams(min_interval_s=0.0)


def turn_sizes(bouts: list[dict]) -> list[dict]:
    """Turns in motion epochs (the scorer's rule) by |dh| bin: count, P(with), median duration."""
    rows = []
    for lo, hi in SIZE_BINS:
        sel = [b for b in bouts if b["motion_on"] and abs(np.sin(b["motion_direction_fish"])) > 0.5
               and lo < abs(b["heading_change_deg"]) <= hi]
        c = with_counts(sel)
        n = c["with"] + c["against"]
        rows.append({"lo": lo, "hi": hi, "n": n, "p_with": c["with"] / n if n else float("nan"),
                     "duration_s": float(np.median([b["duration_s"] for b in sel])) if sel else float("nan")})
    return rows


def close_pairs(bouts: list[dict], min_interval_s: float = BoutParams().min_interval_s) -> list[tuple[dict, dict]]:
    """Consecutive bouts (one episode, onset order) whose onsets are less than ``min_interval_s`` apart."""
    return [(a, b) for a, b in itertools.pairwise(bouts) if b["onset_s"] - a["onset_s"] < min_interval_s]


def with_counts(bouts: list[dict]) -> dict:
    """Turns in motion epochs with / against the stimulus side, by the scorer's own rule
    (:func:`tasks.optomotor.features.side_counts`), as a dict for ``pooled_fraction``."""
    w, ag = side_counts(bouts, BoutParams(), during_motion=True)
    return {"with": w, "against": ag}


def _p_with(per_episode: list[list[dict]]) -> str:
    r = pooled_fraction([with_counts(ep) for ep in per_episode], "with", "against")
    return f"{r['value']:.2f} [{r['ci_low']:.2f}, {r['ci_high']:.2f}] ({r['n_turns']} turns)"


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("runs", nargs="+", type=Path)
    ap.add_argument("--pool", action="store_true", help="also P(with) pooled over all runs given")
    a = ap.parse_args(argv)
    pooled_old: list[list[dict]] = []
    pooled_new: list[list[dict]] = []
    for run in a.runs:
        files = sorted(run.glob("episodes/*.npz"))
        if not files:
            raise SystemExit(f"{run}: no episodes/*.npz")
        old, new = [], []
        for f in files:
            with np.load(f) as z:
                traj = {k: z[k] for k in z.files}
            old.append(detect_bouts(traj, NO_INTERVAL_RULE))
            new.append(detect_bouts(traj))
        pooled_old += old
        pooled_new += new
        bouts = [b for ep in old for b in ep]
        pairs = [p for ep in old for p in close_pairs(ep)]
        opposite = [p for p in pairs if np.sign(p[0]["heading_change_deg"]) == -np.sign(p[1]["heading_change_deg"])]
        print(f"\n{run} ({len(files)} episodes; {len(bouts)} bouts without the interval rule, "
              f"{sum(map(len, new))} with it)\n")
        print("| turn size (deg), without the rule | turns in motion | P(with) | median duration (s) |")
        print("|---|---|---|---|")
        for r in turn_sizes(bouts):
            print(f"| {r['lo']:g}–{r['hi']:g} | {r['n']} | {r['p_with']:.2f} | {r['duration_s']:.3f} |")
        summed = [abs(p[0]["heading_change_deg"] + p[1]["heading_change_deg"]) for p in opposite]
        print(f"\nclose pairs without the rule (onsets < {BoutParams().min_interval_s:g} s apart): {len(pairs)}, "
              f"{2 * len(pairs)} of {len(bouts)} bouts; opposite heading changes: {len(opposite)}"
              + (f"; |summed heading change| median {np.median(summed):.1f} deg, each part's |dh| median "
                 f"{np.median([abs(b['heading_change_deg']) for p in opposite for b in p]):.1f} deg" if opposite else ""))
        print(f"P(with), turns > 10 deg in motion [95 % CI over episodes]: without the rule {_p_with(old)}; "
              f"with it (the scorer) {_p_with(new)}")
    if a.pool and len(a.runs) > 1:
        print(f"\npooled over the {len(a.runs)} runs: P(with) without the rule {_p_with(pooled_old)}; "
              f"with it (the scorer) {_p_with(pooled_new)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
