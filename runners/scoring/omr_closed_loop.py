"""Closed-loop random-dot OMR table and figure from `runners sweep` folders (issue 12, must-show 1).

    python -m runners sweep organisms/zebrafish/sweeps/omr_closed_loop.yaml   --out runs/omr_cl_a --workers 2
    python -m runners sweep organisms/zebrafish/sweeps/omr_closed_loop_b.yaml --out runs/omr_cl_b --workers 2
    python -m runners sweep organisms/zebrafish/sweeps/omr_closed_loop_c.yaml --out runs/omr_cl_c --workers 2
    python -m runners.scoring.omr_closed_loop runs/omr_cl_a runs/omr_cl_b runs/omr_cl_c --out runs/omr_table

Reads every finished episode JSON under the sweep folders (its ``features`` were computed by
``tasks/optomotor/features.py`` when the episode ran), groups them by (brain, coherence) — the
control brains pooled over their wiring draws — and writes ``PREFIX.{md,json,png}`` (``--out
PREFIX``, required: nothing is written to a default place).
P(with) is ``omr_correct_fraction`` pooled over episodes (turns during motion epochs), with the
95 % bootstrap CI over episodes of :func:`tasks.optomotor.features.omr_correct_fraction`.
"""

from __future__ import annotations

import json
from collections import defaultdict
from pathlib import Path

import numpy as np

from tasks.optomotor.features import (AFTER_BINS_ALL_BOUTS_S, AFTER_BINS_S, TIME_BINS_S, extract_features,
                                      omr_correct_fraction,
                                      pooled_fraction, rest_turn_fraction_toward_side)
from tasks.optomotor.random_dots_reference import after_motion, build_up
from tasks.optomotor.random_dots_reference import summary as wild_type_reference
from tasks.statistics import bootstrap_ci, ci_range_verdict, percentile_interval, resample_indices

ROOT = Path(__file__).resolve().parents[2]

BRAINS = ["connectome", "sbm-redraw", "block-shuffled", "no-integrator-edges"]
TASK = "zebrafish/optomotor"


def _feature_mean_ci(features, key):
    """Mean over episodes of a per-episode feature (missing = left out), 95 % bootstrap CI over episodes."""
    return tuple(bootstrap_ci(np.array([f.get(key) for f in features], float)))


def load(folders):
    groups = defaultdict(list)
    for folder in folders:
        for f in sorted(Path(folder).glob("*/episodes/ep_*.json")):
            d = json.loads(f.read_text())
            if d.get("status") != "ok" or not d.get("features"):
                continue
            if (d.get("config") or {}).get("task") != TASK:
                raise ValueError(f"{f}: an episode of task {(d.get('config') or {}).get('task')!r}, "
                                 f"not {TASK!r}")
            npz = f.with_suffix(".npz")
            if npz.exists():  # re-extract: features added since the episode ran are computed too
                with np.load(npz, allow_pickle=False) as z:
                    d["features"] = extract_features({k: z[k] for k in z.files if not k.startswith("neural")},
                                                     d.get("task_info") or {})
            c = d["config"]
            coh = float(c["task_options"].get("coherence", 1.0))
            wseed = c.get("brain_info", {}).get("wiring_seed")
            fit = c.get("brain_info", {}).get("integrator_fit")
            mo = (c.get("brain_options") or {}).get("model_overrides")
            if mo:  # a run with parameters changed by hand says so wherever its fit is shown
                fit = f"{fit} + model_overrides {json.dumps(mo, sort_keys=True)}"
            groups[(c["brain"], coh)].append({"seed": d["seed"], "wiring_seed": wseed, "fit": fit,
                                             "features": d["features"], "wall_s": d.get("wall_time_s"),
                                             "schedule": str(c["task_options"].get("schedule", "random_dots")),
                                             "duration": c.get("duration"),
                                             # episodes from before the option had static rests
                                             "rest": ((d.get("task_info") or {}).get("stimulus") or {}).get("rest", "static")})
    for (brain, coh), eps in groups.items():
        rests = sorted({e["rest"] for e in eps})
        if len(rests) > 1:
            raise ValueError(f"{brain} at coherence {coh:g}: the folders mix rests with {' and '.join(rests)} dots "
                             "(task option rest_dots); score them apart")
    return groups


