"""The perturbation benchmark (``celegans/perturbations``): literature ablation and activation
phenotypes, reproduced in silico as intact vs perturbed on the SAME seeds.

Library: ``tasks/chemotaxis/reference/perturbations_celegans.yaml`` (versioned; each entry: id,
citation with DOI, the perturbation — ``lesion`` (neurons removed with all their synapses, as
after a laser ablation) or ``activate`` (neurons held depolarised by ``activate_mV`` for the
whole episode, the brain's ``activate`` option) — task, metric, expected direction). Nothing in
it is fitted to.

Protocol: one sweep (``runners/execution/sweep.py``, resumable, process pool or Dask) with the intact
brain and one condition per distinct perturbation, every condition on the same seeds; a seed is
one animal, so each perturbed episode has an intact twin with the same initial state and noise
seed. Per entry:

* per-episode metric (``reversal_rate``, ``forward_fraction``, ``backward_fraction`` =
  1 - ``forward_fraction``, ``approach``, any feature of the task's extractor): the paired effect
  is the mean over seeds of (perturbed − intact), with a percentile bootstrap 95% CI over seeds;
  seeds whose metric is undefined in either twin are dropped;
* population metric (``chemotaxis_index``): effect = CI(perturbed) − CI(intact), the bootstrap
  resampling the shared seeds jointly (paired).

Verdict (``phenotype_verdict``):

* ``insufficient data``: fewer than ``min_pairs`` usable pairs, or the intact brain does not show
  the behaviour whose change is tested (e.g. a *decrease* of a reversal rate that is already 0 in
  every intact episode, a decrease of a chemotaxis index that is ≤ 0): no perturbation could reproduce
  the phenotype, so its absence says nothing;
* ``reproduced``: the CI excludes 0 on the expected side;
* ``opposite``: the CI excludes 0 on the other side;
* ``no detectable effect``: otherwise; also when at least half of the animals that move intact
  never move perturbed and the metric is a fraction of the moving time (``forward_fraction``,
  ``backward_fraction``): a stopped animal does not change the direction it moves, so the
  phenotype is not reproduced (it would otherwise drop out of the pairs as undefined and leave
  ``insufficient data``).

For the ``cgym suite`` benchmark rows these map to ``pass`` / ``fail`` / ``not distinguishable``
/ ``insufficient data``.

    python -m runners.execution.perturbation --brain connectome --seeds 0-7 --duration 60 \\
        --out runs/perturbations
"""

from __future__ import annotations

import argparse
import math
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

import numpy as np

from tasks.benchmarks import BenchmarkSpec, register_benchmark
from tasks.statistics import bootstrap_ci

from ..io import recording as rec_io
from . import sweep as sweep_mod
from .perturbation_library import (  # noqa: F401  (the library's names, used by callers of this module too)
    LIBRARY,
    WINDOW_METRICS,
    PerturbationLibraryError,
    Phenotype,
    PhenotypeLibrary,
    load_library,
)
from .sweep_spec import Condition, SweepSpec

BENCHMARK = "celegans/perturbations"
POPULATION_METRICS = ("chemotaxis_index",)
DERIVED_METRICS = {"backward_fraction": ("forward_fraction", lambda x: 1.0 - x)}
VERDICT_TO_ROW = {"reproduced": "pass", "opposite": "fail",
                  "no detectable effect": "not distinguishable",
                  "insufficient data": "insufficient data"}


# ============================================================================ statistics

def metric_values(features: list[dict | None], metric: str) -> np.ndarray:
    base, fn = DERIVED_METRICS.get(metric, (metric, None))
    out = []
    for f in features:
        v = np.nan if not f else f.get(base, np.nan)
        try:
            v = float(v)
        except (TypeError, ValueError):
            v = np.nan
        out.append(fn(v) if fn is not None and np.isfinite(v) else v)
    return np.asarray(out, float)


def _population(metric: str, features: list[dict]) -> float:
    from tasks.chemotaxis.features import chemotaxis_index
    if metric == "chemotaxis_index":
        return float(chemotaxis_index(features, n_boot=0)["value"]) if features else np.nan
    raise ValueError(metric)


