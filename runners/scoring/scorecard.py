"""The embodied Turing test: score runs' behaviour against a reference behaviour library.

For each run (a folder written by ``cgym run``) and each reference entry whose id matches a
feature id of the task:

Distribution metrics (entry kinds ``samples``, ``normal``, ``lognormal``, ``gamma``)
    The model sample is one value per finished episode (NaN dropped and counted; failed
    episodes count as missing). The reference is drawn at the model's sample size ``n``
    (``samples`` entries: subsampled without replacement from the per-animal values;
    parametric entries: ``entry.sample(n, rng)``), so both sides carry the same sampling noise.

    * distance ``D``: the two-sample Kolmogorov–Smirnov statistic for scalars (in [0, 1]);
      for vector-valued metrics the energy coefficient ``H = E / (2·E|X−Y|)`` with the energy
      statistic ``E = 2E|X−Y| − E|X−X'| − E|Y−Y'|`` (Székely & Rizzo), also in [0, 1] and 0
      only for identical distributions. ``D_model`` is the median of D(model, reference draw)
      over ``n_rep`` reference draws.
    * noise ceiling: ``n_rep`` times, draw ``2n`` reference animals (without replacement from
      the per-animal samples when the library has ≥ 2n of them, else with replacement — noted;
      from the distribution for parametric entries), split them into two halves of ``n`` and
      compute the same distance. Reported: median ``C50`` and 95th percentile ``C95``.
    * pass: ``D_model ≤ C95`` and ``D_model < 1`` (complete separation never passes, even
      when a tiny n lets the ceiling reach 1) (the model is no further from the reference than 95% of
      same-sized groups of real animals are from each other).
    * score: ``clip((1 − D_model) / (1 − C50), 0, 1)`` — 1 when the model is as close to the
      reference as real animals are to each other, falling linearly to 0 at maximal distance.
    * fewer than ``MIN_N`` (5) valid model values: "insufficient data", never a pass.
    * verdict (scalar metrics): pass when the model's mean is no further from the reference
      mean, in reference s.d., than 95% of groups of n real animals; fail beyond 99%; else
      inconclusive (vector metrics: the same with D). KS is reported beside it.
    * ``distance_sd``: |model mean − reference mean| / reference s.d. (Glass's Δ), with a
      bootstrap CI and its own ceiling (95th percentile for n real animals): a distance that
      keeps growing beyond the ceiling (KS saturates at 1).

Population metrics (entry kind ``population``, e.g. the chemotaxis index)
    One value for the whole run with a 95% bootstrap CI over episodes (from the task's
    population estimator: the features-module function named like the entry id, or the
    entry's ``estimator``; else the mean of the per-episode feature with a percentile
    bootstrap). Pass rule (the evidence, not the point):

    * with a reference ``threshold`` (e.g. CI ≥ 0.5 in standard plate assays): the model's
      whole 95% CI meets the threshold (pass), misses it (fail), or spans it (inconclusive);
    * with a reference ``value`` and ``interval``: the model's 95% CI overlaps the interval;
    * both when both are given. ``significant`` (CI lower bound ≥ threshold) is reported too:
      a pass that is also significant is established at the 95% level, a pass that is not
      needs more episodes.
    * score: ``clip((m − chance) / (target − chance), 0, 1)`` with target = the reference value
      (or the threshold) and chance = the entry's ``chance`` (default 0).

The scorer finds a task's extractor, figures, sections and reference library by the task
name in ``tasks.TASKS`` (package code), never from ``module:function`` strings in run.json.
``score_runs(..., against=RUN2)`` scores runs against another run's episodes (run vs run).

Aggregates per run and task: mean score over metrics, passed / total, weakest metric (lowest
score). Per organism: the mean of the task means for each brain.

A behavioural pass is not a mechanistic pass: the scorecard lists the control brains and
says so.
"""

from __future__ import annotations

import math
import sys
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Callable, Sequence

import numpy as np

from tasks.statistics import bootstrap_ci

from ..io import recording as rec_io
from .task_registry import registered_task, spec_field  # noqa: F401 (re-exported)
from .reference_entries import entry_field as _field, reference_drawer, reference_entries as _entries  # noqa: F401

PARAMETRIC_KINDS = ("normal", "lognormal", "gamma")


# ----------------------------------------------------------------------------- distances

def ks_statistic(x: np.ndarray, y: np.ndarray) -> float:
    """Two-sample Kolmogorov–Smirnov statistic sup |F_x − F_y| (in [0, 1])."""
    x = np.sort(np.asarray(x, float).ravel())
    y = np.sort(np.asarray(y, float).ravel())
    if x.size == 0 or y.size == 0:
        return float("nan")
    grid = np.concatenate([x, y])
    fx = np.searchsorted(x, grid, side="right") / x.size
    fy = np.searchsorted(y, grid, side="right") / y.size
    return float(np.max(np.abs(fx - fy)))


def _as_2d(a) -> np.ndarray:
    a = np.asarray(a, float)
    return a.reshape(-1, 1) if a.ndim == 1 else a.reshape(a.shape[0], -1)


def _mean_pairwise(a: np.ndarray, b: np.ndarray) -> float:
    return float(np.mean(np.linalg.norm(a[:, None, :] - b[None, :, :], axis=-1)))


def energy_distance(x, y) -> float:
    """Energy statistic E = 2E|X−Y| − E|X−X'| − E|Y−Y'| (Euclidean, V-statistic form) for
    samples x (n,) / (n, d) and y (m,) / (m, d). ≥ 0, and 0 for identical samples."""
    a, b = _as_2d(x), _as_2d(y)
    if a.shape[1] != b.shape[1]:
        raise ValueError(f"energy distance: dimensions differ ({a.shape[1]} vs {b.shape[1]})")
    return max(0.0, 2 * _mean_pairwise(a, b) - _mean_pairwise(a, a) - _mean_pairwise(b, b))


def energy_coefficient(x, y) -> float:
    """H = E / (2E|X−Y|) in [0, 1] (0: same distribution); 0 when all points coincide."""
    a, b = _as_2d(x), _as_2d(y)
    cross = _mean_pairwise(a, b)
    return 0.0 if cross == 0 else float(min(1.0, energy_distance(a, b) / (2 * cross)))


