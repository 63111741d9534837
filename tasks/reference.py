"""Reference behaviour libraries: versioned YAML data with citations, for every organism.

A library file (``tasks/<task>/reference/<name>.yaml``) looks like::

    library: celegans_chemotaxis          # name without version
    version: "1.0.0"
    organism: c_elegans
    description: ...
    entries:
      - id: centroid_speed                # = the feature id the extractor emits
        description: ...
        unit: mm/s
        kind: normal                      # samples | normal | lognormal | gamma | population
        mean: 0.219
        sd: 0.029                         # or sem: (converted with n_animals: sd = sem*sqrt(n))
        n_animals: 10
        n_animals_known: false            # optional, default true; explain in notes
        condition: "adult N2 on agar, off food"      # optional
        source: {citation: "Ramot 2008", title: "...", doi: "10.1371/journal.pone.0002208"}
        verification: secondary           # optional: primary | secondary | design_doc
        status: provisional               # optional: only provisional entries may lack a DOI
        notes: ...

Kinds and their parameters:

* ``samples``: ``values`` (per-animal list); ``n_animals`` defaults to ``len(values)``.
* ``normal``: ``mean`` and ``sd`` (between-animal SD) or ``sem`` (+ ``n_animals``).
* ``lognormal``: ``median`` and ``gsd`` (geometric SD, > 1), or ``mu`` and ``sigma`` (of log),
  or ``mean`` and ``sd`` (moment-matched).
* ``gamma``: ``shape`` and ``scale``, or ``mean`` and ``sd`` (moment-matched).
* ``population``: a population-level statistic: ``value`` and/or ``interval: [lo, hi]`` and/or
  ``threshold: {op: ">=", value: 0.5}``. It has no per-animal distribution (``sample`` raises);
  ``entry.check(x)`` says whether a model value meets the criterion.

``content_hash`` is the SHA-256 of the canonical JSON of the parsed file (keys sorted, no
whitespace), so reformatting or comments do not change it and any change of data does; it
goes into every scorecard. ``file_sha256`` is the hash of the raw bytes.

Entries marked ``status: provisional`` hold a number whose primary source could not be
verified; they may lack a DOI, ``entry.provisional`` is True, and a scorer should report them
without counting them in pass/fail aggregates (``ReferenceLibrary.scored_entries()``).
"""

from __future__ import annotations

import hashlib
import json
import math
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Mapping

import numpy as np
import yaml

__all__ = [
    "KINDS",
    "ReferenceLibraryError",
    "ReferenceEntry",
    "ReferenceLibrary",
    "load_reference",
    "list_references",
    "canonical_hash",
]

KINDS = ("samples", "normal", "lognormal", "gamma", "population")
PARAMETRIC = ("normal", "lognormal", "gamma")
VERIFICATION = ("primary", "secondary", "design_doc")
THRESHOLD_OPS = {
    ">=": lambda x, v: x >= v,
    ">": lambda x, v: x > v,
    "<=": lambda x, v: x <= v,
    "<": lambda x, v: x < v,
}
_DOI_RE = re.compile(r"^10\.\d{4,9}/\S+$")
_REQUIRED = ("id", "description", "unit", "kind", "source")
_TASKS_DIR = Path(__file__).resolve().parent


class ReferenceLibraryError(ValueError):
    """A reference library file is malformed; the message names the file and the entry."""