def paired_effect(intact: list[dict | None], perturbed: list[dict | None], metric: str,
                  n_boot: int = 2000, seed: int = 0) -> dict:
    """Paired effect (perturbed − intact) of ``metric`` over seeds with a percentile-bootstrap 95% CI
    (:func:`tasks.statistics.bootstrap_ci`; seed pairs resampled, ``n_boot`` resamples, ``seed``)."""
    if metric in POPULATION_METRICS:
        keep = [i for i, (a, b) in enumerate(zip(intact, perturbed)) if a and b]
        n = len(keep)
        if n == 0:
            return {"n": 0, "intact": np.nan, "perturbed": np.nan, "effect": np.nan,
                    "ci": [np.nan, np.nan], "intact_values": [], "perturbed_values": []}
        A = [intact[i] for i in keep]
        B = [perturbed[i] for i in keep]
        vi, va = _population(metric, A), _population(metric, B)
        _, *ci = bootstrap_ci(np.arange(n), lambda idx: (_population(metric, [B[j] for j in idx]) -
                                                         _population(metric, [A[j] for j in idx])),
                              n_boot=n_boot, rng=seed)
        ivals = metric_values(A, "in_target_end") - metric_values(A, "in_control_end")
        avals = metric_values(B, "in_target_end") - metric_values(B, "in_control_end")
        return {"n": n, "intact": vi, "perturbed": va, "effect": va - vi, "ci": ci,
                "intact_values": ivals.tolist(), "perturbed_values": avals.tolist()}
    a = metric_values(intact, metric)
    b = metric_values(perturbed, metric)
    ok = np.isfinite(a) & np.isfinite(b)
    a, b = a[ok], b[ok]
    n = int(a.size)
    if n == 0:
        return {"n": 0, "intact": np.nan, "perturbed": np.nan, "effect": np.nan,
                "ci": [np.nan, np.nan], "intact_values": [], "perturbed_values": []}
    d = b - a
    _, *ci = bootstrap_ci(d, n_boot=n_boot, rng=seed, min_n=2)
    return {"n": n, "intact": float(a.mean()), "perturbed": float(b.mean()),
            "effect": float(d.mean()), "ci": [float(ci[0]), float(ci[1])],
            "intact_values": a.tolist(), "perturbed_values": b.tolist()}


def _intact_shows_behaviour(ph: Phenotype, eff: dict) -> tuple[bool, str]:
    """Can the intact brain show the phenotype at all? A decrease needs something to decrease."""
    vals = np.asarray(eff["intact_values"], float)
    if ph.metric in POPULATION_METRICS:
        if ph.direction == "decrease" and not eff["intact"] > 0:
            return False, (f"intact {ph.metric} = {eff['intact']:.3g} ≤ 0: no chemotaxis to "
                           f"abolish")
        return True, ""
    if ph.direction == "decrease":
        if ph.metric in ("reversal_rate", "backward_fraction", "pirouette_rate") and \
                not np.any(vals > 0):
            return False, f"intact {ph.metric} is 0 in every episode: nothing to decrease"
        if ph.metric == "forward_fraction" and not np.any(vals > 0):
            return False, "the intact worm never moves forward: nothing to decrease"
        if ph.metric == "approach" and not np.mean(vals) > 0:
            return False, (f"intact approach = {np.mean(vals):.3g} ≤ 0: no progress up the "
                           f"gradient to abolish")
    if ph.direction == "increase":
        if ph.metric in ("forward_fraction",) and np.all(vals >= 1.0):
            return False, "intact forward_fraction is already 1 in every episode"
    return True, ""


def unreached(intact: list[dict | None], perturbed: list[dict | None], min_pairs: int = 4) -> bool:
    """True when every usable pair has identical features: nothing the perturbation touched is in
    the brain (a lesion of neurons the brain already lacks), so the entry tests nothing."""
    pairs = [(a, b) for a, b in zip(intact, perturbed) if a and b]
    return len(pairs) >= min_pairs and all(a == b for a, b in pairs)