def distance(x, y) -> float:
    """KS for scalar samples, energy coefficient for vector samples (both in [0, 1])."""
    a, b = np.asarray(x, float), np.asarray(y, float)
    if (a.ndim <= 1 or a.shape[1:] in ((1,), ())) and (b.ndim <= 1 or b.shape[1:] in ((1,), ())):
        return ks_statistic(a, b)
    return energy_coefficient(a, b)


def distance_name(sample: np.ndarray) -> str:
    a = np.asarray(sample)
    return "KS" if a.ndim <= 1 or a.shape[1:] == (1,) else "energy coefficient"


# ----------------------------------------------------------------------------- reference

_OPS = {">=": lambda x, v: x >= v, ">": lambda x, v: x > v,
        "<=": lambda x, v: x <= v, "<": lambda x, v: x < v}


def _threshold(entry: Any) -> tuple[str, float] | None:
    thr = _field(entry, "threshold")
    if thr is None:
        return None
    if isinstance(thr, dict):
        return str(thr.get("op", ">=")), float(thr["value"])
    return ">=", float(thr)


def is_provisional(entry: Any) -> bool:
    return bool(_field(entry, "provisional", False)) or _field(entry, "status") == "provisional"


# population metrics whose estimator is not a features-module function of the same name:
# id -> (function, kwargs, key of the result holding the value)
POPULATION_ESTIMATORS = {
    "pirouette_klinokinesis_index": ("pooled_klinokinesis", {"event": "pirouette"}, "index"),
    "reversal_klinokinesis_index": ("pooled_klinokinesis", {"event": "reversal"}, "index"),
}


MIN_N = 5   # below this many valid values a metric says "insufficient data", never pass


def standardized_distance(model: np.ndarray, ref: np.ndarray) -> float:
    """|mean(model) − mean(ref)| in units of the reference's between-animal s.d. (Glass's Δ; for
    vector metrics the Euclidean norm over √trace of the reference covariance). 0 = same mean;
    it keeps growing however far the model is (unlike KS, which saturates at 1)."""
    a, b = _as_2d(model), _as_2d(ref)
    spread = float(np.sqrt(np.sum(np.var(b, axis=0, ddof=1)))) if b.shape[0] > 1 else float("nan")
    diff = float(np.linalg.norm(a.mean(axis=0) - b.mean(axis=0)))
    if not spread > 0:
        return 0.0 if diff == 0 else float("inf")
    return diff / spread


def compare_samples(model: np.ndarray, draw: Callable, n_rep: int = 200,
                    rng: np.random.Generator | None = None, n_ref: int | None = None,
                    min_n: int = MIN_N) -> dict:
    """Model sample vs reference (``draw(k, rng)``) at matched n, with split-half ceilings.

    Two distances: ``distance`` (KS / energy coefficient, in [0, 1], the pass test) and
    ``distance_sd`` (:func:`standardized_distance` against a large reference draw, with a 95%
    bootstrap CI over the model's episodes; its ceiling ``ceiling_sd`` is the 95th percentile of
    the same distance for groups of n real animals). Verdict: fewer than ``min_n`` values →
    "insufficient data"; scalar metrics: ``distance_sd`` ≤ its 95th-percentile ceiling → "pass"
    (the model's mean is as close as the mean of n real animals), > the 99th → "fail", between
    → "inconclusive"; vector metrics the same with the energy distance D and its split-half
    ceilings."""
    rng = rng or np.random.default_rng(0)
    model = np.asarray(model, float)
    n = int(model.shape[0])
    if n < min_n:
        return dict(distance=float("nan"), ceiling_median=float("nan"),
                    ceiling_p95=float("nan"), ceiling_p99=float("nan"), distance_sd=float("nan"),
                    distance_sd_ci=[float("nan"), float("nan")], ceiling_sd=float("nan"),
                    score=0.0, passed=False, n=n, status="insufficient data",
                    verdict="insufficient data",
                    note=f"{n} valid model value(s); at least {min_n} are needed")
    d_model = [distance(model, draw(n, rng)) for _ in range(n_rep)]
    ceiling, ceiling_sd = [], []
    big = draw(max(2000, 4 * n), rng)
    for _ in range(n_rep):
        both = draw(2 * n, rng)
        ceiling.append(distance(both[:n], both[n:]))
        ceiling_sd.append(standardized_distance(both[:n], big))
    dm = float(np.median(d_model))
    c50, c95, c99 = (float(v) for v in np.percentile(ceiling, [50, 95, 99]))
    dsd = standardized_distance(model, big)
    boots = [standardized_distance(model[rng.integers(0, n, n)], big) for _ in range(min(n_rep, 400))]
    dsd_ci = [float(np.percentile(boots, 2.5)), float(np.percentile(boots, 97.5))]
    score = float(np.clip((1 - dm) / (1 - c50), 0, 1)) if c50 < 1 else float(dm <= c95)
    note = ""
    if n_ref is not None and 2 * n > n_ref:
        note = (f"reference has {n_ref} animals < 2n = {2 * n}: halves drawn with replacement")
    if dm >= 1.0:
        note = (note + "; " if note else "") + "model and reference samples do not overlap"
    csd95, csd99 = (float(v) for v in np.percentile(ceiling_sd, [95, 99]))
    if distance_name(model) == "KS":
        # scalar metrics are judged on the mean in reference s.d. against groups of n real
        # animals (a model exactly at the reference mean passes, however little it varies;
        # KS would fail a deterministic model for its missing spread alone); the KS distance
        # is reported beside it
        passed = bool(dsd <= csd95)
        verdict = "pass" if passed else ("fail" if dsd > csd99 else "inconclusive")
        judged_by = "mean (s.d. distance)"
    else:
        # complete separation (D = 1) never passes, even when tiny n makes the ceiling reach 1
        passed = bool(dm <= c95 and dm < 1.0)
        verdict = "pass" if passed else ("fail" if dm > c99 or dm >= 1.0 else "inconclusive")
        judged_by = "distribution distance"
    return dict(distance=dm, ceiling_median=c50, ceiling_p95=c95, ceiling_p99=c99, score=score,
                distance_sd=dsd, distance_sd_ci=dsd_ci, ceiling_sd=csd95, ceiling_sd99=csd99,
                judged_by=judged_by,
                passed=passed, n=n, status="scored", verdict=verdict, note=note,
                distance_kind=distance_name(model))


