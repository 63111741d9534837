"""Does a draw's own fit decide, through its rest state, whether the draw turns with the motion?

    python -m organisms.zebrafish.tools.draw_regimes organisms/zebrafish/figures/omr60.json \\
        organisms/zebrafish/figures/omr60_more.json --out organisms/zebrafish/figures/draw_regimes.md

The pre-registered test of RECORD.md ("Does the fit's rest state decide whether a draw turns?"):
for every wiring draw with its own fit in ``models/integrator_fits.yaml`` and a closed-loop
P(turn with motion) in the ``per_draw`` rows of the given ``omr_closed_loop`` scorecards, the
rest state of its own fit (``tools/null_rule.py``'s numpy ``replica``: mean iMI+ rate of both
hemispheres 10-20 s before motion, leftward trial, no kick) is joined with its P(with); draws
with ``rest_iMI+ < --threshold`` are "silent", the others "active". Only the judged draws
(``--judge``, default sbm-redraw 5-15 and block-shuffled 0-14: not the draws that formed the
hypothesis) enter the statistics:

* **primary**: mean P(with) at 50 % of active draws minus silent draws, one-sided permutation p
  with the regime labels permuted within wiring group (brain), pass if p < ``--alpha``; "no
  power" if either regime has fewer than ``--min-per-regime`` judged draws;
* secondary: the same at 25 %, within each brain, and without ``--sensitivity-drop``; Spearman
  rho (one-sided permutation p); 2 x 2 table regime x P(with) >= ``--turn-cut`` with Fisher's
  exact one-sided p.

The replica of one draw takes seconds to tens of seconds (three 80 s trials at 2 ms);
``--save-rest`` writes the rest states to a plain JSON file and ``--rest`` reads them back
instead of simulating (also how the tests feed synthetic rest states).
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np

from .draw_level import draw_level, read_per_draw

THRESHOLD = 0.08        # midpoint of the formation draws' silent (0.000) and lowest active (0.160) rest rates
TURN_CUT = 0.635        # midpoint of the formation draws' non-turning (0.54) and turning (0.73) P(with) at 50 %
JUDGE = "sbm-redraw:5-15,block-shuffled:0-14"
FORMED = "connectome:0,sbm-redraw:1-4"
N_PERM = 10000


class InputError(ValueError):
    """Bad input, reported as one line naming the file or option."""


def parse_draws(spec: str, option: str) -> list[tuple[str, int]]:
    """``"sbm-redraw:5-15,block-shuffled:0-14"`` -> [(brain, draw), ...]."""
    out = []
    try:
        for part in (p.strip() for p in spec.split(",") if p.strip()):
            brain, rng = part.split(":")
            lo, _, hi = rng.partition("-")
            out += [(brain.strip(), d) for d in range(int(lo), int(hi or lo) + 1)]
    except ValueError:
        raise InputError(f"option {option}: {spec!r} is not a list of BRAIN:FIRST-LAST") from None
    return out


def read_outcomes(paths: list[Path], measure: str = "p_with") -> dict[tuple[str, int, float], float]:
    """(brain, draw, coherence) -> per-draw P(with) from ``omr_closed_loop`` scorecard JSONs."""
    try:
        per_draw = read_per_draw(paths)
    except ValueError as exc:
        raise InputError(str(exc)) from None
    return {(d["brain"], int(d["draw"]), r["coherence"]): d["value"]
            for r in draw_level(per_draw, measure) for d in r["draws"]}


def rest_state(brain: str, draw: int) -> dict:
    """The draw's own fit and its replica's rest state (``null_rule.replica``)."""
    from ..integrator_sbm import fitted_overrides
    from .null_rule import replica

    values, src = fitted_overrides(brain, draw, fit="own")
    if src != f"{brain}/{draw}":
        raise InputError(f"models/integrator_fits.yaml: no own fit for {brain}/{draw} (would use {src})")
    t0 = time.perf_counter()
    rep = replica(brain, draw, values)
    return {"brain": brain, "draw": draw, "fit": src, "rest_iMI+": rep["rest_iMI+"],
            "signal_iMI+": rep["signal_iMI+"], "loss": rep["loss"],
            "bias_shift": values.get("integrator.bias_shift"), "g_I_other": values.get("integrator.g_I_other"),
            "g_E": values.get("integrator.g_E"), "seconds": time.perf_counter() - t0}


def read_rest(path: Path) -> dict[tuple[str, int], dict]:
    try:
        rows = json.loads(Path(path).read_text(encoding="utf-8"))["rest_states"]
        out = {(r["brain"], int(r["draw"])): r for r in rows}
        for r in out.values():
            float(r["rest_iMI+"])
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise InputError(f"{path}: not a draw_regimes rest-state file ({exc.__class__.__name__})") from None
    return out


def stratified_difference(values, active, strata, n_perm: int = N_PERM, seed: int = 0) -> dict:
    """mean(values[active]) - mean(values[~active]) and its one-sided permutation p (H1: > 0),
    the active labels permuted within each stratum."""
    values, active, strata = np.asarray(values, float), np.asarray(active, bool), np.asarray(strata)
    n_act, n_sil = int(active.sum()), int((~active).sum())
    if n_act == 0 or n_sil == 0:
        return {"difference": None, "p": None, "n_active": n_act, "n_silent": n_sil}
    diff = float(values[active].mean() - values[~active].mean())
    rng = np.random.default_rng(seed)
    groups = [np.flatnonzero(strata == s) for s in np.unique(strata)]
    perm = np.empty(n_perm)
    lab = active.copy()
    for i in range(n_perm):
        for g in groups:
            lab[g] = rng.permutation(active[g])
        perm[i] = values[lab].mean() - values[~lab].mean()
    p = float((np.sum(perm >= diff - 1e-12) + 1) / (n_perm + 1))
    return {"difference": diff, "p": p, "n_active": n_act, "n_silent": n_sil,
            "mean_active": float(values[active].mean()), "mean_silent": float(values[~active].mean())}


def spearman_one_sided(x, y, n_perm: int = N_PERM, seed: int = 0) -> dict:
    from scipy.stats import spearmanr

    x, y = np.asarray(x, float), np.asarray(y, float)
    if len(x) < 3 or np.ptp(x) == 0 or np.ptp(y) == 0:
        return {"rho": None, "p": None}
    rho = float(spearmanr(x, y).statistic)
    rng = np.random.default_rng(seed)
    perm = np.array([spearmanr(x, rng.permutation(y)).statistic for _ in range(n_perm)])
    return {"rho": rho, "p": float((np.sum(perm >= rho - 1e-12) + 1) / (n_perm + 1))}


def fisher_table(active, turns) -> dict:
    from scipy.stats import fisher_exact

    a, t = np.asarray(active, bool), np.asarray(turns, bool)
    table = [[int((a & t).sum()), int((a & ~t).sum())], [int((~a & t).sum()), int((~a & ~t).sum())]]
    return {"table": table, "p": float(fisher_exact(table, alternative="greater").pvalue)}


def analyse(rows: list[dict], threshold: float = THRESHOLD, turn_cut: float = TURN_CUT, alpha: float = 0.05,
            min_per_regime: int = 3, drop: list[tuple[str, int]] = (), n_perm: int = N_PERM) -> dict:
    """``rows``: the judged draws, each {brain, draw, rest_iMI+, p50, p25}. Returns every statistic
    of the pre-registered test and its verdict."""
    def sub(rs, key):
        rs = [r for r in rs if r.get(key) is not None]
        v = [r[key] for r in rs]
        act = [r["rest_iMI+"] >= threshold for r in rs]
        return rs, v, act, [r["brain"] for r in rs]

    res = {"threshold": threshold, "turn_cut": turn_cut, "alpha": alpha, "n": len(rows)}
    rs, v, act, st = sub(rows, "p50")
    prim = stratified_difference(v, act, st, n_perm)
    if min(prim["n_active"], prim["n_silent"]) < min_per_regime:
        verdict = "no power"
    else:
        verdict = "passes" if prim["p"] < alpha and prim["difference"] > 0 else "fails"
    res["primary"] = {**prim, "verdict": verdict}
    res["at_25"] = stratified_difference(*sub(rows, "p25")[1:], n_perm=n_perm)
    res["spearman_50"] = spearman_one_sided([r["rest_iMI+"] for r in rs], v, n_perm)
    res["fisher_50"] = fisher_table(act, [x >= turn_cut for x in v])
    res["by_brain"] = {}
    for b in sorted(set(st)):
        _, vb, ab, sb = sub([r for r in rs if r["brain"] == b], "p50")
        res["by_brain"][b] = stratified_difference(vb, ab, sb, n_perm)
    kept = [r for r in rows if (r["brain"], r["draw"]) not in set(drop)]
    res["sensitivity"] = {"dropped": [f"{b}/{d}" for b, d in drop],
                          **stratified_difference(*sub(kept, "p50")[1:], n_perm=n_perm)}
    return res


def _f(x, nd=2):
    return "—" if x is None or not np.isfinite(x) else f"{x:.{nd}f}"


def _p(x):
    return "—" if x is None else f"{x:.4f}"


def _diff(d):
    if d["difference"] is None:
        return f"— (active {d['n_active']}, silent {d['n_silent']})"
    return (f"{d['difference']:+.3f} (active {d['n_active']}: {d['mean_active']:.3f}; silent {d['n_silent']}: "
            f"{d['mean_silent']:.3f}), p = {_p(d['p'])}")


def markdown(table_rows: list[dict], res: dict, threshold: float) -> str:
    lines = ["| draw | role | rest iMI+ (replica) | regime | bias_shift | g_I_other | g_E | fit loss | "
             "iMI+ pref − null, end of motion | P(with) 25 % | P(with) 50 % |",
             "|---|---|---|---|---|---|---|---|---|---|---|"]
    for r in table_rows:
        lines.append(f"| {r['brain']}/{r['draw']} | {r['role']} | {_f(r['rest_iMI+'], 3)} | "
                     f"{'active' if r['rest_iMI+'] >= threshold else 'silent'} | {_f(r.get('bias_shift'), 3)} | "
                     f"{_f(r.get('g_I_other'))} | {_f(r.get('g_E'))} | {_f(r.get('loss'))} | "
                     f"{_f(r.get('signal_iMI+'), 3)} | {_f(r.get('p25'))} | {_f(r.get('p50'))} |")
    pr, sp, fi = res["primary"], res["spearman_50"], res["fisher_50"]
    lines += ["", f"Judged draws: {res['n']}; regime threshold rest iMI+ {threshold}; permutations within brain.", "",
              f"* **Primary (50 %), active − silent: {_diff(pr)} → {pr['verdict']}** (pass: p < {res['alpha']}).",
              f"* 25 %: {_diff(res['at_25'])}.",
              f"* Spearman rho (rest iMI+ vs P(with) 50 %): {_f(sp['rho'])}, one-sided p = {_p(sp['p'])}.",
              f"* 2 × 2 at 50 % (rows active / silent; columns P(with) ≥ {res['turn_cut']} / below): "
              f"{fi['table']}, Fisher one-sided p = {_p(fi['p'])}."]
    for b, d in res["by_brain"].items():
        lines.append(f"* within {b} (50 %): {_diff(d)}.")
    se = res["sensitivity"]
    lines.append(f"* without {', '.join(se['dropped']) or 'nothing'} (50 %): {_diff(se)}.")
    return "\n".join(lines)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(prog="python -m organisms.zebrafish.tools.draw_regimes",
                                 description=__doc__.split("\n")[0])
    ap.add_argument("scorecard", nargs="+", type=Path, help="omr_closed_loop scorecard JSONs with per_draw rows")
    ap.add_argument("--out", type=Path, default=None, help="markdown file for the table and the statistics")
    ap.add_argument("--judge", default=JUDGE, help=f"draws the test is judged on (default {JUDGE})")
    ap.add_argument("--formed", default=FORMED, help=f"draws that formed the hypothesis, shown only (default {FORMED})")
    ap.add_argument("--threshold", type=float, default=THRESHOLD, help="rest iMI+ rate at or above which a draw is 'active'")
    ap.add_argument("--turn-cut", type=float, default=TURN_CUT, help="P(with) at 50 %% counted as turning (2 x 2 table)")
    ap.add_argument("--alpha", type=float, default=0.05)
    ap.add_argument("--min-per-regime", type=int, default=3)
    ap.add_argument("--sensitivity-drop", default="block-shuffled:0-3",
                    help="draws left out in the sensitivity analysis (their rest rates were printed before the test)")
    ap.add_argument("--rest", type=Path, default=None, help="read rest states from this JSON instead of simulating")
    ap.add_argument("--save-rest", type=Path, default=None, help="write the computed rest states to this JSON")
    ap.add_argument("--permutations", type=int, default=N_PERM)
    a = ap.parse_args(argv)
    try:
        judge = parse_draws(a.judge, "--judge")
        formed = parse_draws(a.formed, "--formed") if a.formed else []
        drop = parse_draws(a.sensitivity_drop, "--sensitivity-drop") if a.sensitivity_drop else []
        outcomes = read_outcomes(a.scorecard)
        rest = read_rest(a.rest) if a.rest else {}
        table_rows = []
        for role, draws in (("formed", formed), ("judged", judge)):
            for brain, draw in draws:
                if (brain, draw) not in rest:
                    if a.rest:
                        raise InputError(f"{a.rest}: no rest state for {brain}/{draw}")
                    rest[(brain, draw)] = rest_state(brain, draw)
                    print(f"{brain}/{draw}: rest iMI+ {rest[(brain, draw)]['rest_iMI+']:.3f} "
                          f"({rest[(brain, draw)]['seconds']:.1f} s)", file=sys.stderr, flush=True)
                p50, p25 = outcomes.get((brain, draw, 0.5)), outcomes.get((brain, draw, 0.25))
                if role == "judged" and p50 is None:
                    raise InputError(f"{', '.join(map(str, a.scorecard))}: no P(with) at 50 % for {brain}/{draw}")
                table_rows.append({**rest[(brain, draw)], "brain": brain, "draw": draw, "role": role,
                                   "p50": p50, "p25": p25})
    except InputError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    if a.save_rest:
        a.save_rest.write_text(json.dumps({"rest_states": [rest[k] for k in sorted(rest)]}, indent=1) + "\n")
    res = analyse([r for r in table_rows if r["role"] == "judged"], a.threshold, a.turn_cut, a.alpha,
                  a.min_per_regime, drop, a.permutations)
    text = markdown(table_rows, res, a.threshold)
    print(text)
    if a.out:
        cmd = "python -m organisms.zebrafish.tools.draw_regimes " + " ".join(map(str, a.scorecard))
        a.out.write_text("# Does a draw's own fit, by its rest state, decide whether it turns? (pre-registered)\n\n"
                         f"    {cmd} --out {a.out}\n\nRest state: `tools/null_rule.py` replica of the draw's own fit "
                         "(numpy, 2 ms, leftward trial, no kick, iMI+ mean of both sides 10-20 s). P(with): turns > 10 deg "
                         "with the motion, per draw (2 x 60 s per draw and coherence; connectome 8).\n\n" + text + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
