"""The OMR result at the level of wiring draws: is the CLEM *block model* better than its controls?

    python -m organisms.zebrafish.tools.draw_level organisms/zebrafish/figures/omr60.json [MORE.json ...]
    python -m organisms.zebrafish.tools.draw_level --fits organisms/zebrafish/models/integrator_fits.yaml
    python -m organisms.zebrafish.tools.draw_level SCORECARD.json --fits organisms/zebrafish/models/integrator_fits.yaml [--plot PNG]

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

``--fits FILE`` makes the same comparison at the neural level: each draw's loss in the fit of its
six per-class parameters to the recorded responses (``fit_integrator``, the same CMA-ES budget for
every draw; only entries of one ``loss_version``, default ``rest``). That loss is what the fit
minimised, so it measures how well each wiring *can* be fitted to the recordings, not a
prediction; lower is better, and the one-sided test asks whether the block-shuffled draws' loss
is above the CLEM draws'.

Both together (scorecard JSONs and ``--fits``) join each draw's fit loss with its P(turn with
motion) and give, per coherence, Spearman's rho over draws (CLEM and block-shuffled draws pooled,
then each group) with a two-sided permutation p and the one-sided p of rho < 0: does a draw that fits the recordings better turn
with the motion more often?
``--plot PNG`` draws that relation, one panel per coherence.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np

from nervous_systems.yaml_file import YAMLFileError, load_yaml
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
        out.append({"coherence": coh, **compare(va, vb, a, b, rng)})
    return out


def compare(va: np.ndarray, vb: np.ndarray, a: str, b: str, rng: np.random.Generator) -> dict:
    """mean(va) - mean(vb), its 95 % bootstrap CI (each group's draws resampled independently) and
    the one-sided permutation p of H1: mean(va) > mean(vb) (group labels permuted)."""
    diff, lo, hi = bootstrap_diff_ci(va, vb, n_boot=N_BOOT, rng=rng)
    pooled = np.concatenate([va, vb])
    perm = np.array([(lambda q: q[:len(va)].mean() - q[len(va):].mean())(rng.permutation(pooled))
                     for _ in range(N_BOOT)])
    p = float((np.sum(perm >= diff) + 1) / (N_BOOT + 1))
    return {"a": a, "b": b, "n_a": len(va), "n_b": len(vb), "difference": diff, "ci_low": lo, "ci_high": hi,
            "p_one_sided": p}


def fit_entries(path, loss_version: str = "rest") -> dict[str, dict]:
    """``{"brain/draw": entry}`` of a fits YAML (``models/integrator_fits.yaml`` layout: ``fits:
    {"brain/draw": {loss, loss_version, overrides, ...}}``), the entries of a grouped brain with that
    ``loss_version``. A file that is not such a YAML is a one-line ValueError naming it."""
    try:
        fits = load_yaml(path)["fits"]
        for k in fits:
            int(k.partition("/")[2])
        out = {k: e for k, e in fits.items()
               if k.partition("/")[0] in GROUPS and e.get("loss_version") == loss_version}
        for e in out.values():
            float(e["loss"])
    except (OSError, YAMLFileError, KeyError, TypeError, ValueError, AttributeError) as exc:
        raise ValueError(f"{path}: not an integrator fits YAML with 'fits: {{brain/draw: {{loss, loss_version}}}}' "
                         f"({exc.__class__.__name__})") from None
    return out


def fit_losses(path, loss_version: str = "rest") -> dict[str, list[tuple[str, int, float]]]:
    """Per group, the (brain, draw, fit loss) of every entry of :func:`fit_entries`, sorted by
    brain and draw."""
    entries = [(k.partition("/")[0], int(k.partition("/")[2]), e) for k, e in fit_entries(path, loss_version).items()]
    groups: dict[str, list[tuple[str, int, float]]] = {}
    for brain, draw, e in sorted(entries, key=lambda x: (x[0], x[1])):
        groups.setdefault(GROUPS[brain], []).append((brain, draw, float(e["loss"])))
    return groups


def paired_by_group(per_draw_rows: list[dict], coherence: float, x_of) -> dict[str, list[tuple[float, float]]]:
    """Per group (no-integrator-edges left out), the (x, P(with)) of every draw at ``coherence`` of
    :func:`draw_level` rows for which ``x_of(brain, draw)`` is not None, in the rows' order."""
    pairs: dict[str, list[tuple[float, float]]] = {}
    for r in per_draw_rows:
        if r["coherence"] != coherence or r["group"] == "no-integrator-edges":
            continue
        for d in r["draws"]:
            x = x_of(d["brain"], d["draw"])
            if x is not None:
                pairs.setdefault(r["group"], []).append((x, d["value"]))
    return pairs


def markdown_fit_losses(groups: dict, seed: int = 0) -> str:
    """The fit-loss table per group and the one-sided comparison block-shuffled > CLEM."""
    rng = np.random.default_rng(seed)
    lines = ["| group | draws | mean fit loss [95 % CI over draws] | range | per draw |", "|---|---|---|---|---|"]
    for group in ("CLEM block model", "block-shuffled", "no-integrator-edges"):
        draws = groups.get(group, [])
        if not draws:
            continue
        vals = np.array([v for _, _, v in draws])
        mean, lo, hi = bootstrap_ci(vals, n_boot=N_BOOT, rng=rng, min_n=2)
        ci = f"[{lo:.2f}, {hi:.2f}]" if len(vals) > 1 else "(one draw)"
        per = ", ".join(f"{b.replace('sbm-redraw', 'sbm')}/{d} {v:.2f}" for b, d, v in draws)
        lines.append(f"| {group} | {len(vals)} | {mean:.2f} {ci} | {vals.min():.2f}–{vals.max():.2f} | {per} |")
    a, b = groups.get("block-shuffled", []), groups.get("CLEM block model", [])
    if len(a) >= 2 and len(b) >= 2:
        d = compare(np.array([v for *_, v in a]), np.array([v for *_, v in b]), "block-shuffled", "CLEM block model", rng)
        lines += ["", "| fit loss difference (draws) | mean difference [95 % CI, draws resampled] | one-sided permutation p |",
                  "|---|---|---|",
                  f"| {d['a']} ({d['n_a']}) − {d['b']} ({d['n_b']}) | {d['difference']:+.2f} "
                  f"[{d['ci_low']:+.2f}, {d['ci_high']:+.2f}] | {d['p_one_sided']:.4f} |"]
    return "\n".join(lines)


def loss_behaviour(per_draw_rows: list[dict], groups: dict, seed: int = 0) -> list[dict]:
    """Per coherence and set of draws (both groups pooled, then each): Spearman's rho between the
    draws' fit loss and their P(with), with a two-sided permutation p (P(with) permuted over the
    draws) and the one-sided p of H1: rho < 0 (a better fit, i.e. a lower loss, turns with the
    motion more often) from the same permutations. Only draws present in both; a set needs at
    least 4 draws."""
    loss = {(b, d): v for draws in groups.values() for b, d, v in draws}
    rng = np.random.default_rng(seed)
    out = []
    cohs = sorted({r["coherence"] for r in per_draw_rows})
    for coh in cohs:
        pairs = paired_by_group(per_draw_rows, coh, lambda b, d: loss.get((b, d)))
        sets = [("CLEM and block-shuffled", [x for g in ("CLEM block model", "block-shuffled") for x in pairs.get(g, [])])]
        sets += [(g, pairs.get(g, [])) for g in ("CLEM block model", "block-shuffled")]
        for name, xy in sets:
            if len(xy) < 4:
                continue
            x, y = np.array(xy).T
            r = spearman_permutation(x, y, rng)
            out.append({"coherence": coh, "draws": name, "n": len(xy), "rho": r["rho"],
                        "p_two_sided": r["p_two_sided"], "p_one_sided_negative": r["p_negative"],
                        "loss": x.tolist(), "p_with": y.tolist()})
    return out


def spearman_permutation(x, y, rng: np.random.Generator, n_perm: int = N_BOOT) -> dict:
    """Spearman's rho of (x, y) over draws with permutation p values (y permuted over the draws,
    ``n_perm`` times): two-sided, one-sided for rho < 0 and one-sided for rho > 0; all nan when x or
    y is constant (rho undefined)."""
    from scipy.stats import spearmanr

    x, y = np.asarray(x, float), np.asarray(y, float)
    rho = float(spearmanr(x, y).statistic)
    if np.isnan(rho):   # x or y constant over the draws: no ranking, so no p either
        return {"rho": rho, "p_two_sided": float("nan"), "p_negative": float("nan"), "p_positive": float("nan")}
    perm = np.array([spearmanr(x, rng.permutation(y)).statistic for _ in range(n_perm)])
    return {"rho": rho,
            "p_two_sided": float((np.sum(np.abs(perm) >= abs(rho) - 1e-12) + 1) / (n_perm + 1)),
            "p_negative": float((np.sum(perm <= rho + 1e-12) + 1) / (n_perm + 1)),
            "p_positive": float((np.sum(perm >= rho - 1e-12) + 1) / (n_perm + 1))}


GROUP_COLOURS = {"CLEM block model": "tab:blue", "block-shuffled": "tab:orange"}


def plot_loss_behaviour(rows: list[dict], path, title: str = "") -> None:
    """One panel per coherence: each draw's fit loss against its P(turn with the motion), CLEM and
    block-shuffled draws in their colours, each group's Spearman rho and one-sided p (rho < 0) in
    the legend."""
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    cohs = sorted({r["coherence"] for r in rows})
    if not cohs:
        raise ValueError("no coherence has 4 or more draws with both a fit loss and a P(with): nothing to plot")
    fig, axes = plt.subplots(1, len(cohs), figsize=(4.6 * len(cohs), 4.0), squeeze=False)
    for ax, coh in zip(axes[0], cohs):
        for r in rows:
            if r["coherence"] != coh or r["draws"] not in GROUP_COLOURS:
                continue
            ax.scatter(r["loss"], r["p_with"], color=GROUP_COLOURS[r["draws"]], s=28,
                       label=f"{r['draws']} ({r['n']}): rho {r['rho']:+.2f}, p(rho<0) {r['p_one_sided_negative']:.3f}")
        ax.axhline(0.5, color="0.7", lw=0.8)
        ax.set(xlabel="integrator fit loss (lower = closer to the recordings)",
               ylabel="P(turn > 10° with the motion)", ylim=(-0.03, 1.03),
               title=f"{coh * 100:.0f} % coherence")
        ax.legend(fontsize=7, loc="lower left")
    if title:
        fig.suptitle(title, fontsize=9)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def markdown_loss_behaviour(rows: list[dict]) -> str:
    lines = ["| coherence | draws | n | Spearman rho, fit loss vs P(with) | two-sided permutation p "
             "| one-sided p (rho < 0) |",
             "|---|---|---|---|---|---|"]
    for r in rows:
        lines.append(f"| {r['coherence'] * 100:.0f} % | {r['draws']} | {r['n']} | {r['rho']:+.2f} "
                     f"| {r['p_two_sided']:.3f} | {r['p_one_sided_negative']:.3f} |")
    return "\n".join(lines)


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
    p.add_argument("scorecard", nargs="*",
                   help="omr_closed_loop scorecard JSONs (e.g. organisms/zebrafish/figures/omr60.json); their "
                        "per-draw rows are pooled (a (brain, draw, coherence) in two files is an error)")
    p.add_argument("--measure", default="p_with", choices=["p_with", "p_with_all_bouts"],
                   help="turns > 10 deg (p_with, default) or all bouts")
    p.add_argument("--fits", metavar="YAML", help="compare the draws' fit losses in this fits YAML instead "
                   "(e.g. organisms/zebrafish/models/integrator_fits.yaml)")
    p.add_argument("--loss-version", default="rest", help="with --fits: the entries' loss_version (default rest)")
    p.add_argument("--plot", metavar="PNG", help="with scorecards and --fits: also draw fit loss against P(with), "
                   "one panel per coherence, into this PNG")
    a = p.parse_args(argv)
    if not (a.fits or a.scorecard):
        p.error("give scorecard JSONs, --fits YAML, or both")
    if a.plot and not (a.fits and a.scorecard):
        p.error("--plot needs both scorecard JSONs and --fits YAML")
    if a.fits and a.scorecard:
        try:
            groups = fit_losses(a.fits, a.loss_version)
            rows = draw_level(read_per_draw(a.scorecard), a.measure)
        except ValueError as exc:
            print(f"error: {exc}", file=sys.stderr)
            return 2
        lb = loss_behaviour(rows, groups)
        print(markdown_loss_behaviour(lb))
        if a.plot:
            try:
                plot_loss_behaviour(lb, a.plot, title=", ".join(Path(x).name for x in a.scorecard))
            except ValueError as exc:
                print(f"error: --plot {a.plot}: {exc}", file=sys.stderr)
                return 2
            print(f"wrote {a.plot}", file=sys.stderr)
        return 0
    if a.fits:
        try:
            groups = fit_losses(a.fits, a.loss_version)
        except ValueError as exc:
            print(f"error: {exc}", file=sys.stderr)
            return 2
        print(markdown_fit_losses(groups))
        return 0
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
