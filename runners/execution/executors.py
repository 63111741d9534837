"""Where a sweep's episodes run: a local process pool (default), Dask, or this process.

Each backend hands out ``concurrent.futures``-style futures and says which exceptions mean
"the worker process died" (the episode is then resubmitted):

``ProcessPool``  ``concurrent.futures.ProcessPoolExecutor`` with the ``spawn`` start method
                 (Brian2 + threads + ``fork`` is unsafe); a killed worker breaks the pool
                 (``BrokenProcessPool`` for every episode in flight): the pool is rebuilt and
                 the unfinished episodes resubmitted.
``Dask``         ``distributed.Client.get_executor()`` on a ``LocalCluster`` (``--dask-local N``:
                 N worker processes, one thread each) or on a running scheduler
                 (``--scheduler tcp://HOST:PORT``, e.g. from dask-jobqueue on SLURM). Dask itself
                 reschedules a dead worker's task (``distributed.scheduler.allowed-failures``);
                 ``KilledWorker`` after that is resubmitted here too. Workers must see the same
                 file system as the output folder, and import ``runners.execution.sweep_worker`` in their
                 main thread: done here with a preload (local) or a worker plugin (remote);
                 for ``dask worker`` processes you start yourself, ``--preload runners.execution.sweep_worker``.
``Inline``       this process, one episode at a time (``--workers 0``: debugging, tests).
"""

from __future__ import annotations

import multiprocessing
import os
from concurrent.futures import Executor, Future
from concurrent.futures.process import BrokenProcessPool
from typing import Any, Callable

WORKER_MODULE = "runners.execution.sweep_worker"


class Backend:
    description = ""
    n_workers = 1
    lost_errors: tuple[type[BaseException], ...] = ()

    @property
    def window(self) -> int:
        """How many episodes to keep in flight."""
        return self.n_workers

    def submit(self, fn: Callable, job: dict) -> tuple[Future, Any]:
        raise NotImplementedError

    def lost(self, token: Any) -> None:
        """A future submitted with ``token`` failed with one of ``lost_errors``."""

    def close(self, cancel: bool = False) -> None:
        pass


class InlineExecutor(Executor):
    """Runs each call at submission, in this process (an Executor for ``--workers 0``)."""

    def submit(self, fn, /, *args, **kwargs):
        f: Future = Future()
        try:
            f.set_result(fn(*args, **kwargs))
        except BaseException as exc:  # noqa: BLE001
            if isinstance(exc, KeyboardInterrupt):
                raise
            f.set_exception(exc)
        return f


class Inline(Backend):
    description = "this process (inline, 1 episode at a time)"

    def __init__(self):
        from . import sweep_worker
        sweep_worker.init_worker()
        self.ex = InlineExecutor()

    def submit(self, fn, job):
        return self.ex.submit(fn, job), None


class ProcessPool(Backend):
    lost_errors = (BrokenProcessPool,)

    def __init__(self, workers: int | None = None, start_method: str = "spawn"):
        self.n_workers = max(1, int(workers or os.cpu_count() or 1))
        self.ctx = multiprocessing.get_context(start_method)
        self.description = (f"process pool ({self.n_workers} worker process(es), "
                            f"{start_method})")
        self.generation = 0
        self.rebuilds = 0
        self._new()

    def _new(self) -> None:
        from concurrent.futures import ProcessPoolExecutor
        self.ex = ProcessPoolExecutor(max_workers=self.n_workers, mp_context=self.ctx,
                                      initializer=_pool_init)

    def submit(self, fn, job):
        return self.ex.submit(fn, job), self.generation

    def lost(self, token) -> None:
        if token == self.generation:  # first news of this break: one new pool
            self._shutdown(self.ex, cancel=True)
            self.generation += 1
            self.rebuilds += 1
            self._new()

    @staticmethod
    def _shutdown(ex, cancel: bool) -> None:
        procs = list((getattr(ex, "_processes", None) or {}).values())
        try:
            ex.shutdown(wait=not cancel, cancel_futures=cancel)
        except Exception:  # noqa: BLE001 - a broken pool may complain
            pass
        if cancel:
            for p in procs:  # running episodes are abandoned (they are not finished: rerun)
                if p.is_alive():
                    p.terminate()
            for p in procs:
                p.join(timeout=5)

    def close(self, cancel: bool = False) -> None:
        self._shutdown(self.ex, cancel)


