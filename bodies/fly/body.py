"""The flybody fruit fly (``fruitfly_v2``, Vaxenburg et al. 2025) standing on a floor.

The model file ships in the ``dm-control`` package (Apache-2.0) and is loaded with plain
``mujoco`` through :class:`mujoco.MjSpec`; the edits made here are listed in
``bodies/fly/README.md`` (wings removed, mouth/abdomen/halteres rigid, antennae passive and
sensed, air off, a floor, a larger time step).

Conventions
-----------
* Units are the model's own: **cm, g, s** (gravity 981 cm/s²; force unit dyn = 10 µN).
  The thorax frame has +x forward (head), +y left, +z up (dorsal).
* Action: ``(n_act,)`` in [-1, 1], one value per actuator in :data:`ACTUATOR_NAMES` order.
  Position actuators (head and legs): the value is a joint-angle target mapped piecewise
  linearly onto the actuator's ctrlrange with **0 → the rest pose** (all joint angles 0 = the
  flybody standing pose), -1 → the lower and +1 → the upper end of the ctrlrange. Adhesion
  actuators (one per claw): linear [-1, 1] → [0, 1] of the adhesion gain.
* Antennae are passive (no actuator): each antennal joint is a spring of the same stiffness as
  the position servo flybody puts there (so its passive mechanics at rest are unchanged).
  :meth:`antenna_deflection` is the rotation of the antennal ``extend`` joint from rest (what
  Johnston's organ in the second antennal segment senses); :meth:`apply_antenna_torque`
  deflects it (the task's "puff"/probe stimulus).
* :meth:`antenna_contact` is the summed normal contact force (µN) between the collision geoms
  of the two forelegs (tibia, tarsus, claw) and the collision capsule of each antenna.
"""

from __future__ import annotations

import importlib.util
import math
from pathlib import Path
from typing import Callable

import mujoco
import numpy as np

from .. import BodyDivergedError, offscreen

SIDES = ("left", "right")
LEGS = tuple(f"T{s}_{side}" for s in (1, 2, 3) for side in SIDES)  # T1_left, T1_right, ...
#: per-leg position actuators (joint transmission), proximal to distal
LEG_DOFS = ("coxa_abduct", "coxa_twist", "coxa", "femur_twist", "femur", "tibia", "tarsus")
HEAD_ACTUATORS = ("head_abduct", "head_twist", "head")
#: actuators the body exposes, in action order: head (3), 6 legs × 7 joints (+ the tarsal tendon
#: of each leg), then 6 claw adhesion actuators
ACTUATOR_NAMES: tuple[str, ...] = (
    HEAD_ACTUATORS
    + tuple(f"{dof}_{leg}" for leg in LEGS for dof in LEG_DOFS + ("tarsus2",))
    + tuple(f"adhere_claw_{leg}" for leg in LEGS)
)
#: leg joints observed as proprioception (the joints the leg position actuators drive)
JOINT_NAMES: tuple[str, ...] = tuple(f"{dof}_{leg}" for leg in LEGS for dof in LEG_DOFS)
ANTENNA_JOINTS = {side: f"antenna_{side}" for side in SIDES}  # the 'extend' joint (JO)
#: stiffness of the passive antennal joints = gain of flybody's antenna position servo
ANTENNA_STIFFNESS = 0.01  # dyn·cm/rad
DYN_TO_UN = 10.0  # 1 dyn = 1e-5 N = 10 µN

DEFAULT_PHYSICS_DT = 2e-4  # s (flybody: 1e-4; README "Time step" for the check at 2e-4)
SPAWN_HEIGHT = 0.1278  # cm, flybody's walker spawn height (thorax origin above the floor)

_MAX_SPEED = 1e3  # cm/s for the thorax (a walking fly moves at ~2-3 cm/s)


def flybody_xml_path() -> Path:
    """Path of ``fruitfly.xml`` inside the installed ``dm_control`` package."""
    spec = importlib.util.find_spec("dm_control")
    if spec is None or not spec.submodule_search_locations:
        raise ImportError(
            "the fly body needs the flybody model shipped in dm-control: "
            "pip install 'connectome-gym[fly]' (dm-control==1.0.50, mujoco<4)"
        )
    path = Path(list(spec.submodule_search_locations)[0]) / "locomotion/walkers/assets/fruitfly_v2/fruitfly.xml"
    if not path.is_file():
        raise FileNotFoundError(f"flybody model not found at {path} (dm-control version without fruitfly_v2?)")
    return path


# collision bits
_FLOOR, _FORELEG = 1, 4


