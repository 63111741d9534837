"""The speed paths of the zebrafish closed loop give the results of the code they replaced.

* retina: ``ReichardtRetina.step`` (one gather, one bincount) is bit-for-bit
  ``step_reference`` (the original per-axis code) on a grating that reverses;
* closed loop: a 1.5 s optomotor episode (connectome brain, seed 0) with the fast water forces
  and retina equals one run with the reference implementations: brain outputs (float32) and bout
  onsets identical, head trajectory within 1e-9 mm (the water forces differ in the last ulp).
"""

from __future__ import annotations

import numpy as np
import pytest

from organisms.zebrafish.retina import ReichardtRetina, default_eye_points, grating_samples


def test_fast_retina_is_bitwise_the_reference():
    pts = default_eye_points(16)
    fast, ref = ReichardtRetina(pts, 0.002), ReichardtRetina(pts, 0.002)
    moving = 0
    for k in range(600):
        lum = grating_samples(pts, k * 0.002, 1.3 if k < 300 else -2.0).astype(np.float32)
        a, b = fast.step(lum[0], lum[1]), ref.step_reference(lum[0], lum[1])
        assert a.shape == b.shape == (2, 4)
        assert np.array_equal(a, b), k
        moving += bool(a.max() > 0.05)
    assert moving > 300  # the detector responded: the comparison is not between zeros


def _episode(reference: bool, monkeypatch) -> dict:
    import gymnasium as gym

    import tasks  # noqa: F401
    from bodies.larva.body import LarvaBody
    from nervous_systems.brain import make_brain

    if "cgym/ZebrafishOptomotor-v0" not in gym.registry:
        pytest.skip("optomotor env not on this branch")
    with monkeypatch.context() as m:
        if reference:
            m.setattr(LarvaBody, "_apply_water", LarvaBody._apply_water_reference)
            m.setattr(ReichardtRetina, "step", ReichardtRetina.step_reference)
        env = gym.make("cgym/ZebrafishOptomotor-v0", duration=1.5)
        u = env.unwrapped
        brain = make_brain("connectome", "zebrafish", env.observation_space, env.action_space,
                           control_dt=u.control_dt)
        try:
            obs, info = env.reset(seed=0)
            brain.reset(0)
            xy, acts = [], []
            while True:
                a = brain.act(obs)
                acts.append(a)
                obs, _r, term, trunc, info = env.step(a)
                xy.append(info["record"]["head_xy"])
                if term or trunc:
                    break
            rec = brain.record()
        finally:
            brain.close()
            env.close()
    names = list(rec["names"])
    gate = rec["v"][:, names.index("bout_gate")]
    onsets = rec["t"][1:][np.diff(gate) > 0.5]
    return {"xy": np.array(xy), "act": np.array(acts), "onsets": onsets, "rec": rec["v"]}


def test_closed_loop_fast_paths_match_reference(monkeypatch):
    fast = _episode(False, monkeypatch)
    ref = _episode(True, monkeypatch)
    assert fast["act"].max() > 0.1 and len(fast["onsets"]) >= 1  # the fish swam a bout
    assert np.array_equal(fast["act"], ref["act"])
    assert np.array_equal(fast["onsets"], ref["onsets"])
    assert np.array_equal(fast["rec"], ref["rec"])
    np.testing.assert_allclose(fast["xy"], ref["xy"], rtol=0, atol=1e-9)
