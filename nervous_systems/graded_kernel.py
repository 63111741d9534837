"""The Kunert 2014 graded model (worm) as a compiled kernel: the same network as
``graded_network.GradedNetwork`` (Brian2), stepped by a Cython loop, all substeps of a control
step in one C call.

Same connectome → network mapping (chemical synapses and gap junctions with contact counts as
weights, NMJs left to the bridge), same parameter YAML (``models/graded_kunert2014.yaml``), same
rest state (imported from ``graded_network.graded_rest_state``, never copied), same perturbations
(``Perturbation``: lesion / activate), same drive (``set_drive`` in mV through each neuron's
resting input conductance G_in), per-neuron thresholds (``shift_thresholds``), and the same
integration scheme and schedule as Brian2's ``exponential_euler`` state updater:

    each step:  (noise redraw every tau_noise, counted from the reset)
                I_gap = Σ_j n_gap g_gap v_j,  G_syn = Σ_j n_syn g_syn s_j,  I_syn = Σ_j n_syn g_syn s_j E_j
                (the summed variables, from the state at the start of the step)
                v ← v∞ + (v − v∞) exp(−G_tot dt / C),   v∞ = (G_c E_c + I_gap + I_syn + I_ext + I_noise) / G_tot
                s ← s∞ + (s − s∞) exp(−(a_r φ + a_d) dt), s∞ = a_r φ / (a_r φ + a_d),  φ = σ(β (v_old − V_th))

with G_tot = G_c + G_gap + G_syn. Sums run over CSR rows (incoming edges of each neuron): one
array pass per step for the gap junctions, one for the chemical synapses (G_syn and I_syn together).
float64 throughout. The loop is ``graded_kernel.pyx``, compiled on first use into the project's
cache, pinned by a hash of source, Python and Cython (``cython_build``; the same folder and rule as
``event_lif``'s kernel).

Noise: piecewise-constant current, redrawn every ``tau_noise`` (from step 0 after a reset) as
``sigma_noise × G_in × N(0, 1)`` per neuron, from a NumPy ``Generator`` seeded by :meth:`seed`
(the episode seed). Brian2 draws from its own generator, so with noise on the two backends agree
in statistics, not sample by sample (``tests/nervous_systems/test_graded_kernel.py``).
"""

from __future__ import annotations

import sys
from functools import lru_cache
from pathlib import Path

import numpy as np

from .connectome import Connectome
from .cython_build import KernelBuildError, load_cython_module
from .graded_network import Perturbation, graded_rest_state, graded_setup
from .network_model import NetworkModel

KERNEL_SOURCE = Path(__file__).resolve().with_name("graded_kernel.pyx")
CACHE_SUBDIR = "graded_kernel"
# OpenMP simd pragmas only (no threads, no OpenMP runtime): lets GCC vectorise the neuron update
COMPILE_ARGS = ("-fopenmp-simd",)


class KernelUnavailable(RuntimeError):
    """The compiled kernel cannot be built or loaded here (one line says why)."""


@lru_cache(maxsize=1)
def load_kernel():
    """The compiled kernel module (built on first use into ``<cache>/graded_kernel/<hash>/``)."""
    try:
        return load_cython_module(KERNEL_SOURCE, CACHE_SUBDIR, extra_compile_args=COMPILE_ARGS,
                                  libraries=("m",))
    except KernelBuildError as exc:
        raise KernelUnavailable(f"kernel backend: {exc}") from None


def kernel_available() -> tuple[bool, str]:
    """(True, "") when the kernel loads, else (False, the one-line reason)."""
    try:
        load_kernel()
        return True, ""
    except KernelUnavailable as exc:
        return False, str(exc)


def kernel_graded_network(connectome: Connectome, model, perturbation: Perturbation | None = None,
                          threshold_shift_mV=None):
    """(KernelGradedNetwork, "kernel"), or (None, "brian2") after printing ONE line to stderr
    naming the kernel backend and why it cannot be built here: the caller then builds the brian2
    backend. Called at brain construction, so a missing compiler never stops an episode midway."""
    try:
        return KernelGradedNetwork(connectome, model, perturbation,
                                   threshold_shift_mV=threshold_shift_mV), "kernel"
    except KernelUnavailable as exc:
        print(f"{exc} -- falling back to the brian2 backend", file=sys.stderr)
        return None, "brian2"


