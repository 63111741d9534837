"""PyTorch LIF network (fly, Shiu 2024) against the Brian2 ``LIFNetwork``: same graph, same drive.

Graphs are generated in memory with the fly's per-edge statistics
(``torch_backend.random_graph.fly_like_graph``: mean out-degree 109, heavy-tailed degrees,
LogNormal synapse counts with mean 3.6, 25.6 % inhibitory neurons).

Tolerances, and why:
* deterministic drive (Poisson rates of 0 or 1/dt, i.e. an input spike every step, which makes
  ``rand() < rate*dt`` always true): the two backends then run the same exact-integration update
  in the same schedule (update, threshold, delayed synaptic and Poisson writes to non-refractory
  neurons, reset), so in float64 the spike trains must be IDENTICAL (every spike, same step).
  In float32 a rare threshold crossing moves by a step, and the recurrent network then drifts
  apart spike by spike (measured: totals within 0.1 %, ~40 of 500 neurons off by 1-2 spikes in
  0.2 s): totals within 1 %, every neuron within max(2, 5 %) of its Brian2 count.
* Poisson drive (150 Hz, Shiu's rate): the backends draw from different random generators, so
  only rates can agree. For each neuron with n_b + n_t >= 20 spikes in both runs together,
  z = (n_t - n_b) / sqrt(n_b + n_t) is ~N(0, 1) for independent Poisson counts (LIF trains
  driven this hard are more regular than Poisson: the s.d. of z measured between two Brian2
  seeds was 0.49). We require |z| < 4 for every neuron (the largest of ~1000 N(0,1) values
  is ~3.3) and an s.d. of z below 1. Silent neurons: a neuron with no spike in Brian2 may have
  at most 5 spikes in torch (chance threshold crossings; measured max 3 between two Brian2
  seeds), and >= 97 % of Brian2-silent neurons are silent in torch too. Population: total spike
  counts within 10 % (two Brian2 seeds differed by 3.8 % over 2 s: recurrent excitation makes
  whole-network fluctuations larger than the Poisson counting error).
"""

import numpy as np
import pytest

torch = pytest.importorskip("torch", reason="PyTorch not installed (optional extra [torch])")
lif_network = pytest.importorskip("nervous_systems.lif_network",
                                  reason="the Brian2 LIFNetwork (fly-brain branch) is not present")

from nervous_systems.torch_backend.lif import LIFNetworkError, TorchLIFNetwork  # noqa: E402
from nervous_systems.torch_backend.random_graph import INHIBITORY_FRACTION, fly_like_graph  # noqa: E402

from _lif_conformance import check_poisson_agreement, fly_brain_on_backend, poisson_counts, sorted_trains  # noqa: E402

LIFNetwork = lif_network.LIFNetwork


@pytest.fixture(scope="module")
def small_graph():
    return fly_like_graph(500, seed=3)


def test_fly_like_graph_statistics():
    pre, post, w = fly_like_graph(3000, seed=0)
    assert len(pre) == round(3000 * 15_091_983 / 138_639)
    assert not np.any(pre == post)
    assert len(np.unique(pre.astype(np.int64) * 3000 + post)) == len(pre)  # no duplicate pairs
    assert abs(np.abs(w).mean() - 3.61) < 0.15                               # synapses per edge
    assert abs(np.mean(np.abs(w) >= 5) - 0.179) < 0.02
    inhibitory_pre = np.unique(pre[w < 0])
    assert abs(len(inhibitory_pre) / len(np.unique(pre)) - INHIBITORY_FRACTION) < 0.03
    out_deg = np.bincount(pre, minlength=3000)
    assert out_deg.max() > 4 * out_deg.mean()                                # heavy tail


