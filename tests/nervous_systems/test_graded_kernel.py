"""Conformance of the compiled graded backend (``graded_kernel``) with Brian2 and torch, PyNN
style: the same network, the same inputs, on every backend; trajectories compared.

Tolerances, and why (measured on the shared 2-core machine, 2026-11-29):
* noise off, float64 everywhere: the kernel evaluates the exponential-Euler formula of Brian2's
  generated code on the same state in the same order (summed variables from the previous step,
  then v and s from the old values); only the order of floating-point operations and libmvec's
  vector exp (a few ulp) differ. Measured max |dv| 8e-14 mV over 2 s with drive steps of
  +20 / -10 mV (response range 66 mV), with threshold shifts, a lesion and an activation.
  Asserted: < 1e-9 mV (four orders of magnitude of head room for other CPUs / compilers,
  still ~1e7 times below a mV).
* closed loop, noise off, per-seed initial state on: the worm episode's centroid path on kernel vs
  Brian2, same seed; body and bridge are the same code, so it differs only by that round-off
  (measured max distance ~1e-13 mm over 1 s). Asserted: < 1e-6 mm.
* noise on: Brian2 draws from its own generator, so only statistics can agree: the drawn
  currents' s.d. is sigma_noise x G_in (checked on 500 draws per neuron, 302 neurons), the noise
  holds for tau_noise, and per-neuron s.d. of v matches Brian2's (same criteria as the torch test).
"""

import subprocess
import sys

import numpy as np
import pytest

from nervous_systems.brian2_setup import brian2
from nervous_systems.graded_kernel import (KERNEL_SOURCE, KernelGradedNetwork, kernel_available,
                                           load_kernel)
from nervous_systems.graded_network import GradedNetwork, Perturbation
from nervous_systems.network_model import NetworkModel
from organisms.c_elegans import load_connectome

ok, why = kernel_available()
pytestmark = pytest.mark.skipif(not ok, reason=why)

DRIVEN = ["ASEL", "PLML", "PLMR", "AVBL", "AVBR"]
SHIFTS = {"AIY": 3.0, "AIB": -2.0, "RIA": 1.5}   # mV, per class (the fit's threshold parameters)
CHUNK = 0.01                                        # s: the worm's control step


@pytest.fixture(scope="module")
def cook():
    return load_connectome()


def _model(**over):
    return NetworkModel.load("graded_kunert2014").with_overrides(**over)


def _drives(c, T):
    """+20 mV on a few sensory/command neurons from 0.5 s, -10 mV from 1.2 s."""
    idx = c.index_of(c.resolve(DRIVEN))
    d = np.zeros((int(round(T / CHUNK)), c.n_neurons))
    d[50:, idx] = 20.0
    d[120:, idx] = -10.0
    return d


def _shift_vector(net):
    vec = np.zeros(net.n)
    for cls, mv in SHIFTS.items():
        vec[net.connectome.index_of(net.connectome.resolve([cls]))] = mv
    return vec


def _stepped(net, drives):
    """v (mV) at the start of every control step, for a backend with set_drive/step."""
    out = []
    for d in drives:
        out.append(net.state()[0])
        net.set_drive(d)
        net.run(CHUNK)
    return np.array(out) * 1e3


@pytest.fixture(scope="module")
def open_loop(cook):
    """2 s open loop, noise off, drive steps, threshold shifts, a lesion and an activation: the
    Brian2 trajectory (one run; a NetworkOperation switches the drive) and the kernel's."""
    b2 = brian2()
    model = _model(sigma_noise=0)
    pert = Perturbation(lesion=["AVAL", "AVAR"], activate=["AVBL"], activate_mV=15.0)
    T = 2.0
    drives = _drives(cook, T)
    g = GradedNetwork(cook, model, pert)
    g.shift_thresholds(_shift_vector(g))
    mon = b2.StateMonitor(g.neurons, "v", record=True, dt=CHUNK * b2.second)

    @b2.network_operation(dt=CHUNK * b2.second, when="start")
    def _switch(t):
        g.set_drive(drives[int(round(float(t[:]) / CHUNK))])

    g.net.add(mon, _switch)
    g.net.run(T * b2.second)
    k = KernelGradedNetwork(cook, model, pert)
    k.shift_thresholds(_shift_vector(k))
    return {"model": model, "pert": pert, "drives": drives, "g": g, "k": k,
            "vb": np.asarray(mon.v).T * 1e3, "vk": _stepped(k, drives)}


