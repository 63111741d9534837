"""``cgym/CElegansChemotaxis-v0``: a C. elegans body crawling on an NaCl gradient."""

from __future__ import annotations

import math
from typing import Any

import gymnasium as gym
import mujoco
import numpy as np
from gymnasium import spaces

from bodies import BodyDivergedError
from bodies.worm import MUSCLE_NAMES, WormBody
from tasks.actions import checked_action

from .arena import GRADIENT_SHAPES, ChemotaxisArena

ENV_ID = "cgym/CElegansChemotaxis-v0"


class CElegansChemotaxisEnv(gym.Env):
    """Salt chemotaxis of an adult C. elegans on an agar plate.

    A planar MuJoCo worm (:class:`bodies.worm.WormBody`, 95 body-wall muscles, resistive-force
    medium) starts near the centre of a round plate that carries an NaCl concentration field.
    The task is brain-agnostic: any controller that turns the observation into 95 muscle
    activations can be run and scored.

    **Units**: mm, s, mM (NaCl). The nose starts at ``start_position`` (default the origin, the
    plate centre) and the NaCl peak is at ``peak_position`` (default (5, 0) mm: a crawling worm
    covers ~10 mm in the default 60 s, so the peak is reachable but not by chance).

    **Gradient** (``gradient=``):

    * ``"gaussian"`` (default): ``c = baseline + (peak_concentration - baseline) *
      exp(-r² / 2 sigma²)`` with ``r`` the distance to the peak; defaults peak 100 mM,
      sigma 4 mm, baseline 0 mM (≈46 mM and ≈14 mM/mm at the start). This mimics the radial
      gradient formed by diffusion from an NaCl spot in standard plate assays
      (Pierce-Shimomura et al. 1999, J Neurosci, doi:10.1523/JNEUROSCI.19-21-09557.1999;
      Iino & Yoshida 2009, J Neurosci, doi:10.1523/JNEUROSCI.3633-08.2009). The exact
      numbers are assumptions of this task, not measured plate profiles.
    * ``"linear"``: a ramp of ``slope`` mM/mm rising along the start→peak direction, equal to
      ``peak_concentration`` at the peak (clipped at 0 mM).

    **Observation** (``Dict``, float32):

    * ``"concentration"`` Box(1,): NaCl at the nose, mM.
    * ``"dcdt"`` Box(1,): change of the nose concentration over the last control step divided
      by ``control_dt``, mM/s (0 after reset). This is what ASE-like sensors respond to.
    * ``"curvature"`` Box(N-1,): body curvature at the N-1 joints, nose to tail, 1/mm,
      positive = ventral (proprioception).
    * ``"touch"`` Box(1,) in [0, 1]: 1 when the nose is at the plate wall, falling linearly to
      0 at ``touch_distance`` mm from it.

    **Action**: Box(0, 1, (95,), float32), activations of the body-wall muscles in
    :data:`bodies.worm.MUSCLE_NAMES` order (MDL01..24, MDR01..24, MVL01..23, MVR01..24); each
    drives a first-order muscle (τ = 100 ms). Values outside [0, 1] are clipped; NaN/Inf or a
    wrong shape raises ``ValueError`` naming the step.

    **Reward**: concentration gain at the nose over the step, ``c(t+dt) - c(t)`` (mM); the
    episode return is the net concentration gain.

    **Termination**: ``terminated`` when the body centroid leaves the plate (distance from the
    plate centre > ``plate_radius``); ``truncated`` when ``duration`` seconds have elapsed
    (handled inside the env: no ``TimeLimit`` wrapper is added by registration).

    **info** (every step and after reset): ``"t"`` (s), ``"centerline"`` ((N+1, 2) float32,
    mm, nose first), ``"nose"`` ((2,) mm), ``"concentration"`` (mM), ``"distance_to_peak"``
    (nose to peak, mm). :meth:`task_info` returns a JSON-serialisable description of the
    arena, zones and timing for recorders and scorers (target zone around the peak; control
    zone mirrored through the start, for a Bargmann-style chemotaxis index).

    **Constructor kwargs**: ``gradient``, ``peak_position``, ``peak_concentration``, ``sigma``,
    ``slope``, ``baseline``, ``plate_radius``, ``start_position``, ``start_jitter`` (mm, the
    nose starts uniformly within this radius of ``start_position``), ``start_heading``
    (rad; ``None`` = uniform in [0, 2π)), ``start_curved`` (slightly curved random start
    posture), ``duration`` (s, default 60), ``control_dt`` (s, default 0.01), ``medium``
    (``"agar"``/``"water"``), ``n_segments``, ``zone_radius`` (mm), ``touch_distance`` (mm),
    ``render_mode`` (``"rgb_array"``), ``render_size`` ((width, height)), ``render_view_mm``.

    **reset options**: ``{"position": (x, y), "heading": theta}`` override the start pose.

    All randomness comes from ``self.np_random`` (seed it with ``reset(seed=...)``). A physics
    blow-up raises :class:`bodies.BodyDivergedError` with the step and time.
    """

    metadata = {"render_modes": ["rgb_array"], "render_fps": 30}

    def __init__(
        self,
        gradient: str = "gaussian",
        peak_position: tuple[float, float] = (5.0, 0.0),
        peak_concentration: float = 100.0,
        sigma: float = 4.0,
        slope: float = 10.0,
        baseline: float = 0.0,
        plate_radius: float = 30.0,
        start_position: tuple[float, float] = (0.0, 0.0),
        start_jitter: float = 0.5,
        start_heading: float | None = None,
        start_curved: bool = True,
        duration: float = 60.0,
        control_dt: float = 0.01,
        medium: str = "agar",
        n_segments: int = 24,
        zone_radius: float = 2.0,
        touch_distance: float = 0.1,
        render_mode: str | None = None,
        render_size: tuple[int, int] = (320, 240),
        render_view_mm: float = 3.0,
    ):
        if gradient not in GRADIENT_SHAPES:
            raise ValueError(f"gradient must be one of {GRADIENT_SHAPES}, got {gradient!r}")
        if render_mode is not None and render_mode not in self.metadata["render_modes"]:
            raise ValueError(f"render_mode must be None or one of {self.metadata['render_modes']}")
        if not duration > 0:
            raise ValueError(f"duration must be > 0 s (got {duration})")
        self.arena = ChemotaxisArena(
            gradient=gradient,
            peak_position=tuple(map(float, peak_position)),
            peak_concentration=float(peak_concentration),
            sigma=float(sigma),
            slope=float(slope),
            baseline=float(baseline),
            plate_radius=float(plate_radius),
            start_position=tuple(map(float, start_position)),
            zone_radius=float(zone_radius),
        )
        if np.hypot(*start_position) + start_jitter >= plate_radius:
            raise ValueError("start position (+ jitter) must lie inside the plate")
        self.body = WormBody(medium=medium, n_segments=n_segments)
        self.medium = medium
        self.start_jitter = float(start_jitter)
        self.start_heading = None if start_heading is None else float(start_heading)
        self.start_curved = bool(start_curved)
        self.duration = float(duration)
        self.touch_distance = float(touch_distance)
        n_sub = round(control_dt / self.body.physics_dt)
        if n_sub < 1 or abs(n_sub * self.body.physics_dt - control_dt) > 1e-9:
            raise ValueError(
                f"control_dt={control_dt} s must be a positive multiple of the physics step "
                f"{self.body.physics_dt} s"
            )
        self.control_dt = float(control_dt)
        self._n_sub = int(n_sub)
        self._max_steps = int(math.ceil(self.duration / self.control_dt - 1e-9))
        self.render_mode = render_mode
        self.render_size = tuple(int(v) for v in render_size)
        self.render_view_mm = float(render_view_mm)

        n_j = self.body.n_segments - 1
        kmax = math.pi / self.body.seg_length
        cmax = self.arena.max_concentration()
        self.observation_space = spaces.Dict(
            {
                "concentration": spaces.Box(0.0, cmax, (1,), np.float32),
                "dcdt": spaces.Box(-cmax / self.control_dt, cmax / self.control_dt, (1,), np.float32),
                "curvature": spaces.Box(-kmax, kmax, (n_j,), np.float32),
                "touch": spaces.Box(0.0, 1.0, (1,), np.float32),
            }
        )
        self.action_space = spaces.Box(0.0, 1.0, (len(MUSCLE_NAMES),), np.float32)
        self._c_prev = 0.0
        self._dcdt = 0.0
        self._n = 0

    # ----------------------------------------------------------------------------------------
    def concentration_at(self, points) -> np.ndarray | float:
        """NaCl (mM) at (..., 2) points in mm."""
        return self.arena.concentration(points)

    def _obs(self) -> dict[str, np.ndarray]:
        sp = self.observation_space
        nose = self.body.nose()
        touch = 1.0 - self.arena.distance_to_wall(nose) / self.touch_distance
        obs = {
            "concentration": np.array([self._c_prev], np.float32),
            "dcdt": np.array([self._dcdt], np.float32),
            "curvature": self.body.curvature().astype(np.float32),
            "touch": np.array([touch], np.float32),
        }
        for k, v in obs.items():
            np.clip(v, sp[k].low, sp[k].high, out=v)
        return obs

    def _info(self) -> dict[str, Any]:
        nose = self.body.nose()
        return {
            "t": self._n * self.control_dt,
            "centerline": self.body.centerline().astype(np.float32),
            "nose": nose,
            "concentration": float(self._c_prev),
            "distance_to_peak": float(np.hypot(*(nose - np.asarray(self.arena.peak_position)))),
        }

    def reset(self, *, seed: int | None = None, options: dict | None = None):
        super().reset(seed=seed)
        options = options or {}
        rng = self.np_random
        if "position" in options:
            pos = np.asarray(options["position"], dtype=float)
        else:
            r = self.start_jitter * math.sqrt(rng.uniform())
            a = rng.uniform(0.0, 2 * math.pi)
            pos = np.asarray(self.arena.start_position) + r * np.array([math.cos(a), math.sin(a)])
        if "heading" in options:
            heading = float(options["heading"])
        elif self.start_heading is None:
            heading = float(rng.uniform(0.0, 2 * math.pi))
        else:
            heading = self.start_heading
        self.body.reset(position=pos, heading=heading, rng=rng if self.start_curved else None)
        self._n = 0
        self._c_prev = float(self.arena.concentration(self.body.nose()))
        self._dcdt = 0.0
        return self._obs(), self._info()

    def step(self, action):
        a = checked_action(action, self.action_space.shape, MUSCLE_NAMES, self._n, self._n * self.control_dt)
        try:
            self.body.step(a, self._n_sub)
        except BodyDivergedError as e:
            raise BodyDivergedError(
                f"{e} [during {ENV_ID} step {self._n}, t={self._n * self.control_dt:.3f} s, medium={self.medium}]"
            ) from e
        self._n += 1
        c = float(self.arena.concentration(self.body.nose()))
        reward = c - self._c_prev
        self._dcdt = reward / self.control_dt
        self._c_prev = c
        terminated = bool(self.arena.distance_to_wall(self.body.centroid()) < 0.0)
        truncated = bool(self._n >= self._max_steps) and not terminated
        return self._obs(), float(reward), terminated, truncated, self._info()

    # ----------------------------------------------------------------------------------------
    def task_info(self) -> dict[str, Any]:
        """JSON-serialisable description of the arena, zones, timing and body."""
        b = self.body
        arena = self.arena.to_dict()
        zones = arena.get("zones", {})
        return {
            # flat keys: the contract read by tasks.chemotaxis.features and the scorer's plots
            "peak": list(map(float, arena["peak_position"])),
            "target_zone": zones["target"],
            "control_zone": zones["control"],
            "start": list(map(float, self.arena.start_position)),
            "plate_radius": float(arena["plate_radius"]),
            "gradient": arena.get("gradient", {}),
            "env_id": ENV_ID,
            "task": "celegans/chemotaxis",
            "arena": self.arena.to_dict(),
            "start_pose": {
                "position": list(map(float, self.arena.start_position)),
                "jitter_radius": self.start_jitter,
                "heading": "uniform[0, 2pi)" if self.start_heading is None else self.start_heading,
                "curved": self.start_curved,
            },
            "duration_s": self.duration,
            "control_dt_s": self.control_dt,
            "max_steps": self._max_steps,
            "physics_dt_s": b.physics_dt,
            "medium": self.medium,
            "touch_distance_mm": self.touch_distance,
            "body": {
                "name": "worm",
                "n_segments": b.n_segments,
                "length_mm": b.length,
                "mass_scale": b.mass_scale,
                "drag_per_length": {"c_n": b.c_n, "c_t": b.c_t, "units": "mg/(mm*s)"},
                "muscles": list(MUSCLE_NAMES),
            },
            "reward": "concentration gain at the nose per step (mM)",
            "references": [
                "Pierce-Shimomura et al. 1999 J Neurosci doi:10.1523/JNEUROSCI.19-21-09557.1999",
                "Iino & Yoshida 2009 J Neurosci doi:10.1523/JNEUROSCI.3633-08.2009",
                "Bargmann & Horvitz 1991 Neuron doi:10.1016/0896-6273(91)90276-6 (chemotaxis index)",
            ],
        }

    # ----------------------------------------------------------------------------------------
    def _decorate(self, scene: mujoco.MjvScene) -> None:
        """Draw the NaCl field as translucent iso-concentration discs, zones and a peak arrow."""
        ar = self.arena
        z = 0.001

        def disc(center, radius, rgba):
            if scene.ngeom >= scene.maxgeom:
                return
            g = scene.geoms[scene.ngeom]
            mujoco.mjv_initGeom(
                g, mujoco.mjtGeom.mjGEOM_CYLINDER, np.array([radius, radius, 1e-4]),
                np.array([center[0], center[1], z]), np.eye(3).ravel(), np.asarray(rgba, np.float32),
            )
            scene.ngeom += 1

        if ar.gradient == "gaussian":
            for q in (0.9, 0.75, 0.5, 0.25, 0.1):
                r = ar.sigma * math.sqrt(-2 * math.log(q))
                disc(ar.peak_position, r, (0.2, 0.5, 0.9, 0.15))
        disc(ar.target_zone, ar.zone_radius, (0.2, 0.8, 0.3, 0.25))
        disc(ar.control_zone, ar.zone_radius, (0.6, 0.6, 0.6, 0.25))
        if scene.ngeom < scene.maxgeom:
            c = self.body.centroid()
            d = np.asarray(ar.peak_position) - c
            n = float(np.hypot(*d))
            if n > 1e-6:
                L = 0.3 * self.render_view_mm
                end = c + d / n * L
                # mjv_connector sets only the shape fields: initialise the slot first (a slot
                # left with stale material/texture ids segfaulted the OSMesa renderer)
                mujoco.mjv_initGeom(scene.geoms[scene.ngeom], mujoco.mjtGeom.mjGEOM_ARROW,
                                    np.zeros(3), np.zeros(3), np.eye(3).ravel(),
                                    np.ones(4, np.float32))
                mujoco.mjv_connector(
                    scene.geoms[scene.ngeom], mujoco.mjtGeom.mjGEOM_ARROW, 0.01,
                    np.array([c[0], c[1], 0.1]), np.array([end[0], end[1], 0.1]),
                )
                scene.geoms[scene.ngeom].rgba[:] = (0.2, 0.5, 0.9, 0.8)
                scene.ngeom += 1

    def render(self):
        if self.render_mode != "rgb_array":
            return None
        w, h = self.render_size
        return self.body.render(w, h, view_mm=self.render_view_mm, scene_callback=self._decorate)

    def close(self):
        self.body.close()
