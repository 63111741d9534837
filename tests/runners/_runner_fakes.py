"""A tiny fake worm task + reference library for the runner tests (test-only names)."""

from __future__ import annotations

import numpy as np
import gymnasium as gym
from gymnasium import spaces

FAKE_TASK = "fake/chemotaxis"
FAKE_ENV_ID = "cgymtest/FakeWorm-v0"
K = 11


class BodyDivergedError(RuntimeError):
    pass


class FakeWormEnv(gym.Env):
    metadata = {"render_modes": ["rgb_array"], "render_fps": 25}

    def __init__(self, duration=2.0, control_dt=0.02, diverge_seeds=(), render_mode=None,
                 medium="agar"):
        self.duration, self.control_dt = float(duration), float(control_dt)
        self.diverge_seeds = set(diverge_seeds)
        self.render_mode = render_mode
        self.observation_space = spaces.Dict({
            "concentration": spaces.Box(0, np.inf, (1,), np.float64),
            "dcdt": spaces.Box(-np.inf, np.inf, (1,), np.float64),
            "curvature": spaces.Box(-np.inf, np.inf, (K - 2,), np.float64),
            "touch": spaces.Box(0, 1, (2,), np.float64)})
        self.action_space = spaces.Box(0, 1, (95,), np.float32)
        self.peak = np.array([3.0, 0.0])

    def task_info(self):
        return {"peak": self.peak.tolist(), "target_zone": {"center": [3.0, 0.0], "radius": 1.0},
                "control_zone": {"center": [-3.0, 0.0], "radius": 1.0}, "start": [0.0, 0.0],
                "plate_radius": 6.0}

    def _conc(self, p):
        return float(np.exp(-np.sum((p - self.peak) ** 2) / (2 * 3.0 ** 2)))

    def _centerline(self):
        s = np.linspace(0, 1.0, K)
        wiggle = self.amp * np.sin(2 * np.pi * (s / 0.65 - 0.3 * self.t))
        d = np.array([np.cos(self.heading), np.sin(self.heading)])
        nrm = np.array([-d[1], d[0]])
        return self.nose - s[:, None] * d + wiggle[:, None] * nrm

    def _obs_info(self):
        c = self._conc(self.nose)
        obs = {"concentration": np.array([c]), "dcdt": np.array([c - self.c_prev]),
               "curvature": np.zeros(K - 2), "touch": np.zeros(2)}
        cl = self._centerline()
        info = {"t": self.t, "centerline": cl, "nose": cl[0].copy(), "concentration": c,
                "distance_to_peak": float(np.linalg.norm(self.nose - self.peak))}
        return obs, info

    def reset(self, *, seed=None, options=None):
        super().reset(seed=seed)
        self.seed_ = seed
        self.t = 0.0
        self.nose = np.zeros(2)
        self.heading = float(self.np_random.uniform(-np.pi, np.pi))
        self.c_prev = self._conc(self.nose)
        self.amp = 0.0
        return self._obs_info()

    def step(self, action):
        a = np.asarray(action, float)
        self.amp = 0.1 * float(a.mean())
        speed = 0.4 * float(a.mean())  # mm/s; null brain -> 0, random -> ~0.2
        self.heading += float(self.np_random.normal(0, 0.05))
        self.nose = self.nose + speed * self.control_dt * np.array(
            [np.cos(self.heading), np.sin(self.heading)])
        self.c_prev = self._conc(self.nose)
        self.t = round(self.t + self.control_dt, 10)
        if self.seed_ in self.diverge_seeds and self.t >= 0.5:
            raise BodyDivergedError(f"body diverged at t={self.t:.2f} s (fake)")
        obs, info = self._obs_info()
        return obs, 0.0, False, self.t >= self.duration - 1e-9, info

    def render(self):
        img = np.zeros((48, 64, 3), np.uint8)
        img[..., 1] = int(255 * self._conc(self.nose))
        return img


