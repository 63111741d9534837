"""ClosedLoop on a tiny Brian2 network: equivalence with a one-shot run, latency, reset, errors;
in both modes (direct: generator in the caller's thread; thread: net.run in a worker thread)."""

import math
import threading

import numpy as np
import pytest

from nervous_systems.brian2_setup import brian2
from nervous_systems.closed_loop import ClosedLoop, ClosedLoopError

TAU_S = 0.010
SIM_DT_S = 0.0001
CONTROL_DT_S = 0.002  # 20 integration steps per control step


def make_net():
    b2 = brian2()
    g = b2.NeuronGroup(2, "dv/dt = (I - v)/tau : 1\nI : 1", method="exact",
                       dt=SIM_DT_S * b2.second, namespace={"tau": TAU_S * b2.second})
    g.v = [0.0, 0.5]
    net = b2.Network(g)
    return net, g


MODES = ("direct", "thread")


def make_loop(fail_on=None, timeout_s=20.0, mode="direct"):
    net, g = make_net()
    applied = []

    def apply(u):
        if fail_on is not None and u == fail_on:
            raise ValueError(f"bad input {u!r} for the test network")
        applied.append(u)
        g.I = u

    def read():
        return float(g.clock.t_[:]), np.asarray(g.v[:]).copy()

    loop = ClosedLoop(net, CONTROL_DT_S, apply=apply, read=read, timeout_s=timeout_s, mode=mode)
    return loop, net, g, applied


@pytest.fixture(params=MODES)
def loop(request):
    lp, net, g, applied = make_loop(mode=request.param)
    yield lp
    lp.stop()


@pytest.mark.parametrize("mode", MODES)
def test_matches_one_shot_run(mode):
    b2 = brian2()
    n = 25
    lp, _, _, _ = make_loop(mode=mode)
    try:
        outs = [lp.step(0.7) for _ in range(n)]
    finally:
        lp.stop()
    v_loop = outs[-1][1]

    net, g = make_net()
    g.I = 0.7
    net.run(n * CONTROL_DT_S * b2.second, namespace={})
    v_plain = np.asarray(g.v[:])
    assert np.allclose(v_loop, v_plain, rtol=0, atol=1e-9), (v_loop, v_plain)
    assert np.isclose(float(g.t / b2.second), n * CONTROL_DT_S)
    # and both are the analytic solution of the linear ODE
    decay = math.exp(-n * CONTROL_DT_S / TAU_S)
    want = 0.7 + (np.array([0.0, 0.5]) - 0.7) * decay
    assert np.allclose(v_loop, want, atol=1e-9)


def test_output_lags_input_by_one_control_step(loop):
    a = math.exp(-CONTROL_DT_S / TAU_S)
    inputs = [0.0] * 5 + [1.0] + [0.0] * 4
    outs = [loop.step(u) for u in inputs]
    t = np.array([o[0] for o in outs])
    v0 = np.array([o[1][0] for o in outs])
    # output k is read at the end of control interval k, i.e. at t = (k + 1) * control_dt
    assert np.allclose(t, (np.arange(len(inputs)) + 1) * CONTROL_DT_S, atol=1e-12)
    assert np.all(v0[:5] == 0.0)  # nothing before the pulse
    assert v0[5] == pytest.approx(1 - a, abs=1e-9)  # the pulse shows in the output of its own step
    assert v0[6:] == pytest.approx((1 - a) * a ** np.arange(1, 5), abs=1e-9)  # and decays after it
    assert loop.steps == len(inputs)
    assert loop.t == pytest.approx(len(inputs) * CONTROL_DT_S)


def test_reset_restores_initial_state(loop):
    inputs = [0.3, 1.0, -0.5, 0.0, 2.0, 0.1]
    first = [loop.step(u)[1] for u in inputs]
    assert loop.steps == len(inputs)
    loop.reset()
    assert loop.steps == 0
    second = [loop.step(u)[1] for u in inputs]
    assert np.array_equal(np.array(first), np.array(second))
    assert loop.steps == len(inputs)
    # different inputs give different outputs (the comparison above is not vacuous)
    loop.reset()
    third = [loop.step(u + 0.1)[1] for u in inputs]
    assert not np.allclose(np.array(first), np.array(third))


def test_exception_in_apply_surfaces_as_closed_loop_error():
    lp, _, _, applied = make_loop(fail_on=-1.0, timeout_s=20.0, mode="thread")
    try:
        assert lp.step(0.5)[1][0] > 0
        worker = lp._thread
        with pytest.raises(ClosedLoopError) as ei:
            lp.step(-1.0)
        assert "bad input -1.0 for the test network" in str(ei.value)
        assert isinstance(ei.value.__cause__, BaseException)
        worker.join(timeout=5)
        assert not worker.is_alive()
        assert applied == [0.5]
        # the loop can be started again after the failure
        lp.reset()
        out = lp.step(0.5)
        assert out[0] == pytest.approx(CONTROL_DT_S)
        assert lp.steps == 1
    finally:
        lp.stop()


def test_exception_in_apply_surfaces_as_closed_loop_error_direct():
    lp, _, _, applied = make_loop(fail_on=-1.0, mode="direct")
    try:
        assert lp.step(0.5)[1][0] > 0
        with pytest.raises(ClosedLoopError, match="bad input -1.0 for the test network") as ei:
            lp.step(-1.0)
        assert isinstance(ei.value.__cause__, ValueError)
        assert applied == [0.5]
        lp.reset()
        assert lp.step(0.5)[0] == pytest.approx(CONTROL_DT_S) and lp.steps == 1
    finally:
        lp.stop()


def test_direct_mode_uses_no_thread_and_restarts():
    lp, _, _, _ = make_loop(mode="direct")
    before = set(threading.enumerate())
    lp.step(1.0)
    assert set(threading.enumerate()) == before
    lp.stop()
    lp.stop()  # idempotent
    lp.start()
    with pytest.raises(ClosedLoopError, match="already running"):
        lp.start()
    lp.stop()
    with pytest.raises(ValueError, match="mode"):
        make_loop(mode="fibre")


def test_stop_ends_worker_thread():
    lp, _, _, _ = make_loop(mode="thread")
    lp.step(1.0)
    worker = lp._thread
    assert isinstance(worker, threading.Thread) and worker.is_alive()
    lp.stop()
    assert not worker.is_alive()
    assert lp._thread is None
    assert not any(t.name == "brian2-closed-loop" and t is worker for t in threading.enumerate())
    lp.stop()  # idempotent
    lp.start()
    with pytest.raises(ClosedLoopError, match="already running"):
        lp.start()
    lp.stop()


@pytest.mark.parametrize("mode", MODES)
def test_a_network_operation_that_stops_the_run_ends_the_loop(mode):
    b2 = brian2()
    lp, net, g, _ = make_loop(mode=mode)
    calls = []

    @b2.network_operation(dt=SIM_DT_S * b2.second)
    def stopper():
        calls.append(1)
        if len(calls) == 50:     # in the 3rd control interval
            net.stop()
    net.add(stopper)
    net.store("closed_loop_init")   # the stored initial state must know the new operation
    try:
        lp.step(0.1)
        lp.step(0.1)
        with pytest.raises(ClosedLoopError, match="ended unexpectedly"):
            lp.step(0.1)
            lp.step(0.1)
        calls.append(1)          # past 50: the stopper stays quiet; a reset runs again
        lp.reset()
        assert lp.step(0.1)[0] == pytest.approx(CONTROL_DT_S)
    finally:
        lp.stop()
