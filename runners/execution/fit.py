"""``cgym fit TASK --spec FIT.yaml --out DIR``: connectome-constrained parameter fitting.

CMA-ES (Hansen's ``cma`` package) over a few *per-class* parameters of a brain — gains,
thresholds, time constants of neuron classes, or global model constants — never per-edge
weights: the wiring stays the connectome's. Every generation's episodes run on the sweep
machinery (``runners/execution/sweep.py``: process pool, Dask or inline), one sweep folder per generation,
so a fit is resumable at the episode level, and the optimiser is resumable at the generation
level from ``DIR/fit_state.json`` (JSON, written atomically after each generation; no pickle).

Fit spec (YAML)::

    name: chemotaxis-aiy-gain            # optional
    task: celegans/chemotaxis            # `cgym fit TASK` must agree (or the spec may omit it)
    brain: connectome                    # --brain overrides (controls: shuffled, no-nerve-ring)
    brain_options: {}                    # fixed brain options (--brain-option K=V adds/overrides)
    task_options: {}
    duration: 60                         # s per episode
    record_rate_hz: 10                   # optional; lower = smaller episode files
    params_base: default                 # only for `params.` paths: a file, or `default` = the
                                         # brain's own file (controls start from theirs); else
                                         # brain_options.params
    parameters:                          # what CMA-ES searches (at least one)
      - path: params.class.AIY.gain      # an entry of the params file (cgym.celegans.params/1:
                                         # fit: true entries only; bounds/log default to the
                                         # entry's), or `params.<nested.key.path>` in another
                                         # params YAML, or
        bounds: [0.2, 5.0]               # `brain_options.<dotted path>` into the brain options
        scale: log                       # linear (default) | log (bounds must be > 0)
        init: 1.0                        # optional; default: middle of the (scaled) bounds
    objective:
      feature: chemotaxis_index          # a population statistic (chemotaxis_index,
                                         # approach_index) or any per-episode feature of the task's
                                         # extractor (then averaged over the training seeds)
      goal: maximize                     # maximize | minimize | {target: VALUE, scale: S}
      penalties:                         # optional, subtracted from the objective
        - {feature: reversal_rate, target: reference, weight: 0.5}   # |mean - ref mean| / ref sd
        - {feature: centroid_speed, target: 0.22, scale: 0.03, weight: 1.0}
        - {feature: undulation_frequency, target: reference, tolerance: 0.066}   # zero within
                                         # ± tolerance (feature units): a constraint, not a goal
      failed_value: -1.0                 # objective of a candidate with no usable episode
      relative_to: null                  # optional: a probe's name; the objective is then
                                         # mean(feature) - its mean over that probe's episodes
                                         # (same seeds: e.g. approach on the gradient minus on a
                                         # plate without one); that probe needs no penalties
    probes:                              # optional: more episodes per candidate under other
      - name: backward                   # brain / task options, each scored by its own penalties
        brain_options: {activate: [AVAL, AVAR], activate_mV: 20}   # on top of the candidate's
        task_options: {}                 # on top of the spec's
        duration: 20                     # default: the spec's
        penalties:                       # numeric targets only; subtracted from the objective
          - {feature: forward_fraction, target: 0.0, scale: 0.25, weight: 1.0}
    seeds: {start: 1000, count: 8}       # TRAINING seeds (every candidate runs all of them,
                                         # its probes too)
    budget: {generations: 20}            # and/or {episodes: 1280}: stop at whichever comes first
    optimiser: {popsize: 8, sigma0: 0.25, seed: 1}    # sigma0 in units of the bounds' width

Per class, never per edge: a parameter path is refused when any segment names a connection
(``edges``, ``synapses``, ``weights``, ``w``, ``pairs``, a ``PRE->POST`` / ``PRE:POST`` key),
when two consecutive segments are both neuron or class names of the brain's connectome
(``chemical.AIY.AIB``), or when a segment is a single neuron of a multi-neuron class
(``AIYL``: address the class ``AIY``).

Output folder::

    DIR/fit_spec.yaml        the spec as given (a resumed fit must be given the same spec)
    DIR/fit_state.json       optimiser state after the last finished generation: every asked
                             solution and its fitness (the history a resume replays through a
                             fresh, identically seeded CMA-ES and checks ask by ask), mean,
                             sigma, covariance, counts, best so far
    DIR/gen_0001/ ...        one sweep folder per generation (``cgym score DIR/gen_0001`` works)
    DIR/params/<hash>.yaml   the params YAML of each candidate (``params.`` paths only)
    DIR/fitted_params.yaml   the best candidate's params YAML + a ``fit`` block: command, optimiser
                             settings, budget, training seeds, best objective, git commit
    DIR/evaluate_<seeds>.json  ``--evaluate SEEDS``: best vs initial parameters on held-out seeds

Resume: rerun the same command. Finished generations are replayed from the state file (no
episode reruns); the unfinished generation's finished episodes are found in its sweep folder by
their configuration hash and skipped. An interrupted then resumed fit gives the same result as
an uninterrupted one (``tests/runners/test_fit.py``).

Control protocol (issue 11): a fit is evidence only if the controls get the same budget.
Run the SAME spec (same parameters, bounds, objective, seeds, budget, optimiser seed) with
``--brain shuffled --brain-option shuffle_seed=S`` for several S (at least 3) and with
``--brain no-nerve-ring``, each into its own folder, then ``--evaluate`` every fit on the same
held-out seeds. The connectome's claim holds only where its held-out objective's CI lies above
every control's. ``python -m runners.execution.fit --controls`` prints the commands.
"""

from __future__ import annotations

import argparse
import difflib
import hashlib
import math
import re
import sys
import time
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Callable

import numpy as np

from nervous_systems.yaml_file import YAMLFileError, load_yaml, parse_key_values
from tasks.statistics import bootstrap_ci

from ..io import recording as rec_io
from . import sweep as sweep_mod
from .sweep_spec import Condition, SweepSpec, config_hash

STATE_FILE = "fit_state.json"
SPEC_FILE = "fit_spec.yaml"
FITTED_FILE = "fitted_params.yaml"
STATE_SCHEMA = "cgym.fit-state/1"

TOP_KEYS = ("name", "task", "brain", "brain_options", "task_options", "duration",
            "record_rate_hz", "params_base", "parameters", "objective", "seeds", "budget",
            "optimiser", "notes", "probes")
PARAM_KEYS = ("path", "bounds", "scale", "init")
OBJECTIVE_KEYS = ("feature", "goal", "penalties", "failed_value", "relative_to")
PENALTY_KEYS = ("feature", "target", "scale", "weight", "tolerance")
PROBE_KEYS = ("name", "brain_options", "task_options", "duration", "penalties")
BUDGET_KEYS = ("generations", "episodes")
OPTIMISER_KEYS = ("popsize", "sigma0", "seed")
# words that address connections: never a fit parameter
EDGE_WORDS = {"edge", "edges", "synapse", "synapses", "weight", "weights", "w", "pair", "pairs",
              "connection", "connections", "chemical_edges", "gap_edges", "nmj_edges", "contacts"}
EDGE_SEPARATORS = re.compile(r"->|→|=>|<-|<->|:|,|\s|/|\|")


class FitError(ValueError):
    """A bad fit spec, option or output folder (one line naming the file / option)."""


def _population_stats() -> dict[str, Callable]:
    """Population statistics an objective may name (a fixed table: never read from a file)."""
    from tasks.chemotaxis.features import approach_index, chemotaxis_index
    return {"chemotaxis_index": chemotaxis_index, "approach_index": approach_index}


POPULATION_FEATURES = ("chemotaxis_index", "approach_index")


# ============================================================================ the spec

@dataclass(frozen=True)
class FitParameter:
    path: str
    low: float
    high: float
    scale: str = "linear"
    init: float | None = None

    @property
    def target(self) -> str:          # "params" | "brain_options"
        return self.path.split(".", 1)[0]

    @property
    def keys(self) -> list[str]:
        return self.path.split(".")[1:]

    def to_value(self, u: float) -> float:
        u = min(1.0, max(0.0, float(u)))
        if self.scale == "log":
            return float(math.exp(math.log(self.low) + u * (math.log(self.high) - math.log(self.low))))
        return float(self.low + u * (self.high - self.low))

    def to_unit(self, v: float) -> float:
        if self.scale == "log":
            return (math.log(v) - math.log(self.low)) / (math.log(self.high) - math.log(self.low))
        return (float(v) - self.low) / (self.high - self.low)

    def as_dict(self) -> dict:
        return {"path": self.path, "bounds": [self.low, self.high], "scale": self.scale,
                "init": self.init}