def test_same_wiring_rest_state_and_perturbation(open_loop):
    g, k = open_loop["g"], open_loop["k"]
    assert k.n == g.n and list(k.names) == list(g.names)
    assert k.n_chem == len(g.chem) and k.n_gap == len(g.gap)
    assert np.array_equal(k.v_rest, g.v_rest) and np.array_equal(k.G_in, g.G_in)
    assert np.array_equal(k.lesioned, g.lesioned) and np.array_equal(k.activated, g.activated)


def test_same_rest_state_and_stimulation_impedance_after_threshold_shifts(open_loop):
    """stimulate() calibrates its current by input_impedance(network): the same on both backends,
    thresholds shifted (so also where the rest state is recomputed for the shifts)."""
    from nervous_systems.connectome_brain import input_impedance
    g, k = open_loop["g"], open_loop["k"]
    assert np.allclose(k.v_rest, g.v_rest, rtol=0, atol=1e-12)
    assert np.allclose(k.s_rest, g.s_rest, rtol=0, atol=1e-12)
    assert np.allclose(k.G_in, g.G_in, rtol=1e-12, atol=0)
    zg, zk = input_impedance(g), input_impedance(k)
    ok = np.isfinite(zg)
    assert ok.sum() > 250 and np.array_equal(ok, np.isfinite(zk))
    assert np.allclose(zk[ok], zg[ok], rtol=1e-9, atol=0)


def test_open_loop_matches_brian2_noise_off(open_loop):
    vb, vk = open_loop["vb"], open_loop["vk"]
    err = np.abs(vk - vb)
    print(f"\nkernel vs brian2: max |dv| {err.max():.3g} mV over 2 s; "
          f"response range {np.ptp(vb, axis=0).max():.1f} mV")
    assert np.ptp(vb, axis=0).max() > 20   # the drive really moves the network
    shifted = open_loop["k"].connectome.index_of(open_loop["k"].connectome.resolve(["AIY"]))
    assert np.abs(vb[-1, shifted] - vb[0, shifted]).max() > 0  # the shifted neurons take part
    assert err.max() < 1e-9


def test_open_loop_matches_torch_noise_off(open_loop, cook):
    pytest.importorskip("torch", reason="PyTorch not installed (optional extra [torch])")
    from nervous_systems.torch_backend.graded import TorchGradedNetwork
    pert = Perturbation(lesion=["AVAL", "AVAR"], activate=["AVBL"], activate_mV=15.0)
    t = TorchGradedNetwork(cook, open_loop["model"], pert, dtype="float64", device="cpu")
    k = KernelGradedNetwork(cook, open_loop["model"], pert)   # torch has no threshold shifts
    T = 1.0
    drives = open_loop["drives"][: int(round(T / CHUNK))]
    err = np.abs(_stepped(k, drives) - _stepped(t, drives))
    print(f"\nkernel vs torch float64: max |dv| {err.max():.3g} mV over {T} s")
    assert err.max() < 1e-9


def test_rest_state_is_fixed_point_and_steps_split_freely(cook):
    model = _model(sigma_noise=0)
    a, b = KernelGradedNetwork(cook, model), KernelGradedNetwork(cook, model)
    a.run(0.5)
    v, s = a.state()
    assert np.abs(v - a.v_rest).max() * 1e3 < 1e-6 and np.allclose(s, a.s_rest, atol=1e-9)
    # 7 + 13 steps == 20 steps (odd counts exercise the scratch-buffer swap)
    a.reset_state()
    drive = np.zeros(cook.n_neurons)
    drive[cook.index_of(cook.resolve(DRIVEN))] = 25.0
    a.set_drive(drive), b.set_drive(drive)
    a.step(7), a.step(13), b.step(20)
    assert np.array_equal(a.state()[0], b.state()[0]) and np.array_equal(a.state()[1], b.state()[1])
    assert np.abs(a.state()[0] - a.v_rest).max() > 1e-4   # and the drive moved it


@pytest.fixture(scope="module")
def noisy(cook):
    """One kernel network with the model's noise on (each test reseeds and resets it)."""
    return KernelGradedNetwork(cook, _model())