MOVING_TIME_METRICS = ("forward_fraction", "backward_fraction")


def stopped(intact: list[dict | None], perturbed: list[dict | None]) -> tuple[int, int]:
    """(k, n): of the n animals that move when intact (``forward_fraction`` defined: some moving
    time), k never move when perturbed. A metric that is a fraction of the moving time is undefined
    for them, so the paired effect drops them; but an animal that stops shows no change in the
    direction it moves, which is what a forward- or backward-fraction phenotype asserts."""
    pairs = [(a, b) for a, b in zip(intact, perturbed)
             if a and b and a.get("forward_fraction") is not None]
    return sum(b.get("forward_fraction") is None for _, b in pairs), len(pairs)


def verdict(ph: Phenotype, eff: dict, min_pairs: int = 4) -> tuple[str, str]:
    if eff["n"] < min_pairs:
        return "insufficient data", f"{eff['n']} usable pair(s) < {min_pairs}"
    ok, why = _intact_shows_behaviour(ph, eff)
    if not ok:
        return "insufficient data", why
    lo, hi = eff["ci"]
    if not (math.isfinite(lo) and math.isfinite(hi)):
        return "insufficient data", "no bootstrap CI"
    want = 1 if ph.direction == "increase" else -1
    if lo > 0 or hi < 0:
        sign = 1 if lo > 0 else -1
        return ("reproduced", "") if sign == want else ("opposite", "")
    return "no detectable effect", "95% CI includes 0"


def collect_window_features(row: list[tuple[Path, dict] | None],
                            window: tuple[float, float]) -> list[dict | None]:
    """Per seed of one condition's row of :func:`runners.execution.fit.episode_records`,
    :func:`tasks.chemotaxis.features.window_features` of the episode inside ``window``, read from
    its recording; None where the episode failed or has no recording."""
    from tasks.chemotaxis.features import window_features

    out = []
    for pr in row:
        npz = (pr[1].get("files") or {}).get("npz") if pr else None
        if not npz:
            out.append(None)
            continue
        z = rec_io.load_npz(pr[0].parent / npz)
        out.append(window_features({k: z[k] for k in ("t", "centerline")}, *window))
    return out


def judge(ph: Phenotype, intact: list[dict | None], perturbed: list[dict | None], eff: dict,
          min_pairs: int = 4, episodes: tuple[list, list] | None = None) -> tuple[str, str]:
    """An entry's verdict and its reason, from the paired episodes: a perturbation that changes
    nothing tests nothing (:func:`unreached`, on the whole-episode features ``episodes`` =
    (intact, perturbed) where ``intact``/``perturbed`` are measured in a pulse window); animals
    that stop show no change in the direction they move (:func:`stopped`); otherwise
    :func:`verdict` on the paired effect."""
    if unreached(*(episodes or (intact, perturbed)), min_pairs):
        return "insufficient data", ("every perturbed episode equals its intact twin: the "
                                     "perturbation does not reach this brain (its neurons are "
                                     "absent, e.g. already lesioned)")
    k_stop, n_move = stopped(intact, perturbed)
    if ph.metric in MOVING_TIME_METRICS and n_move >= min_pairs and 2 * k_stop >= n_move:
        return "no detectable effect", (f"{k_stop} of {n_move} perturbed animals never move, so "
                                        f"they show no change in the direction they move: not "
                                        f"reproduced")
    return verdict(ph, eff, min_pairs)


# ============================================================================ the run

def _seeds_list(seeds) -> list[int]:
    return [int(s) for s in seeds]


