"""Sweep files: a grid or a list of conditions × seeds, parsed and checked before anything runs.

The minimal form::

    task: celegans/chemotaxis
    brains: [null, random]
    seeds: [1, 2]
    duration: 5

Every key (all optional except ``seeds`` and a task and at least one brain or condition)::

    name: worm-controls            # label only
    task: celegans/chemotaxis      # or  tasks: [a, b]  (a grid axis)
    brains:                        # a grid axis: names, or {brain, options, name}
      - connectome
      - {brain: connectome, options: {lesion: [AIY]}, name: connectome-AIY}
      - null                       # YAML reads a bare null as "no value": taken as the null brain
    brain_options: {}              # given to every brain (a brain entry's options win)
    task_options: {}               # given to every env (e.g. {medium: agar})
    grid:                          # more grid axes: dotted key → list of values
      brain_options.activate_mV: [5, 10]
      task_options.medium: [agar]
      duration: [5, 10]
    conditions:                    # explicit extra conditions (list form), each inheriting the
      - {brain: reflex, task_options: {medium: agar}, name: reflex-agar}   # top-level values
    seeds: [0, 1, 2]               # or {start: 0, count: 8}; the same seeds for every condition
    duration: 5                    # simulated seconds per episode
    record_rate_hz: 25             # default: the env's own rate
    wcon: true                     # also write each trajectory as WCON (worm tasks)

The conditions are ``tasks × brains × grid`` (when ``brains`` is given) followed by the
``conditions`` list; each condition runs every seed. Conditions are named from their brain and
the options they set (or by ``name``), plus a short hash of their full configuration.
"""

from __future__ import annotations

import difflib
import hashlib
import itertools
import json
import math
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .episode import RunConfigError

TOP_KEYS = ("name", "task", "tasks", "brain", "brains", "brain_options", "task_options", "grid",
            "conditions", "seeds", "duration", "record_rate_hz", "wcon")
CONDITION_KEYS = ("name", "task", "brain", "brain_options", "options", "task_options",
                  "duration", "record_rate_hz")
BRAIN_ENTRY_KEYS = ("brain", "options", "brain_options", "name")
GRID_KEYS = ("task", "brain", "duration", "record_rate_hz")   # + brain_options.X / task_options.X


class SweepError(RunConfigError):
    """A sweep file that cannot run (one clear line naming the file and the key)."""


@dataclass(frozen=True)
class Condition:
    """One (task, brain, options, duration) cell of a sweep; it runs every seed."""
    task: str
    brain: str
    brain_options: dict = field(default_factory=dict)
    task_options: dict = field(default_factory=dict)
    duration: float = 10.0
    record_rate_hz: float | None = None
    label: str | None = None   # a name given in the sweep file
    tag: str = ""              # grid values not shown by the options (e.g. "5s" for durations)

    def __hash__(self):  # dict fields: hash by configuration
        return hash(self.hash)

    def config(self) -> dict:
        """What makes an episode what it is (hashed, with the seed, into its file name)."""
        return {"task": self.task, "brain": self.brain,
                "brain_options": _canonical(self.brain_options),
                "task_options": _canonical(self.task_options),
                "duration": float(self.duration), "record_rate_hz": self.record_rate_hz}

    @property
    def hash(self) -> str:
        return config_hash(self.config())

    def episode_hash(self, seed: int) -> str:
        return config_hash({**self.config(), "seed": int(seed)})

    def dir_name(self, with_task: bool = False) -> str:
        if self.label:
            base = self.label
        else:
            parts = [self.task.replace("/", "_")] if with_task else []
            parts.append(self.brain)
            for prefix, opts in (("", self.brain_options), ("task.", self.task_options)):
                for k, v in sorted(opts.items()):
                    v = ",".join(map(str, v)) if isinstance(v, (list, tuple)) else v
                    parts.append(f"{prefix}{k}={v}")
            parts += [self.tag] if self.tag else []
            base = "__".join(str(p) for p in parts)
        base = re.sub(r"[^A-Za-z0-9_.=,+-]+", "-", base)[:80]
        return f"{base}__{self.hash[:8]}"