def summarise(groups):
    rows = []
    for (brain, coh), eps in sorted(groups.items(), key=lambda kv: (BRAINS.index(kv[0][0]) if kv[0][0] in BRAINS else 99, kv[0][1])):
        fl = [e["features"] for e in eps]
        p = omr_correct_fraction(fl)
        p_all = pooled_fraction(fl, "omr_bouts_with", "omr_bouts_against")
        rest = rest_turn_fraction_toward_side(fl)
        rate = _feature_mean_ci(fl, "bout_rate_hz")
        rate_m = _feature_mean_ci(fl, "bout_rate_motion_hz")
        since = _binned(fl, "omr_correct_fraction", TIME_BINS_S)
        after = _binned(fl, "after_motion_toward_fraction", AFTER_BINS_S)
        after_all = _binned(fl, "after_motion_bout_toward_fraction", AFTER_BINS_ALL_BOUTS_S)
        fits = sorted({str(e.get("fit")) for e in eps})
        ibi = _feature_mean_ci(fl, "interbout_interval_median_s")
        lat = _feature_mean_ci(fl, "omr_latency_s")
        rows.append({"brain": brain, "coherence": coh, "n_episodes": len(eps), "rest": eps[0]["rest"],
                     "seeds": sorted({e["seed"] for e in eps}),
                     "wiring_seeds": sorted({e["wiring_seed"] for e in eps}),
                     "p_with": p, "p_with_all_bouts": p_all, "rest_toward_side": rest,
                     "bout_rate_hz": rate, "bout_rate_motion_hz": rate_m, "interbout_interval_s": ibi, "latency_s": lat,
                     "p_with_since_onset": since, "after_motion_toward": after,
                     "after_motion_all_bouts": after_all, "integrator_fit": fits,
                     "bout_rate_motion_per_episode": [float(f.get("bout_rate_motion_hz", np.nan)) for f in fl],
                     "mean_wall_s": float(np.mean([e["wall_s"] for e in eps if e["wall_s"]]))})
    zero = {r["brain"]: r for r in rows if r["coherence"] == 0.0}
    for r in rows:  # the chronometric slope: bout rate in motion over the same brain's at 0 %
        base = zero.get(r["brain"])
        r["bout_rate_ratio_to_0"] = ratio_ci(r["bout_rate_motion_per_episode"],
                                             base["bout_rate_motion_per_episode"]) if base else None
    return rows


def _binned(features, key: str, bins) -> dict:
    """Per time bin ("lo_hi"): the ``key_<lo>_<hi>s`` fraction pooled over episodes with its CI."""
    return {f"{lo:g}_{hi:g}": pooled_fraction(features, f"{key}_{lo:g}_{hi:g}s_with", f"{key}_{lo:g}_{hi:g}s_against")
            for lo, hi in bins}


def ratio_ci(a, b, n_boot: int = 2000, seed: int = 0) -> dict | None:
    """mean(a) / mean(b) with a 95 % percentile-bootstrap CI, the episodes of a and of b resampled
    independently (tasks.statistics); None without finite values on both sides."""
    a = np.asarray(a, float)
    b = np.asarray(b, float)
    a, b = a[np.isfinite(a)], b[np.isfinite(b)]
    if not a.size or not b.size or b.mean() <= 0:
        return None
    boots = a[resample_indices(a.size, n_boot, seed)].mean(1) / b[resample_indices(b.size, n_boot, seed + 1)].mean(1)
    lo, hi = percentile_interval(boots)
    return {"value": float(a.mean() / b.mean()), "ci_low": lo, "ci_high": hi}


