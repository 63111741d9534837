"""Step rate of ``cgym/ZebrafishOptomotor-v0`` alone (no brain): random muscle activations.

    python -m tasks.optomotor.tools.bench_env [--steps 2500]

Prints control steps per second of CPU time and of wall time and the real-time factor
(control step = 2 ms of simulated time). On a shared machine CPU time is the fairer figure.
"""

from __future__ import annotations

import argparse
import os
import time

import gymnasium as gym
import numpy as np

import tasks  # noqa: F401


def main(argv=None):
    ap = argparse.ArgumentParser()
    ap.add_argument("--steps", type=int, default=2500)
    args = ap.parse_args(argv)
    env = gym.make("cgym/ZebrafishOptomotor-v0").unwrapped
    env.reset(seed=0)
    rng = np.random.default_rng(0)
    acts = rng.uniform(0, 1, (args.steps, env.action_space.shape[0])).astype(np.float32)
    c0, w0 = time.process_time(), time.perf_counter()
    for a in acts:
        env.step(a)
    c, w = time.process_time() - c0, time.perf_counter() - w0
    sim = args.steps * env.control_dt
    print(f"{args.steps} steps ({sim:.1f} s simulated): {args.steps / c:.0f} steps/s CPU "
          f"(real-time factor {sim / c:.2f}), {args.steps / w:.0f} steps/s wall (factor {sim / w:.2f}); "
          f"load average {os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    main()
