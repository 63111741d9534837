"""A planar MuJoCo body of a 5–7 dpf larval zebrafish swimming in water.

See ``bodies/larva/README.md`` for geometry, units, parameters, their sources and the
calibration figures.

Conventions
-----------
* Units: millimetre, milligram, second (SI does not compile at this size: masses fall below
  MuJoCo's ``mjMINVAL``). Force unit mg·mm/s² = 1 nN; torque unit nN·mm.
* The fish swims in the horizontal plane (x, y); yaw only. The root body is the rigid head
  (snout at its frame origin, eyes, yolk); it points along its local +x axis (``heading``).
* The tail is a chain of :data:`N_JOINTS` segments behind the head; joint ``j`` (1..N_J, rostral
  → caudal) joins segment ``j-1`` (0 = head) to segment ``j``. **A positive joint angle bends the
  tail to the fish's left** (+y in the fish frame; the joint axis is −z).
* Muscles: one left and one right muscle per joint, action order ``[L_1 … L_NJ, R_1 … R_NJ]``
  (:data:`MUSCLE_NAMES`), activation in [0, 1] through a first-order filter (τ = 5 ms). Left
  muscles contracting bend the tail to the left.
* Water: resistive (anisotropic linear + quadratic drag) and reactive (added mass, Kirchhoff /
  Lighthill strip terms) forces per segment, applied each physics step through
  ``data.xfrc_applied``. MuJoCo's own fluid model is off (``density = viscosity = 0``).
"""

from __future__ import annotations

import ctypes
import math
from typing import Callable

import mujoco
import numpy as np

from .. import BodyDivergedError, offscreen
from ..divergence import check_state
from ..scene import planar_scene_mjcf

# --------------------------------------------------------------------------------------------
# Parameters (mm, mg, s). Sources and reasoning in README.md.
# --------------------------------------------------------------------------------------------

N_JOINTS = 12  # tail joints = tail segments
BODY_LENGTH_MM = 4.0  # snout to tail tip, 5-7 dpf
HEAD_LENGTH_MM = 1.0  # rigid anterior part: snout to the end of the yolk / swim bladder
HEAD_WIDTH_MM = 0.45  # across the head without the eyes
HEAD_DEPTH_MM = 0.42  # dorso-ventral, with the yolk
EYE_RADIUS_MM = 0.15  # eye diameter ~0.3 mm
EYE_POS_MM = (-0.22, 0.2)  # eye centre behind the snout, lateral offset
TAIL_WIDTH_MM = (0.28, 0.04)  # tail width at its base and at the tip (linear taper)
TAIL_BODY_DEPTH_MM = (0.32, 0.04)  # muscle body depth without the fin fold
TAIL_DEPTH_MM = (0.42, 0.36)  # total depth with the median fin fold, base and tip
TISSUE_DENSITY = 1.0  # mg/mm³ (larvae are close to neutrally buoyant)
WATER_DENSITY = 1.0  # mg/mm³
WATER_VISCOSITY = 0.9  # mg/(mm·s) = 0.9 mPa·s (~26 °C)

# Hydrodynamic coefficients: calibration knobs (bodies/larva/calibrate.py searches them).
DRAG_NORMAL = 1.6  # C_n: quadratic normal drag coefficient on the segment's side area h·l
DRAG_TANGENTIAL = 0.10  # C_t: quadratic tangential (skin + form) drag on the wetted perimeter
DRAG_FRONTAL = 0.3  # C_d of the head's frontal area (pressure drag when swimming forward)
ADDED_MASS_COEF = 1.0  # factor on Lighthill's lateral added mass per length (π/4) ρ h²

# Muscles and passive tail.
MUSCLE_TAU_S = 0.005  # activation filter (fast axial muscle; 30 Hz beats need τ << 33 ms)
MUSCLE_TORQUE = 3000.0  # peak torque of one muscle at activation 1 at the tail base, nN·mm
PASSIVE_STIFFNESS = 6000.0  # joint stiffness at the tail base, nN·mm/rad
PASSIVE_DAMPING_TAU_S = 0.002  # joint damping = stiffness * tau (tissue viscosity, numerical)
DEFAULT_PHYSICS_DT = 0.0005  # s: 2 kHz, ~70 steps per 29 Hz tail beat (README: dt invariance)

