"""A hand-built ventral nerve cord (VNC) model: descending commands → leg motion.

**This is a modelling assumption, not a connectome.** FlyWire v783 covers the central brain
and optic lobes only; the VNC that turns descending-neuron activity into leg movement is not in
the data. This module stands in for it with two gated pattern generators:

* **Antennal grooming** (Hampel et al. 2015, eLife 4:e08758, doi:10.7554/eLife.08758: JO →
  aBN1 → aDN1/aDN2 drive antennal grooming; Seeds et al. 2014, eLife 3:e02951,
  doi:10.7554/eLife.02951: grooming movements are hierarchically ordered and suppress each
  other and walking). ``antennal_groom_left`` / ``antennal_groom_right`` each gate the foreleg
  of that side: above ``gate_threshold`` the foreleg leaves the ground (its claw adhesion off)
  and sweeps between two poses, "out" (lateral of the antenna) and "in" (pressing on it), at
  ``frequency_hz`` = 6 Hz (Ravbar et al. 2021, eLife 10:e71508, doi:10.7554/eLife.71508: leg
  sweeps at 5–7 Hz). One command high = unilateral grooming by the ipsilateral foreleg; both
  high = bilateral grooming, both forelegs in phase. The poses come from inverse kinematics on
  the body (:func:`derive_groom_poses`), so each sweep physically touches the antenna.
* **Walking**: ``walk_forward`` / ``walk_backward`` gate a tripod gait (alternating tripods,
  ``step_frequency_hz`` = 10 Hz) on the protraction and femur joints; ``turn_left`` /
  ``turn_right`` scale the strides of the two sides differently. Grooming suppresses walking
  (Seeds 2014). The walking pattern is an uncalibrated placeholder: ``python -m
  organisms.drosophila.vnc --walk-check`` prints what it does in the body (it moves forward
  and backward slowly, far below real walking speeds, and turns poorly).

Everything else holds the rest pose (all joint angles 0, claws adhering). Parameters with
their sources are in ``vnc_params.yaml``. The class is swappable: anything with the same
``reset`` / ``step(commands)`` / ``describe`` can replace it (e.g. a MANC-based VNC network).
"""

from __future__ import annotations

import argparse
import math
from pathlib import Path
from typing import Any, Mapping, Sequence

import numpy as np
import yaml

from nervous_systems.yaml_file import load_yaml

__all__ = ["DESCENDING_COMMANDS", "VentralNerveCordModel", "load_params", "derive_groom_poses", "PARAMS_PATH"]

DESCENDING_COMMANDS = ("antennal_groom_left", "antennal_groom_right", "walk_forward",
                       "walk_backward", "turn_left", "turn_right")
PARAMS_PATH = Path(__file__).with_name("vnc_params.yaml")
SIDES = ("left", "right")
LEGS = tuple(f"T{s}_{side}" for s in (1, 2, 3) for side in SIDES)


def load_params(path: str | Path | None = None) -> dict[str, Any]:
    path = Path(path) if path is not None else PARAMS_PATH
    params = load_yaml(path)
    for key in ("grooming", "walking"):
        if key not in params:
            raise ValueError(f"{path}: missing section {key!r}")
    g = params["grooming"]
    for side in SIDES:
        for end in ("in", "out"):
            pose = g.get("poses", {}).get(side, {}).get(end)
            if pose is None or len(pose) != len(g["joints"]):
                raise ValueError(f"{path}: grooming.poses.{side}.{end} must list {len(g['joints'])} angles "
                                 f"({', '.join(g['joints'])})")
    return params


