"""Build a Brian2 graded-potential network from a Connectome and a NetworkModel.

Chemical synapses and gap junctions become two ``Synapses`` objects whose weights are the
connectome's contact counts; neuromuscular junctions are not part of the network (the bridge reads
them to drive muscles). Construction is vectorised (index arrays, no Python loops over edges).

Perturbations (in-silico experiments, applied at build time):
``lesion``   neurons (names or classes) are ablated: every chemical synapse, gap junction and
             NMJ touching them is removed, as after laser ablation;
``activate`` neurons receive a constant depolarising current that holds them ``activate_mV``
             above rest (scaled by each neuron's own input conductance, so the same number means
             the same depolarisation in a hub and in a sparsely connected cell).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from .brian2_setup import brian2
from .connectome import Connectome
from .network_model import NetworkModel


@dataclass
class Perturbation:
    lesion: list[str] = field(default_factory=list)
    activate: list[str] = field(default_factory=list)
    activate_mV: float = 20.0

    def apply(self, connectome: Connectome) -> tuple[Connectome, np.ndarray, np.ndarray]:
        """Returns (connectome with lesioned edges removed, lesioned index, activated index)."""
        lesioned = connectome.resolve(self.lesion) if self.lesion else []
        activated = connectome.resolve(self.activate) if self.activate else []
        if lesioned:
            e = connectome.edges
            touch = e["pre"].isin(lesioned) | (e["post"].isin(lesioned) & (e["kind"] != "nmj"))
            connectome = connectome.with_edges(e[~touch], name=f"{connectome.name}-lesion",
                                               lesioned=lesioned)
        return (connectome, connectome.index_of(lesioned) if lesioned else np.zeros(0, int),
                connectome.index_of(activated) if activated else np.zeros(0, int))

    def describe(self) -> dict:
        return {"lesion": list(self.lesion), "activate": list(self.activate),
                "activate_mV": self.activate_mV if self.activate else None}


def chemical_reversal(csign: np.ndarray, ns: dict, model: NetworkModel) -> np.ndarray:
    """Reversal potential (V) of each chemical edge: +1 -> E_exc, -1 -> E_inh, 0 (transmitter
    unknown) -> the model's ``unknown_sign`` choice."""
    unknown = "E_exc" if model.extra.get("unknown_sign", "excitatory") == "excitatory" else "E_inh"
    return np.where(csign > 0, float(ns["E_exc"]), np.where(csign < 0, float(ns["E_inh"]),
                                                            float(ns[unknown])))


@dataclass
class GradedSetup:
    """What every backend of the graded model starts from (:func:`graded_setup`): the model, the
    perturbation, the perturbed connectome and its lesioned/activated indices, the model's
    namespace (Brian2 quantities) and the same values as SI floats, the time step (s), and the
    edges: gap pairs (i, j, contacts) and chemical synapses (pre, post, contacts, reversal in V)."""
    model: NetworkModel
    perturbation: Perturbation
    connectome: Connectome
    lesioned: np.ndarray
    activated: np.ndarray
    namespace: dict
    si: dict
    dt: float
    gap: tuple
    chemical: tuple

    def adopt(self, backend) -> None:
        """Give ``backend`` the attributes every graded network exposes: ``model``,
        ``perturbation``, ``connectome``, ``lesioned``, ``activated``, ``names``, ``namespace``."""
        backend.model, backend.perturbation, backend.connectome = self.model, self.perturbation, self.connectome
        backend.lesioned, backend.activated = self.lesioned, self.activated
        backend.names = self.connectome.names
        backend.namespace = self.namespace


def graded_setup(connectome: Connectome, model: NetworkModel | str, perturbation: Perturbation | None,
                 backend: str) -> GradedSetup:
    """Load the model, apply the perturbation and extract the edges, once for every backend.
    Backends other than Brian2 implement only the exponential-Euler scheme: another method is a
    clear error naming the model and the backend."""
    model = NetworkModel.load(model) if isinstance(model, str) else model
    perturbation = perturbation or Perturbation()
    c, lesioned, activated = perturbation.apply(connectome)
    method = model.numerics.get("method", "exponential_euler")
    if backend != "brian2" and method != "exponential_euler":
        raise ValueError(f"model {model.name!r}: the {backend} backend implements exponential_euler, "
                         f"not {method!r}")
    ns = model.namespace()
    ci, cj, cw, csign = c.chemical()
    return GradedSetup(model=model, perturbation=perturbation, connectome=c, lesioned=lesioned,
                       activated=activated, namespace=ns, si={k: float(v) for k, v in ns.items()},
                       dt=float(model.dt()), gap=c.gap_pairs(),
                       chemical=(ci, cj, cw, chemical_reversal(csign, ns, model)))


