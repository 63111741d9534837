"""A planar MuJoCo body of an adult C. elegans hermaphrodite lying on its side.

See ``bodies/worm/README.md`` for geometry, units, parameters and their sources, and for the
measured calibration and stability figures.

Conventions
-----------
* Units: millimetre, milligram, second. Force unit mg·mm/s² = 1 nN; torque unit nN·mm.
* The worm lies on its side on the agar, so dorsal/ventral bending happens in the XY plane.
* The chain runs from the nose (root body, ``seg00``) to the tail. Every segment extends along
  its own local −x axis, so the nose points along the head segment's +x axis (``heading``).
* Joint ``j`` (1..N−1) joins segment ``j−1`` (anterior) and segment ``j`` (posterior); its
  hinge angle ``q_j`` is the turn of the tangent between them, and the curvature at the joint is
  ``q_j / l`` (l = segment length). **Positive curvature = ventral bend.** The ventral side is
  the local −y side of each segment (the concave side when ``q > 0``).
* Muscles: ctrl in [0, 1] = activation command of the 95 body-wall muscles in
  :data:`MUSCLE_NAMES` order. Left and right muscles of a side act the same in this planar body.
"""

from __future__ import annotations

import math
from typing import Callable

import mujoco
import numpy as np

from .. import BodyDivergedError, offscreen
from ..divergence import check_state
from ..scene import planar_scene_mjcf

# --------------------------------------------------------------------------------------------
# Muscles
# --------------------------------------------------------------------------------------------

#: The 95 body-wall muscles, in the order of the action vector (MVL24 does not exist).
MUSCLE_NAMES: tuple[str, ...] = (
    tuple(f"MDL{i:02d}" for i in range(1, 25))
    + tuple(f"MDR{i:02d}" for i in range(1, 25))
    + tuple(f"MVL{i:02d}" for i in range(1, 24))
    + tuple(f"MVR{i:02d}" for i in range(1, 25))
)
N_MUSCLES = len(MUSCLE_NAMES)  # 95
N_MUSCLE_ROWS = 24

# --------------------------------------------------------------------------------------------
# Parameters (mm, mg, s). Sources and reasoning in README.md.
# --------------------------------------------------------------------------------------------

BODY_LENGTH_MM = 1.0  # adult N2 ~1 mm (Boyle, Berri & Cohen 2012, "BBC")
BODY_RADIUS_MM = 0.04  # max radius, 80 µm diameter (BBC R_min = 40 µm)
TISSUE_DENSITY = 1.0  # mg/mm³ (≈ water)
# Resistive-force-theory coefficients per unit length, mg/(mm·s) (= 1e-3 kg/(m·s)).
# BBC Table: agar C_par = 3.2e-3 kg/s, C_perp = 128e-3 kg/s for the whole 1 mm worm;
# water C_par = 3.3e-6 kg/s, C_perp = 5.2e-6 kg/s.
MEDIA: dict[str, dict[str, float]] = {
    "agar": {"c_t": 3.2e3, "c_n": 128e3},  # K = c_n/c_t = 40
    "water": {"c_t": 3.3, "c_n": 5.2},  # K ≈ 1.6
}
# Bending stiffness EI (mg·mm³/s²; 1 mg·mm³/s² = 1e-15 N·m²). 5e-14 N·m² is inside the
# published range (~1e-15 .. 1e-12 N·m²) and makes the agar load comparable to the elastic load
# at the crawling wavelength (Fang-Yen et al. 2010) while swimming is elasticity-dominated.
BENDING_STIFFNESS = 50.0
# Numerical internal (Kelvin-Voigt) viscosity: joint damping = EI/l * INTERNAL_TAU.
INTERNAL_TAU_S = 0.01
# Muscle activation time constant (first-order filter), s; BBC use τ_M = 0.1 s.
MUSCLE_TAU_S = 0.1
# Peak force of one muscle quadrant at activation 1 (nN). Chosen so that full, sustained
# activation of both ventral quadrants bends the body statically to κ = 2·F·r/EI = 10 mm⁻¹.
MUSCLE_FORCE = 10.0 * BENDING_STIFFNESS / (2 * BODY_RADIUS_MM)  # 6250 nN
# Mass scale: the explicit RFT drag needs dt < 2 m/c; we raise segment mass so that the
# inertial time m/(c_n l) equals INERTIA_STEPS physics steps (README: invariance figures).
INERTIA_STEPS = 4.0
#: default MuJoCo step per medium, s (water: 1 ms keeps the swim speed within ~4% of the
#: dt -> 0 limit; agar is insensitive to dt up to 10 ms; README "Time step").
DEFAULT_PHYSICS_DT = {"agar": 0.002, "water": 0.001}

