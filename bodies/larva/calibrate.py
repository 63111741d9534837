"""Calibration of the larva body: prescribed swim bouts, their speed, displacement and turn.

``python -m bodies.larva.calibrate`` prints the figures of the default body (quoted in README.md):
the slow-swim calibration bout, the turns, the amplitude sweep (tail-tip angle -> displacement)
and the bout-to-bout spread of displacement that a spread of bout vigour produces.
``--search`` scans the water knobs (normal / tangential drag, added-mass factor) at the
slow-swim amplitude; ``--episode RUN/episodes/ep_0000.npz`` measures the bouts of a closed-loop
episode (tail-tip angle, peak speed, peak activation per bout).

Targets:
* displacement per bout: Le Goc et al. 2021 (doi:10.1186/s12915-021-01126-w), the per-fish
  medians of ``tasks/optomotor/reference/data/legoc2021_per_fish.csv``: median 1.60 mm, 5–95 %
  across fish 1.13–2.08 mm; bout to bout (all bouts, /work/shared/data/zebrafish) 5–95 % 0.57–3.0.
* tail-tip angle of a slow forward swim 30–60° — the range the issue gives for slow swims after
  Mirat et al. 2013 (doi:10.3389/fncir.2013.00021), Severi et al. 2014
  (doi:10.1016/j.neuron.2014.07.021) and Marques et al. 2018 (doi:10.1016/j.cub.2017.12.002);
  PROVISIONAL: not verified against those papers in this session.
* peak speed 5–95 % 16–85 mm/s, median 39 (DESIGN.md "Reference numbers"; PROVISIONAL, status
  ``provisional`` in tasks/optomotor/reference/zebrafish_optomotor_v1.yaml).
* bout duration ~160 ms, tail beat ~29 Hz (DESIGN.md).
"""

from __future__ import annotations

import argparse
import itertools
import math
import time as _time

import numpy as np

from .body import LarvaBody
from .patterns import bout

#: The calibration bout, a slow forward swim: a 29 Hz travelling wave held for 160 ms (tail-beat
#: frequency and bout duration are the reference medians), command amplitude 0.32 so that the
#: tail tip bends ~42° (inside the slow-swim 30–60°). Version 1 used amplitude 0.5 (64° tail tip,
#: 2.8 mm) to hit the DESIGN.md displacement median of 2.5 mm; the Le Goc per-fish median is 1.6.
CALIBRATION_BOUT = dict(duration=0.16, frequency=29.0, amplitude=0.32, wavelength=1.3, decay=0.9)
TARGET_PEAK_SPEED = (16.0, 85.0)  # mm/s, 5-95 % range (PROVISIONAL, DESIGN.md)
TARGET_PEAK_SPEED_MEDIAN = 39.0
TARGET_DISPLACEMENT = (1.13, 2.08)  # mm: Le Goc 2021 per-fish medians, 5-95 % across 18 fish
TARGET_DISPLACEMENT_MEDIAN = 1.60  # mm: Le Goc 2021, median of the per-fish medians
TARGET_DISPLACEMENT_BOUTS = (0.57, 3.0)  # mm: Le Goc 2021, 5-95 % of all bouts
TARGET_DISPLACEMENT_CV = (0.351, 0.544)  # Le Goc 2021 per-fish bout-to-bout CV, 5-95 % (side_by_side)
TARGET_TAIL_TIP_SLOW = (30.0, 60.0)  # deg, slow forward swims (PROVISIONAL, see module doc)


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


def search(drag_normal=(1.6, 2.4), drag_tangential=(0.1, 0.3, 0.6),
           added_mass=(1.0, 1.5, 2.0)) -> list[dict]:
    """Water knobs at the slow-swim amplitude: peak speed, displacement, tail-tip angle."""
    rows = []
    for cn, ct, am in itertools.product(drag_normal, drag_tangential, added_mass):
        r = measure_bout(LarvaBody(drag_normal=cn, drag_tangential=ct, added_mass=am))
        rows.append({"drag_normal": cn, "drag_tangential": ct, "added_mass": am, **r})
        print(f"C_n={cn:4.2f} C_t={ct:5.3f} added mass x{am:3.1f}: peak {r['peak_speed_mm_s']:5.1f} mm/s, "
              f"displacement {r['displacement_mm']:4.2f} mm, tail tip {r['max_tail_tip_angle_deg']:5.1f} deg, "
              f"displacement / peak speed {r['displacement_mm'] / r['peak_speed_mm_s']:.3f} s", flush=True)
    return rows


def amplitude_sweep(amplitudes=(0.15, 0.2, 0.25, 0.32, 0.4, 0.5, 0.7, 1.0), body_kw: dict | None = None) -> list[dict]:
    """Bout vigour (command amplitude) -> tail-tip angle, displacement, peak speed."""
    return [{"amplitude": a, **measure_bout(LarvaBody(**(body_kw or {})), amplitude=a)} for a in amplitudes]