@dataclass
class RestState:
    """The rest state of a graded network (no external input): per-neuron arrays.

    ``v_rest`` (V) and ``s_rest`` solve dV/dt = 0, ds/dt = 0 of the full nonlinear model;
    ``V_th`` (V) is each neuron's synaptic-release threshold (the Kunert 2014 reference potential
    ``v_ref`` plus the per-neuron shift); ``G_gap`` (S) each neuron's summed gap conductance;
    ``G_in`` (S) the resting input conductance (leak + gap + synaptic conductance at rest) that
    turns mV drive targets into currents; ``max_eig`` (1/s) the largest real part of the
    Jacobian's eigenvalues at the fixed point (< 0: stable); ``method`` how it was found.
    """
    v_rest: np.ndarray
    s_rest: np.ndarray
    G_gap: np.ndarray
    G_in: np.ndarray
    V_th: np.ndarray
    v_ref: np.ndarray
    max_eig: float
    residual: float
    method: str

    @property
    def stable(self) -> bool:
        return bool(self.max_eig < 0)


def _wiring(c: Connectome, ns: dict, model: NetworkModel):
    n = c.n_neurons
    gi, gj, gw = c.gap_pairs()
    ci, cj, cw, csign = c.chemical()
    e_rev = chemical_reversal(csign, ns, model)
    A = np.zeros((n, n))
    np.add.at(A, (gi, gj), gw * float(ns["g_gap"]))
    np.add.at(A, (gj, gi), gw * float(ns["g_gap"]))
    Wg = np.zeros((n, n))   # Wg[post, pre] = sum of w g_syn
    We = np.zeros((n, n))   # We[post, pre] = sum of w g_syn E_rev
    np.add.at(Wg, (cj, ci), cw * float(ns["g_syn"]))
    np.add.at(We, (cj, ci), cw * float(ns["g_syn"]) * e_rev)
    return A, Wg, We


