"""The sensorimotor bridge between a task's observations/actions and a network's neurons.

A bridge is declared in YAML by the organism (e.g. ``organisms/c_elegans/bridge.yaml``); this
module only interprets it. Nothing here generates movement: sensors become per-neuron
depolarisation (mV), motor neurons' synaptic activation becomes muscle activation through the
connectome's neuromuscular junctions.

Sensor kinds
------------
``scalar``          one observation value → optional transform (``log``) → optional filter →
                    rectification → ``gain_mV`` into each target neuron.
                    Filter ``adapting_derivative``: difference of a fast and a slow first-order
                    low-pass (a band-pass that reports recent change and adapts to a constant
                    level), the standard description of ASE responses to NaCl steps
                    (Suzuki et al. 2008; Kato et al. 2014).
``proprioception``  an observation array sampled along the body (curvature at the joints) → each
                    target neuron reads the curvature at its own body coordinate plus ``offset``
                    (body lengths; negative = anterior), signed for its ``side``
                    (``ventral``: +curvature, ``dorsal``: −curvature), times ``gain_mV``. Signed by
                    default (stretch depolarises, compression hyperpolarises relative to rest);
                    ``rectify: true`` keeps only the depolarising half.
                    Optional ``gate: {neurons: [...], minus: [...], mV: X}`` on a proprioceptive target
                    multiplies its drive by g = clip((mean(V_gate − V_rest,gate) − mean(V_minus −
                    V_rest,minus)) / X, 0, 1) (``minus`` optional: a competition between two groups,
                    e.g. backward vs forward command interneurons): the network's own state
                    (e.g. AVA depolarisation for A-type motor neurons) opens the feedback path. A
                    graded multiplication by a neuron's potential, not a switch or state machine.
``tonic``           a constant drive (mV) to named neurons, with its justification.

Motor readout
-------------
For each muscle m: activation_m = clip(tone + gain · Σ_i W_mi (s_i − s_rest,i), 0, 1), where
W are the connectome's NMJ weights of motor neuron i onto muscle m, signed by the neuron's
transmitter (GABAergic NMJs inhibit), normalised by each muscle's total excitatory NMJ weight.
At rest every muscle sits at ``tone``: bending comes only from activity differences the network
produces.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
from .yaml_file import load_yaml

from .connectome import Connectome


class BridgeConfigError(ValueError):
    pass


@dataclass
class _Target:
    index: np.ndarray   # neuron indices
    gain: float         # mV per unit of filtered signal
    coords: np.ndarray | None = None  # body coordinate per neuron (proprioception)
    sign: float = 1.0
    rectify: bool = False
    gate: np.ndarray | None = None   # neuron indices whose depolarisation opens this target
    gate_mV: float = 1.0
    gate_minus: np.ndarray | None = None   # neurons whose depolarisation closes it (competition)

    def __post_init__(self):
        # targets with the same gate share one gate value per step (computed once in encode)
        self.gate_key = None if self.gate is None else (
            self.gate.tobytes(), b"" if self.gate_minus is None else self.gate_minus.tobytes(),
            self.gate_mV)


class _AdaptingDerivative:
    def __init__(self, tau_fast: float, tau_slow: float, dt: float):
        self.a_f = 1.0 - np.exp(-dt / tau_fast)
        self.a_s = 1.0 - np.exp(-dt / tau_slow)
        self.fast = self.slow = None

    def reset(self):
        self.fast = self.slow = None

    def __call__(self, x: float) -> float:
        if self.fast is None:
            self.fast = self.slow = x
        self.fast += self.a_f * (x - self.fast)
        self.slow += self.a_s * (x - self.slow)
        return self.fast - self.slow


class Bridge:
    def __init__(self, config: dict | str | Path, connectome: Connectome, muscle_names: list[str],
                 control_dt: float, source: str = ""):
        if not isinstance(config, dict):
            source = str(config)
            config = load_yaml(config)
        self.config, self.source = config, source
        self.c = connectome
        self.muscle_names = list(muscle_names)
        self.dt = control_dt
        self.n = connectome.n_neurons
        self._scalar: list[tuple[str, dict, object, str, list[_Target]]] = []
        self._proprio: list[tuple[str, np.ndarray | None, list[_Target]]] = []
        self._tonic = np.zeros(self.n)
        self._joint_coords: dict[int, np.ndarray] = {}   # sensor length -> joint body coordinates
        self.body_coord = self._motor_body_coordinates()
        for i, spec in enumerate(config.get("sensors", [])):
            self._add_sensor(spec, i)
        for k, spec in enumerate(config.get("tonic", [])):
            if "neurons" not in spec or "mV" not in spec:
                raise BridgeConfigError(f"{self.source or 'bridge'}: tonic[{k}] needs 'neurons' and 'mV'")
            idx = connectome.index_of(connectome.resolve(spec["neurons"]))
            self._tonic[idx] += float(spec["mV"])
        self._build_motor(config.get("motor", {}))

    # ------------------------------------------------------------------ construction
    def _where(self, i, key=None) -> str:
        return f"{self.source or 'bridge'}: sensors[{i}]" + (f".{key}" if key else "")

    def _targets(self, spec, i) -> list[_Target]:
        out = []
        for t in spec.get("targets", []):
            if "neurons" not in t or "gain_mV" not in t:
                raise BridgeConfigError(f"{self._where(i, 'targets')}: each target needs 'neurons' and 'gain_mV'")
            names = self.c.resolve(t["neurons"])
            idx = self.c.index_of(names)
            side = t.get("side")
            sign = {"ventral": 1.0, "dorsal": -1.0, None: 1.0}.get(side)
            if sign is None:
                raise BridgeConfigError(f"{self._where(i, 'side')}: side must be ventral or dorsal, got {side!r}")
            coords = None
            if spec.get("kind") == "proprioception":
                coords = self.body_coord[idx] + float(t.get("offset", 0.0))
                if np.isnan(coords).any():
                    bad = [names[k] for k in np.flatnonzero(np.isnan(coords))]
                    raise BridgeConfigError(f"{self._where(i)}: no body coordinate for {bad} "
                                            "(no NMJ and no 'position' in the neuron table)")
            rect = t.get("rectify", False)
            if rect not in (True, False):
                raise BridgeConfigError(f"{self._where(i, 'rectify')}: true or false, got {rect!r}")
            gate, gate_mV, gate_minus = None, 1.0, None
            if "gate" in t:
                g = t["gate"]
                if (not isinstance(g, dict) or "neurons" not in g or "mV" not in g or not float(g["mV"]) > 0
                        or set(g) - {"neurons", "minus", "mV"}):
                    raise BridgeConfigError(f"{self._where(i, 'gate')}: expected {{neurons: [...], "
                                            "minus: [...] (optional), mV: >0}}")
                gate, gate_mV = self.c.index_of(self.c.resolve(g["neurons"])), float(g["mV"])
                if g.get("minus"):
                    gate_minus = self.c.index_of(self.c.resolve(g["minus"]))
            out.append(_Target(idx, float(t["gain_mV"]), coords, sign, bool(rect), gate, gate_mV, gate_minus))
        return out

    def _add_sensor(self, spec: dict, i: int) -> None:
        kind = spec.get("kind", "scalar")
        if "observation" not in spec:
            raise BridgeConfigError(f"{self._where(i)}: missing 'observation'")
        targets = self._targets(spec, i)
        if kind == "scalar":
            f = spec.get("filter")
            filt = None
            if f:
                if f.get("kind") != "adapting_derivative":
                    raise BridgeConfigError(f"{self._where(i, 'filter')}: unknown filter {f.get('kind')!r}")
                missing = [k for k in ("tau_fast", "tau_slow") if k not in f]
                if missing:
                    raise BridgeConfigError(f"{self._where(i, 'filter')}: missing {missing} (seconds)")
                filt = _AdaptingDerivative(float(f["tau_fast"]), float(f["tau_slow"]), self.dt)
            rect = spec.get("rectify", "none")
            if rect not in ("none", "positive", "negative"):
                raise BridgeConfigError(f"{self._where(i, 'rectify')}: expected none/positive/negative")
            self._scalar.append((spec["observation"], spec, filt, rect, targets))
        elif kind == "proprioception":
            self._proprio.append((spec["observation"], None, targets))
        else:
            raise BridgeConfigError(f"{self._where(i, 'kind')}: unknown sensor kind {kind!r}")

    def _motor_body_coordinates(self) -> np.ndarray:
        """Body coordinate (0 nose … 1 tail) of each neuron: the weighted mean row of the muscles
        it innervates (muscle rows 1–24 span the body); else the neuron table's ``position``."""
        coord = np.full(self.n, np.nan)
        if "position" in self.c.neurons:
            coord = pd_to_float(self.c.neurons["position"])
        nmj = self.c.nmj()
        if len(nmj):
            rows = np.array([_muscle_row(m) for m in nmj["post"]], float)
            pre = self.c.index_of(nmj["pre"])
            w = nmj["weight"].to_numpy(float)
            num = np.bincount(pre, weights=w * (rows - 0.5) / 24.0, minlength=self.n)
            den = np.bincount(pre, weights=w, minlength=self.n)
            has = den > 0
            coord[has] = num[has] / den[has]
        return coord

    def _build_motor(self, spec: dict) -> None:
        self.tone = float(spec.get("tone", 0.0))
        self.gain = float(spec.get("gain", 1.0))
        nmj = self.c.nmj()
        m_index = {m: k for k, m in enumerate(self.muscle_names)}
        unknown = sorted(set(nmj["post"]) - set(m_index))
        if unknown:
            raise BridgeConfigError(f"NMJ targets not among the body's muscles: {unknown[:5]}")
        W = np.zeros((len(self.muscle_names), self.n))
        pre = self.c.index_of(nmj["pre"])
        post = np.array([m_index[m] for m in nmj["post"]], dtype=int)
        sign = nmj["sign"].to_numpy(float)
        sign[sign == 0] = 1.0  # NMJ of unknown transmitter: cholinergic is the rule for body-wall muscle
        np.add.at(W, (post, pre), nmj["weight"].to_numpy(float) * sign)
        exc = np.clip(W, 0, None).sum(axis=1)
        exc[exc == 0] = 1.0
        self.W = W / exc[:, None]
        self.motor_neurons = np.flatnonzero(np.abs(self.W).sum(axis=0) > 0)

    # ------------------------------------------------------------------ runtime
    def reset(self) -> None:
        for _, _, filt, _, _ in self._scalar:
            if filt is not None:
                filt.reset()

    @property
    def needs_state(self) -> bool:
        """True when a target is gated by the network's state (encode then needs v and v_rest)."""
        return any(t.gate is not None and t.gain != 0 for _, _, ts in self._proprio for t in ts)

    def encode(self, obs: dict, v: np.ndarray | None = None, v_rest: np.ndarray | None = None) -> np.ndarray:
        """Observation (and, for gated targets, the network's v and v_rest in V) → drive in mV."""
        drive = self._tonic.copy()
        for key, spec, filt, rect, targets in self._scalar:
            x = float(np.asarray(obs[key]).reshape(-1)[0])
            if spec.get("transform") == "log":
                x = np.log(max(x, 0.0) + float(spec.get("offset", 1e-3)))
            if filt is not None:
                x = filt(x)
            x *= float(spec.get("scale", 1.0))
            if rect == "positive":
                x = max(x, 0.0)
            elif rect == "negative":
                x = max(-x, 0.0)
            for t in targets:
                drive[t.index] += t.gain * x
        gates: dict[tuple, float] = {}
        for key, _, targets in self._proprio:
            k = np.asarray(obs[key], float).reshape(-1)
            xs = self._joint_coords.get(len(k))
            if xs is None:   # joints evenly spaced along the body
                xs = self._joint_coords[len(k)] = (np.arange(len(k)) + 1.0) / (len(k) + 1.0)
            for t in targets:
                if t.gain == 0:
                    continue
                val = np.interp(t.coords, xs, k, left=k[0], right=k[-1]) * t.sign
                g = 1.0
                if t.gate is not None:
                    g = gates.get(t.gate_key)
                    if g is None:
                        if v is None or v_rest is None:
                            raise BridgeConfigError(f"{self.source or 'bridge'}: a gated target needs the "
                                                    "network state (encode(obs, v, v_rest))")
                        d = np.mean(v[t.gate] - v_rest[t.gate])
                        if t.gate_minus is not None:
                            d -= np.mean(v[t.gate_minus] - v_rest[t.gate_minus])
                        g = gates[t.gate_key] = float(np.clip(d * 1e3 / t.gate_mV, 0.0, 1.0))
                drive[t.index] += g * t.gain * (np.clip(val, 0.0, None) if t.rectify else val)
        return drive

    def decode(self, s: np.ndarray, s_rest: np.ndarray) -> np.ndarray:
        """Motor neurons' synaptic activation → muscle activations in [0, 1] (float32)."""
        a = self.tone + self.gain * (self.W @ (s - s_rest))
        return np.clip(a, 0.0, 1.0).astype(np.float32)

    def describe(self) -> dict:
        return {"source": self.source, "config": self.config}


def _muscle_row(name: str) -> int:
    try:
        return int(str(name)[-2:])
    except ValueError:
        raise BridgeConfigError(f"cannot read a muscle row from {name!r} (expected e.g. MDL07)") from None


def pd_to_float(series) -> np.ndarray:
    import pandas as pd
    return pd.to_numeric(series, errors="coerce").to_numpy(float).copy()
