"""PyTorch graded network (worm) against the Brian2 one: same connectome, same drive.

Tolerances, and why:
* noise off, float64: both backends run the same exponential-Euler formula on the same state in
  the same order (summed variables from the previous step, then v and s from the old values), so
  they agree to round-off: max |dv| < 1e-6 mV (measured ~1e-13 mV).
* noise off, float32 (the GPU default): single precision keeps ~7 significant digits of a ~50 mV
  quantity, i.e. ~1e-5 mV per step; the dynamics are contracting (leak + gap junctions), so the
  error stays at that level instead of growing: max |dv| < 1e-3 mV (measured ~4e-5 mV over 1 s
  of driven activity with a 78 mV response range).
* noise on: the two backends draw from different random generators, so only statistics can
  match: per-neuron standard deviation of v over time, within a factor that sampling allows
  (see the test).
"""

import numpy as np
import pytest

torch = pytest.importorskip("torch", reason="PyTorch not installed (optional extra [torch])")

from nervous_systems.brian2_setup import brian2  # noqa: E402
from nervous_systems.graded_network import GradedNetwork, Perturbation  # noqa: E402
from nervous_systems.network_model import NetworkModel  # noqa: E402
from nervous_systems.torch_backend.graded import TorchGradedNetwork  # noqa: E402
from organisms.c_elegans import load_connectome  # noqa: E402

DRIVEN = ["ASEL", "PLML", "PLMR", "AVBL", "AVBR"]


@pytest.fixture(scope="module")
def cook():
    return load_connectome()


def _model(**over):
    return NetworkModel.load("graded_kunert2014").with_overrides(**over)


def _drive_schedule(c, T=1.0, chunk=0.05):
    idx = c.index_of(c.resolve(DRIVEN))
    drives = np.zeros((int(round(T / chunk)), c.n_neurons))
    for k in range(len(drives)):
        drives[k, idx] = 20 * np.sin(2 * np.pi * 0.7 * k * chunk)
    return drives


def _trajectories(c, model, perturbation=None, T=1.0, chunk=0.05, **torch_kw):
    """v (mV) at the start of every chunk of a time-varying drive, Brian2 and torch. Brian2 runs
    once (a NetworkOperation switches the drive, a StateMonitor samples): run() calls are slow."""
    b2 = brian2()
    drives = _drive_schedule(c, T, chunk)
    g = GradedNetwork(c, model, perturbation)
    mon = b2.StateMonitor(g.neurons, "v", record=True, dt=chunk * b2.second)

    @b2.network_operation(dt=chunk * b2.second, when="start")
    def _switch(t):
        g.set_drive(drives[int(round(float(t[:]) / chunk))])

    g.net.add(mon, _switch)
    g.net.run(T * b2.second)
    t = TorchGradedNetwork(c, model, perturbation, **torch_kw)
    vt = []
    for d in drives:
        vt.append(t.state()[0])
        t.set_drive(d)
        t.run(chunk)
    return np.asarray(mon.v).T * 1e3, np.array(vt) * 1e3, g, t


def test_same_wiring_and_rest_state(cook):
    g = GradedNetwork(cook, _model(sigma_noise=0))
    t = TorchGradedNetwork(cook, _model(sigma_noise=0), dtype="float64")
    assert t.n == g.n == cook.n_neurons and list(t.names) == list(g.names)
    assert t.n_chem == len(g.chem) and t.n_gap == len(g.gap)
    assert np.array_equal(t.v_rest, g.v_rest) and np.array_equal(t.G_in, g.G_in)
    v0 = t.state()[0].copy()
    t.run(0.5)
    v1, s1 = t.state()
    assert np.max(np.abs(v1 - v0)) * 1e3 < 1e-6  # the rest state is a fixed point here too
    assert np.allclose(s1, t.s_rest, atol=1e-9)


@pytest.mark.parametrize("dtype, tol_mV", [("float64", 1e-6), ("float32", 1e-3)])
def test_trajectories_match_brian2_noise_off(cook, dtype, tol_mV):
    vb, vt, _, _ = _trajectories(cook, _model(sigma_noise=0), dtype=dtype)
    err = np.abs(vt - vb)
    print(f"\n{dtype}: max |dv| {err.max():.3g} mV, mean {err.mean():.3g} mV; "
          f"response range {np.ptp(vb, axis=0).max():.1f} mV")
    assert np.ptp(vb, axis=0).max() > 20  # the drive really moves the network
    assert err.max() < tol_mV


def test_perturbations_match_brian2(cook):
    pert = Perturbation(lesion=["AVAL", "AVAR"], activate=["AVBL"], activate_mV=15.0)
    vb, vt, g, t = _trajectories(cook, _model(sigma_noise=0), pert, T=0.5, dtype="float64")
    assert np.array_equal(t.lesioned, g.lesioned) and np.array_equal(t.activated, g.activated)
    assert t.n_chem == len(g.chem) and t.n_gap == len(g.gap)
    assert np.abs(vt - vb).max() < 1e-6


