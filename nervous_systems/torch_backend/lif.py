"""The Shiu 2024 whole-brain LIF model (fly) in PyTorch: ``TorchLIFNetwork`` has the constructor
and methods of ``nervous_systems.lif_network.LIFNetwork`` (CONTRACT_FLY.md) and reads the same
``models/lif_shiu2024.yaml``.

Dynamics and schedule, step by step as Brian2 runs them (``linear`` = exact integration):

    1. state update, only where not refractory (step k - last spike >= refractory steps):
           g ← g e^{-dt/τ},   v ← v_0 + (v − v_0) e^{-dt/τ_m} + g τ/(τ − τ_m) (e^{-dt/τ} − e^{-dt/τ_m})
    2. threshold: spike where v > v_th and not refractory
    3. synapses: spikes of step k − D (D = round(t_dly/dt), a ring of spike-index lists) add
       w_syn · count to g of their targets; Poisson input spikes (rand < rate·dt, this step) add
       w_syn · f_poi to v of their neuron. As in Brian2, v and g are "(unless refractory)"
       variables, so these writes only reach neurons that are not refractory (including this
       step's spikers): input arriving during the refractory period is lost
    4. reset of this step's spikers: v = v_rst, g = 0, last spike = k

Propagation is event-driven: the edges are sorted by presynaptic neuron (CSR), and at each step
only the outgoing rows of the neurons that spiked D steps ago are gathered (``repeat_interleave``
over their row ranges) and scattered into ``g`` with ``index_add_`` — no dense matrix–vector
product, so the cost follows the number of spikes, not the 15 M edges.

Poisson inputs come from a torch generator: with Poisson drive, Brian2 and torch runs agree in
statistics (rates), not spike by spike. With rates of 0 or 1/dt (a spike every step) the drive
is deterministic, and the two backends then agree spike by spike (tested).
"""

from __future__ import annotations

from collections import deque

import numpy as np

from ..lif_graph import FOREVER_REFRACTORY_S, LIFNetworkError, PoissonInputs, checked_graph, load_lif_model, neuron_index
from . import default_threads, device_name, intra_op_threads, require_torch, resolve_device, resolve_dtype



