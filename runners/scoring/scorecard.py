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
    * fewer than 2 valid model values: score 0, FAIL ("insufficient data").

Population metrics (entry kind ``population``, e.g. the chemotaxis index)
    One value for the whole run with a 95% bootstrap CI over episodes (from the task's
    population estimator: the features-module function named like the entry id, or the
    entry's ``estimator``; else the mean of the per-episode feature with a percentile
    bootstrap). Pass rule:

    * with a reference ``threshold`` (e.g. CI ≥ 0.5 in standard plate assays): the model's
      point value ≥ threshold;
    * with a reference ``value`` and ``interval``: the model's 95% CI overlaps the interval;
    * both when both are given. ``significant`` (CI lower bound ≥ threshold) is reported too:
      a pass that is also significant is established at the 95% level, a pass that is not
      needs more episodes.
    * score: ``clip((m − chance) / (target − chance), 0, 1)`` with target = the reference value
      (or the threshold) and chance = the entry's ``chance`` (default 0).

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

from ..io import recording as rec_io
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


def compare_samples(model: np.ndarray, draw: Callable, n_rep: int = 200,
                    rng: np.random.Generator | None = None, n_ref: int | None = None) -> dict:
    """Model sample vs reference (``draw(k, rng)``) at matched n, with split-half ceiling."""
    rng = rng or np.random.default_rng(0)
    model = np.asarray(model, float)
    n = int(model.shape[0])
    if n < 2:
        return dict(distance=float("nan"), ceiling_median=float("nan"),
                    ceiling_p95=float("nan"), score=0.0, passed=False, n=n,
                    status="insufficient data", note=f"{n} valid model value(s); need >= 2")
    d_model = [distance(model, draw(n, rng)) for _ in range(n_rep)]
    ceiling = []
    for _ in range(n_rep):
        both = draw(2 * n, rng)
        ceiling.append(distance(both[:n], both[n:]))
    dm = float(np.median(d_model))
    c50, c95 = (float(v) for v in np.percentile(ceiling, [50, 95]))
    score = float(np.clip((1 - dm) / (1 - c50), 0, 1)) if c50 < 1 else float(dm <= c95)
    note = ""
    if n_ref is not None and 2 * n > n_ref:
        note = (f"reference has {n_ref} animals < 2n = {2 * n}: halves drawn with replacement")
    if dm >= 1.0:
        note = (note + "; " if note else "") + "model and reference samples do not overlap"
    # complete separation (D = 1) never passes, even when tiny n makes the ceiling reach 1
    return dict(distance=dm, ceiling_median=c50, ceiling_p95=c95, score=score,
                passed=bool(dm <= c95 and dm < 1.0), n=n, status="scored", note=note,
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
        txt = f"{_fmt(summary['mean'])} ± {_fmt(summary['sd'])}"
    else:
        txt = f"mean {_fmt(summary.get('mean'))}"
    n_animals = _field(entry, "n_animals")
    extra = f"{kind}" + (f", n={n_animals}" if n_animals else "")
    return f"{txt} ({extra})"


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
    rng = np.random.default_rng(seed)
    boots = vals[rng.integers(0, vals.size, (2000, vals.size))].mean(axis=1)
    lo, hi = np.percentile(boots, [2.5, 97.5])
    return {"value": float(vals.mean()), "ci_low": float(lo), "ci_high": float(hi),
            "n": int(vals.size), "estimator": "mean of per-episode values (bootstrap CI)"}


def judge_population(est: dict, entry: Any) -> dict:
    m = est.get("value")
    thr, ref_value = _threshold(entry), _field(entry, "value")
    interval = _field(entry, "interval")
    chance = float(_field(entry, "chance", 0.0) or 0.0)
    if m is None or not np.isfinite(m):
        return dict(score=0.0, passed=False, significant=False, status="insufficient data",
                    note="the population estimator gave no value")
    lo = est.get("ci_low") if est.get("ci_low") is not None else m
    hi = est.get("ci_high") if est.get("ci_high") is not None else m
    lo = m if not np.isfinite(lo) else lo
    hi = m if not np.isfinite(hi) else hi
    checks, notes = [], []
    if thr is not None:
        op, tv = thr
        ok = _OPS[op](m, tv)
        checks.append(ok)
        notes.append(f"value {op} {_fmt(tv)}: {'yes' if ok else 'no'}")
    if interval is not None and len(interval) == 2:
        overlap = hi >= float(interval[0]) and lo <= float(interval[1])
        checks.append(overlap)
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
                    note="the reference states no pass criterion (value only)")
    return dict(score=score, passed=bool(all(checks)), significant=significant,
                status="scored", note="; ".join(notes))


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
        info = self.run.get("brain_info") or {}
        parts = []
        if info.get("surrogate") or info.get("label"):
            parts.append(str(info.get("label") or "surrogate"))
        for k in ("connectome", "connectome_name", "connectome_hash", "hash",
                  "lesion", "activate", "kind"):
            if info.get(k) not in (None, "", [], {}):
                v = info[k]
                v = v[:12] if isinstance(v, str) and "hash" in k else v
                parts.append(f"{k}={v}")
        if not parts and info.get("description"):
            parts.append(str(info["description"]))
        return ", ".join(str(p) for p in parts) or "—"


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
    """The task's feature extractor as it is now (None if it cannot be imported)."""
    try:
        return rec_io.load_callable((run.get("task_spec") or {}).get("features"))
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
    """The module of the task's feature extractor named in a run's ``run.json``."""
    ref = (run.get("task_spec") or {}).get("features")
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