def build_spec(physics_dt: float = DEFAULT_PHYSICS_DT) -> mujoco.MjSpec:
    """Load flybody's ``fruitfly.xml`` and apply this project's edits (README: "Changes")."""
    spec = mujoco.MjSpec.from_file(str(flybody_xml_path()))
    spec.modelname = "fruitfly_v2_cgym"
    # 1. wings: removed (grooming and walking do not use them; 6 DOF and their actuators go)
    for w in ("wing_left", "wing_right"):
        spec.delete(spec.body(w))
    # 2. abdomen, mouthparts and halteres rigid: their joints, tendons and actuators go
    for a in list(spec.actuators):
        if a.name.startswith("abdomen"):
            spec.delete(a)
    for t in ("abduct_abdomen", "abdomen"):
        spec.delete(spec.tendon(t))
    rigid = [j for j in spec.joints if j.name.startswith(("abdomen", "rostrum", "haustellum", "labrum", "haltere"))]
    for a in list(spec.actuators):
        if a.name.startswith(("rostrum", "haustellum", "labrum", "adhere_labrum")):
            spec.delete(a)
    for j in rigid:
        spec.delete(j)
    # 3. antennae passive: servo replaced by an equal joint spring around the rest angle 0
    for a in list(spec.actuators):
        if a.name.startswith("antenna"):
            spec.delete(a)
    for j in spec.joints:
        if j.name.startswith("antenna"):
            j.stiffness = [ANTENNA_STIFFNESS, 0.0, 0.0]
            j.springref = 0.0
    # 4. collisions filtered to what the tasks need: every collision geom touches the floor; the
    #    forelegs also touch the antennae (grooming); no other self-collision. The head's
    #    collision ellipsoid is coarse (it reaches the antennal bases and blocked the grooming
    #    sweep), so forelegs pass through it.
    for g in spec.geoms:
        if g.contype == 0 and g.conaffinity == 0:
            continue  # visual mesh
        name = g.name or ""
        if "_T1_" in name and name.startswith(("tibia", "tarsus", "tarsal_claw")):
            g.contype, g.conaffinity = _FORELEG, _FLOOR
        elif g.parent.name in ("antenna_left", "antenna_right"):
            g.contype, g.conaffinity = 0, _FLOOR | _FORELEG
        else:
            g.contype, g.conaffinity = 0, _FLOOR
    # 5. no air: the fluid model only matters for flight and costs time
    spec.option.density = 0.0
    spec.option.viscosity = 0.0
    spec.option.noslip_iterations = 0
    spec.option.timestep = float(physics_dt)
    # 6. a floor the claws adhere to
    spec.worldbody.add_geom(
        name="floor", type=mujoco.mjtGeom.mjGEOM_PLANE, size=[10, 10, 0.1],
        rgba=[0.35, 0.45, 0.55, 1], friction=[1.0, 0.005, 0.0001], contype=_FLOOR, conaffinity=0,
    )
    spec.worldbody.add_light(name="top", pos=[0, 0, 3], dir=[0, 0, -1], diffuse=[0.6, 0.6, 0.6])
    return spec


