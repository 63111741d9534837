"""Whole-brain leaky integrate-and-fire network (Shiu et al. 2024) in Brian2.

The model (``models/lif_shiu2024.yaml``, every parameter with unit and origin)::

    dv/dt = (v_0 - v + g) / t_mbr      dg/dt = -g / tau       (both frozen while refractory)
    v > v_th  ->  v = v_rst, g = 0, refractory t_rfc
    spike of j, t_dly later:  g_i += w_syn * weight_ji     (weight = signed synapse count)

is built from three arrays (``pre``, ``post``, ``weight``) in one vectorised ``connect`` call, so
15 M edges become a network in seconds. Drive enters as Poisson spikes through a ``PoissonGroup`` and
one-to-one ``Synapses`` (``v += w_syn*f_poi``, Shiu's PoissonInput weight), never as an extra term
in ``dv/dt`` (DESIGN.md: 3x slower state update at fly scale). Rates are per input neuron and can be
changed between runs and *during* a run (closed loop), by writing the group's ``rates`` array.

Input neurons ("slots") are the neurons that ever got a rate through :meth:`set_input_rates` or
:meth:`activate`; adding a new slot rebuilds the Poisson group, which is only possible while the
network is at t = 0 (before the first run or after :meth:`reset`). As in Shiu's ``poi``, driven
neurons have no refractory period. Declare every neuron that a closed loop will drive before
the loop starts (rate 0 is fine).

Perturbations, as in Shiu 2024: :meth:`silence` sets every synapse out of the neurons to weight 0
(Shiu's ``silence``) and, so that read-outs of a silenced neuron are honest, also keeps it
permanently refractory (no spikes, no integration; no extra equation term); :meth:`activate`
adds Poisson drive at ``r_poi`` (150 Hz) or a given rate.

:meth:`reset` brings the dynamic state (v, g, spike queue, monitors, time) back to the state before
the first run and keeps the configuration (input rates, silencing, activation).
"""

from __future__ import annotations

import itertools

import numpy as np

from .brian2_setup import brian2
from .lif_graph import LIFNetworkError  # noqa: F401  (the error type of every LIF backend)
from .lif_graph import FOREVER_REFRACTORY_S, PoissonInputs, checked_graph, load_lif_model, neuron_index

_ids = itertools.count()


