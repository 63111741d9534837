"""The OMR result at the level of wiring draws: is the CLEM *block model* better than its controls?

    python -m organisms.zebrafish.tools.draw_level organisms/zebrafish/figures/omr60.json [MORE.json ...]

There is no cell-to-cell edge list in the CLEM release, so the ``connectome`` brain is itself one
draw (draw 0) of the CLEM block model, the same kind of object as the ``sbm-redraw`` draws. A
claim about the CLEM wiring is therefore a claim about draws: this tool groups the per-draw
P(turn with motion) of an ``omr_closed_loop`` scorecard (its ``per_draw`` rows) into

* **CLEM block model**: ``connectome`` + ``sbm-redraw`` draws,
* **block-shuffled** draws,
* **no-integrator-edges** (no wiring, one row),

and gives each group's mean over draws with a 95 % bootstrap CI that resamples **draws** (each
draw weighted equally, whatever its number of episodes). With 4-5 draws per group these CIs are
wide; they are the honest uncertainty of a statement about the wiring, not about one draw.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np

from tasks.statistics import bootstrap_ci, bootstrap_diff_ci

GROUPS = {"connectome": "CLEM block model", "sbm-redraw": "CLEM block model",
          "block-shuffled": "block-shuffled", "no-integrator-edges": "no-integrator-edges"}
N_BOOT = 4000


def read_per_draw(paths) -> list[dict]:
    """The per-draw rows of ``omr_closed_loop`` scorecard JSONs, pooled. A file that is not such a
    scorecard, or a (brain, draw, coherence) already in an earlier file, is a one-line ValueError
    naming the file."""
    per_draw, seen = [], set()
    for path in paths:
        try:
            rows = json.loads(Path(path).read_text(encoding="utf-8"))["per_draw"]
            keys = {(r["brain"], int(r.get("wiring_seed") or 0), float(r["coherence"])) for r in rows}
        except (OSError, ValueError, KeyError, TypeError) as exc:
            raise ValueError(f"{path}: not an omr_closed_loop scorecard with per-draw rows "
                             f"({exc.__class__.__name__})") from None
        if seen & keys:
            raise ValueError(f"{path}: draw {sorted(seen & keys)[0]} is already in an earlier file")
        seen |= keys
        per_draw += rows
    return per_draw


def draw_level(per_draw: list[dict], measure: str = "p_with", seed: int = 0) -> list[dict]:
    """One row per (group, coherence): draws, their values, mean and draw-resampled 95 % CI."""
    cells: dict[tuple[str, float], list[tuple[str, int, float]]] = {}
    for row in per_draw:
        group = GROUPS.get(row["brain"])
        value = (row.get(measure) or {}).get("value")
        if group is None or value is None or not np.isfinite(value):
            continue
        cells.setdefault((group, float(row["coherence"])), []).append(
            (row["brain"], int(row.get("wiring_seed") or 0), float(value)))
    rng = np.random.default_rng(seed)
    out = []
    for (group, coh), draws in sorted(cells.items(), key=lambda kv: (kv[0][1], kv[0][0])):
        vals = np.array([v for _, _, v in draws])
        mean, lo, hi = bootstrap_ci(vals, n_boot=N_BOOT, rng=rng, min_n=2)  # draws resampled
        out.append({"group": group, "coherence": coh, "n_draws": len(vals), "mean": mean,
                    "ci_low": lo if len(vals) > 1 else None, "ci_high": hi if len(vals) > 1 else None,
                    "draws": [{"brain": b, "draw": d, "value": v} for b, d, v in draws]})
    return out


def difference(rows: list[dict], a: str = "CLEM block model", b: str = "block-shuffled", seed: int = 0) -> list[dict]:
    """Per coherence: mean(a) - mean(b) over draws, a 95 % bootstrap CI that resamples the draws of
    each group independently, and a one-sided permutation p (the group labels of the draws
    permuted; H1: a > b). Only coherences where both groups have at least two draws."""
    rng = np.random.default_rng(seed)
    by = {(r["group"], r["coherence"]): np.array([d["value"] for d in r["draws"]]) for r in rows}
    out = []
    for coh in sorted({c for _, c in by}):
        va, vb = by.get((a, coh)), by.get((b, coh))
        if va is None or vb is None or len(va) < 2 or len(vb) < 2:
            continue
        diff, lo, hi = bootstrap_diff_ci(va, vb, n_boot=N_BOOT, rng=rng)  # each group's draws resampled
        pooled = np.concatenate([va, vb])
        perm = np.array([(lambda q: q[:len(va)].mean() - q[len(va):].mean())(rng.permutation(pooled))
                         for _ in range(N_BOOT)])
        p = float((np.sum(perm >= diff) + 1) / (N_BOOT + 1))
        out.append({"coherence": coh, "a": a, "b": b, "n_a": len(va), "n_b": len(vb), "difference": diff,
                    "ci_low": lo, "ci_high": hi, "p_one_sided": p})
    return out


def markdown_difference(diffs: list[dict]) -> str:
    lines = ["| coherence | difference (draws) | mean difference [95 % CI, draws resampled] | one-sided permutation p |",
             "|---|---|---|---|"]
    for d in diffs:
        lines.append(f"| {d['coherence'] * 100:.0f} % | {d['a']} ({d['n_a']}) − {d['b']} ({d['n_b']}) "
                     f"| {d['difference']:+.2f} [{d['ci_low']:+.2f}, {d['ci_high']:+.2f}] | {d['p_one_sided']:.3f} |")
    return "\n".join(lines)


def markdown(rows: list[dict]) -> str:
    lines = ["| coherence | group | draws | mean P(with), turns [95 % CI over draws] | per draw |",
             "|---|---|---|---|---|"]
    for r in rows:
        ci = f"[{r['ci_low']:.2f}, {r['ci_high']:.2f}]" if r["ci_low"] is not None else "(one draw)"
        per = ", ".join(f"{d['brain'].replace('sbm-redraw', 'sbm')}/{d['draw']} {d['value']:.2f}" for d in r["draws"])
        lines.append(f"| {r['coherence'] * 100:.0f} % | {r['group']} | {r['n_draws']} | {r['mean']:.2f} {ci} | {per} |")
    return "\n".join(lines)


def main(argv=None) -> int:
    p = argparse.ArgumentParser(prog="python -m organisms.zebrafish.tools.draw_level", description=__doc__.split("\n")[0])
    p.add_argument("scorecard", nargs="+",
                   help="omr_closed_loop scorecard JSONs (e.g. organisms/zebrafish/figures/omr60.json); their "
                        "per-draw rows are pooled (a (brain, draw, coherence) in two files is an error)")
    p.add_argument("--measure", default="p_with", choices=["p_with", "p_with_all_bouts"],
                   help="turns > 10 deg (p_with, default) or all bouts")
    a = p.parse_args(argv)
    try:
        per_draw = read_per_draw(a.scorecard)
    except ValueError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    rows = draw_level(per_draw, a.measure)
    print(markdown(rows))
    diffs = difference(rows)
    if diffs:
        print()
        print(markdown_difference(diffs))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
