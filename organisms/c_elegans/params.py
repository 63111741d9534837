"""Per-class parameter files of the C. elegans connectome brains (format ``cgym.celegans.params/1``).

One YAML file per registered brain (``params/connectome.yaml``, ``params/shuffled.yaml``,
``params/no_nerve_ring.yaml``) holds every free parameter the connectome path exposes, each with
its value, bounds, unit, whether a fit may change it, and where the value comes from (a citation,
"hand-set", or "fitted"). The brains load their file by default; brain option ``params=PATH``
replaces it. Fits (``cgym fit``) read a file, change only entries with ``fit: true`` inside their
bounds, and write a new file with the same layout plus a ``fit:`` block (command, optimiser,
settings, budget, seeds).

Parameter names (nothing per edge; CLASS ``ALL`` means every neuron, ``SENSORY``, ``INTERNEURON``,
``MOTOR``, ``PHARYNGEAL`` every neuron of that Cook 2019 cell type; group entries combine with a
class's own: gains multiply, threshold shifts add):

``model.<p>``                 a network-model parameter (``nervous_systems/models/*.yaml``), in that
                              file's unit (e.g. ``model.a_d`` in Hz, ``model.sigma_noise`` in mV)
``class.<CLASS>.gain``        multiplies the weight of every outgoing chemical synapse of the neurons
                              of CLASS (a class-level synaptic strength; wiring and signs untouched)
``class.<CLASS>.input_gain``  multiplies the weight of every incoming chemical synapse of CLASS (the
                              effective weight of an edge is w x gain(pre class) x input_gain(post class))
``class.<CLASS>.gap_gain``    multiplies every gap junction that touches CLASS
``class.<CLASS>.nmj_gain``    multiplies every neuromuscular junction of CLASS (before the bridge divides
                              each muscle's weights by its total excitatory weight)
``class.<CLASS>.threshold_mV`` shifts the synaptic-release threshold V_th of the class relative to
                              its Kunert 2014 reference potential (+ = harder to activate); the rest state is recomputed
                              (``graded_network.graded_rest_state``)
``bridge.<sensor>.gain_mV``   the gain of every target of a sensor in ``bridge.yaml``
``bridge.<sensor>.<key>``     a filter time constant of a sensor (``tau_fast``, ``tau_slow``, s) or its
                              ``offset`` (proprioceptive receptive-field offset, body lengths)
``bridge.tonic.<NEURON>.mV``  the tonic drive entry whose first neuron is NEURON
``bridge.motor.<key>``        ``gain`` or ``tone`` of the motor readout

Data files never run code: values are numbers, names are resolved against the connectome and
the bridge; anything unknown is an error that names the file and the entry.
"""

from __future__ import annotations

import copy
import math
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import yaml

SCHEMA = "cgym.celegans.params/1"
PARAMS_DIR = Path(__file__).resolve().parent / "params"
DEFAULT_FILES = {"connectome": "connectome.yaml", "shuffled": "shuffled.yaml",
                 "no-nerve-ring": "no_nerve_ring.yaml"}


# Group names usable in place of a class: every neuron of a Cook 2019 cell type (neuron table).
CELL_TYPE_GROUPS = {"SENSORY": "sensory", "INTERNEURON": "interneuron", "MOTOR": "motor",
                    "PHARYNGEAL": "pharyngeal"}


class ParamsFileError(ValueError):
    pass


@dataclass
class Parameter:
    name: str
    value: float
    bounds: tuple[float, float]
    unit: str = "1"
    fit: bool = False
    source: str = ""
    log: bool = False   # search on a log scale (positive gains)

    def to_dict(self) -> dict:
        d = {"value": float(self.value), "bounds": [float(self.bounds[0]), float(self.bounds[1])],
             "unit": self.unit, "fit": bool(self.fit), "source": self.source}
        if self.log:
            d["log"] = True
        return d