@dataclass(frozen=True)
class ReferenceEntry:
    id: str
    description: str
    unit: str
    kind: str
    source: dict[str, Any]
    n_animals: int | None
    params: dict[str, Any]
    condition: str | None = None
    notes: str | None = None
    status: str = "verified"
    verification: str | None = None
    n_animals_known: bool = True
    raw: dict[str, Any] = field(default_factory=dict, repr=False, compare=False)

    # ------------------------------------------------------------------ derived
    @property
    def provisional(self) -> bool:
        return self.status == "provisional"

    @property
    def doi(self) -> str | None:
        return self.source.get("doi")

    @property
    def citation(self) -> str:
        return str(self.source.get("citation", ""))

    def _dist(self) -> tuple[str, dict[str, float]]:
        """Canonical parameters: normal (mean, sd), lognormal (mu, sigma), gamma (shape, scale)."""
        p = self.params
        if self.kind == "normal":
            return "normal", {"mean": p["mean"], "sd": p["sd"]}
        if self.kind == "lognormal":
            return "lognormal", {"mu": p["mu"], "sigma": p["sigma"]}
        if self.kind == "gamma":
            return "gamma", {"shape": p["shape"], "scale": p["scale"]}
        raise TypeError(f"{self.id}: kind {self.kind!r} has no parametric distribution")

    @property
    def mean(self) -> float:
        if self.kind == "samples":
            return float(np.mean(self.params["values"]))
        if self.kind == "population":
            v = self.params.get("value")
            if v is None and "interval" in self.params:
                v = float(np.mean(self.params["interval"]))
            return float("nan") if v is None else float(v)
        k, d = self._dist()
        if k == "normal":
            return float(d["mean"])
        if k == "lognormal":
            return float(math.exp(d["mu"] + d["sigma"] ** 2 / 2))
        return float(d["shape"] * d["scale"])

    @property
    def sd(self) -> float:
        """Between-animal standard deviation (NaN for population entries)."""
        if self.kind == "samples":
            v = np.asarray(self.params["values"], float)
            return float(np.std(v, ddof=1)) if v.size > 1 else float("nan")
        if self.kind == "population":
            return float("nan")
        k, d = self._dist()
        if k == "normal":
            return float(d["sd"])
        if k == "lognormal":
            s2 = d["sigma"] ** 2
            return float(math.sqrt((math.exp(s2) - 1) * math.exp(2 * d["mu"] + s2)))
        return float(math.sqrt(d["shape"]) * d["scale"])

    # ------------------------------------------------------------------ use
    def sample(self, n: int, rng: np.random.Generator | int | None = None) -> np.ndarray:
        """n per-animal values. ``samples``: the recorded values themselves in random order
        (all of them when n >= len, topped up by resampling with replacement when n > len; a
        random subset without replacement when n < len). Parametric kinds: draws from the
        distribution. Population entries have no per-animal distribution: TypeError."""
        n = int(n)
        if n < 0:
            raise ValueError("n must be >= 0")
        rng = rng if isinstance(rng, np.random.Generator) else np.random.default_rng(rng)
        if self.kind == "population":
            raise TypeError(
                f"reference entry {self.id!r} is a population-level statistic; it has no "
                "per-animal distribution to sample (use entry.check(value))"
            )
        if self.kind == "samples":
            v = np.asarray(self.params["values"], float)
            if n <= v.size:
                return rng.choice(v, size=n, replace=False)
            extra = rng.choice(v, size=n - v.size, replace=True)
            return rng.permutation(np.concatenate([v, extra]))
        k, d = self._dist()
        if k == "normal":
            return rng.normal(d["mean"], d["sd"], size=n)
        if k == "lognormal":
            return rng.lognormal(d["mu"], d["sigma"], size=n)
        return rng.gamma(d["shape"], d["scale"], size=n)

    def check(self, value: float) -> bool | None:
        """Population entries: does ``value`` meet the criterion (threshold and/or interval)?
        None when the entry states no criterion, or for a NaN value."""
        if self.kind != "population":
            raise TypeError(f"{self.id!r}: check() is for population entries")
        x = float(value)
        if math.isnan(x):
            return None
        results = []
        thr = self.params.get("threshold")
        if thr is not None:
            results.append(THRESHOLD_OPS[thr["op"]](x, float(thr["value"])))
        iv = self.params.get("interval")
        if iv is not None:
            results.append(float(iv[0]) <= x <= float(iv[1]))
        return all(results) if results else None

    def to_dict(self) -> dict[str, Any]:
        return dict(self.raw)


@dataclass(frozen=True)
class ReferenceLibrary:
    name: str
    version: str
    path: Path
    content_hash: str
    file_sha256: str
    entries: tuple[ReferenceEntry, ...]
    meta: dict[str, Any] = field(default_factory=dict, repr=False)

    def get(self, metric_id: str) -> ReferenceEntry:
        for e in self.entries:
            if e.id == metric_id:
                return e
        raise KeyError(f"{self.path.name}: no reference entry {metric_id!r}")

    def __contains__(self, metric_id: object) -> bool:
        return any(e.id == metric_id for e in self.entries)

    def __iter__(self):
        return iter(self.entries)

    def __len__(self) -> int:
        return len(self.entries)

    @property
    def ids(self) -> list[str]:
        return [e.id for e in self.entries]

    def scored_entries(self) -> list[ReferenceEntry]:
        """Entries that count in pass/fail aggregates (provisional ones are report-only)."""
        return [e for e in self.entries if not e.provisional]

    def provenance(self) -> dict[str, str]:
        """What a scorecard records about the library."""
        return {"name": self.name, "version": self.version, "content_hash": self.content_hash,
                "file": str(self.path)}


# ----------------------------------------------------------------------------- loading


def canonical_hash(data: Any) -> str:
    blob = json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=False,
                      default=str)
    return hashlib.sha256(blob.encode("utf-8")).hexdigest()


