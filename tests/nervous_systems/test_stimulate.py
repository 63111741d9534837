"""The optional stimulate() of the Brain protocol, on every registered worm brain that offers it."""

import numpy as np
import pytest

import organisms  # noqa: F401
from nervous_systems.brain import make_brain
from nervous_systems.connectome import UnknownNeuronError

OBS = {"concentration": np.zeros(1, np.float32), "dcdt": np.zeros(1, np.float32),
       "curvature": np.zeros(23, np.float32), "touch": np.zeros(1, np.float32)}


def test_connectome_brain_stimulation_depolarises_the_target():
    b = make_brain("connectome", "celegans", None, None, control_dt=0.05, record_dt=0.05,
                   model_overrides={"sigma_noise": 0.0})
    try:
        b.reset(0)
        for _ in range(10):
            b.act(OBS)
        b.stimulate(["RIML"], 20.0, 0.2)     # 4 control steps
        for _ in range(20):
            b.act(OBS)
        rec = b.record()
        k = list(rec["names"]).index("RIML")
        v = rec["v"][:, k]
        base = v[9]
        assert v[10:14].min() > base + 10.0           # held ~20 mV up during the pulse
        assert abs(v[-1] - base) < 0.5                 # and back afterwards
        with pytest.raises(UnknownNeuronError, match="RIML"):
            b.stimulate(["RIMLL"], 20.0, 0.2)
        with pytest.raises(ValueError):
            b.stimulate(["RIML"], 20.0, 0.0)
    finally:
        b.close()