class VentralNerveCordModel:
    """Descending commands (each in [0, 1]) → normalised actions for :class:`bodies.fly.FlyBody`.

    ``action_space``: the env's Box(-1, 1, (n_act,)); ``actuator_names``: the body's actuator
    order (joint actuators named ``{dof}_{leg}``, adhesion ``adhere_claw_{leg}``). The joint
    targets (rad) are converted to the normalised action with the piecewise-linear map of the
    body (0 ↔ rest angle 0; ±1 ↔ ends of the ctrlrange), which needs each actuator's
    ctrlrange: pass ``ctrlrange`` ((n_act, 2)) or leave it None to read it from a
    :class:`bodies.fly.FlyBody` built once.
    """

    def __init__(self, action_space, control_dt: float, actuator_names: Sequence[str],
                 params: Mapping[str, Any] | str | Path | None = None, ctrlrange=None):
        self.action_space = action_space
        self.control_dt = float(control_dt)
        if not self.control_dt > 0:
            raise ValueError(f"control_dt must be > 0 s (got {control_dt})")
        self.actuator_names = tuple(actuator_names)
        if action_space is not None and tuple(action_space.shape) != (len(self.actuator_names),):
            raise ValueError(f"action_space shape {action_space.shape} != {len(self.actuator_names)} actuator names")
        self.params = load_params(params) if not isinstance(params, Mapping) else dict(params)
        index = {n: i for i, n in enumerate(self.actuator_names)}

        def idx(name: str) -> int:
            if name not in index:
                import difflib
                close = difflib.get_close_matches(name, self.actuator_names, n=3)
                raise KeyError(f"VNC model: actuator {name!r} not in actuator_names (close: {close})")
            return index[name]

        if ctrlrange is None:
            from bodies.fly import FlyBody  # the body defines the normalisation

            body = FlyBody()
            ids = [body.model.actuator(n).id for n in self.actuator_names]
            ctrlrange = body.model.actuator_ctrlrange[ids]
            body.close()
        cr = np.asarray(ctrlrange, dtype=float)
        self._lo, self._hi = cr[:, 0], cr[:, 1]
        self._adhesion = np.array([n.startswith("adhere") for n in self.actuator_names])
        self._rest = np.where(self._adhesion, 0.5 * (self._lo + self._hi), np.clip(0.0, self._lo, self._hi))

        g = self.params["grooming"]
        self._groom_f = float(g["frequency_hz"])
        self._groom_tau = float(g["gate_tau_s"])
        self._groom_thr = float(g["gate_threshold"])
        self._overshoot = float(g.get("sweep_overshoot", 1.0))
        self._groom_idx = {s: np.array([idx(f"{j}_T1_{s}") for j in g["joints"]]) for s in SIDES}
        self._groom_in = {s: np.asarray(g["poses"][s]["in"], float) for s in SIDES}
        self._groom_out = {s: np.asarray(g["poses"][s]["out"], float) for s in SIDES}
        self._adh = {leg: idx(f"adhere_claw_{leg}") for leg in LEGS}

        w = self.params["walking"]
        self._walk_f = float(w["step_frequency_hz"])
        self._walk_tau = float(w["gate_tau_s"])
        self._tripod_phase = {leg: 0.0 for leg in w["tripod_a"]} | {leg: math.pi for leg in w["tripod_b"]}
        if sorted(self._tripod_phase) != sorted(LEGS):
            raise ValueError("walking.tripod_a + tripod_b must list the six legs once each")
        self._pro_idx, self._pro_amp, self._lift_idx = {}, {}, {}
        for leg in LEGS:
            seg = leg[:2]
            self._pro_idx[leg] = idx(f"{w['protraction_joint'][seg]}_{leg}")
            self._pro_amp[leg] = float(w["protraction_amplitude"][seg]) * float(w["protraction_sign"][seg])
            self._lift_idx[leg] = idx(f"{w['lift_joint']}_{leg}")
        self._lift_amp = float(w["lift_amplitude"])
        self._turn_gain = float(w["turn_gain"])
        self.reset()

    # ----------------------------------------------------------------------------------------
    def reset(self, seed: int | None = None) -> None:
        """Phases to 0 and gates closed (the model is deterministic; ``seed`` is accepted for
        the Brain-like interface)."""
        self._t = 0.0
        self._groom_phase = 0.0
        self._walk_phase = 0.0
        self._groom_gate = {s: 0.0 for s in SIDES}
        self._walk_gate = 0.0
        self.state: dict[str, float] = {}

    def _to_action(self, q: np.ndarray) -> np.ndarray:
        up = np.maximum(self._hi - self._rest, 1e-12)
        down = np.maximum(self._rest - self._lo, 1e-12)
        q = np.clip(q, self._lo, self._hi)
        a = np.where(q >= self._rest, (q - self._rest) / up, (q - self._rest) / down)
        a = np.clip(a, -1.0, 1.0).astype(np.float32)
        return a

    def step(self, commands: Mapping[str, float]) -> np.ndarray:
        """One control step: ``commands`` maps names in :data:`DESCENDING_COMMANDS` to [0, 1]
        (missing = 0; unknown names raise KeyError) → an action in ``action_space``."""
        unknown = set(commands) - set(DESCENDING_COMMANDS)
        if unknown:
            raise KeyError(f"unknown descending command(s) {sorted(unknown)}; known: {DESCENDING_COMMANDS}")
        c = {k: float(np.clip(commands.get(k, 0.0), 0.0, 1.0)) for k in DESCENDING_COMMANDS}
        dt = self.control_dt
        a_g = 1.0 - math.exp(-dt / self._groom_tau)
        a_w = 1.0 - math.exp(-dt / self._walk_tau)
        for s in SIDES:
            self._groom_gate[s] += a_g * (c[f"antennal_groom_{s}"] - self._groom_gate[s])
        self._groom_phase = (self._groom_phase + 2 * math.pi * self._groom_f * dt) % (2 * math.pi)
        grooming = {s: self._groom_gate[s] > self._groom_thr for s in SIDES}

        walk_cmd = c["walk_forward"] - c["walk_backward"]
        if self.params["grooming"].get("suppresses_walking", True) and any(grooming.values()):
            walk_cmd = 0.0
        self._walk_gate += a_w * (walk_cmd - self._walk_gate)
        direction = 1.0 if self._walk_gate >= 0 else -1.0
        self._walk_phase = (self._walk_phase + 2 * math.pi * self._walk_f * dt * direction) % (2 * math.pi)
        turn = c["turn_left"] - c["turn_right"]  # sign chosen by --walk-check, see walking.turn_gain

        q = self._rest.copy()
        adhesion = {leg: 1.0 for leg in LEGS}
        wg = abs(self._walk_gate)
        if wg > 1e-3:
            for leg in LEGS:
                ph = self._walk_phase + self._tripod_phase[leg]
                side_scale = 1.0 - self._turn_gain * (-turn if leg.endswith("left") else turn)
                q[self._pro_idx[leg]] += wg * side_scale * self._pro_amp[leg] * math.cos(ph)
                swing = math.sin(ph) > 0  # swing half of the cycle: lift the leg, release the claw
                if swing:
                    q[self._lift_idx[leg]] += wg * self._lift_amp * math.sin(ph)
                    adhesion[leg] = 1.0 - wg
        # sweep s in [0, 1]: 0 = out, 1 = in (pressing on the antenna), raised cosine
        s_sweep = self._overshoot * 0.5 * (1.0 - math.cos(self._groom_phase))
        for s in SIDES:
            if grooming[s]:
                pose = self._groom_out[s] + s_sweep * (self._groom_in[s] - self._groom_out[s])
                q[self._groom_idx[s]] = pose
                if self.params["grooming"].get("adhesion_off", True):
                    adhesion[f"T1_{s}"] = 0.0
        for leg, i in self._adh.items():
            q[i] = self._lo[i] + adhesion[leg] * (self._hi[i] - self._lo[i])
        self._t += dt
        self.state = {"groom_gate_left": self._groom_gate["left"], "groom_gate_right": self._groom_gate["right"],
                      "walk_gate": self._walk_gate, "groom_phase": self._groom_phase, "walk_phase": self._walk_phase}
        return self._to_action(q)

    def describe(self) -> str:
        g, w = self.params["grooming"], self.params["walking"]
        return (
            "Motor bridge = hand-built VNC model (organisms/drosophila/vnc.py), a MODELLING ASSUMPTION: "
            "FlyWire v783 has no ventral nerve cord. Descending commands gate two pattern generators. "
            f"Antennal grooming: command antennal_groom_<side> > {g['gate_threshold']} (after a "
            f"{g['gate_tau_s'] * 1000:.0f} ms low-pass) makes the foreleg of that side release its claw "
            f"and sweep over the ipsilateral antenna at {g['frequency_hz']:g} Hz (Ravbar 2021: 5-7 Hz) "
            "between two inverse-kinematics poses; both sides high = bilateral grooming; grooming "
            "suppresses walking (Seeds 2014). Walking: walk_forward/backward gate a tripod gait at "
            f"{w['step_frequency_hz']:g} Hz, turn_left/right scale the strides of each side (an "
            "uncalibrated placeholder that walks far slower than a fly). The sweep frequency and the side of grooming are therefore set by this "
            "model, not by the connectome; what the brain decides is whether, when, how long and on "
            "which side to groom."
        )


