"""``cgym sweep``: every (condition, seed) of a sweep file through an Executor, resumable.

Sweep folder layout::

    OUT/
      sweep.json                    the sweep file as given, its conditions (name, config,
                                    hash), seeds, versions, git commit, command line
      summary.json                  the last invocation's per-condition table
      <condition>/                  one run folder per condition (``cgym score`` reads it)
        run.json                    as written by ``cgym run``, plus the condition's sweep entry
        episodes/ep_SEED_HASH.{json,npz,wcon}

An episode's files are named by its seed and a hash of its full configuration + seed
(``Condition.episode_hash``); they are written atomically by the worker, ``.json`` last, so an
episode is finished exactly when its ``.json`` exists. Rerunning a sweep skips finished
episodes (failed ones too, unless ``retry_failed``); a changed condition gets a new hash and
runs anew. An episode whose worker process dies is resubmitted (``max_attempts`` in all, then
recorded as failed); an episode that fails inside (diverging body, bad brain output, any
exception) is recorded as failed with its traceback, and the sweep goes on.
"""

from __future__ import annotations

import sys
import time
import traceback as tb
from collections import deque
from concurrent.futures import FIRST_COMPLETED, CancelledError, wait
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Callable, Sequence

from ..io import recording as rec_io
from ..io.run_dirs import SWEEP_FILE, expand_run_dirs, is_sweep_dir, sweep_run_dirs  # noqa: F401
from .episode import RunConfigError, resolve_task
from .sweep_spec import Condition, SweepError, SweepSpec, load_sweep, parse_sweep  # noqa: F401

SUMMARY_FILE = "summary.json"


@dataclass
class ConditionRow:
    name: str
    brain: str
    n: int = 0
    ok: int = 0
    failed: int = 0
    skipped: int = 0           # finished before this invocation
    retried: int = 0           # resubmissions after a worker died
    wall_s: float = 0.0        # sum of this invocation's episode wall times
    sim_s: float = 0.0


@dataclass
class SweepSummary:
    out_dir: Path
    executor: str
    rows: dict[str, ConditionRow] = field(default_factory=dict)
    failures: list[tuple[str, int, str]] = field(default_factory=list)
    wall_time_s: float = 0.0
    pool_rebuilds: int = 0

    @property
    def n_ran(self) -> int:
        return sum(r.ok + r.failed for r in self.rows.values()) - self.n_skipped

    @property
    def n_skipped(self) -> int:
        return sum(r.skipped for r in self.rows.values())

    @property
    def n_ok(self) -> int:
        return sum(r.ok for r in self.rows.values())

    @property
    def n_failed(self) -> int:
        return sum(r.failed for r in self.rows.values())

    def table(self) -> str:
        head = ("condition", "brain", "episodes", "ok", "failed", "skipped", "retried",
                "wall s", "s/episode")
        lines = []
        for r in self.rows.values():
            ran = r.ok + r.failed - r.skipped
            lines.append((r.name, r.brain, str(r.n), str(r.ok), str(r.failed), str(r.skipped),
                          str(r.retried), f"{r.wall_s:.1f}",
                          f"{r.wall_s / ran:.2f}" if ran > 0 else "-"))
        tot = ("total", "", str(sum(r.n for r in self.rows.values())), str(self.n_ok),
               str(self.n_failed), str(self.n_skipped),
               str(sum(r.retried for r in self.rows.values())),
               f"{sum(r.wall_s for r in self.rows.values()):.1f}", "")
        widths = [max(len(x[i]) for x in [head, tot, *lines]) for i in range(len(head))]
        fmt = lambda row: "  ".join(c.ljust(w) if i < 2 else c.rjust(w)  # noqa: E731
                                    for i, (c, w) in enumerate(zip(row, widths)))
        rule = "  ".join("-" * w for w in widths)
        return "\n".join([fmt(head), rule, *map(fmt, lines), rule, fmt(tot)])

    def to_dict(self) -> dict:
        return {"out_dir": str(self.out_dir), "executor": self.executor,
                "wall_time_s": self.wall_time_s, "pool_rebuilds": self.pool_rebuilds,
                "conditions": [vars(r) for r in self.rows.values()],
                "failures": [{"condition": c, "seed": s, "error": e}
                             for c, s, e in self.failures]}


# ---------------------------------------------------------------------------- set-up

