"""CPU-time benchmark of the zebrafish closed loop (not collected by pytest; run it directly).

    python tests/organisms/zebrafish_cpu_bench.py [steps]

Like ``cgym bench zebrafish/optomotor`` (body alone with a fixed action, brain alone on one
observation, closed loop), in one process, but timed with ``time.process_time()`` and the best of
3 repeats: on a shared, loaded machine CPU time per control step is much closer to the speed on a
quiet machine than wall time is (it still includes cache interference from other processes).
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from runners.execution.episode import build_brain, make_env, resolve_task  # noqa: E402


def main(n: int = 1500) -> None:
    spec = resolve_task("zebrafish/optomotor")
    env = make_env(spec, 1000.0, {})
    dt = env.unwrapped.control_dt
    brain = build_brain("connectome", spec.organism, env.observation_space, env.action_space, control_dt=dt)
    fixed = np.full(env.action_space.shape, 0.5, np.float32)

    def loop(policy, steps):
        obs, _ = env.reset(seed=0)
        for _ in range(steps):
            obs, *_ = env.step(policy(obs))

    loop(lambda o: fixed, 100)
    brain.reset(0)
    loop(brain.act, 100)  # warm-up (code generation, caches)
    best = {"body": [], "brain": [], "closed": []}
    for _ in range(3):
        t = time.process_time(); loop(lambda o: fixed, n); best["body"].append(time.process_time() - t)
        obs, _ = env.reset(seed=0); brain.reset(0)
        t = time.process_time()
        for _ in range(n):
            brain.act(obs)
        best["brain"].append(time.process_time() - t)
        brain.reset(0)
        t = time.process_time(); loop(brain.act, n); best["closed"].append(time.process_time() - t)
    brain.close(); env.close()
    mode = getattr(brain.loop, "mode", "thread")
    print(f"zebrafish/optomotor x connectome, {n} steps of {dt * 1e3:g} ms, closed-loop mode {mode}; "
          "CPU µs per control step (best of 3) and simulated s per CPU s:")
    for k, v in best.items():
        us = 1e6 * min(v) / n
        print(f"  {k:<7} {us:7.0f} µs   {dt * 1e6 / us:5.2f}x real time")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 1500)
