"""The integrator's side state over a closed-loop schedule: iMI+ left minus right, per time bin.

    python -m organisms.zebrafish.tools.integrator_state RUN [RUN ...] [--bin 3] [--drive]

RUN is a run folder (``cgym run --out``, or one condition folder of a ``cgym sweep``) whose
episodes recorded the circuit's populations (``neural_v`` with ``neural_names``). For each run
it prints, per time bin, the mean over episodes of ``iMI+_L - iMI+_R`` (the side the hindbrain
integrator holds; its sign is the side the readout turns towards) and the mean lateral motion
direction in the fish's frame (``motion_direction_fish`` where ``motion_on``; 0 in rest epochs).
The schedules draw the side of the first motion epoch per episode, so each episode is first
flipped (both columns times the sign of its first motion epoch's direction): the table reads
"towards the first epoch's side = +". Every episode of a run must share one schedule's timing
(the sweeps' fixed schedules do). With ``--drive`` it prints instead, per run, the mean over
episodes of what the bout trigger and the turn readout see, in motion and in rest epochs: the
bout-drive unit ``BOUT``, the summed integrator rate ``iMI+_L + iMI+_R`` and its side signal
``|iMI+_L − iMI+_R|`` (does the bout drive follow the evidence? the chronometric question).
Read-only: it runs nothing.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np


def _recorded(path: Path, d, *names: str) -> dict:
    """The recorded populations ``names`` of an episode's npz ``d``; a missing recording or
    population is a one-line error naming the file."""
    if "neural_names" not in d.files:
        raise SystemExit(f"{path}: no neural recording (neural_names); run with the circuit brain")
    have = [str(n) for n in d["neural_names"]]
    for n in names:
        if n not in have:
            raise SystemExit(f"{path}: no {n} in neural_names")
    v = d["neural_v"]
    return {n: v[:, have.index(n)] for n in names}


def side_state(npz_files: list[Path], bin_s: float = 3.0) -> dict:
    """Binned mean over episodes of iMI+_L - iMI+_R and of the motion direction (fish frame)."""
    if not npz_files:
        raise SystemExit("no episodes/*.npz in the run folder")
    diffs, dirs, t_ref = [], [], None
    for f in npz_files:
        with np.load(f) as d:
            pop = _recorded(f, d, "iMI+_L", "iMI+_R")
            direction = np.where(d["motion_on"] > 0, d["motion_direction_fish"], 0.0)
            moving = np.flatnonzero(direction != 0)
            sign = float(np.sign(direction[moving[0]])) if moving.size else 1.0
            diffs.append(sign * (pop["iMI+_L"] - pop["iMI+_R"]))
            dirs.append(sign * direction)
            t = d["neural_t"]
            if t_ref is None:
                t_ref = t
            elif t.shape != t_ref.shape:
                raise SystemExit(f"{f}: episode length differs from the first episode's; one schedule per run")
    diff, dirn = np.mean(diffs, 0), np.mean(dirs, 0)
    edges = np.arange(0.0, float(t_ref[-1]), bin_s)  # [a, a + bin); the last sample (t = end) closes the run
    rows = []
    for a in edges:
        m = (t_ref >= a) & (t_ref < a + bin_s)
        if m.any():
            rows.append((float(a), float(a + bin_s), float(diff[m].mean()), float(dirn[m].mean())))
    return {"episodes": len(npz_files), "rows": rows}


def drive_means(npz_files: list[Path]) -> dict:
    """Mean over episodes of BOUT, iMI+_L + iMI+_R and |iMI+_L − iMI+_R| in motion and in rest epochs."""
    if not npz_files:
        raise SystemExit("no episodes/*.npz in the run folder")
    keys = ("BOUT", "iMI+ L + R", "|iMI+ L − R|")
    acc = {(k, m): [] for k in keys for m in ("motion", "rest")}
    for f in npz_files:
        with np.load(f) as d:
            pop = _recorded(f, d, "BOUT", "iMI+_L", "iMI+_R")
            moving = np.interp(d["neural_t"], d["t"], d["motion_on"]) > 0.5
            left, right = pop["iMI+_L"], pop["iMI+_R"]
            series = {"BOUT": pop["BOUT"], "iMI+ L + R": left + right, "|iMI+ L − R|": np.abs(left - right)}
        for k, y in series.items():
            for m, sel in (("motion", moving), ("rest", ~moving)):
                if sel.any():
                    acc[(k, m)].append(float(y[sel].mean()))
    return {"episodes": len(npz_files),
            "means": {km: (float(np.mean(x)) if x else float("nan")) for km, x in acc.items()}}


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("runs", nargs="+", type=Path)
    ap.add_argument("--bin", type=float, default=3.0, help="bin width, s (default 3)")
    ap.add_argument("--drive", action="store_true",
                    help="print the bout drive and the integrator's sum and side signal in motion / rest instead")
    a = ap.parse_args(argv)
    if a.bin <= 0:
        ap.error("--bin must be > 0")
    if a.drive:
        print("| run | episodes | BOUT, motion / rest | iMI+ L + R, motion / rest | \\|iMI+ L − R\\|, motion / rest |")
        print("|---|---|---|---|---|")
    for run in a.runs:
        if not run.is_dir():
            raise SystemExit(f"{run}: not a run folder")
        if a.drive:
            r = drive_means(sorted((run / "episodes").glob("*.npz")))
            mm = r["means"]
            cells = " | ".join(f"{mm[(k, 'motion')]:.3f} / {mm[(k, 'rest')]:.3f}" for k in ("BOUT", "iMI+ L + R", "|iMI+ L − R|"))
            print(f"| {run} | {r['episodes']} | {cells} |")
            continue
        res = side_state(sorted((run / "episodes").glob("*.npz")), a.bin)
        print(f"\n{run} ({res['episodes']} episodes)\n")
        print("| t (s) | iMI+ L − R (first epoch's side +) | motion direction, fish frame (rad; 0 = rest) |")
        print("|---|---|---|")
        for lo, hi, d, m in res["rows"]:
            print(f"| {lo:g}–{hi:g} | {d:+.3f} | {m:+.2f} |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