class FlyBody(offscreen.OwnsRenderer):
    """Adult Drosophila (flybody ``fruitfly_v2``) standing on a floor with claw adhesion.

    Parameters
    ----------
    physics_dt: MuJoCo time step, s (default 0.2 ms; flybody's own is 0.1 ms).
    """

    def __init__(self, physics_dt: float = DEFAULT_PHYSICS_DT):
        if not (physics_dt > 0 and math.isfinite(physics_dt)) or physics_dt > 1e-3:
            raise ValueError(f"physics_dt must be in (0, 1e-3] s (got {physics_dt})")
        self.physics_dt = float(physics_dt)
        self.spec = build_spec(self.physics_dt)
        self.model = m = self.spec.compile()
        self.data = mujoco.MjData(m)
        names = [m.actuator(i).name for i in range(m.nu)]
        missing = [n for n in ACTUATOR_NAMES if n not in names]
        if missing:
            raise RuntimeError(f"flybody model lacks actuators {missing[:5]} (dm-control version?)")
        # actuator order of the model must be ACTUATOR_NAMES order (we address ctrl by index)
        self._act_ids = np.array([m.actuator(n).id for n in ACTUATOR_NAMES])
        self.actuator_names = ACTUATOR_NAMES
        self.joint_names = JOINT_NAMES
        lo, hi = m.actuator_ctrlrange[self._act_ids].T
        adhesion = np.array([n.startswith("adhere") for n in ACTUATOR_NAMES])
        rest = np.where(adhesion, 0.5 * (lo + hi), np.clip(0.0, lo, hi))
        self._ctrl_lo, self._ctrl_hi, self._ctrl_rest = lo.copy(), hi.copy(), rest
        self.is_adhesion = adhesion
        self._jq = np.array([m.jnt_qposadr[m.joint(n).id] for n in JOINT_NAMES])
        self._jv = np.array([m.jnt_dofadr[m.joint(n).id] for n in JOINT_NAMES])
        self._ant_q = np.array([m.jnt_qposadr[m.joint(ANTENNA_JOINTS[s]).id] for s in SIDES])
        self._ant_v = np.array([m.jnt_dofadr[m.joint(ANTENNA_JOINTS[s]).id] for s in SIDES])
        self._thorax = m.body("thorax").id
        self._tips = np.array([m.body(f"claw_{leg}").id for leg in LEGS])
        # contact sensing: foreleg geoms vs each antenna's collision capsule
        fore = []
        for side in SIDES:
            for part in ("tibia", "tarsus", "tarsus2", "tarsus3", "tarsus4"):
                fore.append(m.geom(f"{part}_T1_{side}_collision").id)
            fore.append(m.geom(f"tarsal_claw_T1_{side}_collision").id)
        self._foreleg_geoms = frozenset(fore)
        self._foreleg_side = {g: (0 if m.geom(g).name.endswith("_left_collision") else 1) for g in fore}
        self._antenna_geom = {m.geom(f"antenna_{s}_collision").id: k for k, s in enumerate(SIDES)}
        self._force6 = np.zeros(6)
        self.mass = float(m.body_subtreemass[self._thorax])  # g
        self.reset()

    # ----------------------------------------------------------------------------------------
    @property
    def time(self) -> float:
        return float(self.data.time)

    @property
    def n_act(self) -> int:
        return len(ACTUATOR_NAMES)

    def reset(self, position=(0.0, 0.0), heading: float = 0.0) -> None:
        """Rest pose (all joint angles 0, flybody's standing pose), feet on the floor, adhesion on."""
        m, d = self.model, self.data
        mujoco.mj_resetData(m, d)
        if not all(map(math.isfinite, (*position, heading))):
            raise ValueError(f"reset: non-finite pose (position={position}, heading={heading})")
        d.qpos[0:2] = position
        d.qpos[2] = SPAWN_HEIGHT
        d.qpos[3:7] = (math.cos(heading / 2), 0.0, 0.0, math.sin(heading / 2))
        mujoco.mj_kinematics(m, d)
        zmin = min(
            d.geom_xpos[g, 2] - m.geom_rbound[g]
            for g in range(m.ngeom)
            if m.geom_contype[g] and m.geom_bodyid[g] > 0
        )
        d.qpos[2] -= zmin  # lowest collision geom touches the floor
        self.set_action(np.zeros(self.n_act))
        mujoco.mj_forward(m, d)

    # ----------------------------------------------------------------------------------------
    def action_to_ctrl(self, action) -> np.ndarray:
        """Normalised action in [-1, 1] → actuator controls (see module docstring)."""
        a = np.clip(np.asarray(action, dtype=np.float64), -1.0, 1.0)
        return np.where(a >= 0, self._ctrl_rest + a * (self._ctrl_hi - self._ctrl_rest),
                        self._ctrl_rest + a * (self._ctrl_rest - self._ctrl_lo))

    def ctrl_to_action(self, ctrl) -> np.ndarray:
        """Inverse of :meth:`action_to_ctrl` (joint-angle targets in rad → normalised action)."""
        c = np.clip(np.asarray(ctrl, dtype=np.float64), self._ctrl_lo, self._ctrl_hi)
        up = np.maximum(self._ctrl_hi - self._ctrl_rest, 1e-12)
        down = np.maximum(self._ctrl_rest - self._ctrl_lo, 1e-12)
        return np.where(c >= self._ctrl_rest, (c - self._ctrl_rest) / up, (c - self._ctrl_rest) / down)

    def _validate(self, action) -> np.ndarray:
        a = np.asarray(action, dtype=np.float64)
        if a.shape != (self.n_act,):
            raise ValueError(f"action must have shape ({self.n_act},) in FlyBody.actuator_names order, got {a.shape}")
        if not np.all(np.isfinite(a)):
            bad = [ACTUATOR_NAMES[i] for i in np.nonzero(~np.isfinite(a))[0][:5]]
            raise ValueError(f"action contains NaN/Inf at t={self.time:.4f} s (actuators {bad})")
        return a

    def set_action(self, action) -> None:
        self.data.ctrl[self._act_ids] = self.action_to_ctrl(self._validate(action))

    def apply_antenna_torque(self, torque_left: float, torque_right: float) -> None:
        """External torque (dyn·cm) on each antenna's extend joint, held until changed."""
        self.data.qfrc_applied[self._ant_v] = (torque_left, torque_right)

    def step(self, action, n_steps: int = 1) -> None:
        """Hold ``action`` (normalised, see module docstring) for ``n_steps`` physics steps."""
        self.set_action(action)
        m, d = self.model, self.data
        for _ in range(int(n_steps)):
            mujoco.mj_step(m, d)
        self._check()

    def _check(self) -> None:
        d = self.data
        if d.warning[mujoco.mjtWarning.mjWARN_BADQACC].number:
            # MuJoCo resets the state itself when the accelerations blow up: report it
            d.warning[mujoco.mjtWarning.mjWARN_BADQACC].number = 0
            raise BodyDivergedError(f"fly body diverged at t={self.time:.4f} s: non-finite or huge "
                                    "accelerations (MuJoCo reset the state)")
        for name in ("qpos", "qvel", "qacc"):
            if not np.all(np.isfinite(getattr(d, name))):
                raise BodyDivergedError(f"fly body diverged at t={self.time:.4f} s: non-finite {name}")
        v = float(np.linalg.norm(d.qvel[0:3]))
        if v > _MAX_SPEED:
            raise BodyDivergedError(f"fly body diverged at t={self.time:.4f} s: thorax velocity {v:.3g} cm/s")

    # ----------------------------------------------------------------------------------------
    # sensors and state
    # ----------------------------------------------------------------------------------------
    def joint_angles(self) -> np.ndarray:
        return self.data.qpos[self._jq].copy()

    def joint_velocities(self) -> np.ndarray:
        return self.data.qvel[self._jv].copy()

    def antenna_deflection(self) -> np.ndarray:
        """[left, right] rotation of the antennal extend joint from rest (0), rad."""
        return self.data.qpos[self._ant_q].copy()

    def foreleg_antenna_contact(self) -> np.ndarray:
        """(2, 2) summed normal force (µN): row = foreleg (T1_left, T1_right), column = antenna
        (left, right) — which leg touches which antenna."""
        m, d = self.model, self.data
        out = np.zeros((2, 2))
        fore, ant = self._foreleg_side, self._antenna_geom
        for i in range(d.ncon):
            c = d.contact[i]
            g1, g2 = int(c.geom1), int(c.geom2)
            if g1 in ant and g2 in fore:
                k, leg = ant[g1], fore[g2]
            elif g2 in ant and g1 in fore:
                k, leg = ant[g2], fore[g1]
            else:
                continue
            mujoco.mj_contactForce(m, d, i, self._force6)
            out[leg, k] += abs(self._force6[0]) * DYN_TO_UN
        return out

    def antenna_contact(self) -> np.ndarray:
        """[left, right] summed normal force (µN) of foreleg geoms touching each antenna."""
        return self.foreleg_antenna_contact().sum(axis=0)

    def thorax_xyz(self) -> np.ndarray:
        return self.data.xpos[self._thorax].copy()

    def thorax_rotation(self) -> np.ndarray:
        return self.data.xmat[self._thorax].reshape(3, 3).copy()

    def heading(self) -> float:
        """Yaw of the thorax +x axis in the floor plane, rad."""
        R = self.thorax_rotation()
        return float(math.atan2(R[1, 0], R[0, 0]))

    def upright(self) -> float:
        """z component of the thorax's up axis (1 = upright, < 0 = on its back)."""
        return float(self.thorax_rotation()[2, 2])

    def leg_tips(self) -> np.ndarray:
        """(6, 3) claw positions in the thorax frame (cm), legs in :data:`LEGS` order."""
        d = self.data
        R = d.xmat[self._thorax].reshape(3, 3)
        return (d.xpos[self._tips] - d.xpos[self._thorax]) @ R

    # ----------------------------------------------------------------------------------------
    def render(self, width: int = 320, height: int = 240, camera: str | int = "track1",
               scene_callback: Callable[[mujoco.MjvScene], None] | None = None) -> np.ndarray:
        """RGB uint8 (height, width, 3) from one of flybody's cameras (default ``track1``)."""
        renderer = self.offscreen_renderer(width, height)
        renderer.update_scene(self.data, camera=camera)
        if scene_callback is not None:
            scene_callback(renderer.scene)
        return renderer.render()

