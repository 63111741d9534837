"""``cgym bench``: simulated seconds per wall second of body, brain and closed loop.

(a) body alone: the env stepped with a fixed action (mid-range activations) for ``duration``;
(b) brain alone: ``brain.act`` on one fixed observation, as many control steps as (a) took;
(c) closed loop: brain ↔ env for ``duration``.
overhead = wall(c) / wall(b): how much the body + coupling cost on top of the brain.
Each part is timed in wall-clock time and in this process's CPU time (``time.process_time``):
on a shared, busy machine the wall time counts the time other processes held the core, the CPU
time does not (it still includes their cache and memory-bandwidth interference).

Before anything is timed, each part runs once for a short untimed warm-up (``warmup_s``
simulated seconds): the first Brian2 run generates and compiles code (seconds on a cold cache),
which is a one-off cost and not the brain's speed.

(d) fit throughput (tasks that ``cgym fit`` runs, ``FIT_TASKS``, when the bench is at least
``FIT_MIN_BENCH_S`` long; ``fit_throughput_=True/False`` forces it): episodes per hour on the sweep process pool with 2 workers, measured the way
``cgym fit`` runs a generation. After an untimed warm-up sweep has started the pool (spawned
workers, imports, compiled caches: once per fit), ONE timed sweep runs ``candidates`` conditions
(the same brain and options; distinct ``record_dt`` values only so that each is its own
condition, built anew in each worker and checked in the parent, as CMA-ES candidates are)
× ``seeds`` seeds × ``episode_s`` simulated seconds, writing episode files as the fit does.
From it: W (wall of the timed sweep), N (episodes), r (wall per simulated second inside an
episode, summed over episodes, with 2 running at once). A D-second episode costs (D − episode_s)·r
more than the measured one, shared by 2 workers, so

    episodes/hour(D) = N · 3600 / (W + N · (D − episode_s) · r / 2)

for D = 60 s and 120 s. Every overhead of a generation (brain builds, env resets, the parent's
condition check, file writes) is in W; only the pool start-up is left out (printed). The machine's
load average is printed with it: on a shared machine the numbers are lower bounds.
"""

from __future__ import annotations

import os
import tempfile
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


def _loop(env, duration: float, policy, seed: int) -> tuple[float, float, int, float]:
    """(wall s, simulated s, steps, CPU s of this process) of one episode stepped by ``policy``."""
    obs, info = env.reset(seed=seed)
    t, steps = float(info.get("t", 0.0)), 0
    t0, c0 = time.perf_counter(), time.process_time()
    while True:
        obs, _r, term, trunc, info = env.step(policy(obs))
        steps += 1
        t = float(info.get("t", t))
        if term or trunc or t >= duration - 1e-9:
            break
    return time.perf_counter() - t0, t, steps, time.process_time() - c0


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
    _w, sim, steps, _c = _loop(env, warmup_s, lambda o: fixed, seed)
    control_dt = getattr(env.unwrapped, "control_dt", None) or (sim / max(steps, 1))
    obs, _ = env.reset(seed=seed)
    brain.reset(seed)
    for _ in range(max(1, steps)):
        brain.act(obs)
    brain.reset(seed)
    _loop(env, warmup_s, brain.act, seed)
    return time.perf_counter() - t0, control_dt


FIT_TASKS = frozenset({"celegans/chemotaxis"})   # tasks `cgym fit` is run on: bench prints (d)
FIT_EPISODE_S = (60.0, 120.0)                    # episode lengths the throughput is given for
FIT_MIN_BENCH_S = 1.0   # shorter benches are smoke tests: (d) takes ~15 s and a process pool


def _load() -> list[float] | None:
    try:
        return [round(x, 2) for x in os.getloadavg()]
    except OSError:
        return None


def _quiet(_msg: str) -> None:
    pass


class _KeptOpen:
    """A sweep backend that survives ``run_sweep``'s close() (the fit keeps its pool the same way)."""

    def __init__(self, inner):
        self.inner = inner

    def __getattr__(self, name):
        return getattr(self.inner, name)

    def close(self, cancel: bool = False) -> None:
        pass