def reference_summary(entry: Any, rng: np.random.Generator) -> dict:
    kind = _field(entry, "kind", "samples")
    if kind == "population":
        thr = _threshold(entry)
        return {"value": _field(entry, "value"), "interval": _field(entry, "interval"),
                "threshold": thr[1] if thr else None, "op": thr[0] if thr else None,
                "chance": _field(entry, "chance")}
    draw, n_ref = reference_drawer(entry)
    vals = (np.asarray(_field(entry, "samples"), float) if n_ref else draw(20000, rng))
    if vals.ndim > 1:
        return {"mean": np.mean(vals, axis=0).tolist(), "n_draw": int(vals.shape[0])}
    vals = vals[np.isfinite(vals)]
    return {"mean": float(np.mean(vals)), "sd": float(np.std(vals, ddof=1)),
            "median": float(np.median(vals)),
            "p05": float(np.percentile(vals, 5)), "p95": float(np.percentile(vals, 95))}


def _fmt(v: Any, digits: int = 3) -> str:
    if v is None:
        return "—"
    if isinstance(v, (list, tuple)):
        return "[" + ", ".join(_fmt(x, digits) for x in v) + "]"
    try:
        f = float(v)
    except (TypeError, ValueError):
        return str(v)
    if not math.isfinite(f):
        return "NaN"
    return f"{f:.{digits}g}"


def reference_text(entry: Any, summary: dict) -> str:
    kind = _field(entry, "kind", "samples")
    if kind == "population":
        parts = []
        if summary.get("value") is not None:
            iv = summary.get("interval")
            parts.append(_fmt(summary["value"]) + (f" [{_fmt(iv[0])}, {_fmt(iv[1])}]"
                                                    if iv else ""))
        elif summary.get("interval") is not None:
            iv = summary["interval"]
            parts.append(f"[{_fmt(iv[0])}, {_fmt(iv[1])}]")
        if summary.get("threshold") is not None:
            parts.append(f"{summary.get('op') or '≥'} {_fmt(summary['threshold'])}")
        txt = "; ".join(parts) or "—"
    elif "sd" in summary:
        txt = f"{_fmt(summary['mean'])} ± {_fmt(summary['sd'])} (mean ± s.d. between animals)"
    else:
        txt = f"mean {_fmt(summary.get('mean'))}"
    n_animals = _field(entry, "n_animals")
    what = {"samples": "per-animal data", "normal": "published mean and spread",
            "lognormal": "published distribution", "gamma": "published distribution",
            "population": "published population value"}.get(kind, kind)
    extra = what
    if n_animals:
        known = _field(entry, "n_animals_known", True)
        extra += f", {n_animals} animals" + ("" if known is not False
                                             else " (assumed: the source's n was not verified)")
    return f"{txt}; {extra}"


def citation_of(entry: Any) -> tuple[str, str]:
    src = _field(entry, "source") or {}
    if isinstance(src, str):
        return src, ""
    return str(_field(src, "citation", "") or ""), str(_field(src, "doi", "") or "")


# ----------------------------------------------------------------------------- population

def population_estimate(entry: Any, features_list: list[dict], features_module: Any,
                        seed: int = 0) -> dict:
    """{"value", "ci_low", "ci_high", "n", "estimator"} for a population entry."""
    eid = _field(entry, "id")
    cands = [(n, {}, "value") for n in (_field(entry, "estimator"), eid) if n]
    if eid in POPULATION_ESTIMATORS:
        cands.insert(0, POPULATION_ESTIMATORS[eid])
    for name, kwargs, key in cands:
        fn = getattr(features_module, str(name), None) if features_module else None
        if callable(fn):
            out = dict(fn(features_list, **kwargs))
            value = out.get(key, out.get("value", out.get("index")))
            return {"value": value, "ci_low": out.get("ci_low"), "ci_high": out.get("ci_high"),
                    "n": out.get("n", len(features_list)),
                    "estimator": f"{features_module.__name__}.{name}"}
    vals = np.array([f.get(eid, np.nan) for f in features_list], float)
    vals = vals[np.isfinite(vals)]
    if vals.size == 0:
        return {"value": float("nan"), "ci_low": float("nan"), "ci_high": float("nan"),
                "n": 0, "estimator": "mean of per-episode values"}
    value, lo, hi = bootstrap_ci(vals, n_boot=2000, rng=seed)  # episodes resampled
    return {"value": value, "ci_low": lo, "ci_high": hi,
            "n": int(vals.size), "estimator": "mean of per-episode values (bootstrap CI)"}


def judge_population(est: dict, entry: Any, min_n: int = MIN_N) -> dict:
    m = est.get("value")
    thr, ref_value = _threshold(entry), _field(entry, "value")
    interval = _field(entry, "interval")
    chance = float(_field(entry, "chance", 0.0) or 0.0)
    if m is None or not np.isfinite(m):
        return dict(score=0.0, passed=False, significant=False, status="insufficient data",
                    verdict="insufficient data", note="the population estimator gave no value")
    lo = est.get("ci_low") if est.get("ci_low") is not None else m
    hi = est.get("ci_high") if est.get("ci_high") is not None else m
    lo = m if not np.isfinite(lo) else lo
    hi = m if not np.isfinite(hi) else hi
    n = est.get("n")
    if n is not None and int(n) < min_n:
        return dict(score=0.0, passed=False, significant=False, status="insufficient data",
                    verdict="insufficient data",
                    note=f"{n} episode(s); at least {min_n} are needed")
    # a pass needs the evidence: the whole 95% CI on the right side, not the point value
    checks, against, notes = [], [], []
    if thr is not None:
        op, tv = thr
        good, bad = (lo, hi) if op in (">=", ">") else (hi, lo)
        ok, no = _OPS[op](good, tv), not _OPS[op](bad, tv)
        checks.append(ok)
        against.append(no)
        notes.append(f"95% CI [{_fmt(lo)}, {_fmt(hi)}] " + (f"entirely {op} {_fmt(tv)}" if ok else
                     f"entirely on the wrong side of {_fmt(tv)}" if no else f"spans {_fmt(tv)}"))
    if interval is not None and len(interval) == 2:
        overlap = hi >= float(interval[0]) and lo <= float(interval[1])
        checks.append(overlap)
        against.append(not overlap)
        notes.append("CI overlaps the reference interval" if overlap
                     else "CI outside the reference interval")
    if interval is not None and len(interval) == 2 and ref_value is None:
        target = float(np.mean(interval))
    else:
        target = ref_value if ref_value is not None else (thr[1] if thr else None)
    if target is not None and float(target) != chance:
        score = float(np.clip((m - chance) / (float(target) - chance), 0, 1))
    else:
        score = float(all(checks)) if checks else 0.0
    significant = False
    if thr is not None:
        op, tv = thr
        bound = lo if op in (">=", ">") else hi
        significant = bool(_OPS[op](bound, tv))
    if not checks:
        return dict(score=score, passed=None, significant=False, status="report only",
                    verdict="report only",
                    note="the reference states no pass criterion (value only)")
    verdict = "pass" if all(checks) else ("fail" if any(against) else "inconclusive")
    return dict(score=score, passed=verdict == "pass", significant=significant,
                status="scored", verdict=verdict, note="; ".join(notes))