def test_noise_statistics_match_brian2(cook):
    """Noise on (sigma 1 mV, redrawn every 20 ms), no drive, 4 s: per-neuron s.d. of v over time.
    Each run holds 200 independent noise draws, so a per-neuron s.d. estimate from correlated
    samples has a relative error of roughly 1/sqrt(2*200/k) with k ~ a few samples per draw
    window: ~10-20 %. We require the median ratio torch/Brian2 within 0.85-1.15 and 90 % of
    neurons within a factor 1.5; the population mean v within 0.1 mV."""
    b2 = brian2()
    m = _model()
    g = GradedNetwork(cook, m)
    t = TorchGradedNetwork(cook, m, seed=1)
    mon = b2.StateMonitor(g.neurons, "v", record=True, dt=20 * b2.ms)
    g.net.add(mon)
    b2.seed(1)
    g.net.run(4 * b2.second)
    vt = []
    for _ in range(200):  # samples every 20 ms
        vt.append(t.state()[0])
        t.run(0.02)
    vb, vt = np.asarray(mon.v).T * 1e3, np.array(vt) * 1e3
    sb, st = vb.std(axis=0), vt.std(axis=0)
    ratio = st / sb
    print(f"\nnoise s.d. ratio torch/brian2: median {np.median(ratio):.3f}, "
          f"5-95 % {np.percentile(ratio, 5):.2f}-{np.percentile(ratio, 95):.2f}; "
          f"median s.d. {np.median(sb):.3f} mV (brian2) {np.median(st):.3f} mV (torch)")
    assert np.median(sb) > 0.05  # noise really acts
    assert 0.85 < np.median(ratio) < 1.15
    assert np.mean((ratio > 1 / 1.5) & (ratio < 1.5)) > 0.9
    assert abs(vb.mean() - vt.mean()) < 0.1


def test_seeded_noise_is_reproducible(cook):
    t = TorchGradedNetwork(cook, _model(), seed=5)
    t.run(0.1)
    a = t.state()[0]
    t.reset_state()
    t.seed(5)
    t.run(0.1)
    assert np.array_equal(a, t.state()[0])
    t.reset_state()
    t.seed(6)
    t.run(0.1)
    assert not np.array_equal(a, t.state()[0])


def test_device_option(cook):
    t = TorchGradedNetwork(cook, _model(sigma_noise=0))
    assert t.device.type == ("cuda" if torch.cuda.is_available() else "cpu")
    assert t.describe()["backend"]["name"] == "torch"
    if not torch.cuda.is_available():
        with pytest.raises(ValueError, match="no CUDA device"):
            TorchGradedNetwork(cook, _model(sigma_noise=0), device="cuda")
    with pytest.raises(ValueError, match="dtype"):
        TorchGradedNetwork(cook, _model(sigma_noise=0), dtype="float16")


def test_closed_loop_brain_matches_brian2_noise_off(cook):
    """The worm connectome brain on both backends, fed the same observations: actions agree
    (float64 torch; the bridge is shared code, so only the network can differ)."""
    import gymnasium as gym

    import organisms  # noqa: F401
    import tasks  # noqa: F401
    from nervous_systems.brain import make_brain

    env = gym.make("cgym/CElegansChemotaxis-v0", duration=1)
    kw = dict(control_dt=env.unwrapped.control_dt, model_overrides={"sigma_noise": 0})
    brains = [make_brain("connectome", "celegans", env.observation_space, env.action_space, **kw),
              make_brain("connectome", "celegans", env.observation_space, env.action_space,
                         backend="torch", torch_options={"dtype": "float64"}, **kw)]
    try:
        obs, _ = env.reset(seed=2)
        for b in brains:
            b.reset(seed=2)
        for k in range(40):
            a, b = (np.asarray(br.act(obs)) for br in brains)
            assert np.abs(a - b).max() < 1e-5, (k, np.abs(a - b).max())
            obs, *_ = env.step(a)
        assert brains[1].info()["backend"]["device"].startswith(("cpu", "cuda"))
        with pytest.raises(ValueError, match="backend"):
            make_brain("connectome", "celegans", env.observation_space, env.action_space,
                       backend="nest", **kw)
    finally:
        for b in brains:
            b.close()
        env.close()


def test_bench_passes_the_backend_option():
    from runners.execution.bench import bench_table, run_bench

    r = run_bench("celegans/chemotaxis", "connectome", duration=0.1, brain_options={"backend": "torch"})
    assert r["brain_backend"]["name"] == "torch" and r["brain_options"] == {"backend": "torch"}
    assert "backend torch" in bench_table(r) and r["brain_alone"]["steps"] == 10
