"""Brain-protocol conformance, run against every brain registered for every organism.

In the spirit of PyNN's backend conformance tests: the same checks for every implementation.
Each brain drives its organism's real env (``ORGANISM_ENVS``) for 30 control steps; actions must lie in the action
space; a fresh brain with the same seed fed the same observations must act identically; the
optional info() / record() / close() must behave.
"""

import json

import gymnasium as gym
import numpy as np
import pytest

import organisms  # noqa: F401  (registers connectome / shuffled / reflex)
import tasks  # noqa: F401  (registers cgym/ envs)
from nervous_systems import brain as brain_mod
from nervous_systems.brain import BrainNotAvailable, brain_specs, make_brain
from nervous_systems.connectome_brain import ObservationError

ORGANISM = "celegans"
ENV_ID = "cgym/CElegansChemotaxis-v0"
N_STEPS = 30
SEED = 3
BRAIN_NAMES = [s.name for s in brain_specs(ORGANISM)]
# organism -> (env id, env kwargs) the conformance test drives its brains in
ORGANISM_ENVS = {
    "celegans": (ENV_ID, {"duration": 1}),
    "zebrafish": ("cgym/ZebrafishOptomotor-v0", {"duration": 1}),
    "drosophila": ("cgym/DrosophilaGrooming-v0", {"duration": 1}),
}
# brains that take a connectome run on a small generated graph of the same file format here
# (the full-size fly brain is exercised by the slow tests)
SMALL_CONNECTOME = {"drosophila": ("connectome", "shuffled")}
try:
    import torch  # noqa: F401
    _NO_TORCH = ""
except ImportError:
    _NO_TORCH = "PyTorch not installed (optional extra [torch])"
# every registered brain of every organism, plus the worm connectome brain on its second backend
CASES = [pytest.param(org, s.name, {}, id=f"{org}-{s.name}")
         for org in ORGANISM_ENVS for s in brain_specs(org)] + [
    pytest.param("celegans", "connectome", {"backend": "torch"}, id="celegans-connectome-torch",
                 marks=pytest.mark.skipif(bool(_NO_TORCH), reason=_NO_TORCH or "-"))]


@pytest.fixture(scope="module")
def env():
    e = gym.make(ENV_ID, duration=1)
    yield e
    e.close()


@pytest.fixture(scope="module")
def envs():
    made = {}

    def get(organism):
        env_id, kwargs = ORGANISM_ENVS[organism]
        if env_id not in gym.registry:
            pytest.skip(f"{organism}: env {env_id} is not registered on this branch")
        if organism not in made:
            made[organism] = gym.make(env_id, **kwargs)
        return made[organism]

    yield get
    for e in made.values():
        e.close()


@pytest.fixture(scope="module")
def brain_options(tmp_path_factory):
    made = {}

    def get(organism, name):
        if name not in SMALL_CONNECTOME.get(organism, ()):
            return {}
        if organism not in made:
            from organisms.drosophila.surrogate import write_small_graph
            made[organism] = {"edges": str(write_small_graph(tmp_path_factory.mktemp("fly"))),
                              "verbose": False}
        return made[organism]

    return get


def _run_in_env(brain, env):
    obs, _ = env.reset(seed=SEED)
    brain.reset(seed=SEED)
    observations, actions = [], []
    for _ in range(N_STEPS):
        observations.append({k: np.array(v, copy=True) for k, v in obs.items()})
        a = brain.act(obs)
        actions.append(np.array(a, copy=True))
        obs, _, terminated, truncated, _ = env.step(a)
        assert not (terminated or truncated)
    return observations, actions


def _replay(brain, observations):
    brain.reset(seed=SEED)
    return [np.array(brain.act(o), copy=True) for o in observations]


def _plain_json(x):
    """json.dumps without default=: every value must already be a plain JSON type."""
    return json.dumps(x, allow_nan=False)


def test_registry_lists_the_c_elegans_brains():
    assert {"connectome", "shuffled", "reflex", "null", "random"} <= set(BRAIN_NAMES)