def _condition_run_record(cond: Condition, name: str, spec: SweepSpec, seeds: list[int],
                          prior: dict | None) -> tuple[dict, dict]:
    """Build the condition's env + brain once here (a bad brain option, neuron name or task
    option fails now, before any episode) → (run.json record, reference summary)."""
    from .episode import EpisodeRunner, reference_summary
    try:
        task = resolve_task(cond.task)
        runner = EpisodeRunner(task, cond.brain, cond.duration, cond.brain_options,
                               cond.task_options, cond.record_rate_hz)
    except RunConfigError as exc:
        raise SweepError(f"{spec.source}: condition {name!r}: {exc}") from exc
    try:
        reference = reference_summary(task)
        record = {
            "task": task.name, "task_spec": task.as_dict(), "brain": cond.brain,
            "config": runner.config(),
            "seeds": sorted(set(seeds) | set((prior or {}).get("seeds", []))),
            "brain_info": runner.brain_info(), "reference": reference,
            "versions": rec_io.package_versions(), "git_commit": rec_io.git_commit(),
            "command_line": rec_io.command_line(),
            "created": (prior or {}).get("created") or datetime.now(timezone.utc).isoformat(),
            "updated": datetime.now(timezone.utc).isoformat(),
            "sweep": {"condition": name, "label": cond.label, "hash": cond.hash,
                      "condition_config": cond.config(), "sweep_name": spec.name},
        }
    finally:
        runner.close()
    return record, reference


def _stem(cond: Condition, seed: int) -> str:
    return f"{rec_io.episode_stem(seed)}_{cond.episode_hash(seed)[:12]}"


def _episode_json(cond_dir: Path, stem: str) -> Path:
    return cond_dir / rec_io.EPISODES_DIR / f"{stem}.json"


def _finished_status(path: Path) -> str | None:
    if not path.exists():
        return None
    try:
        return rec_io.read_json(path).get("status") or "failed"
    except (OSError, ValueError):
        return None  # unreadable: run it again (the rewrite is atomic)


def _clean_stale_tmp(cond_dirs: list[Path]) -> int:
    """Remove temporary files left by a worker killed mid-write (names start with '.')."""
    n = 0
    for d in cond_dirs:
        for p in (d / rec_io.EPISODES_DIR).glob(".ep_*.tmp*"):
            try:
                p.unlink()
                n += 1
            except OSError:
                pass
    return n


# ---------------------------------------------------------------------------- run

def check_sweep_values(out: str | Path, workers: int | None = None, dask_local: int | None = None,
                       scheduler: str | None = None, max_attempts: int = 3) -> None:
    """The sweep's run settings, checked before anything is built or written (SweepError)."""
    p = Path(out)
    if p.exists() and not p.is_dir():
        raise SweepError(f"--out {out}: an existing file, not a folder")
    if workers is not None and (isinstance(workers, bool) or int(workers) != workers or workers < 0):
        raise SweepError(f"--workers must be an integer ≥ 0 (0: run in this process), got {workers!r}")
    if dask_local is not None and (isinstance(dask_local, bool) or int(dask_local) != dask_local
                                   or dask_local < 1):
        raise SweepError(f"--dask-local must be an integer ≥ 1, got {dask_local!r}")
    if dask_local is not None and scheduler:
        raise SweepError("give --scheduler or --dask-local, not both")
    if isinstance(max_attempts, bool) or int(max_attempts) != max_attempts or max_attempts < 1:
        raise SweepError(f"--max-attempts must be an integer ≥ 1, got {max_attempts!r}")