def per_draw(groups):
    """P(with) per (brain, wiring draw, coherence): the draw-to-draw spread behind a pooled row."""
    out = []
    for (brain, coh), eps in sorted(groups.items(), key=lambda kv: (BRAINS.index(kv[0][0]) if kv[0][0] in BRAINS else 99, kv[0][1])):
        by = defaultdict(list)
        for e in eps:
            by[e["wiring_seed"]].append(e)
        for w, ee in sorted(by.items(), key=lambda kv: (kv[0] is None, kv[0])):
            fl = [e["features"] for e in ee]
            out.append({"brain": brain, "coherence": coh, "wiring_seed": w, "n_episodes": len(ee),
                        "seeds": sorted(e["seed"] for e in ee), "integrator_fit": sorted({str(e.get("fit")) for e in ee}),
                        "p_with": omr_correct_fraction(fl),
                        "p_with_all_bouts": pooled_fraction(fl, "omr_bouts_with", "omr_bouts_against")})
    return out


def verdicts(rows):
    """Per coherence: is the CLEM-wired brain's CI entirely above each control's?"""
    by = {(r["brain"], r["coherence"]): r for r in rows}
    out = []
    for coh in sorted({r["coherence"] for r in rows}):
        for clem in ("connectome", "sbm-redraw"):
            for ctrl in ("block-shuffled", "no-integrator-edges"):
                a, b = by.get((clem, coh)), by.get((ctrl, coh))
                if not a or not b:
                    continue
                sep = a["p_with"]["ci_low"] > b["p_with"]["ci_high"]
                pa, pb = a.get("p_with_all_bouts"), b.get("p_with_all_bouts")
                sep_all = bool(pa and pb and pa["ci_low"] > pb["ci_high"])
                out.append({"coherence": coh, "clem": clem, "control": ctrl,
                            "clem_p": a["p_with"]["value"], "control_p": b["p_with"]["value"],
                            "non_overlapping_above": bool(sep),
                            "clem_p_all_bouts": pa["value"] if pa else float("nan"),
                            "control_p_all_bouts": pb["value"] if pb else float("nan"),
                            "non_overlapping_above_all_bouts": sep_all})
    return out


def _f(p):
    return f"{p['value']:.2f} [{p['ci_low']:.2f}, {p['ci_high']:.2f}]"


def _t(t):
    return f"{t[0]:.2f} [{t[1]:.2f}, {t[2]:.2f}]"