@pytest.mark.parametrize("organism,name,options", CASES)
def test_brain_conformance(organism, name, options, envs, brain_options):
    env = envs(organism)
    space = env.action_space
    assert len(space.shape) == 1 and space.dtype == np.float32
    opts = {**brain_options(organism, name), **options}
    brain = make_brain(name, organism, env.observation_space, space,
                       control_dt=env.unwrapped.control_dt, **opts)
    assert isinstance(brain, brain_mod.Brain)
    try:
        observations, actions = _run_in_env(brain, env)
        for k, a in enumerate(actions):
            a = np.asarray(a)
            assert a.shape == space.shape and a.dtype == np.float32, (name, k, a.shape, a.dtype)
            assert np.all(np.isfinite(a)), (name, k)
            assert np.all(a >= space.low) and np.all(a <= space.high), (name, k, a.min(), a.max())
            assert space.contains(a), (name, k)

        if hasattr(brain, "info"):
            info = brain.info()
            assert isinstance(info, dict) and info
            try:
                text = _plain_json(info)
            except (TypeError, ValueError) as exc:
                pytest.fail(f"brain {name!r}: info() is not plain JSON: {exc}")
            assert json.loads(text).keys() == info.keys()

        if hasattr(brain, "record"):
            rec = brain.record()
            t = np.asarray(rec["t"])
            assert t.ndim == 1 and len(t) > 0 and np.all(np.diff(t) > 0)
            # every numeric array whose first axis is time: one row per sample, finite
            series = {k: np.asarray(v) for k, v in rec.items() if k != "t"
                      and np.asarray(v).dtype.kind in "fiu" and np.ndim(v) >= 1
                      and np.shape(v)[0] == len(t)}
            assert series, f"brain {name!r}: record() has no time series besides t"
            for key, v in series.items():
                assert np.all(np.isfinite(v)), (name, key)
            if "v" in rec and "names" in rec:
                v = np.asarray(rec["v"])
                assert v.ndim == 2 and v.shape[1] == len(rec["names"])
                assert len(set(map(str, rec["names"]))) == v.shape[1]
    finally:
        if hasattr(brain, "close"):
            brain.close()

    # determinism: a fresh brain, same seed, same observation sequence -> identical actions
    twin = make_brain(name, organism, env.observation_space, space,
                      control_dt=env.unwrapped.control_dt, **opts)
    try:
        again = _replay(twin, observations)
    finally:
        if hasattr(twin, "close"):
            twin.close()
    for k, (a, b) in enumerate(zip(actions, again)):
        assert np.array_equal(a, b), f"brain {name!r} not deterministic at step {k}"


def test_connectome_brain_rejects_nan_observation(env):
    brain = make_brain("connectome", ORGANISM, env.observation_space, env.action_space,
                       control_dt=env.unwrapped.control_dt)
    try:
        obs, _ = env.reset(seed=SEED)
        brain.reset(seed=SEED)
        brain.act(obs)
        bad = dict(obs)
        bad["concentration"] = np.array([np.nan], np.float32)
        with pytest.raises(ObservationError) as ei:
            brain.act(bad)
        msg = str(ei.value)
        assert "concentration" in msg and "NaN" in msg
        bad = dict(obs)
        curv = np.array(obs["curvature"], copy=True)
        curv[4] = np.inf
        bad["curvature"] = curv
        with pytest.raises(ObservationError, match="curvature"):
            brain.act(bad)
        # a good observation still works afterwards (the bad ones never reached the network)
        assert env.action_space.contains(brain.act(obs))
    finally:
        brain.close()


def test_unknown_brain_lists_available(env):
    with pytest.raises(BrainNotAvailable) as ei:
        make_brain("connectom", ORGANISM, env.observation_space, env.action_space)
    msg = str(ei.value)
    for name in BRAIN_NAMES:
        assert name in msg
    assert "Did you mean connectome" in msg


class _ConstantBrain:
    """A minimal third-party brain: constant action, seed-independent."""

    def __init__(self, organism, observation_space, action_space, control_dt=None, level=0.25):
        self.organism, self.level = organism, float(level)
        self.shape, self.dtype = action_space.shape, action_space.dtype
        self.resets = 0

    def reset(self, seed=None):
        self.resets += 1

    def act(self, observation):
        return np.full(self.shape, self.level, self.dtype)

    def info(self):
        return {"brain": "cgymtest-constant", "level": self.level}


def test_third_party_brain_through_runner_path(env):
    from runners.execution.episode import build_brain

    name = "cgymtest-constant"
    brain_mod.register_brain(name, _ConstantBrain, None, description="test plug-in")
    try:
        assert name in [s.name for s in brain_specs(ORGANISM)]
        brain = build_brain(name, ORGANISM, env.observation_space, env.action_space, level=0.4)
        assert isinstance(brain, _ConstantBrain) and brain.organism == ORGANISM
        obs, _ = env.reset(seed=SEED)
        brain.reset(seed=SEED)
        for _ in range(3):
            a = brain.act(obs)
            assert env.action_space.contains(a) and np.allclose(a, 0.4)
            obs, *_ = env.step(a)
        assert brain.resets == 1
        json.dumps(brain.info())
    finally:
        brain_mod._REGISTRY.pop((name, None), None)
    assert name not in [s.name for s in brain_specs(ORGANISM)]


def test_brains_integrate_at_the_env_control_step():
    """The runner hands the env's control step to the brain; a brain that integrates in time
    refuses to guess it."""
    from runners.execution.episode import build_brain

    env = gym.make("cgym/CElegansChemotaxis-v0", duration=1, control_dt=0.02)
    with pytest.raises(ValueError, match="control_dt"):
        make_brain("reflex", ORGANISM, env.observation_space, env.action_space)
    brain = build_brain("reflex", ORGANISM, env.observation_space, env.action_space,
                        control_dt=env.unwrapped.control_dt)
    assert brain.dt == pytest.approx(0.02)
