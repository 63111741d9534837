"""Every registered cgym/ env passes Gymnasium's checker and resets deterministically."""

import gymnasium as gym
import numpy as np
import pytest
from gymnasium.utils.env_checker import check_env

import tasks

CGYM_IDS = sorted(i for i in gym.registry if i.startswith("cgym/"))


def test_registered_ids_match_task_table():
    assert set(CGYM_IDS) == {spec.env_id for spec in tasks.TASKS.values()}


@pytest.mark.parametrize("env_id", CGYM_IDS)
def test_check_env(env_id):
    env = gym.make(env_id)
    check_env(env.unwrapped, skip_render_check=True)
    env.close()


@pytest.mark.parametrize("env_id", CGYM_IDS)
def test_reset_determinism(env_id):
    def first(seed):
        env = gym.make(env_id)
        obs, info = env.reset(seed=seed)
        obs2, *_ = env.step(env.action_space.sample() * 0 + 0.5)
        env.close()
        return obs, obs2

    a, b, c = first(3), first(3), first(4)
    for k in a[0]:
        np.testing.assert_array_equal(a[0][k], b[0][k])
        np.testing.assert_array_equal(a[1][k], b[1][k])
    assert any(not np.array_equal(a[0][k], c[0][k]) for k in a[0])


def test_task_spec_lookup():
    spec = tasks.task_spec("celegans/chemotaxis")
    assert spec.env_id == "cgym/CElegansChemotaxis-v0" and spec.organism == "celegans"
    assert spec.features == "tasks.chemotaxis.features:extract_features"
    with pytest.raises(KeyError, match="celegans/chemotaxis"):
        tasks.task_spec("celegans/chemotaxsi")