def run_sweep(spec: SweepSpec | str | Path, out: str | Path, workers: int | None = None,
              dask_local: int | None = None, scheduler: str | None = None,
              progress: bool = True, retry_failed: bool = False, max_attempts: int = 3,
              log: Callable[[str], None] | None = None, episode_hook: str | None = None,
              backend: Any = None, _stop_after: int | None = None) -> SweepSummary:
    """Run every unfinished (condition, seed) of ``spec`` into ``out``.

    ``workers``: process-pool size (default: CPU count; 0 runs inline in this process);
    ``dask_local`` / ``scheduler``: run on Dask instead. ``episode_hook`` ("module:function",
    tests): called as ``hook(job, t_sim)`` at every recorded sample inside each episode.
    ``_stop_after`` (tests): ``KeyboardInterrupt`` after that many results, as if interrupted.
    """
    from .executors import make_backend
    from .sweep_worker import failed_result, run_job, save_job_result

    log = log or (lambda m: print(m, file=sys.stderr))
    check_sweep_values(out, workers=workers, dask_local=dask_local, scheduler=scheduler,
                       max_attempts=max_attempts)
    if not isinstance(spec, SweepSpec):
        spec = load_sweep(spec)
    out_dir = Path(out)
    t_start = time.perf_counter()

    # 1. check every condition (builds each env + brain once), then write the run records:
    #    an invalid condition anywhere in the sweep stops it before anything is written
    names = spec.dir_names()
    prior_sweep = (rec_io.read_json(out_dir / SWEEP_FILE)
                   if (out_dir / SWEEP_FILE).exists() else {})
    references, records = {}, {}
    for cond, name in zip(spec.conditions, names):
        run_file = out_dir / name / rec_io.RUN_FILE
        prior = rec_io.read_json(run_file) if run_file.exists() else None
        records[name], references[name] = _condition_run_record(cond, name, spec, spec.seeds, prior)
    out_dir.mkdir(parents=True, exist_ok=True)
    for name, record in records.items():
        rec_io.atomic_write_json(out_dir / name / rec_io.RUN_FILE, record)
    cond_entries = {e["dir"]: e for e in prior_sweep.get("conditions", [])}
    for cond, name in zip(spec.conditions, names):
        cond_entries[name] = {"dir": name, "label": cond.label, "hash": cond.hash,
                              "config": cond.config()}
    rec_io.atomic_write_json(out_dir / SWEEP_FILE, {
        "name": spec.name, "source": spec.source, "sweep_file": spec.raw,
        "conditions": list(cond_entries.values()),
        "seeds": sorted(set(spec.seeds) | set(prior_sweep.get("seeds", []))),
        "versions": rec_io.package_versions(), "git_commit": rec_io.git_commit(),
        "command_line": rec_io.command_line(),
        "created": prior_sweep.get("created") or datetime.now(timezone.utc).isoformat(),
        "updated": datetime.now(timezone.utc).isoformat()})

    # 2. what is left to do
    summary = SweepSummary(out_dir=out_dir, executor="")
    jobs: list[dict] = []
    for cond, name in zip(spec.conditions, names):
        row = summary.rows[name] = ConditionRow(name=name, brain=cond.brain, n=len(spec.seeds))
        for seed in spec.seeds:
            stem = _stem(cond, seed)
            status = _finished_status(_episode_json(out_dir / name, stem))
            if status is not None and (status == "ok" or not retry_failed):
                row.skipped += 1
                row.ok += status == "ok"
                row.failed += status != "ok"
                if status != "ok":
                    summary.failures.append((name, seed, "failed in an earlier run "
                                                         "(use --retry-failed to redo)"))
                continue
            jobs.append({"key": cond.episode_hash(seed), "seed": int(seed), "stem": stem,
                         "condition": cond.config(), "condition_key": cond.hash,
                         "condition_name": name, "out_dir": str(out_dir / name),
                         "wcon": spec.wcon, "reference": references[name],
                         "hook": episode_hook, "attempt": 1})
    if summary.n_skipped:
        log(f"resuming {out_dir}: {summary.n_skipped} of {spec.n_episodes} episode(s) already "
            f"finished, skipping them")
    if not jobs:
        summary.executor = "(nothing to run)"
        summary.wall_time_s = time.perf_counter() - t_start
        rec_io.atomic_write_json(out_dir / SUMMARY_FILE, summary.to_dict())
        return summary

    # 3. run them
    backend = backend or make_backend(workers=workers, dask_local=dask_local,
                                      scheduler=scheduler)
    summary.executor = backend.description
    log(f"sweep: {len(jobs)} episode(s) to run on {backend.description}")
    bar = None
    if progress:
        from tqdm.auto import tqdm
        bar = tqdm(total=spec.n_episodes, initial=summary.n_skipped, unit="ep",
                   desc=spec.name or "sweep", file=sys.stderr, dynamic_ncols=True)
    pending = deque(jobs)
    inflight: dict[Any, tuple[dict, Any]] = {}
    n_results = 0
    interrupted = True
    try:
        while pending or inflight:
            while pending and len(inflight) < backend.window:
                job = pending.popleft()
                fut, token = backend.submit(run_job, job)
                inflight[fut] = (job, token)
            done, _ = wait(list(inflight), return_when=FIRST_COMPLETED)
            for fut in done:
                job, token = inflight.pop(fut)
                row = summary.rows[job["condition_name"]]
                exc = fut.exception()
                if exc is not None and isinstance(exc, backend.lost_errors):
                    backend.lost(token)
                    # finished after all (the result was lost, not the files)?
                    status = _finished_status(_episode_json(Path(job["out_dir"]), job["stem"]))
                    if status is None and job["attempt"] < max_attempts:
                        row.retried += 1
                        pending.appendleft({**job, "attempt": job["attempt"] + 1})
                        log(f"{job['condition_name']} seed {job['seed']}: worker died "
                            f"({type(exc).__name__}); resubmitted (attempt "
                            f"{job['attempt'] + 1} of {max_attempts})")
                        continue
                    if status is None:
                        res = failed_result(job, f"worker process died {job['attempt']} "
                                                 f"time(s) running this episode "
                                                 f"({type(exc).__name__}: {exc})", None)
                        save_job_result(job, res)
                        status = "failed"
                    result = {"status": status, "error": "worker died", "wall_time_s": 0.0,
                              "sim_time_s": 0.0}
                elif isinstance(exc, (KeyboardInterrupt, CancelledError)):
                    raise KeyboardInterrupt(f"episode interrupted in its worker ({exc!r})")
                elif exc is not None:  # the worker could not even run/save it: record here
                    text = "".join(tb.format_exception(type(exc), exc, exc.__traceback__))
                    res = failed_result(job, f"{type(exc).__name__}: {exc}", text)
                    try:
                        save_job_result(job, res)
                    except Exception as save_exc:  # noqa: BLE001
                        log(f"could not record the failure: {save_exc}")
                    result = {"status": "failed", "error": res.error, "wall_time_s": 0.0,
                              "sim_time_s": 0.0}
                else:
                    result = fut.result()
                n_results += 1
                row.wall_s += float(result.get("wall_time_s") or 0.0)
                row.sim_s += float(result.get("sim_time_s") or 0.0)
                if result["status"] == "ok":
                    row.ok += 1
                else:
                    row.failed += 1
                    summary.failures.append((job["condition_name"], job["seed"],
                                             str(result.get("error"))))
                    log(f"episode {job['condition_name']} seed {job['seed']} FAILED: "
                        f"{result.get('error')} (recorded in {job['out_dir']}/"
                        f"{rec_io.EPISODES_DIR}/{job['stem']}.json)")
                if bar is not None:
                    bar.set_postfix_str(f"{summary.n_failed} failed", refresh=False)
                    bar.update(1)
                if _stop_after is not None and n_results >= _stop_after and (pending or inflight):
                    raise KeyboardInterrupt(f"simulated interruption after {n_results} episodes")
        interrupted = False
    finally:
        if bar is not None:
            bar.close()
        summary.pool_rebuilds = getattr(backend, "rebuilds", 0)
        backend.close(cancel=interrupted)
        if not interrupted:
            _clean_stale_tmp([out_dir / n for n in names])
        summary.wall_time_s = time.perf_counter() - t_start
        rec_io.atomic_write_json(out_dir / SUMMARY_FILE,
                                 {**summary.to_dict(), "interrupted": interrupted})
    return summary


