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


def kunert_rest_state(c: Connectome, ns: dict, model: NetworkModel):
    """Kunert 2014 rest state, shared by every backend of the graded model.

    Every s_j sits at mid-activation s_eq = (a_r/2) / (a_r/2 + a_d); V is the solution of the
    linear system C dV/dt = 0. Returns (v_eq in V per neuron, s_eq, G_gap per neuron in S,
    G_in per neuron in S): G_in is the resting input conductance a current injection into a
    neuron "sees" (own leak, gap junctions, synaptic conductance at rest), which turns mV drive
    targets into currents.
    """
    n = c.n_neurons
    gi, gj, gw = c.gap_pairs()
    ci, cj, cw, csign = c.chemical()
    e_rev = chemical_reversal(csign, ns, model)
    g_gap = float(ns["g_gap"]); g_syn = float(ns["g_syn"]); G_c = float(ns["G_c"])
    a_r = float(ns["a_r"]); a_d = float(ns["a_d"])
    s_eq = (a_r / 2) / (a_r / 2 + a_d)
    A = np.zeros((n, n))
    np.add.at(A, (gi, gj), gw * g_gap)
    np.add.at(A, (gj, gi), gw * g_gap)
    G_gap = A.sum(axis=1)
    G_syn_eq = np.bincount(cj, weights=cw * g_syn * s_eq, minlength=n)
    I_syn_eq = np.bincount(cj, weights=cw * g_syn * s_eq * e_rev, minlength=n) if len(ci) else np.zeros(n)
    M = np.diag(G_c + G_gap + G_syn_eq) - A
    v_eq = np.linalg.solve(M, G_c * float(ns["E_c"]) + I_syn_eq)
    return v_eq, s_eq, G_gap, G_c + G_gap + G_syn_eq


class GradedNetwork:
    """A Brian2 network for a connectome. Attributes: ``net``, ``neurons``, ``names``.

    Inputs are set with :meth:`set_drive` (a per-neuron depolarisation target in mV, turned into
    current through each neuron's resting input conductance); outputs are read with
    :meth:`state` (v in volts, s synaptic activation) through raw arrays, which is what makes the
    per-control-step hand-off cheap.
    """

    def __init__(self, connectome: Connectome, model: NetworkModel | str = "graded_kunert2014",
                 perturbation: Perturbation | None = None):
        b2 = brian2()
        self.model = NetworkModel.load(model) if isinstance(model, str) else model
        self.perturbation = perturbation or Perturbation()
        self.connectome, self.lesioned, self.activated = self.perturbation.apply(connectome)
        c = self.connectome
        self.names = c.names
        n = c.n_neurons
        ns = self.model.namespace()
        self.namespace = ns
        dt = self.model.dt()
        method = self.model.numerics.get("method", "exponential_euler")
        eqs = self.model.equations

        self.neurons = b2.NeuronGroup(n, eqs["neuron"], method=method, dt=dt, namespace=ns,
                                      name="neurons")
        # --- gap junctions: each unordered pair as two directed synapses with the same count
        gi, gj, gw = c.gap_pairs()
        self.gap = b2.Synapses(self.neurons, self.neurons, eqs["gap"], namespace=ns, dt=dt, name="gap")
        if len(gi):
            self.gap.connect(i=np.concatenate([gi, gj]), j=np.concatenate([gj, gi]))
            self.gap.w = np.concatenate([gw, gw])
        # --- chemical synapses
        ci, cj, cw, csign = c.chemical()
        self.chem = b2.Synapses(self.neurons, self.neurons, eqs["chemical"], namespace=ns, dt=dt,
                                name="chem")
        if len(ci):
            self.chem.connect(i=ci, j=cj)
            self.chem.w = cw
            self.chem.E_rev = chemical_reversal(csign, ns, self.model) * b2.volt

        # --- resting state (Kunert 2014) and resting input conductance
        v_eq, s_eq, G_gap, self.G_in = kunert_rest_state(c, ns, self.model)
        self.v_rest = v_eq
        self.s_rest = np.full(n, s_eq)
        self.neurons.G_gap = G_gap * b2.siemens
        self.neurons.V_th = v_eq * b2.volt
        self.neurons.G_in = self.G_in * b2.siemens
        self.neurons.v = v_eq * b2.volt
        self.neurons.s = s_eq

        # --- noise (piecewise constant), activation current
        self._sigma = float(ns.get("sigma_noise", 0.0)) if "sigma_noise" in ns else 0.0
        objs = [self.neurons, self.gap, self.chem]
        if self._sigma > 0:
            tau_n = ns.get("tau_noise", 20 * b2.ms)
            self.neurons.run_regularly("I_noise = sigma_noise*G_in*randn()", dt=tau_n, name="noise")
        self._drive_mV = np.zeros(n)
        self._activation_I = np.zeros(n)
        if len(self.activated):
            self._activation_I[self.activated] = self.perturbation.activate_mV * 1e-3 * self.G_in[self.activated]
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
        current = np.asarray(drive_mV, float) * 1e-3 * self.G_in + self._activation_I
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

    def shift_thresholds(self, shift_mV: np.ndarray) -> None:
        """Move each neuron's synaptic-release threshold V_th by ``shift_mV`` relative to its rest
        potential (+ = harder to activate): the per-class threshold parameters of a brain."""
        b2 = brian2()
        shift = np.asarray(shift_mV, float)
        self.neurons.V_th = (self.v_rest + shift * 1e-3) * b2.volt
        self.threshold_shift_mV = shift

    def describe(self) -> dict:
        return {"model": self.model.describe(), "perturbation": self.perturbation.describe(),
                "connectome": self.connectome.summary()}