class LIFNetwork(PoissonInputs):
    """Shiu 2024 LIF network over ``n`` neurons and the edges ``pre[k] -> post[k]``.

    ``weight`` is the signed synapse count per edge (Shiu's ``Excitatory x Connectivity``); the
    synaptic weight is ``w_syn * weight``. ``params`` overrides model parameters by name, in the
    model file's units (e.g. ``{"w_syn": 0.3, "r_poi": 100}``), or names another model file with
    ``{"model": "path.yaml"}``. ``record_spikes=False`` keeps spike counts only (no spike times).
    """

    def __init__(self, n: int, pre: np.ndarray, post: np.ndarray, weight: np.ndarray,
                 params: dict | None = None, seed: int | None = None, dt_ms: float = 0.1,
                 record_spikes: bool = True):
        b2 = brian2()
        self.model = load_lif_model(params)
        self.n, pre, post, weight = checked_graph(n, pre, post, weight)
        self.n_edges = len(pre)
        self.dt_ms = float(dt_ms)
        self.seed = seed
        self.record_spikes = bool(record_spikes)
        ns = self.model.namespace()
        self.namespace = ns
        self.r_poi = float(ns["r_poi"])
        eqs = self.model.equations
        dt = self.dt_ms * b2.ms
        self._dt = dt
        uid = next(_ids)
        self._uid = uid

        self.neurons = b2.NeuronGroup(self.n, eqs["neuron"], threshold=eqs["threshold"],
                                      reset=eqs["reset"], refractory="rfc",
                                      method=self.model.numerics.get("method", "linear"),
                                      namespace=ns, dt=dt, name="lif_neurons")
        self.neurons.v = ns["v_0"]
        self.neurons.g = 0 * b2.mV
        self._rfc = np.full(self.n, float(ns["t_rfc"]))
        self.neurons.rfc = self._rfc * b2.second

        self.synapses = b2.Synapses(self.neurons, self.neurons, eqs["synapse"], on_pre=eqs["on_pre"],
                                    delay=ns["t_dly"], namespace=ns, dt=dt, name="lif_synapses")
        if self.n_edges:
            self.synapses.connect(i=pre.astype(np.int32, copy=False), j=post.astype(np.int32, copy=False))
            self._w0 = weight * float(ns["w_syn"])          # volts, in connect order
            self._w = self.synapses.variables["w"]
            self._w.set_value(self._w0)
            self._pre = pre.astype(np.int32, copy=False)
        else:
            self._w0 = np.zeros(0)
            self._pre = np.zeros(0, np.int32)
        self.monitor = b2.SpikeMonitor(self.neurons, record=self.record_spikes, name="lif_spikes")
        self.net = b2.Network(self.neurons, self.synapses, self.monitor)

        # input slots: neuron index per Poisson source; sensory and activation rates add
        self._init_slots()
        self._poisson = None
        self._poisson_syn = None
        self.silenced = np.zeros(0, np.int64)
        self._stored = False             # 'lif_init' matches the current object set
        self._silenced_at_store = np.zeros(0, np.int64)
        if seed is not None:
            b2.seed(int(seed))

    # ------------------------------------------------------------------ input slots
    def _ensure_slots(self, idx: np.ndarray) -> np.ndarray:
        """Slot numbers of ``idx``; adds missing slots (rebuilds the Poisson group at t = 0)."""
        slots, indices = self._grow_slots(idx, started=float(self.net.t) > 0)
        if indices is not None:
            self._rebuild_poisson(indices)
        return slots

    def _rebuild_poisson(self, indices: np.ndarray) -> None:
        """One Poisson source per input slot (``indices`` = ``input_indices``)."""
        b2 = brian2()
        for obj in (self._poisson_syn, self._poisson):
            if obj is not None:
                self.net.remove(obj)
        self._poisson = b2.PoissonGroup(len(indices), rates=0 * b2.Hz, dt=self._dt,
                                        name="lif_poisson")
        self._poisson_syn = b2.Synapses(self._poisson, self.neurons, on_pre=self.model.equations["poisson_on_pre"],
                                        namespace=self.namespace, dt=self._dt,
                                        name="lif_poisson_syn")
        self._poisson_syn.connect(i=np.arange(len(indices), dtype=np.int32), j=indices.astype(np.int32))
        self.net.add(self._poisson, self._poisson_syn)
        self._rates_var = self._poisson.variables["rates"]
        # Shiu `poi`: Poisson targets have no refractory period (silenced neurons stay silenced)
        self._rfc[indices] = 0.0
        self._apply_rfc()
        self._push_rates()
        self._stored = False

    def _push_rates(self) -> None:
        if self._poisson is not None:
            self._rates_var.set_value(self._sensory + self._activation)

    def _apply_rfc(self) -> None:
        rfc = self._rfc.copy()
        rfc[self.silenced] = FOREVER_REFRACTORY_S
        self.neurons.variables["rfc"].set_value(rfc)

    # ------------------------------------------------------------------ public API
    def silence(self, indices) -> None:
        """Shiu's silencing: weights of every synapse out of ``indices`` become 0; the neurons
        are also held refractory (no spikes), so their own recorded rates are 0."""
        idx = neuron_index(indices, self.n, "silence")
        self.silenced = np.union1d(self.silenced, idx)
        self._apply_weights()
        self._apply_rfc()

    def _apply_weights(self) -> None:
        if not self.n_edges:
            return
        if len(self.silenced):
            w = self._w0.copy()
            w[np.isin(self._pre, self.silenced)] = 0.0
        else:
            w = self._w0
        self._w.set_value(w)

    def _store(self) -> None:
        if not self._stored:
            self.net.store("lif_init")
            self._stored = True
            self._silenced_at_store = self.silenced.copy()

    def run(self, duration_s: float) -> None:
        """Open-loop run for ``duration_s`` seconds of model time."""
        b2 = brian2()
        if not duration_s > 0:
            raise LIFNetworkError(f"duration must be > 0 s, got {duration_s}")
        if float(self.net.t) == 0:
            self._store()
        self.net.run(float(duration_s) * b2.second, namespace={})

    def spike_counts(self) -> np.ndarray:
        """Spikes per neuron since the last reset, shape (n,)."""
        return np.asarray(self.monitor.variables["count"].get_value(), dtype=np.int64).copy()

    def spikes(self) -> tuple[np.ndarray, np.ndarray]:
        """(spike times in s, neuron indices) since the last reset."""
        if not self.record_spikes:
            raise LIFNetworkError("this network was built with record_spikes=False (counts only)")
        return (np.asarray(self.monitor.variables["t"].get_value(), float).copy(),
                np.asarray(self.monitor.variables["i"].get_value(), np.int64).copy())

    def reset(self, seed=None) -> None:
        """Back to the state before the first run (v = v_0, g = 0, empty spike queue and monitor,
        t = 0), keeping input rates, activation and silencing; reseeds Brian2's RNG if ``seed``."""
        b2 = brian2()
        if self._stored:
            self.net.restore("lif_init")
            if not np.array_equal(self._silenced_at_store, self.silenced):
                self._apply_weights()
            self._apply_rfc()
            self._push_rates()
        elif float(self.net.t) != 0:  # pragma: no cover - store happens on the first run
            raise LIFNetworkError("no stored initial state")
        if seed is not None:
            b2.seed(int(seed))
        self.seed = seed

    @property
    def t(self) -> float:
        """Model time in s (as the torch and event backends' ``t``)."""
        return float(self.net.t)

    def memory_bytes(self) -> int:
        """Bytes held in the network's state arrays (neurons, synapses, Poisson input, monitor)
        plus the stored initial state (a copy of the same arrays once the network has run)."""
        total = 0
        for obj in (self.neurons, self.synapses, self.monitor, self._poisson, self._poisson_syn):
            if obj is None:
                continue
            for var in obj.variables.values():
                if hasattr(var, "get_value") and getattr(var, "size", None) and not getattr(var, "scalar", False):
                    try:
                        total += int(var.size) * np.dtype(var.dtype).itemsize
                    except TypeError:
                        pass
        state_bytes = total
        if self._stored:
            total += state_bytes
        return total + self._w0.nbytes + self._pre.nbytes

    def describe(self) -> dict:
        return {"model": self.model.describe(), "neurons": self.n, "edges": int(self.n_edges),
                "input_neurons": int(len(self.input_indices)), "silenced": int(len(self.silenced)),
                "activated": int(np.count_nonzero(self._activation)), "dt_ms": self.dt_ms,
                "backend": "brian2"}