def fit_throughput(task: str, brain_name: str = "connectome", brain_options: dict | None = None,
                   task_options: dict | None = None, workers: int = 2, candidates: int = 2,
                   seeds: int = 4, episode_s: float = 4.0,
                   durations: tuple[float, ...] = FIT_EPISODE_S) -> dict:
    """Episodes per hour of a fit generation on the sweep process pool (module docstring, (d))."""
    from .executors import make_backend
    from .sweep import run_sweep
    from .sweep_spec import Condition, SweepSpec

    def spec(n_cand, n_seeds, dur, seed0):
        conds = [Condition(task=task, brain=brain_name,
                           brain_options={**(brain_options or {}), "record_dt": 0.04 + 0.01 * k},
                           task_options=dict(task_options or {}), duration=dur,
                           label=f"cand{k:03d}") for k in range(n_cand)]
        return SweepSpec(conditions=conds, seeds=list(range(seed0, seed0 + n_seeds)),
                         name="bench-fit-throughput", wcon=False, source="cgym bench")

    load_before = _load()
    backend = _KeptOpen(make_backend(workers=workers))
    try:
        with tempfile.TemporaryDirectory(prefix="cgym-bench-fit-") as tmp:
            t0 = time.perf_counter()
            run_sweep(spec(1, workers, 0.1, 10_000), os.path.join(tmp, "warm"), progress=False,
                      log=_quiet, backend=backend)
            startup = time.perf_counter() - t0
            t0 = time.perf_counter()
            summ = run_sweep(spec(candidates, seeds, episode_s, 0), os.path.join(tmp, "gen"),
                             progress=False, log=_quiet, backend=backend)
            wall = time.perf_counter() - t0
    finally:
        backend.inner.close()
    n = summ.n_ran
    ep_wall = sum(r.wall_s for r in summ.rows.values())
    ep_sim = sum(r.sim_s for r in summ.rows.values())
    if summ.n_failed or not n or ep_sim <= 0:
        raise RunConfigError(f"fit throughput: {summ.n_failed} of {n} bench episode(s) failed "
                             f"({summ.failures[:1]})")
    r = ep_wall / ep_sim
    per_hour = {float(d): n * 3600.0 / (wall + n * (float(d) - episode_s) * r / workers)
                for d in durations}
    return {"workers": workers, "executor": summ.executor, "candidates": candidates,
            "seeds": seeds, "episode_s": episode_s, "episodes": n, "wall_s": wall,
            "pool_startup_s": startup, "episode_wall_per_sim_s": r,
            "measured_episodes_per_hour": n * 3600.0 / wall,
            "episodes_per_hour": per_hour, "load_avg_before": load_before,
            "load_avg_after": _load(),
            "formula": "N*3600 / (W + N*(D - episode_s)*r/workers)"}