def table(rows, vs, folders, out=None, draws=None, schedules=None, ref=None):
    sched = ", ".join(f"`{k}` ({v})" for k, v in sorted((schedules or {}).items())) or "see the episodes"
    lines = ["# Closed-loop random-dot OMR (issue 12, must-show 1)", "",
             "Made by `python -m runners.scoring.omr_closed_loop " + " ".join(map(str, folders))
             + (f" --out {out}" if out is not None else "") + "`",
             f"from `cgym sweep` folders (closed loop, task `zebrafish/optomotor` with `coherence=c`; schedule(s) {sched}).",
             "P(with) = turns (|Δheading| > 10°) toward the side the coherent dots move / all such turns",
             "starting in motion epochs, pooled over episodes; 'all bouts' = the same over every bout with",
             "|Δheading| > 1°. **95 % CIs: bootstrap over episodes** (2,000 resamples of the episodes of a",
             "row; turns are pooled within a resample). **Control brains with wirings are pooled over their",
             "wiring draws** (column `wiring`; each draw with its own fit, column `fit` below): their CI",
             "resamples episodes of all draws together, it does not resample draws (per-draw values: last",
             "table). Rest = the same fraction in rest epochs, toward the side of the schedule row (the",
             "preceding motion in after-motion rests; 0.5 = no side bias). Bout rate: whole episode, mean",
             "over episodes; latency: motion onset to first bout, mean over episodes; both with bootstrap",
             "95 % CIs over episodes.", "",
             "| brain | coherence | episodes | wiring | turns | P(with) [95 % CI] | bouts | P(bout with), all bouts | rest toward side | bout rate Hz | latency s |",
             "|---|---|---|---|---|---|---|---|---|---|---|"]
    for r in rows:
        pa = r.get("p_with_all_bouts") or {"value": float("nan"), "ci_low": float("nan"), "ci_high": float("nan"), "n_turns": 0}
        lines.append(f"| {r['brain']} | {r['coherence']:g} | {r['n_episodes']} | {','.join(map(str, r['wiring_seeds']))} | "
                     f"{r['p_with']['n_turns']} | {_f(r['p_with'])} | {pa['n_turns']} | {_f(pa)} | {_f(r['rest_toward_side'])} | "
                     f"{_t(r['bout_rate_hz'])} | {_t(r['latency_s'])} |")
    if any("p_with_since_onset" in r for r in rows):
        lines += ["", "## Build-up and decay: P(turn with the motion) by time since motion onset, and toward the",
                  "preceding motion by time since it stopped (pooled turns, 95 % bootstrap CI over episodes;",
                  "bout rate in motion = the chronometric measure)", "",
                  "| brain | coherence | fit | bout rate in motion Hz | with, 0-2 s | 2-5 s | 5-10 s | after, 0-2 s | 2-5 s | 5-10 s |",
                  "|---|---|---|---|---|---|---|---|---|---|"]
        for r in rows:
            if "p_with_since_onset" not in r:
                continue
            sb = [r["p_with_since_onset"][k] for k in ("0_2", "2_5", "5_10")]
            ab = [r["after_motion_toward"][k] for k in ("0_2", "2_5", "5_10")]
            lines.append(f"| {r['brain']} | {r['coherence']:g} | {','.join(r.get('integrator_fit', []))} | "
                         f"{_t(r['bout_rate_motion_hz'])} | "
                         + " | ".join(f"{_f(x)} (n={x['n_turns']})" for x in sb + ab) + " |")
    lines += ["", "## CLEM-wired vs controls: CI of the CLEM brain entirely above the control's?", "",
              "| coherence | CLEM brain | control | P(with) CLEM | P(with) control | non-overlapping, above | all bouts: CLEM | control | non-overlapping, above |",
              "|---|---|---|---|---|---|---|---|---|"]
    for v in vs:
        lines.append(f"| {v['coherence']:g} | {v['clem']} | {v['control']} | {v['clem_p']:.2f} | "
                     f"{v['control_p']:.2f} | {'yes' if v['non_overlapping_above'] else 'NO'} | "
                     f"{v.get('clem_p_all_bouts', float('nan')):.2f} | {v.get('control_p_all_bouts', float('nan')):.2f} | "
                     f"{'yes' if v.get('non_overlapping_above_all_bouts') else 'NO'} |")
    if draws:
        lines += ["", "## Per wiring draw (the spread behind the pooled control rows; 95 % CI over that draw's episodes)", "",
                  "| brain | coherence | wiring draw | fit | episodes (seeds) | P(with), turns | P(with), all bouts |",
                  "|---|---|---|---|---|---|---|"]
        for d in draws:
            lines.append(f"| {d['brain']} | {d['coherence']:g} | {d['wiring_seed']} | {','.join(d['integrator_fit'])} | "
                         f"{d['n_episodes']} ({','.join(map(str, d['seeds']))}) | {_f(d['p_with'])} (n={d['p_with']['n_turns']}) | "
                         f"{_f(d['p_with_all_bouts'])} (n={d['p_with_all_bouts']['n_turns']}) |")
    lines += reference_section(rows, ref)
    return "\n".join(lines) + "\n"


def _r(a):
    return f"{a['mean']:.2f} [{a['lo']:.2f}, {a['hi']:.2f}]"


def _verdict(model: dict | None, real: dict) -> str:
    """The model's CI against the range of the real experiments (tasks.statistics.ci_range_verdict)."""
    if not model:
        return "no data"
    return ci_range_verdict(model.get("ci_low", np.nan), model.get("ci_high", np.nan), real["lo"], real["hi"]) or "no data"


