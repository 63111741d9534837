"""The Kunert 2014 graded model (worm) in PyTorch: the same network as
``nervous_systems.graded_network.GradedNetwork``, stepped without Brian2.

Same connectome → network mapping (chemical synapses and gap junctions with contact counts as
weights, NMJs left to the bridge), same parameter YAML (``models/graded_kunert2014.yaml``), same
rest state (``graded_network.graded_rest_state``), same perturbations (``Perturbation``), and the
same integration scheme as Brian2's ``exponential_euler`` state updater with Brian2's schedule:

    each step:  (noise redraw every tau_noise, from t = 0)
                I_gap = Σ_j n_gap g_gap v_j,  G_syn = Σ_j n_syn g_syn s_j,  I_syn = Σ_j n_syn g_syn s_j E_j
                (the summed variables, from the previous step's state)
                v ← v∞ + (v − v∞) exp(−G_tot dt / C),   v∞ = (G_c E_c + I_gap + I_syn + I_ext + I_noise) / G_tot
                s ← s∞ + (s − s∞) exp(−(a_r φ + a_d) dt), s∞ = a_r φ / (a_r φ + a_d),  φ = σ(β (v_old − V_th))

with G_tot = G_c + G_gap + G_syn. The three sums are ONE sparse CSR matrix–vector product per step
([I_gap; G_syn; I_syn] = M · [v; s], M of shape 3n × 2n). Noise is drawn from a torch generator,
so with noise on, Brian2 and torch runs are statistically, not sample-wise, alike.
"""

from __future__ import annotations

import warnings

import numpy as np
import scipy.sparse as sp

from ..connectome import Connectome
from ..graded_network import Perturbation, graded_rest_state, graded_setup
from ..network_model import NetworkModel
from . import default_threads, device_name, intra_op_threads, require_torch, resolve_device, resolve_dtype


def csr_tensor(m: sp.spmatrix, device, dtype):
    """A scipy sparse matrix as a torch sparse CSR tensor (duplicates summed)."""
    torch = require_torch()
    m = sp.csr_matrix(m)
    m.sum_duplicates()
    with warnings.catch_warnings():  # "sparse CSR support is in beta": we test what we use
        warnings.simplefilter("ignore", UserWarning)
        return torch.sparse_csr_tensor(torch.as_tensor(m.indptr, dtype=torch.int64),
                                       torch.as_tensor(m.indices, dtype=torch.int64),
                                       torch.as_tensor(m.data, dtype=dtype), size=m.shape).to(device)