def graded_rest_state(c: Connectome, ns: dict, model: NetworkModel,
                      threshold_shift_mV=None, tol: float = 1e-9) -> RestState:
    """Self-consistent rest state of the graded model (Kunert 2014 equations) for per-neuron
    threshold shifts, shared by every backend.

    Thresholds: V_th,i = v_ref,i + shift_i, where v_ref is the Kunert 2014 reference (the linear
    equilibrium with every s_j at mid-activation s_eq = (a_r/2)/(a_r/2 + a_d)). Without shifts
    (v_ref, s_eq) is already the fixed point. With shifts, the fixed point of the full model
    (V and s together) is found by damped Newton on the reduced equations F(V) = 0 with
    s = a_r phi / (a_r phi + a_d), started at v_ref; if Newton fails or lands on an unstable
    point, the network is relaxed in time (noise-free, exponential Euler) and Newton polishes
    the result. Stability: eigenvalues of the full (V, s) Jacobian.
    """
    n = c.n_neurons
    A, Wg, We = _wiring(c, ns, model)
    G_c, E_c = float(ns["G_c"]), float(ns["E_c"])
    a_r, a_d, beta = float(ns["a_r"]), float(ns["a_d"]), float(ns["beta"])
    C = float(ns["C"])
    G_gap = A.sum(axis=1)
    s_mid = (a_r / 2) / (a_r / 2 + a_d)
    M = np.diag(G_c + G_gap + Wg.sum(axis=1) * s_mid) - A
    v_ref = np.linalg.solve(M, G_c * E_c + We.sum(axis=1) * s_mid)   # Kunert 2014 reference
    shift = np.zeros(n) if threshold_shift_mV is None else np.asarray(threshold_shift_mV, float) * 1e-3
    if shift.shape != (n,):
        raise ValueError(f"threshold_shift_mV: expected {n} values, got shape {shift.shape}")
    V_th = v_ref + shift

    def s_of(v):
        phi = 1.0 / (1.0 + np.exp(-beta * (v - V_th)))
        return phi, a_r * phi / (a_r * phi + a_d)

    def F(v):
        _, s = s_of(v)
        return G_c * (E_c - v) + A @ v - G_gap * v + We @ s - (Wg @ s) * v

    def jac_v(v):
        phi, s = s_of(v)
        dsdv = a_r * a_d * beta * phi * (1 - phi) / (a_r * phi + a_d) ** 2
        J = A - np.diag(G_c + G_gap + Wg @ s)
        J += (We - v[:, None] * Wg) * dsdv[None, :]
        return J

    def full_jac(v):
        phi, s = s_of(v)
        Jvv = (A - np.diag(G_c + G_gap + Wg @ s)) / C
        Jvs = (We - v[:, None] * Wg) / C
        Jsv = np.diag(a_r * beta * phi * (1 - phi) * (1 - s))
        Jss = np.diag(-(a_r * phi + a_d))
        return np.block([[Jvv, Jvs], [Jsv, Jss]])

    scale = G_c * 1e-3  # residual unit: the leak current at 1 mV

    def resid(v):
        return float(np.max(np.abs(F(v)))) / scale

    def newton(v, iters=60):
        r = resid(v)
        for _ in range(iters):
            if r < tol:
                break
            try:
                dv = np.linalg.solve(jac_v(v), -F(v))
            except np.linalg.LinAlgError:
                break
            dv = np.clip(dv, -0.02, 0.02)
            step = 1.0
            while step > 1e-4:  # damped: the residual must fall
                r_new = resid(v + step * dv)
                if r_new < r:
                    break
                step *= 0.5
            else:
                break
            v, r = v + step * dv, r_new
        return v, r

    def relax(v, seconds=30.0, dt=1e-3):
        _, s = s_of(v)
        for _ in range(int(seconds / dt)):
            G_tot = G_c + G_gap + Wg @ s
            v_inf = (G_c * E_c + A @ v + We @ s) / G_tot
            v = v_inf + (v - v_inf) * np.exp(-dt * G_tot / C)
            phi, _ = s_of(v)
            k = a_r * phi + a_d
            s_inf = a_r * phi / k
            s = s_inf + (s - s_inf) * np.exp(-dt * k)
        return v

    if not np.any(shift):
        v, res, method = v_ref.copy(), resid(v_ref), "kunert2014"
    else:
        (v, res), method = newton(v_ref.copy()), "newton"
    max_eig = float(np.max(np.linalg.eigvals(full_jac(v)).real))
    if res > 1e-6 or max_eig >= 0:
        v2, res2 = newton(relax(v_ref.copy()))
        eig2 = float(np.max(np.linalg.eigvals(full_jac(v2)).real))
        if res2 <= 1e-6 and (eig2 < 0 or res > 1e-6):
            v, res, max_eig, method = v2, res2, eig2, "relaxation+newton"
    if res > 1e-6:
        raise RuntimeError(f"graded_rest_state: no fixed point found (residual {res:.2e} x the leak "
                           "current at 1 mV)")
    _, s = s_of(v)
    return RestState(v, s, G_gap, G_c + G_gap + Wg @ s, V_th, v_ref, max_eig, res, method)


def kunert_rest_state(c: Connectome, ns: dict, model: NetworkModel, threshold_shift_mV=None):
    """Rest state shared by every backend of the graded model: (v_rest in V per neuron, s_rest per
    neuron, G_gap per neuron in S, G_in per neuron in S). Without ``threshold_shift_mV`` it is the
    Kunert 2014 rest state (every s at mid-activation); with per-neuron shifts (mV) it is the
    self-consistent fixed point of the full model (:func:`graded_rest_state`, which also gives
    ``V_th``, the thresholds a backend must use). G_in is the resting input conductance a current
    injection into a neuron "sees" (own leak, gap junctions, synaptic conductance at rest), which
    turns mV drive targets into currents."""
    r = graded_rest_state(c, ns, model, threshold_shift_mV)
    return r.v_rest, r.s_rest, r.G_gap, r.G_in