class TorchLIFNetwork(PoissonInputs):
    """Shiu 2024 LIF network over ``n`` neurons and the edges ``pre[k] -> post[k]``, in PyTorch.

    Same arguments as ``LIFNetwork`` (``weight`` = signed synapse count; ``params`` overrides
    model parameters by name in the model file's units, or names another model with
    ``{"model": ...}``; ``record_spikes=False`` keeps counts only), plus ``device`` (None/"auto":
    CUDA if available else CPU), ``dtype`` ("float32" default, "float64") and ``threads`` (CPU
    intra-op threads while running; default 1, see ``torch_backend.default_threads``).
    """

    backend = "torch"

    def __init__(self, n: int, pre: np.ndarray, post: np.ndarray, weight: np.ndarray,
                 params: dict | None = None, seed: int | None = None, dt_ms: float = 0.1,
                 record_spikes: bool = True, device=None, dtype="float32", threads: int | None = None):
        torch = require_torch()
        self.torch = torch
        self.model = load_lif_model(params)
        self.n, pre, post, weight = checked_graph(n, pre, post, weight)
        self.n_edges = len(pre)
        self.dt_ms = float(dt_ms)
        self.record_spikes = bool(record_spikes)
        self.device = resolve_device(device)
        self.dtype = resolve_dtype(dtype)
        self.threads = default_threads(self.device, self.n, threads)
        p = {k: float(v) for k, v in self.model.namespace().items()}  # SI floats
        self.params_si = p
        dt = self.dt_ms * 1e-3
        self._dt = dt
        # --- constants (mV, steps)
        self._v0, self._v_rst, self._v_th = p["v_0"] * 1e3, p["v_rst"] * 1e3, p["v_th"] * 1e3
        a_m, a_s = np.exp(-dt / p["t_mbr"]), np.exp(-dt / p["tau"])
        if abs(p["tau"] - p["t_mbr"]) < 1e-12:
            c = dt / p["t_mbr"] * a_m
        else:
            c = p["tau"] / (p["tau"] - p["t_mbr"]) * (a_s - a_m)
        self._a_m, self._a_s, self._c_gv = float(a_m), float(a_s), float(c)
        self._b_v = self._v0 * (1.0 - a_m)
        self._delay = int(np.round(p["t_dly"] / dt))                   # Brian2 rounds delays
        self._rfc_steps_default = self._timestep(p["t_rfc"])
        self._w_poi = p["w_syn"] * p["f_poi"] * 1e3                       # mV added per Poisson spike
        self.r_poi = p["r_poi"]

        # --- edges as CSR by presynaptic neuron
        order = np.argsort(pre, kind="stable")
        indptr = np.zeros(self.n + 1, np.int64)
        np.cumsum(np.bincount(pre, minlength=self.n), out=indptr[1:])
        self._indptr = torch.as_tensor(indptr, device=self.device)
        self._post = torch.as_tensor(post[order].astype(np.int64), device=self.device)
        self._w = torch.as_tensor(weight[order] * p["w_syn"] * 1e3, dtype=self.dtype, device=self.device)
        del order

        # --- state: X = [v; g] (mV), exact linear update where not refractory. A
        #     refractory neuron's state is constant in Brian2 (no integration, synaptic writes
        #     dropped): (v_rst, 0) after a spike, its state at silencing if silenced. It is kept
        #     in X_frozen and re-imposed at the end of each step, which also performs the reset.
        kw = dict(dtype=self.dtype, device=self.device)
        self._X = torch.zeros(2, self.n, **kw)
        self._X_frozen = torch.zeros(2, self.n, **kw)
        self._X_frozen[0] = self._v_rst
        self._X[0] = self._v0
        self._until = torch.zeros(self.n, dtype=torch.int64, device=self.device)  # refractory until step
        self._rfc = np.full(self.n, self._rfc_steps_default, np.int64)   # host copy of the config
        self._rfc_t = torch.as_tensor(self._rfc, device=self.device)
        self._degree = self._indptr[1:] - self._indptr[:-1]
        self._counts = torch.zeros(self.n, dtype=torch.int64, device=self.device)
        self._one = torch.ones((), dtype=torch.int64, device=self.device)
        self._pending: deque = deque()   # spike indices of the last D steps (oldest first)
        self._recent: deque = deque()    # spike indices of the last R steps (refractory candidates)
        self._R = max(0, self._rfc_steps_default - 1)
        self._silenced_t = torch.zeros(0, dtype=torch.int64, device=self.device)
        self._rec: list = []             # (step, indices) if record_spikes
        self._k = 0

        # --- inputs, perturbations
        self._init_slots()
        self._in_idx = torch.zeros(0, dtype=torch.int64, device=self.device)
        self._in_p = torch.zeros(0, **kw)
        self._w_poi_t = torch.tensor(self._w_poi, **kw)
        self.silenced = np.zeros(0, np.int64)
        self._gen = torch.Generator(device=self.device)
        self.seed = seed
        self._reseed(seed)

    # ------------------------------------------------------------------ helpers
    def _timestep(self, t_s: float) -> int:
        """Brian2's ``timestep(t, dt)``: int((t + 1e-3 dt) / dt)."""
        return int(np.floor((t_s + 1e-3 * self._dt) / self._dt))

    def _reseed(self, seed) -> None:
        if seed is None:
            self._gen.seed()
        else:
            self._gen.manual_seed(int(seed))

    def _ensure_slots(self, idx: np.ndarray) -> np.ndarray:
        slots, indices = self._grow_slots(idx, started=self._k > 0)
        if indices is not None:
            self._in_idx = self.torch.as_tensor(indices, device=self.device)
            self._rfc[indices] = 0      # Shiu `poi`: Poisson targets have no refractory period
            self._apply_rfc()
        return slots

    def _push_rates(self) -> None:
        prob = (self._sensory + self._activation) * self._dt   # P(spike in a step) = rate dt
        self._in_p = self.torch.as_tensor(prob, dtype=self.dtype, device=self.device)

    def _apply_rfc(self) -> None:
        rfc = self._rfc.copy()
        rfc[self.silenced] = self._timestep(FOREVER_REFRACTORY_S)
        self._rfc_t = self.torch.as_tensor(rfc, device=self.device)
        if hasattr(self, "_until") and len(self.silenced):
            self._silenced_t = self.torch.as_tensor(self.silenced, device=self.device)
            self._until[self._silenced_t] = 2 ** 62

    # ------------------------------------------------------------------ public API (LIFNetwork)
    def silence(self, indices) -> None:
        """Shiu's silencing: every synapse out of ``indices`` gets weight 0; the neurons are also
        held refractory (no spikes), so their own recorded rates are 0."""
        idx = neuron_index(indices, self.n, "silence")
        new = np.setdiff1d(idx, self.silenced)
        self.silenced = np.union1d(self.silenced, idx)
        if len(new):  # frozen from now on in their current state (Brian2: refractory for ever)
            t_new = self.torch.as_tensor(new, device=self.device)
            self._X_frozen[:, t_new] = self._X[:, t_new]
        indptr = self._indptr.cpu().numpy()
        for i in idx:   # rows of the CSR: contiguous ranges
            self._w[int(indptr[i]):int(indptr[i + 1])] = 0
        self._apply_rfc()

    def run(self, duration_s: float) -> None:
        """Open-loop run for ``duration_s`` seconds of model time."""
        if not duration_s > 0:
            raise LIFNetworkError(f"duration must be > 0 s, got {duration_s}")
        self.step(int(round(float(duration_s) / self._dt)))

    def step(self, n_steps: int = 1) -> None:
        """Advance ``n_steps`` time steps. Every neuron costs four in-place passes (the exact
        update) and two scans (threshold, nonzero); everything else touches only spiking,
        refractory or driven neurons, so the cost of synapses follows the spikes."""
        torch = self.torch
        X, X_frozen, until = self._X, self._X_frozen, self._until
        v, g, v_frozen, g_frozen = X[0], X[1], X_frozen[0], X_frozen[1]
        indptr, degree, post, w = self._indptr, self._degree, self._post, self._w
        a_m, a_s, c_gv, b_v, v_th = self._a_m, self._a_s, self._c_gv, self._b_v, self._v_th
        n_in = len(self.input_indices)
        empty = torch.zeros(0, dtype=torch.int64, device=self.device)
        with torch.no_grad(), intra_op_threads(self.threads):
            for _ in range(int(n_steps)):
                k = self._k
                # 1. exact linear update of every neuron (refractory ones are re-imposed in 4.)
                v.mul_(a_m).add_(g, alpha=c_gv).add_(b_v)
                g.mul_(a_s)
                # 2. threshold: candidates above v_th, kept if not refractory (until <= k)
                cand = torch.nonzero(v > v_th).squeeze(1)
                spiking = cand[until[cand] <= k] if cand.numel() else empty
                # 3a. synaptic spikes of step k - D: gather their CSR rows, scatter into g
                self._pending.append(spiking)
                if len(self._pending) > self._delay:
                    arriving = self._pending.popleft()
                    if arriving.numel():
                        counts = degree[arriving]
                        total = int(counts.sum())
                        if total:
                            shift = indptr[arriving] - torch.cumsum(counts, 0) + counts
                            edges = torch.repeat_interleave(shift, counts, output_size=total)
                            edges += torch.arange(total, device=self.device)
                            g.index_add_(0, post[edges], w[edges])
                # 3b. Poisson input spikes: v += w_syn f_poi
                if n_in:
                    hit = self._in_idx[torch.rand(n_in, generator=self._gen, dtype=self.dtype,
                                                  device=self.device) < self._in_p]
                    v.index_put_((hit,), self._w_poi_t, accumulate=True)
                # 4. reset + refractoriness: this step's spikers and every neuron still
                #    refractory (spiked within the last R steps, or silenced) get their frozen
                #    state back: no integration, synaptic/Poisson writes dropped (Brian2 semantics)
                if spiking.numel():
                    v_frozen[spiking] = self._v_rst
                    g_frozen[spiking] = 0
                    until[spiking] = self._rfc_t[spiking] + k
                    self._counts.index_put_((spiking,), self._one, accumulate=True)
                    if self.record_spikes:
                        self._rec.append((k, spiking))
                recent = self._recent
                frozen = [spiking, self._silenced_t]
                if recent:
                    older = torch.cat(list(recent))
                    frozen.append(older[until[older] > k])
                frozen = torch.cat(frozen)
                if frozen.numel():
                    X[:, frozen] = X_frozen[:, frozen]
                if self._R:
                    recent.append(spiking)
                    if len(recent) > self._R:
                        recent.popleft()
                self._k += 1

    def spike_counts(self) -> np.ndarray:
        """Spikes per neuron since the last reset, shape (n,)."""
        return self._counts.cpu().numpy().astype(np.int64)

    def spikes(self) -> tuple[np.ndarray, np.ndarray]:
        """(spike times in s, neuron indices) since the last reset, in time order."""
        if not self.record_spikes:
            raise LIFNetworkError("this network was built with record_spikes=False (counts only)")
        if not self._rec:
            return np.zeros(0), np.zeros(0, np.int64)
        steps = np.concatenate([np.full(int(i.numel()), k) for k, i in self._rec])
        idx = self.torch.cat([i for _, i in self._rec]).cpu().numpy().astype(np.int64)
        return steps * self._dt, idx

    def reset(self, seed=None) -> None:
        """Back to t = 0 (v = v_0, g = 0, no pending spikes, counts and spike record cleared),
        keeping input rates, activation and silencing; reseeds the generator if ``seed``."""
        self._X[0] = self._v0
        self._X[1] = 0
        self._X_frozen[0] = self._v_rst
        self._X_frozen[1] = 0
        self._until.zero_()
        if len(self.silenced):   # silenced before the first run: frozen at rest
            sil = self.torch.as_tensor(self.silenced, device=self.device)
            self._X_frozen[:, sil] = self._X[:, sil]
            self._until[sil] = 2 ** 62
        self._counts.zero_()
        self._pending.clear()
        self._recent.clear()
        self._rec = []
        self._k = 0
        if seed is not None:
            self._reseed(seed)
        self.seed = seed

    def memory_bytes(self) -> int:
        """Bytes held in the network's tensors (edges, state, inputs) and the spike record."""
        t = self.torch
        tensors = [self._indptr, self._degree, self._post, self._w, self._X, self._X_frozen, self._until,
                   self._rfc_t, self._counts, self._in_idx, self._in_p, *self._pending, *self._recent, *(i for _, i in self._rec)]
        return int(sum(x.numel() * x.element_size() for x in tensors if isinstance(x, t.Tensor)))

    @property
    def t(self) -> float:
        return self._k * self._dt

    def state(self) -> tuple[np.ndarray, np.ndarray]:
        """(v, g) in volts, NumPy float64 copies."""
        x = self._X.cpu().numpy().astype(np.float64) * 1e-3
        return x[0].copy(), x[1].copy()

    def describe(self) -> dict:
        return {"model": self.model.describe(), "neurons": self.n, "edges": int(self.n_edges),
                "input_neurons": int(len(self.input_indices)), "silenced": int(len(self.silenced)),
                "activated": int(np.count_nonzero(self._activation)), "dt_ms": self.dt_ms,
                "backend": "torch",
                "torch": {"version": self.torch.__version__,
                          "device": device_name(self.device, self.threads),
                          "dtype": str(self.dtype).replace("torch.", "")}}