def run_bench(task: Any, brain_name: str = "connectome", duration: float = 2.0, seed: int = 0,
              brain_options: dict | None = None, task_options: dict | None = None,
              warmup_s: float | None = None, fit_throughput_: bool | None = None) -> dict:
    """``warmup_s``: untimed simulated seconds of each part before timing (default
    ``min(WARMUP_S, duration)``; 0 skips the warm-up). ``fit_throughput_``: measure (d) (default:
    for the tasks in ``FIT_TASKS``)."""
    import math
    if not (isinstance(duration, (int, float)) and math.isfinite(duration) and duration > 0):
        raise RunConfigError(f"bench duration must be a finite number of seconds > 0, got {duration!r}")
    warmup_s = min(WARMUP_S, duration) if warmup_s is None else float(warmup_s)
    if not (math.isfinite(warmup_s) and warmup_s >= 0):
        raise RunConfigError(f"bench warm-up must be ≥ 0 s, got {warmup_s!r}")
    spec = resolve_task(task)
    load_before = _load()
    env = make_env(spec, duration, task_options)
    brain = build_brain(brain_name, spec.organism, env.observation_space, env.action_space,
                        control_dt=getattr(env.unwrapped, "control_dt", None), **(brain_options or {}))
    backend = _brain_backend(brain)
    try:
        fixed = _fixed_action(env.action_space)
        warm_wall = 0.0
        if warmup_s > 0:
            warm_wall, _dt = _warm_up(env, brain, fixed, warmup_s, seed)
        wall_a, sim_a, steps, cpu_a = _loop(env, duration, lambda o: fixed, seed)
        control_dt = getattr(env.unwrapped, "control_dt", None) or (sim_a / max(steps, 1))

        obs, _ = env.reset(seed=seed)
        brain.reset(seed)
        t0, c0 = time.perf_counter(), time.process_time()
        for _ in range(steps):
            brain.act(obs)
        wall_b, cpu_b = time.perf_counter() - t0, time.process_time() - c0
        sim_b = steps * control_dt

        brain.reset(seed)
        wall_c, sim_c, steps_c, cpu_c = _loop(env, duration, brain.act, seed)
    finally:
        if hasattr(brain, "close"):
            brain.close()
        env.close()

    load_after = _load()
    fit = None
    if fit_throughput_ if fit_throughput_ is not None else (spec.name in FIT_TASKS
                                                            and duration >= FIT_MIN_BENCH_S):
        fit = fit_throughput(spec.name, brain_name, brain_options, task_options)
    elif fit_throughput_ is None and spec.name in FIT_TASKS:
        fit = {"skipped": f"bench duration {duration:g} s < {FIT_MIN_BENCH_S:g} s (a smoke test): "
                          f"fit throughput not measured"}

    def row(wall, sim, n, cpu):
        return {"wall_s": wall, "sim_s": sim, "steps": n, "cpu_s": cpu,
                "sim_s_per_cpu_s": sim / cpu if cpu > 0 else float("inf"),
                "cpu_us_per_step": 1e6 * cpu / max(n, 1),
                "sim_s_per_wall_s": sim / wall if wall > 0 else float("inf"),
                "us_per_step": 1e6 * wall / max(n, 1)}
    return {"task": spec.name, "brain": brain_name, "brain_options": dict(brain_options or {}),
            "brain_backend": backend, "duration": duration,
            "warmup": {"sim_s_per_part": warmup_s, "wall_s": warm_wall},
            "control_dt": control_dt,
            "body": row(wall_a, sim_a, steps, cpu_a), "brain_alone": row(wall_b, sim_b, steps, cpu_b),
            "closed_loop": row(wall_c, sim_c, steps_c, cpu_c),
            "overhead_closed_vs_brain": wall_c / wall_b if wall_b > 0 else float("inf"),
            "load_avg": {"before": load_before, "after": load_after}, "fit_throughput": fit}


def bench_table(r: dict) -> str:
    backend = r.get("brain_backend") or (r.get("brain_options") or {}).get("backend")
    if isinstance(backend, dict):
        backend = " ".join(str(v) for v in backend.values())
    lines = [f"bench {r['task']} × {r['brain']}: {r['duration']} s simulated, "
             f"control dt {r['control_dt'] * 1e3:.3g} ms"
             + (f"; backend {backend}" if backend else ""),
             f"{'part':<13} {'sim-s/wall-s':>13} {'wall (s)':>10} {'steps':>7} {'µs/step':>10} "
             f"{'sim-s/cpu-s':>12} {'cpu µs/step':>12}"]
    for key, name in (("body", "body alone"), ("brain_alone", "brain alone"),
                      ("closed_loop", "closed loop")):
        x = r[key]
        cpu = (f" {x['sim_s_per_cpu_s']:>12.3g} {x['cpu_us_per_step']:>12.1f}"
               if "cpu_s" in x else "")
        lines.append(f"{name:<13} {x['sim_s_per_wall_s']:>13.3g} {x['wall_s']:>10.3f} "
                     f"{x['steps']:>7d} {x['us_per_step']:>10.1f}" + cpu)
    lines.append(f"overhead closed loop / brain alone: {r['overhead_closed_vs_brain']:.3g}×")
    warm = r.get("warmup") or {}
    if warm.get("sim_s_per_part"):
        lines.append(f"warmed up first, untimed: {warm['sim_s_per_part']:.3g} s simulated per part "
                     f"({warm['wall_s']:.2f} s wall; excludes Brian2 code generation and caches)")
    else:
        lines.append("no warm-up: the times include one-off costs (Brian2 code generation)")
    load = r.get("load_avg") or {}
    if load.get("before"):
        lines.append(f"load average (1, 5, 15 min) before {load['before']}, after {load.get('after')} "
                     f"on {os.cpu_count()} CPU(s): wall timings on a busy machine are lower bounds; "
                     f"cpu = this process's CPU time (not counting time other processes held the "
                     f"core), closer to a quiet machine's wall time")
    fit = r.get("fit_throughput")
    if fit and fit.get("skipped"):
        lines.append(f"fit throughput: {fit['skipped']}")
    elif fit:
        eph = ", ".join(f"{d:g} s episodes: {v:,.0f}/h" for d, v in fit["episodes_per_hour"].items())
        lines.append(
            f"fit throughput on {fit['workers']} cores ({fit['executor']}): {eph}. Measured: one "
            f"fit-like generation of {fit['candidates']} candidates × {fit['seeds']} seeds × "
            f"{fit['episode_s']:g} s = {fit['episodes']} episodes in W = {fit['wall_s']:.2f} s wall "
            f"({fit['measured_episodes_per_hour']:,.0f}/h; builds, resets, checks and file writes "
            f"included; pool start-up {fit['pool_startup_s']:.1f} s, once per fit, excluded), "
            f"r = {fit['episode_wall_per_sim_s'] * 1e3:.1f} ms wall per simulated s inside an "
            f"episode with {fit['workers']} running; scaled as {fit['formula']}; load average "
            f"{fit['load_avg_before']} → {fit['load_avg_after']}")
    return "\n".join(lines)