# divergence guards
_MAX_SPEED = 1e3  # mm/s for any segment (the real worm moves at ~0.2-0.5 mm/s)
_MAX_POS = 1e4  # mm


def _hat(x: np.ndarray, h: float) -> np.ndarray:
    return np.clip(1.0 - np.abs(x) / h, 0.0, None)


class WormBody(offscreen.OwnsRenderer):
    """C. elegans body: N capsules in a planar chain, 95 muscles, resistive-force medium.

    Parameters
    ----------
    medium: ``"agar"`` (crawling, K = c_n/c_t = 40) or ``"water"`` (swimming, K ≈ 1.6).
    n_segments: number of rigid segments (>= 12; default 24, one per muscle row).
    mass_scale: factor on the real segment mass (None: chosen so that the inertial time
        m/(c_n·l) is ``INERTIA_STEPS`` physics steps; the body is overdamped either way).
    physics_dt: MuJoCo time step in s (default: 2 ms on agar, 1 ms in water).
    length: body length in mm (default 1.0).
    drag_ratio: override the medium's c_n/c_t (keeps c_n; a calibration knob).
    """

    def __init__(
        self,
        medium: str = "agar",
        n_segments: int = 24,
        mass_scale: float | None = None,
        physics_dt: float | None = None,
        length: float = BODY_LENGTH_MM,
        drag_ratio: float | None = None,
    ):
        if medium not in MEDIA:
            raise ValueError(f"unknown medium {medium!r}; choose one of {sorted(MEDIA)}")
        if physics_dt is None:
            physics_dt = DEFAULT_PHYSICS_DT[medium]
        n_segments = int(n_segments)
        if n_segments < 12:
            raise ValueError(f"n_segments must be >= 12 (got {n_segments})")
        if not (physics_dt > 0 and math.isfinite(physics_dt)):
            raise ValueError(f"physics_dt must be a positive number of seconds (got {physics_dt})")
        self.medium = medium
        self.n_segments = N = n_segments
        self.length = float(length)
        self.seg_length = l = self.length / N
        self.physics_dt = float(physics_dt)
        c_n = MEDIA[medium]["c_n"]
        c_t = MEDIA[medium]["c_t"] if drag_ratio is None else c_n / float(drag_ratio)
        self.c_n, self.c_t = float(c_n), float(c_t)  # per unit length, mg/(mm·s)

        # geometry: prolate taper (BBC), radius at segment centres, for display only
        s_mid = (np.arange(N) + 0.5) * l
        half = self.length / 2
        self.radii = BODY_RADIUS_MM * np.sqrt(
            np.clip(1.0 - ((s_mid - half) / (half + 0.25 * l)) ** 2, 0.02, 1.0)
        )
        # mass: real tissue mass of the tapered body, shared equally by the segments
        real_mass = TISSUE_DENSITY * math.pi * float(np.sum(self.radii**2)) * l / N
        if mass_scale is None:
            mass_scale = max(1.0, INERTIA_STEPS * self.physics_dt * self.c_n * l / real_mass)
        if not (mass_scale > 0 and math.isfinite(mass_scale)):
            raise ValueError(f"mass_scale must be positive (got {mass_scale})")
        self.mass_scale = float(mass_scale)
        self.seg_mass = real_mass * self.mass_scale
        self.inertial_time = self.seg_mass / (self.c_n * l)  # s
        self.joint_stiffness = BENDING_STIFFNESS / l  # nN·mm/rad
        self.joint_damping = self.joint_stiffness * INTERNAL_TAU_S

        self.model = mujoco.MjModel.from_xml_string(self._mjcf())
        self.data = mujoco.MjData(self.model)
        m = self.model
        self._seg_ids = np.array(
            [mujoco.mj_name2id(m, mujoco.mjtObj.mjOBJ_BODY, f"seg{i:02d}") for i in range(N)]
        )
        self._root_id = int(self._seg_ids[0])
        self._hinge_qpos = np.array(
            [m.jnt_qposadr[mujoco.mj_name2id(m, mujoco.mjtObj.mjOBJ_JOINT, f"j{j:02d}")] for j in range(1, N)]
        )
        self._act_ids = np.array(
            [mujoco.mj_name2id(m, mujoco.mjtObj.mjOBJ_ACTUATOR, n) for n in MUSCLE_NAMES]
        )
        assert np.array_equal(self._act_ids, np.arange(N_MUSCLES)), "actuator order"
        self._rot_drag = self.c_n * l**3 / 12.0  # about the segment centre, nN·mm·s
        self._cnl = self.c_n * l
        self._dcoef = (self.c_n - self.c_t) * l
        assert np.array_equal(self._seg_ids, np.arange(self._root_id, self._root_id + N))
        self._segs = slice(self._root_id, self._root_id + N)
        self._warn0 = self.data.warning.number.copy()
        self.reset()

    # ----------------------------------------------------------------------------------------
    # model
    # ----------------------------------------------------------------------------------------
    def _muscle_weights(self) -> tuple[np.ndarray, np.ndarray]:
        """(24, N-1) hat-function overlap of each muscle row with each joint, and row centres.

        Muscle rows are spread evenly along the body; row i (1..24) is centred at
        (i-0.5)·L/24 and spans ±max(L/24, l). The hats form a partition of unity, so uniform
        activation of a quadrant gives the same bending moment F·r at every joint.
        """
        N, l, L = self.n_segments, self.seg_length, self.length
        s_joint = np.arange(1, N) * l
        centres = (np.arange(N_MUSCLE_ROWS) + 0.5) * L / N_MUSCLE_ROWS
        h = max(L / N_MUSCLE_ROWS, l)
        w = _hat(s_joint[None, :] - centres[:, None], h)
        return w, centres

    def _mjcf(self) -> str:
        N, l = self.n_segments, self.seg_length
        I_z = self.seg_mass * (l**2 / 12 + BODY_RADIUS_MM**2 / 4)
        I_x = self.seg_mass * BODY_RADIUS_MM**2 / 2
        inertial = (
            f'<inertial pos="{-l / 2:.9g} 0 0" mass="{self.seg_mass:.9g}" '
            f'diaginertia="{I_x:.9g} {I_z:.9g} {I_z:.9g}"/>'
        )
        bodies = []
        for i in range(N):
            rgba = "0.85 0.55 0.45 1" if i == 0 else "0.9 0.82 0.7 1"
            geom = (
                f'<geom name="g{i:02d}" type="capsule" fromto="0 0 0 {-l:.9g} 0 0" '
                f'size="{self.radii[i]:.9g}" rgba="{rgba}"/>'
            )
            if i == 0:
                joints = (
                    '<joint name="root_x" type="slide" axis="1 0 0"/>'
                    '<joint name="root_y" type="slide" axis="0 1 0"/>'
                    '<joint name="root_yaw" type="hinge" axis="0 0 1"/>'
                )
                bodies.append(f'<body name="seg00" pos="0 0 {BODY_RADIUS_MM}">{joints}{inertial}{geom}')
            else:
                joint = (
                    f'<joint name="j{i:02d}" type="hinge" axis="0 0 1" '
                    f'stiffness="{self.joint_stiffness:.9g}" damping="{self.joint_damping:.9g}"/>'
                )
                bodies.append(f'<body name="seg{i:02d}" pos="{-l:.9g} 0 0">{joint}{inertial}{geom}')
        chain = "".join(bodies) + "</body>" * N

        w, _ = self._muscle_weights()
        r = BODY_RADIUS_MM  # moment arm: muscles lie under the cuticle
        tendons, actuators = [], []
        for name in MUSCLE_NAMES:
            row = int(name[3:]) - 1
            sign = -1.0 if name[1] == "D" else 1.0  # dorsal bends negative (dorsal), ventral positive
            js = np.nonzero(w[row] > 0)[0]
            parts = "".join(
                f'<joint joint="j{j + 1:02d}" coef="{sign * r * w[row, j]:.9g}"/>' for j in js
            )
            tendons.append(f'<fixed name="{name}">{parts}</fixed>')
            actuators.append(
                f'<general name="{name}" tendon="{name}" dyntype="filter" dynprm="{MUSCLE_TAU_S}" '
                f'gaintype="fixed" gainprm="{MUSCLE_FORCE:.9g}" biastype="none" '
                f'ctrllimited="true" ctrlrange="0 1"/>'
            )
        return planar_scene_mjcf("c_elegans_worm", self.physics_dt, chain, "".join(actuators),
                                 tendons="".join(tendons), extent=40.0, texrepeat=80.0,
                                 rgb=("0.20 0.22 0.25", "0.24 0.26 0.29"), material="agar",
                                 znear=0.001, zfar=500)

    # ----------------------------------------------------------------------------------------
    # state
    # ----------------------------------------------------------------------------------------
    @property
    def time(self) -> float:
        return float(self.data.time)

    def reset(
        self,
        position: tuple[float, float] = (0.0, 0.0),
        heading: float = 0.0,
        rng: np.random.Generator | None = None,
        curvature: np.ndarray | float | None = None,
    ) -> None:
        """Put the nose at ``position`` (mm) pointing along ``heading`` (rad), at rest.

        The body is straight, or gently curved when ``rng`` is given (random joint curvatures,
        |κ| < 1 mm⁻¹), or has the joint curvatures ``curvature`` (1/mm, scalar or (N-1,)).
        Muscle activations are zeroed.
        """
        mujoco.mj_resetData(self.model, self.data)
        qpos = self.data.qpos
        qpos[0], qpos[1], qpos[2] = float(position[0]), float(position[1]), float(heading)
        if curvature is not None:
            kappa = np.broadcast_to(np.asarray(curvature, dtype=float), (self.n_segments - 1,))
            qpos[self._hinge_qpos] = kappa * self.seg_length
        elif rng is not None:
            kappa = rng.uniform(-1.0, 1.0) * np.sin(
                2 * np.pi * np.arange(1, self.n_segments) / (self.n_segments - 1) + rng.uniform(0, 2 * np.pi)
            )
            qpos[self._hinge_qpos] = kappa * self.seg_length
        if not np.all(np.isfinite(qpos)):
            raise ValueError(f"reset: non-finite pose (position={position}, heading={heading})")
        mujoco.mj_forward(self.model, self.data)
        self._warn0 = self.data.warning.number.copy()

    # ----------------------------------------------------------------------------------------
    # dynamics
    # ----------------------------------------------------------------------------------------
    def _apply_medium(self) -> None:
        """Resistive force theory on every segment (vectorised), into data.xfrc_applied.

        F = -(c_t l v_t t + c_n l v_n n) at each segment's centre of mass, plus a rotational
        drag torque -c_n l³/12 ω_z (a rod spinning about its centre). Planar: x, y, yaw only.
        """
        d, s = self.data, self._segs
        cv = d.cvel[s]  # [ω, v] about the root subtree CoM, world axes (views, no copies)
        c = d.subtree_com[self._root_id]
        wz = cv[:, 2]
        vx = cv[:, 3] - wz * (d.xipos[s, 1] - c[1])
        vy = cv[:, 4] + wz * (d.xipos[s, 0] - c[0])
        tx, ty = d.xmat[s, 0], d.xmat[s, 3]  # segment axis in world
        vt = (vx * tx + vy * ty) * self._dcoef  # (c_n - c_t) l v_t
        xf = d.xfrc_applied
        xf[s, 0] = vt * tx - self._cnl * vx
        xf[s, 1] = vt * ty - self._cnl * vy
        xf[s, 5] = -self._rot_drag * wz

    def _validate_activation(self, activation) -> np.ndarray:
        a = np.asarray(activation, dtype=float)
        if a.shape != (N_MUSCLES,):
            raise ValueError(f"activation must have shape ({N_MUSCLES},) in MUSCLE_NAMES order, got {a.shape}")
        bad = ~np.isfinite(a)
        if bad.any():
            names = [MUSCLE_NAMES[i] for i in np.nonzero(bad)[0][:5]]
            raise ValueError(f"activation contains NaN/Inf at t={self.time:.4f} s (muscles {names}...)")
        return np.clip(a, 0.0, 1.0)

    def step(self, activation, n_steps: int = 1) -> None:
        """Set the muscle commands (95,) in [0, 1] and advance ``n_steps`` physics steps."""
        self.data.ctrl[:] = self._validate_activation(activation)
        m, d = self.model, self.data
        for _ in range(int(n_steps)):
            mujoco.mj_step1(m, d)
            self._apply_medium()
            mujoco.mj_step2(m, d)
        self._check()

    def _check(self) -> None:
        d = self.data
        check_state("worm", d, self._warn0, self.time, "MuJoCo reset the state; is physics_dt too large for mass_scale?")
        qv = d.qvel
        speed = max(abs(qv[0]), abs(qv[1])) + float(np.abs(qv[2:]).max()) * self.length
        if speed > _MAX_SPEED:
            raise BodyDivergedError(
                f"worm body diverged at t={self.time:.4f} s: velocity {speed:.3g} mm/s exceeds {_MAX_SPEED:g}"
            )
        if max(abs(d.qpos[0]), abs(d.qpos[1])) > _MAX_POS:
            raise BodyDivergedError(f"worm body diverged at t={self.time:.4f} s: position {d.qpos[:2]} mm")

    # ----------------------------------------------------------------------------------------
    # sensors (computed from the state; cheap)
    # ----------------------------------------------------------------------------------------
    def nose(self) -> np.ndarray:
        """Nose tip position (2,) in mm."""
        return self.data.xpos[self._root_id, :2].copy()

    def heading(self) -> float:
        """Direction the nose points, rad (angle of the head segment's axis)."""
        xm = self.data.xmat[self._root_id]
        return float(math.atan2(xm[3], xm[0]))

    def centerline(self) -> np.ndarray:
        """(N+1, 2) points along the body axis in mm, nose first, tail tip last."""
        d, ids = self.data, self._seg_ids
        pts = np.empty((self.n_segments + 1, 2))
        pts[:-1] = d.xpos[ids, :2]
        last = ids[-1]
        pts[-1] = d.xpos[last, :2] - self.seg_length * d.xmat[last, [0, 3]]
        return pts

    def centroid(self) -> np.ndarray:
        """Mean of the segment centres, (2,) mm."""
        return self.data.xipos[self._seg_ids, :2].mean(axis=0)

    def curvature(self) -> np.ndarray:
        """(N-1,) signed curvature at the joints, 1/mm, nose to tail; positive = ventral."""
        return self.data.qpos[self._hinge_qpos] / self.seg_length

    def muscle_activation(self) -> np.ndarray:
        """(95,) current (filtered) muscle activation, MUSCLE_NAMES order."""
        return self.data.act.copy()

    # ----------------------------------------------------------------------------------------
    # rendering
    # ----------------------------------------------------------------------------------------
    def render(
        self,
        width: int = 320,
        height: int = 240,
        view_mm: float = 2.0,
        scene_callback: Callable[[mujoco.MjvScene], None] | None = None,
    ) -> np.ndarray:
        """RGB uint8 (height, width, 3) top-down view following the worm (``view_mm`` across).

        ``scene_callback(scene)`` may add decoration geoms (e.g. a task's stimulus). Needs an
        offscreen GL (``MUJOCO_GL=egl`` or ``osmesa``).
        """
        renderer = self.offscreen_renderer(width, height)
        return renderer.top_down(self.data, self.centroid(), view_mm, scene_callback)

