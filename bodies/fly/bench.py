"""Body-alone speed of the fly: ``python -m bodies.fly.bench [--seconds S] [--physics-dt DT]``.

Steps the body for S simulated seconds at a 2 ms control step (the grooming task's), first
standing still (all-zero action), then with random actions held for one control step, and
prints physics steps per second and the real-time factor (simulated s per wall s).
"""

from __future__ import annotations

import argparse
import time

import numpy as np

from .body import DEFAULT_PHYSICS_DT, FlyBody


def measure(seconds: float = 2.0, physics_dt: float = DEFAULT_PHYSICS_DT, control_dt: float = 0.002,
            mode: str = "still") -> dict:
    body = FlyBody(physics_dt=physics_dt)
    body.reset()
    n_sub = round(control_dt / physics_dt)
    rng = np.random.default_rng(0)
    n_ctrl = int(round(seconds / control_dt))
    t0 = time.perf_counter()
    for _ in range(n_ctrl):
        a = np.zeros(body.n_act) if mode == "still" else rng.uniform(-0.3, 0.3, body.n_act)
        body.step(a, n_sub)
    wall = time.perf_counter() - t0
    return {"mode": mode, "physics_dt_s": physics_dt, "control_dt_s": control_dt, "sim_s": body.time,
            "steps_per_s": n_ctrl * n_sub / wall, "control_steps_per_s": n_ctrl / wall,
            "real_time_factor": body.time / wall}


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(prog="python -m bodies.fly.bench", description=__doc__.split("\n")[0])
    ap.add_argument("--seconds", type=float, default=2.0)
    ap.add_argument("--physics-dt", type=float, default=DEFAULT_PHYSICS_DT)
    args = ap.parse_args(argv)
    for mode in ("still", "random"):
        r = measure(args.seconds, args.physics_dt, mode=mode)
        print(f"fly body alone, {mode:6s}: physics dt {r['physics_dt_s'] * 1e3:.2f} ms, control dt 2 ms: "
              f"{r['steps_per_s']:.0f} physics steps/s, {r['control_steps_per_s']:.0f} control steps/s, "
              f"real-time factor {r['real_time_factor']:.2f}x")


if __name__ == "__main__":
    main()
