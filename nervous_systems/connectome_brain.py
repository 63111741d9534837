"""A Brain backed by a Brian2 network built from a connectome.

Observation → bridge.encode → neuron drive → Brian2 network (one long run, hand-off every
control step, see ``closed_loop``) → motor neurons' synaptic activation → bridge.decode → muscle
activations. Recording keeps every neuron's membrane potential at ``record_dt``.
"""

from __future__ import annotations

import numpy as np

from .bridge import Bridge
from .brian2_setup import brian2
from .closed_loop import ClosedLoop, SynchronousClosedLoop
from .connectome import Connectome
from .graded_network import GradedNetwork, Perturbation
from .network_model import NetworkModel


class ObservationError(ValueError):
    pass


class ConnectomeBrain:
    """Brain protocol over a :class:`GradedNetwork`.

    Parameters: ``connectome``; ``bridge`` (YAML path or dict); ``muscle_names`` (action order);
    ``control_dt`` (s, the env's step); ``model`` (name or NetworkModel); ``lesion`` /
    ``activate`` (neuron or class names); ``record_dt`` (s); ``label`` (shown in outputs);
    ``init_sd_mV`` (s.d. of a per-seed Gaussian initial membrane-potential offset around rest; 0 =
    every episode starts at rest); ``activate_window_s`` ([t_on, t_off] in s of episode time: the
    ``activate`` neurons are driven only while t_on <= t < t_off, an optogenetic pulse, instead of
    for the whole episode; same depolarisation rule, ``activate_mV`` x resting input conductance); ``backend`` ("brian2", default, "kernel": ``graded_kernel``,
    compiled, falls back to brian2 with one line if it cannot be built, or "torch":
    ``torch_backend.graded``; same model and scheme)
    with ``torch_options`` (``device``, ``dtype``, ``threads``; torch only).
    """

    def __init__(self, connectome: Connectome, bridge, muscle_names, control_dt: float,
                 model: str | NetworkModel = "graded_kunert2014", lesion=(), activate=(),
                 activate_mV: float = 20.0, record_dt: float = 0.04, label: str = "connectome",
                 model_overrides: dict | None = None, backend: str = "brian2",
                 torch_options: dict | None = None, threshold_shift_mV: dict | None = None,
                 describe_extra: dict | None = None, init_sd_mV: float = 0.0,
                 activate_window_s=None):
        model = NetworkModel.load(model) if isinstance(model, str) else model
        if model_overrides:
            model = model.with_overrides(**model_overrides)
        self.label = label
        window = self._activation_window(activate_window_s, activate)
        # a pulse goes through the drive (see _apply); only a whole-episode activation is a perturbation
        perturbation = Perturbation(list(lesion), [] if window else list(activate), activate_mV)
        self.backend = backend
        # per-neuron threshold shifts, given to the backend at construction: one rest-state solve
        shifts = {k: float(v) for k, v in (threshold_shift_mV or {}).items() if float(v) != 0.0}
        vec = None
        if shifts:
            vec = np.zeros(connectome.n_neurons)
            vec[connectome.index_of(list(shifts))] = list(shifts.values())
        if backend == "torch":
            from .torch_backend.graded import TorchGradedNetwork
            self.network = TorchGradedNetwork(connectome, model, perturbation, threshold_shift_mV=vec,
                                              **(torch_options or {}))
        elif backend == "kernel" and not torch_options:  # compiled; brian2 if it cannot build
            from .graded_kernel import kernel_graded_network
            self.network, backend = kernel_graded_network(connectome, model, perturbation, vec)
            self.backend = backend
        if backend == "brian2" and not torch_options:
            self.network = GradedNetwork(connectome, model, perturbation, threshold_shift_mV=vec)
        elif backend not in ("torch", "kernel") or (torch_options and backend != "torch"):
            raise ValueError(f"backend {backend!r} (torch_options {torch_options!r}): choose backend "
                             "'brian2', 'kernel' or 'torch' (torch_options only with 'torch')")
        self._describe_extra = dict(describe_extra or {})
        # pulses on the drive: (neuron indices, mV, first control step, end step); the scheduled
        # activation pulse is restored by every reset, stimulate() adds one-off pulses
        self._scheduled: list[tuple[np.ndarray, np.ndarray | float, int, int]] = []
        if window:
            c = self.network.connectome
            k_on, k_off = (int(np.ceil(x / control_dt - 1e-9)) for x in window)
            self._scheduled.append((np.asarray(c.index_of(c.resolve(list(activate))), int),
                                    float(activate_mV), k_on, k_off))
            self._describe_extra["activation_pulse"] = {"neurons": list(activate), "mV": float(activate_mV),
                                                        "window_s": list(window)}
        self.init_sd_mV = float(init_sd_mV)
        if self.init_sd_mV < 0 or (self.init_sd_mV > 0 and backend == "torch"):
            raise ValueError(f"init_sd_mV={init_sd_mV}: must be >= 0 (and > 0 needs brian2 or kernel)")
        self.bridge = Bridge(bridge, self.network.connectome, muscle_names, control_dt)
        self._bridge_needs_state = self.bridge.needs_state  # fixed after construction; checked per step
        self.control_dt = control_dt
        self._record_every = max(1, int(round(record_dt / control_dt)))
        if backend in ("kernel", "torch"):     # integrate in the caller's thread
            self.loop = SynchronousClosedLoop(self.network, control_dt, apply=self._apply, read=self._read)
        else:
            self.loop = ClosedLoop(self.network.net, control_dt, apply=self._apply, read=self._read)
        self._rec_t: list[float] = []
        self._rec_v: list[np.ndarray] = []
        self._k = 0
        self._pulses = list(self._scheduled)

    @staticmethod
    def _activation_window(window, activate) -> tuple[float, float] | None:
        if window is None:
            return None
        try:
            on, off = (float(x) for x in window)
        except (TypeError, ValueError):
            raise ValueError(f"activate_window_s={window!r}: expected [t_on, t_off] in s") from None
        if not (np.isfinite(on) and np.isfinite(off) and 0.0 <= on < off):
            raise ValueError(f"activate_window_s={window!r}: need 0 <= t_on < t_off (s)")
        if not list(activate):
            raise ValueError("activate_window_s needs neurons to activate (activate / --activate)")
        return on, off

    # ------------------------------------------------------------------ network-side callbacks
    def _apply(self, obs) -> None:
        if self._bridge_needs_state:
            drive = self.bridge.encode(obs, self.network.state()[0], self.network.v_rest)
        else:
            drive = self.bridge.encode(obs)
        if self._pulses:  # activate_window_s and stimulate(); self._k = control steps done so far
            k = self._k
            for idx, drive_mV, k_on, k_off in self._pulses:
                if k_on <= k < k_off:
                    drive[idx] += drive_mV
            self._pulses = [p for p in self._pulses if p[3] > k + 1]
        self.network.set_drive(drive)

    def _read(self) -> np.ndarray:
        v, s = self.network.state()
        self._k += 1
        if self._k % self._record_every == 0:
            self._rec_t.append(self._k * self.control_dt)
            self._rec_v.append((v * 1e3).astype(np.float32))
        return self.bridge.decode(s, self.network.s_rest)

    # ------------------------------------------------------------------ Brain protocol
    def reset(self, seed: int | None = None) -> None:
        b2 = brian2()
        self.bridge.reset()
        self._rec_t, self._rec_v, self._k, self._pulses = [], [], 0, list(self._scheduled)
        seed_rng = b2.seed if self.backend == "brian2" else self.network.seed

        def before_start():
            seed_rng(int(seed) if seed is not None else None)
            if self.init_sd_mV > 0:  # each seed starts from its own neural state (one animal)
                rng = np.random.default_rng(None if seed is None else [int(seed), 7919])
                v0 = self.network.v_rest + rng.normal(0.0, self.init_sd_mV * 1e-3, self.network.n)
                if self.backend == "kernel":
                    self.network.set_v(v0)
                else:
                    self.network.neurons.v = v0 * b2.volt

        self.loop.reset(before_start=before_start)

    def act(self, observation) -> np.ndarray:
        for key, val in observation.items():
            arr = np.asarray(val, float)
            if not np.all(np.isfinite(arr)):
                raise ObservationError(f"observation {key!r} contains NaN/Inf at control step {self.loop.steps}")
        return self.loop.step(observation)

    def stimulate(self, neurons, amplitude: float = 20.0, duration: float = 0.5) -> None:
        """Inject into each of ``neurons`` (names or classes) the current that depolarises it by
        ``amplitude`` mV at steady state in the network as it is (partners free to follow), for
        ``duration`` s from the next :meth:`act` on (rounded to whole control steps, at least one).

        The current is calibrated by the neuron's actual input impedance: Z_jj = (J⁻¹)_jj, with
        J the network's small-signal conductance matrix at rest (own leak, gap junctions to
        partners that are free to move, synaptic conductance at rest, and the linearised graded
        chemical synapses, ds/dV of the presynaptic sigmoid), see :func:`input_impedance`. The
        older rule, current = amplitude × resting input conductance, assumes the gap-junction
        partners stay clamped at rest; in a gap-coupled cluster with little leak (ALA, CAN, PVD)
        they follow, and the same current drove ~+500 mV. A neuron whose linearised impedance is
        not finite and positive (an unstable mode) falls back to its resting input conductance.
        """
        idx = np.asarray(self.network.connectome.index_of(
            self.network.connectome.resolve(list(neurons))), int)
        if not float(duration) > 0:
            raise ValueError(f"stimulation duration must be > 0 s, got {duration}")
        steps = max(1, int(round(float(duration) / self.control_dt)))
        if getattr(self, "_z_in", None) is None:
            self._z_in = input_impedance(self.network)
        z, g_in = self._z_in[idx], np.asarray(self.network.G_in, float)[idx]
        ok = np.isfinite(z) & (z > 0)
        # set_drive turns mV into current through G_in: drive mV = amplitude / (Z · G_in)
        drive = np.where(ok, float(amplitude) / np.where(ok, z * g_in, 1.0), float(amplitude))
        self._pulses.append((idx, drive, self._k, self._k + steps))

    def record(self) -> dict:
        v = np.stack(self._rec_v) if self._rec_v else np.zeros((0, self.network.n), np.float32)
        return {"t": np.asarray(self._rec_t, float), "v": v, "names": np.asarray(self.network.names),
                "unit": "mV"}

    def info(self) -> dict:
        return {"brain": self.label, **self.network.describe(),
                "bridge": self.bridge.source, **self._describe_extra}

    def close(self) -> None:
        self.loop.stop()


