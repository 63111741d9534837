"""What a sweep worker process runs: one episode per call, written to disk by the worker.

Imported at worker start-up (process-pool initializer, Dask ``--preload`` / worker plugin), so
that Brian2 is imported in the worker's main thread: a first ``import brian2`` inside a Dask
worker's task thread fails, because Brian2 installs a signal handler at import.

The worker keeps the last condition's :class:`~runners.execution.episode.EpisodeRunner` (env + brain)
and reuses it for the next episode of the same condition, as ``cgym run`` does between seeds;
``EpisodeRunner.run(seed)`` resets env and brain from the seed, so an episode does not depend on
which worker ran it or what ran before (``tests/runners/test_sweep.py`` checks this across
executors).
"""

from __future__ import annotations

import os
import socket
import time
import traceback as tb

import brian2  # noqa: F401  (module level on purpose: see the module docstring)
import numpy as np

import nervous_systems  # noqa: F401  (registers null/random)
from . import episode as ep
from ..io.recording import load_callable

_RUNNER: ep.EpisodeRunner | None = None
_RUNNER_KEY: str | None = None


def init_worker() -> None:
    """Process-pool initializer: import the organisms (their brains) and the tasks up front."""
    ep.load_organisms()
    try:
        import tasks  # noqa: F401
    except ImportError:
        pass


def dask_setup(worker=None) -> None:  # called by Dask for a --preload module
    init_worker()


def _runner_for(condition: dict, key: str) -> ep.EpisodeRunner:
    global _RUNNER, _RUNNER_KEY
    if _RUNNER is None or _RUNNER_KEY != key:
        if _RUNNER is not None:
            _RUNNER.close()
            _RUNNER = _RUNNER_KEY = None
        _RUNNER = ep.EpisodeRunner(condition["task"], condition["brain"], condition["duration"],
                                   condition.get("brain_options"), condition.get("task_options"),
                                   condition.get("record_rate_hz"))
        _RUNNER_KEY = key
    return _RUNNER


def failed_result(job: dict, error: str, traceback: str | None) -> ep.EpisodeResult:
    return ep.EpisodeResult(seed=int(job["seed"]), status="failed",
                            trajectory={"t": np.zeros(0)}, config=dict(job["condition"]),
                            error=error, traceback=traceback)


def save_job_result(job: dict, res: ep.EpisodeResult, **sweep_info) -> None:
    """Write an episode of a sweep: ``<condition dir>/episodes/<stem>.{npz,json}`` (atomic)."""
    res.config["sweep"] = {"episode_hash": job["key"], "condition": job["condition_name"],
                           "attempt": job.get("attempt", 1), **sweep_info}
    ep.save_episode(job["out_dir"], res, wcon=job.get("wcon", True),
                    reference=job.get("reference"), stem=job["stem"])


def run_job(job: dict) -> dict:
    """Run one episode of a sweep and save it; returns a small summary (never the arrays).

    Anything that goes wrong in the episode (or in building its env/brain here) is saved as a
    failed episode with its traceback; only a dying process loses the episode (retried)."""
    global _RUNNER, _RUNNER_KEY
    seed = int(job["seed"])
    hook = load_callable(job.get("hook"))
    try:
        runner = _runner_for(job["condition"], job["condition_key"])
    except Exception as exc:  # noqa: BLE001
        _RUNNER = _RUNNER_KEY = None
        res = failed_result(job, f"{type(exc).__name__}: {exc}", tb.format_exc())
    else:
        cb = None
        if hook is not None:
            def cb(t_sim, wall, _job=job):
                hook(_job, t_sim)
        res = runner.run(seed, sim_progress=cb)
    t0 = time.perf_counter()
    save_job_result(job, res, worker_pid=os.getpid(), host=socket.gethostname())
    return {"key": job["key"], "status": res.status, "error": res.error,
            "wall_time_s": res.wall_time_s, "sim_time_s": res.sim_time_s,
            "save_s": time.perf_counter() - t0, "pid": os.getpid()}