def compare_backends(task: str, backends: list[str], duration: float = 5.0, rounds: int = 2,
                     brain_name: str = "connectome", seed: int = 0) -> list[dict]:
    """Benches of the same brain on several backends, interleaved (round 1: every backend, round
    2: every backend, ...) in this process, so that they share the machine's load; no fit line."""
    out = []
    for k in range(rounds):
        for b in backends:
            r = run_bench(task, brain_name, duration, seed, brain_options={"backend": b},
                          fit_throughput_=False)
            r["round"] = k + 1
            out.append(r)
    return out


def compare_table(rows: list[dict]) -> str:
    lines = [f"{'backend':<8} {'round':>5} {'load':>5}  " + "  ".join(
        f"{name + ' x wall/cpu':>24} {'µs cpu':>7}" for name in ("body", "brain", "closed loop"))]
    for r in rows:
        load = ((r.get("load_avg") or {}).get("before") or [float("nan")])[0]
        cells = []
        for key in ("body", "brain_alone", "closed_loop"):
            x = r[key]
            cells.append(f"{x['sim_s_per_wall_s']:>14.1f} / {x['sim_s_per_cpu_s']:>7.1f} "
                         f"{x['cpu_us_per_step']:>7.0f}")
        lines.append(f"{(r['brain_options'] or {}).get('backend', ''):<8} {r['round']:>5} "
                     f"{load:>5.2f}  " + "  ".join(cells))
    return "\n".join(lines)


def main(argv=None) -> int:
    """``python -m runners.execution.bench TASK [--backends kernel,brian2] ...``: the bench of
    each backend, interleaved, with or without the fit-throughput line (``--fit``)."""
    import argparse

    from .episode import load_organisms
    p = argparse.ArgumentParser(prog="python -m runners.execution.bench", description=main.__doc__)
    p.add_argument("task")
    p.add_argument("--backends", default="kernel,brian2",
                   help="comma-separated network backends (brain option 'backend')")
    p.add_argument("--brain", default="connectome")
    p.add_argument("--duration", type=float, default=5.0)
    p.add_argument("--rounds", type=int, default=2)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--fit", action="store_true",
                   help="also one full bench per backend with the fit-throughput line")
    a = p.parse_args(argv)
    load_organisms()
    backends = [b.strip() for b in a.backends.split(",") if b.strip()]
    try:
        rows = compare_backends(a.task, backends, a.duration, a.rounds, a.brain, a.seed)
        print(compare_table(rows), flush=True)
        if a.fit:
            for b in backends:
                print(bench_table(run_bench(a.task, a.brain, a.duration, a.seed,
                                            brain_options={"backend": b}, fit_throughput_=True)),
                      flush=True)
    except RunConfigError as exc:
        print(f"error: {exc}")
        return 2
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
