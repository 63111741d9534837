"""Are the model's large turns real bouts? Turns by size, and bouts that follow too closely.

    python -m tasks.optomotor.tools.split_bouts RUN [RUN ...] [--min-ibi 0.187]

For each run folder (episodes/*.npz of zebrafish/optomotor or zebrafish/spontaneous), bouts are
detected as the scorer does (:func:`tasks.optomotor.features.detect_bouts`, default parameters).
It prints

* turns (|heading change| > 10°) in motion epochs by size: how many, the fraction toward the side
  the stimulus moves (P(with), the OMR measure), and the median bout duration;
* **close pairs**: a bout whose onset follows the previous bout's onset by less than ``--min-ibi``
  (default 0.187 s, the shortest inter-bout interval in the Karpenko 2020 library; Le Goc 2021's
  shortest is 0.441 s: no real bout follows another that closely), how many of those pairs have
  heading changes of opposite sign, and the pair's summed heading change. Pairs like that are one
  movement that the detector split where the speed dipped for longer than its merge gap;
* **P(with) with close pairs merged** (a sensitivity analysis, not the scorer's measure): each close
  pair counted as one bout with the summed heading change, pooled over episodes with the
  scorer's bootstrap CI over episodes (:func:`tasks.optomotor.features.pooled_fraction`), beside
  the same measure without merging; over each run and over all runs given (``--pool``, e.g. the
  wiring draws of one control brain).

Read-only: it runs nothing and changes no scorer.
"""

from __future__ import annotations

import argparse
import itertools
from pathlib import Path

import numpy as np

from ..features import detect_bouts, pooled_fraction

#: the shortest inter-bout interval of the reference libraries (s): Karpenko 2020 (Le Goc 2021: 0.441)
KARPENKO_MIN_IBI_S = 0.187
SIZE_BINS = ((10.0, 30.0), (30.0, 60.0), (60.0, 120.0), (120.0, 180.0))


def turn_sizes(bouts: list[dict]) -> list[dict]:
    """Turns in motion epochs (|dh| > 10°, lateral stimulus) by |dh| bin."""
    rows = []
    for lo, hi in SIZE_BINS:
        sel = [b for b in bouts if b["motion_on"] and abs(np.sin(b["motion_direction_fish"])) > 0.5
               and lo < abs(b["heading_change_deg"]) <= hi]
        with_ = [np.sign(b["heading_change_deg"]) == np.sign(np.sin(b["motion_direction_fish"])) for b in sel]
        rows.append({"lo": lo, "hi": hi, "n": len(sel), "p_with": float(np.mean(with_)) if sel else float("nan"),
                     "duration_s": float(np.median([b["duration_s"] for b in sel])) if sel else float("nan")})
    return rows


def close_pairs(bouts: list[dict], min_ibi_s: float = KARPENKO_MIN_IBI_S) -> list[tuple[dict, dict]]:
    """Consecutive bouts (one episode, onset order) whose onsets are less than ``min_ibi_s`` apart."""
    return [(a, b) for a, b in itertools.pairwise(bouts) if b["onset_s"] - a["onset_s"] < min_ibi_s]


def merge_close(bouts: list[dict], min_ibi_s: float = KARPENKO_MIN_IBI_S) -> list[dict]:
    """Bouts with every close pair (and chain) joined into one: onset, motion state and stimulus
    direction of the first part, heading changes summed, duration to the last part's end."""
    out: list[dict] = []
    for b in bouts:
        if out and b["onset_s"] - out[-1]["_last_onset"] < min_ibi_s:
            m = out[-1]
            m["heading_change_deg"] += b["heading_change_deg"]
            m["duration_s"] = b["onset_s"] + b["duration_s"] - m["onset_s"]
            m["_last_onset"] = b["onset_s"]
        else:
            out.append({**b, "_last_onset": b["onset_s"]})
    return [{k: v for k, v in m.items() if k != "_last_onset"} for m in out]


def with_counts(bouts: list[dict], turn_deg: float = 10.0) -> dict:
    """Turns in motion epochs with / against the stimulus side (the scorer's turn rule)."""
    w = ag = 0
    for b in bouts:
        side = np.sin(b["motion_direction_fish"])
        if not b["motion_on"] or abs(side) <= 0.5 or abs(b["heading_change_deg"]) <= turn_deg:
            continue
        if np.sign(b["heading_change_deg"]) == np.sign(side):
            w += 1
        else:
            ag += 1
    return {"with": w, "against": ag}


def _p_with(per_episode: list[list[dict]]) -> str:
    r = pooled_fraction([with_counts(ep) for ep in per_episode], "with", "against")
    return f"{r['value']:.2f} [{r['ci_low']:.2f}, {r['ci_high']:.2f}] ({r['n_turns']} turns)"


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("runs", nargs="+", type=Path)
    ap.add_argument("--min-ibi", type=float, default=KARPENKO_MIN_IBI_S,
                    help=f"onset-to-onset interval below which two bouts are a close pair (s; default {KARPENKO_MIN_IBI_S})")
    ap.add_argument("--pool", action="store_true", help="also P(with) pooled over all runs given")
    a = ap.parse_args(argv)
    if a.min_ibi <= 0:
        ap.error("--min-ibi must be > 0")
    pooled: list[list[dict]] = []
    for run in a.runs:
        files = sorted(run.glob("episodes/*.npz"))
        if not files:
            raise SystemExit(f"{run}: no episodes/*.npz")
        per_episode = []
        for f in files:
            with np.load(f) as z:
                per_episode.append(detect_bouts({k: z[k] for k in z.files}))
        pooled += per_episode
        bouts = [b for ep in per_episode for b in ep]
        pairs = [p for ep in per_episode for p in close_pairs(ep, a.min_ibi)]
        opposite = [p for p in pairs if np.sign(p[0]["heading_change_deg"]) == -np.sign(p[1]["heading_change_deg"])]
        print(f"\n{run} ({len(files)} episodes, {len(bouts)} bouts)\n")
        print("| turn size (deg) | turns in motion | P(with) | median duration (s) |")
        print("|---|---|---|---|")
        for r in turn_sizes(bouts):
            print(f"| {r['lo']:g}–{r['hi']:g} | {r['n']} | {r['p_with']:.2f} | {r['duration_s']:.3f} |")
        summed = [abs(p[0]["heading_change_deg"] + p[1]["heading_change_deg"]) for p in opposite]
        print(f"\nclose pairs (onsets < {a.min_ibi:g} s apart): {len(pairs)}, involving {2 * len(pairs)} of "
              f"{len(bouts)} bouts; opposite heading changes: {len(opposite)}"
              + (f"; |summed heading change| median {np.median(summed):.1f} deg, each part's |dh| median "
                 f"{np.median([abs(b['heading_change_deg']) for p in opposite for b in p]):.1f} deg" if opposite else ""))
        print(f"P(with), turns > 10 deg in motion [95 % CI over episodes]: as scored {_p_with(per_episode)}; "
              f"close pairs merged {_p_with([merge_close(ep, a.min_ibi) for ep in per_episode])}")
    if a.pool and len(a.runs) > 1:
        print(f"\npooled over the {len(a.runs)} runs: P(with) as scored {_p_with(pooled)}; "
              f"close pairs merged {_p_with([merge_close(ep, a.min_ibi) for ep in pooled])}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
