"""Spontaneous swimming of a run scored against the Le Goc 2021 and Karpenko 2020 per-fish
libraries side by side (one row per metric).

    python -m tasks.optomotor.tools.side_by_side RUN_DIR [RUN_DIR ...] [--out FILE.md]

Model: bouts re-detected from each episode's saved trajectory (``features.detect_bouts``), one
value per episode (the episode plays the part of one fish). Reference: the per-fish values of
each library (``reference/data/*_per_fish.csv``; derived by ``derive_reference.py``). A metric
**passes** when the median over episodes lies inside the library's per-fish 5-95 % range
(the between-fish spread: a simulated fish should look like one of the real ones). The
bout-to-bout coefficient of variation of displacement is taken per fish from the Le Goc bout
table in ``../shared/data/zebrafish`` when it is there (Karpenko 2020 has no per-bout displacement
in the same form here).
Sources: Le Goc et al. 2021, doi:10.1186/s12915-021-01126-w; Karpenko et al. 2020,
doi:10.7554/eLife.52882.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import numpy as np
import pandas as pd

from ..features import BoutParams, detect_bouts

REF = Path(__file__).resolve().parents[1] / "reference" / "data"
_REL = Path("shared/data/zebrafish/legoc2021_free_swimming_bouts/behavior_single_fish_bouts.csv")
SHARED_LEGOC = next((q / _REL for q in Path(__file__).resolve().parents if (q / _REL).exists()), Path("/nonexistent"))
METRICS = [("interbout_interval_median_s", "inter-bout interval, median (s)"),
           ("displacement_median_mm", "displacement per bout, median (mm)"),
           ("heading_change_abs_median_deg", "|heading change|, median (deg)"),
           ("heading_change_sd_deg", "heading change s.d. (deg)"),
           ("turn_fraction", "turn fraction (|dh| > 10 deg)"),
           ("displacement_cv", "CV of displacement, bout to bout"),
           ("bout_duration_median_s", "bout duration, median (s)"),
           ("tail_beat_frequency_median_hz", "tail-beat frequency, median (Hz)")]


def episode_metrics(npz_path: Path) -> dict:
    with np.load(npz_path) as z:
        tr = {k: z[k] for k in z.files if not k.startswith("neural")}
    bouts = detect_bouts(tr, BoutParams())
    if len(bouts) < 2:
        return {k: float("nan") for k, _ in METRICS} | {"n_bouts": len(bouts)}
    on = np.array([b["onset_s"] for b in bouts])
    dh = np.array([b["heading_change_deg"] for b in bouts])
    disp = np.array([b["displacement_mm"] for b in bouts])
    return {"n_bouts": len(bouts), "interbout_interval_median_s": float(np.median(np.diff(on))),
            "displacement_median_mm": float(np.median(disp)),
            "heading_change_abs_median_deg": float(np.median(np.abs(dh))),
            "heading_change_sd_deg": float(np.std(dh, ddof=1)),
            "turn_fraction": float(np.mean(np.abs(dh) > 10.0)),
            "displacement_cv": float(np.std(disp, ddof=1) / np.mean(disp)),
            "bout_duration_median_s": float(np.median([b["duration_s"] for b in bouts])),
            "tail_beat_frequency_median_hz": float(np.nanmedian([b["tail_beat_frequency_hz"] for b in bouts]))}


def library(name: str) -> pd.DataFrame:
    df = pd.read_csv(REF / f"{name}_per_fish.csv")
    if name == "legoc2021" and SHARED_LEGOC.exists():
        raw = pd.read_csv(SHARED_LEGOC, usecols=["fish", "displacement_mm"])
        cv = raw.groupby("fish")["displacement_mm"].agg(lambda x: np.std(x, ddof=1) / np.mean(x))
        df["displacement_cv"] = df["fish"].map(cv)
    return df


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("run_dirs", nargs="+")
    ap.add_argument("--out", help="write the table (Markdown) and a .json beside it")
    a = ap.parse_args(argv)
    eps = []
    for d in a.run_dirs:
        for f in sorted(Path(d).glob("episodes/ep_*.npz")):
            eps.append(episode_metrics(f))
    if not eps:
        raise SystemExit(f"no episodes/ep_*.npz under {', '.join(a.run_dirs)}")
    libs = {"Le Goc 2021": library("legoc2021"), "Karpenko 2020": library("karpenko2020")}
    lines = [f"Spontaneous swimming, {len(eps)} model episode(s) ({sum(e['n_bouts'] for e in eps)} bouts) vs "
             "per-fish data; pass = model median inside the library's per-fish 5-95 % range.", "",
             "| metric | model (median over episodes) | " + " | ".join(f"{k}: per-fish median [5-95 %] (n) | verdict" for k in libs) + " |",
             "|---|---|" + "---|---|" * len(libs)]
    out = {"episodes": eps, "rows": []}
    for key, label in METRICS:
        m = np.array([e.get(key, np.nan) for e in eps], float)
        mv = float(np.nanmedian(m)) if np.isfinite(m).any() else float("nan")
        cells, row = [], {"metric": key, "model": mv}
        for name, df in libs.items():
            if key not in df.columns:
                cells.append("— | no data")
                continue
            v = df[key].dropna().to_numpy(float)
            lo, hi = np.percentile(v, [5, 95])
            ok = "pass" if np.isfinite(mv) and lo <= mv <= hi else ("fail" if np.isfinite(mv) else "no bouts")
            cells.append(f"{np.median(v):.3g} [{lo:.3g}, {hi:.3g}] ({len(v)}) | {ok}")
            row[name] = {"median": float(np.median(v)), "p5": float(lo), "p95": float(hi), "n": int(len(v)), "verdict": ok}
        out["rows"].append(row)
        lines.append(f"| {label} | {mv:.3g} | " + " | ".join(cells) + " |")
    text = "\n".join(lines)
    print(text)
    if a.out:
        Path(a.out).write_text(text + "\n")
        Path(a.out).with_suffix(".json").write_text(json.dumps(out, indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