def displacement_cv(amplitude_cv: float, rows: list[dict] | None = None, n: int = 2000, seed: int = 0) -> float:
    """Bout-to-bout CV of displacement when the command amplitude of the calibration bout varies
    from bout to bout, lognormal with CV ``amplitude_cv`` around the calibration amplitude
    (displacement interpolated in log-log on :func:`amplitude_sweep`)."""
    rows = rows or amplitude_sweep()
    la = np.log([r["amplitude"] for r in rows])
    ld = np.log([r["displacement_mm"] for r in rows])
    s = math.sqrt(math.log(1 + amplitude_cv**2))
    a = CALIBRATION_BOUT["amplitude"] * np.exp(np.random.default_rng(seed).normal(-s * s / 2, s, n))
    d = np.exp(np.interp(np.log(a), la, ld))
    return float(d.std() / d.mean())


def episode_bouts(path, threshold: float = 0.02) -> list[dict]:
    """Per-bout kinematics of a recorded closed-loop episode (``ep_XXXX.npz`` of ``cgym run``):
    a bout = a run of control steps with any muscle activation > ``threshold``; returns its
    peak activation, max |tail-tip angle| (deg), and peak head speed (mm/s, bout + 0.2 s)."""
    d = np.load(path, allow_pickle=False)
    act, tip = d["actions"], np.degrees(np.abs(d["tail_angles"].sum(1)))
    speed, t = d["speed"], d["t"]
    on = np.flatnonzero(np.diff(np.r_[0, (act.max(1) > threshold).astype(int), 0]))
    dt = float(np.median(np.diff(t)))
    glide = int(round(0.2 / dt))
    rows = []
    for s, e in zip(on[::2], on[1::2]):
        if (e - s) * dt < 0.03:  # a flicker, not a bout
            continue
        rows.append({"t_s": float(t[s]), "duration_s": float((e - s) * dt), "peak_activation": float(act[s:e].max()),
                     "max_tail_tip_angle_deg": float(tip[s:e].max()), "peak_speed_mm_s": float(speed[s:e + glide].max())})
    return rows


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--search", action="store_true", help="scan drag_normal x drag_tangential x added mass")
    ap.add_argument("--episode", nargs="+", metavar="NPZ", help="per-bout kinematics of recorded episodes")
    args = ap.parse_args(argv)
    if args.search:
        search()
        return
    if args.episode:
        allb = []
        for p in args.episode:
            try:
                rows = episode_bouts(p)
            except (OSError, KeyError, ValueError) as e:
                raise SystemExit(f"--episode {p}: not a recorded larva episode ({e})")
            allb += rows
            for r in rows:
                print(f"{p} t={r['t_s']:6.2f}s dur {r['duration_s']:.3f}s peak act {r['peak_activation']:.2f} "
                      f"tail tip {r['max_tail_tip_angle_deg']:5.1f} deg peak speed {r['peak_speed_mm_s']:5.1f} mm/s")
        if allb:
            for k in ("max_tail_tip_angle_deg", "peak_speed_mm_s", "peak_activation"):
                v = np.array([r[k] for r in allb])
                print(f"{len(allb)} bouts: {k} median {np.median(v):.2f} [min {v.min():.2f}, max {v.max():.2f}]")
        return
    print(f"calibration bout: {CALIBRATION_BOUT}")
    for name, r in report().items():
        print(_fmt(name, r))
    print(f"targets: peak speed median {TARGET_PEAK_SPEED_MEDIAN} (5-95%: {TARGET_PEAK_SPEED}; PROVISIONAL) mm/s, "
          f"displacement median {TARGET_DISPLACEMENT_MEDIAN} (per-fish 5-95%: {TARGET_DISPLACEMENT}) mm, "
          f"slow-swim tail tip {TARGET_TAIL_TIP_SLOW} deg (PROVISIONAL)")
    print("amplitude sweep (bout vigour):")
    rows = amplitude_sweep()
    for r in rows:
        print(f"  amplitude {r['amplitude']:4.2f}: tail tip {r['max_tail_tip_angle_deg']:6.1f} deg, displacement "
              f"{r['displacement_mm']:5.2f} mm, peak speed {r['peak_speed_mm_s']:5.1f} mm/s")
    for cv in (0.15, 0.2, 0.25, 0.3):
        print(f"  amplitude CV {cv:.2f} -> displacement CV {displacement_cv(cv, rows):.3f} "
              f"(Le Goc per-fish 5-95 %: {TARGET_DISPLACEMENT_CV})")


if __name__ == "__main__":
    main()