def run_perturbations(brain: str = "connectome", brain_options: dict | None = None,
                      out: str | Path = "runs/perturbations", *, seeds: list[int],
                      duration: float = 60.0, library: str | Path = LIBRARY,
                      only: list[str] | None = None, workers: int | None = None,
                      dask_local: int | None = None, scheduler: str | None = None,
                      progress: bool = True, min_pairs: int = 4, task_options: dict | None = None,
                      log: Callable[[str], None] | None = None) -> dict:
    """Run intact + every distinct perturbation of the library on ``seeds`` and score each entry."""
    lib = load_library(library)
    entries = [e for e in lib.entries if not only or e.id in only]
    if only:
        missing = sorted(set(only) - {e.id for e in entries})
        if missing:
            raise PerturbationLibraryError(f"--only: no entries {missing} in {lib.path}")
    tasks = sorted({e.task for e in entries})
    if len(tasks) != 1:
        raise PerturbationLibraryError(f"{lib.path}: entries span several tasks {tasks}; run "
                                       f"them one task at a time")
    task = tasks[0]
    base = dict(brain_options or {})
    for k in ("lesion", "activate", "activate_mV", "activate_window_s"):
        if base.get(k) not in (None, [], ()):
            raise PerturbationLibraryError(f"brain_options.{k}: the benchmark sets the "
                                           f"perturbations itself; run it on an unperturbed brain")
    # one condition per distinct perturbation: key -> (folder label, its brain options)
    perturbations: dict[tuple, tuple[str, dict]] = {(): ("intact", {})}
    for e in entries:
        if e.window_s is not None and e.window_s[1] > float(duration):
            raise PerturbationLibraryError(f"{lib.path}: entry {e.id!r}: its window ends at "
                                           f"{e.window_s[1]:g} s, after the episode "
                                           f"(--duration {float(duration):g})")
        mv = "" if e.activate_mV is None else f"@{e.activate_mV:g}mV"
        win = "" if e.window_s is None else f"@{e.window_s[0]:g}-{e.window_s[1]:g}s"
        perturbations.setdefault(e.key, (f"{e.manipulation}-" + "+".join(e.key[1]) + mv + win,
                                         e.brain_options()))
    labels = {key: label for key, (label, _) in perturbations.items()}
    conds = []
    for label, extra in perturbations.values():
        opts = {**base, **extra}
        conds.append(Condition(task=task, brain=brain, brain_options=opts,
                               task_options=dict(task_options or {}), duration=float(duration),
                               record_rate_hz=None, label=label))
    sweep = SweepSpec(conditions=conds, seeds=_seeds_list(seeds), name="celegans-perturbations",
                      wcon=False, source=lib.path, raw={"library": lib.name,
                                                        "version": lib.version})
    out_dir = Path(out)
    summ = sweep_mod.run_sweep(sweep, out_dir / "episodes", workers=workers,
                               dask_local=dask_local, scheduler=scheduler, progress=progress,
                               log=log)
    from .fit import episode_records, record_features
    records = dict(zip(labels.values(), episode_records(out_dir / "episodes", sweep)))
    feats = {label: record_features(row) for label, row in records.items()}
    windowed: dict[tuple[str, tuple[float, float]], list[dict | None]] = {}

    def in_window(label: str, window: tuple[float, float]) -> list[dict | None]:
        """A condition's recordings measured inside a pulse window, read once per window (the
        intact twins serve every pulse entry)."""
        if (label, window) not in windowed:
            windowed[(label, window)] = collect_window_features(records[label], window)
        return windowed[(label, window)]

    rows, table = [], []
    for e in entries:
        whole = (feats["intact"], feats[labels[e.key]])
        if e.window_s is None:
            intact, perturbed = whole
        else:  # a pulse: both twins measured inside it, from their recordings
            intact, perturbed = in_window("intact", e.window_s), in_window(labels[e.key], e.window_s)
        eff = paired_effect(intact, perturbed, e.metric)
        v, why = judge(e, intact, perturbed, eff, min_pairs, episodes=whole)
        table.append({"id": e.id, "perturbation": e.label, "metric": e.metric,
                      "expected": e.direction, "strength": e.strength, **eff,
                      "verdict": v, "why": why, "source": e.citation,
                      "verification": e.verification})
        rows.append({"metric": e.id, "label": e.description,
                     "unit": f"Δ {e.metric} (perturbed − intact)", "model": eff["effect"],
                     "ci": eff["ci"], "reference": 1.0 if e.direction == "increase" else -1.0,
                     "ceiling": None,
                     "score": {"reproduced": 1.0, "opposite": 0.0,
                               "no detectable effect": 0.0}.get(v),
                     "n": eff["n"], "verdict": VERDICT_TO_ROW[v], "phenotype_verdict": v,
                     "why": why, "intact": eff["intact"], "perturbed": eff["perturbed"],
                     "perturbation": e.label,
                     "source": e.citation})
    n_failed = sum(x is None for f in feats.values() for x in f)
    result = {
        "schema": "cgym.benchmark/1", "benchmark": BENCHMARK, "brain": brain,
        "brain_info": {"brain_options": base},
        "rows": rows,
        "notes": [f"library {lib.name} v{lib.version} (sha256 {lib.content_hash[:12]}), "
                  f"{len(entries)} phenotype(s), {len(labels) - 1} perturbed condition(s) + intact",
                  f"{len(seeds)} seed(s) × {duration:g} s per condition, the same seeds for "
                  f"intact and every perturbation (one seed = one animal); {n_failed} failed "
                  f"episode(s)",
                  "lesion: the neurons and all their synapses removed; activate: the neurons held "
                  "depolarised for the whole episode, or for the pulse given in its label (the "
                  "metric then measured in the pulse, in the intact twin over the same seconds)",
                  "effect = mean over seeds of (perturbed − intact), 95% CI: percentile bootstrap "
                  "over seeds (2000 resamples); population metrics resample seeds jointly",
                  "reference = expected sign of the effect (+1 increase, −1 decrease); "
                  "not fitted to"],
        "figures": [], "labels": [],
        "library": {"name": lib.name, "version": lib.version, "content_hash": lib.content_hash,
                    "path": lib.path},
        "seeds": _seeds_list(seeds), "duration_s": float(duration), "table": table,
        "intact_summary": intact_summary(feats["intact"]),
        "sweep_dir": str(out_dir / "episodes"), "executor": summ.executor,
        "git_commit": rec_io.git_commit(), "command_line": rec_io.command_line(),
    }
    out_dir.mkdir(parents=True, exist_ok=True)
    rec_io.atomic_write_json(out_dir / "perturbations.json", result)
    rec_io.atomic_write_bytes(out_dir / "perturbations.md", markdown_table(result).encode())
    return result