def fake_features(trajectory, task_info):
    t = np.asarray(trajectory["t"])
    cl = np.asarray(trajectory["centerline"])
    cen = cl.mean(axis=1)
    dur = t[-1] - t[0] if len(t) > 1 else 0.0
    speed = float(np.linalg.norm(np.diff(cen, axis=0), axis=1).sum() / dur) if dur > 0 else np.nan
    peak = np.asarray(task_info["peak"])
    d = np.linalg.norm(cen - peak, axis=1)
    tz = task_info["target_zone"]
    return {"centroid_speed": speed, "approach": float((d[0] - d[-1]) / d[0]),
            "in_target_end": float(np.linalg.norm(cen[-1] - tz["center"]) < tz["radius"]),
            "in_control_end": 0.0, "undefined_metric": float("nan")}


class FakeSpec:
    def __init__(self):
        self.env_id = FAKE_ENV_ID
        self.organism = "fakeworm"
        self.features = f"{__name__}:fake_features"
        self.reference = "fake_reference"
        self.description = "fake chemotaxis task for runner tests"
        self.plots = "runners.scoring.plots:chemotaxis_figures"
        self.sections = f"{__name__}:fake_sections"


def fake_sections(runs):
    """A task-specific scorecard section (the hook fish/fly neural metrics use)."""
    return [{"title": "Fake neural metric", "markdown": f"{len(runs)} run(s) seen",
             "data": {"n_runs": len(runs)}}]


class FakeEntry:
    def __init__(self, id, kind, unit="mm/s", mean=0.0, sd=1.0, samples=None, n_animals=30,
                 **pop):
        self.id, self.kind, self.unit = id, kind, unit
        self.mean, self.sd = mean, sd
        self.samples = None if samples is None else np.asarray(samples, float)
        self.n_animals = n_animals
        self.description = f"fake {id}"
        self.source = {"citation": "Fake et al. 2000", "doi": "10.0000/fake"}
        self.notes = ""
        for k, v in pop.items():
            setattr(self, k, v)

    def sample(self, n, rng):
        if self.samples is not None:
            return rng.choice(self.samples, size=n, replace=n > len(self.samples))
        return rng.normal(self.mean, self.sd, size=n)


class FakeLibrary:
    version = "fake-1"
    content_hash = "0" * 64

    def __init__(self, entries):
        self.entries = entries

    def get(self, id):
        return {e.id: e for e in self.entries}[id]


def fake_library():
    return FakeLibrary([
        FakeEntry("centroid_speed", "normal", mean=0.2, sd=0.03, n_animals=40),
        FakeEntry("approach", "samples", unit="1",
                  samples=np.random.default_rng(1).normal(0.02, 0.05, 60)),
        FakeEntry("in_target_end", "population", unit="1", threshold=0.5),
        FakeEntry("not_a_feature", "normal", unit="1", mean=1, sd=1),
    ])


_REGISTERED = False


def register():
    global _REGISTERED
    from runners.execution.episode import EXTRA_TASKS
    if not _REGISTERED:
        gym.register(id=FAKE_ENV_ID, entry_point=f"{__name__}:FakeWormEnv",
                     disable_env_checker=True)
        _REGISTERED = True
    spec = FakeSpec()
    spec.name = FAKE_TASK
    EXTRA_TASKS[FAKE_TASK] = spec
    return spec


class NaNBrain:
    def __init__(self, organism, observation_space, action_space, nan_at=3, **kw):
        self.space, self.nan_at, self.i = action_space, nan_at, 0

    def reset(self, seed=None):
        self.i = 0

    def act(self, obs):
        self.i += 1
        a = np.full(self.space.shape, 0.5, np.float32)
        if self.i > self.nan_at:
            a[7] = np.nan
        return a


class RecordingBrain:
    """Constant drive + a fake neural record at 1 kHz."""

    def __init__(self, organism, observation_space, action_space, **kw):
        self.space = action_space
        self.ts = []

    def reset(self, seed=None):
        self.ts = []
        self.t = 0.0

    def act(self, obs):
        self.t += 0.02
        self.ts.append(self.t)
        return np.full(self.space.shape, 0.5, np.float32)

    def record(self):
        t = np.arange(0, self.t + 1e-9, 0.001)
        return {"t": t, "v": np.sin(t)[:, None] * np.ones((1, 3), np.float32),
                "names": ["A", "B", "C"]}

    def info(self):
        return {"connectome": "fake2020", "connectome_hash": "abc123", "surrogate": "fake data"}