# ---------------------------------------------------------------------------- reading

def compare_sweeps(a: str | Path, b: str | Path, atol: float = 0.0) -> dict:
    """Compare the saved episodes of two sweep folders array by array.

    Returns counts of episodes found in both, those identical (``np.array_equal`` when
    ``atol == 0``, else ``np.allclose(atol=atol, rtol=0)``), the differing ones and those
    present in only one folder (matched by condition folder + episode file name)."""
    import numpy as np
    a, b = Path(a), Path(b)

    def episodes(root):
        out = {}
        for d in sweep_run_dirs(root):
            for p in (d / rec_io.EPISODES_DIR).glob("ep_*.npz"):
                out[(d.name, p.stem)] = p
        return out
    ea, eb = episodes(a), episodes(b)
    common = sorted(set(ea) & set(eb))
    differ = []
    max_abs = 0.0
    for key in common:
        za, zb = rec_io.load_npz(ea[key]), rec_io.load_npz(eb[key])
        if set(za) != set(zb):
            differ.append((key, f"arrays differ: {sorted(set(za) ^ set(zb))}"))
            continue
        for name in sorted(za):
            x, y = za[name], zb[name]
            if x.shape != y.shape:
                differ.append((key, f"{name}: shape {x.shape} vs {y.shape}"))
                break
            if x.dtype.kind in "fc":
                d = np.nanmax(np.abs(x - y)) if x.size and not np.all(np.isnan(x)) else 0.0
                max_abs = max(max_abs, float(d) if np.isfinite(d) else float("inf"))
                same = (np.array_equal(x, y, equal_nan=True) if atol == 0 else
                        np.allclose(x, y, rtol=0, atol=atol, equal_nan=True))
            else:
                same = np.array_equal(x, y)
            if not same:
                differ.append((key, name))
                break
    return {"common": len(common), "identical": len(common) - len(differ),
            "differ": differ, "only_a": sorted(set(ea) - set(eb)),
            "only_b": sorted(set(eb) - set(ea)), "max_abs_diff": max_abs}