# ----------------------------------------------------------------------------- runs

@dataclass
class RunData:
    path: Path
    run: dict
    episodes: list[dict]
    label: str = ""

    @property
    def task(self) -> str:
        return self.run.get("task", "?")

    @property
    def brain(self) -> str:
        return self.run.get("brain", "?")

    @property
    def ok_features(self) -> list[dict]:
        return [e.get("features") or {} for e in self.episodes if e.get("status") == "ok"]

    @property
    def n_failed(self) -> int:
        return sum(e.get("status") != "ok" for e in self.episodes)

    def brain_label(self) -> str:
        return describe_brain(self.run.get("brain_info") or {})


def _plain(v: Any) -> str:
    """A value as readable text: a dict by its name/label (never its repr), lists joined."""
    if isinstance(v, dict):
        for k in ("label", "name", "description", "id"):
            if v.get(k):
                return str(v[k])
        return ", ".join(f"{k} {_plain(x)}" for k, x in v.items() if x not in (None, "", [], {}))
    if isinstance(v, (list, tuple)):
        return ", ".join(_plain(x) for x in v)
    return str(v)


def describe_brain(info: dict) -> str:
    """A brain's ``info()`` as one readable line: "connectome Cook 2019 hermaphrodite
    (302 neurons); lesion AVAL, AVAR" — no Python dicts."""
    if not isinstance(info, dict) or not info:
        return "—"
    parts = []
    if info.get("surrogate"):
        parts.append("SURROGATE " + _plain(info.get("edge_set_label") or info.get("surrogate")))
    lead = info.get("label") or info.get("brain")
    con0 = info.get("connectome")
    if lead and not (con0 and str(lead) == "connectome"):   # not "connectome; connectome …"
        parts.append(_plain(lead))
    con = info.get("connectome") or info.get("connectome_name")
    if con:
        txt = "connectome " + _plain(con)
        if isinstance(con, dict):
            extra = [f"{con[k]} {w}" for k, w in (
                ("n_neurons", "neurons"), ("neurons", "neurons"),
                ("chemical_edges", "chemical edges"), ("gap_pairs", "gap-junction pairs"))
                if isinstance(con.get(k), (int, float))]
            h = con.get("sha256") or con.get("hash") or con.get("content_hash")
            if h:
                extra.append(f"hash {str(h)[:12]}")
            if extra:
                txt += f" ({', '.join(extra)})"
        parts.append(txt)
    pert = info.get("perturbation") if isinstance(info.get("perturbation"), dict) else {}
    for k in ("lesion", "activate"):
        v = info.get(k) or pert.get(k)
        if v not in (None, "", [], {}):
            parts.append(f"{k} {_plain(v)}")
    model = info.get("model")
    if isinstance(model, dict) and model.get("name"):
        parts.append(f"model {model['name']}")
    elif isinstance(model, str):
        parts.append(f"model {model}")
    if not parts and info.get("description"):
        parts.append(_plain(info["description"]))
    return "; ".join(parts) or "—"


def load_run(path: str | Path) -> RunData:
    path = Path(path)
    run_file = path / rec_io.RUN_FILE
    if not run_file.exists():
        raise FileNotFoundError(f"{path} is not a run folder (no {rec_io.RUN_FILE})")
    run = rec_io.read_json(run_file)
    eps = rec_io.list_episodes(path, check_npz=True, warn=lambda m: print(  # never scored from
        f"warning: {m}; left out of this scorecard", file=sys.stderr))    # stored features
    extract = _feature_extractor(run)
    for e in eps:
        e["features"] = {k: (np.nan if v is None else v)
                         for k, v in (e.get("features") or {}).items()}
        if extract is not None and e.get("status") == "ok":
            _reextract(e, extract)
    return RunData(path=path, run=run, episodes=eps)


def _feature_extractor(run: dict):
    """The registered task's feature extractor as it is now (None if not registered or it
    cannot be imported)."""
    ref = spec_field(run, "features")
    if callable(ref):
        return ref
    try:
        return rec_io.load_callable(ref)
    except (ImportError, AttributeError):
        return None


def _reextract(episode: dict, extract) -> None:
    """Recompute an episode's features from its saved trajectory, so that a scorecard always
    reflects the current extractor (the features stored at run time are a cache). Keeps the
    stored features, and notes why, where the trajectory is missing or extraction fails."""
    npz = Path(episode["_path"]).with_suffix(".npz")
    if not npz.exists():
        episode["features_source"] = "stored (no trajectory file)"
        return
    try:
        with np.load(npz) as z:
            traj = {k: z[k] for k in z.files if not k.startswith("neural_")}
        feats = extract(traj, episode.get("task_info") or {})
    except Exception as exc:  # noqa: BLE001 - a bad file must not sink the scorecard
        episode["features_source"] = f"stored (re-extraction failed: {type(exc).__name__}: {exc})"
        return
    episode["features"] = {k: (float(v) if np.ndim(v) == 0 else np.asarray(v).tolist())
                           for k, v in feats.items()}
    episode["features_source"] = "re-extracted from trajectory"