def reference_section(rows, ref=None) -> list[str]:
    """The model's rows beside wild-type larvae (:mod:`tasks.optomotor.random_dots_reference`)."""
    ref = wild_type_reference() if ref is None else ref
    by = {(r["brain"], r["coherence"]): r for r in rows}
    brains = [b for b in BRAINS if any(k[0] == b for k in by)]
    rests = sorted({r.get("rest", "static") for r in rows})
    here = " and ".join({"static": "a static pattern", "incoherent": "dots at 0 % coherence"}.get(x, x) for x in rests)
    out = ["", "## Against wild-type larvae", "",
           f"Reference: {ref['source']}. Real values: mean over the {ref['n_experiments']} experiments "
           "[lowest, highest experiment mean]; each experiment a mean over its fish. Their fraction counts "
           "**every** bout (no turn threshold), so the model column is its all-bout P(with); their motion "
           f"epoch is 10 s and the rest is dots at 0 % coherence (here: 15 s, and {here} in the rests).", "",
           "| coherence | wild type: P(bout toward the motion) | " + " | ".join(f"{b}: all bouts" for b in brains)
           + " | wild type: bouts/s in motion | " + " | ".join(f"{b}: bouts/s in motion" for b in brains) + " |",
           "|---|---|" + "---|" * len(brains) + "---|" + "---|" * len(brains)]
    for i, c in enumerate(ref["coherence"]):
        pa = [by.get((b, c), {}).get("p_with_all_bouts") for b in brains]
        br = [by.get((b, c), {}).get("bout_rate_motion_hz") for b in brains]
        out.append(f"| {c:g} | {_r(ref['p_correct'][i])} | " + " | ".join(_f(p) if p else "—" for p in pa)
                   + f" | {_r(ref['bout_rate_hz'][i])} | " + " | ".join(_t(x) if x else "—" for x in br) + " |")
    out += ["", "**Judged against the real range** (per brain; pass = the model's 95 % CI lies inside the range of "
            "the seven experiments' means, fail = entirely outside it, unclear = it straddles an edge; the model's "
            "measures as the real ones': every bout, bout rate in motion over the same brain's at 0 %, every bout "
            "0–2 and 2–4 s after the motion stops):", "",
            "| brain | measure | coherence | wild type [range] | model [95 % CI] | verdict |", "|---|---|---|---|---|---|"]
    verdicts = {b: [] for b in brains}
    for b in brains:
        for label, key_ref, key_model, cohs in (
                ("P(bout toward the motion)", "p_correct", "p_with_all_bouts", (0.25, 0.5, 1.0)),
                ("bout rate / bout rate at 0 %", "bout_rate_ratio", "bout_rate_ratio_to_0", (0.25, 0.5, 1.0))):
            for c in cohs:
                i = ref["coherence"].index(c)
                m = (by.get((b, c)) or {}).get(key_model)
                verdicts[b].append(_verdict(m, ref[key_ref][i]))
                out.append(f"| {b} | {label} | {c:g} | {_r(ref[key_ref][i])} | {_f(m) if m else '—'} | {verdicts[b][-1]} |")
        for c in (0.5, 1.0):
            am = (by.get((b, c)) or {}).get("after_motion_all_bouts") or {}
            for real, k in zip(after_motion(ref, c), ("0_2", "2_4")):
                m = am.get(k)
                verdicts[b].append(_verdict(m, real))
                out.append(f"| {b} | after the motion, {k.replace('_', '–')} s | {c:g} | {_r(real)} | "
                           f"{_f(m) if m else '—'} | {verdicts[b][-1]} |")
    out += ["", "Verdicts per brain: " + "; ".join(
        f"{b} {v.count('pass')} pass, {v.count('fail')} fail, {v.count('unclear')} unclear" for b, v in verdicts.items()) + "."]
    out += ["", "After the motion stops (fraction toward the preceding motion; wild type: every bout, 2 s bins; "
            "model: turns > 10°, its own bins):", "",
            "| coherence | wild type 0–2 s / 2–4 s | " + " | ".join(f"{b}: 0–2 / 2–5 / 5–10 s" for b in brains) + " |",
            "|---|---|" + "---|" * len(brains)]
    for c in ref["coherence"]:
        if c == 0:
            continue
        wt = " / ".join(f"{a['mean']:.2f}" for a in after_motion(ref, c))
        cells = []
        for b in brains:
            r = by.get((b, c))
            am = (r or {}).get("after_motion_toward")
            cells.append(" / ".join(f"{am[k]['value']:.2f}" for k in ("0_2", "2_5", "5_10")) if am else "—")
        out.append(f"| {c:g} | {wt} | " + " | ".join(cells) + " |")
    return out


