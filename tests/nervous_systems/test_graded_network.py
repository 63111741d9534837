"""The Brian2 graded network (Kunert 2014) on the real Cook 2019 connectome: rest state,
integration accuracy of the chosen time step, and the connectome → network mapping."""

import numpy as np
import pytest

from nervous_systems.brian2_setup import brian2
from nervous_systems.graded_network import GradedNetwork
from nervous_systems.network_model import ModelFileError, NetworkModel
from organisms.c_elegans import load_connectome


@pytest.fixture(scope="module")
def cook():
    return load_connectome()


def _model(dt_ms=None, **over):
    m = NetworkModel.load("graded_kunert2014").with_overrides(sigma_noise=0, **over)
    if dt_ms is not None:
        m.numerics = {**m.numerics, "dt": {"value": dt_ms, "unit": "ms"}}
    return m


def _simulate(connectome, dt_ms, T=1.0):
    b2 = brian2()
    g = GradedNetwork(connectome, _model(dt_ms))
    mon = b2.StateMonitor(g.neurons, "v", record=True, dt=10 * b2.ms)
    g.net.add(mon)
    idx = connectome.index_of(connectome.resolve(["ASEL", "PLML", "PLMR", "AVBL", "AVBR"]))
    drive = np.zeros(connectome.n_neurons)
    for k in range(int(round(T / 0.1))):
        drive[:] = 0
        drive[idx] = 20 * np.sin(2 * np.pi * 0.7 * k * 0.1)
        g.set_drive(drive)
        g.net.run(100 * b2.ms)
    return np.asarray(mon.v / b2.mV)


def test_network_mirrors_connectome(cook):
    g = GradedNetwork(cook, _model())
    ci, cj, cw, cs = cook.chemical()
    gi, gj, gw = cook.gap_pairs()
    assert len(g.chem) == len(ci)
    assert len(g.gap) == 2 * len(gi)  # each junction both ways
    assert np.allclose(np.sort(np.asarray(g.chem.w)), np.sort(cw))
    # inhibitory synapses reverse at E_inh, excitatory at E_exc
    e_rev = np.asarray(g.chem.E_rev) * 1e3
    assert set(np.round(e_rev[cs < 0], 3)) == {-48.0}
    assert set(np.round(e_rev[cs > 0], 3)) == {0.0}


def test_rest_state_is_a_fixed_point(cook):
    """Kunert 2014: V_th is the equilibrium with every synapse at mid-activation, so without
    input the network must stay exactly at rest."""
    b2 = brian2()
    g = GradedNetwork(cook, _model())
    v0 = g.state()[0].copy()
    g.net.run(500 * b2.ms)
    v1, s1 = g.state()
    assert np.max(np.abs(v1 - v0)) * 1e3 < 1e-3  # mV
    assert np.allclose(s1, g.s_rest, atol=1e-6)
    assert -80e-3 < v0.min() and v0.max() < 10e-3  # a physiological range, in volts


def test_shifted_thresholds_rest_state_is_a_stable_fixed_point(cook):
    """With per-neuron threshold shifts the rest state is recomputed (graded_rest_state): the
    network started there stays there, synapses are quieter than mid-activation, and the
    fixed point is linearly stable."""
    from nervous_systems.graded_network import graded_rest_state, kunert_rest_state
    b2 = brian2()
    m = _model()
    shift = np.full(cook.n_neurons, 15.0)
    r = graded_rest_state(cook, m.namespace(), m, shift)
    assert r.stable and r.residual < 1e-6
    assert r.s_rest.max() < 1 / 11 - 1e-3            # below mid-activation s_eq = (a_r/2)/(a_r/2 + a_d) = 1/11
    v, s, g_gap, g_in = kunert_rest_state(cook, m.namespace(), m, shift)
    assert np.array_equal(v, r.v_rest) and np.array_equal(g_in, r.G_in)
    g = GradedNetwork(cook, m)
    g.shift_thresholds(shift)
    assert np.allclose(g.v_rest, r.v_rest) and np.allclose(g.G_in, r.G_in)
    v0 = g.state()[0].copy()
    g.net.run(500 * b2.ms)
    v1, s1 = g.state()
    assert np.max(np.abs(v1 - v0)) * 1e3 < 1e-2  # mV
    assert np.allclose(s1, g.s_rest, atol=1e-6)


def test_time_step_accuracy_against_fine_reference(cook):
    """dt = 1 ms exponential Euler vs a dt = 0.05 ms reference under time-varying drive.
    Measured (this test's printout; nervous_systems/README.md): mean |dv| ~0.1 mV."""
    ref = _simulate(cook, 0.05)
    x = _simulate(cook, 1.0)
    err = np.abs(x - ref)
    varying = ref.std(axis=1) > 0.5
    corr = np.array([np.corrcoef(x[i], ref[i])[0, 1] for i in np.flatnonzero(varying)])
    print(f"\ndt=1 ms vs 0.05 ms: mean |dv| {err.mean():.3f} mV, 99th pct {np.percentile(err, 99):.2f} mV, "
          f"max {err.max():.2f} mV; per-neuron corr median {np.median(corr):.4f}, min {corr.min():.4f} "
          f"({varying.sum()} responding neurons)")
    assert varying.sum() > 50  # the drive reaches a good part of the network
    assert err.mean() < 0.3
    assert np.median(corr) > 0.99


def test_model_parameters_have_units_and_origins():
    m = NetworkModel.load("graded_kunert2014")
    for name, spec in m.parameters.items():
        assert spec.get("origin"), f"parameter {name} lacks its origin"
    ns = m.namespace()
    b2 = brian2()
    assert ns["C"] == 1.5 * b2.pfarad and ns["g_gap"] == 100 * b2.psiemens


def test_unknown_model_and_parameter_errors():
    with pytest.raises(ModelFileError, match="available: graded_kunert2014"):
        NetworkModel.load("no_such_model")
    with pytest.raises(ModelFileError, match="no parameter 'g_gapp'"):
        NetworkModel.load("graded_kunert2014").with_overrides(g_gapp=1)
