"""Every registered body compiles and steps 1 s of simulated time cleanly."""

import mujoco
import numpy as np
import pytest

import bodies
from bodies import BODY_NAMES, make_body


@pytest.mark.parametrize("name", BODY_NAMES)
def test_body_compiles_and_steps_one_second(name):
    body = make_body(name)
    body.reset()
    nu = body.model.nu
    rng = np.random.default_rng(0)
    n_sub = max(1, round(0.01 / body.physics_dt))
    while body.time < 1.0 - 1e-9:
        body.step(rng.uniform(0, 1, nu), n_sub)
        assert np.all(np.isfinite(body.data.qpos)) and np.all(np.isfinite(body.data.qvel))
    assert body.time == pytest.approx(1.0, abs=body.physics_dt)
    warnings = {mujoco.mjtWarning(i).name: w.number for i, w in enumerate(body.data.warning) if w.number}
    assert not warnings, f"MuJoCo warnings while stepping {name}: {warnings}"


def test_registry_errors_are_helpful():
    with pytest.raises(KeyError, match="worm"):
        make_body("wrom")
    assert "worm" in BODY_NAMES
    assert issubclass(bodies.BodyDivergedError, RuntimeError)