@dataclass(frozen=True)
class Penalty:
    feature: str
    target: float | str          # a number or "reference"
    scale: float | None
    weight: float
    tolerance: float = 0.0       # no penalty within ± tolerance of the target (feature units)


@dataclass(frozen=True)
class Objective:
    feature: str
    goal: str = "maximize"       # maximize | minimize | target
    target: float | None = None
    target_scale: float = 1.0
    penalties: tuple[Penalty, ...] = ()
    failed_value: float | None = None
    relative_to: str | None = None   # a probe's name: the objective is mean(main) - mean(probe)

    @property
    def population(self) -> bool:
        return self.feature in POPULATION_FEATURES


@dataclass(frozen=True)
class Probe:
    """Episodes of every candidate under other brain / task options (e.g. a command neuron held
    depolarised), scored only by their penalties, which the candidate's objective loses."""
    name: str
    brain_options: dict
    task_options: dict
    duration: float | None
    penalties: tuple[Penalty, ...]


@dataclass
class FitSpec:
    task: str
    brain: str
    parameters: list[FitParameter]
    objective: Objective
    seeds: list[int]
    brain_options: dict = field(default_factory=dict)
    task_options: dict = field(default_factory=dict)
    duration: float = 10.0
    record_rate_hz: float | None = None
    params_base: str | None = None
    generations: int | None = None
    max_episodes: int | None = None
    popsize: int = 8
    sigma0: float = 0.25
    opt_seed: int = 1
    name: str = ""
    source: str = "<fit spec>"
    raw: dict = field(default_factory=dict)
    probes: tuple[Probe, ...] = ()

    def hash(self) -> str:
        """What makes the fit what it is (a resume must match it)."""
        d = {"task": self.task, "brain": self.brain,
             "brain_options": self.brain_options, "task_options": self.task_options,
             "duration": self.duration, "record_rate_hz": self.record_rate_hz,
             "params_base": self.params_base,
             "parameters": [p.as_dict() for p in self.parameters],
             "objective": self.raw.get("objective"), "seeds": self.seeds,
             "popsize": self.popsize, "sigma0": self.sigma0, "seed": self.opt_seed}
        if self.probes:  # (absent: the hash of a fit made before probes existed is unchanged)
            d["probes"] = self.raw.get("probes")
        return config_hash(d)

    def episodes_per_candidate(self) -> int:
        return len(self.seeds) * (1 + len(self.probes))

    def optimiser_settings(self) -> dict:
        cma = _import_cma()
        return {"name": "CMA-ES", "package": f"cma {cma.__version__}", "popsize": self.popsize,
                "sigma0": self.sigma0, "seed": self.opt_seed, "bounds": [0.0, 1.0],
                "space": "each parameter mapped to [0, 1] through its bounds and scale"}

    def budget(self) -> dict:
        return {"generations": self.generations, "episodes": self.max_episodes,
                "episodes_per_generation": self.popsize * self.episodes_per_candidate()}


def _unknown(key, allowed, where) -> FitError:
    close = difflib.get_close_matches(str(key), allowed, n=2, cutoff=0.5)
    hint = f" Did you mean {', '.join(close)}?" if close else ""
    return FitError(f"{where}: unknown key {key!r}; allowed: {', '.join(allowed)}.{hint}")


def _check_keys(d: dict, allowed, where: str) -> None:
    for k in d:
        if k not in allowed:
            raise _unknown(k, allowed, where)


def _number(v, where: str) -> float:
    if isinstance(v, bool):
        raise FitError(f"{where}: expected a number, got {v!r}")
    try:
        x = float(v)
    except (TypeError, ValueError):
        raise FitError(f"{where}: expected a number, got {v!r}") from None
    if not math.isfinite(x):
        raise FitError(f"{where}: expected a finite number, got {v!r}")
    return x


def _int(v, where: str, minimum: int = 1) -> int:
    if isinstance(v, bool) or not isinstance(v, int) or v < minimum:
        raise FitError(f"{where}: expected an integer ≥ {minimum}, got {v!r}")
    return int(v)


def _parse_spec_seeds(v: Any, where: str) -> list[int]:
    if isinstance(v, dict):
        _check_keys(v, ("start", "count"), where)
        if "count" not in v:
            raise FitError(f"{where}: seeds as a mapping is {{start: S, count: N}}, got {v!r}")
        start, count = _int(v.get("start", 0), f"{where}.start", 0), _int(v["count"],
                                                                           f"{where}.count")
        return list(range(start, start + count))
    if isinstance(v, list) and v:
        out = [_int(s, where, 0) for s in v]
        if len(set(out)) != len(out):
            raise FitError(f"{where}: seeds repeat")
        return out
    raise FitError(f"{where}: seeds must be a list of integers or {{start: S, count: N}}, "
                   f"got {v!r}")


def check_path_is_per_class(path: str, where: str, neuron_names=None, class_of=None) -> None:
    """Refuse a parameter path that addresses single connections (or a single neuron of a class).

    ``neuron_names``: set of neuron and class names of the brain's connectome (optional; without
    it only the word / separator rules apply); ``class_of``: neuron name → (class, class size).
    """
    segs = path.split(".")
    if segs[0] not in ("params", "brain_options") or len(segs) < 2 or not all(segs):
        raise FitError(f"{where}: path {path!r} must start with 'params.' (a key of the params "
                       f"YAML) or 'brain_options.' (a brain option), e.g. params.classes.AIY.gain")
    for s in segs[1:]:
        if s.lower() in EDGE_WORDS:
            raise FitError(f"{where}: path {path!r} addresses connections ({s!r}); the fit may "
                           f"only set per-class or global parameters, never per-edge weights")
        if EDGE_SEPARATORS.search(s) or re.search(r"[A-Za-z0-9]-[A-Za-z]", s):
            raise FitError(f"{where}: path {path!r}: segment {s!r} looks like a connection "
                           f"(PRE->POST); the fit may only set per-class parameters, never "
                           f"per-edge weights")
    if neuron_names:
        named = [s in neuron_names for s in segs[1:]]
        for a, b, sa, sb in zip(named, named[1:], segs[1:], segs[2:]):
            if a and b:
                raise FitError(f"{where}: path {path!r} names two neurons in a row ({sa}, {sb}): "
                               f"that addresses a connection; the fit may only set per-class "
                               f"parameters, never per-edge weights")
        for s in segs[1:]:
            cls = (class_of or {}).get(s)
            if cls and cls[0] != s and cls[1] > 1:
                raise FitError(f"{where}: path {path!r} addresses the single neuron {s}; fit "
                               f"parameters are per class: use the class {cls[0]}")
    if segs[0] == "brain_options" and segs[1] in ("lesion", "activate", "connectome", "bridge",
                                                   "params", "shuffle_seed", "backend"):
        raise FitError(f"{where}: path {path!r}: brain option {segs[1]!r} is not a continuous "
                       f"parameter and cannot be fitted")