def load_reference_library(name: str):
    """``tasks.reference.load_reference(name)`` (an unversioned name means the newest version)."""
    from tasks import reference as ref
    return ref.load_reference(name)


def _features_module(run: dict):
    """The module of the registered task's feature extractor (by task name, not run.json)."""
    ref = spec_field(run, "features")
    if callable(ref):
        ref = f"{ref.__module__}:{ref.__qualname__}"
    if not ref or not isinstance(ref, str):
        return None
    import importlib
    try:
        return importlib.import_module(ref.partition(":")[0])
    except ImportError:
        return None


# ----------------------------------------------------------------------------- scorecard

@dataclass
class Scorecard:
    header: dict
    tasks: list[dict] = field(default_factory=list)
    organisms: dict = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    figures: list[str] = field(default_factory=list)
    neural: list[dict] = field(default_factory=list)   # neural benchmark sections (cgym atlas)

    def to_dict(self) -> dict:
        return rec_io.to_jsonable({"header": self.header, "tasks": self.tasks,
                                   "organisms": self.organisms, "notes": self.notes,
                                   "figures": self.figures, "neural": self.neural})

    def to_markdown(self) -> str:
        return scorecard_markdown(self)


@dataclass
class RunReferenceEntry:
    """A reference entry made of another run's per-episode values (``cgym score --against``)."""
    id: str
    samples: list
    unit: str = ""
    description: str = ""
    kind: str = "samples"
    n_animals: int = 0
    source: dict = field(default_factory=dict)
    notes: str = ""


@dataclass
class RunReference:
    name: str
    entries: list
    version: str = "run"
    content_hash: str | None = None


def run_as_reference(other: RunData, like: Any = None) -> RunReference:
    """Every scalar or vector feature of ``other``'s finished episodes as a ``samples`` entry
    (units and descriptions from the task's reference library ``like`` where ids match)."""
    known = {_field(e, "id"): e for e in _entries(like)} if like is not None else {}
    ids = sorted({k for f in other.ok_features for k in f})
    entries = []
    for eid in ids:
        vals = [np.asarray(f.get(eid, np.nan), float) for f in other.ok_features]
        vals = [v for v in vals if v.size and np.all(np.isfinite(v))]
        shapes = {v.shape for v in vals}
        if not vals or len(shapes) != 1:
            continue
        ref = known.get(eid)
        entries.append(RunReferenceEntry(
            id=eid, samples=[v.tolist() for v in vals], n_animals=len(vals),
            unit=str(_field(ref, "unit", "") or "") if ref is not None else "",
            description=str(_field(ref, "description", "") or "") if ref is not None else "",
            source={"citation": f"run {other.path} (brain {other.brain}, {len(vals)} episodes)"}))
    return RunReference(name=f"run {other.path.name}", entries=entries)


def _unique_labels(runs: list[RunData]) -> None:
    seen: dict[str, int] = {}
    for r in runs:
        seen[r.brain] = seen.get(r.brain, 0) + 1
    for r in runs:
        r.label = r.brain if seen[r.brain] == 1 else f"{r.brain} ({r.path.name})"


def score_task(task: str, runs: list[RunData], lib: Any, n_rep: int = 200,
               seed: int = 0, against: str | None = None) -> dict:
    rng = np.random.default_rng(seed)
    metrics = []
    feature_ids = set()
    for r in runs:
        for f in r.ok_features:
            feature_ids |= set(f)
    fmods = {r.label: _features_module(r.run) for r in runs}
    not_measured = []
    for entry in _entries(lib):
        eid = _field(entry, "id")
        kind = _field(entry, "kind", "samples")
        has_estimator = kind == "population" and any(
            m is not None and hasattr(m, str(_field(entry, "estimator") or eid))
            for m in fmods.values())
        if eid not in feature_ids and not has_estimator:
            not_measured.append(eid)
            continue
        citation, doi = citation_of(entry)
        summary = reference_summary(entry, rng)
        row = {"id": eid, "unit": _field(entry, "unit", ""), "kind": kind,
               "description": _field(entry, "description", ""),
               "citation": citation, "doi": doi, "n_animals": _field(entry, "n_animals"),
               "reference": summary, "reference_text": reference_text(entry, summary),
               "notes": _field(entry, "notes", ""), "provisional": is_provisional(entry),
               "runs": {}}
        for r in runs:
            feats = r.ok_features
            cell: dict[str, Any] = {"n_episodes": len(r.episodes), "n_failed": r.n_failed}
            if kind == "population":
                est = population_estimate(entry, feats, fmods[r.label], seed)
                cell.update({"model": est})
                cell.update(judge_population(est, entry))
            else:
                raw = [f.get(eid, np.nan) for f in feats]
                vals = [np.asarray(v, float) for v in raw]
                finite = [v for v in vals if np.all(np.isfinite(v))]
                cell["n_nan"] = len(vals) - len(finite)
                model = np.array(finite, float) if finite else np.zeros(0)
                if model.size:
                    cell["model"] = {"mean": np.mean(model, axis=0).tolist(),
                                     "sd": (np.std(model, axis=0, ddof=1).tolist()
                                            if len(model) > 1 else None),
                                     "n": int(len(model))}
                else:
                    cell["model"] = {"mean": None, "sd": None, "n": 0}
                draw, n_ref = reference_drawer(entry)
                cell.update(compare_samples(model, draw, n_rep, rng, n_ref))
                cell["values"] = model.tolist()
            row["runs"][r.label] = cell
        metrics.append(row)
    aggregates = {}
    for r in runs:
        cells = [(m["id"], m["runs"][r.label]) for m in metrics
                 if not m["provisional"] and m["runs"][r.label]["passed"] is not None]
        scores = [c["score"] for _, c in cells]
        weakest = min(cells, key=lambda ic: (ic[1]["score"],
                                             -(ic[1].get("distance") or 0))) if cells else None
        aggregates[r.label] = {
            "brain": r.brain, "mean_score": float(np.mean(scores)) if scores else None,
            "n_passed": int(sum(c["passed"] for _, c in cells)), "n_metrics": len(cells),
            "n_failed_metrics": int(sum(c.get("verdict") == "fail" for _, c in cells)),
            "n_inconclusive": int(sum(c.get("verdict") == "inconclusive" for _, c in cells)),
            "n_insufficient": int(sum(c.get("verdict") == "insufficient data" for _, c in cells)),
            "weakest": ({"id": weakest[0], "score": weakest[1]["score"]} if weakest else None),
            "n_episodes": len(r.episodes), "n_failed": r.n_failed}
    return {"task": task, "organism": spec_field(runs[0].run, "organism")
            or (runs[0].run.get("task_spec") or {}).get("organism"),
            "reference": {"name": getattr(lib, "name", None) or spec_field(runs[0].run, "reference"),
                          "version": getattr(lib, "version", None),
                          "content_hash": getattr(lib, "content_hash", None)},
            "runs": [{"label": r.label, "path": str(r.path), "brain": r.brain,
                      "brain_info": r.run.get("brain_info"), "brain_label": r.brain_label(),
                      "config": r.run.get("config"), "git_commit": r.run.get("git_commit"),
                      "versions": r.run.get("versions"),
                      "control": r.brain in CONTROL_BRAINS} for r in runs],
            "metrics": metrics, "not_measured": not_measured, "aggregates": aggregates,
            "sections": task_sections(runs), "against": against,
            "pairs": compare_brains(metrics, [r.label for r in runs]) if len(runs) > 1 else []}