def test_noise_same_seed_identical_different_seed_different(noisy):
    k = noisy
    k.reset_state()
    k.seed(5)
    k.run(0.1)
    a = k.state()[0]
    k.reset_state()
    k.seed(5)
    k.run(0.1)
    assert np.array_equal(a, k.state()[0])
    k.reset_state()
    k.seed(6)
    k.run(0.1)
    assert np.abs(a - k.state()[0]).max() * 1e3 > 0.01


def test_noise_amplitude_and_redraw_interval(noisy):
    """The drawn current is sigma_noise x G_in x N(0,1), held for tau_noise (20 steps)."""
    k = noisy
    sigma = float(k.model.namespace()["sigma_noise"]) * 1e3   # mV
    k.reset_state()
    k.seed(3)
    draws = []
    for i in range(500 * 20):
        k.step(1)
        if i % 20 == 0:
            draws.append(k.noise_current() / k.G_in * 1e3)
        else:
            assert np.array_equal(k.noise_current() / k.G_in * 1e3, draws[-1])
    z = np.array(draws)
    sd = z.std()
    print(f"\nnoise: s.d. of drawn drive {sd:.4f} mV (model sigma_noise {sigma} mV), "
          f"{z.size} draws")
    assert abs(sd - sigma) < 0.02 * sigma and abs(z.mean()) < 0.02 * sigma
    assert np.corrcoef(z[:-1].ravel(), z[1:].ravel())[0, 1] < 0.02   # fresh draws


def test_noise_statistics_match_brian2(cook, noisy):
    """Noise on, no drive, 4 s: per-neuron s.d. of v over time, kernel vs Brian2 (different
    generators: statistics only). Criteria as in test_torch_graded: median ratio in 0.85-1.15,
    90 % of neurons within a factor 1.5, population mean within 0.1 mV."""
    b2 = brian2()
    m = _model()
    g = GradedNetwork(cook, m)
    mon = b2.StateMonitor(g.neurons, "v", record=True, dt=20 * b2.ms)
    g.net.add(mon)
    b2.seed(1)
    g.net.run(4 * b2.second)
    k = noisy
    k.reset_state()
    k.seed(1)
    vk = []
    for _ in range(200):
        vk.append(k.state()[0])
        k.run(0.02)
    vb, vk = np.asarray(mon.v).T * 1e3, np.array(vk) * 1e3
    sb, sk = vb.std(axis=0), vk.std(axis=0)
    ratio = sk / sb
    print(f"\nnoise s.d. ratio kernel/brian2: median {np.median(ratio):.3f}; median s.d. "
          f"{np.median(sb):.3f} mV (brian2) {np.median(sk):.3f} mV (kernel)")
    assert np.median(sb) > 0.05
    assert 0.85 < np.median(ratio) < 1.15
    assert np.mean((ratio > 1 / 1.5) & (ratio < 1.5)) > 0.9
    assert abs(vb.mean() - vk.mean()) < 0.1


def _episode(backend: str, seed: int, duration: float = 1.0):
    from runners.execution.episode import build_brain, load_organisms, make_env, resolve_task
    load_organisms()
    spec = resolve_task("celegans/chemotaxis")
    env = make_env(spec, duration, None)
    brain = build_brain("connectome", spec.organism, env.observation_space, env.action_space,
                        control_dt=env.unwrapped.control_dt, backend=backend, init_sd_mV=2.0,
                        model_overrides={"sigma_noise": 0.0})
    try:
        obs, info = env.reset(seed=seed)
        brain.reset(seed)
        path, acts = [], []
        while True:
            a = brain.act(obs)
            acts.append(np.asarray(a, float))
            obs, _r, term, trunc, _info = env.step(a)
            path.append(np.asarray(env.unwrapped.body.centroid(), float))
            if term or trunc:
                break
        return np.array(path), np.array(acts), brain.record(), brain.backend
    finally:
        brain.close()
        env.close()