def parse_fit_spec(data: Any, source: str = "<fit spec>") -> FitSpec:
    if not isinstance(data, dict):
        raise FitError(f"{source}: a fit spec is a mapping (task:, brain:, parameters:, ...), "
                       f"got {type(data).__name__}")
    _check_keys(data, TOP_KEYS, source)
    for k in ("brain", "parameters", "objective", "seeds", "budget"):
        if k not in data:
            raise FitError(f"{source}: missing key {k!r}")
    seeds = _parse_spec_seeds(data["seeds"], f"{source}: seeds")
    params_raw = data["parameters"]
    if not isinstance(params_raw, list) or not params_raw:
        raise FitError(f"{source}: parameters must be a non-empty list of {{path:, bounds:, ...}}")
    params: list[FitParameter] = []
    for i, p in enumerate(params_raw):
        where = f"{source}: parameters[{i}]"
        if not isinstance(p, dict):
            raise FitError(f"{where}: a parameter is a mapping (path:, bounds:, scale:, init:)")
        _check_keys(p, PARAM_KEYS, where)
        if "path" not in p or not isinstance(p["path"], str):
            raise FitError(f"{where}: missing key 'path' (e.g. params.classes.AIY.gain)")
        check_path_is_per_class(p["path"], where)
        b = p.get("bounds")
        if b is None and p["path"].startswith("params."):
            if "scale" in p or "init" in p:
                raise FitError(f"{where}: without bounds, scale and init come from the params "
                               f"file entry; give bounds too to set them")
            params.append(FitParameter(p["path"], float("nan"), float("nan"), "from-file", None))
            continue
        if not isinstance(b, (list, tuple)) or len(b) != 2:
            raise FitError(f"{where}: bounds must be [low, high], got {b!r}")
        lo, hi = _number(b[0], f"{where}: bounds"), _number(b[1], f"{where}: bounds")
        if not lo < hi:
            raise FitError(f"{where}: bounds must have low < high, got {b!r}")
        scale = p.get("scale", "linear")
        if scale not in ("linear", "log"):
            raise FitError(f"{where}: scale must be linear or log, got {scale!r}")
        if scale == "log" and lo <= 0:
            raise FitError(f"{where}: a log scale needs bounds > 0, got {b!r}")
        init = None if p.get("init") is None else _number(p["init"], f"{where}: init")
        if init is not None and not lo <= init <= hi:
            raise FitError(f"{where}: init {init} lies outside the bounds {b!r}")
        params.append(FitParameter(p["path"], lo, hi, scale, init))
    if len(params) < 2:
        raise FitError(f"{source}: parameters: CMA-ES (the cma package) needs at least two "
                       f"parameters; a single one is better scanned on a grid (cgym sweep)")
    dup = sorted({p.path for p in params if [q.path for q in params].count(p.path) > 1})
    if dup:
        raise FitError(f"{source}: parameters repeat: {dup}")

    obj = data["objective"]
    where = f"{source}: objective"
    if not isinstance(obj, dict) or "feature" not in obj:
        raise FitError(f"{where}: needs at least feature: NAME (e.g. chemotaxis_index)")
    _check_keys(obj, OBJECTIVE_KEYS, where)
    goal = obj.get("goal", "maximize")
    target, tscale = None, 1.0
    if isinstance(goal, dict):
        _check_keys(goal, ("target", "scale"), f"{where}.goal")
        if "target" not in goal:
            raise FitError(f"{where}.goal: a mapping goal needs target: VALUE")
        target = _number(goal["target"], f"{where}.goal.target")
        tscale = _number(goal.get("scale", 1.0), f"{where}.goal.scale")
        goal = "target"
    elif goal not in ("maximize", "minimize"):
        raise FitError(f"{where}: goal must be maximize, minimize or {{target: V}}, got {goal!r}")
    pens = _parse_penalties(obj.get("penalties"), where)
    failed = None if obj.get("failed_value") is None else _number(obj["failed_value"],
                                                                     f"{where}.failed_value")
    rel = obj.get("relative_to")
    if rel is not None and (not isinstance(rel, str) or not rel):
        raise FitError(f"{where}.relative_to: the name of a probe, got {rel!r}")
    objective = Objective(str(obj["feature"]), goal, target, tscale, tuple(pens), failed, rel)
    if rel is not None and objective.population:
        raise FitError(f"{where}.relative_to: {obj['feature']!r} is a population statistic; "
                       f"relative_to needs a per-episode feature (e.g. approach)")

    bud = data["budget"]
    if not isinstance(bud, dict) or not bud:
        raise FitError(f"{source}: budget must be {{generations: N}} and/or {{episodes: N}}")
    _check_keys(bud, BUDGET_KEYS, f"{source}: budget")
    gens = None if bud.get("generations") is None else _int(bud["generations"],
                                                            f"{source}: budget.generations")
    eps = None if bud.get("episodes") is None else _int(bud["episodes"],
                                                        f"{source}: budget.episodes")
    if gens is None and eps is None:
        raise FitError(f"{source}: budget needs generations: N or episodes: N")
    opt = data.get("optimiser") or {}
    if not isinstance(opt, dict):
        raise FitError(f"{source}: optimiser must be a mapping (popsize:, sigma0:, seed:)")
    _check_keys(opt, OPTIMISER_KEYS, f"{source}: optimiser")
    popsize = _int(opt.get("popsize", 4 + int(3 * math.log(len(params)))),
                   f"{source}: optimiser.popsize", 2)
    sigma0 = _number(opt.get("sigma0", 0.25), f"{source}: optimiser.sigma0")
    if not 0 < sigma0 <= 1:
        raise FitError(f"{source}: optimiser.sigma0 must be in (0, 1] (units of the bounds' width)")
    seed = _int(opt.get("seed", 1), f"{source}: optimiser.seed", 1)
    bopts = data.get("brain_options") or {}
    topts = data.get("task_options") or {}
    if not isinstance(bopts, dict) or not isinstance(topts, dict):
        raise FitError(f"{source}: brain_options / task_options must be mappings")
    if any(p.target == "params" for p in params) and not (data.get("params_base")
                                                           or bopts.get("params")):
        raise FitError(f"{source}: parameters with 'params.' paths need params_base: PATH (the "
                       f"brain's params YAML to start from) or brain_options.params")
    duration = _number(data.get("duration", 10.0), f"{source}: duration")
    if duration <= 0:
        raise FitError(f"{source}: duration must be > 0 s")
    rate = data.get("record_rate_hz")
    rate = None if rate is None else _number(rate, f"{source}: record_rate_hz")
    task = data.get("task")
    if task is not None and not isinstance(task, str):
        raise FitError(f"{source}: task must be a task name like celegans/chemotaxis")
    raw_names = [str(p.get("name")) for p in (data.get("probes") or []) if isinstance(p, dict)]
    if rel is not None and rel not in raw_names:
        raise FitError(f"{where}.relative_to: no probe named {rel!r} "
                       f"(probes: {', '.join(raw_names) or 'none'})")
    probes = _parse_probes(data.get("probes"), source, baseline=rel)
    return FitSpec(task=task or "", brain=str(data["brain"]), parameters=params,
                   objective=objective, seeds=seeds, brain_options=dict(bopts),
                   task_options=dict(topts), duration=duration, record_rate_hz=rate,
                   params_base=(str(data["params_base"]) if data.get("params_base") else None),
                   generations=gens, max_episodes=eps, popsize=popsize, sigma0=sigma0,
                   opt_seed=seed, name=str(data.get("name") or ""), source=source, raw=dict(data),
                   probes=probes)


def _parse_penalties(raw, where: str, numeric_only: bool = False) -> tuple[Penalty, ...]:
    pens = []
    if raw is not None and not isinstance(raw, list):
        raise FitError(f"{where}.penalties: a list of {{feature:, target:, scale:, weight:}}")
    for j, pen in enumerate(raw or []):
        pw = f"{where}.penalties[{j}]"
        if not isinstance(pen, dict) or "feature" not in pen or "target" not in pen:
            raise FitError(f"{pw}: a penalty is {{feature:, target: NUMBER|reference, weight:}}")
        _check_keys(pen, PENALTY_KEYS, pw)
        t = pen["target"]
        if t == "reference" and numeric_only:
            raise FitError(f"{pw}: a probe's penalty needs a numeric target (the reference "
                           f"library describes unperturbed animals)")
        if t != "reference":
            t = _number(t, f"{pw}.target")
        sc = None if pen.get("scale") is None else _number(pen["scale"], f"{pw}.scale")
        if sc is not None and sc <= 0:
            raise FitError(f"{pw}: scale must be > 0")
        if t != "reference" and sc is None:
            raise FitError(f"{pw}: a numeric target needs scale: (the distance counted as 1)")
        tol = _number(pen.get("tolerance", 0.0), f"{pw}.tolerance")
        if tol < 0:
            raise FitError(f"{pw}: tolerance must be >= 0")
        pens.append(Penalty(str(pen["feature"]), t, sc, _number(pen.get("weight", 1.0),
                                                                  f"{pw}.weight"), tol))
    return tuple(pens)