def _num(x: Any) -> bool:
    return isinstance(x, (int, float)) and not isinstance(x, bool) and math.isfinite(x)


def _parse_entry(raw: Any, i: int, fname: str) -> ReferenceEntry:
    label = f"entry #{i}"
    if not isinstance(raw, Mapping):
        raise ReferenceLibraryError(f"{fname}: {label} is not a mapping")
    if "id" in raw:
        label = f"entry '{raw['id']}' (#{i})"

    def err(msg: str) -> ReferenceLibraryError:
        return ReferenceLibraryError(f"{fname}: {label}: {msg}")

    for k in _REQUIRED:
        if k not in raw or raw[k] is None or (isinstance(raw[k], str) and not raw[k].strip()):
            raise err(f"missing field '{k}'")
    kind = raw["kind"]
    if kind not in KINDS:
        raise err(f"unknown kind {kind!r} (expected one of {', '.join(KINDS)})")
    status = raw.get("status", "verified")
    if status not in ("verified", "provisional"):
        raise err(f"status must be 'verified' or 'provisional', got {status!r}")
    verification = raw.get("verification")
    if verification is not None and verification not in VERIFICATION:
        raise err(f"verification must be one of {', '.join(VERIFICATION)}")
    src = raw["source"]
    if not isinstance(src, Mapping):
        raise err("source must be a mapping with citation, title, doi")
    if not src.get("citation"):
        raise err("source has no citation ('Author Year')")
    doi = src.get("doi")
    if doi:
        if not isinstance(doi, str) or not _DOI_RE.match(doi.strip()):
            raise err(f"source.doi {doi!r} is not a DOI (10.xxxx/...)")
    elif status != "provisional":
        raise err("source has no DOI (only entries with status: provisional may lack one)")
    for j, extra in enumerate(raw.get("additional_sources") or []):
        if not (isinstance(extra, Mapping) and extra.get("citation")
                and isinstance(extra.get("doi"), str) and _DOI_RE.match(extra["doi"].strip())):
            raise err(f"additional_sources[{j}] needs a citation and a DOI")
    if status == "provisional" and not raw.get("notes"):
        raise err("provisional entries must say in notes why the source is unverified")

    n = raw.get("n_animals")
    params: dict[str, Any] = {}
    if kind == "samples":
        vals = raw.get("values")
        if not isinstance(vals, list) or not vals or not all(_num(v) for v in vals):
            raise err("kind 'samples' needs 'values': a non-empty list of finite numbers")
        params["values"] = [float(v) for v in vals]
        n = len(vals) if n is None else n
    elif kind in PARAMETRIC:
        if n is None:
            raise err(f"missing field 'n_animals' (required for kind {kind!r})")
    if n is not None and (not isinstance(n, int) or isinstance(n, bool) or n < 1):
        raise err(f"n_animals must be a positive integer, got {n!r}")

    def need(*keys: str) -> bool:
        return all(k in raw and raw[k] is not None for k in keys)

    def pos(k: str) -> float:
        v = raw[k]
        if not _num(v) or v <= 0:
            raise err(f"'{k}' must be a positive number, got {v!r}")
        return float(v)

    if kind == "normal":
        if not need("mean"):
            raise err("kind 'normal' needs 'mean'")
        if not _num(raw["mean"]):
            raise err("'mean' must be a finite number")
        params["mean"] = float(raw["mean"])
        if need("sd"):
            params["sd"] = pos("sd")
        elif need("sem"):
            params["sem"] = pos("sem")
            params["sd"] = params["sem"] * math.sqrt(n)
        else:
            raise err("kind 'normal' needs 'sd' (between-animal) or 'sem' with n_animals")
    elif kind == "lognormal":
        if need("median", "gsd"):
            gsd = pos("gsd")
            if gsd <= 1:
                raise err("'gsd' (geometric SD) must be > 1")
            params.update(mu=math.log(pos("median")), sigma=math.log(gsd))
        elif need("mu", "sigma"):
            if not _num(raw["mu"]):
                raise err("'mu' must be a finite number")
            params.update(mu=float(raw["mu"]), sigma=pos("sigma"))
        elif need("mean", "sd"):
            m, s = pos("mean"), pos("sd")
            s2 = math.log(1 + (s / m) ** 2)
            params.update(mu=math.log(m) - s2 / 2, sigma=math.sqrt(s2))
        else:
            raise err("kind 'lognormal' needs median+gsd, mu+sigma or mean+sd")
    elif kind == "gamma":
        if need("shape", "scale"):
            params.update(shape=pos("shape"), scale=pos("scale"))
        elif need("mean", "sd"):
            m, s = pos("mean"), pos("sd")
            params.update(shape=(m / s) ** 2, scale=s * s / m)
        else:
            raise err("kind 'gamma' needs shape+scale or mean+sd")
    elif kind == "population":
        has = False
        if raw.get("value") is not None:
            if not _num(raw["value"]):
                raise err("'value' must be a finite number")
            params["value"] = float(raw["value"])
            has = True
        if raw.get("interval") is not None:
            iv = raw["interval"]
            if not (isinstance(iv, list) and len(iv) == 2 and all(_num(v) for v in iv)
                    and iv[0] <= iv[1]):
                raise err("'interval' must be [low, high] with low <= high")
            params["interval"] = [float(iv[0]), float(iv[1])]
            has = True
        if raw.get("threshold") is not None:
            th = raw["threshold"]
            if not (isinstance(th, Mapping) and th.get("op") in THRESHOLD_OPS
                    and _num(th.get("value"))):
                raise err("'threshold' must be {op: one of >=, >, <=, <, value: number}")
            params["threshold"] = {"op": th["op"], "value": float(th["value"])}
            has = True
        if not has:
            raise err("kind 'population' needs 'value', 'interval' or 'threshold'")

    return ReferenceEntry(
        id=str(raw["id"]), description=str(raw["description"]), unit=str(raw["unit"]),
        kind=kind, source=dict(src), n_animals=n, params=params,
        condition=raw.get("condition"), notes=raw.get("notes"), status=status,
        verification=verification, n_animals_known=bool(raw.get("n_animals_known", True)),
        raw=dict(raw),
    )