@dataclass
class SweepSpec:
    conditions: list[Condition]
    seeds: list[int]
    name: str = ""
    wcon: bool = True
    source: str = "<sweep>"
    raw: dict = field(default_factory=dict)

    @property
    def n_episodes(self) -> int:
        return len(self.conditions) * len(self.seeds)

    def dir_names(self) -> list[str]:
        with_task = len({c.task for c in self.conditions}) > 1
        return [c.dir_name(with_task) for c in self.conditions]


def config_hash(obj: Any) -> str:
    """sha256 of the canonical JSON (sorted keys) of ``obj``."""
    text = json.dumps(_canonical(obj), sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()


def _canonical(obj: Any) -> Any:
    if isinstance(obj, dict):
        return {str(k): _canonical(v) for k, v in sorted(obj.items(), key=lambda kv: str(kv[0]))}
    if isinstance(obj, (list, tuple)):
        return [_canonical(v) for v in obj]
    return obj


def _unknown(key: str, allowed, where: str) -> SweepError:
    close = difflib.get_close_matches(str(key), allowed, n=3, cutoff=0.5)
    hint = f" Did you mean {', '.join(close)}?" if close else ""
    return SweepError(f"{where}: unknown key {key!r}; allowed: {', '.join(allowed)}.{hint}")


def _brain_name(v: Any, where: str) -> str:
    if v is None:          # YAML: `brains: [null, random]` reads null as None
        return "null"
    if not isinstance(v, str) or not v:
        raise SweepError(f"{where}: a brain is a name (string), got {v!r}")
    return v


def _dict(v: Any, where: str) -> dict:
    if v is None:
        return {}
    if not isinstance(v, dict):
        raise SweepError(f"{where}: expected a mapping (key: value), got {type(v).__name__} {v!r}")
    return dict(v)


def _duration(v: Any, where: str) -> float:
    try:
        d = float(v)
    except (TypeError, ValueError):
        raise SweepError(f"{where}: duration must be a number of seconds, got {v!r}") from None
    if not (d > 0 and math.isfinite(d)):
        raise SweepError(f"{where}: duration must be > 0 s and finite, got {v!r}")
    return d


def _rate(v: Any, where: str) -> float | None:
    if v is None:
        return None
    try:
        r = float(v)
    except (TypeError, ValueError):
        raise SweepError(f"{where}: record_rate_hz must be a number, got {v!r}") from None
    if not (r > 0 and math.isfinite(r)):
        raise SweepError(f"{where}: record_rate_hz must be > 0 and finite, got {v!r}")
    return r


def _seeds(v: Any, where: str) -> list[int]:
    if isinstance(v, dict):
        extra = set(v) - {"start", "count"}
        if extra or "count" not in v:
            raise SweepError(f"{where}: seeds as a mapping takes start and count, e.g. "
                             f"{{start: 0, count: 8}}; got {v!r}")
        try:
            start, count = int(v.get("start", 0)), int(v["count"])
        except (TypeError, ValueError):
            raise SweepError(f"{where}: seeds start/count must be integers, got {v!r}") from None
        if count < 1:
            raise SweepError(f"{where}: seeds count must be ≥ 1, got {count}")
        if start < 0:
            raise SweepError(f"{where}: seeds must be ≥ 0, got start {start}")
        return list(range(start, start + count))
    if isinstance(v, (list, tuple)) and v:
        out = []
        for s in v:
            if isinstance(s, bool) or not isinstance(s, int):
                raise SweepError(f"{where}: every seed must be an integer, got {s!r}")
            if s < 0:
                raise SweepError(f"{where}: seeds must be ≥ 0, got {s}")
            out.append(int(s))
        dup = sorted({s for s in out if out.count(s) > 1})
        if dup:
            raise SweepError(f"{where}: seeds repeat: {dup}")
        return out
    raise SweepError(f"{where}: seeds must be a non-empty list of integers or "
                     f"{{start: S, count: N}}, got {v!r} (for N seeds from 0: "
                     f"seeds: {{start: 0, count: N}})")


def parse_sweep(data: Any, source: str = "<sweep>") -> SweepSpec:
    """A sweep mapping (as read from YAML) → :class:`SweepSpec`; :class:`SweepError` if bad."""
    if not isinstance(data, dict):
        raise SweepError(f"{source}: a sweep file is a mapping (task:, brains:, seeds:, ...), "
                         f"got {type(data).__name__}")
    for k in data:
        if k not in TOP_KEYS:
            raise _unknown(k, TOP_KEYS, source)
    if "task" in data and "tasks" in data:
        raise SweepError(f"{source}: give task or tasks, not both")
    if "brain" in data and "brains" in data:
        raise SweepError(f"{source}: give brain or brains, not both")
    tasks = data.get("tasks", [data["task"]] if "task" in data else [])
    if isinstance(tasks, str):
        tasks = [tasks]
    if not isinstance(tasks, list) or not all(isinstance(t, str) for t in tasks):
        raise SweepError(f"{source}: tasks must be a list of task names, got {tasks!r}")
    if "seeds" not in data:
        raise SweepError(f"{source}: missing key 'seeds' (e.g. seeds: [0, 1, 2] or "
                         f"seeds: {{start: 0, count: 8}})")
    seeds = _seeds(data["seeds"], f"{source}: seeds")
    base_bopts = _dict(data.get("brain_options"), f"{source}: brain_options")
    base_topts = _dict(data.get("task_options"), f"{source}: task_options")
    duration = _duration(data.get("duration", 10.0), f"{source}: duration")
    rate = _rate(data.get("record_rate_hz"), f"{source}: record_rate_hz")

    brains_raw = data.get("brains", [data["brain"]] if "brain" in data else [])
    if not isinstance(brains_raw, list):
        brains_raw = [brains_raw]
    brains: list[tuple[str, dict, str | None]] = []
    for i, b in enumerate(brains_raw):
        where = f"{source}: brains[{i}]"
        if isinstance(b, dict):
            for k in b:
                if k not in BRAIN_ENTRY_KEYS:
                    raise _unknown(k, BRAIN_ENTRY_KEYS, where)
            if "brain" not in b:
                raise SweepError(f"{where}: a brain entry needs 'brain: NAME', got {b!r}")
            if "options" in b and "brain_options" in b:
                raise SweepError(f"{where}: give options or brain_options, not both")
            opts = _dict(b.get("options", b.get("brain_options")), f"{where}: options")
            brains.append((_brain_name(b["brain"], where), opts, b.get("name")))
        else:
            brains.append((_brain_name(b, where), {}, None))

    grid = _dict(data.get("grid"), f"{source}: grid")
    axes: list[tuple[str, list]] = []
    for k, vals in grid.items():
        where = f"{source}: grid.{k}"
        if not (k in GRID_KEYS or k.startswith(("brain_options.", "task_options."))):
            raise _unknown(k, list(GRID_KEYS) + ["brain_options.KEY", "task_options.KEY"],
                           f"{source}: grid")
        if not isinstance(vals, list) or not vals:
            raise SweepError(f"{where}: a grid axis is a non-empty list of values, got {vals!r}")
        if k == "brain":
            vals = [_brain_name(v, where) for v in vals]
        axes.append((k, vals))

    conditions: list[Condition] = []
    if brains or any(k == "brain" for k, _ in axes):
        if not tasks:
            raise SweepError(f"{source}: missing key 'task' (e.g. task: celegans/chemotaxis)")
        brain_cells = brains or [(None, {}, None)]
        for task, (bname, bopts, label), cell in itertools.product(
                tasks, brain_cells, itertools.product(*[v for _, v in axes])):
            c = dict(task=task, brain=bname, brain_options={**base_bopts, **bopts},
                     task_options=dict(base_topts), duration=duration, record_rate_hz=rate)
            suffix = []
            for (k, _), v in zip(axes, cell):
                if k.startswith("brain_options."):
                    c["brain_options"][k.split(".", 1)[1]] = v
                elif k.startswith("task_options."):
                    c["task_options"][k.split(".", 1)[1]] = v
                elif k == "duration":
                    c[k] = _duration(v, f"{source}: grid.duration")
                    suffix.append(f"{c[k]:g}s")
                elif k == "record_rate_hz":
                    c[k] = _rate(v, f"{source}: grid.record_rate_hz")
                    suffix.append(f"{c[k]:g}Hz")
                else:
                    c[k] = v
            if c["brain"] is None:
                raise SweepError(f"{source}: no brain: give brains: [...] or grid.brain")
            if label and axes:
                label = "__".join([label] + [f"{k.split('.')[-1]}={v}" for (k, _), v in
                                             zip(axes, cell)])
            conditions.append(Condition(label=label, tag="_".join(suffix), **c))

    cond_list = data.get("conditions") or []
    if not isinstance(cond_list, list):
        raise SweepError(f"{source}: conditions must be a list of mappings, got {cond_list!r}")
    for i, cd in enumerate(cond_list):
        where = f"{source}: conditions[{i}]"
        if not isinstance(cd, dict):
            raise SweepError(f"{where}: a condition is a mapping (brain:, brain_options:, ...), "
                             f"got {cd!r}")
        for k in cd:
            if k not in CONDITION_KEYS:
                raise _unknown(k, CONDITION_KEYS, where)
        if "brain" not in cd:
            raise SweepError(f"{where}: missing key 'brain'")
        task = cd.get("task", tasks[0] if len(tasks) == 1 else None)
        if not isinstance(task, str):
            raise SweepError(f"{where}: missing key 'task' (the sweep has "
                             f"{len(tasks)} tasks, say which)")
        if "options" in cd and "brain_options" in cd:
            raise SweepError(f"{where}: give options or brain_options, not both")
        bopts = _dict(cd.get("brain_options", cd.get("options")), f"{where}: brain_options")
        conditions.append(Condition(
            task=task, brain=_brain_name(cd["brain"], where),
            brain_options={**base_bopts, **bopts},
            task_options={**base_topts, **_dict(cd.get("task_options"), f"{where}: task_options")},
            duration=_duration(cd.get("duration", duration), f"{where}: duration"),
            record_rate_hz=_rate(cd.get("record_rate_hz", rate), f"{where}: record_rate_hz"),
            label=cd.get("name")))

    if not conditions:
        raise SweepError(f"{source}: nothing to run: give brains: [...] (with task:) or "
                         f"conditions: [...]")
    seen: dict[str, int] = {}
    for i, c in enumerate(conditions):
        if c.hash in seen:
            raise SweepError(f"{source}: condition {i} ({c.brain}) repeats condition "
                             f"{seen[c.hash]} exactly")
        seen[c.hash] = i
    spec = SweepSpec(conditions=conditions, seeds=seeds, name=str(data.get("name") or ""),
                     wcon=bool(data.get("wcon", True)), source=source, raw=dict(data))
    names = spec.dir_names()
    if len(set(names)) != len(names):
        raise SweepError(f"{source}: two conditions share a name: "
                         f"{sorted({n for n in names if names.count(n) > 1})}")
    return spec


def load_sweep(path: str | Path) -> SweepSpec:
    """Read and check a sweep YAML file."""
    from nervous_systems.yaml_file import YAMLFileError, load_yaml
    path = Path(path)
    if not path.exists():
        raise FileNotFoundError(f"sweep file {path} does not exist")
    try:
        data = load_yaml(path)
    except YAMLFileError as exc:
        raise SweepError(str(exc)) from None
    return parse_sweep(data, str(path))
