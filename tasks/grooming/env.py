"""``cgym/DrosophilaGrooming-v0``: an adult fly standing on a floor, antennae touched on a schedule."""

from __future__ import annotations

import math
from typing import Any

import gymnasium as gym
import numpy as np
from gymnasium import spaces

from bodies import BodyDivergedError  # (first: sets MUJOCO_GL before mujoco is imported)
from bodies.fly import ANTENNA_JOINTS, JOINT_NAMES, LEGS, FlyBody
from bodies.fly.body import ANTENNA_STIFFNESS
from tasks.actions import checked_action

import mujoco  # noqa: E402

ENV_ID = "cgym/DrosophilaGrooming-v0"
STIMULUS_SIDES = ("left", "right", "both", "none")
STIMULUS_KINDS = ("step", "vibration")
MAX_CONTACT_UN = 1e6  # observation bound for contact forces, uN (the fly weighs ~8.5 uN)
MAX_JOINT_SPEED = 1e5  # rad/s, observation bound (a diverging body raises long before)


class DrosophilaGroomingEnv(gym.Env):
    """Antennal grooming of an adult Drosophila: touch an antenna, see whether the fly grooms it.

    **Body**: the flybody fruit fly (:class:`bodies.fly.FlyBody`, flybody ``fruitfly_v2`` from
    dm-control, Apache-2.0) standing on a flat floor with claw adhesion; wings removed,
    antennae passive springs. Units: **cm, g, s** (the model's own); forces in µN.

    **Stimulus** (the "dust"/probe): an external torque on the antennal joint of the
    stimulated side(s), sized so that the static deflection equals ``stimulus_amplitude`` (rad):
    ``torque = amplitude × k_antenna``. Default schedule: rest for ``stimulus_onset`` = 1 s,
    stimulus for ``stimulus_duration`` = 2 s, rest until ``duration`` = 4 s. ``stimulus_side``
    is ``"left"``, ``"right"``, ``"both"`` or ``"none"``; ``stimulus_kind="vibration"``
    modulates the torque as ``amplitude × (1 + sin 2π f t)/2`` with ``stimulus_frequency`` f
    (Hz) instead of a step; ``onset_jitter`` (s) draws the onset uniformly in
    ``[onset, onset + jitter]`` from ``self.np_random``. Any of these can be overridden per
    episode with ``reset(options={...})`` using the same names.

    **Observation** (``Dict``, float32):

    * ``"antenna_deflection"`` Box(-π, π, (2,)): [left, right] rotation of the antennal joint from rest,
      rad (what Johnston's organ senses). Grooming contacts also deflect it.
    * ``"antenna_contact"`` Box(0, 1e6, (2,)): [left, right] summed normal force (µN) between the
      forelegs' tibia/tarsus/claw collision geoms and that antenna (0 = no contact).
    * ``"joint_angles"`` Box(-π, π, (42,)) / ``"joint_velocities"`` Box(±1e5, (42,)): the 6 × 7 leg joints in
      ``env.unwrapped.body.joint_names`` order (rad, rad/s).

    **Action**: Box(-1, 1, (57,), float32), one normalised target per actuator in
    ``env.unwrapped.body.actuator_names`` order: head (3) and leg joints (6 legs × 8, incl. the
    tarsal tendon) with 0 = rest pose (flybody's standing pose), ±1 = ends of the ctrlrange;
    claw adhesion (6) with -1 → off, +1 → full. NaN/Inf or a wrong shape raises ``ValueError``
    naming the step. The all-zero action stands still.

    **Reward**: 0 (the task is scored against the reference behaviour library, not a return).

    **Termination**: ``terminated`` when the fly tips over (thorax up-axis z < 0.2);
    ``truncated`` at ``duration`` s (inside the env, no TimeLimit wrapper).

    **info** (every step and after reset): ``"t"`` (s) and ``"record"``, the arrays the runner
    samples at ``record_rate_hz`` (200 Hz): ``thorax_xyz`` (3,) cm, ``heading`` rad,
    ``leg_tips`` (6, 3) claw positions in the thorax frame (cm; legs T1_left, T1_right, T2_left,
    ..., T3_right), ``antenna_deflection`` (2,), ``antenna_contact`` (2,), ``leg_antenna_contact`` (2, 2) µN
    (row = foreleg T1_left/T1_right, column = antenna left/right: which leg touches which antenna),
    ``stimulus_on`` (2,)
    0/1 per side, ``joint_angles`` (42,), ``upright``. :meth:`task_info` returns the schedule
    (JSON-serialisable) and the body; the motor model (the VNC) belongs to the brain, which names it.

    **Constructor kwargs**: ``duration`` (s, 4), ``control_dt`` (s, 0.002; a multiple of
    ``physics_dt``), ``physics_dt`` (s, 2e-4), ``stimulus_side`` ("left"), ``stimulus_onset``
    (1.0), ``stimulus_duration`` (2.0), ``stimulus_amplitude`` (rad, 0.2),
    ``stimulus_kind`` ("step"), ``stimulus_frequency`` (Hz, 20), ``onset_jitter`` (s, 0),
    ``posture_jitter`` (rad, 0.02: each leg joint starts uniformly within ± this of rest),
    ``render_mode`` ("rgb_array"), ``render_size``.
    """

    metadata = {"render_modes": ["rgb_array"], "render_fps": 30}
    record_rate_hz = 200.0

    def __init__(
        self,
        duration: float = 4.0,
        control_dt: float = 0.002,
        physics_dt: float = 2e-4,
        stimulus_side: str = "left",
        stimulus_onset: float = 1.0,
        stimulus_duration: float = 2.0,
        stimulus_amplitude: float = 0.2,
        stimulus_kind: str = "step",
        stimulus_frequency: float = 20.0,
        onset_jitter: float = 0.0,
        posture_jitter: float = 0.02,
        render_mode: str | None = None,
        render_size: tuple[int, int] = (320, 240),
    ):
        if render_mode is not None and render_mode not in self.metadata["render_modes"]:
            raise ValueError(f"render_mode must be None or one of {self.metadata['render_modes']}")
        if not duration > 0:
            raise ValueError(f"duration must be > 0 s (got {duration})")
        self.body = FlyBody(physics_dt=physics_dt)
        n_sub = round(control_dt / self.body.physics_dt)
        if n_sub < 1 or abs(n_sub * self.body.physics_dt - control_dt) > 1e-9:
            raise ValueError(f"control_dt={control_dt} s must be a positive multiple of physics_dt={physics_dt} s")
        self.duration = float(duration)
        self.control_dt = float(control_dt)
        self._n_sub = int(n_sub)
        self._max_steps = int(math.ceil(self.duration / self.control_dt - 1e-9))
        self._defaults = dict(stimulus_side=stimulus_side, stimulus_onset=stimulus_onset,
                              stimulus_duration=stimulus_duration, stimulus_amplitude=stimulus_amplitude,
                              stimulus_kind=stimulus_kind, stimulus_frequency=stimulus_frequency,
                              onset_jitter=onset_jitter)
        self.schedule = self._check_schedule(dict(self._defaults), where="constructor")
        self.render_mode = render_mode
        self.render_size = tuple(int(v) for v in render_size)
        n_j = len(JOINT_NAMES)
        pi = np.float32(np.pi)
        self.observation_space = spaces.Dict({
            "antenna_deflection": spaces.Box(-pi, pi, (2,), np.float32),
            "antenna_contact": spaces.Box(0.0, MAX_CONTACT_UN, (2,), np.float32),
            "joint_angles": spaces.Box(-pi, pi, (n_j,), np.float32),
            "joint_velocities": spaces.Box(-MAX_JOINT_SPEED, MAX_JOINT_SPEED, (n_j,), np.float32),
        })
        self.action_space = spaces.Box(-1.0, 1.0, (self.body.n_act,), np.float32)
        self._n = 0
        self._onset = float(stimulus_onset)
        if not 0 <= posture_jitter < 0.5:
            raise ValueError(f"posture_jitter must be in [0, 0.5) rad (got {posture_jitter})")
        self.posture_jitter = float(posture_jitter)

    # ----------------------------------------------------------------------------------------
    @staticmethod
    def _check_schedule(s: dict, where: str) -> dict:
        unknown = set(s) - {"stimulus_side", "stimulus_onset", "stimulus_duration", "stimulus_amplitude",
                            "stimulus_kind", "stimulus_frequency", "onset_jitter", "seed_note"}
        if unknown:
            raise ValueError(f"{where}: unknown stimulus option(s) {sorted(unknown)}")
        if s["stimulus_side"] not in STIMULUS_SIDES:
            raise ValueError(f"{where}: stimulus_side must be one of {STIMULUS_SIDES}, got {s['stimulus_side']!r}")
        if s["stimulus_kind"] not in STIMULUS_KINDS:
            raise ValueError(f"{where}: stimulus_kind must be one of {STIMULUS_KINDS}, got {s['stimulus_kind']!r}")
        for k in ("stimulus_onset", "stimulus_duration", "onset_jitter"):
            if not (float(s[k]) >= 0 and math.isfinite(float(s[k]))):
                raise ValueError(f"{where}: {k} must be a finite number >= 0 s (got {s[k]})")
        if not (abs(float(s["stimulus_amplitude"])) < 1.0):
            raise ValueError(f"{where}: stimulus_amplitude must be a deflection in rad with |a| < 1 (got {s['stimulus_amplitude']})")
        if not float(s["stimulus_frequency"]) > 0:
            raise ValueError(f"{where}: stimulus_frequency must be > 0 Hz")
        return {k: (v if isinstance(v, str) else float(v)) for k, v in s.items()}

    def stimulus(self, t: float) -> np.ndarray:
        """[left, right] stimulus level in [0, 1] at time ``t`` (s)."""
        s = self.schedule
        if s["stimulus_side"] == "none" or not (self._onset <= t < self._onset + s["stimulus_duration"]):
            return np.zeros(2)
        level = 1.0
        if s["stimulus_kind"] == "vibration":
            level = 0.5 * (1.0 + math.sin(2 * math.pi * s["stimulus_frequency"] * (t - self._onset)))
        side = s["stimulus_side"]
        return np.array([level * (side in ("left", "both")), level * (side in ("right", "both"))])

    def _apply_stimulus(self) -> np.ndarray:
        lv = self.stimulus(self.body.time)
        torque = lv * self.schedule["stimulus_amplitude"] * ANTENNA_STIFFNESS
        self.body.apply_antenna_torque(float(torque[0]), float(torque[1]))
        return lv

    def _obs(self) -> dict[str, np.ndarray]:
        b = self.body
        obs = {
            "antenna_deflection": b.antenna_deflection().astype(np.float32),
            "antenna_contact": b.antenna_contact().astype(np.float32),
            "joint_angles": b.joint_angles().astype(np.float32),
            "joint_velocities": b.joint_velocities().astype(np.float32),
        }
        for k, v in obs.items():  # bounds are physical limits; clip float rounding at the edges
            np.clip(v, self.observation_space[k].low, self.observation_space[k].high, out=v)
        return obs

    def _info(self, obs) -> dict[str, Any]:
        b = self.body
        return {
            "t": self._n * self.control_dt,
            "record": {
                "thorax_xyz": b.thorax_xyz().astype(np.float32),
                "heading": b.heading(),
                "leg_tips": b.leg_tips().astype(np.float32),
                "antenna_deflection": obs["antenna_deflection"],
                "antenna_contact": obs["antenna_contact"],
                "leg_antenna_contact": b.foreleg_antenna_contact().astype(np.float32),
                "stimulus_on": (self._stim_level > 0).astype(np.float32),
                "joint_angles": obs["joint_angles"],
                "upright": b.upright(),
            },
        }

    def reset(self, *, seed: int | None = None, options: dict | None = None):
        super().reset(seed=seed)
        sched = dict(self._defaults)
        sched.update(options or {})
        self.schedule = self._check_schedule(sched, where="reset options")
        self._onset = self.schedule["stimulus_onset"] + float(self.np_random.uniform(0.0, self.schedule["onset_jitter"]))
        self.body.reset()
        if self.posture_jitter > 0:  # individual posture: leg joints start off the rest pose
            jq = self.body._jq
            self.body.data.qpos[jq] += self.np_random.uniform(-self.posture_jitter, self.posture_jitter, len(jq))
            mujoco.mj_forward(self.body.model, self.body.data)
        self._n = 0
        self._stim_level = self._apply_stimulus()
        obs = self._obs()
        return obs, self._info(obs)

    def step(self, action):
        a = checked_action(action, self.action_space.shape, self.body.actuator_names, self._n, self._n * self.control_dt)
        try:
            self.body.step(a, self._n_sub)
        except BodyDivergedError as e:
            raise BodyDivergedError(f"{e} [during {ENV_ID} step {self._n}, t={self._n * self.control_dt:.3f} s]") from e
        self._n += 1
        self._stim_level = self._apply_stimulus()  # the level that holds during the next step
        obs = self._obs()
        terminated = bool(self.body.upright() < 0.2)
        truncated = bool(self._n >= self._max_steps) and not terminated
        return obs, 0.0, terminated, truncated, self._info(obs)

    # ----------------------------------------------------------------------------------------
    def task_info(self) -> dict[str, Any]:
        """JSON-serialisable description of the schedule, body and motor-bridge assumption."""
        s = self.schedule
        return {
            "env_id": ENV_ID,
            "task": "drosophila/grooming",
            "stimulus_side": s["stimulus_side"],
            "stimulus_onset_s": self._onset,
            "stimulus_duration_s": s["stimulus_duration"],
            "stimulus_amplitude_rad": s["stimulus_amplitude"],
            "stimulus_kind": s["stimulus_kind"],
            "stimulus_frequency_hz": s["stimulus_frequency"],
            "onset_jitter_s": s["onset_jitter"],
            "posture_jitter_rad": self.posture_jitter,
            "stimulus": ("external torque on the antennal extend joint, amplitude x k_antenna "
                         f"(k = {ANTENNA_STIFFNESS} dyn*cm/rad) -> static deflection = amplitude"),
            "duration_s": self.duration,
            "control_dt_s": self.control_dt,
            "physics_dt_s": self.body.physics_dt,
            "max_steps": self._max_steps,
            "record_rate_hz": self.record_rate_hz,
            "units": {"length": "cm", "mass": "g", "time": "s", "force": "uN", "angle": "rad"},
            "body": {
                "name": "fly",
                "source": "flybody fruitfly_v2 (dm-control 1.0.50, Apache-2.0); edits in bodies/fly/README.md",
                "mass_g": self.body.mass,
                "legs": list(LEGS),
                "antenna_joints": dict(ANTENNA_JOINTS),
                "actuators": list(self.body.actuator_names),
                "joints": list(JOINT_NAMES),
            },
            "motor_bridge": MOTOR_BRIDGE,
            "references": [
                "Hampel et al. 2015 eLife 4:e08758 doi:10.7554/eLife.08758",
                "Seeds et al. 2014 eLife 3:e02951 doi:10.7554/eLife.02951",
                "Ravbar et al. 2021 eLife 10:e71508 doi:10.7554/eLife.71508",
                "Vaxenburg et al. 2025 Nature doi:10.1038/s41586-025-09029-4 (flybody)",
            ],
        }

    def render(self):
        if self.render_mode != "rgb_array":
            return None
        w, h = self.render_size
        return self.body.render(w, h, camera="track1")

    def close(self):
        self.body.close()


MOTOR_BRIDGE = ("none in the env: the action is one target per actuator, so any brain may drive the legs "
                "directly. A brain that reaches the legs through a motor model names it in its own info "
                "(the fly connectome and reflex brains: the hand-built VNC model, a MODELLING ASSUMPTION, "
                "in brain_info['vnc'] / ['motor_bridge'])")
