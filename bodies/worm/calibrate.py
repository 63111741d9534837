"""Gait calibration of the worm body under a prescribed travelling wave of muscle activation.

Run ``python -m bodies.worm.calibrate`` to print the figures quoted in README.md.
"""

from __future__ import annotations

import argparse
import json
import time as _time

import numpy as np

from .body import WormBody
from .patterns import travelling_wave

#: Prescribed waves used for the README figures (real targets in README/DESIGN.md).
CRAWL = dict(medium="agar", frequency=0.3, wavelength=0.65, amplitude=0.65)
SWIM = dict(medium="water", frequency=1.7, wavelength=0.65, amplitude=0.7)
#: the real swimming gait has a longer wave (~1.5 body lengths; Fang-Yen et al. 2010)
SWIM_LONG = dict(medium="water", frequency=1.7, wavelength=1.5, amplitude=0.7)


def measure_gait(
    body: WormBody,
    frequency: float,
    wavelength: float,
    amplitude: float,
    direction: int = +1,
    cycles: int = 3,
    settle_cycles: float = 1.0,
    control_dt: float = 0.01,
) -> dict:
    """Drive ``body`` (already reset, nose along +x) and measure its gait.

    Returns speed (mm/s, signed: + = towards the nose's initial heading), measured undulation
    frequency (Hz), wavelength (body lengths; from the phase gradient of curvature along the
    middle of the body), r.m.s. curvature (1/mm) and the wall-clock physics rate.
    """
    n_sub = max(1, int(round(control_dt / body.physics_dt)))
    dt = n_sub * body.physics_dt
    period = 1.0 / frequency
    n_settle = int(round(settle_cycles * period / dt))
    n_meas = int(round(cycles * period / dt))
    heading0 = body.heading()
    for _ in range(n_settle):
        body.step(travelling_wave(body.time, frequency, wavelength, amplitude, direction), n_sub)
    c0, t0 = body.centroid(), body.time
    kappa = np.empty((n_meas, body.n_segments - 1))
    times = np.empty(n_meas)
    wall = _time.perf_counter()
    for k in range(n_meas):
        body.step(travelling_wave(body.time, frequency, wavelength, amplitude, direction), n_sub)
        kappa[k] = body.curvature()
        times[k] = body.time
    wall = _time.perf_counter() - wall
    disp = body.centroid() - c0
    u = np.array([np.cos(heading0), np.sin(heading0)])
    speed = float(disp @ u) / (body.time - t0)
    # frequency: FFT peak of curvature (mean over the middle joints)
    mid = slice(body.n_segments // 4, 3 * body.n_segments // 4)
    k_mid = kappa[:, mid] - kappa[:, mid].mean(axis=0)
    spec = np.abs(np.fft.rfft(k_mid, axis=0)).sum(axis=1)
    freqs = np.fft.rfftfreq(n_meas, dt)
    f_meas = float(freqs[1 + np.argmax(spec[1:])])
    # wavelength: phase of the driving-frequency component along the body
    z = (kappa * np.exp(-2j * np.pi * frequency * times)[:, None]).sum(axis=0)
    phase = np.unwrap(np.angle(z[mid]))
    s = (np.arange(1, body.n_segments)[mid]) / body.n_segments  # body lengths
    slope = np.polyfit(s, phase, 1)[0]
    wl = float(2 * np.pi / abs(slope)) if slope != 0 else float("inf")
    return {
        "speed_mm_s": speed,
        "frequency_hz": f_meas,
        "wavelength_body_lengths": wl,
        "wave_direction": "head-to-tail" if slope < 0 else "tail-to-head",
        "rms_curvature_per_mm": float(np.sqrt(np.mean(kappa**2))),
        "physics_steps_per_s": n_meas * n_sub / wall,
        "physics_dt_s": body.physics_dt,
        "mass_scale": body.mass_scale,
    }


def calibration(mass_scale_factors=(0.5, 1.0, 2.0), cycles: int = 3) -> dict:
    out = {}
    for label, cfg in (("agar_crawl", CRAWL), ("water_swim", SWIM)):
        cfg = dict(cfg)
        medium = cfg.pop("medium")
        base = WormBody(medium=medium)
        for fac in mass_scale_factors:
            body = WormBody(medium=medium, mass_scale=base.mass_scale * fac)
            body.reset()
            out[f"{label}@mass_x{fac:g}"] = measure_gait(body, cycles=cycles, **cfg)
        body = WormBody(medium=medium)
        body.reset()
        out[f"{label}@reverse"] = measure_gait(body, direction=-1, cycles=cycles, **cfg)
    cfg = dict(SWIM_LONG)
    body = WormBody(medium=cfg.pop("medium"))
    body.reset()
    out["water_swim_wavelength1.5"] = measure_gait(body, cycles=cycles, **cfg)
    return out


def stability(factors=(1.0, 0.5, 0.25, 0.15, 0.1, 0.05), dts=(0.0005, 0.001, 0.002, 0.004, 0.01)) -> dict:
    """Stability limit in mass scale at the default dt, and dt sweep at the automatic mass scale."""
    from .. import BodyDivergedError

    out = {}
    for cfg in (CRAWL, SWIM):
        cfg = dict(cfg)
        medium = cfg.pop("medium")
        base = WormBody(medium=medium)
        for fac in factors:
            body = WormBody(medium=medium, mass_scale=base.mass_scale * fac)
            body.reset()
            key = f"{medium}@dt={body.physics_dt}s,mass_x{fac:g}(dt/(m/c)={body.physics_dt / body.inertial_time:.2f})"
            try:
                r = measure_gait(body, cycles=2, **cfg)
                out[key] = {k: round(r[k], 4) for k in ("speed_mm_s", "rms_curvature_per_mm")}
            except BodyDivergedError as e:
                out[key] = f"diverged: {e}"
        for dt in dts:
            body = WormBody(medium=medium, physics_dt=dt)
            body.reset()
            key = f"{medium}@dt={dt}s,auto_mass={body.mass_scale:.3g}"
            try:
                r = measure_gait(body, cycles=2, control_dt=max(0.01, dt), **cfg)
                out[key] = {k: round(r[k], 4) for k in ("speed_mm_s", "rms_curvature_per_mm", "wavelength_body_lengths", "physics_steps_per_s")}
            except BodyDivergedError as e:
                out[key] = f"diverged: {e}"
    return out


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--cycles", type=int, default=3)
    ap.add_argument("--stability", action="store_true", help="also sweep mass scale and dt")
    args = ap.parse_args(argv)
    out = {"calibration": calibration(cycles=args.cycles)}
    if args.stability:
        out["stability"] = stability()
    print(json.dumps(out, indent=1))


if __name__ == "__main__":
    main()