@dataclass
class ParamSet:
    brain: str
    parameters: dict[str, Parameter]
    description: str = ""
    fit_info: dict | None = None
    source: str = ""
    extra: dict = field(default_factory=dict)

    # ---------------------------------------------------------------- file I/O
    @classmethod
    def load(cls, path: str | Path) -> ParamSet:
        path = Path(path)
        if not path.exists():
            raise ParamsFileError(f"{path}: no such parameter file")
        from nervous_systems.yaml_file import load_yaml
        try:
            raw = load_yaml(path)
        except ValueError as exc:  # one line naming file, line and column
            raise ParamsFileError(str(exc)) from None
        return cls.from_dict(raw, source=str(path))

    @classmethod
    def from_dict(cls, raw: dict, source: str = "") -> ParamSet:
        where = source or "params"
        if not isinstance(raw, dict) or raw.get("schema") != SCHEMA:
            raise ParamsFileError(f"{where}: expected 'schema: {SCHEMA}'")
        params = {}
        for name, spec in (raw.get("parameters") or {}).items():
            if not isinstance(spec, dict) or "value" not in spec or "bounds" not in spec:
                raise ParamsFileError(f"{where}: parameter {name!r} needs 'value' and 'bounds'")
            try:
                value = float(spec["value"])
                lo, hi = (float(b) for b in spec["bounds"])
            except (TypeError, ValueError):
                raise ParamsFileError(f"{where}: parameter {name!r}: value and bounds must be numbers") from None
            if not (math.isfinite(value) and lo <= value <= hi):
                raise ParamsFileError(f"{where}: parameter {name!r}: value {value} outside bounds [{lo}, {hi}]")
            fit = spec.get("fit", False)
            if fit not in (True, False):
                raise ParamsFileError(f"{where}: parameter {name!r}: 'fit' must be true or false")
            _check_name(name, where)
            params[name] = Parameter(name, value, (lo, hi), str(spec.get("unit", "1")), bool(fit),
                                     str(spec.get("source", "")), bool(spec.get("log", False)))
        known = {"schema", "brain", "description", "parameters", "fit"}
        return cls(brain=str(raw.get("brain", "")), parameters=params,
                   description=str(raw.get("description", "")), fit_info=raw.get("fit"),
                   source=source, extra={k: v for k, v in raw.items() if k not in known})

    def to_dict(self) -> dict:
        d = {"schema": SCHEMA, "brain": self.brain, "description": self.description}
        d.update(self.extra)
        d["fit"] = self.fit_info
        d["parameters"] = {k: p.to_dict() for k, p in self.parameters.items()}
        return d

    def dump(self, path: str | Path) -> None:
        path = Path(path)
        tmp = path.with_suffix(path.suffix + ".tmp")
        tmp.write_text(yaml.safe_dump(self.to_dict(), sort_keys=False, width=100, default_flow_style=None))
        tmp.replace(path)

    # ---------------------------------------------------------------- the fit's view
    def fit_names(self) -> list[str]:
        """Names of the parameters a fit may change, in file order."""
        return [k for k, p in self.parameters.items() if p.fit]

    def vector(self) -> np.ndarray:
        return np.array([self.parameters[k].value for k in self.fit_names()], float)

    def bounds(self) -> tuple[np.ndarray, np.ndarray]:
        names = self.fit_names()
        return (np.array([self.parameters[k].bounds[0] for k in names], float),
                np.array([self.parameters[k].bounds[1] for k in names], float))

    def with_vector(self, x, source: str = "fitted") -> ParamSet:
        """A copy with the fittable parameters set to ``x`` (clipped to bounds)."""
        names = self.fit_names()
        x = np.asarray(x, float).reshape(-1)
        if len(x) != len(names):
            raise ParamsFileError(f"{self.source or 'params'}: vector has {len(x)} values, "
                                  f"{len(names)} fittable parameters")
        return self.with_values(dict(zip(names, x.tolist())), source=source)

    def with_values(self, values: dict, source: str = "fitted") -> ParamSet:
        new = copy.deepcopy(self)
        for k, v in values.items():
            if k not in new.parameters:
                raise ParamsFileError(f"{self.source or 'params'}: no parameter {k!r}")
            p = new.parameters[k]
            p.value = float(min(max(float(v), p.bounds[0]), p.bounds[1]))
            p.source = source
        return new

    def with_set(self, values, where: str = "brain option set") -> ParamSet:
        """A copy with named entries set to new values, for a scan without a new file (brain option
        ``set``): every name must be an entry of the file and every value inside its bounds; nothing
        is clipped. The entries keep their file order and are marked as set by ``where``."""
        if not isinstance(values, dict) or not values:
            raise ParamsFileError(f"{where}: expected a mapping of parameter names to numbers, "
                                  f"e.g. {{\"class.ASE.gain\": 2.0}}, got {values!r}")
        for k, v in values.items():
            if k not in self.parameters:
                raise ParamsFileError(f"{where}: {self.source or 'the parameter file'} has no parameter {k!r}")
            try:
                v = float(v)
            except (TypeError, ValueError):
                raise ParamsFileError(f"{where}: {k} = {v!r} is not a number") from None
            lo, hi = self.parameters[k].bounds
            if not (math.isfinite(v) and lo <= v <= hi):
                raise ParamsFileError(f"{where}: {k} = {v:g} is outside its bounds [{lo:g}, {hi:g}] "
                                      f"in {self.source or 'the parameter file'}")
        return self.with_values({k: float(v) for k, v in values.items()}, source=where)

    # ---------------------------------------------------------------- the brain's view
    def values(self) -> dict[str, float]:
        return {k: p.value for k, p in self.parameters.items()}

    def model_overrides(self) -> dict[str, float]:
        return {k.split(".", 1)[1]: p.value for k, p in self.parameters.items() if k.startswith("model.")}

    def per_class(self, key: str) -> dict[str, float]:
        """{CLASS: value} of the ``class.<CLASS>.<key>`` entries."""
        out = {}
        for k, p in self.parameters.items():
            parts = k.split(".")
            if parts[0] == "class" and parts[2] == key:
                out[parts[1]] = p.value
        return out

    def apply_to_bridge(self, config: dict) -> dict:
        """A copy of a bridge config with the ``bridge.*`` entries applied."""
        cfg = copy.deepcopy(config)
        sensors = {s.get("name"): s for s in cfg.get("sensors", [])}
        where = self.source or "params"
        for k, p in self.parameters.items():
            parts = k.split(".")
            if parts[0] != "bridge":
                continue
            if parts[1] == "tonic":
                hits = [t for t in cfg.get("tonic", []) if list(t.get("neurons", []))[:1] == [parts[2]]]
                if not hits:
                    raise ParamsFileError(f"{where}: {k}: no tonic entry starting with {parts[2]!r} in the bridge")
                hits[0]["mV"] = p.value
            elif parts[1] == "motor":
                cfg.setdefault("motor", {})[parts[2]] = p.value
            else:
                s = sensors.get(parts[1])
                if s is None:
                    raise ParamsFileError(f"{where}: {k}: no sensor {parts[1]!r} in the bridge "
                                          f"(sensors: {sorted(n for n in sensors if n)})")
                if parts[2] == "gain_mV":
                    for t in s.get("targets", []):
                        t["gain_mV"] = p.value
                elif parts[2] == "offset" and s.get("kind") == "proprioception":
                    for t in s.get("targets", []):
                        t["offset"] = p.value
                elif parts[2] in ("tau_fast", "tau_slow") and "filter" in s:
                    s["filter"][parts[2]] = p.value
                elif parts[2] in ("offset", "scale"):
                    s[parts[2]] = p.value
                else:
                    raise ParamsFileError(f"{where}: {k}: sensor {parts[1]!r} has no {parts[2]!r}")
        return cfg


