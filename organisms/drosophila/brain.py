"""The fly's connectome brains: FlyWire v783 whole-brain LIF (Shiu et al. 2024) in closed loop.

    antenna_deflection (rad, [left, right]) ──▶ Poisson rates of Johnston's organ neurons of that
    antenna_contact      ([left, right])     ──▶ side (JO-CE, JO-F; BM_Ant bristles for contact)
        ──▶ whole-brain LIF network (138,639 neurons, ~15 M edges; nervous_systems.lif_network)
        ──▶ firing rates of descending populations (aDN1, P9, MDN, DNa01/02; cell_types.yaml)
        ──▶ descending commands in [0, 1] ──▶ VentralNerveCordModel.step ──▶ leg actions

FlyWire has no ventral nerve cord: the last arrow is a hand-built pattern generator
(``organisms.drosophila.vnc``, a modelling assumption, printed by ``info()['vnc']``). The
literature-name → FlyWire-type mapping and which mappings are uncertain are in
``cell_types.yaml``. The edge set (real v783 with its hash, or the labelled surrogate) is named in
``info()['edge_set']`` and ``info()['surrogate']``.

Options (``--brain-option key=value``; ``--silence`` / ``--activate`` / ``--lesion`` on the CLI):
``edges`` (``auto`` | ``real`` | ``surrogate`` | folder with the Shiu files), ``surrogate_seed``,
``silence`` / ``lesion`` (population or FlyWire type names: Shiu silencing), ``activate`` (names;
Poisson drive at ``activate_rate_hz``, default Shiu's 150 Hz), ``shuffle_seed`` / ``swaps_per_edge``
(``shuffled`` brain), ``backend`` (``event``, the default: exact and event-driven | ``brian2``, the reference | ``torch``), ``params`` (LIF parameter overrides),
``record_dt`` (s), ``vnc_factory`` / ``vnc_params`` / ``actuator_names`` (VNC model; tests pass a
stand-in), ``cell_types`` (another mapping YAML).
"""

from __future__ import annotations

import difflib
import math
import resource
import sys
import time
from pathlib import Path

import numpy as np

from nervous_systems.lif_graph import DEFAULT_LIF_BACKEND, LIF_BACKENDS
from nervous_systems.yaml_file import load_yaml

from . import flywire

CELL_TYPES_YAML = Path(__file__).resolve().parent / "cell_types.yaml"
SIDES = ("left", "right")


class FlyBrainError(ValueError):
    pass


def load_cell_types(path: str | Path | None = None) -> dict:
    path = Path(path) if path else CELL_TYPES_YAML
    spec = load_yaml(path)
    for key in ("populations", "commands", "sensors", "readout"):
        if key not in spec:
            raise FlyBrainError(f"{path}: missing section {key!r}")
    for name, pop in spec["populations"].items():
        if "types" not in pop and "proxy" not in pop and "ids" not in pop:
            raise FlyBrainError(f"{path}: population {name!r} needs 'types', 'ids' or 'proxy'")
        if "source" not in pop or "uncertain" not in pop:
            raise FlyBrainError(f"{path}: population {name!r} needs 'source' and 'uncertain'")
    spec["_path"] = str(path)
    return spec


