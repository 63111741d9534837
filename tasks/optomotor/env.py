"""``cgym/ZebrafishOptomotor-v0`` and ``cgym/ZebrafishSpontaneous-v0``: a larval zebrafish over a
moving (or static) visual pattern."""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import gymnasium as gym
import mujoco
import numpy as np
from gymnasium import spaces

from bodies import BodyDivergedError
from bodies.larva import EYE_GRID_X_MM, EYE_GRID_Y_MM, MUSCLE_NAMES, N_JOINTS, LarvaBody, eye_grid
from tasks.actions import checked_action

from ..visual_stimuli import Dots, Grating
from .schedule import Schedule

ENV_ID = "cgym/ZebrafishOptomotor-v0"
SPONTANEOUS_ENV_ID = "cgym/ZebrafishSpontaneous-v0"

# the eye sample grid is the body's (bodies/larva/eyes.py); re-exported here for old callers
__all__ = ["ENV_ID", "SPONTANEOUS_ENV_ID", "EYE_GRID_X_MM", "EYE_GRID_Y_MM", "eye_grid",
           "ZebrafishOptomotorEnv", "ZebrafishSpontaneousEnv"]


class ZebrafishOptomotorEnv(gym.Env):
    """Optomotor response (OMR) of a 5–7 dpf larval zebrafish.

    A planar MuJoCo larva (:class:`bodies.larva.LarvaBody`: rigid head with eyes and yolk, 12-joint
    tail, 24 muscles, resistive + reactive water forces; mm–mg–s) swims freely over a visual
    pattern on the floor. The pattern follows a **schedule table** of rest and motion epochs
    (``tasks/optomotor/schedules/*.csv``, columns ``start_s,end_s,motion,direction_deg,speed_mm_s``;
    default ``omr_rest_motion_rest``: 10 s rest / 10 s motion toward the fish's left at 10 mm/s /
    10 s rest). Larvae turn and swim with the direction of whole-field motion (Orger et al. 2008,
    doi:10.1038/nn2048; Bahl & Engert 2020, doi:10.1038/s41593-019-0534-9). The env knows nothing
    of brains.

    **Units**: mm, s, rad (degrees in the schedule), luminance in [0, 1].

    **Stimulus** (``stimulus=``):

    * ``"grating"`` (default): sine grating, spatial period ``period`` mm (default 10),
      contrast ``contrast``. Directions are relative to the fish (0 = forward, tail→head;
      +90° = toward its left). With ``lock_to_heading=True`` (default; closed-loop VR assays)
      the pattern orientation turns with the fish; otherwise the direction is fixed in the world
      at the fish's heading at the start of each motion epoch. The pattern lies in the world
      translationally, so the fish's own swimming moves it across the eyes (self-motion).
    * ``"dots"``: random dots with a fraction ``coherence`` moving in the direction, the rest in
      random directions (``dot_density`` per mm², default 0.15; ``dot_radius`` mm, default 1.0;
      ``dot_lifetime`` s, default 1.0; PROVISIONAL values, not Bahl & Engert's rig). Giving
      ``coherence`` (e.g. ``--task-option coherence=0.5``) selects dots and the ``random_dots``
      schedule (5 s rest / 10 s toward one side / 10 s rest / 10 s toward the other / 10 s rest)
      — the random-dot paradigm of Bahl & Engert 2020 (doi:10.1038/s41593-019-0534-9).
      ``rest_dots``: ``"incoherent"`` (default) keeps the dots moving in rest epochs, each in its
      own random direction (0 % coherence) at the median speed of the schedule's motion epochs,
      as between the motion epochs of the real trials; ``"static"`` freezes them.

    ``mirror="random"`` (default) flips every direction of the schedule with probability 1/2
    per episode (so a side bias cannot pass for an OMR); ``True``/``False`` force it.

    **Observation** (``Dict``, float32):

    * ``"eye_left"``, ``"eye_right"``: Box(0, 1, (16,)) luminance of the floor at the 16 points of
      each eye's lower visual field, :attr:`eye_sample_points` (2, 16, 2) in the fish frame (mm;
      origin at the head's centre of mass, x forward, y left; eye 0 = left): a 4 × 4 grid 2 mm
      apart, x in -3..3 mm, |y| in 1..7 mm, index ``iy * 4 + ix`` (ix caudal → rostral, iy near
      → far), so Reichardt detectors along x and y can be built from neighbours.
    * ``"tail_angles"``: Box(-π, π, (12,)) joint angles, rostral first, + = bend to the left.
    * ``"tail_velocities"``: Box(-inf, inf, (12,)) rad/s.

    **Action**: Box(0, 1, (24,), float32) muscle activations ``[L01..L12, R01..R12]``
    (``env.unwrapped.body.muscle_names``), rostral → caudal, each through a 5 ms first-order
    filter; left muscles bend the tail to the left. Values outside [0, 1] are clipped; NaN or a
    wrong shape raises ``ValueError`` naming the step.

    **Timing**: ``control_dt = 0.002`` s (fixed), physics step 0.25 ms (8 substeps);
    ``record_rate_hz = 250`` (the runner samples ``info["record"]`` at this rate).

    **Reward**: 0 (a behaviour assay, not a training task). **Termination**: none; a physics
    blow-up raises :class:`bodies.BodyDivergedError` naming step, time and cause. **Truncation**
    when ``duration`` s have elapsed (default: the schedule's end).

    **info** (after reset and every step): ``"t"`` (s) and ``"record"`` = {``head_xy`` (2,) mm,
    ``heading`` rad, ``tail_angles`` (12,), ``centerline`` (14, 2) mm (snout … tail tip),
    ``speed`` mm/s (head centre), ``motion_on`` 0/1, ``motion_direction_fish`` rad (stimulus
    direction relative to the fish now; kept during rest), ``stimulus_velocity_world`` (2,)
    mm/s}. :meth:`task_info` returns the schedule (as applied, mirrored or not), stimulus and
    body parameters, JSON-serialisable, for the recorder and scorer.

    **Constructor kwargs**: ``schedule`` (bundled name or CSV path), ``duration``, ``stimulus``,
    ``period``, ``contrast``, ``coherence``, ``dot_density``, ``dot_radius``, ``dot_lifetime``,
    ``rest_dots``,
    ``lock_to_heading``, ``mirror``, ``start_heading`` (rad; None = uniform), ``render_mode``
    (``"rgb_array"``), ``render_size``, ``render_view_mm``.

    **reset options**: ``{"position": (x, y), "heading": theta, "mirror": bool}``.

    All randomness comes from ``self.np_random`` (``reset(seed=...)``).
    """

    metadata = {"render_modes": ["rgb_array"], "render_fps": 25}
    control_dt = 0.002
    record_rate_hz = 250.0
    env_id = ENV_ID
    task_name = "zebrafish/optomotor"
    default_schedule = "omr_rest_motion_rest"

    def __init__(
        self,
        schedule: str | Path | None = None,
        duration: float | None = None,
        stimulus: str | None = None,
        period: float = 10.0,
        contrast: float = 1.0,
        coherence: float | None = None,
        dot_density: float = 0.15,
        dot_radius: float = 1.0,
        dot_lifetime: float = 1.0,
        rest_dots: str | None = None,
        lock_to_heading: bool = True,
        mirror: bool | str = "random",
        start_heading: float | None = None,
        render_mode: str | None = None,
        render_size: tuple[int, int] = (320, 240),
        render_view_mm: float = 16.0,
    ):
        if render_mode is not None and render_mode not in self.metadata["render_modes"]:
            raise ValueError(f"render_mode must be None or one of {self.metadata['render_modes']}")
        if mirror not in (True, False, "random"):
            raise ValueError(f"mirror must be True, False or 'random' (got {mirror!r})")
        # the random-dot paradigm of Bahl & Engert 2020: giving a coherence selects dots and,
        # unless a schedule is named, the random_dots schedule
        if stimulus is None:
            stimulus = "grating" if coherence is None else "dots"
        if coherence is None:
            coherence = 1.0
        else:
            coherence = float(coherence)
            if not 0.0 <= coherence <= 1.0:
                raise ValueError(f"coherence must be a fraction in [0, 1] (got {coherence}; 0.5 = 50 %)")
        if schedule is None and stimulus == "dots":
            schedule = "random_dots"
        self.schedule_base = Schedule.load(schedule or self.default_schedule)
        self.duration = float(duration) if duration is not None else self.schedule_base.duration
        if not self.duration > 0:
            raise ValueError(f"duration must be > 0 s (got {duration})")
        if stimulus == "grating":
            if rest_dots is not None:
                raise ValueError("rest_dots applies to the dots stimulus only (give coherence=... or stimulus='dots')")
            self.stimulus = Grating(period=period, contrast=contrast)
        elif stimulus == "dots":
            rest_dots = "incoherent" if rest_dots is None else rest_dots
            if rest_dots not in ("incoherent", "static"):
                raise ValueError(f"rest_dots must be 'incoherent' or 'static' (got {rest_dots!r})")
            rest_speed = self.schedule_base.motion_speed() if rest_dots == "incoherent" else 0.0
            self.stimulus = Dots(coherence=coherence, density=dot_density, radius=dot_radius,
                                 lifetime=dot_lifetime, rest_speed=rest_speed)
        else:
            raise ValueError(f"stimulus must be 'grating' or 'dots' (got {stimulus!r})")
        self.lock_to_heading = bool(lock_to_heading)
        self.mirror_mode = mirror
        self.start_heading = None if start_heading is None else float(start_heading)
        self.body = LarvaBody()
        n_sub = round(self.control_dt / self.body.physics_dt)
        assert abs(n_sub * self.body.physics_dt - self.control_dt) < 1e-12
        self._n_sub = int(n_sub)
        self._max_steps = int(math.ceil(self.duration / self.control_dt - 1e-9))
        self.render_mode = render_mode
        self.render_size = tuple(int(v) for v in render_size)
        self.render_view_mm = float(render_view_mm)
        self.eye_sample_points = eye_grid()
        self.eye_grid_shape = (len(EYE_GRID_Y_MM), len(EYE_GRID_X_MM))
        n_p = self.eye_sample_points.shape[1]
        self.observation_space = spaces.Dict({
            "eye_left": spaces.Box(0.0, 1.0, (n_p,), np.float32),
            "eye_right": spaces.Box(0.0, 1.0, (n_p,), np.float32),
            "tail_angles": spaces.Box(-np.pi, np.pi, (N_JOINTS,), np.float32),
            "tail_velocities": spaces.Box(-np.inf, np.inf, (N_JOINTS,), np.float32),
        })
        self.action_space = spaces.Box(0.0, 1.0, (len(MUSCLE_NAMES),), np.float32)
        self.schedule = self.schedule_base
        self.mirrored = False
        self._n = 0
        self._world_dir = 0.0  # world direction of a world-fixed stimulus (lock_to_heading=False)
        self._epoch = None

    # ----------------------------------------------------------------------------------------
    def _direction_world(self, epoch) -> float:
        d = math.radians(epoch.direction_deg)
        return self.body.heading() + d if self.lock_to_heading else self._world_dir

    def _stim_state(self):
        """Epoch now, unit direction k (world), stimulus velocity (world)."""
        t = self._n * self.control_dt
        epoch = self.schedule.at(t)
        if epoch is not self._epoch:  # a new epoch: fix the world direction if not locked
            self._world_dir = self.body.heading() + math.radians(epoch.direction_deg)
            self._epoch = epoch
        a = self._direction_world(epoch)
        k = np.array([math.cos(a), math.sin(a)])
        vel = k * epoch.speed_mm_s if epoch.motion else np.zeros(2)
        return epoch, k, vel

    def eye_points_world(self) -> np.ndarray:
        """(2, N_P, 2) world positions (mm) of the eye sample points now."""
        return self.body.fish_to_world(self.eye_sample_points)

    def _obs(self) -> dict[str, np.ndarray]:
        lum = self.stimulus.luminance(self.eye_points_world()).astype(np.float32)
        # np.maximum/np.minimum: the values of np.clip without its Python wrapper (~1 µs each)
        np.minimum(np.maximum(lum, 0.0, out=lum), 1.0, out=lum)
        ta = self.body.tail_angles()
        ta = np.minimum(np.maximum(ta, -np.pi, out=ta), np.pi, out=ta).astype(np.float32)
        return {"eye_left": lum[0], "eye_right": lum[1], "tail_angles": ta,
                "tail_velocities": self.body.tail_velocities().astype(np.float32)}

    def _info(self, stim=None) -> dict[str, Any]:
        """``stim``: ``_stim_state()`` at the current step when the caller has it already."""
        epoch, k, vel = self._stim_state() if stim is None else stim
        h = self.body.heading()
        dir_fish = math.atan2(math.sin(math.atan2(k[1], k[0]) - h), math.cos(math.atan2(k[1], k[0]) - h))
        return {
            "t": self._n * self.control_dt,
            "record": {
                "head_xy": self.body.head_position(),
                "heading": h,
                "tail_angles": self.body.tail_angles(),
                "centerline": self.body.centerline(),
                "speed": float(np.hypot(*self.body.head_velocity())),
                "motion_on": float(epoch.motion),
                "motion_direction_fish": dir_fish,
                "stimulus_velocity_world": vel,
            },
        }

    def reset(self, *, seed: int | None = None, options: dict | None = None):
        super().reset(seed=seed)
        options = options or {}
        rng = self.np_random
        pos = np.asarray(options.get("position", (0.0, 0.0)), dtype=float)
        if "heading" in options:
            heading = float(options["heading"])
        elif self.start_heading is None:
            heading = float(rng.uniform(-math.pi, math.pi))
        else:
            heading = self.start_heading
        mirror = options.get("mirror", self.mirror_mode)
        self.mirrored = bool(rng.uniform() < 0.5) if mirror == "random" else bool(mirror)
        self.schedule = self.schedule_base.mirrored() if self.mirrored else self.schedule_base
        self.body.reset(position=pos, heading=heading)
        self._n = 0
        self._epoch = None
        epoch, k, _ = self._stim_state()
        self.stimulus.reset(rng, self.body.head_position(), k)
        return self._obs(), self._info()

    def step(self, action):
        a = checked_action(action, self.action_space.shape, MUSCLE_NAMES, self._n, self._n * self.control_dt)
        try:
            self.body.step(a, self._n_sub)
        except BodyDivergedError as e:
            raise BodyDivergedError(
                f"{e} [during {self.env_id} step {self._n}, t={self._n * self.control_dt:.3f} s; "
                "the larva's physics blew up: check the action for extreme, fast-alternating input]"
            ) from e
        epoch, _, vel = self._stim_state()  # the epoch and velocity during the step that just ended
        self._n += 1
        stim = self._stim_state()
        self.stimulus.advance(self.control_dt, vel, self.body.head_position(), stim[1], motion=epoch.motion)
        truncated = bool(self._n >= self._max_steps)
        return self._obs(), 0.0, False, truncated, self._info(stim)

    # ----------------------------------------------------------------------------------------
    def task_info(self) -> dict[str, Any]:
        b = self.body
        return {
            "env_id": self.env_id,
            "task": self.task_name,
            "schedule": self.schedule.to_list(),
            "schedule_source": self.schedule_base.source.split("/tasks/")[-1],
            "mirrored": self.mirrored,
            "motion_onsets_s": self.schedule.motion_onsets(),
            "stimulus": {**self.stimulus.to_dict(), "lock_to_heading": self.lock_to_heading,
                         "direction_convention": "deg relative to the fish: 0 = forward, +90 = toward its left"},
            "duration_s": self.duration,
            "control_dt_s": self.control_dt,
            "physics_dt_s": b.physics_dt,
            "record_rate_hz": self.record_rate_hz,
            "max_steps": self._max_steps,
            "eye_sample_points_mm": self.eye_sample_points.tolist(),
            "body": {
                "name": "larva", "n_joints": N_JOINTS, "length_mm": b.length,
                "muscles": list(MUSCLE_NAMES),
                "drag": {"normal": b.drag_normal, "tangential": b.drag_tangential,
                         "frontal": b.drag_frontal, "added_mass": b.added_mass, "reactive": b.reactive},
            },
            "reward": "none (0)",
            "references": [
                "Orger et al. 2008 Nat Neurosci doi:10.1038/nn2048",
                "Bahl & Engert 2020 Nat Neurosci doi:10.1038/s41593-019-0534-9",
            ],
        }

    # ----------------------------------------------------------------------------------------
    def _decorate(self, scene: mujoco.MjvScene) -> None:
        """Draw the stimulus on the floor: dark bars (grating) or bright discs (dots)."""
        half = 0.75 * self.render_view_mm
        st = self.stimulus

        def add(gtype, size, pos, mat, rgba):
            if scene.ngeom >= scene.maxgeom:
                return
            mujoco.mjv_initGeom(scene.geoms[scene.ngeom], gtype, np.asarray(size, float),
                                np.asarray(pos, float), np.asarray(mat, float).ravel(),
                                np.asarray(rgba, np.float32))
            scene.ngeom += 1

        if isinstance(st, Grating):
            for c, ang in st.dark_bars(half):
                R = np.array([[math.cos(ang), -math.sin(ang), 0], [math.sin(ang), math.cos(ang), 0], [0, 0, 1]])
                add(mujoco.mjtGeom.mjGEOM_BOX, (st.period / 4, 2 * half, 1e-3), (c[0], c[1], 0.002), R,
                    (0.05, 0.05, 0.05, 0.85 * st.contrast))
        else:
            c0 = self.body.head_position()
            for p in st.pos:
                if np.all(np.abs(p - c0) < half):
                    add(mujoco.mjtGeom.mjGEOM_CYLINDER, (st.radius, st.radius, 1e-3), (p[0], p[1], 0.002),
                        np.eye(3), (0.95, 0.95, 0.95, 1))

    def render(self):
        if self.render_mode != "rgb_array":
            return None
        w, h = self.render_size
        return self.body.render(w, h, view_mm=self.render_view_mm, scene_callback=self._decorate)

    def close(self):
        self.body.close()


class ZebrafishSpontaneousEnv(ZebrafishOptomotorEnv):
    """Spontaneous swimming of a larval zebrafish: the optomotor env with a static grating for
    30 s (schedule ``spontaneous``; no motion epoch). Everything else as
    :class:`ZebrafishOptomotorEnv` (same observation, action, record and kwargs)."""

    env_id = SPONTANEOUS_ENV_ID
    task_name = "zebrafish/spontaneous"
    default_schedule = "spontaneous"