def input_impedance(network) -> np.ndarray:
    """Small-signal DC input impedance (ohm) of every neuron of a graded network at rest.

    J = diag(G_c + G_gap + G_syn,rest) − A_gap − K_chem, where K_chem[i, j] = Σ w_ij g_syn
    (E_ij − V_i) ds_j/dV_j is the linearised graded synapse (ds/dV = a_r a_d φ′ / (a_r φ + a_d)²,
    φ′ = β φ (1 − φ), at the rest state of Kunert 2014 where φ = ½). Returns diag(J⁻¹): the
    voltage step per unit current injected into each neuron with the whole network free to
    respond (NaN where J is singular).
    """
    from .graded_network import chemical_reversal, graded_rest_state
    c, model = network.connectome, network.model
    ns = model.namespace()
    rest = getattr(network, "rest", None)
    if rest is None:
        rest = graded_rest_state(c, ns, model)
    v_eq, g_in = rest.v_rest, rest.G_in
    n = c.n_neurons
    gi, gj, gw = c.gap_pairs()
    ci, cj, cw, csign = c.chemical()
    g_gap, g_syn = float(ns["g_gap"]), float(ns["g_syn"])
    a_r, a_d, beta = float(ns["a_r"]), float(ns["a_d"]), float(ns["beta"])
    phi = 1.0 / (1.0 + np.exp(-beta * (rest.v_rest - rest.V_th)))   # 1/2 in the Kunert rest state
    dsdv = a_r * a_d * beta * phi * (1 - phi) / (a_r * phi + a_d) ** 2
    jac = np.diag(np.asarray(g_in, float))
    np.add.at(jac, (gi, gj), -gw * g_gap)
    np.add.at(jac, (gj, gi), -gw * g_gap)
    if len(ci):
        e_rev = chemical_reversal(csign, ns, model)
        np.add.at(jac, (cj, ci), -cw * g_syn * (e_rev - v_eq[cj]) * dsdv[ci])
    try:
        return np.diag(np.linalg.inv(jac)).copy()
    except np.linalg.LinAlgError:
        return np.full(n, np.nan)