def _unrun_row(e: Phenotype, why: str) -> dict:
    return {"metric": e.id, "label": e.description, "unit": f"Δ {e.metric} (perturbed − intact)",
            "model": None, "ci": [None, None],
            "reference": 1.0 if e.direction == "increase" else -1.0, "ceiling": None,
            "score": None, "n": 0, "verdict": "insufficient data",
            "phenotype_verdict": "insufficient data", "why": why, "source": e.citation}


def benchmark_run(brain: str, brain_options: dict, out: Path, *, seeds: list[int],
                  quick: bool = False, progress: bool = True, library: str | Path = LIBRARY,
                  workers: int | None = None) -> dict:
    """``cgym suite`` entry point (BenchmarkSpec run signature). quick: 20 s episodes, and the
    entries whose pulse window ends later are reported as not run.

    A brain that cannot be perturbed (no neurons: null, random, reflex, an RL policy) gets every
    row as "insufficient data" with the reason, not an error."""
    from .sweep_spec import SweepError
    lib = load_library(library)
    duration = 20.0 if quick else 60.0
    late = [e for e in lib.entries if e.window_s is not None and e.window_s[1] > duration]
    try:
        res = run_perturbations(brain, brain_options, out, seeds=seeds, duration=duration,
                                only=[e.id for e in lib.entries if e not in late] if late else None,
                                library=library, workers=workers, progress=progress)
    except SweepError as exc:
        why = f"brain {brain!r} cannot run the perturbations: {exc}"
        return {"schema": "cgym.benchmark/1", "benchmark": BENCHMARK, "brain": brain,
                "brain_info": {"brain_options": dict(brain_options or {})},
                "rows": [_unrun_row(e, why) for e in lib.entries],
                "notes": [why], "figures": [], "labels": [],
                "library": {"name": lib.name, "version": lib.version,
                            "content_hash": lib.content_hash, "path": lib.path}}
    res["rows"] += [_unrun_row(e, f"not run: its pulse window ends at {e.window_s[1]:g} s, after "
                                  f"the {duration:g} s episodes of this run") for e in late]
    return res