def _pool_init() -> None:
    import importlib
    import signal
    importlib.import_module(WORKER_MODULE).init_worker()
    # Ctrl-C reaches the whole process group: only the driver handles it (it stops the pool);
    # a worker interrupted mid-episode would otherwise report the interruption as its result
    signal.signal(signal.SIGINT, signal.SIG_IGN)


class Dask(Backend):
    def __init__(self, local_workers: int | None = None, scheduler: str | None = None):
        try:
            import dask  # noqa: F401
            from distributed import Client, LocalCluster
            from distributed.client import FutureCancelledError  # noqa: F401
            from distributed.scheduler import KilledWorker
        except ImportError as exc:
            from .episode import RunConfigError
            raise RunConfigError("Dask is not installed: pip install 'connectome-gym[dask]' "
                                 f"(or dask[distributed]) ({exc})") from exc
        self.lost_errors = (KilledWorker,)
        self.cluster = None
        if scheduler:
            self.client = Client(scheduler, timeout="30s")
            self.client.register_plugin(ImportWorkerModule())
            self.description = f"Dask scheduler {scheduler}"
        else:
            n = max(1, int(local_workers or 1))
            self.cluster = LocalCluster(n_workers=n, threads_per_worker=1, processes=True,
                                        dashboard_address=None, preload=[WORKER_MODULE],
                                        silence_logs=40)
            self.client = Client(self.cluster)
            self.description = f"Dask LocalCluster ({n} worker process(es), 1 thread each)"
        self.ex = self.client.get_executor(pure=False)

    @property
    def n_workers(self) -> int:
        """Worker threads now (asked at most every 5 s: clusters may scale while running)."""
        import time
        now = time.monotonic()
        if now - getattr(self, "_asked", -1e9) > 5:
            try:
                self._n = max(1, sum(self.client.nthreads().values()))
            except Exception:  # noqa: BLE001
                self._n = getattr(self, "_n", 1)
            self._asked = now
        return self._n

    @property
    def window(self) -> int:
        return 2 * self.n_workers

    def submit(self, fn, job):
        return self.ex.submit(fn, job), None

    def close(self, cancel: bool = False) -> None:
        try:
            self.ex.shutdown(wait=not cancel)
        except Exception:  # noqa: BLE001
            pass
        self.client.close()
        if self.cluster is not None:
            self.cluster.close()


def _worker_plugin_base():
    from distributed.diagnostics.plugin import WorkerPlugin
    return WorkerPlugin


try:  # defined only where distributed is installed
    class ImportWorkerModule(_worker_plugin_base()):
        """Imports ``runners.execution.sweep_worker`` (and so Brian2) when a worker starts, outside the
        task threads."""
        name = "cgym-sweep-worker"

        def setup(self, worker):
            import importlib
            importlib.import_module(WORKER_MODULE).init_worker()
except ImportError:  # pragma: no cover
    ImportWorkerModule = None  # type: ignore[assignment]


def make_backend(workers: int | None = None, dask_local: int | None = None,
                 scheduler: str | None = None) -> Backend:
    """``scheduler`` → Dask on that scheduler; ``dask_local`` → a Dask LocalCluster;
    ``workers == 0`` → inline; else a process pool of ``workers`` (default: CPU count)."""
    if scheduler or dask_local:
        if scheduler and dask_local:
            from .episode import RunConfigError
            raise RunConfigError("give --scheduler or --dask-local, not both")
        return Dask(local_workers=dask_local, scheduler=scheduler)
    if workers == 0:
        return Inline()
    return ProcessPool(workers)