@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_deterministic_drive_gives_the_same_spikes(small_graph, dtype):
    pre, post, w = small_graph
    n = 500
    nets = [LIFNetwork(n, pre, post, w, seed=1),
            TorchLIFNetwork(n, pre, post, w, seed=1, dtype=dtype)]
    for net in nets:
        net.set_input_rates(np.arange(10), 1e4)     # 1/dt: an input spike every step
        net.set_input_rates(np.arange(10, 20), 0.0)
        net.activate([20, 21], rate_hz=1e4)
        net.silence([30, 31, 32])
        net.run(0.2)
    (sb, ib), (st, it) = (sorted_trains(*x.spikes()) for x in nets)
    cb, ct = nets[0].spike_counts(), nets[1].spike_counts()
    print(f"\n{dtype}: {len(sb)} Brian2 spikes, {len(st)} torch spikes, "
          f"{np.sum(cb != ct)} neurons with different counts, {np.sum(cb > 0)} active")
    assert len(sb) > 2000 and np.sum(cb > 0) > 50      # real recurrent activity
    assert cb[30:33].sum() == 0 and ct[30:33].sum() == 0
    if dtype == "float64":
        assert np.array_equal(sb, st) and np.array_equal(ib, it)
    else:
        assert abs(len(st) - len(sb)) <= 0.01 * len(sb)
        assert np.all(np.abs(ct - cb) <= np.maximum(2, 0.05 * cb))


def test_poisson_drive_rates_match_brian2():
    cb, cx, driven = poisson_counts(TorchLIFNetwork, 2000, graph_seed=1, driven_seed=2, n_driven=100)
    check_poisson_agreement(cb, cx, "torch", min_active=300, min_silent=300, max_z=4,
                            max_silent_spikes=5)
    assert np.all(cx[driven] > 0.5 * 150 * 2.0)     # driven neurons fire at least at half the drive


def test_reset_reproduces_and_keeps_configuration(small_graph):
    pre, post, w = small_graph
    net = TorchLIFNetwork(500, pre, post, w, seed=4)
    net.set_input_rates(np.arange(20), 150.0)
    net.silence([5])
    net.run(0.1)
    t1, i1 = net.spikes()
    assert len(t1) and net.spike_counts()[5] == 0
    net.reset(seed=4)
    assert net.t == 0 and net.spike_counts().sum() == 0
    net.run(0.1)
    t2, i2 = net.spikes()
    assert np.array_equal(t1, t2) and np.array_equal(i1, i2)
    net.reset(seed=5)
    net.run(0.1)
    assert not np.array_equal(net.spikes()[1], i1)
    assert net.memory_bytes() > 4 * len(pre)
    d = net.describe()
    assert d["backend"] == "torch" and d["edges"] == len(pre) and d["silenced"] == 1


def test_errors_name_the_problem(small_graph):
    pre, post, w = small_graph
    with pytest.raises(LIFNetworkError, match="post\\[3\\]"):
        bad = post.copy(); bad[3] = 900
        TorchLIFNetwork(500, pre, bad, w)
    net = TorchLIFNetwork(500, pre, post, w, record_spikes=False)
    net.set_input_rates([1, 2], 10.0)
    net.run(0.001)
    with pytest.raises(LIFNetworkError, match="declare every input neuron"):
        net.set_input_rates([3], 10.0)
    with pytest.raises(LIFNetworkError, match="record_spikes=False"):
        net.spikes()
    with pytest.raises(LIFNetworkError, match="out of range"):
        net.silence([500])
    if not torch.cuda.is_available():
        with pytest.raises(ValueError, match="no CUDA device"):
            TorchLIFNetwork(500, pre, post, w, device="cuda")


@pytest.mark.slow
def test_poisson_drive_rates_match_brian2_larger_graph():
    """20,000 neurons, 2.2 M edges, 500 driven neurons, 2 s (a few minutes on 2 cores)."""
    cb, cx, _ = poisson_counts(TorchLIFNetwork, 20_000, graph_seed=7, driven_seed=8, n_driven=500)
    check_poisson_agreement(cb, cx, "torch", min_active=1000, max_z=4.5)


def test_brain_alone_benchmark_runs_both_backends():
    from runners.execution.bench_lif import run

    for backend in ("torch", "brian2"):
        r = run(backend, neurons=300, edges=None, duration=0.01, driven=10, rate=150.0)
        assert r["backend"] == backend and r["edges"] == round(300 * 15_091_983 / 138_639)
        assert r["spikes"] > 0 and r["memory_bytes"] > 0 and r["sim_s_per_wall_s"] > 0
        assert r["device"].startswith(("cpu", "cuda"))


def test_fly_brain_runs_on_the_torch_backend(tmp_path):
    """The fly connectome brain (organisms/drosophila) with backend='torch' on the fly helpers'
    small graph: left antennal deflection drives the left JO neurons, and the same seed gives
    the same actions."""
    brain, acts, run = fly_brain_on_backend(tmp_path, "torch")
    assert np.array_equal(acts, run())
    if hasattr(brain, "close"):
        brain.close()
