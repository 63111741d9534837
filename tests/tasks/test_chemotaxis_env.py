"""cgym/CElegansChemotaxis-v0: gradient, reward, truncation, errors, task_info."""

import json

import gymnasium as gym
import numpy as np
import pytest

import tasks  # noqa: F401  (registers the env)
from bodies.worm import travelling_wave
from tasks.chemotaxis.env import CElegansChemotaxisEnv


def test_concentration_rises_nearer_the_peak():
    env = CElegansChemotaxisEnv()
    cs = []
    for x in (-3.0, 0.0, 2.0, 4.0, 5.0):
        obs, info = env.reset(seed=0, options={"position": (x, 0.0), "heading": 0.0})
        cs.append(float(obs["concentration"][0]))
        assert info["concentration"] == pytest.approx(cs[-1], rel=1e-6)
        assert info["distance_to_peak"] == pytest.approx(abs(5.0 - x), abs=1e-9)
    assert np.all(np.diff(cs) > 0) and cs[-1] == pytest.approx(100.0)
    lin = CElegansChemotaxisEnv(gradient="linear", slope=10.0)
    c0 = lin.reset(options={"position": (0, 0), "heading": 0})[0]["concentration"][0]
    c1 = lin.reset(options={"position": (1, 0), "heading": 0})[0]["concentration"][0]
    assert c1 - c0 == pytest.approx(10.0, rel=1e-5)


def test_reward_is_concentration_gain_and_truncation_at_duration():
    env = gym.make("cgym/CElegansChemotaxis-v0", duration=0.5)
    obs, info = env.reset(seed=1, options={"position": (0.0, 0.0), "heading": 0.0})
    c_prev = info["concentration"]
    total, n = 0.0, 0
    while True:
        obs, r, term, trunc, info = env.step(travelling_wave(n * 0.01).astype(np.float32))
        n += 1
        assert r == pytest.approx(info["concentration"] - c_prev, abs=1e-9)
        assert obs["dcdt"][0] == pytest.approx(r / 0.01, rel=1e-4, abs=1e-4)
        assert info["centerline"].shape == (25, 2) and info["centerline"].dtype == np.float32
        c_prev = info["concentration"]
        total += r
        if term or trunc:
            break
    assert trunc and not term and n == 50 and info["t"] == pytest.approx(0.5)


def test_leaving_the_plate_terminates():
    env = CElegansChemotaxisEnv(plate_radius=3.0, start_jitter=0.0)
    env.reset(seed=0, options={"position": (3.6, 0.0), "heading": 0.0})  # centroid at 3.1 mm
    _, _, term, trunc, _ = env.step(np.zeros(95, np.float32))
    assert term and not trunc


def test_touch_at_the_wall():
    env = CElegansChemotaxisEnv(plate_radius=10.0)
    obs, _ = env.reset(options={"position": (9.99, 0.0), "heading": 0.0})
    assert obs["touch"][0] > 0.5
    obs, _ = env.reset(options={"position": (0.0, 0.0), "heading": 0.0})
    assert obs["touch"][0] == 0.0


def test_nan_action_raises_value_error_naming_the_step():
    env = CElegansChemotaxisEnv()
    env.reset(seed=0)
    env.step(np.zeros(95, np.float32))
    a = np.zeros(95, np.float32)
    a[10] = np.nan
    with pytest.raises(ValueError, match="step 1"):
        env.step(a)
    with pytest.raises(ValueError, match="shape"):
        env.step(np.zeros(3, np.float32))


def test_task_info_contents():
    env = CElegansChemotaxisEnv()
    info = env.task_info()
    json.dumps(info)
    ar = info["arena"]
    assert ar["plate_radius"] == 30.0 and ar["peak_position"] == [5.0, 0.0]
    assert ar["zones"]["target"]["center"] == [5.0, 0.0]
    assert ar["zones"]["control"]["center"] == [-5.0, 0.0]
    assert info["duration_s"] == 60.0 and info["control_dt_s"] == 0.01 and info["max_steps"] == 6000
    assert len(info["body"]["muscles"]) == 95
    assert info["medium"] == "agar"


def test_bad_kwargs():
    with pytest.raises(ValueError):
        CElegansChemotaxisEnv(gradient="cubic")
    with pytest.raises(ValueError):
        CElegansChemotaxisEnv(control_dt=0.003)


def test_decoration_initialises_every_geom_slot_it_fills():
    """Stale material/texture ids in a reused scene slot crashed OSMesa (intermittent segfault):
    every geom the decoration adds must be fully initialised (matid -1, no texture)."""
    import mujoco

    env = CElegansChemotaxisEnv(render_mode="rgb_array")
    env.reset(seed=0)
    scene = mujoco.MjvScene(env.body.model, maxgeom=64)
    for k in range(scene.maxgeom):  # garbage a previous frame could have left behind
        scene.geoms[k].matid = 7
        scene.geoms[k].dataid = 3
    env._decorate(scene)
    assert scene.ngeom >= 2
    assert all(scene.geoms[k].matid == -1 for k in range(scene.ngeom))
    env.close()


def test_render_rgb_array_or_skip():
    env = CElegansChemotaxisEnv(render_mode="rgb_array")
    env.reset(seed=0)
    try:
        img = env.render()
    except Exception as e:  # no offscreen GL in this environment
        pytest.skip(f"offscreen rendering unavailable: {type(e).__name__}: {e}")
    assert img.shape == (240, 320, 3) and img.dtype == np.uint8 and img.std() > 0