class GradedNetwork:
    """A Brian2 network for a connectome. Attributes: ``net``, ``neurons``, ``names``.

    Inputs are set with :meth:`set_drive` (a per-neuron depolarisation target in mV, turned into
    current through each neuron's resting input conductance); outputs are read with
    :meth:`state` (v in volts, s synaptic activation) through raw arrays, which is what makes the
    per-control-step hand-off cheap.
    """

    def __init__(self, connectome: Connectome, model: NetworkModel | str = "graded_kunert2014",
                 perturbation: Perturbation | None = None, threshold_shift_mV=None):
        b2 = brian2()
        setup = graded_setup(connectome, model, perturbation, "brian2")
        setup.adopt(self)
        c, ns = self.connectome, self.namespace
        n = c.n_neurons
        dt = self.model.dt()
        method = self.model.numerics.get("method", "exponential_euler")
        eqs = self.model.equations

        self.neurons = b2.NeuronGroup(n, eqs["neuron"], method=method, dt=dt, namespace=ns,
                                      name="neurons")
        # --- gap junctions: each unordered pair as two directed synapses with the same count
        gi, gj, gw = setup.gap
        self.gap = b2.Synapses(self.neurons, self.neurons, eqs["gap"], namespace=ns, dt=dt, name="gap")
        if len(gi):
            self.gap.connect(i=np.concatenate([gi, gj]), j=np.concatenate([gj, gi]))
            self.gap.w = np.concatenate([gw, gw])
        # --- chemical synapses
        ci, cj, cw, e_rev = setup.chemical
        self.chem = b2.Synapses(self.neurons, self.neurons, eqs["chemical"], namespace=ns, dt=dt,
                                name="chem")
        if len(ci):
            self.chem.connect(i=ci, j=cj)
            self.chem.w = cw
            self.chem.E_rev = e_rev * b2.volt

        # --- resting state (Kunert 2014; self-consistent fixed point once thresholds shift)
        self._c, self._ns = c, ns
        # (shifts given here: one rest-state solve per build instead of two)
        shift = np.zeros(n) if threshold_shift_mV is None else np.asarray(threshold_shift_mV, float)
        self._set_rest(graded_rest_state(c, ns, self.model, shift if np.any(shift) else None))
        self.threshold_shift_mV = shift

        # --- noise (piecewise constant), activation current
        self._sigma = float(ns.get("sigma_noise", 0.0)) if "sigma_noise" in ns else 0.0
        objs = [self.neurons, self.gap, self.chem]
        if self._sigma > 0:
            tau_n = ns.get("tau_noise", 20 * b2.ms)
            self.neurons.run_regularly("I_noise = sigma_noise*G_in*randn()", dt=tau_n, name="noise")
        self._drive_mV = np.zeros(n)
        self._set_activation()
        self._lesion_mask = np.zeros(n, bool)
        self._lesion_mask[self.lesioned] = True
        self._I_ext = self.neurons.variables["I_ext"]
        self._v = self.neurons.variables["v"]
        self._s = self.neurons.variables["s"]
        self.net = b2.Network(*objs)
        self.set_drive(np.zeros(n))

    # ------------------------------------------------------------------ I/O on raw arrays
    @property
    def n(self) -> int:
        return len(self.names)

    def set_drive(self, drive_mV: np.ndarray) -> None:
        """Sensory/proprioceptive drive: per-neuron depolarisation targets in mV."""
        self._drive_mV = np.asarray(drive_mV, float)
        current = self._drive_mV * 1e-3 * self.G_in + self._activation_I
        current[self._lesion_mask] = 0.0
        self._I_ext.set_value(current)

    def state(self) -> tuple[np.ndarray, np.ndarray]:
        """(v in volts, s) as NumPy arrays (copies)."""
        return self._v.get_value().copy(), self._s.get_value().copy()

    def reset_state(self) -> None:
        b2 = brian2()
        self.neurons.v = self.v_rest * b2.volt
        self.neurons.s = self.s_rest
        self.neurons.I_noise = 0 * b2.amp

    def _set_rest(self, rest: RestState) -> None:
        b2 = brian2()
        self.rest = rest
        self.v_rest, self.s_rest, self.G_in = rest.v_rest, rest.s_rest, rest.G_in
        self.neurons.G_gap = rest.G_gap * b2.siemens
        self.neurons.V_th = rest.V_th * b2.volt
        self.neurons.G_in = rest.G_in * b2.siemens
        self.neurons.v = rest.v_rest * b2.volt
        self.neurons.s = rest.s_rest

    def _set_activation(self) -> None:
        self._activation_I = np.zeros(self.n)
        if len(self.activated):
            self._activation_I[self.activated] = self.perturbation.activate_mV * 1e-3 * self.G_in[self.activated]

    def shift_thresholds(self, shift_mV: np.ndarray) -> None:
        """Move each neuron's synaptic-release threshold V_th by ``shift_mV`` relative to its Kunert
        2014 reference potential (+ = harder to activate): the per-class threshold parameters of a
        brain. The rest state (v_rest, s_rest, G_in: initial state, drive currents, motor readout)
        is recomputed as the fixed point of the full model with the new thresholds
        (:func:`graded_rest_state`) and the network is put there."""
        shift = np.asarray(shift_mV, float)
        self._set_rest(graded_rest_state(self._c, self._ns, self.model, shift))
        self.threshold_shift_mV = shift
        self._set_activation()
        self.set_drive(self._drive_mV)

    def describe(self) -> dict:
        return {"model": self.model.describe(), "perturbation": self.perturbation.describe(),
                "rest_state": {"method": self.rest.method, "max_eig_per_s": round(self.rest.max_eig, 4)},
                "connectome": self.connectome.summary()}