def permutation_p(x: np.ndarray, y: np.ndarray, n_perm: int = 2000, seed: int = 0) -> float:
    """Two-sided permutation p-value of the difference of means (vectors: Euclidean norm)."""
    a, b = _as_2d(x), _as_2d(y)
    both = np.vstack([a, b])
    obs = float(np.linalg.norm(a.mean(axis=0) - b.mean(axis=0)))
    rng = np.random.default_rng(seed)
    n = a.shape[0]
    hits = 0
    for _ in range(n_perm):
        p = rng.permutation(both.shape[0])
        d = float(np.linalg.norm(both[p[:n]].mean(axis=0) - both[p[n:]].mean(axis=0)))
        hits += d >= obs - 1e-12
    return (hits + 1) / (n_perm + 1)


def compare_brains(metrics: list[dict], labels: list[str], min_n: int = MIN_N,
                   alpha: float = 0.05) -> list[dict]:
    """Every pair of runs on every per-episode metric: "different" (permutation p < alpha on
    the difference of means), "not distinguishable", or "insufficient data" (n < min_n)."""
    out = []
    for i, la in enumerate(labels):
        for lb in labels[i + 1:]:
            rows = []
            for m in metrics:
                if m["kind"] == "population":
                    continue
                va = np.asarray(m["runs"][la].get("values") or [], float)
                vb = np.asarray(m["runs"][lb].get("values") or [], float)
                if len(va) < min_n or len(vb) < min_n:
                    rows.append({"id": m["id"], "verdict": "insufficient data", "p": None})
                    continue
                pval = permutation_p(va, vb)
                rows.append({"id": m["id"], "p": pval,
                             "verdict": "different" if pval < alpha else "not distinguishable"})
            out.append({"a": la, "b": lb, "metrics": rows})
    return out


def task_sections(runs: list[RunData]) -> list[dict]:
    """Extra sections the task's spec asks for (``sections``: "module:function(runs) ->
    [{"title", "markdown", "data"}]"), e.g. a neural metric or the bridge's assumptions. A
    failing section becomes a section saying so: it must not cost the scorecard."""
    ref = spec_field(runs[0].run, "sections") if runs else None
    if not ref:
        return []
    try:
        out = rec_io.load_callable(ref)(runs) or []
        return [{"title": str(s["title"]), "markdown": str(s.get("markdown", "")),
                 "data": rec_io.to_jsonable(s.get("data"))} for s in out]
    except Exception as exc:  # noqa: BLE001
        return [{"title": "section failed", "markdown": f"`{ref}` failed: "
                 f"{type(exc).__name__}: {exc}", "data": None}]


CONTROL_BRAINS = ("null", "random", "shuffled", "reflex")


