"""Full size (slow): 138,639 neurons and ~15 M edges (the real v783 edge list if present, else the
labelled surrogate) through the same loader, builder and closed loop as the small tests.

    python -m pytest -m slow tests/organisms/test_drosophila_full.py -s
"""

import resource

import numpy as np
import pytest

from _fly_helpers import ACTION_SPACE, ACTUATORS, OBS_SPACE, StandInVNC

pytestmark = pytest.mark.slow


def test_full_size_brain_closed_loop():
    from organisms.drosophila.brain import FlyBrain

    brain = FlyBrain(OBS_SPACE, ACTION_SPACE, 0.002, edges="auto", vnc_factory=StandInVNC,
                     actuator_names=ACTUATORS)
    try:
        info = brain.info()
        assert info["edge_set"]["neurons"] == 138_639 and info["edge_set"]["edges"] > 14_000_000
        assert info["populations"]["aDN1:left"] == 1 and info["populations"]["aDN1:right"] == 1
        brain.reset(seed=0)
        o = {"antenna_deflection": np.array([0.3, 0.0]), "antenna_contact": np.zeros(2)}
        for _ in range(100):
            a = brain.act(o)
        assert ACTION_SPACE.contains(a)
        rec = brain.record()
        names = list(rec["populations"])
        assert rec["rates"][-1, names.index("JO-CE:left")] > 100
        peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        print(f"\nfull-size fly brain: {info['label']}; build {info['build_s']}; "
              f"network state {info['memory']['network_bytes'] / 2**20:.0f} MiB; peak RSS {peak_mb:.0f} MB")
        assert peak_mb < 8000
    finally:
        brain.close()


def test_full_size_shiu2024_probe_names_every_pinned_neuron():
    """The Shiu 2024 protocol on the full-size edge set: every pinned read-out neuron is in the
    graph, the 69 v783 JO-CE are driven at the asked rate, and the edge set is named."""
    from organisms.drosophila import probe

    res = probe.shiu2024(edges="auto", rates_hz=(150,), trials=1, duration_s=0.5)
    assert res["drive"]["neurons"] == 69 and 120 < res["drive"]["measured_rate_hz"][0] < 170
    assert all(n["in_graph"] for n in res["neurons"])
    pins = {n["root_id"] for n in res["neurons"] if n["shiu2024_pin"]}
    assert pins == set(probe.identities.SHIU_PINS.values())
    if res["surrogate"]:
        assert any(lab.startswith("SURROGATE") for lab in res["labels"])
        assert "SURROGATE" in probe.table_markdown(res)
