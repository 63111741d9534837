"""The OMR circuit behind the Brain protocol (closed loop through :class:`ClosedLoop`).

Observation -> Reichardt retina (numpy, :mod:`.retina`) -> pretectal DS pools; tail angles ->
spinal stretch feedback; Brian2 network (one ``net.run`` per episode in a worker thread) ->
motor-neuron rates -> muscle activations ``[L_1..L_NJ, R_1..R_NJ]``.
"""

from __future__ import annotations

import numpy as np

from nervous_systems.brian2_setup import brian2
from nervous_systems.closed_loop import ClosedLoop
from nervous_systems.connectome_brain import ObservationError

from .circuit import MODEL_YAML, OMRCircuit, load_params, si
from .integrator_sbm import IntegratorWiring
from .retina import ReichardtRetina, default_eye_points

OBS_KEYS = ("eye_left", "eye_right", "tail_angles")


class OMRBrain:
    """Brain protocol over :class:`OMRCircuit`. ``record()`` returns population mean rates."""

    def __init__(self, wiring: IntegratorWiring, n_seg: int, control_dt: float, n_eye_samples: int,
                 params: dict | None = None, label: str = "connectome", record_dt: float = 0.004,
                 eye_points=None, info_extra: dict | None = None):
        self.p = params or load_params()
        self.label = label
        self.control_dt = float(control_dt)
        dtb = si(self.p["numerics"]["dt_brain"])
        if abs(self.control_dt / dtb - round(self.control_dt / dtb)) > 1e-6:
            raise ValueError(f"control_dt {control_dt} s is not a multiple of the brain step {dtb} s")
        pts = default_eye_points(n_eye_samples) if eye_points is None else np.asarray(eye_points, float)
        rp = self.p["retina"]
        self.retina = ReichardtRetina(pts, self.control_dt, si(rp["tau_hrc"]), si(rp["tau_adapt"]), si(rp["gain"]))
        self.circuit = OMRCircuit(wiring, n_seg, self.p)
        self.n_seg = n_seg
        self._record_every = max(1, int(round(record_dt / self.control_dt)))
        self.names = list(self.circuit.pop_names) + ["bout_gate", "V2a_L", "V2a_R", "MN_L", "MN_R"]
        self.info_extra = dict(info_extra or {})
        self.loop = ClosedLoop(self.circuit.net, self.control_dt, apply=self._apply, read=self._read)
        self._rec_t, self._rec_v, self._k = [], [], 0

    # ------------------------------------------------------------------ network-side callbacks
    def _apply(self, obs) -> None:
        self.circuit.set_visual(self.retina.step(obs["eye_left"], obs["eye_right"]))
        self.circuit.set_proprio(obs["tail_angles"])

    def _read(self) -> np.ndarray:
        self._k += 1
        if self._k % self._record_every == 0:
            c = self.circuit
            self._rec_t.append(self._k * self.control_dt)
            self._rec_v.append(np.concatenate([c.populations(), [c.gate()], c.spinal_activity()]).astype(np.float32))
        # motor() is already [MN_L (n_seg), MN_R (n_seg)] float32, a fresh array
        return self.circuit.motor()

    # ------------------------------------------------------------------ Brain protocol
    def reset(self, seed: int | None = None) -> None:
        b2 = brian2()
        self.retina.reset()
        self._rec_t, self._rec_v, self._k = [], [], 0
        self.loop.reset(before_start=lambda: b2.seed(int(seed) if seed is not None else None))

    def act(self, observation) -> np.ndarray:
        try:  # one finiteness check over all keys; the slow per-key loop only names the culprit
            ok = bool(np.isfinite(np.concatenate([np.ravel(observation[k]) for k in OBS_KEYS])).all())
        except (KeyError, TypeError, ValueError):
            ok = False
        if not ok:
            for key in OBS_KEYS:
                if key not in observation:
                    raise ObservationError(f"observation has no {key!r} (keys: {sorted(observation)})")
                arr = np.asarray(observation[key], float)
                if not np.all(np.isfinite(arr)):
                    raise ObservationError(f"observation {key!r} contains NaN/Inf at control step {self.loop.steps}")
        return self.loop.step(observation)

    def record(self) -> dict:
        v = np.stack(self._rec_v) if self._rec_v else np.zeros((0, len(self.names)), np.float32)
        return {"t": np.asarray(self._rec_t, float), "v": v, "names": np.asarray(self.names),
                "unit": "population mean rate (0-1)"}

    def info(self) -> dict:
        return {"brain": self.label, "model": str(MODEL_YAML.name), **self.circuit.describe(),
                **self.info_extra}

    def close(self) -> None:
        self.loop.stop()