class PopulationResolver:
    """Literature names (cell_types.yaml) and FlyWire types → model indices."""

    def __init__(self, neurons: flywire.NeuronTable, edges: flywire.EdgeSet, spec: dict):
        self.neurons, self.edges, self.spec = neurons, edges, spec
        self.pops = spec["populations"]
        self._cache: dict[str, np.ndarray] = {}
        self.notes: dict[str, str] = {}

    def __call__(self, name: str) -> np.ndarray:
        if name in self._cache:
            return self._cache[name]
        base, side = name, None
        for s in (*SIDES, "center"):
            if name.endswith(f":{s}"):
                base, side = name[: -len(s) - 1], s
        if base in self.pops:
            pop = self.pops[base]
            if "ids" in pop:
                idx = self._pinned(name, pop["ids"], side)
            elif "proxy" in pop:
                idx = self._proxy(base, pop["proxy"], side)
            else:
                if not pop["types"]:
                    raise FlyBrainError(f"population {base!r} has no FlyWire cell type ({pop.get('source', '')}); "
                                        f"see {self.spec['_path']}")
                pats = [f"{t}:{side}" if side else t for t in pop["types"]]
                idx = self._resolve_types(pats, name, allow_empty=True)
        else:
            idx = self._resolve_types([name], name, allow_empty=False)
        self._cache[name] = idx
        return idx

    def _resolve_types(self, pats, name, allow_empty) -> np.ndarray:
        out = []
        for p in pats:
            try:
                out.append(self.neurons.resolve(p))
            except flywire.UnknownNeuronError as exc:
                if allow_empty:   # a type absent from a small test table: empty population
                    self.notes[name] = f"{p}: not in this neuron table"
                    continue
                close = difflib.get_close_matches(name.split(":")[0], list(self.pops), n=3)
                raise flywire.UnknownNeuronError(
                    name, close + [s for s in exc.suggestions if s not in close][:5],
                    "cell_types.yaml populations or the FlyWire neuron table") from None
        return np.unique(np.concatenate(out)).astype(np.int64) if out else np.zeros(0, np.int64)

    def _pinned(self, name: str, spec: dict, side: str | None) -> np.ndarray:
        """Root ids pinned in data/grooming_neurons.csv (``ids: {population: NAME or [NAMES]}``);
        ``side`` is the circuit side of the source's label (see identities.py)."""
        from . import identities

        pops = spec.get("population")
        pops = [pops] if isinstance(pops, str) else list(pops or [])
        if side == "center":
            side = None
        ids = np.concatenate([identities.root_ids(p, side) for p in pops]) if pops else np.zeros(0, np.int64)
        idx, missing = identities.to_indices(self.neurons, ids)
        if missing:
            self.notes[name] = f"{len(missing)} of {len(ids)} pinned root ids not in this neuron table"
        return np.unique(idx).astype(np.int64)

    def _proxy(self, name: str, proxy: dict, side: str | None) -> np.ndarray:
        if proxy.get("kind") != "two_hop":
            raise FlyBrainError(f"population {name!r}: unknown proxy kind {proxy.get('kind')!r}")
        sides = [side] if side else list(SIDES)
        n, e = self.edges.n, self.edges
        to = np.zeros(n, bool); to[self(proxy["to"])] = True
        syn = np.abs(e.weight).astype(np.float64)
        syn_to = np.bincount(e.pre[to[e.post]], weights=syn[to[e.post]], minlength=n)
        sensory = (self.neurons.table["super_class"].astype(str) == "sensory").to_numpy()
        picked = []
        for s in sides:
            fr = np.zeros(n, bool); fr[self(f"{proxy['from']}:{s}")] = True
            m = fr[e.pre]
            syn_from = np.bincount(e.post[m], weights=syn[m], minlength=n)
            score = np.minimum(syn_from, syn_to)
            score[sensory | to | fr] = 0
            score *= (self.neurons.table["side"].astype(str) == s).to_numpy()
            top = np.argsort(score)[::-1][: int(proxy.get("per_side", 1))]
            picked.extend(int(i) for i in top if score[i] > 0)
        self.notes[name if not side else f"{name}:{side}"] = (
            f"two-hop proxy {proxy['from']} -> ? -> {proxy['to']} on the {self.edges.kind} edge set: "
            f"root ids {[int(self.neurons.root_ids[i]) for i in picked]}")
        return np.asarray(sorted(picked), np.int64)


def shuffled_edge_set(es: flywire.EdgeSet, seed: int = 0, swaps_per_edge: float = 2.0) -> flywire.EdgeSet:
    """Degree-preserving rewiring of ``es``, labelled as SHUFFLED everywhere: its own ``kind``
    (``shuffled-real-v783`` / ``shuffled-surrogate``), its own sha256 (of the shuffled arrays), and
    the original's kind, hash and label under ``details`` (never the original's label)."""
    from nervous_systems.shuffle import shuffle_edge_arrays

    post, st = shuffle_edge_arrays(es.pre, es.post, es.n, seed=int(seed), swaps_per_edge=float(swaps_per_edge))
    post = post.astype(np.int32)
    details = {**es.details, "shuffled": st, "shuffle_seed": int(seed), "swaps_per_edge": float(swaps_per_edge),
               "shuffled_from": es.kind, "shuffled_from_sha256": es.sha256, "shuffled_from_label": es.label(),
               "derived_from_real": es.kind == "real-v783"}
    return flywire.EdgeSet(es.n, es.pre, post, es.weight, f"shuffled-{es.kind}", dict(es.files),
                           flywire.array_hash(es.pre, post, es.weight), details)