def test_closed_loop_episode_matches_brian2():
    pk, ak, rk, bk = _episode("kernel", seed=4)
    pb, ab, rb, bb = _episode("brian2", seed=4)
    assert (bk, bb) == ("kernel", "brian2")
    dist = np.linalg.norm(pk - pb, axis=1)
    print(f"\nclosed loop 1 s: max centroid distance kernel vs brian2 {dist.max():.3g} mm; "
          f"path length {np.linalg.norm(np.diff(pb, axis=0), axis=1).sum():.3g} mm; "
          f"max |d action| {np.abs(ak - ab).max():.3g}")
    assert np.ptp(ab, axis=0).max() > 0.01   # the muscles really move
    assert dist.max() < 1e-6
    assert np.array_equal(rk["t"], rb["t"]) and np.abs(rk["v"] - rb["v"]).max() < 1e-6  # mV, float32 record


def test_missing_compiler_is_one_clear_line(tmp_path):
    """A build without a working C compiler: one line naming the kernel, no traceback spill."""
    code = (f"import sys; sys.path.insert(0, {str(KERNEL_SOURCE.parents[1])!r})\n"
            "from nervous_systems.cython_build import load_cython_module, KernelBuildError\n"
            "from nervous_systems.graded_kernel import KERNEL_SOURCE\n"
            f"try:\n    load_cython_module(KERNEL_SOURCE, 'x', cache={str(tmp_path)!r})\n"
            "except KernelBuildError as e:\n    print('ERR', e)\n")
    env = {**__import__("os").environ, "CC": str(tmp_path / "no-such-cc"),
           "LDSHARED": str(tmp_path / "no-such-cc") + " -shared"}
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env,
                         timeout=120)
    lines = [ln for ln in out.stdout.splitlines() if ln.startswith("ERR")]
    assert len(lines) == 1 and "graded_kernel.pyx" in lines[0] and "no-such-cc" in lines[0], out
    assert "\n" not in lines[0]


def test_unbuildable_kernel_falls_back_to_brian2(monkeypatch, capsys):
    from nervous_systems import graded_kernel
    from runners.execution.episode import build_brain, load_organisms, make_env, resolve_task

    def broken():
        raise graded_kernel.KernelUnavailable("kernel backend: could not compile graded_kernel.pyx "
                                              "(test: no compiler)")
    monkeypatch.setattr(graded_kernel, "load_kernel", broken)
    load_organisms()
    spec = resolve_task("celegans/chemotaxis")
    env = make_env(spec, 0.1, None)
    brain = build_brain("connectome", spec.organism, env.observation_space, env.action_space,
                        control_dt=env.unwrapped.control_dt, backend="kernel")
    try:
        err = capsys.readouterr().err.strip().splitlines()
        assert brain.backend == "brian2"
        assert len(err) == 1 and "kernel backend" in err[0] and "brian2" in err[0]
        obs, _ = env.reset(seed=0)
        brain.reset(0)
        assert np.all(np.isfinite(brain.act(obs)))
    finally:
        brain.close()
        env.close()


def test_kernel_loads_from_its_cache():
    assert load_kernel() is load_kernel()


def test_bench_backend_and_smoke_skip():
    """``cgym bench`` on the kernel names its backend; a sub-second bench skips the fit line."""
    from runners.execution.bench import bench_table, run_bench
    r = run_bench("celegans/chemotaxis", "connectome", duration=0.1, brain_options={"backend": "kernel"})
    table = bench_table(r)
    assert "backend kernel" in table and r["brain_alone"]["steps"] == 10
    assert "fit throughput not measured" in table and "load average" in table


@pytest.mark.slow
def test_bench_prints_fit_throughput():
    """The fit-throughput line: a real 2-worker sweep (≈20 s on the shared machine)."""
    from runners.execution.bench import bench_table, run_bench
    r = run_bench("celegans/chemotaxis", "connectome", duration=1.0, brain_options={"backend": "kernel"})
    fit = r["fit_throughput"]
    assert fit["episodes"] == 8 and fit["workers"] == 2
    e60, e120 = fit["episodes_per_hour"][60.0], fit["episodes_per_hour"][120.0]
    assert 0 < e120 < e60 < fit["measured_episodes_per_hour"]
    assert "60 s episodes" in bench_table(r) and "120 s episodes" in bench_table(r)


def test_worm_connectome_brains_default_to_the_kernel():
    from nervous_systems.brain import make_brain
    b = make_brain("connectome", "celegans", None, None, control_dt=0.01)
    try:
        assert b.backend == "kernel" and b.info()["backend"]["name"] == "kernel"
    finally:
        b.close()