# --------------------------------------------------------------------------------------------
def derive_groom_poses(in_distance_cm: float = -0.006, out_distance_cm: float = 0.03,
                       clearance_cm: float = 0.002, seeds: int = 16) -> dict[str, dict[str, list[float]]]:
    """Inverse kinematics of the two grooming poses per side on :class:`bodies.fly.FlyBody`.

    Thorax, head and antennae at rest. "in": the closest of the foreleg's first two tarsal
    segments is at signed distance ``in_distance_cm`` from the antenna's collision capsule
    (negative = pressing into it; -60 µm so that the sweep still touches the antenna when the
    position servos lag their targets); "out": at ``out_distance_cm`` (0.3 mm clear), found
    from the "in" pose with a pull toward it so that the sweep between them is short. Femur
    and tibia keep ``clearance_cm`` from the head's collision geom (else the head blocks the
    sweep). Least squares over the seven foreleg joints within their ranges, best of ``seeds``
    random starts, with a small pull toward the rest pose.
    """
    import mujoco
    from scipy.optimize import least_squares

    from bodies.fly import FlyBody

    body = FlyBody()
    m = body.model
    d = mujoco.MjData(m)
    fromto = np.zeros(6)
    joints = load_params()["grooming"]["joints"]
    out: dict[str, dict[str, list[float]]] = {}
    for side in SIDES:
        names = [f"{j}_T1_{side}" for j in joints]
        adr = [m.jnt_qposadr[m.joint(n).id] for n in names]
        lo = np.array([m.joint(n).range[0] for n in names])
        hi = np.array([m.joint(n).range[1] for n in names])
        ga = m.geom(f"antenna_{side}_collision").id
        gh = m.geom("head_collision").id
        touch = [m.geom(f"{p}_T1_{side}_collision").id for p in ("tarsus", "tarsus2")]
        avoid = [m.geom(f"{p}_T1_{side}_collision").id for p in ("femur", "tibia")]

        def dist(g1, g2):
            return mujoco.mj_geomDistance(m, d, g1, g2, 0.1, fromto)

        def residual(target, qref, wref):
            def f(q):
                d.qpos[:] = m.qpos0
                d.qpos[adr] = q
                mujoco.mj_kinematics(m, d)
                dt = min(dist(g, ga) for g in touch)
                pen = [max(0.0, clearance_cm - dist(g, gh)) for g in avoid]
                return np.r_[(dt - target) * 1000.0, wref * (q - qref), 1000.0 * np.asarray(pen)]
            return f

        f_in = residual(in_distance_cm, np.zeros(len(adr)), 0.05)
        q_in = min((least_squares(f_in, np.random.default_rng(s).uniform(lo, hi), bounds=(lo, hi))
                    for s in range(seeds)), key=lambda r: r.cost).x
        q_out = least_squares(residual(out_distance_cm, q_in, 1.0), q_in, bounds=(lo, hi)).x
        out[side] = {"in": [round(float(v), 3) for v in q_in], "out": [round(float(v), 3) for v in q_out]}
        for label, q in (("in", q_in), ("out", q_out)):
            d.qpos[:] = m.qpos0
            d.qpos[adr] = q
            mujoco.mj_kinematics(m, d)
            print(f"# {side} {label}: tarsus-antenna distance {min(dist(g, ga) for g in touch) * 1e4:.1f} um, "
                  f"femur/tibia-head clearance {min(dist(g, gh) for g in avoid) * 1e4:.1f} um")
    body.close()
    return out