def _check_name(name: str, where: str) -> None:
    parts = str(name).split(".")
    ok = ((parts[0] == "model" and len(parts) == 2)
          or (parts[0] == "class" and len(parts) == 3 and parts[2] in ("gain", "input_gain", "gap_gain", "nmj_gain", "threshold_mV"))
          or (parts[0] == "bridge" and len(parts) == 4 and parts[1] == "tonic" and parts[3] == "mV")
          or (parts[0] == "bridge" and len(parts) == 3 and parts[1] != "tonic"))
    if not ok:
        raise ParamsFileError(f"{where}: parameter name {name!r} not understood (model.<p>, "
                              "class.<CLASS>.gain|input_gain|gap_gain|nmj_gain|threshold_mV, bridge.<sensor>.<key>, "
                              "bridge.tonic.<NEURON>.mV, bridge.motor.gain|tone)")


def default_params_path(brain: str, shuffle_seed: int | None = None) -> Path:
    """The file a registered brain loads by default: ``params/<brain>.yaml``; for ``shuffled``
    with a shuffle seed S that has its own equal-budget fit, ``params/fitted/shuffled-S.yaml``
    (each control wiring with its own fitted parameters)."""
    if brain == "shuffled" and shuffle_seed is not None:
        fitted = PARAMS_DIR / "fitted" / f"shuffled-{int(shuffle_seed)}.yaml"
        if fitted.exists():
            return fitted
    if brain not in DEFAULT_FILES:
        raise ParamsFileError(f"no default parameter file for brain {brain!r}; "
                              f"known: {sorted(DEFAULT_FILES)}")
    return PARAMS_DIR / DEFAULT_FILES[brain]


def load_params(brain_or_path: str | Path) -> ParamSet:
    """The default file of a registered brain name, or a file path."""
    s = str(brain_or_path)
    if s in DEFAULT_FILES:
        return ParamSet.load(default_params_path(s))
    return ParamSet.load(s)