def _csr_by_post(post: np.ndarray, pre: np.ndarray, n: int, *weights: np.ndarray):
    """Incoming-edge CSR: (ptr int32 [n+1], pre index int32, weights in the same order...)."""
    order = np.argsort(post, kind="stable")
    ptr = np.zeros(n + 1, np.int32)
    np.cumsum(np.bincount(post, minlength=n), out=ptr[1:])
    pad = 1 if len(post) == 0 else 0   # never read (empty rows), but &a[0] needs an element
    return (ptr, np.ascontiguousarray(np.pad(pre[order], (0, pad)), np.int32),
            *(np.ascontiguousarray(np.pad(np.asarray(w, float)[order], (0, pad)), np.float64)
              for w in weights))


class KernelGradedNetwork:
    """A graded network for a connectome, stepped by the compiled kernel.

    Mirrors ``GradedNetwork`` / ``TorchGradedNetwork``: attributes ``names``, ``n``,
    ``connectome`` (after perturbation), ``model``, ``lesioned``, ``activated``, ``v_rest`` (V),
    ``s_rest``, ``G_in`` (S); methods :meth:`set_drive` (mV targets), :meth:`state` (v in V, s;
    NumPy copies), :meth:`set_v`, :meth:`reset_state`, :meth:`shift_thresholds`, :meth:`seed`,
    :meth:`describe`. Stepping: :meth:`step` (n time steps), :meth:`run` (seconds).
    Raises :class:`KernelUnavailable` at construction if the kernel cannot be compiled.
    """

    backend = "kernel"

    def __init__(self, connectome: Connectome, model: NetworkModel | str = "graded_kunert2014",
                 perturbation: Perturbation | None = None, seed: int | None = None,
                 threshold_shift_mV=None):
        self._kernel = load_kernel()
        setup = graded_setup(connectome, model, perturbation, "kernel")
        setup.adopt(self)
        c = self.connectome
        n = self.n = c.n_neurons
        p = setup.si                                # SI floats
        self.dt = setup.dt

        # --- wiring, as incoming-edge CSR
        gi, gj, gw = setup.gap
        ci, cj, cw, e_rev = setup.chemical
        gpost = np.concatenate([gj, gi]).astype(np.int64)
        gpre = np.concatenate([gi, gj]).astype(np.int64)
        gwt = np.concatenate([gw, gw]).astype(float) * p["g_gap"]
        self._gap_ptr, self._gap_idx, self._gap_w = _csr_by_post(gpost, gpre, n, gwt)
        cg = np.asarray(cw, float) * p["g_syn"]
        self._chem_ptr, self._chem_idx, self._chem_g, self._chem_gE = _csr_by_post(
            np.asarray(cj, np.int64), np.asarray(ci, np.int64), n, cg, cg * e_rev)
        self.n_gap, self.n_chem = len(gpre), len(ci)

        # --- per-neuron constants; the rest state comes from the shared function (below)
        self._G_c = p["G_c"]
        self._G_c_E_c = p["G_c"] * p["E_c"]
        self._dt_over_C = self.dt / p["C"]
        self._a_r, self._a_d, self._beta = p["a_r"], p["a_d"], p["beta"]
        self._v = np.zeros(n)
        self._s = np.zeros(n)
        self._v_tmp = np.empty(n)
        self._s_tmp = np.empty(n)
        self._work = np.empty(3 * n)

        # --- noise (piecewise constant), drive, activation
        self._sigma = p.get("sigma_noise", 0.0)
        tau_noise = p.get("tau_noise", 0.02)
        self._noise_every = max(1, int(round(tau_noise / self.dt))) if self._sigma > 0 else 0
        self._I_noise = np.zeros(n)
        self._rng = np.random.default_rng(seed)
        self._lesion_mask = np.zeros(n, bool)
        self._lesion_mask[self.lesioned] = True
        self._I_ext = np.zeros(n)
        self._I_const = np.zeros(n)
        self._drive_mV = np.zeros(n)
        self._k = 0  # time steps since reset
        self._set_rest(np.zeros(n) if threshold_shift_mV is None else threshold_shift_mV)
        self.reset_state()

    def _set_rest(self, shift_mV: np.ndarray) -> None:
        """Rest state, thresholds and everything scaled by G_in, for per-neuron threshold shifts
        (mV), from the shared ``graded_network.graded_rest_state`` (the self-consistent fixed point
        of the full model, with its ``V_th``), kept as ``self.rest`` as ``GradedNetwork`` keeps it
        (``connectome_brain.input_impedance`` reads it)."""
        c, ns, model, n = self.connectome, self.namespace, self.model, self.n
        shift = np.asarray(shift_mV, float)
        if shift.shape != (n,):
            raise ValueError(f"threshold shifts: expected {n} values (mV), got shape {shift.shape}")
        self.rest = graded_rest_state(c, ns, model, shift if np.any(shift) else None)
        v_rest, s_rest, G_gap, G_in = self.rest.v_rest, self.rest.s_rest, self.rest.G_gap, self.rest.G_in
        V_th = self.rest.V_th
        self.v_rest = np.array(v_rest, float)
        self.s_rest = np.array(np.broadcast_to(np.asarray(s_rest, float), (n,)))
        self.G_in = np.array(G_in, float)
        self._G_leak = np.ascontiguousarray(self._G_c + np.asarray(G_gap, float))
        self._V_th = np.ascontiguousarray(np.asarray(V_th, float))
        self.threshold_shift_mV = shift
        self._noise_scale = self._sigma * self.G_in
        self._activation_I = np.zeros(n)
        if len(self.activated):
            self._activation_I[self.activated] = self.perturbation.activate_mV * 1e-3 * self.G_in[self.activated]
        self.set_drive(self._drive_mV)

    # ------------------------------------------------------------------ I/O
    def seed(self, seed: int | None = None) -> None:
        """Seed the noise generator (``numpy.random.default_rng(seed)``; None: fresh entropy)."""
        self._rng = np.random.default_rng(None if seed is None else int(seed))

    def set_drive(self, drive_mV: np.ndarray) -> None:
        """Sensory/proprioceptive drive: per-neuron depolarisation targets in mV."""
        self._drive_mV = np.asarray(drive_mV, float)
        current = self._drive_mV * 1e-3 * self.G_in + self._activation_I
        current[self._lesion_mask] = 0.0
        self._I_ext = current
        self._update_const()

    def _update_const(self) -> None:
        np.add(self._I_ext, self._I_noise, out=self._I_const)
        self._I_const += self._G_c_E_c

    def state(self) -> tuple[np.ndarray, np.ndarray]:
        """(v in volts, s) as NumPy float64 arrays (copies)."""
        return self._v.copy(), self._s.copy()

    def noise_current(self) -> np.ndarray:
        """The noise current (A) now held on each neuron (a copy)."""
        return self._I_noise.copy()

    def set_v(self, v: np.ndarray) -> None:
        """Set every membrane potential (V), e.g. a per-seed initial state."""
        v = np.asarray(v, float)
        if v.shape != (self.n,):
            raise ValueError(f"set_v: expected {self.n} potentials, got shape {v.shape}")
        self._v[:] = v

    def reset_state(self) -> None:
        self._v[:] = self.v_rest
        self._s[:] = self.s_rest
        self._I_noise[:] = 0.0
        self._update_const()
        self._k = 0

    def shift_thresholds(self, shift_mV: np.ndarray) -> None:
        """Move each neuron's synaptic-release threshold V_th by ``shift_mV`` (+ = harder to
        activate): the per-class threshold parameters of a brain, as
        ``GradedNetwork.shift_thresholds`` (see :meth:`_set_rest`); the network is put at the
        (new) rest state."""
        self._set_rest(shift_mV)
        self.reset_state()

    @property
    def t(self) -> float:
        return self._k * self.dt

    # ------------------------------------------------------------------ integration
    def _run(self, n_steps: int) -> None:
        self._kernel.run_steps(self._v, self._s, self._v_tmp, self._s_tmp, self._work,
                               self._gap_ptr, self._gap_idx, self._gap_w,
                               self._chem_ptr, self._chem_idx, self._chem_g, self._chem_gE,
                               self._G_leak, self._V_th, self._I_const,
                               self._dt_over_C, self._a_r, self._a_d, self._beta, self.dt, n_steps)
        self._k += n_steps

    def step(self, n_steps: int = 1) -> None:
        n_steps = int(n_steps)
        every = self._noise_every
        if not every:
            self._run(n_steps)
            return
        while n_steps > 0:
            if self._k % every == 0:        # a redraw is due at this step (Brian2: when="start")
                self._I_noise = self._noise_scale * self._rng.standard_normal(self.n)
                self._update_const()
            chunk = min(n_steps, every - self._k % every)
            self._run(chunk)
            n_steps -= chunk

    def run(self, duration_s: float) -> None:
        self.step(int(round(float(duration_s) / self.dt)))

    def describe(self) -> dict:
        return {"model": self.model.describe(), "perturbation": self.perturbation.describe(),
                "connectome": self.connectome.summary(),
                "backend": {"name": "kernel",
                            "engine": "Cython exponential Euler, CSR, float64 (graded_kernel.pyx)"}}