def _unique_labels(runs: list[RunData]) -> None:
    seen: dict[str, int] = {}
    for r in runs:
        seen[r.brain] = seen.get(r.brain, 0) + 1
    for r in runs:
        r.label = r.brain if seen[r.brain] == 1 else f"{r.brain} ({r.path.name})"


def score_task(task: str, runs: list[RunData], lib: Any, n_rep: int = 200,
               seed: int = 0) -> dict:
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
            "weakest": ({"id": weakest[0], "score": weakest[1]["score"]} if weakest else None),
            "n_episodes": len(r.episodes), "n_failed": r.n_failed}
    return {"task": task, "organism": (runs[0].run.get("task_spec") or {}).get("organism"),
            "reference": {"name": (runs[0].run.get("task_spec") or {}).get("reference"),
                          "version": getattr(lib, "version", None),
                          "content_hash": getattr(lib, "content_hash", None)},
            "runs": [{"label": r.label, "path": str(r.path), "brain": r.brain,
                      "brain_info": r.run.get("brain_info"), "brain_label": r.brain_label(),
                      "config": r.run.get("config"), "git_commit": r.run.get("git_commit"),
                      "versions": r.run.get("versions"),
                      "control": r.brain in CONTROL_BRAINS} for r in runs],
            "metrics": metrics, "not_measured": not_measured, "aggregates": aggregates,
            "sections": task_sections(runs)}


def task_sections(runs: list[RunData]) -> list[dict]:
    """Extra sections the task's spec asks for (``sections``: "module:function(runs) ->
    [{"title", "markdown", "data"}]"), e.g. a neural metric or the bridge's assumptions. A
    failing section becomes a section saying so: it must not cost the scorecard."""
    ref = next(((r.run.get("task_spec") or {}).get("sections") for r in runs
                if (r.run.get("task_spec") or {}).get("sections")), None)
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
               figures: bool = True, neural: Sequence[str | Path] = ()) -> Scorecard:
    """Score runs against their task's reference library; write scorecard.md / .json and
    figures into ``out_dir`` (when given). ``reference``: a library object to use instead of
    ``tasks.reference.load_reference(<task's reference>)``. ``neural``: atlas scorecard
    folders (``cgym atlas``) to include as neural-benchmark sections."""
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
    for task, truns in by_task.items():
        _unique_labels(truns)
        if reference is not None:
            lib = reference
        else:
            name = (truns[0].run.get("task_spec") or {}).get("reference")
            if not name:
                raise ValueError(f"task {task!r} names no reference library in its run.json")
            lib = load_reference_library(name)
        libs[task] = lib
        card.tasks.append(score_task(task, truns, lib, n_rep, seed))
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
        "Distribution metrics: pass = D_model ≤ 95th percentile of split-half reference "
        "distances at the model's n; score = clip((1 − D_model)/(1 − median ceiling), 0, 1). "
        "With few episodes the ceiling is wide: a pass with small n is weak evidence.",
        "Population metrics: pass = point value meets the threshold and the model's 95% CI "
        "overlaps the reference interval (where given); 'significant' = the CI bound meets the "
        "threshold too. Entries with a value only are reported, not judged.",
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

