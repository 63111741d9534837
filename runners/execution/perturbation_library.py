"""The perturbation benchmark's phenotype library: a versioned YAML of literature ablation and
activation phenotypes (``tasks/chemotaxis/reference/perturbations_celegans.yaml``), read and
checked into :class:`Phenotype` entries. Every malformed entry is a one-line
:class:`PerturbationLibraryError` naming the file and the entry. Plain data: nothing in the file
chooses code. The benchmark itself (runs, statistics, verdicts, tables) is
:mod:`runners.execution.perturbation`."""

from __future__ import annotations

import hashlib
import json
import math
from dataclasses import dataclass, field
from pathlib import Path

from nervous_systems.yaml_file import YAMLFileError, load_yaml

LIBRARY = (Path(__file__).resolve().parents[2] / "tasks" / "chemotaxis" / "reference"
           / "perturbations_celegans.yaml")
ENTRY_KEYS = {"id", "description", "lesion", "activate", "activate_mV", "window_s", "task", "kind",
              "metric", "direction", "strength", "condition", "source", "also", "verification",
              "notes"}
PERTURBATIONS = ("lesion", "activate")
DIRECTIONS = ("increase", "decrease")
#: what an entry with a pulse window (``window_s``) can measure inside it
WINDOW_METRICS = ("reversal_rate", "forward_fraction", "backward_fraction")


class PerturbationLibraryError(ValueError):
    pass


@dataclass(frozen=True)
class Phenotype:
    id: str
    description: str
    lesion: tuple[str, ...]
    task: str
    metric: str
    direction: str
    strength: str
    source: dict
    verification: str = ""
    notes: str = ""
    also: tuple = ()
    activate: tuple[str, ...] = ()
    activate_mV: float | None = None   # None: the brain's default depolarisation
    window_s: tuple[float, float] | None = None  # a pulse [t_on, t_off) s; None: whole episode

    @property
    def citation(self) -> str:
        return f"{self.source.get('citation')}, doi:{self.source.get('doi')}"

    @property
    def manipulation(self) -> str:
        """``lesion`` or ``activate``."""
        return "activate" if self.activate else "lesion"

    @property
    def key(self) -> tuple:
        """One condition per distinct perturbation (entries that share one share its episodes)."""
        names = tuple(sorted(self.activate or self.lesion))
        return (self.manipulation, names, self.activate_mV, self.window_s)

    def brain_options(self) -> dict:
        """The brain options that make this perturbation."""
        if self.activate:
            opts = {"activate": list(self.key[1])}
            if self.activate_mV is not None:
                opts["activate_mV"] = float(self.activate_mV)
            if self.window_s is not None:
                opts["activate_window_s"] = list(self.window_s)
            return opts
        return {"lesion": list(self.key[1])}

    @property
    def label(self) -> str:
        names = "+".join(self.key[1])
        if self.activate:
            what = [] if self.activate_mV is None else [f"{self.activate_mV:+g} mV"]
            if self.window_s is not None:
                what.append(f"{self.window_s[0]:g}–{self.window_s[1]:g} s")
            return f"activate {names}" + (f" ({', '.join(what)})" if what else "")
        return f"lesion {names}"


@dataclass
class PhenotypeLibrary:
    name: str
    version: str
    content_hash: str
    path: str
    entries: list[Phenotype] = field(default_factory=list)