def score_runs(run_dirs: Sequence[str | Path], out_dir: str | Path | None = None,
               reference: Any = None, n_rep: int = 200, seed: int = 0,
               figures: bool = True, neural: Sequence[str | Path] = (),
               against: str | Path | None = None) -> Scorecard:
    """Score runs against their task's reference library; write scorecard.md / .json and
    figures into ``out_dir`` (when given). ``reference``: a library object to use instead of
    ``tasks.reference.load_reference(<task's reference>)``. ``neural``: atlas scorecard
    folders (``cgym atlas``) to include as neural-benchmark sections. ``against``: another run
    folder whose episodes are the reference (run vs run: e.g. the same brain with other seeds);
    a pass then reads "not distinguishable" from that run."""
    from ..io.run_dirs import expand_run_dirs  # a sweep folder scores as its condition folders
    runs = [load_run(p) for p in expand_run_dirs(run_dirs)]
    if not runs:
        raise ValueError("score: no run folders given")
    by_task: dict[str, list[RunData]] = {}
    for r in runs:
        by_task.setdefault(r.task, []).append(r)
    header = {"date": datetime.now(timezone.utc).isoformat(timespec="seconds"),
              "versions": rec_io.package_versions(), "git_commit": rec_io.git_commit(),
              "tasks": sorted(by_task), "n_rep": n_rep, "seed": seed}
    card = Scorecard(header=header)
    libs: dict[str, Any] = {}
    other = load_run(against) if against is not None else None
    for task, truns in by_task.items():
        _unique_labels(truns)
        if other is not None:
            if other.task != task:
                raise ValueError(f"--against {against}: that run is task {other.task!r}, "
                                 f"not {task!r}")
            like = None
            try:
                like = load_reference_library(spec_field(truns[0].run, "reference"))
            except Exception:  # noqa: BLE001 - units only
                pass
            lib = run_as_reference(other, like)
        elif reference is not None:
            lib = reference
        else:
            if registered_task(task) is None:
                raise ValueError(f"task {task!r} (from {truns[0].path / rec_io.RUN_FILE}) is not a "
                                 "registered task; the scorer only runs the extractors and "
                                 "references registered in package code (tasks.TASKS)")
            name = spec_field(truns[0].run, "reference")
            if not name:
                raise ValueError(f"task {task!r} registers no reference library")
            lib = load_reference_library(name)
        libs[task] = lib
        card.tasks.append(score_task(task, truns, lib, n_rep, seed,
                                     against=str(against) if other is not None else None))
    # organism aggregates: mean of the task means per brain
    for t in card.tasks:
        org = card.organisms.setdefault(t["organism"] or "?", {})
        for agg in t["aggregates"].values():
            org.setdefault(agg["brain"], []).append(agg["mean_score"])
    card.organisms = {o: {b: float(np.mean([s for s in v if s is not None]))
                          if any(s is not None for s in v) else None for b, v in d.items()}
                      for o, d in card.organisms.items()}
    brains = sorted({r.brain for r in runs})
    controls = [b for b in brains if b in CONTROL_BRAINS]
    card.notes += [
        "A behavioural pass is not a mechanistic pass: a lookup table can pass a behaviour "
        "test. Compare the connectome brain with the control brains in the same table.",
        ("Control brains in this scorecard: " + ", ".join(controls)) if controls else
        "No control brain (null, random, shuffled, reflex) in this scorecard: add one "
        "(cgym run ... --brain null) to see what the connectome adds.",
        f"Per-episode metrics: 'x s.d. from the reference mean' = |model mean − reference mean| "
        "in reference between-animal standard deviations (Glass's Δ), with a 95% bootstrap CI; "
        "it keeps growing however far off the model is. Pass = no further than the means of 95% "
        "of same-sized groups of real animals; fail = further than 99%; between = inconclusive; "
        f"fewer than {MIN_N} valid values = insufficient data. The distribution distance "
        "(Kolmogorov–Smirnov) is shown beside it; vector metrics are judged on the energy "
        "distance against split halves of the reference.",
        "Population metrics (one value per run, e.g. the chemotaxis index): pass = the whole 95% "
        "CI meets the threshold (and overlaps the reference interval where one is given); fail = "
        "the whole CI misses it; a CI that spans it is inconclusive.",
        "⚠ = provisional reference entry (primary source unverified): reported, excluded "
        "from the aggregates.",
    ]
    for r in runs:
        info = r.run.get("brain_info") or {}
        if info.get("surrogate"):
            what = info.get("edge_set_label") or info.get("surrogate")
            card.notes.append(f"Run {r.label}: uses a SURROGATE ({what}), not the real data "
                              "set: no result from it is a connectome result.")
        if r.n_failed:
            card.notes.append(f"Run {r.label}: {r.n_failed} of {len(r.episodes)} episode(s) "
                              "failed; their metrics count as missing.")
    if neural:
        from .atlas_card import atlas_section
        brains = {r.brain for r in runs}
        for path in neural:
            sec = atlas_section(path)
            if sec["brain"] not in brains:
                card.notes.append(f"Neural section from {path} is for brain {sec['brain']!r}, "
                                  f"which no behavioural run here uses ({', '.join(sorted(brains))}).")
            card.neural.append(sec)
    if out_dir is not None:
        out_dir = Path(out_dir)
        out_dir.mkdir(parents=True, exist_ok=True)
        if figures:
            try:
                from .plots import scorecard_figures
                paths = scorecard_figures(card, by_task, libs, out_dir)
                card.figures = [str(Path(p).relative_to(out_dir)) for p in paths]
            except Exception as exc:  # noqa: BLE001 - figures must not cost the scorecard
                card.notes.append(f"figures failed: {type(exc).__name__}: {exc}")
        rec_io.atomic_write_json(out_dir / "scorecard.json", card.to_dict())
        rec_io.atomic_write_bytes(out_dir / "scorecard.md", card.to_markdown().encode())
    return card


# ----------------------------------------------------------------------------- markdown

VERDICT_WORDS = {
    "pass": "pass: as close as groups of real animals are to each other",
    "fail": "fail: further than 99% of same-sized groups of real animals",
    "inconclusive": "inconclusive: between the 95th and 99th percentile of real-animal groups "
                    "(more episodes needed)",
    "insufficient data": f"insufficient data (fewer than {MIN_N} valid values)",
    "report only": "reported, not judged (the reference gives no criterion)",
}
AGAINST_WORDS = {
    "pass": "not distinguishable from the other run",
    "fail": "distinguishable: the runs differ",
    "inconclusive": "inconclusive (more episodes needed)",
}
POPULATION_WORDS = {
    "pass": "pass: the whole 95% CI meets the reference",
    "fail": "fail: the whole 95% CI misses the reference",
    "inconclusive": "inconclusive: the 95% CI spans the criterion (more episodes needed)",
}


def verdict_text(cell: dict, kind: str, against: bool = False) -> str:
    v = cell.get("verdict") or ("report only" if cell.get("passed") is None else
                                "pass" if cell.get("passed") else "fail")
    if against and v in AGAINST_WORDS:
        return AGAINST_WORDS[v]
    if kind == "population" and v in POPULATION_WORDS:
        return POPULATION_WORDS[v]
    return VERDICT_WORDS.get(v, v)


def _cell_text(row: dict, cell: dict, against: bool = False) -> str:
    unit = f" {row['unit']}" if row.get("unit") and row["unit"] != "1" else ""
    vt = verdict_text(cell, row["kind"], against)
    if cell.get("verdict") == "insufficient data" and cell.get("note"):
        vt = f"insufficient data ({cell['note']})"
    verdict = "**" + vt + "**"
    if row.get("provisional") and cell.get("passed") is not None:
        verdict += " (provisional reference: not counted)"
    if row["kind"] == "population":
        m = cell.get("model") or {}
        return (f"{_fmt(m.get('value'))}{unit}, 95% CI {_fmt(m.get('ci_low'))} to "
                f"{_fmt(m.get('ci_high'))} ({m.get('n')} episodes) — {verdict}")
    m = cell.get("model") or {}
    n = m.get("n", 0)
    if n == 0:
        val = "no valid value"
    else:
        val = f"{_fmt(m.get('mean'))}" + (f" ± {_fmt(m.get('sd'))}" if m.get("sd") is not None
                                          else "") + unit
    val += f" ({n} episodes" + (f", {cell['n_nan']} without a value" if cell.get("n_nan") else "") + ")"
    if cell.get("status") != "scored":
        return f"{val} — {verdict}"
    ci = cell.get("distance_sd_ci") or [None, None]
    who = "the other run's episodes" if against else "real animals"
    return (f"{val}; {_fmt(cell.get('distance_sd'), 2)} s.d. from the reference mean "
            f"(95% CI {_fmt(ci[0], 2)} to {_fmt(ci[1], 2)}; groups of {n} {who}: up to "
            f"{_fmt(cell.get('ceiling_sd'), 2)}); distribution distance "
            f"{_fmt(cell['distance'], 2)} ({who}: up to {_fmt(cell['ceiling_p95'], 2)}) — {verdict}")


