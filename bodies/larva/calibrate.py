"""Calibration of the larva body: one prescribed swim bout, its speed, displacement and turn.

``python -m bodies.larva.calibrate`` prints the figures of the default body (quoted in README.md);
``python -m bodies.larva.calibrate --search`` scans the hydrodynamic knobs (normal and tangential
drag coefficients) and prints how peak speed and displacement depend on them.

Targets (DESIGN.md "Reference numbers"; tasks/optomotor/reference): peak speed median ~39 mm/s
(5–95 %: 16–85), displacement per bout median ~2.5 mm, bout duration ~160 ms, tail beat ~29 Hz.
"""

from __future__ import annotations

import argparse
import itertools
import math
import time as _time

import numpy as np

from .body import LarvaBody
from .patterns import bout

#: The calibration bout: a 29 Hz travelling wave held for 160 ms (tail-beat frequency and bout
#: duration are the reference medians), amplitude and wavelength chosen for realistic
#: kinematics (README: tail-tip angle and lateral excursion).
CALIBRATION_BOUT = dict(duration=0.16, frequency=29.0, amplitude=0.5, wavelength=1.3, decay=0.9)
TARGET_PEAK_SPEED = (16.0, 85.0)  # mm/s, 5-95 % range
TARGET_PEAK_SPEED_MEDIAN = 39.0
TARGET_DISPLACEMENT = (1.0, 5.0)  # mm; median ~2.5 (DESIGN.md), Le Goc 2021 median ~1.6
TARGET_DISPLACEMENT_MEDIAN = 2.5


def measure_bout(body: LarvaBody | None = None, turn: float = 0.0, glide: float = 0.5,
                 control_dt: float = 0.002, **bout_kw) -> dict:
    """Run one bout from rest (snout at the origin, heading 0) and measure it.

    Returns peak speed (mm/s, head centre of mass, over the bout and glide), displacement (mm,
    head centre from onset to the end of the glide), forward displacement (along the initial
    heading), heading change (deg, + = left), max |tail-tip angle| (deg, sum of joint angles),
    tail-tip lateral excursion (mm, fish frame), and the wall-clock time per simulated second.
    """
    body = body or LarvaBody()
    body.reset()
    cfg = dict(CALIBRATION_BOUT)
    cfg.update(bout_kw)
    n_sub = max(1, round(control_dt / body.physics_dt))
    p0, h0 = body.head_position(), body.heading()
    speeds, tip_angle, tip_y = [], [], []
    wall = _time.perf_counter()
    while body.time < cfg["duration"] + glide - 1e-9:
        body.step(bout(body.time, 0.0, turn=turn, **cfg), n_sub)
        speeds.append(float(np.hypot(*body.head_velocity())))
        tip_angle.append(float(body.tail_angles().sum()))
        tip_y.append(float(body.world_to_fish(body.centerline()[-1])[1]))
    wall = (_time.perf_counter() - wall) / body.time
    p1, h1 = body.head_position(), body.heading()
    d = p1 - p0
    dh = math.degrees(math.atan2(math.sin(h1 - h0), math.cos(h1 - h0)))
    return {
        "peak_speed_mm_s": float(max(speeds)),
        "displacement_mm": float(np.hypot(*d)),
        "forward_mm": float(d @ np.array([math.cos(h0), math.sin(h0)])),
        "heading_change_deg": dh,
        "max_tail_tip_angle_deg": float(np.degrees(np.max(np.abs(tip_angle)))),
        "tail_tip_excursion_mm": float(np.max(np.abs(tip_y))),
        "wall_s_per_sim_s": float(wall),
    }


def report(body_kw: dict | None = None) -> dict:
    body_kw = body_kw or {}
    out = {"forward": measure_bout(LarvaBody(**body_kw))}
    for turn in (0.5, -0.5, 1.0, -1.0):
        out[f"turn{turn:+.1f}"] = measure_bout(LarvaBody(**body_kw), turn=turn)
    return out


def _fmt(name: str, r: dict) -> str:
    return (f"{name:>10}: peak speed {r['peak_speed_mm_s']:6.1f} mm/s  displacement {r['displacement_mm']:5.2f} mm "
            f"(forward {r['forward_mm']:+5.2f})  heading change {r['heading_change_deg']:+6.1f} deg  "
            f"max tail-tip angle {r['max_tail_tip_angle_deg']:5.1f} deg  tip excursion {r['tail_tip_excursion_mm']:.2f} mm")


def search(drag_normal=(0.8, 1.2, 1.6, 2.4), drag_tangential=(0.02, 0.04, 0.08, 0.16)) -> list[dict]:
    rows = []
    for cn, ct in itertools.product(drag_normal, drag_tangential):
        r = measure_bout(LarvaBody(drag_normal=cn, drag_tangential=ct), glide=0.3)
        rows.append({"drag_normal": cn, "drag_tangential": ct, **r})
        print(f"C_n={cn:4.2f} C_t={ct:5.3f}: peak {r['peak_speed_mm_s']:5.1f} mm/s, displacement "
              f"{r['displacement_mm']:4.2f} mm", flush=True)
    return rows


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--search", action="store_true", help="scan drag_normal x drag_tangential")
    args = ap.parse_args(argv)
    if args.search:
        search()
        return
    print(f"calibration bout: {CALIBRATION_BOUT}")
    for name, r in report().items():
        print(_fmt(name, r))
    print(f"targets: peak speed median {TARGET_PEAK_SPEED_MEDIAN} (5-95%: {TARGET_PEAK_SPEED}) mm/s, "
          f"displacement median {TARGET_DISPLACEMENT_MEDIAN} mm")


if __name__ == "__main__":
    main()
