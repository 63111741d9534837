"""``cgym bench``: simulated seconds per wall second of body, brain and closed loop.

(a) body alone: the env stepped with a fixed action (mid-range activations) for ``duration``;
(b) brain alone: ``brain.act`` on one fixed observation, as many control steps as (a) took;
(c) closed loop: brain ↔ env for ``duration``.
overhead = wall(c) / wall(b): how much the body + coupling cost on top of the brain.

Before anything is timed, each part runs once for a short untimed warm-up (``warmup_s``
simulated seconds): the first Brian2 run generates and compiles code (seconds on a cold cache),
which is a one-off cost and not the brain's speed.
"""

from __future__ import annotations

import time
from typing import Any

import numpy as np

from .episode import RunConfigError, build_brain, make_env, resolve_task


def _fixed_action(space):
    if hasattr(space, "low") and hasattr(space, "high"):
        lo, hi = np.asarray(space.low, float), np.asarray(space.high, float)
        mid = np.where(np.isfinite(lo) & np.isfinite(hi), 0.5 * (lo + hi), 0.0)
        return mid.astype(space.dtype)
    return space.sample()


def _loop(env, duration: float, policy, seed: int) -> tuple[float, float, int]:
    obs, info = env.reset(seed=seed)
    t, steps = float(info.get("t", 0.0)), 0
    t0 = time.perf_counter()
    while True:
        obs, _r, term, trunc, info = env.step(policy(obs))
        steps += 1
        t = float(info.get("t", t))
        if term or trunc or t >= duration - 1e-9:
            break
    return time.perf_counter() - t0, t, steps


def _brain_backend(brain) -> dict | str:
    """The brain's backend as its info() names it (torch: name, version, device, dtype)."""
    try:
        return (brain.info() if hasattr(brain, "info") else {}).get("backend", "") or ""
    except Exception:  # a brain without a working info() still benchmarks
        return ""


WARMUP_S = 0.2   # simulated seconds of each part run untimed before the timing


def _warm_up(env, brain, fixed, warmup_s: float, seed: int) -> tuple[float, float]:
    """Run body, brain alone and closed loop briefly, untimed → (wall s, control dt)."""
    t0 = time.perf_counter()
    _w, sim, steps = _loop(env, warmup_s, lambda o: fixed, seed)
    control_dt = getattr(env.unwrapped, "control_dt", None) or (sim / max(steps, 1))
    obs, _ = env.reset(seed=seed)
    brain.reset(seed)
    for _ in range(max(1, steps)):
        brain.act(obs)
    brain.reset(seed)
    _loop(env, warmup_s, brain.act, seed)
    return time.perf_counter() - t0, control_dt


def run_bench(task: Any, brain_name: str = "connectome", duration: float = 2.0, seed: int = 0,
              brain_options: dict | None = None, task_options: dict | None = None,
              warmup_s: float | None = None) -> dict:
    """``warmup_s``: untimed simulated seconds of each part before timing (default
    ``min(WARMUP_S, duration)``; 0 skips the warm-up)."""
    import math
    if not (isinstance(duration, (int, float)) and math.isfinite(duration) and duration > 0):
        raise RunConfigError(f"bench duration must be a finite number of seconds > 0, got {duration!r}")
    warmup_s = min(WARMUP_S, duration) if warmup_s is None else float(warmup_s)
    if not (math.isfinite(warmup_s) and warmup_s >= 0):
        raise RunConfigError(f"bench warm-up must be ≥ 0 s, got {warmup_s!r}")
    spec = resolve_task(task)
    env = make_env(spec, duration, task_options)
    brain = build_brain(brain_name, spec.organism, env.observation_space, env.action_space,
                        control_dt=getattr(env.unwrapped, "control_dt", None), **(brain_options or {}))
    backend = _brain_backend(brain)
    try:
        fixed = _fixed_action(env.action_space)
        warm_wall = 0.0
        if warmup_s > 0:
            warm_wall, _dt = _warm_up(env, brain, fixed, warmup_s, seed)
        wall_a, sim_a, steps = _loop(env, duration, lambda o: fixed, seed)
        control_dt = getattr(env.unwrapped, "control_dt", None) or (sim_a / max(steps, 1))

        obs, _ = env.reset(seed=seed)
        brain.reset(seed)
        t0 = time.perf_counter()
        for _ in range(steps):
            brain.act(obs)
        wall_b = time.perf_counter() - t0
        sim_b = steps * control_dt

        brain.reset(seed)
        wall_c, sim_c, steps_c = _loop(env, duration, brain.act, seed)
    finally:
        if hasattr(brain, "close"):
            brain.close()
        env.close()

    def row(wall, sim, n):
        return {"wall_s": wall, "sim_s": sim, "steps": n,
                "sim_s_per_wall_s": sim / wall if wall > 0 else float("inf"),
                "us_per_step": 1e6 * wall / max(n, 1)}
    return {"task": spec.name, "brain": brain_name, "brain_options": dict(brain_options or {}),
            "brain_backend": backend, "duration": duration,
            "warmup": {"sim_s_per_part": warmup_s, "wall_s": warm_wall},
            "control_dt": control_dt,
            "body": row(wall_a, sim_a, steps), "brain_alone": row(wall_b, sim_b, steps),
            "closed_loop": row(wall_c, sim_c, steps_c),
            "overhead_closed_vs_brain": wall_c / wall_b if wall_b > 0 else float("inf")}


def bench_table(r: dict) -> str:
    backend = r.get("brain_backend") or (r.get("brain_options") or {}).get("backend")
    if isinstance(backend, dict):
        backend = " ".join(str(v) for v in backend.values())
    lines = [f"bench {r['task']} × {r['brain']}: {r['duration']} s simulated, "
             f"control dt {r['control_dt'] * 1e3:.3g} ms"
             + (f"; backend {backend}" if backend else ""),
             f"{'part':<13} {'sim-s/wall-s':>13} {'wall (s)':>10} {'steps':>7} {'µs/step':>10}"]
    for key, name in (("body", "body alone"), ("brain_alone", "brain alone"),
                      ("closed_loop", "closed loop")):
        x = r[key]
        lines.append(f"{name:<13} {x['sim_s_per_wall_s']:>13.3g} {x['wall_s']:>10.3f} "
                     f"{x['steps']:>7d} {x['us_per_step']:>10.1f}")
    lines.append(f"overhead closed loop / brain alone: {r['overhead_closed_vs_brain']:.3g}×")
    warm = r.get("warmup") or {}
    if warm.get("sim_s_per_part"):
        lines.append(f"warmed up first, untimed: {warm['sim_s_per_part']:.3g} s simulated per part "
                     f"({warm['wall_s']:.2f} s wall; excludes Brian2 code generation and caches)")
    else:
        lines.append("no warm-up: the times include one-off costs (Brian2 code generation)")
    return "\n".join(lines)
