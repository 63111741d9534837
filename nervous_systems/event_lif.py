"""The Shiu 2024 whole-brain LIF model (fly) with an update whose cost follows activity:
``EventLIFNetwork`` has the constructor and methods of ``lif_network.LIFNetwork`` (and of
``torch_backend.lif.TorchLIFNetwork``), reads the same ``models/lif_shiu2024.yaml``, and gives the
spike trains of the clock-driven model at dt = 0.1 ms without updating all neurons every step.

Why that is possible. Between input events the model is linear::

    dv/dt = (v_0 - v + g) / t_mbr,   dg/dt = -g / tau

and Brian2's ``linear`` state update (what Shiu et al. and ``LIFNetwork`` use) is its exact
solution over one step. Its n-fold product is known in closed form: from (v, g) at step k, with no
input in between, the state after the update of step k + n is

    g_n = g a_s^n,   v_n = v_0 + (v - v_0 - K g) a_m^n + K g a_s^n
    a_m = exp(-dt/t_mbr), a_s = exp(-dt/tau), K = tau / (tau - t_mbr).

So a silent neuron's state need not be stepped. Design (the simplest one that is exact; the
alternative of stepping every neuron that is off rest never shrinks the active set, because g
decays exponentially and never returns exactly to 0):

* per neuron: (v, g) and the step ``t_last`` they belong to, ``until`` (first step at which it
  integrates and takes input again) — one 32-byte record, what a synaptic event reads — and
  ``sched``, the planned step of its next threshold crossing;
* an input event (synaptic spike arriving after the delay, or a Poisson input spike) brings its
  target to the current step by the closed form, adds the input, and — once per target and step,
  after all of that step's inputs — plans the first grid step at which the input-free trajectory
  exceeds v_th. v_n - v_0 = P a_m^n + Q a_s^n has at most one extremum, so the steps above
  threshold form one interval: the plan is n = 1 if v_1 > v_th, else bisection on [1, the grid
  step of the maximum] when the maximum is above threshold, else none. A cheap bound
  (v_n - v_0 <= max(P, 0) + max(Q, 0)) rejects most events without evaluating anything. Plans go
  into a heap; a later input re-plans (the old entry is ignored when it comes up);
* a step: (1-2) neurons planned for this step spike: reset to (v_rst, 0), refractory for
  ``t_rfc``, state frozen until integration resumes (Brian2's ``unless refractory``); (3) the CSR
  rows of the neurons that spiked D = round(t_dly/dt) steps ago are delivered (g += w) and the
  Poisson input spikes of this step (v += w_syn f_poi), both dropped for refractory neurons and for
  this step's spikers — exactly the schedule of Brian2 and of the torch backend (update, threshold,
  synapses, reset); (4) plans of the neurons that got input.

Cost per step: O(1) plus the heap operations of neurons that cross, plus events x fan-out — never
the neuron count. The inner loop is Cython (``event_lif_kernel.pyx``), compiled on first use into
the project's cache (Cython and a C compiler are already needed by Brian2's Cython target).

Equivalence: the closed form is the product of the same one-step update, evaluated in one go,
so it differs from stepping only by floating-point rounding (~1e-15 relative in float64, the same
order as Brian2's own expression against the torch formula). Spike trains are identical to
Brian2's under deterministic drive; with Poisson drive (numpy generator: each step, each driven
neuron spikes with probability rate*dt, as Brian2's ``PoissonGroup``) rates agree (tests in
``tests/nervous_systems/test_event_lif.py``). The engine needs v_th > v_0 and v_rst <= v_th (a
neuron at rest or just reset cannot fire on its own; true for Shiu's parameters) and
tau != t_mbr; it refuses other parameters with a clear error (use brian2 or torch for them).
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

import numpy as np

from .lif_graph import LIFNetworkError, PoissonInputs, checked_graph, load_lif_model, neuron_index

KERNEL_SOURCE = Path(__file__).resolve().with_name("event_lif_kernel.pyx")
_NEVER = 1 << 62                 # "refractory until": a silenced neuron never integrates again
_TABLE = 1 << 16                 # a^n tabulated for n < 65,536 steps (6.5 s), exp() beyond


@lru_cache(maxsize=1)
def load_kernel():
    """The compiled kernel module; built on first use into ``<cache>/event_lif/<hash>/`` by
    ``cython_build`` (hash of the source, Python and Cython versions and flags; atomic, so
    parallel workers are safe)."""
    from .cython_build import KernelBuildError, load_cython_module
    try:
        return load_cython_module(KERNEL_SOURCE, "event_lif")
    except KernelBuildError as exc:  # compiler missing or broken: one clear line
        raise LIFNetworkError(f"event backend: {exc}") from None


class EventLIFNetwork(PoissonInputs):
    """Shiu 2024 LIF network over ``n`` neurons and the edges ``pre[k] -> post[k]``, event-driven
    and exact (module docstring). Same arguments and methods as ``LIFNetwork``; float64 only."""

    backend = "event"

    def __init__(self, n: int, pre: np.ndarray, post: np.ndarray, weight: np.ndarray,
                 params: dict | None = None, seed: int | None = None, dt_ms: float = 0.1,
                 record_spikes: bool = True, record_buffer: int | None = None):
        self.model = load_lif_model(params)
        self.n, pre, post, weight = checked_graph(n, pre, post, weight)
        if self.n >= 2 ** 31:
            raise LIFNetworkError(f"n = {n}: the event backend indexes neurons with int32")
        self.n_edges = len(pre)
        self.dt_ms = float(dt_ms)
        self.record_spikes = bool(record_spikes)
        p = {k: float(v) for k, v in self.model.namespace().items()}  # SI floats
        self.params_si = p
        dt = self.dt_ms * 1e-3
        self._dt = dt
        v0, v_rst, v_th = p["v_0"] * 1e3, p["v_rst"] * 1e3, p["v_th"] * 1e3
        if not v_th > v0 or not v_rst <= v_th:
            raise LIFNetworkError(f"event backend needs v_th > v_0 and v_rst <= v_th (got v_0 {v0:g}, "
                                  f"v_rst {v_rst:g}, v_th {v_th:g} mV): use backend brian2 or torch")
        if abs(p["tau"] - p["t_mbr"]) < 1e-12 or p["tau"] <= 0 or p["t_mbr"] <= 0:
            raise LIFNetworkError("event backend needs tau != t_mbr, both > 0: use backend brian2 or torch")
        self._v0, self._v_rst, self._v_th = v0, v_rst, v_th
        self._lam_m, self._lam_s = dt / p["t_mbr"], dt / p["tau"]
        self._K = p["tau"] / (p["tau"] - p["t_mbr"])
        self._delay = int(np.round(p["t_dly"] / dt))                     # Brian2 rounds delays
        self._rfc_steps_default = self._timestep(p["t_rfc"])
        self._w_poi = p["w_syn"] * p["f_poi"] * 1e3                        # mV per Poisson spike
        self.r_poi = p["r_poi"]

        # --- edges as CSR by presynaptic neuron (weights in mV)
        order = np.argsort(pre, kind="stable")
        self._indptr = np.zeros(self.n + 1, np.int64)
        np.cumsum(np.bincount(pre, minlength=self.n), out=self._indptr[1:])
        self._post = np.ascontiguousarray(post[order], dtype=np.int32)
        self._w = weight[order] * (p["w_syn"] * 1e3)
        del order

        # --- state (mV, steps)
        n_ = self.n
        steps = np.arange(_TABLE, dtype=np.float64)
        # per neuron, one 32-byte record (what a synaptic event reads): v, g (mV) after the step
        # t_last; until = first step at which it integrates and accepts input again
        state = np.zeros(n_, np.dtype([("v", "f8"), ("g", "f8"), ("t_last", "i8"), ("until", "i8")]))
        state["v"], state["t_last"] = v0, -1
        self._a = {"Am": np.exp(-steps * self._lam_m), "As": np.exp(-steps * self._lam_s),
                   "state": state, "v": state["v"], "g": state["g"], "t_last": state["t_last"],
                   "until": state["until"], "sched": np.full(n_, -1, np.int64),
                   "counts": np.zeros(n_, np.int64), "rfc": np.full(n_, self._rfc_steps_default, np.int64),
                   "indptr": self._indptr, "post": self._post, "w": self._w,
                   "ring": np.zeros((self._delay + 1, n_), np.int32),
                   "ring_len": np.zeros(self._delay + 1, np.int64), "touched": np.zeros(n_, np.int32)}
        consts = {"n": n_, "v0": v0, "v_rst": v_rst, "v_th": v_th, "K": self._K, "lam_m": self._lam_m,
                  "lam_s": self._lam_s, "w_poi": self._w_poi, "D": self._delay}
        self._kernel = load_kernel().Kernel(consts, self._a)
        # spikes recorded by one kernel call; a call stops early (and is flushed) when fewer than
        # n slots are left, so the buffer holds at least one step's worth of spikes
        cap = max(2 * n_, 1 << 18) if record_buffer is None else max(int(record_buffer), n_)
        cap = cap if self.record_spikes else 0
        self._rec_i = np.zeros(cap, np.int32)
        self._rec_k = np.zeros(cap, np.int64)
        self._rec_n = 0
        self._rec: list[tuple[np.ndarray, np.ndarray]] = []

        # --- inputs, perturbations
        self._init_slots()
        self._drive_idx = np.zeros(0, np.int32)     # input neurons with a rate > 0 ...
        self._drive_p = np.zeros(0)                 # ... and their spike probability per step
        self.silenced = np.zeros(0, np.int64)
        self.seed = seed
        self._rng = np.random.default_rng(seed)

    # ------------------------------------------------------------------ helpers
    def _timestep(self, t_s: float) -> int:
        """Brian2's ``timestep(t, dt)``: int((t + 1e-3 dt) / dt)."""
        return int(np.floor((t_s + 1e-3 * self._dt) / self._dt))

    def _ensure_slots(self, idx: np.ndarray) -> np.ndarray:
        slots, indices = self._grow_slots(idx, started=self._kernel.k > 0)
        if indices is not None:
            self._a["rfc"][indices] = 0   # Shiu `poi`: Poisson targets have no refractory period
        return slots

    def _push_rates(self) -> None:
        prob = (self._sensory + self._activation) * self._dt   # P(spike in a step) = rate dt
        on = prob > 0
        self._drive_idx = self.input_indices[on].astype(np.int32)
        self._drive_p = prob[on]

    def _uniforms(self, steps: int) -> np.ndarray:
        """Uniform draws of the next ``steps`` steps, one per driven input neuron and step."""
        m = len(self._drive_idx)
        if m == 0:
            return np.zeros((steps, 0))
        return self._rng.random((steps, m))

    def _flush(self) -> None:
        if self._rec_n:
            self._rec.append((self._rec_k[:self._rec_n].copy(), self._rec_i[:self._rec_n].astype(np.int64)))
            self._rec_n = 0

    def _state_now(self, idx: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
        """(v, g) in mV after the last completed step (closed form from each neuron's t_last)."""
        a = self._a
        sel = slice(None) if idx is None else idx
        v, g, t_last = a["v"][sel].copy(), a["g"][sel].copy(), a["t_last"][sel]
        n = (self._kernel.k - 1) - t_last
        m = n > 0
        if np.any(m):
            nm = n[m].astype(np.float64)
            am, as_ = np.exp(-nm * self._lam_m), np.exp(-nm * self._lam_s)
            gm = g[m]
            v[m] = self._v0 + (v[m] - self._v0 - self._K * gm) * am + self._K * gm * as_
            g[m] = gm * as_
        return v, g

    # ------------------------------------------------------------------ public API (LIFNetwork)
    def silence(self, indices) -> None:
        """Shiu's silencing: every synapse out of ``indices`` gets weight 0; the neurons are also
        held refractory (no spikes), frozen in their present state, so their rates are 0."""
        idx = neuron_index(indices, self.n, "silence")
        new = np.setdiff1d(idx, self.silenced)
        self.silenced = np.union1d(self.silenced, idx)
        for i in idx:
            self._w[self._indptr[i]:self._indptr[i + 1]] = 0.0
        if len(new):
            self._freeze(new)

    def _freeze(self, idx: np.ndarray) -> None:
        a = self._a
        v, g = self._state_now(idx)
        a["v"][idx], a["g"][idx] = v, g
        a["t_last"][idx] = _NEVER - 1
        a["until"][idx] = _NEVER
        a["sched"][idx] = -1          # a planned crossing is dropped (its heap entry goes stale)

    def run(self, duration_s: float) -> None:
        """Open-loop run for ``duration_s`` seconds of model time."""
        if not duration_s > 0:
            raise LIFNetworkError(f"duration must be > 0 s, got {duration_s}")
        self.step(int(round(float(duration_s) / self._dt)))

    def step(self, n_steps: int = 1) -> None:
        """Advance ``n_steps`` time steps (uniforms for the Poisson input drawn in chunks of steps,
        one kernel call per chunk)."""
        remaining = int(n_steps)
        m = max(1, len(self._drive_idx))
        while remaining > 0:
            chunk = min(remaining, max(1, (1 << 18) // m))
            u = self._uniforms(chunk)
            done = 0
            while done < chunk:
                j, self._rec_n = self._kernel.run(chunk - done, u[done:], self._drive_p, self._drive_idx,
                                                  self._rec_i, self._rec_k, self._rec_n, self.record_spikes)
                done += j
                if done < chunk:
                    self._flush()
            remaining -= chunk

    def spike_counts(self) -> np.ndarray:
        """Spikes per neuron since the last reset, shape (n,)."""
        return self._a["counts"].copy()

    def spikes(self) -> tuple[np.ndarray, np.ndarray]:
        """(spike times in s, neuron indices) since the last reset, in time order."""
        if not self.record_spikes:
            raise LIFNetworkError("this network was built with record_spikes=False (counts only)")
        self._flush()
        if not self._rec:
            return np.zeros(0), np.zeros(0, np.int64)
        steps = np.concatenate([k for k, _ in self._rec])
        idx = np.concatenate([i for _, i in self._rec])
        return steps * self._dt, idx

    def reset(self, seed=None) -> None:
        """Back to t = 0 (v = v_0, g = 0, no pending spikes or plans, counts and spike record
        cleared), keeping input rates, activation and silencing; reseeds the generator if ``seed``."""
        a = self._a
        a["v"][:] = self._v0
        a["g"][:] = 0.0
        a["t_last"][:] = -1
        a["until"][:] = 0
        a["sched"][:] = -1
        a["counts"][:] = 0
        self._kernel.clear()
        if len(self.silenced):        # silenced before the first run: frozen at rest
            a["t_last"][self.silenced] = _NEVER - 1
            a["until"][self.silenced] = _NEVER
        self._rec, self._rec_n = [], 0
        if seed is not None:
            self._rng = np.random.default_rng(int(seed))
        self.seed = seed

    def memory_bytes(self) -> int:
        """Bytes held in the network's arrays (edges, state, delay ring, spike record)."""
        arrays = [x for k, x in self._a.items() if k not in ("v", "g", "t_last", "until")]   # views of state
        arrays += [self._rec_i, self._rec_k, *(x for r in self._rec for x in r)]
        return int(sum(x.nbytes for x in arrays)) + 12 * int(self._kernel.heap_size())

    @property
    def t(self) -> float:
        return self._kernel.k * self._dt

    def state(self) -> tuple[np.ndarray, np.ndarray]:
        """(v, g) in volts after the last completed step, NumPy float64 copies."""
        v, g = self._state_now()
        return v * 1e-3, g * 1e-3

    def stats(self) -> dict:
        """Work done since the last reset: synaptic events delivered and threshold plans made."""
        return {"steps": int(self._kernel.k), "synaptic_events": int(self._kernel.n_events),
                "threshold_plans": int(self._kernel.n_plans), "heap": int(self._kernel.heap_size())}

    def describe(self) -> dict:
        return {"model": self.model.describe(), "neurons": self.n, "edges": int(self.n_edges),
                "input_neurons": int(len(self.input_indices)), "silenced": int(len(self.silenced)),
                "activated": int(np.count_nonzero(self._activation)), "dt_ms": self.dt_ms,
                "backend": "event",
                "event": {"engine": "exact event-driven (closed form between inputs), Cython kernel",
                          "dtype": "float64"}}