def load_library(path: str | Path = LIBRARY) -> PhenotypeLibrary:
    path = Path(path)
    try:
        data = load_yaml(path)
    except YAMLFileError as exc:
        raise PerturbationLibraryError(str(exc)) from None
    except OSError as exc:
        raise PerturbationLibraryError(f"{path}: cannot read: {exc}") from None
    if not isinstance(data, dict) or not isinstance(data.get("entries"), list):
        raise PerturbationLibraryError(f"{path}: expected a mapping with entries: [...]")
    out = []
    seen = set()
    for i, e in enumerate(data["entries"]):
        where = f"{path}: entries[{i}]"
        if not isinstance(e, dict):
            raise PerturbationLibraryError(f"{where}: an entry is a mapping")
        extra = set(e) - ENTRY_KEYS
        if extra:
            raise PerturbationLibraryError(f"{where}: unknown key(s) {sorted(extra)}; allowed: "
                                           f"{sorted(ENTRY_KEYS)}")
        for k in ("id", "task", "metric", "direction", "source"):
            if k not in e:
                raise PerturbationLibraryError(f"{where}: missing key {k!r}")
        given = [k for k in PERTURBATIONS if k in e]
        if len(given) != 1:
            raise PerturbationLibraryError(f"{where}: give exactly one of lesion / activate "
                                           f"(got {given or 'neither'})")
        if e.get("kind", "population") != "population":
            raise PerturbationLibraryError(f"{where}: kind must be population (a direction of "
                                           f"effect in groups of animals), got {e['kind']!r}")
        if e["direction"] not in DIRECTIONS:
            raise PerturbationLibraryError(f"{where}: direction must be increase or decrease, "
                                           f"got {e['direction']!r}")
        src = e["source"]
        if not isinstance(src, dict) or not src.get("citation") or not src.get("doi"):
            raise PerturbationLibraryError(f"{where}: source needs citation and doi")
        names = e[given[0]]
        if isinstance(names, str):
            names = [names]
        if not isinstance(names, list) or not names or not all(isinstance(x, str) for x in names):
            raise PerturbationLibraryError(f"{where}: {given[0]} is a list of neuron or class names")
        mv = e.get("activate_mV")
        if mv is not None:
            if given[0] != "activate":
                raise PerturbationLibraryError(f"{where}: activate_mV belongs to an activate entry")
            if isinstance(mv, bool) or not isinstance(mv, (int, float)) or not math.isfinite(mv) \
                    or mv <= 0:
                raise PerturbationLibraryError(f"{where}: activate_mV must be a number > 0 (mV), "
                                               f"got {mv!r}")
        win = e.get("window_s")
        if win is not None:
            if given[0] != "activate":
                raise PerturbationLibraryError(f"{where}: window_s (a pulse) belongs to an "
                                               f"activate entry; a lesion lasts the whole episode")
            if not (isinstance(win, list) and len(win) == 2
                    and all(isinstance(x, (int, float)) and not isinstance(x, bool)
                            and math.isfinite(x) for x in win) and 0 <= win[0] < win[1]):
                raise PerturbationLibraryError(f"{where}: window_s must be [t_on, t_off] in s "
                                               f"with 0 <= t_on < t_off, got {win!r}")
            if e["metric"] not in WINDOW_METRICS:
                raise PerturbationLibraryError(f"{where}: metric {e['metric']!r} cannot be "
                                               f"measured in a window; one of {WINDOW_METRICS}")
            win = (float(win[0]), float(win[1]))
        if e["id"] in seen:
            raise PerturbationLibraryError(f"{where}: id {e['id']!r} repeats")
        seen.add(e["id"])
        out.append(Phenotype(id=str(e["id"]), description=str(e.get("description", "")),
                             lesion=tuple(names) if given[0] == "lesion" else (),
                             activate=tuple(names) if given[0] == "activate" else (),
                             activate_mV=None if mv is None else float(mv), window_s=win,
                             task=str(e["task"]), metric=str(e["metric"]),
                             direction=e["direction"], strength=str(e.get("strength", "")),
                             source=dict(src), verification=str(e.get("verification", "")),
                             notes=str(e.get("notes", "")).strip(),
                             also=tuple(e.get("also") or ())))
    canon = json.dumps(data, sort_keys=True, separators=(",", ":"), default=str)
    return PhenotypeLibrary(name=str(data.get("library", path.stem)),
                            version=str(data.get("version", "")),
                            content_hash=hashlib.sha256(canon.encode()).hexdigest(),
                            path=str(path), entries=out)