def _parse_probes(raw, source: str, baseline: str | None = None) -> tuple[Probe, ...]:
    """The probes of a spec; the probe named ``baseline`` (the objective's ``relative_to``) may
    have no penalties: its episodes are the baseline the objective is measured against."""
    if raw is None:
        return ()
    if not isinstance(raw, list) or not raw:
        raise FitError(f"{source}: probes must be a non-empty list of {{name:, brain_options:, penalties:}}")
    out = []
    for i, pr in enumerate(raw):
        where = f"{source}: probes[{i}]"
        if not isinstance(pr, dict):
            raise FitError(f"{where}: a probe is a mapping (name:, brain_options:, task_options:, "
                           f"duration:, penalties:)")
        _check_keys(pr, PROBE_KEYS, where)
        name = pr.get("name")
        if not isinstance(name, str) or not re.fullmatch(r"[A-Za-z0-9_-]+", name or ""):
            raise FitError(f"{where}: name must be letters, digits, _ or - (it labels the episodes)")
        bo, to = pr.get("brain_options") or {}, pr.get("task_options") or {}
        if not isinstance(bo, dict) or not isinstance(to, dict):
            raise FitError(f"{where}: brain_options / task_options must be mappings")
        dur = None if pr.get("duration") is None else _number(pr["duration"], f"{where}.duration")
        if dur is not None and dur <= 0:
            raise FitError(f"{where}: duration must be > 0 s")
        pens = _parse_penalties(pr.get("penalties"), where, numeric_only=True)
        if not pens and name != baseline:
            raise FitError(f"{where}: a probe needs at least one penalty (else it changes nothing), "
                           f"unless it is the objective's relative_to baseline")
        out.append(Probe(name, dict(bo), dict(to), dur, pens))
    names = [p.name for p in out]
    if len(set(names)) != len(names):
        raise FitError(f"{source}: probes: names repeat: {sorted({n for n in names if names.count(n) > 1})}")
    return tuple(out)


def load_fit_spec(path: str | Path) -> FitSpec:
    path = Path(path)
    if not path.exists():
        raise FitError(f"fit spec {path} does not exist")
    try:
        data = load_yaml(path)
    except YAMLFileError as exc:
        raise FitError(str(exc)) from None
    return parse_fit_spec(data, str(path))


# ============================================================================ candidates

def _set_dotted(d: dict, keys: list[str], value: Any, where: str, must_exist: bool) -> None:
    cur = d
    for i, k in enumerate(keys[:-1]):
        nxt = cur.get(k) if isinstance(cur, dict) else None
        if nxt is None:
            if must_exist:
                raise FitError(f"{where}: key {'.'.join(keys[:i + 1])!r} not found in the params "
                               f"YAML (available: {', '.join(map(str, cur)) if isinstance(cur, dict) else '-'})")
            nxt = cur[k] = {}
        if not isinstance(nxt, dict):
            raise FitError(f"{where}: {'.'.join(keys[:i + 1])!r} is a value, not a mapping")
        cur = nxt
    if must_exist and keys[-1] not in cur:
        raise FitError(f"{where}: key {'.'.join(keys)!r} not found in the params YAML "
                       f"(available: {', '.join(map(str, cur))})")
    old = cur.get(keys[-1])
    if isinstance(old, dict) and "value" in old:      # {value: 1.0, unit:, origin:} entries
        old["value"] = value
    else:
        cur[keys[-1]] = value


def _load_yaml(path: str | Path, what: str) -> dict:
    p = Path(path)
    if not p.exists():
        raise FitError(f"{what} {p} does not exist")
    try:
        d = load_yaml(p)
    except YAMLFileError as exc:
        raise FitError(str(exc)) from None
    if not isinstance(d, dict):
        raise FitError(f"{p}: a params file is a mapping")
    return d


class Candidates:
    """Turns a point of the unit cube into a brain-options dict (and a params YAML on disk).

    Two params-file layouts are understood. A ``parameters:`` mapping of named entries
    (``cgym.celegans.params/1``: ``class.AIY.gain: {value:, bounds:, fit:, log:, ...}``): the path
    ``params.class.AIY.gain`` names the entry; only entries with ``fit: true`` may be fitted, the
    fit's bounds must lie inside the entry's, and a parameter given without bounds takes the
    entry's bounds and ``log`` scale. Any other YAML: the path is a nested key path whose last
    key holds a number (or a ``{value: ...}`` mapping)."""

    def __init__(self, spec: FitSpec, out_dir: Path):
        import copy
        self.spec, self.out = spec, out_dir
        self.base_params_path = resolve_params_base(spec)
        self.base_params = (_load_yaml(self.base_params_path, "params_base")
                            if any(p.target == "params" for p in spec.parameters) else None)
        self.params: list[FitParameter] = [self._resolve(p) for p in spec.parameters]
        if self.base_params is not None:   # check every path now, on a throw-away copy
            trial = copy.deepcopy(self.base_params)
            for p in self.params:
                if p.target == "params":
                    self._set(trial, p, p.to_value(0.5))

    def _entry(self, p: FitParameter) -> dict | None:
        table = (self.base_params or {}).get("parameters")
        name = ".".join(p.keys)
        if isinstance(table, dict) and name in table and isinstance(table[name], dict):
            return table[name]
        return None

    def _resolve(self, p: FitParameter) -> FitParameter:
        where = f"{self.spec.source}: {p.path}"
        if p.target != "params":
            return p
        e = self._entry(p)
        if e is None:
            if p.scale == "from-file":
                raise FitError(f"{where}: no bounds given and {self.base_params_path} has no "
                               f"entry {'.'.join(p.keys)!r} under parameters: to take them from")
            return p
        if e.get("fit") is not True:
            raise FitError(f"{where}: {self.base_params_path} marks {'.'.join(p.keys)!r} "
                           f"fit: false; only entries with fit: true may be fitted")
        try:
            lo, hi = (float(x) for x in e["bounds"])
        except (KeyError, TypeError, ValueError):
            raise FitError(f"{where}: the params file entry has no numeric bounds") from None
        if p.scale == "from-file":
            init = float(e["value"]) if "value" in e else None
            scale = "log" if e.get("log") else "linear"
            if scale == "log" and lo <= 0:
                scale = "linear"
            if init is not None and not lo <= init <= hi:
                init = None
            return FitParameter(p.path, lo, hi, scale, init)
        if p.low < lo or p.high > hi:
            raise FitError(f"{where}: fit bounds [{p.low}, {p.high}] exceed the params file's "
                           f"bounds [{lo}, {hi}] for {'.'.join(p.keys)!r}")
        return p

    def _set(self, doc: dict, p: FitParameter, value: float) -> None:
        table = doc.get("parameters")
        name = ".".join(p.keys)
        if isinstance(table, dict) and name in table and isinstance(table[name], dict):
            table[name]["value"] = float(value)
            table[name]["source"] = "fitted (cgym fit; see the fit block)"
        else:
            _set_dotted(doc, p.keys, float(value), f"{self.spec.source}: {p.path}", True)

    def x0(self) -> list[float]:
        return [p.to_unit(p.init) if p.init is not None else 0.5 for p in self.params]

    def values(self, u) -> dict[str, float]:
        return {p.path: p.to_value(x) for p, x in zip(self.params, u)}

    def params_doc(self, values: dict[str, float]) -> dict | None:
        import copy
        if self.base_params is None:
            return None
        doc = copy.deepcopy(self.base_params)
        for p in self.params:
            if p.target == "params":
                self._set(doc, p, values[p.path])
        return doc

    def brain_options(self, values: dict[str, float]) -> dict:
        import copy
        opts = copy.deepcopy(self.spec.brain_options)
        for p in self.params:
            if p.target == "brain_options":
                _set_dotted(opts, p.keys, float(values[p.path]), p.path, False)
        doc = self.params_doc(values)
        if doc is not None:
            import yaml
            text = yaml.safe_dump(doc, sort_keys=False)
            h = hashlib.sha256(text.encode()).hexdigest()[:16]
            path = (self.out / "params" / f"{h}.yaml").resolve()
            if not path.exists():
                rec_io.atomic_write_bytes(path, text.encode())
            opts["params"] = str(path)
        return opts

    def base_hash(self) -> str | None:
        if self.base_params is None:
            return None
        return config_hash(self.base_params)


