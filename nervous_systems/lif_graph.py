"""What the three LIF backends (Brian2 :mod:`nervous_systems.lif_network`, PyTorch
:mod:`nervous_systems.torch_backend.lif`, event-driven :mod:`nervous_systems.event_lif`) share:
the model they load, the checks on the graph they are given, and how neuron indices are read.
One place, so that the backends cannot drift apart in what they accept.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from .network_model import NetworkModel

DEFAULT_MODEL = "lif_shiu2024"
# The backends, default first. "event" is exact (identical spike trains to Brian2 under
# deterministic drive, equal rates under Poisson drive: tests/nervous_systems/test_event_lif.py)
# and its cost follows activity, so it is the default; "brian2" is the reference implementation.
LIF_BACKENDS = ("event", "brian2", "torch")
DEFAULT_LIF_BACKEND = LIF_BACKENDS[0]
FOREVER_REFRACTORY_S = 1e6   # a silenced neuron is held refractory for ~11 days of model time


class LIFNetworkError(ValueError):
    """Bad input to an LIF network (graph, indices, rates, parameters)."""


def load_lif_model(params: dict | None) -> NetworkModel:
    """The network model named by ``params["model"]`` (default Shiu 2024), with the other keys
    of ``params`` as parameter overrides."""
    params = dict(params or {})
    model = params.pop("model", DEFAULT_MODEL)
    model = NetworkModel.load(model) if isinstance(model, (str, Path)) else model
    return model.with_overrides(**params) if params else model


def checked_graph(n, pre, post, weight) -> tuple[int, np.ndarray, np.ndarray, np.ndarray]:
    """``(n, pre, post, weight)`` as arrays, after checking that the edge arrays are 1-D, of one
    length, index neurons in ``[0, n)`` and carry finite weights."""
    n = int(n)
    if n <= 0:
        raise LIFNetworkError(f"n must be positive, got {n}")
    pre, post = np.asarray(pre), np.asarray(post)
    weight = np.asarray(weight, dtype=np.float64)
    if not (pre.shape == post.shape == weight.shape) or pre.ndim != 1:
        raise LIFNetworkError(f"pre, post and weight must be 1-D arrays of one length; got shapes "
                              f"{pre.shape}, {post.shape}, {weight.shape}")
    for name, arr in (("pre", pre), ("post", post)):
        if len(arr) and (arr.min() < 0 or arr.max() >= n):
            k = int(np.flatnonzero((arr < 0) | (arr >= n))[0])
            raise LIFNetworkError(f"{name}[{k}] = {int(arr[k])} is not a neuron index in [0, {n})")
    if not np.all(np.isfinite(weight)):
        k = int(np.flatnonzero(~np.isfinite(weight))[0])
        raise LIFNetworkError(f"weight[{k}] is not finite")
    return n, pre, post, weight


def neuron_index(indices, n: int, what: str) -> np.ndarray:
    """``indices`` as a 1-D int64 array of neurons in ``[0, n)``; ``what`` names the caller in
    the error."""
    idx = np.atleast_1d(np.asarray(indices, dtype=np.int64))
    if idx.ndim != 1:
        raise LIFNetworkError(f"{what}: indices must be one-dimensional")
    if len(idx) and (idx.min() < 0 or idx.max() >= n):
        bad = idx[(idx < 0) | (idx >= n)][0]
        raise LIFNetworkError(f"{what}: neuron index {int(bad)} out of range [0, {n})")
    return idx


class PoissonInputs:
    """The Poisson-drive API every LIF backend offers. A backend keeps per-slot ``_sensory`` and
    ``_activation`` rates, maps neurons to slots with ``_ensure_slots(idx)`` (adding slots where
    it can), hands the summed rates to its simulator with ``_push_rates()``, and sets ``n`` and
    ``r_poi`` (Hz)."""

    def _init_slots(self) -> None:
        """No input neurons yet (call from the backend's constructor, after ``n`` is set)."""
        self.input_indices = np.zeros(0, np.int64)
        self._slot_of = np.full(self.n, -1, np.int64)   # input slot per neuron (-1: none)
        self._sensory = np.zeros(0)
        self._activation = np.zeros(0)

    def _grow_slots(self, idx: np.ndarray, started: bool) -> tuple[np.ndarray, np.ndarray | None]:
        """(slots of ``idx``, the new ``input_indices`` or None). Neurons without a slot get one
        (rate 0); adding one after the network has run (``started``) is an error naming them."""
        slots = self._slot_of[idx]                     # vectorised: called every control step
        if not np.any(slots < 0):
            return slots, None
        new = np.unique(idx[slots < 0]).tolist()
        if started:
            raise LIFNetworkError(
                f"neuron(s) {new[:5]} have no Poisson input yet and the network has already run "
                f"(t = {self.t:.4f} s): declare every input neuron (rate 0 is fine) "
                "before the first run, or call reset() first")
        old = len(self.input_indices)
        indices = np.concatenate([self.input_indices, np.asarray(new, np.int64)])
        sensory = np.zeros(len(indices)); sensory[:old] = self._sensory
        activation = np.zeros(len(indices)); activation[:old] = self._activation
        self.input_indices, self._sensory, self._activation = indices, sensory, activation
        self._slot_of[indices] = np.arange(len(indices))
        return self._slot_of[idx], indices

    def set_input_rates(self, indices, rates_hz) -> None:
        """Poisson drive of ``indices`` at ``rates_hz`` (scalar or one per index), replacing their
        previous sensory rate. Cheap: use it at every closed-loop step."""
        idx = neuron_index(indices, self.n, "set_input_rates")
        rates = np.broadcast_to(np.asarray(rates_hz, dtype=np.float64), idx.shape)
        if np.any(~np.isfinite(rates)) or np.any(rates < 0):
            raise LIFNetworkError("set_input_rates: rates must be finite and >= 0 Hz")
        slots = self._ensure_slots(idx)
        self._sensory[slots] = rates
        self._push_rates()

    def activate(self, indices, rate_hz: float | None = None) -> None:
        """Extra Poisson drive at ``rate_hz`` (default ``r_poi``, Shiu's 150 Hz) on ``indices``."""
        idx = neuron_index(indices, self.n, "activate")
        rate = self.r_poi if rate_hz is None else float(rate_hz)
        if not np.isfinite(rate) or rate < 0:
            raise LIFNetworkError(f"activate: rate must be finite and >= 0 Hz, got {rate_hz}")
        slots = self._ensure_slots(idx)
        self._activation[slots] = rate
        self._push_rates()