def _fmt(x) -> str:
    return "-" if x is None or (isinstance(x, float) and not math.isfinite(x)) else f"{x:.3g}"


def markdown_table(res: dict) -> str:
    lines = [f"# {res['benchmark']}: {res['brain']}", "",
             *[f"- {n}" for n in res["notes"]], "",
             "| phenotype | perturbation | metric | expected | intact | perturbed | effect [95% CI] | n "
             "| verdict | source |",
             "|---|---|---|---|---|---|---|---|---|---|"]
    for t in res["table"]:
        lo, hi = t["ci"]
        verdict_txt = t["verdict"] + (f" ({t['why']})" if t["why"] else "")
        lines.append(f"| {t['id']} | {t['perturbation']} | {t['metric']} | {t['expected']} "
                     f"| {_fmt(t['intact'])} | {_fmt(t['perturbed'])} | {_fmt(t['effect'])} "
                     f"[{_fmt(lo)}, {_fmt(hi)}] | {t['n']} | {verdict_txt} | {t['source']} |")
    return "\n".join(lines) + "\n"


def intact_summary(features: list[dict | None]) -> dict:
    """What the intact animals do (the behaviour every phenotype changes): how many crawl (forward
    fraction >= 0.9 and >= 0.05 mm/s, the worm README's criterion) and the means over animals of
    speed, undulation frequency, forward fraction and reversal rate."""
    from organisms.c_elegans.tools.animal_spread import crawling
    ok = [f for f in features if f]
    out = {"n": len(ok), "crawling": crawling(ok) if ok else 0}
    for k in ("centroid_speed", "undulation_frequency", "forward_fraction", "reversal_rate"):
        v = metric_values(ok, k)
        out[k] = float(np.nanmean(v)) if np.isfinite(v).any() else float("nan")
    return out


SHORT_VERDICT = {"reproduced": "**reproduced**", "opposite": "opposite",
                 "no detectable effect": "no effect", "insufficient data": "n/a"}


def brain_label(res: dict) -> str:
    """A run's brain with its options, e.g. ``shuffled (shuffle_seed=2)``."""
    opts = (res.get("brain_info") or {}).get("brain_options") or {}
    return res["brain"] + (" (" + ", ".join(f"{k}={v}" for k, v in sorted(opts.items())) + ")"
                           if opts else "")


