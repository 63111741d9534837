"""LIFNetwork (Shiu et al. 2024 LIF model) on small graphs: drive, propagation, sign, delay,
silencing, activation, reset, errors — for the Brian2 network and the event-driven backend
(``event_lif.EventLIFNetwork``), which has the same API (as has the torch backend)."""

import numpy as np
import pytest

from nervous_systems.event_lif import EventLIFNetwork
from nervous_systems.lif_network import LIFNetwork, LIFNetworkError

BACKENDS = {"brian2": LIFNetwork, "event": EventLIFNetwork}


@pytest.fixture(params=sorted(BACKENDS))
def chain(request):
    return lambda: _chain(BACKENDS[request.param])


def _chain(Net):
    # 0 -> 1 strongly excitatory: 300 synapses x 0.275 mV = g jump of 82.5 mV, whose peak effect
    # on v is 0.158 x 82.5 = 13 mV > 7 mV to threshold (tau_m 20 ms, tau_syn 5 ms): one spike of 0
    # fires 1; 0 -> 2 weak excitatory; 3 -> 1 strongly inhibitory
    pre = np.array([0, 0, 3]); post = np.array([1, 2, 1]); w = np.array([300.0, 2.0, -300.0])
    return Net(4, pre, post, w, seed=3)


def test_poisson_drive_rate_and_propagation(chain):
    net = chain()
    net.set_input_rates([0], 150.0)
    net.run(1.0)
    c = net.spike_counts()
    # Shiu drive: each Poisson spike (68.75 mV) fires the neuron: count ~ Poisson(150)
    assert 110 < c[0] < 190
    assert c[1] >= 0.5 * c[0]          # relayed by the strong excitatory synapse
    assert c[2] == 0 and c[3] == 0     # weak synapse stays subthreshold; 3 has no input
    t, i = net.spikes()
    assert len(t) == c.sum() and set(np.unique(i)) == {0, 1}
    # the synaptic delay is 1.8 ms: neuron 1 never fires before neuron 0's first spike + delay
    assert t[i == 1].min() >= t[i == 0].min() + 1.8e-3 - 1e-9


def test_inhibition_silencing_activation_and_reset(chain):
    net = chain()
    net.set_input_rates([0], 150.0)
    net.activate([3])                   # Shiu's 150 Hz default
    net.run(1.0)
    c = net.spike_counts()
    assert c[3] > 100
    assert c[1] < 0.4 * c[0]            # inhibition from 3 removes relayed spikes
    net.reset(seed=3)
    assert net.spike_counts().sum() == 0 and net.t == 0
    net.run(1.0)
    assert np.array_equal(net.spike_counts(), c)    # same seed, same configuration: same spikes
    net.reset(seed=3)
    net.silence([0])
    net.run(1.0)
    c2 = net.spike_counts()
    assert c2[0] == 0 and c2[1] == 0 and c2[3] > 100


def test_rates_change_between_runs_and_zero_rate_is_silent(chain):
    net = chain()
    net.set_input_rates([0, 2], [0.0, 0.0])
    net.run(0.2)
    assert net.spike_counts().sum() == 0
    net.set_input_rates([2], 300.0)      # existing slot: allowed mid-simulation
    net.run(0.5)
    assert net.spike_counts()[2] > 100
    with pytest.raises(LIFNetworkError, match="declare every input neuron"):
        net.set_input_rates([3], 10.0)   # new slot after running
    assert net.memory_bytes() > 0


def test_bad_input_is_named(chain):
    with pytest.raises(LIFNetworkError, match=r"post\[1\] = 9"):
        LIFNetwork(4, np.array([0, 1]), np.array([1, 9]), np.array([1.0, 1.0]))
    with pytest.raises(LIFNetworkError, match="one length"):
        LIFNetwork(4, np.array([0, 1]), np.array([1]), np.array([1.0, 1.0]))
    net = chain()
    with pytest.raises(LIFNetworkError, match="out of range"):
        net.set_input_rates([7], 1.0)
    with pytest.raises(LIFNetworkError, match=">= 0"):
        net.set_input_rates([0], -1.0)