def _cell_text(row: dict, cell: dict) -> str:
    status = cell.get("status")
    verdict = ("report only" if cell["passed"] is None else
               "**pass**" if cell["passed"] else "**FAIL**")
    if row.get("provisional") and cell["passed"] is not None:
        verdict += " (provisional: not in aggregate)"
    if row["kind"] == "population":
        m = cell.get("model") or {}
        txt = (f"{_fmt(m.get('value'))} [{_fmt(m.get('ci_low'))}, {_fmt(m.get('ci_high'))}] "
               f"(n={m.get('n')})")
        sig = " (significant)" if cell.get("significant") else ""
        return f"{txt}; score {_fmt(cell['score'], 2)} {verdict}{sig}"
    m = cell.get("model") or {}
    n = m.get("n", 0)
    if n == 0:
        val = "no valid value"
    else:
        val = f"{_fmt(m.get('mean'))}" + (f" ± {_fmt(m.get('sd'))}" if m.get("sd") is not None
                                          else "")
    val += f" (n={n}" + (f", {cell['n_nan']} NaN" if cell.get("n_nan") else "") + ")"
    if status != "scored":
        return f"{val}; {status} {verdict}"
    return (f"{val}; D {_fmt(cell['distance'], 2)}, ceiling {_fmt(cell['ceiling_median'], 2)}"
            f"/{_fmt(cell['ceiling_p95'], 2)}; score {_fmt(cell['score'], 2)} {verdict}")


def task_markdown(t: dict) -> str:
    labels = [r["label"] for r in t["runs"]]
    ref = t["reference"]
    lines = [f"## Task `{t['task']}` (organism: {t['organism']})", "",
             f"Reference library: **{ref.get('name')}** version {ref.get('version')}, "
             f"content hash `{str(ref.get('content_hash'))[:16]}`", "", "Runs:", ""]
    for r in t["runs"]:
        cfg = r.get("config") or {}
        ctl = " — *control*" if r["control"] else ""
        lines.append(f"- **{r['label']}**{ctl}: {r['brain_label']}; "
                     f"{t['aggregates'][r['label']]['n_episodes']} episode(s) × "
                     f"{_fmt(cfg.get('duration'))} s; `{r['path']}`")
    lines += ["", "| metric | unit | reference (source) | " + " | ".join(labels) + " |",
              "|---|---|---|" + "---|" * len(labels)]
    for m in t["metrics"]:
        src = m["citation"] + (f", doi:{m['doi']}" if m["doi"] else "")
        cells = [_cell_text(m, m["runs"][lab]) for lab in labels]
        lines.append(f"| {m['id']}{' ⚠' if m.get('provisional') else ''} | {m['unit']} | {m['reference_text']} — {src} | "
                     + " | ".join(cells) + " |")
    lines += ["", "**Aggregate**", "", "| | " + " | ".join(labels) + " |",
              "|---|" + "---|" * len(labels)]
    aggs = [t["aggregates"][lab] for lab in labels]
    lines.append("| mean score | " + " | ".join(_fmt(a["mean_score"], 2) for a in aggs) + " |")
    lines.append("| passed | " + " | ".join(f"{a['n_passed']}/{a['n_metrics']}" for a in aggs)
                 + " |")
    lines.append("| weakest metric | " + " | ".join(
        f"{a['weakest']['id']} ({_fmt(a['weakest']['score'], 2)})" if a["weakest"] else "—"
        for a in aggs) + " |")
    lines.append("| failed episodes | " + " | ".join(f"{a['n_failed']}/{a['n_episodes']}"
                                                     for a in aggs) + " |")
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