def resolve_params_base(spec: FitSpec) -> str | None:
    """The params file a fit starts from: ``params_base`` (a path, or ``default``: the brain's
    own default file, so that a control brain starts from its own parameters), else the
    ``params`` brain option."""
    base = spec.params_base or spec.brain_options.get("params")
    if base != "default":
        return base
    try:
        from organisms.c_elegans import params as worm_params  # the worm's per-brain files
    except ImportError:
        raise FitError(f"{spec.source}: params_base: default needs the organism's params "
                       f"module (organisms/c_elegans/params.py)") from None
    files = getattr(worm_params, "DEFAULT_FILES", {})
    if spec.brain not in files:
        raise FitError(f"{spec.source}: params_base: default: brain {spec.brain!r} has no "
                       f"default params file (known: {', '.join(files)})")
    return str(Path(worm_params.PARAMS_DIR) / files[spec.brain])


# ============================================================================ objective

def _reference_entry(task_reference: str | None, feature: str):
    from tasks.reference import load_reference
    if not task_reference:
        raise FitError(f"penalty on {feature!r} with target: reference, but the task has no "
                       f"reference library")
    lib = load_reference(task_reference)
    if feature not in lib:
        raise FitError(f"penalty target: reference: the reference library {task_reference!r} has "
                       f"no entry {feature!r} (entries: {', '.join(lib.ids())})")
    return lib.get(feature)


def score_candidate(objective: Objective, features: list[dict], reference: str | None = None,
                    baseline: list[dict | None] | None = None) -> tuple[float, dict]:
    """Objective (higher is better) of one candidate from its episodes' features → (value,
    details). Episodes that failed have no features (left out); none left → failed_value.
    With ``objective.relative_to`` the value is mean(feature) over ``features`` minus its mean over
    ``baseline`` (the named probe's episodes: the same seeds under the probe's options, e.g. the
    plate without a gradient), so the fit sees the effect of the condition, not the feature."""
    feats = [f for f in features if f]
    details: dict[str, Any] = {"n_episodes": len(features), "n_used": len(feats)}
    failed = objective.failed_value if objective.failed_value is not None else -1e6
    if not feats:
        details["note"] = "no usable episode"
        return failed, details
    if objective.relative_to is not None and baseline is None:
        raise FitError(f"objective relative_to {objective.relative_to!r}: the baseline probe's "
                       f"episodes are needed to score it")
    if objective.population:
        stat = _population_stats()[objective.feature](feats, n_boot=200, seed=0)
        value = stat["value"]
        details[objective.feature] = {k: stat[k] for k in ("value", "ci_low", "ci_high", "n")}
    else:
        vals = np.array([f.get(objective.feature, np.nan) for f in feats], float)
        if not np.isfinite(vals).any():
            details["note"] = f"feature {objective.feature!r} undefined in every episode"
            return failed, details
        value = float(np.nanmean(vals))
        details[objective.feature] = {"mean": value, "n": int(np.isfinite(vals).sum())}
        if objective.relative_to is not None:
            b = np.array([f.get(objective.feature, np.nan) for f in baseline if f], float)
            if not np.isfinite(b).any():
                details["note"] = f"feature {objective.feature!r} undefined in every baseline episode"
                return failed, details
            details[f"baseline:{objective.relative_to}"] = {"mean": float(np.nanmean(b)),
                                                            "n": int(np.isfinite(b).sum())}
            value -= float(np.nanmean(b))
    if not math.isfinite(value):
        return failed, {**details, "note": "objective not finite"}
    if objective.goal == "minimize":
        score = -value
    elif objective.goal == "target":
        score = -abs(value - objective.target) / objective.target_scale
    else:
        score = value
    pen_total = penalty_total(objective.penalties, feats, reference, details)
    details["objective_raw"] = value
    return float(score - pen_total), details


def penalty_total(penalties, feats: list[dict], reference: str | None, details: dict,
                  prefix: str = "") -> float:
    """Sum of weight × max(0, |mean feature − target| − tolerance) / scale over ``penalties`` (a
    feature undefined in every episode costs a fixed 10 × weight); each term goes into ``details``.
    With a tolerance the penalty is a constraint: zero inside the band, so inside it only the
    objective's feature ranks the candidates."""
    total = 0.0
    for pen in penalties:
        vals = np.array([f.get(pen.feature, np.nan) for f in feats], float)
        m = float(np.nanmean(vals)) if np.isfinite(vals).any() else np.nan
        if pen.target == "reference":
            e = _reference_entry(reference, pen.feature)
            t, sc = float(e.mean), float(pen.scale or e.sd)
        else:
            t, sc = float(pen.target), float(pen.scale)
        d = (max(0.0, abs(m - t) - pen.tolerance) / sc if math.isfinite(m)
             else 10.0)   # undefined: a large fixed penalty
        total += pen.weight * d
        details[f"{prefix}penalty:{pen.feature}"] = {"mean": m, "target": t, "scale": sc,
                                                     **({"tolerance": pen.tolerance}
                                                        if pen.tolerance else {}),
                                                     "penalty": pen.weight * d}
    return total


def score_with_probes(spec: FitSpec, main: list[dict | None], probes: list[list[dict | None]],
                      reference: str | None) -> tuple[float, dict]:
    """The candidate's objective minus its probes' penalties. A probe none of whose episodes
    ran costs 10 × weight per penalty (as an undefined feature does)."""
    names = [p.name for p in spec.probes]
    rel = spec.objective.relative_to
    score, details = score_candidate(spec.objective, main, reference,
                                     baseline=None if rel is None else probes[names.index(rel)])
    for probe, feats in zip(spec.probes, probes):
        used = [f for f in feats if f]
        details[f"probe:{probe.name}"] = {"n_episodes": len(feats), "n_used": len(used)}
        score -= penalty_total(probe.penalties, used, reference, details, prefix=f"probe:{probe.name}:")
    return float(score), details


# ============================================================================ optimiser

def _import_cma():
    try:
        import cma
    except ImportError:
        raise FitError("cgym fit needs the cma package (CMA-ES): pip install "
                       "'connectome-gym[fit]'") from None
    return cma


class _Cma:
    """A CMA-ES whose every random draw is seeded from (seed, generation), so asking does not
    depend on (or disturb) the process's global NumPy state, which episodes reseed."""

    def __init__(self, x0, sigma0: float, popsize: int, seed: int):
        cma = _import_cma()
        self.seed = int(seed)
        state = np.random.get_state()
        try:
            self.es = cma.CMAEvolutionStrategy(list(x0), float(sigma0), {
                "seed": self.seed, "popsize": int(popsize), "bounds": [0.0, 1.0],
                "verbose": -9, "CMA_diagonal": False, "tolfun": 0, "tolx": 0, "tolfunhist": 0,
                "tolstagnation": 10 ** 9, "maxiter": 10 ** 9})
        finally:
            np.random.set_state(state)

    def ask(self, generation: int) -> list[list[float]]:
        state = np.random.get_state()
        try:
            np.random.seed((self.seed * 1_000_003 + generation) % 2 ** 32)
            return [list(map(float, x)) for x in self.es.ask()]
        finally:
            np.random.set_state(state)

    def tell(self, X, fitness) -> None:
        state = np.random.get_state()
        try:
            self.es.tell([np.asarray(x) for x in X], list(map(float, fitness)))
        finally:
            np.random.set_state(state)

    def snapshot(self) -> dict:
        es = self.es
        return {"mean": list(map(float, es.mean)), "sigma": float(es.sigma),
                "covariance": np.asarray(es.C, float).tolist(),
                "countiter": int(es.countiter), "countevals": int(es.countevals)}


# ============================================================================ the fit

@dataclass
class FitResult:
    out_dir: Path
    generations: int
    episodes: int
    best_fitness: float
    best_values: dict[str, float]
    best_generation: int
    wall_s: float
    episodes_run: int
    episodes_per_hour: float | None
    workers: str
    finished: bool
    sim_s_per_wall_s: float | None = None


def _spec_for_generation(spec: FitSpec, task: str, cands: list[dict], seeds, g: int) -> SweepSpec:
    """The generation's sweep: every candidate on the training seeds, then, probe by probe, every
    candidate again under the probe's options (conditions in that order)."""
    conds = [Condition(task=task, brain=spec.brain, brain_options=o,
                       task_options=dict(spec.task_options), duration=spec.duration,
                       record_rate_hz=spec.record_rate_hz, label=f"cand{k:03d}")
             for k, o in enumerate(cands)]
    for probe in spec.probes:
        conds += [Condition(task=task, brain=spec.brain, brain_options={**o, **probe.brain_options},
                            task_options={**spec.task_options, **probe.task_options},
                            duration=probe.duration or spec.duration,
                            record_rate_hz=spec.record_rate_hz, label=f"cand{k:03d}-{probe.name}")
                  for k, o in enumerate(cands)]
    return SweepSpec(conditions=conds, seeds=list(seeds), name=f"{spec.name or 'fit'}-gen{g:04d}",
                     wcon=False, source=f"{spec.source} (generation {g})",
                     raw={"fit_spec": spec.source, "generation": g})