def figure(rows, path, ref=None):
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    colors = {"connectome": "C0", "sbm-redraw": "C2", "block-shuffled": "C1", "no-integrator-edges": "C3"}
    fig, axs = plt.subplots(1, 3, figsize=(16, 6))
    for k, brain in enumerate(BRAINS):
        rr = sorted([r for r in rows if r["brain"] == brain], key=lambda r: r["coherence"])
        if not rr:
            continue
        x = np.array([r["coherence"] for r in rr]) * 100 + (k - 1.5) * 1.2
        y = np.array([r["p_with"]["value"] for r in rr])
        e = np.array([[r["p_with"]["value"] - r["p_with"]["ci_low"], r["p_with"]["ci_high"] - r["p_with"]["value"]] for r in rr]).T
        axs[0].errorbar(x, y, yerr=e, marker="o", capsize=3, color=colors[brain], label=f"{brain}: turns > 10°")
        if all(r.get("p_with_all_bouts") for r in rr):
            ya = np.array([r["p_with_all_bouts"]["value"] for r in rr])
            ea = np.array([[r["p_with_all_bouts"]["value"] - r["p_with_all_bouts"]["ci_low"],
                            r["p_with_all_bouts"]["ci_high"] - r["p_with_all_bouts"]["value"]] for r in rr]).T
            axs[0].errorbar(x + 0.6, ya, yerr=ea, marker="s", mfc="w", ls="--", capsize=2, color=colors[brain],
                            label=f"{brain}: all bouts")
        key = "bout_rate_motion_hz" if all("bout_rate_motion_hz" in r for r in rr) else "bout_rate_hz"
        y2 = np.array([r[key][0] for r in rr])
        e2 = np.array([[r[key][0] - r[key][1], r[key][2] - r[key][0]] for r in rr]).T
        axs[1].errorbar(x, y2, yerr=e2, marker="o", capsize=3, color=colors[brain], label=brain)
        mid = [r for r in rr if abs(r["coherence"] - 0.5) < 1e-9 and "p_with_since_onset" in r]
        if mid:
            r = mid[0]
            bins = [r["p_with_since_onset"][k] for k in ("0_2", "2_5", "5_10")] + \
                [r["after_motion_toward"][k] for k in ("0_2", "2_5", "5_10")]
            tx = np.array([1, 3.5, 7.5, 13, 15.5, 19.5]) + (k - 1.5) * 0.15
            yv = np.array([b["value"] for b in bins])
            ye = np.array([[b["value"] - b["ci_low"], b["ci_high"] - b["value"]] for b in bins]).T
            for part in (slice(0, 3), slice(3, 6)):  # in motion | after it: not joined across the offset
                axs[2].errorbar(tx[part], yv[part], yerr=ye[:, part], marker="o", capsize=3, color=colors[brain],
                                label=brain if part.start == 0 else None)
    ref = wild_type_reference() if ref is None else ref
    rc = np.array(ref["coherence"]) * 100
    for ax, key in ((axs[0], "p_correct"), (axs[1], "bout_rate_hz")):
        m = np.array([a["mean"] for a in ref[key]])
        rng = np.array([[a["mean"] - a["lo"], a["hi"] - a["mean"]] for a in ref[key]]).T
        ax.errorbar(rc, m, yerr=rng, color="k", marker="s", ms=7, lw=2, capsize=4, zorder=5,
                    label=f"wild-type larvae, all bouts (mean, range of {ref['n_experiments']} experiments)")
    wt_t = [(b["since_lo_s"] + b["since_hi_s"]) / 2 for b in build_up(ref, 0.5)] + \
        [12 + (b["since_lo_s"] + b["since_hi_s"]) / 2 for b in after_motion(ref, 0.5)]
    wt_b = build_up(ref, 0.5) + after_motion(ref, 0.5)
    wt_y = np.array([b["mean"] for b in wt_b])
    wt_e = np.array([[b["mean"] - b["lo"], b["hi"] - b["mean"]] for b in wt_b]).T
    n_on = len(build_up(ref, 0.5))
    for part in (slice(0, n_on), slice(n_on, None)):
        axs[2].errorbar(np.array(wt_t)[part], wt_y[part], yerr=wt_e[:, part], color="k", marker="s", lw=2, capsize=3,
                        zorder=5, label="wild type, all bouts (2 s bins)" if part.start == 0 else None)
    axs[0].axhline(0.5, color="0.7", lw=0.8)
    axs[0].set(xlabel="coherence (%)", ylabel="P(turn with motion)", ylim=(0.3, 1.02),
               title="psychometric, closed loop (95 % CI)")
    axs[1].set(xlabel="coherence (%)", ylabel="bout rate (Hz; in motion where recorded)", title="chronometric")
    axs[2].axhline(0.5, color="0.7", lw=0.8)
    axs[2].axvline(11, color="0.5", ls=":", lw=1)
    axs[2].set_xticks([1, 3.5, 7.5, 13, 15.5, 19.5])
    axs[2].set_xticklabels(["0-2", "2-5", "5-10", "0-2", "2-5", "5-10"])
    axs[2].set(xlabel="s since onset (with motion) | s since offset (toward it)",
               ylabel="P(turn toward the motion side)",
               ylim=(0.0, 1.02), title="50 %: build-up and after-motion decay")
    axs[2].xaxis.label.set_size(8)
    axs[2].legend(fontsize=7)
    axs[0].legend(fontsize=7, loc="upper center", bbox_to_anchor=(0.5, -0.14), ncol=2)
    axs[1].legend(fontsize=7)
    fig.tight_layout()
    fig.savefig(path, dpi=120)