def _rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


class FlyBrain:
    """Brain protocol over a whole-brain LIF network for organism ``drosophila``."""

    def __init__(self, observation_space=None, action_space=None, control_dt: float | None = None, *,
                 edges: str = "auto", surrogate_seed: int = 0, shuffle: bool = False, shuffle_seed: int = 0,
                 swaps_per_edge: float = 2.0, silence=(), lesion=(), activate=(), activate_rate_hz=None,
                 backend: str = DEFAULT_LIF_BACKEND, params: dict | None = None, record_dt: float = 0.01,
                 vnc_factory=None, vnc_params=None, actuator_names=None, cell_types=None,
                 label: str | None = None, verbose: bool = True, seed: int | None = None):
        if control_dt is None or not float(control_dt) > 0:
            raise FlyBrainError("the fly brain integrates in time and needs control_dt (the env's control "
                                "step in s): make_brain(..., control_dt=env.unwrapped.control_dt)")
        if action_space is None:
            raise FlyBrainError("the fly brain needs the env's action_space (for the VNC model)")
        if backend not in LIF_BACKENDS:
            raise FlyBrainError(f"backend must be one of {', '.join(LIF_BACKENDS)}, got {backend!r}")
        t0 = time.perf_counter()
        self.control_dt = float(control_dt)
        self.backend = backend
        self.label = label or ("shuffled" if shuffle else "connectome")
        self.verbose = verbose
        self.spec = load_cell_types(cell_types)
        from .dataset import load_edges
        self.neurons, es = load_edges(str(edges), surrogate_seed=int(surrogate_seed), verbose=verbose)
        t_load = time.perf_counter() - t0
        if shuffle:
            es = shuffled_edge_set(es, int(shuffle_seed), float(swaps_per_edge))
        self.edges = es
        self.resolve = PopulationResolver(self.neurons, es, self.spec)

        # --- perturbations
        self.silence_names = [str(x) for x in (*_as_list(silence), *_as_list(lesion))]
        self.activate_names = [str(x) for x in _as_list(activate)]
        silenced = _union([self.resolve(x) for x in self.silence_names])
        activated = _union([self.resolve(x) for x in self.activate_names])
        for what, names, idx in (("silence", self.silence_names, silenced), ("activate", self.activate_names, activated)):
            if names and not len(idx):
                raise FlyBrainError(f"--{what} {' '.join(names)}: no neuron of this edge set's neuron table matches")

        # --- sensors → input neurons (per sensor, per side)
        self.sensor_idx: dict[tuple[str, str], np.ndarray] = {}
        for key, sen in self.spec["sensors"].items():
            for s in SIDES:
                self.sensor_idx[(key, s)] = _union([self.resolve(f"{p}:{s}") for p in sen["populations"]])
        self.input_idx = _union(list(self.sensor_idx.values()))
        self._slot = {int(i): k for k, i in enumerate(self.input_idx)}
        self._sensor_slots = {k: np.asarray([self._slot[int(i)] for i in v], np.int64)
                              for k, v in self.sensor_idx.items()}

        # --- read-out populations (commands + recording)
        pop_names: list[str] = []
        for cmd in self.spec["commands"].values():
            pop_names.extend(p for p in cmd["populations"] if p not in pop_names)
        for p in self.spec.get("record", []):
            for s in SIDES:
                if f"{p}:{s}" not in pop_names:
                    pop_names.append(f"{p}:{s}")
        self.pop_idx = {p: self.resolve(p) for p in pop_names}
        self.readout_idx = _union(list(self.pop_idx.values()))
        col = {int(i): k for k, i in enumerate(self.readout_idx)}
        self.pop_names = list(self.pop_idx)
        self._pop_matrix = np.zeros((len(self.pop_names), len(self.readout_idx)))
        for r, p in enumerate(self.pop_names):
            for i in self.pop_idx[p]:
                self._pop_matrix[r, col[int(i)]] = 1.0 / len(self.pop_idx[p])
        self.command_names = list(self.spec["commands"])
        self._cmd_rows = [[self.pop_names.index(p) for p in self.spec["commands"][c]["populations"]]
                          for c in self.command_names]
        ro = self.spec["readout"]
        self._alpha = 1.0 - math.exp(-self.control_dt / float(ro["tau_s"]))
        self._full_scale = float(ro["full_scale_hz"])

        # --- network
        t1 = time.perf_counter()
        net_seed = None if seed is None else int(seed)
        if backend == "torch":
            from nervous_systems.torch_backend.lif import (
                TorchLIFNetwork as Net,  # lazy: optional
            )
        elif backend == "event":
            from nervous_systems.event_lif import EventLIFNetwork as Net
        else:
            from nervous_systems.lif_network import LIFNetwork as Net
        self.network = Net(es.n, es.pre, es.post, es.weight, params=params, seed=net_seed)
        if len(self.input_idx):
            self.network.set_input_rates(self.input_idx, np.zeros(len(self.input_idx)))
        if len(activated):
            self.network.activate(activated, activate_rate_hz)
        if len(silenced):
            self.network.silence(silenced)
        self.silenced, self.activated = silenced, activated
        self.activate_rate_hz = activate_rate_hz
        self._rates_in = np.zeros(len(self.input_idx))
        self.loop = None
        if backend == "brian2":
            from nervous_systems.closed_loop import ClosedLoop
            self.loop = ClosedLoop(self.network.net, self.control_dt, apply=self._apply, read=self._read)
            self._count_var = self.network.monitor.variables["count"]
        self.build_s = {"load_edges": round(t_load, 2), "network": round(time.perf_counter() - t1, 2),
                        "total": round(time.perf_counter() - t0, 2)}
        self.memory = {"network_bytes": int(self.network.memory_bytes()), "process_peak_rss_mb": round(_rss_mb(), 1)}
        if verbose:
            print(f"fly brain ({self.label}, {backend}): {es.label()}; {es.n:,} neurons, {es.n_edges:,} edges; "
                  f"built in {self.build_s['total']:.1f} s (edges {self.build_s['load_edges']:.1f} s, network "
                  f"{self.build_s['network']:.1f} s); network state {self.memory['network_bytes'] / 2**20:,.0f} MiB, "
                  f"process peak RSS {self.memory['process_peak_rss_mb']:,.0f} MB", file=sys.stderr)

        # --- VNC model (fly-body's hand-built pattern generator, or a stand-in)
        if actuator_names is None:
            from bodies.fly import ACTUATOR_NAMES as actuator_names  # noqa: N811
        if vnc_factory is None:
            from .vnc import VentralNerveCordModel as vnc_factory
        self.vnc = vnc_factory(action_space, self.control_dt, list(actuator_names), params=vnc_params)
        self.record_every = max(1, int(round(float(record_dt) / self.control_dt)))
        self._reset_state()

    # ------------------------------------------------------------------ network side
    def _encode(self, obs) -> np.ndarray:
        rates = np.zeros(len(self.input_idx))
        for key, sen in self.spec["sensors"].items():
            if key not in obs:
                continue
            x = np.abs(np.asarray(obs[key], float).reshape(-1))
            if x.shape != (2,):
                raise FlyBrainError(f"observation {key!r} must have 2 values [left, right], got shape {x.shape}")
            r = float(sen["max_rate_hz"]) * np.clip(x / float(sen["full_scale"]), 0.0, 1.0)
            for s, val in zip(SIDES, r):
                slots = self._sensor_slots[(key, s)]
                rates[slots] = np.maximum(rates[slots], val)
        return rates

    def _apply(self, obs) -> None:
        rates = self._encode(obs)
        if len(rates) and not np.array_equal(rates, self._rates_in):
            self.network.set_input_rates(self.input_idx, rates)
            self._rates_in = rates

    def _counts(self) -> np.ndarray:
        if self.backend == "brian2":
            return np.asarray(self._count_var.get_value()[self.readout_idx], float)
        return np.asarray(self.network.spike_counts()[self.readout_idx], float)

    def _read(self):
        c = self._counts()
        d = c - self._last_counts
        self._last_counts = c
        inst = self._pop_matrix @ d / self.control_dt          # Hz per neuron, this step
        self._rates = self._rates + self._alpha * (inst - self._rates)
        cmd = {name: float(np.clip(sum(self._rates[r] for r in rows) / self._full_scale, 0.0, 1.0)) if rows else 0.0
               for name, rows in zip(self.command_names, self._cmd_rows)}
        self._k += 1
        if self._k % self.record_every == 0:
            self._log_t.append(self._k * self.control_dt)
            self._log_r.append(self._rates.astype(np.float32).copy())
            self._log_c.append(np.asarray([cmd[c] for c in self.command_names], np.float32))
        return cmd

    # ------------------------------------------------------------------ Brain protocol
    def _reset_state(self) -> None:
        self._rates = np.zeros(len(self.pop_names))
        self._last_counts = np.zeros(len(self.readout_idx))
        self._k = 0
        self._log_t, self._log_r, self._log_c = [], [], []

    def reset(self, seed: int | None = None) -> None:
        self._reset_state()
        self._rates_in = np.zeros(len(self.input_idx))
        self.vnc.reset(seed)
        if self.loop is not None:
            from nervous_systems.brian2_setup import brian2
            b2 = brian2()

            def before():
                b2.seed(int(seed) if seed is not None else None)
                if len(self.input_idx):
                    self.network.set_input_rates(self.input_idx, self._rates_in)
            self.loop.reset(before_start=before)
        else:
            self.network.reset(seed)
            if len(self.input_idx):
                self.network.set_input_rates(self.input_idx, self._rates_in)

    def act(self, observation) -> np.ndarray:
        for key, val in observation.items():
            if not np.all(np.isfinite(np.asarray(val, float))):
                raise FlyBrainError(f"observation {key!r} contains NaN/Inf at control step {self._k}")
        if self.loop is not None:
            cmd = self.loop.step(observation)
        else:
            self._apply(observation)
            self.network.run(self.control_dt)
            cmd = self._read()
        self.commands = cmd
        return np.asarray(self.vnc.step(cmd), dtype=np.float32)

    def record(self) -> dict:
        P, C = len(self.pop_names), len(self.command_names)
        return {"t": np.asarray(self._log_t, float),
                "rates": np.stack(self._log_r) if self._log_r else np.zeros((0, P), np.float32),
                "commands": np.stack(self._log_c) if self._log_c else np.zeros((0, C), np.float32),
                "populations": np.asarray(self.pop_names), "command_names": np.asarray(self.command_names),
                "unit": "Hz (spikes per neuron per s, exponentially filtered)"}

    def info(self) -> dict:
        es = self.edges
        pops = self.spec["populations"]
        uncertain = sorted({p.split(":")[0] for p in self.pop_names if pops.get(p.split(":")[0], {}).get("uncertain")})
        describe = getattr(self.vnc, "describe", None)
        return {
            "brain": self.label, "organism": "drosophila", "backend": self.backend,
            "surrogate": bool(es.surrogate), "shuffled": es.kind.startswith("shuffled"),
            "label": es.label(), "edge_set": es.describe(),
            "edge_set_label": es.label(),
            "network": self.network.describe(), "build_s": self.build_s, "memory": self.memory,
            "perturbations": {"silence": self.silence_names, "silenced_neurons": int(len(self.silenced)),
                              "activate": self.activate_names, "activated_neurons": int(len(self.activated)),
                              "activate_rate_hz": self.activate_rate_hz},
            "populations": {p: int(len(i)) for p, i in self.pop_idx.items()},
            "input_neurons": {f"{k}:{s}": int(len(v)) for (k, s), v in self.sensor_idx.items()},
            "uncertain_mappings": uncertain, "mapping_notes": dict(self.resolve.notes),
            "cell_types": self.spec["_path"],
            "vnc": describe() if callable(describe) else type(self.vnc).__name__,
            "licence": flywire.LICENCE_NOTICE,
        }

    def close(self) -> None:
        if self.loop is not None:
            self.loop.stop()


def _as_list(x) -> list:
    if x is None:
        return []
    if isinstance(x, str):
        return [s for s in x.replace(",", " ").split() if s]
    return list(x)


def _union(arrays) -> np.ndarray:
    arrays = [np.asarray(a, np.int64) for a in arrays if len(a)]
    return np.unique(np.concatenate(arrays)) if arrays else np.zeros(0, np.int64)