def episode_records(gen_dir: Path, sweep: SweepSpec) -> list[list[tuple[Path, dict] | None]]:
    """Per condition, per seed (in sweep order): (path of the episode's JSON, its record) for an
    episode that finished ok, else None."""
    out = []
    for cond, name in zip(sweep.conditions, sweep.dir_names()):
        by_hash = {}
        for p in (gen_dir / name / rec_io.EPISODES_DIR).glob("ep_*.json"):
            try:
                r = rec_io.read_json(p)
            except (OSError, ValueError):
                continue
            by_hash[((r.get("config") or {}).get("sweep") or {}).get("episode_hash")] = (p, r)
        row = []
        for s in sweep.seeds:
            pr = by_hash.get(cond.episode_hash(s))
            row.append(pr if pr and pr[1].get("status") == "ok" else None)
        out.append(row)
    return out


def record_features(row: list[tuple[Path, dict] | None]) -> list[dict | None]:
    """The features of one condition's row of :func:`episode_records` (None where it failed)."""
    return [pr[1].get("features") if pr else None for pr in row]


def collect_features(gen_dir: Path, sweep: SweepSpec) -> list[list[dict | None]]:
    """Per condition, per seed (in sweep order): the episode's features, or None if it failed."""
    return [record_features(row) for row in episode_records(gen_dir, sweep)]


def _resolve_task_name(spec: FitSpec, task: str | None) -> str:
    if task and spec.task and task != spec.task:
        raise FitError(f"{spec.source}: the spec is for task {spec.task!r}, the command names "
                       f"{task!r}")
    name = task or spec.task
    if not name:
        raise FitError(f"{spec.source}: no task: give `cgym fit TASK` or task: in the spec")
    return name


def _connectome_names(task: str, spec: FitSpec, brain_options: dict) -> tuple[set, dict]:
    """Neuron and class names of the brain's connectome, for the per-class check (empty when
    the brain has no connectome)."""
    from .episode import EpisodeRunner
    opts = {k: v for k, v in brain_options.items()}
    runner = EpisodeRunner(task, spec.brain, min(spec.duration, 0.1), opts, spec.task_options)
    try:
        net = getattr(runner.brain, "network", None)
        c = getattr(net, "connectome", None)
        if c is None or not hasattr(c, "neurons"):
            return set(), {}
        names = set(map(str, c.neurons.index))
        class_of: dict[str, tuple[str, int]] = {}
        if "cell_class" in c.neurons:
            cls = c.neurons["cell_class"].astype(str)
            counts = cls.value_counts().to_dict()
            for n, k in cls.items():
                class_of[str(n)] = (k, int(counts[k]))
            names |= set(cls)
        return names, class_of
    finally:
        runner.close()