def main(argv=None):
    import argparse

    ap = argparse.ArgumentParser(prog="python -m runners.scoring.omr_closed_loop",
                                 description="Closed-loop random-dot OMR table and figure from sweep folders.")
    ap.add_argument("folders", nargs="+", metavar="SWEEP_DIR", help="cgym sweep output folders")
    ap.add_argument("--out", required=True, metavar="PREFIX",
                    help="write PREFIX.md, PREFIX.json and PREFIX.png (e.g. runs/omr_table)")
    args = ap.parse_args(argv)
    for folder in args.folders:
        if not Path(folder).is_dir():
            ap.error(f"{folder}: not a folder (give the --out folder of a `cgym sweep` run)")
        if not any(Path(folder).glob("*/episodes/ep_*.json")):
            ap.error(f"{folder}: no finished episodes (*/episodes/ep_*.json): not a sweep folder, or nothing has run yet")
    out = Path(args.out)
    if out.is_dir():
        ap.error(f"--out {out}: is a folder; give a path prefix (e.g. {out}/omr_table)")
    folders = args.folders
    try:
        groups = load(folders)
    except (ValueError, OSError, KeyError) as exc:
        ap.error(str(exc))
    rows = summarise(groups)
    vs = verdicts(rows)
    draws = per_draw(groups)
    schedules = defaultdict(set)
    for eps in groups.values():
        for e in eps:
            schedules[e["schedule"]].add(e["duration"])
    sched = {k: ", ".join(f"{float(d):g} s" for d in sorted(v, key=float) if d is not None) for k, v in schedules.items()}
    ref = wild_type_reference()  # read and hash-checked once for the table, the JSON and the figure
    md = table(rows, vs, folders, out, draws, sched, ref)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.with_suffix(".md").write_text(md)
    out.with_suffix(".json").write_text(json.dumps({"rows": rows, "verdicts": vs, "per_draw": draws, "sweeps": folders,
                                                    "ci": "bootstrap over episodes; control draws pooled",
                                                    "wild_type_reference": ref}, indent=1))
    figure(rows, out.with_suffix(".png"), ref)
    print(md)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
