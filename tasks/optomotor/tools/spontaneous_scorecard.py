"""Spontaneous swimming scorecard: model episodes against the per-fish bout data of Le Goc 2021
and Karpenko 2020, side by side, judged as distributions with confidence intervals.

    python -m tasks.optomotor.tools.spontaneous_scorecard RUN_DIR [RUN_DIR ...] [--out FILE.md]

Two kinds of rows.

**Per-fish summaries** (one value per model episode, one per real fish). The model's value is
the median over episodes with a bootstrap 95 % CI (episodes resampled); the reference is the
library's per-fish median and its 5-95 % range across fish. Verdict: **pass** when the model's
CI lies inside the per-fish 5-95 % range, **fail** when the CI lies entirely outside it,
**unclear** when it straddles an edge (more episodes would decide).

**Bout distributions** (all bouts pooled). Distance = 1-Wasserstein distance between the
model's pooled bouts and the library's pooled bouts, against a noise ceiling: the same distance
between each real fish and the other fish pooled. **pass** when the model's distance is below
the 95th percentile of the fish-to-others distances (the model is as close to the population as
a typical real fish is), with a bootstrap CI of the model's distance (bouts resampled).

Reference data are read from ``shared/data/zebrafish`` (found upward from this file, or
``--data``): Le Goc et al. 2021, BMC Biol, doi:10.1186/s12915-021-01126-w (18 fish; per bout
heading change deg, displacement mm, interbout interval s); Karpenko et al. 2020, eLife,
doi:10.7554/eLife.52882 (``spontaneous_swim.mat``: cumulative heading in rad and bout times in s,
per trajectory and fish id; no displacement in mm: pixel size not in the file). Fish with fewer
than 100 bouts are left out (as in ``derive_reference.py``).

Kinematics that neither library has (tail-tip angle, head yaw, peak speed, bout duration,
tail-beat frequency) are listed with literature values and marked as such, not scored.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import numpy as np
import pandas as pd

from ...statistics import bootstrap_ci, ci_range_verdict
from ..features import BoutParams, detect_bouts

_REL = Path("shared/data/zebrafish")
DEFAULT_DATA = next((q / _REL for q in Path(__file__).resolve().parents if (q / _REL).exists()),
                    Path("/work/shared/data/zebrafish"))
MIN_BOUTS = 100
TURN_DEG = 10.0
BIG_TURN_DEG = 30.0
N_BOOT = 2000


# ------------------------------------------------------------------------------- per-bout data
def _summaries(seqs: list[dict]) -> dict:
    """seqs: per trajectory {dh (deg), ibi (s), disp (mm) or None}, bouts in order."""
    dh = np.concatenate([s["dh"] for s in seqs])
    ibi = np.concatenate([s["ibi"] for s in seqs])
    ibi = ibi[np.isfinite(ibi) & (ibi > 0)]
    out = {"n_bouts": int(dh.size),
           "interbout_interval_median_s": float(np.median(ibi)) if ibi.size else np.nan,
           "interbout_interval_cv": float(np.std(ibi, ddof=1) / np.mean(ibi)) if ibi.size > 2 else np.nan,
           "heading_change_abs_median_deg": float(np.median(np.abs(dh))),
           "heading_change_sd_deg": float(np.std(dh, ddof=1)) if dh.size > 2 else np.nan,
           "turn_fraction": float(np.mean(np.abs(dh) > TURN_DEG)),
           "big_turn_fraction": float(np.mean(np.abs(dh) > BIG_TURN_DEG)),
           "heading_change_abs_p95_deg": float(np.percentile(np.abs(dh), 95))}
    if seqs[0]["disp"] is not None:
        disp = np.concatenate([s["disp"] for s in seqs])
        x = np.concatenate([s["disp"][:-1] for s in seqs if len(s["disp"]) > 1])
        y = np.concatenate([s["disp"][1:] for s in seqs if len(s["disp"]) > 1])
        out |= {"displacement_median_mm": float(np.median(disp)),
                "displacement_cv": float(np.std(disp, ddof=1) / np.mean(disp)),
                "displacement_lag1_autocorr": float(np.corrcoef(x, y)[0, 1]) if x.size > 3 else np.nan}
    return out


def legoc_fish(data: Path) -> dict[int, list[dict]]:
    df = pd.read_csv(data / "legoc2021_free_swimming_bouts" / "behavior_single_fish_bouts.csv")
    out: dict[int, list[dict]] = {}
    for fish, g in df.groupby("fish"):
        for _, tr in g.sort_values(["trajectory", "bout_index"]).groupby("trajectory"):
            out.setdefault(int(fish), []).append({"dh": tr["dtheta_deg"].to_numpy(float),
                                                  "ibi": tr["interbout_interval_s"].to_numpy(float),
                                                  "disp": tr["displacement_mm"].to_numpy(float)})
    return out


def karpenko_fish(data: Path) -> dict[int, list[dict]]:
    import h5py

    with h5py.File(data / "karpenko2020_phototaxis_bouts" / "spontaneous_swim.mat", "r") as f:
        E = f["Es"]
        angle, tb, fish = np.array(E["Angle"]).T, np.array(E["TimeBout"]).T, np.array(E["FishN"]).ravel()
    out: dict[int, list[dict]] = {}
    for k in range(angle.shape[0]):
        ok = np.isfinite(angle[k]) & np.isfinite(tb[k])
        a, t = angle[k][ok], tb[k][ok]
        if a.size >= 3:
            out.setdefault(int(fish[k]), []).append({"dh": np.degrees(np.diff(a)), "ibi": np.diff(t), "disp": None})
    return out


def model_episodes(run_dirs: list[str]) -> list[dict]:
    """One entry per episode: its bout sequence (as one trajectory) and bout kinematics."""
    eps = []
    for d in run_dirs:
        for f in sorted(Path(d).glob("episodes/ep_*.npz")):
            with np.load(f) as z:
                tr = {k: z[k] for k in z.files if not k.startswith("neural")}
            bouts = detect_bouts(tr, BoutParams())
            if len(bouts) < 3:
                continue
            t = np.asarray(tr["t"], float).ravel()
            tip = np.degrees(np.abs(np.asarray(tr["tail_angles"], float).reshape(t.size, -1).sum(1)))
            hd = np.unwrap(np.asarray(tr["heading"], float).ravel())
            kin = []
            for b in bouts:
                i = np.searchsorted(t, [b["onset_s"], b["offset_s"]])
                s, e = int(i[0]), max(int(i[1]), int(i[0]) + 2)
                h = hd[s:e]
                trend = np.linspace(h[0], h[-1], h.size)  # head yaw = oscillation about the net turn
                kin.append({"tail_tip_deg": float(tip[s:e].max()),
                            "head_yaw_deg": float(np.degrees(np.abs(h - trend).max())),
                            "peak_speed_mm_s": b["peak_speed_mm_s"], "duration_s": b["duration_s"],
                            "tbf_hz": b["tail_beat_frequency_hz"], "dh": b["heading_change_deg"]})
            on = np.array([b["onset_s"] for b in bouts])
            seq = {"dh": np.array([b["heading_change_deg"] for b in bouts]), "ibi": np.r_[np.diff(on), np.nan],
                   "disp": np.array([b["displacement_mm"] for b in bouts])}
            eps.append({"file": str(f), "seq": seq, "kin": kin, "summary": _summaries([seq])})
    return eps


# ------------------------------------------------------------------------------- statistics
def _w1(a: np.ndarray, b: np.ndarray) -> float:
    from scipy.stats import wasserstein_distance
    return float(wasserstein_distance(a, b))


def _pooled(fish: dict[int, list[dict]], key: str, transform=lambda x: x) -> dict[int, np.ndarray]:
    out = {}
    for f, seqs in fish.items():
        if seqs[0][key] is None:
            continue
        v = transform(np.concatenate([s[key] for s in seqs]))
        v = v[np.isfinite(v)]
        if key == "ibi":
            v = v[v > 0]
        if v.size >= MIN_BOUTS:
            out[f] = v
    return out


SUMMARY_ROWS = [("interbout_interval_median_s", "inter-bout interval, median (s)"),
                ("interbout_interval_cv", "inter-bout interval, CV"),
                ("displacement_median_mm", "displacement per bout, median (mm)"),
                ("displacement_cv", "displacement, CV bout to bout"),
                ("displacement_lag1_autocorr", "displacement, lag-1 autocorrelation"),
                ("heading_change_abs_median_deg", "|heading change|, median (deg)"),
                ("heading_change_sd_deg", "heading change, s.d. (deg)"),
                ("heading_change_abs_p95_deg", "|heading change|, 95th percentile (deg)"),
                ("turn_fraction", "turn fraction (|dh| > 10 deg)"),
                ("big_turn_fraction", "large-turn fraction (|dh| > 30 deg)")]
DIST_ROWS = [("ibi", "inter-bout interval (s)", lambda x: x),
             ("disp", "displacement (mm)", lambda x: x),
             ("dh", "|heading change| (deg)", np.abs)]
# literature values, not per-fish data: shown, not scored
LITERATURE = {
    "tbf_hz": ("tail-beat frequency, median (Hz)", "29.6 +- 1.9 (s.d.) in slow forward swims of 5-7 dpf larvae: "
               "Green & Hale 2011, J Exp Biol 214:3111 (DOI not verified here)"),
    "duration_s": ("bout duration, median (s)", "~0.1-0.2 s for slow swims (no per-fish data here; PROVISIONAL)"),
    "peak_speed_mm_s": ("peak speed, median (mm/s)", "mean swimming speed in slow forward swims 1.5-4.6 body "
                        "lengths/s = 6-18 mm/s for a 4 mm larva (Green & Hale 2011); peak speeds are higher "
                        "(no per-fish data here)"),
    "tail_tip_deg": ("tail-tip angle, median of per-bout max (deg)", "slow swims ~30-60 (PROVISIONAL: Mirat 2013, "
                     "Severi 2014, Marques 2018 not checked)"),
    "head_yaw_deg": ("head yaw about the net turn, median per-bout max (deg)", "no reference here"),
}


def score(eps: list[dict], libs: dict[str, dict[int, list[dict]]], seed: int = 0) -> dict:
    rng = np.random.default_rng(seed)
    lib_sum = {name: pd.DataFrame([{"fish": f, **_summaries(s)} for f, s in fish.items()
                                   if sum(len(q["dh"]) for q in s) >= MIN_BOUTS])
               for name, fish in libs.items()}
    rows = []
    for key, label in SUMMARY_ROWS:
        m = np.array([e["summary"].get(key, np.nan) for e in eps], float)
        med = float(np.nanmedian(m)) if np.isfinite(m).any() else float("nan")
        _, lo, hi = bootstrap_ci(m, np.median, n_boot=N_BOOT, rng=rng, min_n=2)
        row = {"metric": key, "label": label, "model": med, "model_ci": [lo, hi], "n_episodes": int(np.isfinite(m).sum())}
        for name, df in lib_sum.items():
            if key not in df.columns or df[key].isna().all():
                row[name] = None
                continue
            v = df[key].dropna().to_numpy(float)
            p5, p95 = np.percentile(v, [5, 95])
            verdict = ci_range_verdict(lo, hi, p5, p95) or "no bouts"
            row[name] = {"median": float(np.median(v)), "p5": float(p5), "p95": float(p95), "n_fish": int(v.size),
                         "verdict": verdict}
        rows.append(row)
    dist = []
    for key, label, tf in DIST_ROWS:
        mv = tf(np.concatenate([e["seq"][key] for e in eps]))
        mv = mv[np.isfinite(mv)]
        if key == "ibi":
            mv = mv[mv > 0]
        row = {"metric": key, "label": label, "n_model_bouts": int(mv.size)}
        for name, fish in libs.items():
            per = _pooled(fish, key, tf)
            if len(per) < 3 or mv.size < 5:
                row[name] = None
                continue
            allv = np.concatenate(list(per.values()))
            ceil = np.array([_w1(v, np.concatenate([w for g, w in per.items() if g != f])) for f, v in per.items()])
            d, *w1_ci = bootstrap_ci(mv, lambda s, ref=allv: _w1(s, ref), n_boot=200, rng=rng)  # bouts resampled
            c95 = float(np.percentile(ceil, 95))
            row[name] = {"w1": d, "w1_ci": w1_ci,
                         "fish_to_others_median": float(np.median(ceil)), "fish_to_others_p95": c95,
                         "n_fish": len(per), "verdict": "pass" if d <= c95 else "fail"}
        dist.append(row)
    kin = []
    allk = [k for e in eps for k in e["kin"]]
    for key, (label, ref) in LITERATURE.items():
        v = np.array([k[key] for k in allk], float)
        v = v[np.isfinite(v)]
        kin.append({"metric": key, "label": label, "median": float(np.median(v)) if v.size else float("nan"),
                    "p5": float(np.percentile(v, 5)) if v.size else float("nan"),
                    "p95": float(np.percentile(v, 95)) if v.size else float("nan"), "reference": ref})
    return {"n_episodes": len(eps), "n_bouts": int(sum(len(e["seq"]["dh"]) for e in eps)),
            "summaries": rows, "distributions": dist, "kinematics": kin,
            "episodes": [{"file": e["file"], **e["summary"]} for e in eps]}


def to_markdown(res: dict, libs: list[str]) -> str:
    f = lambda x: f"{x:.3g}"  # noqa: E731

    def esc(text: str) -> str:  # a "|x|" label must not split the Markdown table row
        return text.replace("|", "\\|")

    L = [f"Spontaneous swimming: {res['n_episodes']} model episodes ({res['n_bouts']} bouts) vs per-fish data.", "",
         "**Per-fish summaries**: model = median over episodes [bootstrap 95 % CI]; library = per-fish median "
         "[5-95 % range across fish] (n fish); pass = CI inside the range, fail = CI outside, unclear = straddles.", "",
         "| metric | model median [95 % CI] | " + " | ".join(f"{n} per fish | verdict" for n in libs) + " |",
         "|---|---|" + "---|---|" * len(libs)]
    for r in res["summaries"]:
        cells = []
        for n in libs:
            x = r.get(n)
            cells.append("— | no data" if x is None else f"{f(x['median'])} [{f(x['p5'])}, {f(x['p95'])}] ({x['n_fish']}) | {x['verdict']}")
        L.append(f"| {esc(r['label'])} | {f(r['model'])} [{f(r['model_ci'][0])}, {f(r['model_ci'][1])}] | " + " | ".join(cells) + " |")
    L += ["", "**Bout distributions** (all bouts pooled): 1-Wasserstein distance model vs library [bootstrap 95 % CI]; "
          "noise ceiling = each real fish vs the other fish (median / 95th percentile); pass = distance <= the 95th percentile.", "",
          "| distribution | model bouts | " + " | ".join(f"{n}: W1 [CI]; fish-to-others median / p95 | verdict" for n in libs) + " |",
          "|---|---|" + "---|---|" * len(libs)]
    for r in res["distributions"]:
        cells = []
        for n in libs:
            x = r.get(n)
            cells.append("— | no data" if x is None else
                         f"{f(x['w1'])} [{f(x['w1_ci'][0])}, {f(x['w1_ci'][1])}]; {f(x['fish_to_others_median'])} / {f(x['fish_to_others_p95'])} ({x['n_fish']} fish) | {x['verdict']}")
        L.append(f"| {esc(r['label'])} | {r['n_model_bouts']} | " + " | ".join(cells) + " |")
    L += ["", "**Bout kinematics without per-fish data** (shown, not scored): model median [5-95 % of bouts] and the literature.", "",
          "| kinematic | model median [5-95 %] | literature |", "|---|---|---|"]
    for k in res["kinematics"]:
        L.append(f"| {k['label']} | {f(k['median'])} [{f(k['p5'])}, {f(k['p95'])}] | {k['reference']} |")
    return "\n".join(L)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("run_dirs", nargs="+")
    ap.add_argument("--data", default=str(DEFAULT_DATA), help="shared/data/zebrafish folder")
    ap.add_argument("--out", help="write the table (Markdown) and a .json beside it")
    a = ap.parse_args(argv)
    data = Path(a.data)
    if not (data / "legoc2021_free_swimming_bouts").exists():
        raise SystemExit(f"--data {data}: no legoc2021_free_swimming_bouts folder (the shared zebrafish data)")
    eps = model_episodes(a.run_dirs)
    if not eps:
        raise SystemExit(f"no episode with >= 3 bouts under {', '.join(a.run_dirs)} (episodes/ep_*.npz)")
    libs = {"Le Goc 2021": legoc_fish(data), "Karpenko 2020": karpenko_fish(data)}
    res = score(eps, libs)
    text = to_markdown(res, list(libs))
    print(text)
    if a.out:
        Path(a.out).write_text(text + "\n")
        Path(a.out).with_suffix(".json").write_text(json.dumps(res, indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
