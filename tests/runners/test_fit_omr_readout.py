"""The readout fit's targets come from the wild-type data, and its loss is zero only at the data."""

from __future__ import annotations

import numpy as np

from runners.execution.fit_omr_readout import PARAMS, SD_FLOOR, from_unit, loss_of, model_values, targets


def test_targets_are_24_numbers_of_the_seven_experiments():
    tg = targets()
    assert len(tg) == 24 and all(t["n"] == 7 for t in tg)
    assert all(t["sd"] >= SD_FLOOR[t["kind"]] for t in tg)
    p100 = [t for t in tg if t["kind"] == "p" and t["coherence"] == 1.0]
    assert 0.70 < p100[2]["mean"] < 0.80 and p100[-1]["mean"] < p100[0]["mean"]   # in motion vs 2-4 s after
    ratio = [t["mean"] for t in tg if t["kind"] == "ratio"]
    assert ratio == sorted(ratio) and ratio[0] > 1.0                               # the chronometric rises


def test_model_values_and_loss():
    tg = targets()
    edges = [-2.0, 0.0, 2.0, 4.0, 6.0, 8.0, 10.0, 12.0, 14.0]
    cohs = [0.0, 0.25, 0.5, 1.0]
    n = np.full((2, 4, 8), 100.0)
    n_with = n * 0.5
    for t in tg:  # candidate 0 reproduces the data exactly, candidate 1 turns at chance
        if t["kind"] == "p":
            n_with[0, cohs.index(t["coherence"]), edges.index(t["since_lo_s"])] = 100 * t["mean"]
    rate0 = 1.1
    motion_s = np.full(4, 100.0)
    n_motion = np.tile([rate0 * 100] + [rate0 * 100 * t["mean"] for t in tg if t["kind"] == "ratio"], (2, 1))
    n_motion[1] = rate0 * 100
    mv = model_values({"coherences": cohs, "edges": edges, "n": n, "n_with": n_with, "n_motion": n_motion,
                       "motion_s": motion_s}, tg)
    lo = loss_of(mv, tg)
    assert lo[0] < 1e-20 and lo[1] > 4
    x = from_unit(np.zeros(len(PARAMS))), from_unit(np.ones(len(PARAMS)))
    assert [x[0][p[0]] for p in PARAMS] == [p[1] for p in PARAMS]
    assert np.allclose([x[1][p[0]] for p in PARAMS], [p[2] for p in PARAMS])