def walk_check(seconds: float = 1.0) -> list[dict[str, float]]:
    """Drive the body with each walking command for ``seconds`` and measure what it does."""
    from bodies.fly import ACTUATOR_NAMES, FlyBody

    body = FlyBody()
    ids = [body.model.actuator(n).id for n in ACTUATOR_NAMES]
    vnc = VentralNerveCordModel(None, 0.002, ACTUATOR_NAMES, ctrlrange=body.model.actuator_ctrlrange[ids])
    n_sub = round(0.002 / body.physics_dt)
    rows = []
    for cmd in ({}, {"walk_forward": 1.0}, {"walk_backward": 1.0},
                {"walk_forward": 1.0, "turn_left": 1.0}, {"walk_forward": 1.0, "turn_right": 1.0}):
        body.reset()
        vnc.reset()
        x0, h0 = body.thorax_xyz(), body.heading()
        while body.time < seconds - 1e-9:
            body.step(vnc.step(cmd), n_sub)
        d = body.thorax_xyz() - x0
        fwd = float(d[0] * math.cos(h0) + d[1] * math.sin(h0))
        rows.append({"commands": " + ".join(cmd) or "(none)", "forward_mm_per_s": fwd * 10 / seconds,
                     "heading_change_deg_per_s": math.degrees(body.heading() - h0) / seconds,
                     "upright": body.upright()})
    body.close()
    return rows


def _main(argv=None) -> None:
    ap = argparse.ArgumentParser(prog="python -m organisms.drosophila.vnc", description=__doc__.split("\n")[0])
    ap.add_argument("--derive-poses", action="store_true", help="print the grooming poses (YAML) from IK")
    ap.add_argument("--describe", action="store_true", help="print the modelling assumption")
    ap.add_argument("--walk-check", action="store_true", help="measure the walking placeholder in the body (1 s each)")
    args = ap.parse_args(argv)
    if args.walk_check:
        for r in walk_check():
            print(f"{r['commands']:28s} forward {r['forward_mm_per_s']:+.2f} mm/s, heading "
                  f"{r['heading_change_deg_per_s']:+.1f} deg/s, upright {r['upright']:.3f}")
        return
    if args.derive_poses:
        print(yaml.safe_dump({"poses": derive_groom_poses()}, default_flow_style=None, sort_keys=False))
    if args.describe or not args.derive_poses:
        from bodies.fly import ACTUATOR_NAMES
        print(VentralNerveCordModel(None, 0.002, ACTUATOR_NAMES).describe())


if __name__ == "__main__":
    _main()