class TorchGradedNetwork:
    """A graded network for a connectome, in PyTorch.

    Mirrors ``GradedNetwork``: attributes ``names``, ``n``, ``connectome`` (after perturbation),
    ``lesioned``, ``activated``, ``v_rest`` (V), ``s_rest``, ``G_in`` (S); methods
    :meth:`set_drive` (mV targets), :meth:`state` (v in V, s; NumPy float64 copies),
    :meth:`reset_state`, :meth:`describe`. Stepping: :meth:`step` (n time steps), :meth:`run`
    (seconds). ``device``: ``None``/"auto" → CUDA if available else CPU; ``dtype`` "float32"
    (default, the GPU's native precision) or "float64"; ``seed`` seeds the noise generator;
    ``threads``: torch CPU threads while stepping (default 1 on the CPU, see
    ``torch_backend.default_threads``).
    """

    backend = "torch"

    def __init__(self, connectome: Connectome, model: NetworkModel | str = "graded_kunert2014",
                 perturbation: Perturbation | None = None, device=None, dtype="float32",
                 seed: int | None = None, threads: int | None = None, threshold_shift_mV=None):
        torch = require_torch()
        self.torch = torch
        setup = graded_setup(connectome, model, perturbation, "torch")
        setup.adopt(self)
        c = self.connectome
        n = c.n_neurons
        self.device = resolve_device(device)
        self.dtype = resolve_dtype(dtype)
        self.threads = default_threads(self.device, n, threads)
        ns = setup.namespace
        p = setup.si                                # SI floats
        self.dt = setup.dt

        # --- wiring: [I_gap; G_syn; I_syn] = M @ [v; s]
        gi, gj, gw = setup.gap
        ci, cj, cw, e_rev = setup.chemical
        rows = np.concatenate([gj, gi, n + cj, 2 * n + cj]).astype(np.int64)
        cols = np.concatenate([gi, gj, n + ci, n + ci]).astype(np.int64)
        vals = np.concatenate([gw * p["g_gap"], gw * p["g_gap"], cw * p["g_syn"],
                               cw * p["g_syn"] * e_rev])
        self._M = csr_tensor(sp.coo_matrix((vals, (rows, cols)), shape=(3 * n, 2 * n)),
                             self.device, self.dtype)
        self.n_gap, self.n_chem = 2 * len(gi), len(ci)

        # --- rest state, per-neuron constants
        self._c, self._ns = c, ns
        shift = np.zeros(n) if threshold_shift_mV is None else np.asarray(threshold_shift_mV, float)
        self.threshold_shift_mV = shift
        rest = graded_rest_state(c, ns, self.model, shift if np.any(shift) else None)
        self.rest = rest
        self.v_rest, self.s_rest, self.G_in = rest.v_rest, rest.s_rest, rest.G_in
        v_eq = rest.v_rest
        T = lambda a: torch.as_tensor(np.asarray(a, float), dtype=self.dtype, device=self.device)  # noqa: E731
        self._T = T
        self._G_leak = T(p["G_c"] + rest.G_gap)     # G_c + G_gap (constant part of G_tot)
        self._V_th = T(rest.V_th)
        self._G_c_E_c = p["G_c"] * p["E_c"]
        self._dt_over_C = self.dt / p["C"]
        self._a_r, self._a_d, self._beta = p["a_r"], p["a_d"], p["beta"]
        self._x0 = T(np.concatenate([v_eq, self.s_rest]))
        self._x = self._x0.clone()                  # state [v; s]
        self.n = n

        # --- noise (piecewise constant, redrawn every tau_noise from t = 0), drive, activation
        self._sigma = p.get("sigma_noise", 0.0)
        tau_noise = p.get("tau_noise", 0.02)
        self._noise_every = max(1, int(round(tau_noise / self.dt))) if self._sigma > 0 else 0
        self._noise_scale = T(self._sigma * self.G_in)
        self._I_noise = torch.zeros(n, dtype=self.dtype, device=self.device)
        self._gen = torch.Generator(device=self.device)
        self.seed(seed)
        self._activation_I = np.zeros(n)
        if len(self.activated):
            self._activation_I[self.activated] = self.perturbation.activate_mV * 1e-3 * self.G_in[self.activated]
        self._lesion_mask = np.zeros(n, bool)
        self._lesion_mask[self.lesioned] = True
        self._I_ext = torch.zeros(n, dtype=self.dtype, device=self.device)
        self._k = 0  # time steps since reset
        self.set_drive(np.zeros(n))

    # ------------------------------------------------------------------ I/O
    def seed(self, seed: int | None = None) -> None:
        if seed is None:
            self._gen.seed()
        else:
            self._gen.manual_seed(int(seed))

    def shift_thresholds(self, shift_mV: np.ndarray) -> None:
        """Per-neuron threshold shifts (mV) relative to the Kunert 2014 reference potential, with
        the rest state recomputed (``graded_network.graded_rest_state``), as the Brian2 backend."""
        rest = graded_rest_state(self._c, self._ns, self.model, np.asarray(shift_mV, float))
        self.rest = rest
        self.v_rest, self.s_rest, self.G_in = rest.v_rest, rest.s_rest, rest.G_in
        T = self._T
        self._V_th = T(rest.V_th)
        self._x0 = T(np.concatenate([rest.v_rest, rest.s_rest]))
        self._x = self._x0.clone()
        self._noise_scale = T(self._sigma * self.G_in)
        self._activation_I = np.zeros(self.n)
        if len(self.activated):
            self._activation_I[self.activated] = self.perturbation.activate_mV * 1e-3 * self.G_in[self.activated]
        self.threshold_shift_mV = np.asarray(shift_mV, float)
        self.set_drive(self._drive_mV)

    def set_drive(self, drive_mV: np.ndarray) -> None:
        """Sensory/proprioceptive drive: per-neuron depolarisation targets in mV."""
        self._drive_mV = np.asarray(drive_mV, float)
        current = self._drive_mV * 1e-3 * self.G_in + self._activation_I
        current[self._lesion_mask] = 0.0
        self._I_ext.copy_(self.torch.as_tensor(current, dtype=self.dtype))

    def state(self) -> tuple[np.ndarray, np.ndarray]:
        """(v in volts, s) as NumPy float64 arrays (copies)."""
        x = self._x.detach().to("cpu", self.torch.float64).numpy()
        return x[:self.n].copy(), x[self.n:].copy()

    def reset_state(self) -> None:
        self._x.copy_(self._x0)
        self._I_noise.zero_()
        self._k = 0

    @property
    def t(self) -> float:
        return self._k * self.dt

    # ------------------------------------------------------------------ integration
    def step(self, n_steps: int = 1) -> None:
        torch = self.torch
        n, x = self.n, self._x
        with torch.no_grad(), intra_op_threads(self.threads):
            for _ in range(int(n_steps)):
                if self._noise_every and self._k % self._noise_every == 0:
                    self._I_noise = self._noise_scale * torch.randn(
                        n, generator=self._gen, dtype=self.dtype, device=self.device)
                y = torch.mv(self._M, x)   # summed variables from the previous state
                v, s = x[:n], x[n:]
                G_tot = self._G_leak + y[n:2 * n]
                v_inf = (self._G_c_E_c + y[:n] + y[2 * n:] + self._I_ext + self._I_noise) / G_tot
                rate_up = self._a_r * torch.sigmoid(self._beta * (v - self._V_th))
                k_s = rate_up + self._a_d
                s_inf = rate_up / k_s
                s_new = s_inf + (s - s_inf) * torch.exp(-k_s * self.dt)
                v_new = v_inf + (v - v_inf) * torch.exp(-G_tot * self._dt_over_C)
                x[:n] = v_new
                x[n:] = s_new
                self._k += 1

    def run(self, duration_s: float) -> None:
        self.step(int(round(float(duration_s) / self.dt)))

    def describe(self) -> dict:
        return {"model": self.model.describe(), "perturbation": self.perturbation.describe(),
                "connectome": self.connectome.summary(),
                "backend": {"name": "torch", "torch": self.torch.__version__,
                            "device": device_name(self.device, self.threads), "dtype": str(self.dtype).replace("torch.", "")}}