def task_markdown(t: dict) -> str:
    labels = [r["label"] for r in t["runs"]]
    ref = t["reference"]
    against = bool(t.get("against"))
    lines = [f"## Task `{t['task']}` (organism: {t['organism']})", ""]
    if against:
        lines += [f"Reference: **the episodes of another run**, `{t['against']}` (run vs run: "
                  "a pass means the two are not distinguishable at these sample sizes)", ""]
    else:
        lines += [f"Reference library: **{ref.get('name')}** version {ref.get('version')}, "
                  f"content hash `{str(ref.get('content_hash'))[:16]}`", ""]
    lines += ["Runs:", ""]
    for r in t["runs"]:
        cfg = r.get("config") or {}
        ctl = " — *control*" if r["control"] else ""
        lines.append(f"- **{r['label']}**{ctl}: {r['brain_label']}; "
                     f"{t['aggregates'][r['label']]['n_episodes']} episode(s) × "
                     f"{_fmt(cfg.get('duration'))} s; `{r['path']}`")
    lines += ["", "| what is measured (unit) | reference value (source) | "
              + " | ".join(f"brain `{lab}`: value, distance, verdict" for lab in labels) + " |",
              "|---|---|" + "---|" * len(labels)]
    for m in t["metrics"]:
        src = m["citation"] + (f", doi:{m['doi']}" if m["doi"] else "")
        cells = [_cell_text(m, m["runs"][lab], against) for lab in labels]
        what = " ".join(str(m.get("description") or m["id"]).split()).rstrip(".")
        unit = f" ({m['unit']})" if m.get("unit") and m["unit"] != "1" else ""
        lines.append(f"| {what}{unit} `{m['id']}`{' ⚠' if m.get('provisional') else ''} | "
                     f"{m['reference_text']} — {src} | " + " | ".join(cells) + " |")
    lines += ["", "**Summary per brain**", "", "| | " + " | ".join(labels) + " |",
              "|---|" + "---|" * len(labels)]
    aggs = [t["aggregates"][lab] for lab in labels]
    lines.append("| metrics passed (of those judged) | " + " | ".join(
        f"{a['n_passed']} of {a['n_metrics']}" for a in aggs) + " |")
    lines.append("| metrics failed / inconclusive / insufficient data | " + " | ".join(
        f"{a.get('n_failed_metrics', 0)} / {a.get('n_inconclusive', 0)} / {a.get('n_insufficient', 0)}"
        for a in aggs) + " |")
    lines.append("| mean closeness score (0 far … 1 as close as real animals) | "
                 + " | ".join(_fmt(a["mean_score"], 2) for a in aggs) + " |")
    lines.append("| weakest metric | " + " | ".join(
        f"{a['weakest']['id']} ({_fmt(a['weakest']['score'], 2)})" if a["weakest"] else "—"
        for a in aggs) + " |")
    lines.append("| episodes that crashed | " + " | ".join(f"{a['n_failed']} of {a['n_episodes']}"
                                                     for a in aggs) + " |")
    if t.get("pairs"):
        lines += ["", "**Are the brains distinguishable?** (per-episode metrics; permutation test "
                  "of the difference of means, two-sided, p < 0.05 = different)", ""]
        for pr in t["pairs"]:
            diff = [m["id"] for m in pr["metrics"] if m["verdict"] == "different"]
            same = [m["id"] for m in pr["metrics"] if m["verdict"] == "not distinguishable"]
            few = [m["id"] for m in pr["metrics"] if m["verdict"] == "insufficient data"]
            txt = f"- `{pr['a']}` vs `{pr['b']}`: "
            if not diff and same:
                txt += "**not distinguishable** on any per-episode metric"
            else:
                txt += f"different on {', '.join(diff) or 'none'}"
                if same:
                    txt += f"; not distinguishable on {', '.join(same)}"
            if few:
                txt += f"; insufficient data on {', '.join(few)}"
            lines.append(txt + ".")
    if t["not_measured"]:
        lines += ["", "Reference metrics this task's features do not measure (not scored): "
                  + ", ".join(f"`{i}`" for i in t["not_measured"])]
    for sec in t.get("sections") or []:
        lines += ["", f"### {sec['title']}", "", sec["markdown"]]
    return "\n".join(lines)


def scorecard_markdown(card: Scorecard) -> str:
    h = card.header
    v = h.get("versions") or {}
    lines = ["# connectome-gym scorecard — embodied Turing test", "",
             f"Date: {h['date']} · git {h.get('git_commit') or '—'} · "
             + ", ".join(f"{k} {val}" for k, val in v.items() if val), ""]
    for t in card.tasks:
        lines += [task_markdown(t), ""]
    for sec in card.neural:
        lines += [f"## {sec['title']}", "", sec["markdown"], ""]
    if card.organisms:
        lines += ["## Per organism (mean of task mean scores)", ""]
        for org, d in card.organisms.items():
            lines.append(f"- {org}: " + ", ".join(f"{b} {_fmt(s, 2)}" for b, s in d.items()))
        lines.append("")
    if card.figures:
        lines += ["## Figures", ""] + [f"![{Path(f).stem}]({f})" for f in card.figures] + [""]
    lines += ["## Notes", ""] + [f"- {n}" for n in card.notes] + [""]
    return "\n".join(lines)