def load_reference_file(path: str | Path) -> ReferenceLibrary:
    path = Path(path)
    fname = str(path)
    try:
        blob = path.read_bytes()
    except OSError as e:
        raise ReferenceLibraryError(f"{fname}: cannot read ({e})") from e
    try:
        data = yaml.safe_load(blob)
    except yaml.YAMLError as e:  # one line with file and line (as nervous_systems.yaml_file,
        mark = getattr(e, "problem_mark", None)  # which tasks may not import)
        where = f", line {mark.line + 1}, column {mark.column + 1}" if mark is not None else ""
        problem = " ".join(str(getattr(e, "problem", None) or e).split())
        raise ReferenceLibraryError(f"{fname}{where}: invalid YAML: {problem}") from None
    if not isinstance(data, Mapping):
        raise ReferenceLibraryError(f"{fname}: top level must be a mapping")
    for k in ("library", "version", "entries"):
        if k not in data or data[k] in (None, ""):
            raise ReferenceLibraryError(f"{fname}: missing top-level field '{k}'")
    if not isinstance(data["entries"], list) or not data["entries"]:
        raise ReferenceLibraryError(f"{fname}: 'entries' must be a non-empty list")
    entries = []
    seen: set[str] = set()
    for i, raw in enumerate(data["entries"]):
        e = _parse_entry(raw, i, fname)
        if e.id in seen:
            raise ReferenceLibraryError(f"{fname}: entry '{e.id}' (#{i}): duplicate id")
        seen.add(e.id)
        entries.append(e)
    return ReferenceLibrary(
        name=str(data["library"]), version=str(data["version"]), path=path,
        content_hash=canonical_hash(data), file_sha256=hashlib.sha256(blob).hexdigest(),
        entries=tuple(entries), meta={k: v for k, v in data.items() if k != "entries"},
    )


def _library_files() -> dict[str, Path]:
    return {p.stem: p for p in sorted(_TASKS_DIR.glob("*/reference/*.yaml"))}


def list_references() -> list[str]:
    """Names of the bundled libraries (file stems, e.g. 'celegans_chemotaxis_v1')."""
    return sorted(_library_files())


def load_reference(name: str | Path) -> ReferenceLibrary:
    """Load a library by bundled name ('celegans_chemotaxis_v1') or by path to a YAML file."""
    p = Path(name)
    if p.suffix in (".yaml", ".yml") or p.exists():
        return load_reference_file(p)
    files = _library_files()
    if str(name) in files:
        return load_reference_file(files[str(name)])
    versions = sorted((k for k in files if re.fullmatch(re.escape(str(name)) + r"_v\d+", k)),
                      key=lambda k: int(k.rsplit("_v", 1)[1]))
    if versions:  # an unversioned name means the newest bundled version
        return load_reference_file(files[versions[-1]])
    raise KeyError(f"no reference library {name!r}; bundled: {', '.join(files) or 'none'}")
