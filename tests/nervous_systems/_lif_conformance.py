"""Shared checks of the LIF backend conformance tests (test_torch_lif.py, test_event_lif.py).

Every LIF backend (Brian2 ``LIFNetwork``, ``TorchLIFNetwork``, ``EventLIFNetwork``) is held to the
same Poisson-rate agreement with Brian2 and runs the same small fly brain; the tolerances and
why they are what they are are written in the docstrings of the two test modules.
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pytest

from nervous_systems.lif_network import LIFNetwork
from nervous_systems.torch_backend.random_graph import fly_like_graph


def sorted_trains(t, i, dt: float = 1e-4):
    """Spike trains as (step, neuron) sorted by step then neuron, for exact comparisons."""
    steps = np.round(np.asarray(t) / dt).astype(np.int64)
    order = np.lexsort((i, steps))
    return steps[order], np.asarray(i)[order]


def poisson_counts(backend_cls, n: int, graph_seed: int, driven_seed: int, n_driven: int,
                   duration: float = 2.0, rate_hz: float = 150.0):
    """Spike counts of Brian2 and of ``backend_cls`` on the same fly-like graph and Poisson drive."""
    pre, post, w = fly_like_graph(n, seed=graph_seed)
    driven = np.random.default_rng(driven_seed).choice(n, n_driven, replace=False)
    counts = []
    for cls in (LIFNetwork, backend_cls):
        net = cls(n, pre, post, w, seed=1, record_spikes=False)
        net.set_input_rates(driven, rate_hz)
        net.run(duration)
        counts.append(net.spike_counts())
    return counts[0], counts[1], driven


def check_poisson_agreement(cb, cx, label: str, *, min_active: int, max_z: float,
                            min_silent: int = 0, max_silent_spikes: int | None = None):
    """Per-neuron rates agree (|z| and s.d. of z), Brian2-silent neurons stay silent, population
    counts within 10 %."""
    both = (cb + cx) >= 20
    z = (cx - cb)[both] / np.sqrt((cb + cx)[both])
    silent_b = cb == 0
    print(f"\n{both.sum()} neurons with >= 20 spikes: max |z| {np.abs(z).max():.2f}, s.d. z {z.std():.2f}; "
          f"population {cb.sum()} (brian2) vs {cx.sum()} ({label}) spikes; "
          f"{silent_b.sum()} silent in brian2, of which {np.sum(cx[silent_b] > 0)} spike in {label}")
    assert both.sum() > min_active             # a good part of the network is active
    assert silent_b.sum() > min_silent         # ... and a good part silent
    assert np.abs(z).max() < max_z and z.std() < 1
    if max_silent_spikes is not None:
        assert cx[silent_b].max() <= max_silent_spikes
    assert np.mean(cx[silent_b] == 0) >= 0.97
    assert abs(cx.sum() / cb.sum() - 1) < 0.10


def fly_brain_on_backend(tmp_path, backend: str):
    """The fly connectome brain on the fly helpers' small graph with ``backend``; left antennal
    deflection for 100 control steps. Returns (brain, run) where run() resets with seed 1 and
    returns the actions, and asserts the left JO neurons are driven and the right ones are not."""
    pytest.importorskip("organisms.drosophila.brain", reason="the fly brain is not present")
    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "organisms"))
    try:
        from _fly_helpers import ACTION_SPACE, ACTUATORS, OBS_SPACE, StandInVNC, write_small_graph
    finally:
        sys.path.pop(0)
    import organisms  # noqa: F401
    from nervous_systems.brain import make_brain

    brain = make_brain("connectome", "drosophila", OBS_SPACE, ACTION_SPACE, control_dt=0.002,
                       edges=str(write_small_graph(tmp_path)), vnc_factory=StandInVNC,
                       actuator_names=ACTUATORS, verbose=False, backend=backend)
    o = {"antenna_deflection": np.array([0.3, 0.0]), "antenna_contact": np.zeros(2)}

    def run():
        brain.reset(seed=1)
        return np.stack([brain.act(o) for _ in range(100)])

    acts = run()
    assert ACTION_SPACE.contains(acts[-1].astype(ACTION_SPACE.dtype))
    rec = brain.record()
    names = list(rec["populations"])
    left, right = (rec["rates"][:, names.index(p)] for p in ("JO-CE:left", "JO-CE:right"))
    assert left[-1] > 100 and right.max() < 10
    return brain, acts, run