def compare_markdown(results: list[dict], sources: list[str] | None = None) -> str:
    """Phenotype × brain: each cell the paired effect [95% CI] and its verdict. The runs must share
    the library (same content hash) and seeds, so every column answers the same question."""
    if not results:
        raise PerturbationLibraryError("--compare: no runs given")
    sources = sources or [r.get("sweep_dir", "?") for r in results]
    first = results[0]
    for r, src in zip(results, sources):
        if r.get("benchmark") != BENCHMARK or "table" not in r:
            raise PerturbationLibraryError(f"{src}: not a {BENCHMARK} result (perturbations.json)")
        if any("perturbation" not in t for t in r["table"]):
            raise PerturbationLibraryError(f"{src}: written by an older version of the benchmark "
                                           f"(no perturbation column); rerun it (resumable)")
        if r["library"]["content_hash"] != first["library"]["content_hash"]:
            raise PerturbationLibraryError(
                f"{src}: library v{r['library']['version']} ({r['library']['content_hash'][:12]}) "
                f"differs from {sources[0]}'s v{first['library']['version']} "
                f"({first['library']['content_hash'][:12]}); rerun it (resumable)")
        if r.get("seeds") != first.get("seeds") or r.get("duration_s") != first.get("duration_s"):
            raise PerturbationLibraryError(f"{src}: seeds or duration differ from {sources[0]}'s")
    ids = [t["id"] for t in first["table"]]
    by = [{t["id"]: t for t in r["table"]} for r in results]
    head = ["phenotype", "perturbation", "metric", "expected"] + [brain_label(r) for r in results]
    lines = [f"# {BENCHMARK}: {len(results)} brain(s) compared", "",
             f"- library {first['library']['name']} v{first['library']['version']} "
             f"(sha256 {first['library']['content_hash'][:12]}); seeds "
             f"{first['seeds'][0]}-{first['seeds'][-1]} ({len(first['seeds'])} animals) × "
             f"{first['duration_s']:g} s per condition, the same for every brain",
             "- cell: mean paired effect (perturbed − intact) [95% bootstrap CI over seeds], "
             "verdict; no effect = the CI includes 0, or (forward/backward fraction) most "
             "perturbed animals never move; n/a = insufficient data (the intact brain lacks the "
             "behaviour to change, too few pairs, or the perturbation changes nothing)", "",
             "| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for pid in ids:
        t0 = by[0][pid]
        cells = []
        for b in by:
            t = b.get(pid)
            if t is None:
                cells.append("-")
                continue
            lo, hi = t["ci"]
            cells.append(f"{_fmt(t['effect'])} [{_fmt(lo)}, {_fmt(hi)}] "
                         f"{SHORT_VERDICT.get(t['verdict'], t['verdict'])}")
        lines.append(f"| {pid} | {t0['perturbation']} | {t0['metric']} | {t0['expected']} | "
                     + " | ".join(cells) + " |")
    counts = []
    for b in by:
        v = [t["verdict"] for t in b.values()]
        counts.append(f"{v.count('reproduced')} reproduced, {v.count('opposite')} opposite, "
                      f"{v.count('no detectable effect')} no effect, {v.count('insufficient data')} n/a")
    lines.append("| **total** | | | | " + " | ".join(counts) + " |")
    real = real_worm_values()
    lines += ["", "| intact animals (the same seeds) | " + " | ".join(brain_label(r) for r in results)
              + " | real worms (reference library) |",
              "|---|" + "---|" * (len(results) + 1)]
    summ = [r.get("intact_summary") or {} for r in results]
    for key, name, fmt in (("crawling", "crawling (forward fraction >= 0.9, >= 0.05 mm/s)", None),
                           ("centroid_speed", "speed, mm/s", ".3f"),
                           ("undulation_frequency", "undulation, Hz", ".2f"),
                           ("forward_fraction", "forward fraction", ".2f"),
                           ("reversal_rate", "reversals/min", ".2f")):
        cells = []
        for sm in summ:
            v = sm.get(key)
            if v is None or (isinstance(v, float) and not math.isfinite(v)):
                cells.append("-")
            elif fmt is None:
                cells.append(f"{v}/{sm.get('n', '?')}")
            else:
                cells.append(format(v, fmt))
        lines.append(f"| {name} | " + " | ".join(cells) + f" | {real.get(key, '-')} |")
    return "\n".join(lines) + "\n"


INTACT_REFERENCE = "celegans_chemotaxis_v1"


def real_worm_values() -> dict[str, str]:
    """What real worms do, for the intact rows of :func:`compare_markdown`: each feature's entry
    of the chemotaxis reference library as text with its citation (mean ± s.d. between animals,
    or the interval of population means); features without an entry are left out."""
    from tasks.reference import ReferenceLibraryError, load_reference

    lib = load_reference(INTACT_REFERENCE)
    out = {}
    for key in ("centroid_speed", "undulation_frequency", "forward_fraction", "reversal_rate"):
        try:
            e = lib.get(key)
        except (KeyError, ReferenceLibraryError):
            continue
        if "interval" in e.params:
            lo, hi = e.params["interval"]
            out[key] = f"{lo:g}–{hi:g} ({e.citation})"
        elif "mean" in e.params and "sd" in e.params:
            out[key] = f"{e.params['mean']:.3g} ± {e.params['sd']:.2g} s.d. ({e.citation})"
    return out


# ============================================================================ registration
# `cgym suite` lists this benchmark through tasks/benchmarks.py.
register_benchmark(BenchmarkSpec(
    name=BENCHMARK, organism="celegans", kind="perturbation",
    run="runners.execution.perturbation:benchmark_run",
    description="literature ablation and activation phenotypes reproduced as intact vs "
                "perturbed on the same seeds; paired effects with bootstrap CIs"))


# ============================================================================ CLI

def add_parser(subparsers) -> argparse.ArgumentParser:
    p = subparsers.add_parser("perturbations", help="C. elegans ablation and activation phenotype "
                              "benchmark (intact vs perturbed, same seeds)",
                              description="Literature ablation and activation phenotypes "
                              "(tasks/chemotaxis/reference/perturbations_celegans.yaml) as "
                              "intact vs perturbed brains on the same seeds; paired effects with "
                              "bootstrap CIs and a verdict per phenotype.")
    _add_arguments(p)
    p.set_defaults(func=cli_main)
    return p


def _add_arguments(p) -> None:
    p.add_argument("--brain", default="connectome", help="brain to perturb")
    p.add_argument("--brain-option", action="append", metavar="KEY=VALUE", default=[],
                   help="brain option (repeatable), e.g. shuffle_seed=2; not lesion / activate")
    p.add_argument("--seeds", default="0-7", help="seeds, e.g. 0-7 or 1,2,3 (one seed = one animal)")
    p.add_argument("--duration", type=float, default=60.0, help="seconds per episode")
    p.add_argument("--only", action="append", metavar="ID", help="run only these phenotype ids")
    p.add_argument("--out", default="runs/perturbations", help="output folder (resumable)")
    p.add_argument("--workers", type=int, default=None,
                   help="process-pool size (default: CPU count; 0 = inline)")
    p.add_argument("--dask-local", type=int, default=None, metavar="N",
                   help="run the episodes on a local Dask cluster of N worker processes")
    p.add_argument("--scheduler", default=None, metavar="ADDRESS",
                   help="run the episodes on a running Dask scheduler (tcp://HOST:PORT)")
    p.add_argument("--min-pairs", type=int, default=4,
                   help="fewer usable intact/perturbed pairs than this: insufficient data")
    p.add_argument("--library", default=str(LIBRARY), help="phenotype library YAML")
    p.add_argument("--no-progress", action="store_true", help="no progress bar")
    p.add_argument("--compare", nargs="+", metavar="RUN", default=None,
                   help="instead of running: print a phenotype × brain table of finished runs "
                        "(their perturbations.json; the same library and seeds)")
    p.add_argument("--compare-out", metavar="FILE.md", default=None,
                   help="with --compare: also write the table here")


def cli_main(args) -> int:
    from .fit import FitError, parse_brain_options, parse_seeds
    if args.compare:
        try:
            runs = []
            for d in args.compare:
                f = Path(d) / "perturbations.json" if Path(d).is_dir() else Path(d)
                try:
                    runs.append(rec_io.read_json(f))
                except (OSError, ValueError) as exc:
                    raise PerturbationLibraryError(f"{f}: cannot read: {exc}") from None
            text = compare_markdown(runs, [str(d) for d in args.compare])
        except PerturbationLibraryError as exc:
            print(f"cgym perturbations: error: {exc}", file=sys.stderr)
            return 2
        print(text)
        if args.compare_out:
            rec_io.atomic_write_bytes(Path(args.compare_out), text.encode())
        return 0
    try:
        seeds = parse_seeds(args.seeds)
        res = run_perturbations(args.brain, parse_brain_options(args.brain_option), args.out,
                                seeds=seeds, duration=args.duration, library=args.library,
                                only=args.only, workers=args.workers,
                                dask_local=args.dask_local, scheduler=args.scheduler,
                                progress=not args.no_progress, min_pairs=args.min_pairs)
    except (PerturbationLibraryError, FitError) as exc:
        print(f"cgym perturbations: error: {exc}", file=sys.stderr)
        return 2
    print(markdown_table(res))
    print(f"written: {Path(args.out) / 'perturbations.json'}, {Path(args.out) / 'perturbations.md'}")
    return 0


def main(argv=None) -> int:
    p = argparse.ArgumentParser(prog="python -m runners.execution.perturbation")
    _add_arguments(p)
    return cli_main(p.parse_args(argv))


if __name__ == "__main__":
    raise SystemExit(main())