def run_fit(spec: FitSpec | str | Path, out: str | Path, task: str | None = None,
            brain: str | None = None, brain_options: dict | None = None,
            workers: int | None = None, dask_local: int | None = None,
            scheduler: str | None = None, progress: bool = True,
            log: Callable[[str], None] | None = None, episode_hook: str | None = None,
            _stop_after_generation: int | None = None) -> FitResult:
    """Run (or resume) a fit into ``out``. ``brain`` / ``brain_options`` override the spec's
    (controls). ``_stop_after_generation`` (tests): ``KeyboardInterrupt`` after that generation
    is saved, as if the fit had been killed."""
    log = log or (lambda m: print(m, file=sys.stderr))
    if not isinstance(spec, FitSpec):
        spec = load_fit_spec(spec)
    if brain:
        spec.brain = brain
    if brain_options:
        spec.brain_options = {**spec.brain_options, **brain_options}
    task_name = _resolve_task_name(spec, task)
    spec.task = task_name
    out_dir = Path(out)
    out_dir.mkdir(parents=True, exist_ok=True)

    # 1. the spec must be the one this folder was started with
    state_path = out_dir / STATE_FILE
    prior = rec_io.read_json(state_path) if state_path.exists() else None
    if prior is not None:
        if prior.get("schema") != STATE_SCHEMA:
            raise FitError(f"{state_path}: not a fit state file ({prior.get('schema')!r})")
        if prior.get("spec_hash") != spec.hash():
            raise FitError(f"{out_dir}: this folder holds a fit of a different spec (or brain / "
                           f"brain options); resume with the same spec or choose a new --out")
    import yaml
    rec_io.atomic_write_bytes(out_dir / SPEC_FILE, yaml.safe_dump(
        {**spec.raw, "task": task_name, "brain": spec.brain, "brain_options": spec.brain_options},
        sort_keys=False).encode())

    # 2. per class, never per edge (with the connectome's own names)
    names, class_of = _connectome_names(task_name, spec, spec.brain_options)
    for i, p in enumerate(spec.parameters):
        check_path_is_per_class(p.path, f"{spec.source}: parameters[{i}]", names, class_of)
    cands = Candidates(spec, out_dir)
    if prior is not None and prior.get("params_base_hash") != cands.base_hash():
        raise FitError(f"{out_dir}: the params file {cands.base_params_path} changed since this "
                       f"fit started; resume needs the same file, or choose a new --out")
    from .episode import resolve_task
    reference = resolve_task(task_name).reference

    # 3. the optimiser, replayed from the state file
    opt = _Cma(cands.x0(), spec.sigma0, spec.popsize, spec.opt_seed)
    history: list[dict] = list((prior or {}).get("generations", []))
    for rec in history:
        X = opt.ask(rec["generation"])
        if not np.allclose(X, rec["X"], rtol=0, atol=1e-12):
            raise FitError(f"{state_path}: replaying generation {rec['generation']} asked "
                           f"different candidates than were saved (another cma version?); "
                           f"start a new --out")
        opt.tell(rec["X"], rec["fitness"])
    if history:
        log(f"resuming {out_dir}: {len(history)} generation(s) replayed from {STATE_FILE}")

    n_seeds = len(spec.seeds)
    per_gen = spec.popsize * spec.episodes_per_candidate()
    max_gens = spec.generations if spec.generations is not None else 10 ** 9
    if spec.max_episodes is not None:
        max_gens = min(max_gens, spec.max_episodes // per_gen)
    if max_gens < 1:
        raise FitError(f"{spec.source}: budget.episodes {spec.max_episodes} is less than one "
                       f"generation ({spec.popsize} candidates × {n_seeds} seeds"
                       f"{f' × {1 + len(spec.probes)} conditions' if spec.probes else ''} = {per_gen})")

    bar = None
    if progress:
        from tqdm.auto import tqdm
        bar = tqdm(total=max_gens, initial=min(len(history), max_gens), unit="gen",
                   desc=f"fit {spec.brain}", file=sys.stderr, dynamic_ncols=True)
    t_start = time.perf_counter()
    episodes_run, wall_run, backend_desc = 0, 0.0, ""
    backend = None
    try:
        while len(history) < max_gens:
            g = len(history) + 1
            X = opt.ask(g)
            values = [cands.values(x) for x in X]
            bopts = [cands.brain_options(v) for v in values]
            sweep = _spec_for_generation(spec, task_name, bopts, spec.seeds, g)
            gen_dir = out_dir / f"gen_{g:04d}"
            if backend is None and (workers != 0 or dask_local or scheduler):
                from .executors import make_backend
                backend = _KeepOpen(make_backend(workers=workers, dask_local=dask_local,
                                                 scheduler=scheduler))
            t0 = time.perf_counter()
            summ = sweep_mod.run_sweep(sweep, gen_dir, workers=workers, progress=False, log=log,
                                       episode_hook=episode_hook, backend=backend)
            wall = time.perf_counter() - t0
            backend_desc = summ.executor if summ.n_ran else backend_desc
            episodes_run += summ.n_ran
            wall_run += wall if summ.n_ran else 0.0
            feats = collect_features(gen_dir, sweep)
            n = len(X)
            scored = [score_with_probes(spec, feats[k], [feats[(j + 1) * n + k] for j in range(len(spec.probes))],
                                        reference) for k in range(n)]
            fitness = [-s for s, _ in scored]          # CMA-ES minimises
            opt.tell(X, fitness)
            history.append({"generation": g, "X": X, "fitness": fitness,
                            "values": values, "objective": [s for s, _ in scored],
                            "details": [d for _, d in scored], "sweep_dir": gen_dir.name,
                            "episodes": per_gen, "episodes_run_now": summ.n_ran,
                            "wall_s": wall})
            best = _best(history)
            rec_io.atomic_write_json(state_path, _state_doc(spec, opt, history, best, cands))
            _write_fitted(out_dir, spec, cands, best, history)
            if bar is not None:
                bar.update(1)
                bar.set_postfix(best=f"{best['objective']:.4g}", gen_best=f"{max(h for h in history[-1]['objective']):.4g}")
            else:
                log(f"generation {g}: best {max(history[-1]['objective']):.4g}, "
                    f"overall {best['objective']:.4g}")
            if _stop_after_generation is not None and g >= _stop_after_generation:
                raise KeyboardInterrupt(f"stopped after generation {g} (test)")
    finally:
        if bar is not None:
            bar.close()
        if backend is not None:
            backend.inner.close(cancel=True)
    best = _best(history)
    total_wall = time.perf_counter() - t_start
    eph = episodes_run / wall_run * 3600.0 if episodes_run and wall_run > 0 else None
    return FitResult(out_dir=out_dir, generations=len(history), episodes=len(history) * per_gen,
                     best_fitness=best["objective"], best_values=best["values"],
                     best_generation=best["generation"], wall_s=total_wall,
                     episodes_run=episodes_run, episodes_per_hour=eph,
                     workers=backend_desc or "(nothing run)", finished=True,
                     sim_s_per_wall_s=(episodes_run * spec.duration / wall_run
                                       if episodes_run and wall_run > 0 else None))


class _KeepOpen:
    """One executor for every generation: ``run_sweep`` closes the backend it is given at the
    end of each sweep; this keeps the worker processes (and their imports) alive between
    generations, and closes them only when a sweep was interrupted."""

    def __init__(self, inner):
        self.inner = inner

    def __getattr__(self, name):
        return getattr(self.inner, name)

    def close(self, cancel: bool = False) -> None:
        if cancel:
            self.inner.close(cancel=True)


def _best(history: list[dict]) -> dict:
    best = None
    for h in history:
        for k, s in enumerate(h["objective"]):
            if best is None or s > best["objective"]:
                best = {"objective": float(s), "generation": h["generation"], "candidate": k,
                        "values": h["values"][k], "unit": h["X"][k], "details": h["details"][k]}
    return best or {}


def _state_doc(spec: FitSpec, opt: _Cma, history: list[dict], best: dict,
               cands: Candidates) -> dict:
    return {"schema": STATE_SCHEMA, "spec_hash": spec.hash(), "spec_source": spec.source,
            "params_base": cands.base_params_path, "params_base_hash": cands.base_hash(),
            "parameters": [p.as_dict() for p in cands.params],
            "task": spec.task, "brain": spec.brain, "brain_options": spec.brain_options,
            "optimiser": spec.optimiser_settings(), "budget": spec.budget(),
            "training_seeds": spec.seeds, "x0": [float(x) for x in opt.es.x0],
            "state": opt.snapshot(), "generations": history, "best": best,
            "episodes": sum(h["episodes"] for h in history),
            "updated": datetime.now(timezone.utc).isoformat()}


def _write_fitted(out_dir: Path, spec: FitSpec, cands: Candidates, best: dict,
                  history: list[dict]) -> None:
    import yaml
    values = best["values"]
    doc = dict(cands.params_doc(values) or {})
    if "brain" in doc:   # a params file names its brain: the fitted one belongs to the brain fitted,
        doc["brain"] = spec.brain   # even when it started from a file shared by several brains
        opts = ", ".join(f"{k}={v}" for k, v in spec.brain_options.items() if k != "params")
        doc["description"] = (f"Parameters of the {spec.brain} brain{f' ({opts})' if opts else ''} fitted by "
                              f"{spec.source} (fit block below), started from {cands.base_params_path}.")
    doc["fit"] = {
        "command": rec_io.command_line(), "spec": spec.source, "spec_hash": spec.hash(),
        "task": spec.task, "brain": spec.brain, "brain_options": {
            k: v for k, v in spec.brain_options.items() if k != "params"},
        "params_base": cands.base_params_path, "params_base_hash": cands.base_hash(),
        "parameters": [p.as_dict() for p in cands.params],
        "best_values": {k: float(v) for k, v in values.items()},
        "brain_option_values": {p.path[len("brain_options."):]: float(values[p.path])
                                for p in cands.params if p.target == "brain_options"},
        "objective": spec.raw.get("objective"),
        **({"probes": spec.raw.get("probes")} if spec.probes else {}),
        "best_objective": float(best["objective"]),
        "best_generation": best["generation"], "generations": len(history),
        "episodes": sum(h["episodes"] for h in history), "budget": spec.budget(),
        "optimiser": spec.optimiser_settings(), "training_seeds": spec.seeds,
        "duration_s": spec.duration, "git_commit": rec_io.git_commit(),
        "versions": {k: v for k, v in rec_io.package_versions().items() if v},
        "written": datetime.now(timezone.utc).isoformat(),
        "note": "fitted on the training seeds only; held-out results: cgym fit ... --evaluate SEEDS"}
    rec_io.atomic_write_bytes(out_dir / FITTED_FILE, yaml.safe_dump(doc, sort_keys=False).encode())


# ============================================================================ evaluation

def evaluate_fit(out: str | Path, seeds: list[int], spec: FitSpec | str | Path | None = None,
                 workers: int | None = None, dask_local: int | None = None,
                 scheduler: str | None = None, progress: bool = True,
                 log: Callable[[str], None] | None = None,
                 episode_hook: str | None = None) -> dict:
    """Best vs initial parameters of the fit in ``out`` on held-out ``seeds`` (never training
    seeds) → ``out/evaluate_<seeds>.json``."""
    log = log or (lambda m: print(m, file=sys.stderr))
    out_dir = Path(out)
    state_path = out_dir / STATE_FILE
    if not state_path.exists():
        raise FitError(f"{out_dir}: no {STATE_FILE}; run the fit first")
    state = rec_io.read_json(state_path)
    spec = load_fit_spec(out_dir / SPEC_FILE) if spec is None else (
        spec if isinstance(spec, FitSpec) else load_fit_spec(spec))
    spec.task = state["task"]
    spec.brain = state["brain"]
    spec.brain_options = dict(state.get("brain_options") or {})
    overlap = sorted(set(seeds) & set(state["training_seeds"]))
    if overlap:
        raise FitError(f"--evaluate: seeds {overlap} were used in training; held-out seeds must "
                       f"differ from the training seeds {state['training_seeds']}")
    if spec.objective.relative_to is not None:
        raise FitError(f"--evaluate: the objective is relative to the probe "
                       f"{spec.objective.relative_to!r}, and --evaluate runs no probes; judge it on "
                       f"held-out seeds from runs of both conditions (for the worm's salt effect: "
                       f"organisms/c_elegans/tools/salt_effect.py)")
    cands = Candidates(spec, out_dir)
    best = state["best"]
    init_values = cands.values(cands.x0())
    runs = {"fitted": best["values"], "initial": init_values}
    conds = [Condition(task=spec.task, brain=spec.brain, brain_options=cands.brain_options(v),
                       task_options=dict(spec.task_options), duration=spec.duration,
                       record_rate_hz=spec.record_rate_hz, label=k) for k, v in runs.items()]
    tag = _seeds_tag(seeds)
    sweep = SweepSpec(conditions=conds, seeds=list(seeds), name=f"{spec.name or 'fit'}-evaluate",
                      wcon=False, source=f"{spec.source} (evaluate)", raw={"evaluate": seeds})
    eval_dir = out_dir / f"evaluate_{tag}"
    sweep_mod.run_sweep(sweep, eval_dir, workers=workers, dask_local=dask_local,
                        scheduler=scheduler, progress=progress, log=log, episode_hook=episode_hook)
    from .episode import resolve_task
    reference = resolve_task(spec.task).reference
    feats = collect_features(eval_dir, sweep)
    result = {"schema": "cgym.fit-evaluate/1", "fit": str(out_dir), "task": spec.task,
              "brain": spec.brain, "brain_options": {k: v for k, v in spec.brain_options.items()},
              "held_out_seeds": list(seeds), "training_seeds": state["training_seeds"],
              "objective": spec.raw.get("objective"), "rows": {}}
    for (label, values), f in zip(runs.items(), feats):
        score, details = score_candidate(spec.objective, f, reference)
        row = {"values": values, "objective": score, "details": details,
               "n_failed": sum(x is None for x in f)}
        if not spec.objective.population:
            v = np.array([x.get(spec.objective.feature, np.nan) if x else np.nan for x in f])
            row["feature_ci"] = tuple(bootstrap_ci(v, min_n=2)[1:])  # episodes resampled
        else:
            row["feature_ci"] = [details.get(spec.objective.feature, {}).get("ci_low"),
                                 details.get(spec.objective.feature, {}).get("ci_high")]
        row["training_objective"] = best["objective"] if label == "fitted" else None
        result["rows"][label] = row
    rec_io.atomic_write_json(out_dir / f"evaluate_{tag}.json", result)
    return result


def _seeds_tag(seeds: list[int]) -> str:
    s = sorted(seeds)
    if s == list(range(s[0], s[-1] + 1)):
        return f"{s[0]}-{s[-1]}"
    return hashlib.sha256(",".join(map(str, s)).encode()).hexdigest()[:8]


def parse_seeds(text: str) -> list[int]:
    """``1000-1015`` or ``1,2,5`` or ``1000-1007,2000``."""
    out: list[int] = []
    try:
        for part in str(text).split(","):
            part = part.strip()
            if "-" in part[1:]:
                a, b = part.split("-", 1) if not part.startswith("-") else part[1:].split("-", 1)
                out += list(range(int(a), int(b) + 1))
            elif part:
                out.append(int(part))
    except ValueError:
        raise FitError(f"--evaluate: seeds are integers or ranges like 1000-1015, got {text!r}") from None
    if not out or len(set(out)) != len(out):
        raise FitError(f"--evaluate: give distinct seeds, got {text!r}")
    return out


# ============================================================================ CLI

def controls_commands(task: str = "celegans/chemotaxis", spec: str = "FIT.yaml",
                      out: str = "runs/fit", shuffle_seeds=(1, 2, 3),
                      held_out: str = "5000-5015") -> list[str]:
    cmds = [f"cgym fit {task} --spec {spec} --out {out}/connectome --brain connectome"]
    cmds += [f"cgym fit {task} --spec {spec} --out {out}/shuffled-{s} --brain shuffled "
             f"--brain-option shuffle_seed={s}" for s in shuffle_seeds]
    cmds += [f"cgym fit {task} --spec {spec} --out {out}/no-nerve-ring --brain no-nerve-ring"]
    cmds += [c.split(" --brain ")[0] + f" --evaluate {held_out}" for c in list(cmds)]
    return cmds


def parse_brain_options(items: list[str] | None) -> dict:
    """``--brain-option KEY=VALUE`` strings -> dict (``nervous_systems.yaml_file.parse_key_values``)."""
    try:
        return parse_key_values(items, "--brain-option")
    except ValueError as exc:
        raise FitError(str(exc)) from None


def add_parser(subparsers) -> argparse.ArgumentParser:
    p = subparsers.add_parser(
        "fit", help="fit per-class parameters with CMA-ES on training seeds (resumable)",
        description="CMA-ES over per-class parameters of a brain (never per-edge weights), each "
                    "generation's episodes on the sweep machinery; resumable (rerun the same "
                    "command); --evaluate reports held-out seeds. Spec format: "
                    "runners/execution/fit.py; protocol: runners/execution/FIT_AND_PERTURBATIONS.md")
    _add_arguments(p)
    p.set_defaults(func=cli_main)
    return p


def _add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("task", nargs="?", help="task name, e.g. celegans/chemotaxis (else the spec's)")
    p.add_argument("--spec", help="fit spec YAML (format: the docstring of runners/execution/fit.py)")
    p.add_argument("--out", help="output folder (rerun the same command to resume)")
    p.add_argument("--brain", help="override the spec's brain (controls: shuffled, no-nerve-ring)")
    p.add_argument("--brain-option", action="append", metavar="KEY=VALUE",
                   help="add/override a brain option (repeatable), e.g. shuffle_seed=2")
    p.add_argument("--workers", type=int, default=None,
                   help="process-pool size (default: CPU count; 0 = inline)")
    p.add_argument("--dask-local", type=int, default=None, metavar="N",
                   help="run the episodes on a local Dask cluster of N worker processes")
    p.add_argument("--scheduler", default=None, metavar="ADDRESS",
                   help="run the episodes on a running Dask scheduler (tcp://HOST:PORT)")
    p.add_argument("--evaluate", metavar="SEEDS",
                   help="instead of fitting: run the fitted and the initial parameters on these "
                        "held-out seeds (e.g. 5000-5015) and report them")
    p.add_argument("--controls", action="store_true",
                   help="print the control protocol's commands for this spec and exit")
    p.add_argument("--no-progress", action="store_true", help="no progress bar")


def cli_main(args) -> int:
    if args.controls:
        print("# same spec, same budget, same seeds for every brain; then held-out evaluation")
        for c in controls_commands(args.task or "celegans/chemotaxis", args.spec or "FIT.yaml",
                                   args.out or "runs/fit"):
            print(c)
        return 0
    if not args.spec or not args.out:
        print("cgym fit: error: --spec and --out are required", file=sys.stderr)
        return 2
    try:
        spec = load_fit_spec(args.spec)
        bopts = parse_brain_options(args.brain_option)
        if args.evaluate:
            seeds = parse_seeds(args.evaluate)
            # the evaluation reads task/brain from the fit folder; the CLI may not change them
            res = evaluate_fit(args.out, seeds, spec, workers=args.workers,
                               dask_local=args.dask_local, scheduler=args.scheduler,
                               progress=not args.no_progress)
            print(evaluation_table(res))
            return 0
        res = run_fit(spec, args.out, task=args.task, brain=args.brain, brain_options=bopts,
                      workers=args.workers, dask_local=args.dask_local, scheduler=args.scheduler,
                      progress=not args.no_progress)
    except FitError as exc:
        print(f"cgym fit: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print(f"\ncgym fit: interrupted; rerun the same command to resume from {args.out}",
              file=sys.stderr)
        return 130
    print(fit_report(res))
    return 0


def fit_report(res: FitResult) -> str:
    lines = [f"fit {res.out_dir}: {res.generations} generation(s), {res.episodes} episode(s)",
             f"best objective {res.best_fitness:.6g} (generation {res.best_generation}) with:"]
    lines += [f"  {k} = {v:.6g}" for k, v in res.best_values.items()]
    if res.episodes_per_hour:
        lines.append(f"throughput: {res.episodes_run} episode(s) in this invocation, "
                     f"{res.episodes_per_hour:.0f} episodes/hour on {res.workers}, "
                     f"{res.sim_s_per_wall_s:.3g} simulated s per wall s in all (measured wall "
                     f"time of the generations' sweeps, episode set-up and saving included)")
    else:
        lines.append("throughput: no episode ran in this invocation (everything was resumed)")
    lines.append(f"parameters: {res.out_dir / FITTED_FILE}")
    return "\n".join(lines)


def evaluation_table(res: dict) -> str:
    seeds = res["held_out_seeds"]
    lines = [f"held-out evaluation of {res['fit']} ({res['brain']}, {len(seeds)} seeds "
             f"{seeds[0]}..{seeds[-1]}, never used in training)",
             f"{'parameters':<10} {'objective':>12} {'95% CI (feature)':>24} {'failed':>7}"]
    for label, row in res["rows"].items():
        lo, hi = row["feature_ci"]
        ci = f"[{lo:.3g}, {hi:.3g}]" if lo is not None and hi is not None and \
            math.isfinite(lo) and math.isfinite(hi) else "-"
        lines.append(f"{label:<10} {row['objective']:>12.4g} {ci:>24} {row['n_failed']:>7d}")
    return "\n".join(lines)


def main(argv=None) -> int:
    p = argparse.ArgumentParser(prog="python -m runners.execution.fit")
    _add_arguments(p)
    return cli_main(p.parse_args(argv))


if __name__ == "__main__":
    raise SystemExit(main())