def apply_class_params(connectome, params: ParamSet):
    """Connectome copy with ``class.*.gain`` (outgoing chemical synapses), ``input_gain`` (incoming
    chemical synapses), ``gap_gain`` (gap junctions) and ``nmj_gain`` (the class's neuromuscular
    junctions, before the bridge's per-muscle normalisation) applied to edge weights (per class,
    never per edge). Returns (connectome, {neuron name: threshold shift in mV})."""
    gains = params.per_class("gain")
    nmj_gains = params.per_class("nmj_gain")
    in_gains = params.per_class("input_gain")
    gap_gains = params.per_class("gap_gain")
    thresholds = params.per_class("threshold_mV")
    where = params.source or "params"

    def members(cls_name):
        if cls_name == "ALL":
            return list(connectome.names)
        if cls_name in CELL_TYPE_GROUPS:
            ct = connectome.neurons["cell_type"].astype(str)
            return [str(x) for x in connectome.neurons.index[(ct == CELL_TYPE_GROUPS[cls_name]).to_numpy()]]
        try:
            return connectome.resolve([cls_name])
        except Exception as exc:  # unknown names: one clear line
            raise ParamsFileError(f"{where}: class.{cls_name}: {exc}") from None

    e = connectome.edges.copy()
    w = e["weight"].to_numpy(float).copy()
    changed = False
    for cls_name, g in gains.items():
        if g != 1.0:
            m = (e["kind"] == "chem").to_numpy() & e["pre"].isin(members(cls_name)).to_numpy()
            w[m] *= g
            changed = True
    for cls_name, g in in_gains.items():
        if g != 1.0:
            m = (e["kind"] == "chem").to_numpy() & e["post"].isin(members(cls_name)).to_numpy()
            w[m] *= g
            changed = True
    for cls_name, g in nmj_gains.items():
        if g != 1.0:
            m = (e["kind"] == "nmj").to_numpy() & e["pre"].isin(members(cls_name)).to_numpy()
            w[m] *= g
            changed = True
    for cls_name, g in gap_gains.items():
        if g != 1.0:
            names = members(cls_name)
            m = (e["kind"] == "gap").to_numpy() & (e["pre"].isin(names) | e["post"].isin(names)).to_numpy()
            w[m] *= g
            changed = True
    if changed:
        e["weight"] = w
        connectome = connectome.with_edges(e, name=connectome.name, class_params=params.source or "inline")
    shifts = {}
    for cls_name, mv in thresholds.items():
        for n in members(cls_name):
            shifts[n] = shifts.get(n, 0.0) + float(mv)
    return connectome, shifts


# what one animal's draw scales (brain option ``animal_cv``): per class, the three connection
# strengths a parameter file can set per class (``gain``, ``gap_gain``, ``nmj_gain``)
ANIMAL_JITTER = ("gain", "gap_gain", "nmj_gain")


def draw_animal(connectome, cv: float, rng: np.random.Generator):
    """Connectome copy for one animal: every class's outgoing chemical synapses, gap junctions and
    NMJs scaled by its own log-normal factors (mean 1, coefficient of variation ``cv``), drawn
    from ``rng`` (three per class, classes in sorted order). A gap junction is scaled by the factors
    of both its ends, f_A × f_B: between two classes as ``gap_gain`` does, but within one class by
    f_A² (``gap_gain`` applies its value once there). Per class, never per edge. Returns
    (connectome, {"gain": {class: f}, "gap_gain": {...}, "nmj_gain": {...}})."""
    from nervous_systems.per_animal import lognormal_factors

    classes = sorted(set(connectome.neurons["cell_class"].astype(str)))
    f = lognormal_factors(rng, len(classes) * len(ANIMAL_JITTER), cv).reshape(len(classes), len(ANIMAL_JITTER))
    of_class = connectome.neurons["cell_class"].astype(str)
    row = {c: i for i, c in enumerate(classes)}
    e = connectome.edges.copy()
    kind = e["kind"].to_numpy()
    chem, gap, nmj = kind == "chem", kind == "gap", kind == "nmj"
    pre = e["pre"].map(of_class).map(row).to_numpy(int)          # every edge starts at a neuron
    post_gap = e.loc[gap, "post"].map(of_class).map(row).to_numpy(int)
    w = e["weight"].to_numpy(float).copy()
    w[chem] *= f[pre[chem], 0]
    w[gap] *= f[pre[gap], 1] * f[post_gap, 1]
    w[nmj] *= f[pre[nmj], 2]
    e["weight"] = w
    out = connectome.with_edges(e, name=connectome.name, animal_cv=float(cv))
    return out, {k: {c: float(f[i, j]) for c, i in row.items()} for j, k in enumerate(ANIMAL_JITTER)}