# divergence guards
_MAX_SPEED = 2e3  # mm/s (real peak ~40-85 mm/s; escapes ~200-500 mm/s)
_MAX_POS = 1e5  # mm

#: muscle names in action order: left 1..N_J then right 1..N_J (rostral -> caudal)
MUSCLE_NAMES: tuple[str, ...] = tuple(f"L{j:02d}" for j in range(1, N_JOINTS + 1)) + tuple(
    f"R{j:02d}" for j in range(1, N_JOINTS + 1)
)


class LarvaBody(offscreen.OwnsRenderer):
    """Larval zebrafish body: rigid head + N_J-segment tail, 2·N_J muscles, water forces.

    Parameters
    ----------
    physics_dt: MuJoCo time step in s (default 0.5 ms).
    drag_normal, drag_tangential, drag_frontal, added_mass: hydrodynamic calibration knobs
        (defaults :data:`DRAG_NORMAL` ...); ``reactive=False`` switches Lighthill's trailing-edge
        reactive force off (the added mass itself stays).
    muscle_torque: peak torque per muscle at the tail base, nN·mm.
    """

    n_joints = N_JOINTS
    muscle_names = MUSCLE_NAMES

    def __init__(
        self,
        physics_dt: float = DEFAULT_PHYSICS_DT,
        drag_normal: float = DRAG_NORMAL,
        drag_tangential: float = DRAG_TANGENTIAL,
        drag_frontal: float = DRAG_FRONTAL,
        added_mass: float = ADDED_MASS_COEF,
        reactive: bool = True,
        muscle_torque: float = MUSCLE_TORQUE,
        passive_stiffness: float = PASSIVE_STIFFNESS,
    ):
        if not (physics_dt > 0 and math.isfinite(physics_dt)):
            raise ValueError(f"physics_dt must be a positive number of seconds (got {physics_dt})")
        for name, v in (("drag_normal", drag_normal), ("drag_tangential", drag_tangential),
                        ("drag_frontal", drag_frontal), ("added_mass", added_mass),
                        ("muscle_torque", muscle_torque), ("passive_stiffness", passive_stiffness)):
            if not (v >= 0 and math.isfinite(v)):
                raise ValueError(f"{name} must be a finite number >= 0 (got {v})")
        self.physics_dt = float(physics_dt)
        self.length = BODY_LENGTH_MM
        self.drag_normal, self.drag_tangential = float(drag_normal), float(drag_tangential)
        self.drag_frontal, self.added_mass = float(drag_frontal), float(added_mass)
        self.reactive = bool(reactive)
        NJ = N_JOINTS
        self.seg_length = lt = (BODY_LENGTH_MM - HEAD_LENGTH_MM) / NJ
        # per body (0 = head, 1..NJ = tail segments), at segment centres
        s = (np.arange(NJ) + 0.5) / NJ  # 0..1 along the tail
        lerp = lambda ab: ab[0] + (ab[1] - ab[0]) * s  # noqa: E731
        self.lengths = np.r_[HEAD_LENGTH_MM, np.full(NJ, lt)]
        self.widths = np.r_[HEAD_WIDTH_MM, lerp(TAIL_WIDTH_MM)]
        self.body_depths = np.r_[HEAD_DEPTH_MM, lerp(TAIL_BODY_DEPTH_MM)]
        self.depths = np.r_[HEAD_DEPTH_MM, lerp(TAIL_DEPTH_MM)]  # with fin fold
        # tissue mass: elliptic cylinders (tail), ellipsoid-ish head + eyes (2/3 of a cylinder)
        vol = math.pi / 4 * self.widths * self.body_depths * self.lengths
        vol[0] = math.pi / 6 * HEAD_LENGTH_MM * HEAD_WIDTH_MM * HEAD_DEPTH_MM + 2 * 4 / 3 * math.pi * EYE_RADIUS_MM**3
        self.tissue_mass = TISSUE_DENSITY * vol
        # Lighthill lateral added mass per segment: (π/4) ρ h² l
        self.added = self.added_mass * math.pi / 4 * WATER_DENSITY * self.depths**2 * self.lengths
        self.mass_total = self.tissue_mass + self.added
        # added mass per unit length at the tail tip (for Lighthill's trailing-edge term)
        self._m_tip = self.added_mass * math.pi / 4 * WATER_DENSITY * TAIL_DEPTH_MM[1] ** 2
        # passive joint stiffness and muscle torque scale with the local muscle cross-section
        js = np.arange(NJ) / NJ  # joint positions along the tail (0 = base)
        xs = (1 + (TAIL_BODY_DEPTH_MM[1] / TAIL_BODY_DEPTH_MM[0] - 1) * js) * (
            1 + (TAIL_WIDTH_MM[1] / TAIL_WIDTH_MM[0] - 1) * js)
        self.joint_scale = np.clip(xs, 0.08, 1.0)
        self.joint_stiffness = float(passive_stiffness) * self.joint_scale
        self.joint_damping = self.joint_stiffness * PASSIVE_DAMPING_TAU_S
        self.muscle_torque = float(muscle_torque) * self.joint_scale

        # hydrodynamic per-body coefficients
        rho, mu = WATER_DENSITY, WATER_VISCOSITY
        L, h, w, l = BODY_LENGTH_MM, self.depths, self.widths, self.lengths
        # linear (viscous) slender-body coefficients per length, Lighthill/RFT form
        a = 0.5 * np.sqrt(h * w)
        log_term = math.log(L / float(np.mean(a)))
        self._c_lin_n = 4 * math.pi * mu / (log_term + 0.5) * l
        self._c_lin_t = 2 * math.pi * mu / (log_term - 0.5) * l
        perim = math.pi * (1.5 * (h + w) - np.sqrt(h * w))  # Ramanujan ellipse perimeter
        self._q_n = 0.5 * rho * self.drag_normal * h * l
        self._q_t = 0.5 * rho * self.drag_tangential * perim * l
        self._q_t[0] += 0.5 * rho * self.drag_frontal * math.pi / 4 * HEAD_WIDTH_MM * HEAD_DEPTH_MM
        self._rot_lin = self._c_lin_n * l**2 / 12
        self._rot_q = 0.5 * rho * self.drag_normal * h * l**4 / 32

        self.model = mujoco.MjModel.from_xml_string(self._mjcf())
        self.data = mujoco.MjData(self.model)
        m = self.model
        names = ["head"] + [f"seg{i:02d}" for i in range(1, NJ + 1)]
        self._body_ids = np.array([mujoco.mj_name2id(m, mujoco.mjtObj.mjOBJ_BODY, n) for n in names])
        self._root_id = int(self._body_ids[0])
        assert np.array_equal(self._body_ids, np.arange(self._root_id, self._root_id + NJ + 1))
        self._bs = slice(self._root_id, self._root_id + NJ + 1)
        self._hinge_qpos = np.array(
            [m.jnt_qposadr[mujoco.mj_name2id(m, mujoco.mjtObj.mjOBJ_JOINT, f"j{j:02d}")] for j in range(1, NJ + 1)]
        )
        self._hinge_dof = np.array(
            [m.jnt_dofadr[mujoco.mj_name2id(m, mujoco.mjtObj.mjOBJ_JOINT, f"j{j:02d}")] for j in range(1, NJ + 1)]
        )
        act_ids = [mujoco.mj_name2id(m, mujoco.mjtObj.mjOBJ_ACTUATOR, n) for n in MUSCLE_NAMES]
        assert act_ids == list(range(2 * NJ)), "actuator order"
        self._check_views = None
        self._v_prev = np.zeros((NJ + 1, 2))
        self._perp = np.array([-1.0, 1.0])
        self._ma_over_dt = self.added / self.physics_dt
        self._bind_water_views()
        self._bind_kernel()
        self.reset()

    # ----------------------------------------------------------------------------------------
    # model
    # ----------------------------------------------------------------------------------------
    def _mjcf(self) -> str:
        NJ, lt = N_JOINTS, self.seg_length
        z0 = HEAD_DEPTH_MM  # swim height above the (visual) floor plane, mm
        HL = HEAD_LENGTH_MM

        def inertial(i: int, x_c: float) -> str:
            M, l, w = self.mass_total[i], self.lengths[i], self.widths[i]
            # in-plane rotation includes the added mass of a plate spinning about its centre
            Izz = M * (l**2 + w**2) / 12
            Ixx = self.tissue_mass[i] * (w**2 + self.body_depths[i] ** 2) / 12 + 1e-9
            return f'<inertial pos="{x_c:.9g} 0 0" mass="{M:.9g}" diaginertia="{Ixx:.9g} {Izz:.9g} {Izz:.9g}"/>'

        er = EYE_RADIUS_MM
        ex, ey = EYE_POS_MM
        head = (
            f'<body name="head" pos="0 0 {z0:.6g}">'
            '<joint name="root_x" type="slide" axis="1 0 0"/>'
            '<joint name="root_y" type="slide" axis="0 1 0"/>'
            '<joint name="root_yaw" type="hinge" axis="0 0 1"/>'
            f"{inertial(0, -0.45 * HL)}"
            f'<geom name="head" type="ellipsoid" pos="{-0.5 * HL:.6g} 0 0" '
            f'size="{0.5 * HL:.6g} {0.5 * HEAD_WIDTH_MM:.6g} {0.45 * HEAD_DEPTH_MM:.6g}" rgba="0.85 0.8 0.7 1"/>'
            f'<geom name="yolk" type="ellipsoid" pos="{-0.62 * HL:.6g} 0 {-0.12 * HEAD_DEPTH_MM:.6g}" '
            f'size="{0.3 * HL:.6g} {0.18:.6g} {0.15:.6g}" rgba="0.95 0.85 0.55 1"/>'
            f'<geom name="eye_left" type="sphere" pos="{ex} {ey} 0.03" size="{er}" rgba="0.08 0.08 0.1 1"/>'
            f'<geom name="eye_right" type="sphere" pos="{ex} {-ey} 0.03" size="{er}" rgba="0.08 0.08 0.1 1"/>'
        )
        parts = [head]
        for i in range(1, NJ + 1):
            pos = -HL if i == 1 else -lt
            k, d = self.joint_stiffness[i - 1], self.joint_damping[i - 1]
            parts.append(
                f'<body name="seg{i:02d}" pos="{pos:.9g} 0 0">'
                f'<joint name="j{i:02d}" type="hinge" axis="0 0 -1" stiffness="{k:.9g}" damping="{d:.9g}"/>'
                f"{inertial(i, -lt / 2)}"
                f'<geom name="g{i:02d}" type="ellipsoid" pos="{-lt / 2:.9g} 0 0" '
                f'size="{0.55 * lt:.9g} {0.5 * self.widths[i]:.9g} {0.5 * self.body_depths[i]:.9g}" rgba="0.88 0.84 0.76 1"/>'
                f'<geom name="fin{i:02d}" type="box" pos="{-lt / 2:.9g} 0 0" contype="0" conaffinity="0" '
                f'size="{0.5 * lt:.9g} 0.004 {0.5 * self.depths[i]:.9g}" rgba="0.9 0.9 0.9 0.35"/>'
            )
        chain = "".join(parts) + "</body>" * (NJ + 1)
        acts = []
        for side, sign in (("L", 1.0), ("R", -1.0)):
            for j in range(1, NJ + 1):
                acts.append(
                    f'<general name="{side}{j:02d}" joint="j{j:02d}" gear="{sign:g}" dyntype="filter" '
                    f'dynprm="{MUSCLE_TAU_S}" gaintype="fixed" gainprm="{self.muscle_torque[j - 1]:.9g}" '
                    'biastype="none" ctrllimited="true" ctrlrange="0 1"/>'
                )
        return planar_scene_mjcf("zebrafish_larva", self.physics_dt, chain, "".join(acts),
                                 extent=200.0, texrepeat=40.0, rgb=("0.45 0.45 0.45", "0.5 0.5 0.5"),
                                 material="floor", znear=0.01, zfar=1000)

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
        tail_angles: np.ndarray | None = None,
    ) -> None:
        """Put the snout at ``position`` (mm) pointing along ``heading`` (rad), at rest, tail
        straight (or ``tail_angles`` (N_J,) rad); muscle activations zero."""
        mujoco.mj_resetData(self.model, self.data)
        q = self.data.qpos
        q[0], q[1], q[2] = float(position[0]), float(position[1]), float(heading)
        if tail_angles is not None:
            q[self._hinge_qpos] = np.broadcast_to(np.asarray(tail_angles, float), (N_JOINTS,))
        if not np.all(np.isfinite(q)):
            raise ValueError(f"reset: non-finite pose (position={position}, heading={heading})")
        mujoco.mj_forward(self.model, self.data)
        self._v_prev[:] = self._body_velocities()[0]
        self._vc_prev[:] = self._v_prev[:, 0] + 1j * self._v_prev[:, 1]
        self._warn0 = self.data.warning.number.copy()

    # ----------------------------------------------------------------------------------------
    # water
    # ----------------------------------------------------------------------------------------
    def _body_velocities(self):
        """(N_J+1, 2) centre-of-mass velocities (world, mm/s) and (N_J+1,) yaw rates."""
        d, s = self.data, self._bs
        cv = d.cvel[s]
        wz = cv[:, 2]
        r = d.xipos[s, :2] - d.subtree_com[self._root_id, :2]
        v = cv[:, 3:5] + wz[:, None] * r[:, ::-1] * self._perp
        return v, wz

    def _bind_water_views(self) -> None:
        """Persistent numpy views into MjData (its buffers never move) and work arrays for
        :meth:`_apply_water`: in-plane vectors are complex numbers x + iy, so a rotation into the
        body frame is one complex multiply (no per-step slicing or temporaries). The rotation
        matrices of this planar chain (yaw only) have ``R01 == -R10`` exactly (``mju_quat2Mat``
        with zero x/y quaternion components), so ``(R00, R01)`` read as a complex number is
        ``conj(t)`` for the body axis ``t = R00 + i R10``."""
        d, s = self.data, self._bs
        cplx = np.complex128
        self._w_cv = d.cvel[s, 3:5].view(cplx)[:, 0]  # CoM-frame linear velocity vx + i vy
        self._w_wz = d.cvel[s, 2]  # yaw rate
        self._w_xi = d.xipos[s, :2].view(cplx)[:, 0]  # body CoM positions
        self._w_com = d.subtree_com[self._root_id:self._root_id + 1, :2].view(cplx)[:, 0]
        self._w_ct = d.xmat[s, 0:2].view(cplx)[:, 0]  # conj(t)
        self._w_fxy = d.xfrc_applied[s, 0:2].view(cplx)[:, 0]  # force written in place
        self._w_tz = d.xfrc_applied[s, 5]
        n = N_JOINTS + 1
        self._w_t = np.zeros(n, cplx)
        self._w_v = np.zeros(n, cplx)
        self._w_r = np.zeros(n, cplx)
        self._w_a = np.zeros(n, cplx)
        self._w_iw = np.zeros(n, cplx)
        self._w_acc = np.zeros(n)
        # body-frame work array (n, 3): [v_t, w (normal), yaw rate], and its resistive forces
        self._w_b = np.zeros((n, 3))
        self._w_u = self._w_b[:, 0:2].view(cplx)[:, 0]  # v_t + i w, a view into _w_b
        self._w_g = np.zeros((n, 3))
        self._w_gc = self._w_g[:, 0:2].view(cplx)[:, 0]
        self._w_f = np.zeros(n, cplx)
        self._vc_prev = np.zeros(n, cplx)
        # coefficients in the layout of _w_b: [tangential, normal, rotational]
        self._w_c3 = np.stack([self._c_lin_t, self._c_lin_n, self._rot_lin], 1)
        self._w_q3 = np.stack([self._q_t, self._q_n, self._rot_q], 1)
        for name, base in (("_w_cv", d.cvel), ("_w_xi", d.xipos), ("_w_com", d.subtree_com),
                           ("_w_ct", d.xmat), ("_w_fxy", d.xfrc_applied), ("_w_tz", d.xfrc_applied)):
            assert np.shares_memory(getattr(self, name), base), name  # views, not copies
        assert np.shares_memory(self._w_u, self._w_b) and np.shares_memory(self._w_gc, self._w_g)

    def _bind_kernel(self) -> None:
        """The C physics loop (``water_kernel.c``: mj_step1, the water forces of
        :meth:`_apply_water`, mj_step2, n times; ~4x less CPU per control step than the Python
        loop), or None: no C compiler, ``CGYM_LARVA_WATER=numpy``, or libmujoco not found."""
        from . import kernel

        lib, steps = kernel.load(), None
        if lib is not None:
            steps = kernel.mujoco_steps()
        self._kernel = None
        if lib is None or steps is None:
            return
        d, V = self.data, ctypes.c_void_p
        self._k_c3 = np.ascontiguousarray(self._w_c3, float)
        self._k_q3 = np.ascontiguousarray(self._w_q3, float)
        self._k_ma = np.ascontiguousarray(self._ma_over_dt, float)
        ptr = lambda a: V(a.ctypes.data)  # noqa: E731
        # every array is MjData's own buffer (it never moves) or one owned by this body
        self._k_head = (V(self.model._address), V(d._address), V(steps[0]), V(steps[1]))
        self._k_tail = (ctypes.c_int(N_JOINTS + 1), ctypes.c_int(self._root_id), ptr(d.cvel), ptr(d.xipos),
                        ptr(d.subtree_com), ptr(d.xmat), ptr(d.xfrc_applied), ptr(self._vc_prev),
                        ptr(self._k_c3), ptr(self._k_q3), ptr(self._k_ma), ctypes.c_double(self._m_tip),
                        ctypes.c_double(0.5 * self.seg_length), ctypes.c_int(int(self.reactive)))
        self._k_refs = (d.cvel, d.xipos, d.subtree_com, d.xmat, d.xfrc_applied)  # keep the views alive
        for a in self._k_refs:
            assert a.flags.c_contiguous and a.dtype == np.float64
        self._kernel = lib

    @property
    def water_backend(self) -> str:
        """``"c"`` when :meth:`step` runs the compiled physics loop, else ``"numpy"``."""
        return "c" if self._kernel is not None and getattr(self._apply_water, "__func__", None) is _NUMPY_WATER else "numpy"

    def _apply_water(self) -> None:
        """The forces of :meth:`_apply_water_reference` (same terms, same operation order per
        component up to the sign of zero), computed with ~20 numpy calls on persistent views
        instead of ~60 on fresh slices: this runs once per physics step and was the largest cost of
        the larva's physics (tests/bodies/test_larva_water_fast.py checks it against the reference)."""
        ct, t, v, r, a, iw = self._w_ct, self._w_t, self._w_v, self._w_r, self._w_a, self._w_iw
        np.conjugate(ct, out=t)
        wz = self._w_wz
        # CoM velocity of each body: v = v_cvel + i wz (r - r_com)
        np.subtract(self._w_xi, self._w_com, out=r)
        np.multiply(wz, 1j, out=iw)
        np.multiply(iw, r, out=r)
        np.add(self._w_cv, r, out=v)
        # lagged tangential added-mass correction: m_a ((v - v_prev) . t) / dt
        np.subtract(v, self._vc_prev, out=a)
        np.multiply(a, ct, out=a)
        acc_t = np.multiply(a.real, self._ma_over_dt, out=self._w_acc)
        self._vc_prev[:] = v
        # body frame: u = v conj(t) = v_t + i w, with the yaw rate beside it; g = (c + q|b|) b
        bb, g = self._w_b, self._w_g
        np.multiply(v, ct, out=self._w_u)
        bb[:, 2] = wz
        np.abs(bb, out=g)
        np.multiply(g, self._w_q3, out=g)
        np.add(g, self._w_c3, out=g)
        np.multiply(g, bb, out=g)
        f = self._w_f  # body-frame force f_t + i f_n = acc_t - g_t - i g_n; torque -g_r
        np.negative(self._w_gc, out=f)
        f.real += acc_t
        tz = self._w_tz
        np.negative(g[:, 2], out=tz)
        if self.reactive:
            # Lighthill's trailing-edge term at the tail tip (see the reference)
            te, ve = complex(t[-1]), complex(v[-1])
            txe, tye, we = te.real, te.imag, float(wz[-1])
            half = 0.5 * self.seg_length
            vxe = ve.real + we * half * tye
            vye = ve.imag - we * half * txe
            ut = vxe * txe + vye * tye
            w_tip = vye * txe - vxe * tye
            fn_tip = -ut * self._m_tip * w_tip
            f[-1] += complex(0.5 * self._m_tip * w_tip * w_tip, fn_tip)
            tz[-1] += half * fn_tip
        np.multiply(f, t, out=self._w_fxy)  # world force (f_t t + f_n n)

    def _apply_water_reference(self) -> None:
        """Resistive + reactive forces on every body at its centre of mass (vectorised).

        With t the body's axis, n = z × t, v_t = v·t, w = v·n (still water):

        * resistive: F = -(c_n + q_n|w|) w n - (c_t + q_t|v_t|) v_t t, torque -(c_r + q_r|ω|) ω;
        * added mass m_a = (π/4) ρ h² l is part of the MuJoCo body mass (normal direction,
          implicit); the tangential direction, which has no added mass, gets back m_a a_t t
          (a_t from the last step: a convergent lagged correction since m_a < m + m_a);
        * reactive (Lighthill 1971, large-amplitude elongated-body theory): the lateral momentum
          m w n carried past the tail tip is shed into the wake, F_tip = -u_t m w n + ½ m w² t
          (m = added mass per length at the tip; the thrust of anguilliform swimmers). The
          per-segment rotational strip terms (Munk moments) are left out (README).
        """
        d, s = self.data, self._bs
        v, wz = self._body_velocities()
        xm = d.xmat[s]
        tx, ty = xm[:, 0], xm[:, 3]
        vx, vy = v[:, 0], v[:, 1]
        vt = vx * tx + vy * ty
        wn = vy * tx - vx * ty
        acc_t = ((vx - self._v_prev[:, 0]) * tx + (vy - self._v_prev[:, 1]) * ty) * self._ma_over_dt
        ft = acc_t - (self._c_lin_t + self._q_t * np.abs(vt)) * vt
        fn = -(self._c_lin_n + self._q_n * np.abs(wn)) * wn
        tz = -(self._rot_lin + self._rot_q * np.abs(wz)) * wz
        self._v_prev[:] = v
        if self.reactive:
            # Lighthill's trailing-edge term at the tail tip (r_tip = -l/2 t from the last
            # segment's centre; tip velocity = v + ω × r_tip)
            txe, tye, we = float(tx[-1]), float(ty[-1]), float(wz[-1])
            half = 0.5 * self.seg_length
            vxe = float(vx[-1]) + we * half * tye
            vye = float(vy[-1]) - we * half * txe
            ut = vxe * txe + vye * tye
            w_tip = vye * txe - vxe * tye
            fn_tip = -ut * self._m_tip * w_tip
            ft[-1] += 0.5 * self._m_tip * w_tip * w_tip
            fn[-1] += fn_tip
            tz[-1] += half * fn_tip
        xf = d.xfrc_applied
        xf[s, 0] = ft * tx - fn * ty
        xf[s, 1] = ft * ty + fn * tx
        xf[s, 5] = tz

    # ----------------------------------------------------------------------------------------
    # dynamics
    # ----------------------------------------------------------------------------------------
    def _validate_activation(self, activation) -> np.ndarray:
        a = np.asarray(activation, dtype=float)
        if a.shape != (2 * N_JOINTS,):
            raise ValueError(
                f"activation must have shape ({2 * N_JOINTS},) in MUSCLE_NAMES order "
                f"[L01..L{N_JOINTS:02d}, R01..R{N_JOINTS:02d}], got {a.shape}"
            )
        bad = ~np.isfinite(a)
        if bad.any():
            names = [MUSCLE_NAMES[i] for i in np.nonzero(bad)[0][:5]]
            raise ValueError(f"activation contains NaN/Inf at t={self.time:.4f} s (muscles {names})")
        return np.minimum(np.maximum(a, 0.0), 1.0)  # np.clip's values without its wrapper

    def step(self, activation, n_steps: int = 1) -> None:
        """Set the muscle commands (2·N_J,) in [0, 1] and advance ``n_steps`` physics steps."""
        self.data.ctrl[:] = self._validate_activation(activation)
        m, d = self.model, self.data
        if self._kernel is not None and getattr(self._apply_water, "__func__", None) is _NUMPY_WATER:
            self._kernel.larva_steps(*self._k_head, int(n_steps), *self._k_tail)
        else:  # numpy water forces (no compiler), or a test swapped _apply_water
            step1, water, step2 = mujoco.mj_step1, self._apply_water, mujoco.mj_step2
            for _ in range(int(n_steps)):
                step1(m, d)
                water()
                step2(m, d)
        self._check()

    def _check(self) -> None:
        d = self.data
        v = self._check_views
        if v is None:  # persistent views into MjData (its buffers never move)
            v = self._check_views = (d.qpos, d.qvel, d.act, d.warning.number)
        qpos, qvel, act, warn = v
        # the common case in two reductions; check_state names the culprit when either fails
        if not math.isfinite(float(qpos.sum() + qvel.sum() + act.sum())) or (warn > self._warn0).any():
            check_state("larva", d, self._warn0, self.time, "MuJoCo reset the state; is physics_dt too large?")
        sp = math.hypot(qvel[0], qvel[1])
        if sp > _MAX_SPEED:
            raise BodyDivergedError(f"larva body diverged at t={self.time:.4f} s: speed {sp:.3g} mm/s exceeds {_MAX_SPEED:g}")
        if max(abs(qpos[0]), abs(qpos[1])) > _MAX_POS:
            raise BodyDivergedError(f"larva body diverged at t={self.time:.4f} s: position {qpos[:2]} mm")

    # ----------------------------------------------------------------------------------------
    # sensors and pose
    # ----------------------------------------------------------------------------------------
    def snout(self) -> np.ndarray:
        """Snout tip (2,) mm."""
        return self.data.xpos[self._root_id, :2].copy()

    def head_position(self) -> np.ndarray:
        """Head centre of mass (2,) mm (the point tracked as the fish's position)."""
        return self.data.xipos[self._root_id, :2].copy()

    def heading(self) -> float:
        """Direction the snout points, rad."""
        xm = self.data.xmat[self._root_id]
        return float(math.atan2(xm[3], xm[0]))

    def head_velocity(self) -> np.ndarray:
        """Velocity (2,) mm/s of the head's centre of mass."""
        d, i = self.data, self._root_id  # row 0 of _body_velocities(), without the other bodies
        cv = d.cvel[i]
        r = d.xipos[i, :2] - d.subtree_com[i, :2]
        return cv[3:5] + cv[2] * r[::-1] * self._perp

    def tail_angles(self) -> np.ndarray:
        """(N_J,) joint angles, rad, + = tail bends to the left, rostral first."""
        return self.data.qpos[self._hinge_qpos].copy()

    def tail_velocities(self) -> np.ndarray:
        """(N_J,) joint angular velocities, rad/s."""
        return self.data.qvel[self._hinge_dof].copy()

    def centerline(self) -> np.ndarray:
        """(N_J + 2, 2) mm: snout, head–tail junction, each joint behind, tail tip."""
        d, ids = self.data, self._body_ids
        pts = np.empty((N_JOINTS + 2, 2))
        pts[0] = d.xpos[ids[0], :2]
        pts[1:-1] = d.xpos[ids[1]:ids[-1] + 1, :2]  # the ids are consecutive (asserted in __init__)
        last = ids[-1]
        pts[-1] = d.xpos[last, :2] - self.seg_length * d.xmat[last, [0, 3]]
        return pts

    def muscle_activation(self) -> np.ndarray:
        return self.data.act.copy()

    def world_to_fish(self, points: np.ndarray) -> np.ndarray:
        """World (…, 2) mm → fish frame (x forward, y left, origin at the head's CoM)."""
        c, h = self.head_position(), self.heading()
        R = np.array([[math.cos(h), math.sin(h)], [-math.sin(h), math.cos(h)]])
        return (np.asarray(points, float) - c) @ R.T

    def fish_to_world(self, points: np.ndarray) -> np.ndarray:
        """Fish frame (…, 2) mm → world."""
        c, h = self.head_position(), self.heading()
        R = np.array([[math.cos(h), -math.sin(h)], [math.sin(h), math.cos(h)]])
        return np.asarray(points, float) @ R.T + c

    # ----------------------------------------------------------------------------------------
    # rendering
    # ----------------------------------------------------------------------------------------
    def render(
        self,
        width: int = 320,
        height: int = 240,
        view_mm: float = 12.0,
        scene_callback: Callable[[mujoco.MjvScene], None] | None = None,
    ) -> np.ndarray:
        """RGB uint8 (height, width, 3) top-down view following the fish (``view_mm`` across).
        ``scene_callback(scene)`` may add decoration geoms (a task's stimulus)."""
        renderer = self.offscreen_renderer(width, height)
        return renderer.top_down(self.data, self.head_position(), view_mm, scene_callback)


_NUMPY_WATER = LarvaBody._apply_water  # step() uses the C loop only while this is the water model
