"""Closed-loop stepping of a Brian2 network without one ``Network.run()`` per control step.

Each ``Network.run()`` call costs ~0.1–0.3 s of fixed overhead (DESIGN.md), so stepping a network
with ``run(control_dt)`` in a loop is hundreds of times slower than one long run. Instead, each
episode is ONE ``net.run(very long)`` in a worker thread; a ``NetworkOperation`` scheduled every
control step hands the network's output to the caller and waits for the next input through two
queues. The caller sees an ordinary synchronous ``step(input) -> output``:

    step k:  caller puts input_k  ──▶  [op at t_k applies input_k]  ──▶  network integrates
             [t_k, t_k + control_dt)  ──▶  [op at t_{k+1} reads output]  ──▶  caller gets output_k

so the output of step k reflects the input of step k after one control interval (the same
one-step latency as a real sensorimotor loop). ``reset()`` stops the run (``net.stop()`` from the
operation), restores the stored initial state and starts a new run.

Two ways to run that loop (``mode``):

``direct`` (default with Brian2's runtime device): no thread. A generator in the caller's thread
           replays ``Network.run``'s multi-clock loop (before_run once per episode, then every
           object's ``run()`` clock by clock, in the same order) and pauses at the hand-off; the
           caller resumes it with ``send(input)``. Same operations in the same order as a real
           ``net.run``, so trajectories are bit-for-bit those of ``thread`` mode
           (``tests/nervous_systems/test_closed_loop_direct.py``), without two thread switches per
           control step, and with less Python around each code object (due clocks from cached
           arrays, one call plan per due set). Measured CPU time per 10 ms control step of the
           worm, both modes interleaved in one process on the shared 2-core machine under heavy
           load (slow test ``test_direct_mode_costs_less_cpu_per_control_step``): brain alone
           227–263 µs direct vs 271–382 µs threaded; closed loop 465–546 vs 561–849 µs. On a
           loaded machine the *wall* time can still favour ``thread``: the scheduler boosts a
           thread that sleeps at every hand-off over a process that never sleeps. It
           reads Brian2 2.9's ``Network`` internals (``_clock_variables``, ``_nextclocks``,
           ``before_run``/``after_run``); ``pyproject.toml`` pins ``brian2<2.10``.
``thread`` one ``net.run()`` in a worker thread, hand-off through two queues (the original
           scheme; used for any other Brian2 device).
"""

from __future__ import annotations

import os
import queue
import threading
from typing import Any, Callable

from .brian2_setup import brian2

_STOP = object()
# None: "direct" on Brian2's runtime device, else "thread"; the environment variable
# CGYM_CLOSED_LOOP=thread|direct overrides it (e.g. to compare the two with `cgym bench`)
DEFAULT_MODE: str | None = os.environ.get("CGYM_CLOSED_LOOP") or None
_FOREVER_S = 1e7  # a run that only ends by net.stop()


class ClosedLoopError(RuntimeError):
    pass


def _runtime_device() -> bool:
    from brian2.devices.device import RuntimeDevice, get_device
    return isinstance(get_device(), RuntimeDevice)


class ClosedLoop:
    """Drive ``net`` in closed loop.

    ``apply(input)`` is called inside the network at each control step with the caller's input;
    ``read()`` is called one control step later and its result is returned to the caller.
    """

    def __init__(self, net, control_dt_s: float, apply: Callable[[Any], None], read: Callable[[], Any],
                 timeout_s: float = 600.0, mode: str | None = None):
        b2 = brian2()
        if mode is None:
            mode = DEFAULT_MODE or ("direct" if _runtime_device() else "thread")
        if mode not in ("direct", "thread"):
            raise ValueError(f"closed-loop mode must be 'direct' or 'thread' (mode= or the "
                             f"CGYM_CLOSED_LOOP environment variable), got {mode!r}")
        if mode == "direct" and not _runtime_device():
            raise ClosedLoopError("direct closed-loop stepping needs Brian2's runtime device")
        self.mode = mode
        self._gen = None
        self.net = net
        self.apply, self.read = apply, read
        self.timeout = timeout_s
        self.control_dt_s = control_dt_s
        self._in: queue.Queue = queue.Queue(maxsize=1)
        self._out: queue.Queue = queue.Queue(maxsize=1)
        self._thread: threading.Thread | None = None
        self._error: BaseException | None = None
        self._first = True
        self.steps = 0

        @b2.network_operation(dt=control_dt_s * b2.second, when="start", name="closed_loop_handoff")
        def _handoff():
            if not self._first:
                self._out.put(self.read())
            self._first = False
            item = self._in.get()
            if item is _STOP:
                self.net.stop()
                return
            self.apply(item)

        self._op = _handoff
        net.add(_handoff)
        net.store("closed_loop_init")

    # ------------------------------------------------------------------ direct mode
    def _direct(self):
        """Network.run's multi-clock loop (Brian2 2.9, runtime device) as a generator that
        yields the network's output at each hand-off and receives the next input.

        The same code objects run in the same order as in ``Network.run``; what is saved is
        Python around them: the due clocks are found from cached clock arrays (the rule of
        ``Network._nextclocks``), and each due set's ordered list of calls is built once
        (Cython code objects: their compiled ``main`` with its namespace, after the namespace
        refresh that ``CodeObject.__call__`` does)."""
        b2 = brian2()
        from brian2.core.base import BrianObject
        from brian2.core.clocks import Clock
        from brian2.core.network import Network
        net = self.net
        all_objects = net.sorted_objects
        net._clocks = {obj.clock for obj in all_objects}
        t_end = net.t + _FOREVER_S * b2.second
        net._clock_variables = {c: (c.variables["timestep"].get_value(),
                                    c.variables["t"].get_value(),
                                    c.variables["dt"].get_value()) for c in net._clocks}
        for clock in net._clocks:
            clock.set_interval(net.t, t_end)
        net.before_run({})
        active = [obj for obj in all_objects if obj.active]
        op = self._op
        clocks = list(net._clocks)                  # the iteration order _nextclocks uses
        cvars = [net._clock_variables[c] for c in clocks]
        # clocks with the same dt and the same current step tick together for ever (t = step*dt
        # gives the very same float): compare times only between one representative of each
        reps: dict[tuple, list[int]] = {}
        for i, (ts, _t, dt) in enumerate(cvars):
            reps.setdefault((int(ts[0]), float(dt[0])), []).append(i)
        groups = list(reps.values())
        rep_t = [cvars[g[0]][1] for g in groups]
        rep_dt = [float(cvars[g[0]][2][0]) for g in groups]
        group_ts = [cvars[g[0]][0] for g in groups]
        group_arrays = [[(cvars[i][0], cvars[i][1]) for i in g] for g in groups]
        eps = Clock.epsilon_dt
        plans: dict[tuple, list] = {}

        def calls_of(obj) -> list:
            if obj is op:
                return [(None, None, None)]         # the hand-off
            if type(obj).run is not BrianObject.run:  # e.g. a NetworkOperation
                return [(obj.run, None, ())]
            out = []
            for co in obj._code_objects:
                compiled = getattr(co, "compiled_code", {}).get("run")
                main = getattr(compiled, "main", None)
                if main is None or not hasattr(co, "nonconstant_values"):
                    out.append((co, None, ()))      # any other target: the full call
                else:                               # what CodeObject.__call__ + run_block do
                    out.append((main, co.namespace, tuple(co.nonconstant_values)))
            return out

        def plan(due: tuple) -> list:
            due_set = {clocks[i] for g in due for i in groups[g]}
            calls = []
            for obj in active:
                if obj._clock in due_set:
                    calls += calls_of(obj)
            return calls

        def nextclocks() -> tuple:
            times = [t[0] for t in rep_t]
            tmin = min(times)
            dmin = rep_dt[times.index(tmin)]
            return tmin, tuple(g for g, ti in enumerate(times)
                               if ti == tmin or abs(ti - tmin) / min(dmin, rep_dt[g]) < eps)

        # The due sets repeat with the period of the clocks (e.g. 0.5 / 2 / 20 ms: 40 ticks), so
        # they are worked out once, by the rule of nextclocks() on the same timestep * dt floats,
        # and replayed; at the start of every period nextclocks() itself checks the replay (all
        # groups due together again) and, on any mismatch, takes over for good.
        cycle = self._due_cycle(groups, cvars, eps)
        pos = 0

        def next_due() -> tuple:
            nonlocal cycle, pos
            if cycle is None:
                return nextclocks()
            if pos == len(cycle):
                pos = 0
            due = cycle[pos]
            if pos == 0:
                tmin, due_now = nextclocks()
                if due_now != due:
                    cycle = None
                    return tmin, due_now
            pos += 1
            return min(rep_t[g][0] for g in due), due

        first = True
        item = yield None                      # primed; the first send() brings input 0
        tmin, due = next_due()
        while True:
            calls = plans.get(due)
            if calls is None:
                calls = plans[due] = plan(due)
            net.t_ = tmin
            for fn, ns, nonconst in calls:
                if ns is not None:
                    for name, func in nonconst:
                        ns[name] = func()
                    fn(ns)
                elif fn is not None:
                    fn()
                else:                          # the hand-off
                    if not first:
                        item = yield self.read()
                    first = False
                    if item is _STOP:
                        return
                    self.apply(item)
            for g in due:                      # every clock of a group: the same step and dt
                ts = int(group_ts[g][0]) + 1
                tv = ts * rep_dt[g]            # = timestep * dt, as Clock computes it
                for timestep, t in group_arrays[g]:
                    timestep[0] = ts
                    t[0] = tv
            if net._stopped or Network._globally_stopped:   # another operation called stop()
                return
            tmin, due = next_due()

    @staticmethod
    def _due_cycle(groups: list, cvars: list, eps: float, max_ticks: int = 4096) -> list | None:
        """The sequence of due clock groups over one period of the clocks, from the current
        clock state, by the rule of ``Network._nextclocks`` applied to copies of the clocks'
        (timestep, dt); None when the clocks are not all due now or have no period within
        ``max_ticks`` (then nextclocks() runs at every tick)."""
        steps = [int(cvars[g[0]][0][0]) for g in groups]
        dts = [float(cvars[g[0]][2][0]) for g in groups]
        n = len(groups)
        out = []
        for _ in range(max_ticks + 1):
            times = [steps[g] * dts[g] for g in range(n)]
            tmin = min(times)
            dmin = dts[times.index(tmin)]
            due = tuple(g for g, ti in enumerate(times)
                        if ti == tmin or abs(ti - tmin) / min(dmin, dts[g]) < eps)
            if out and len(due) == n:
                return out
            if not out and len(due) != n:
                return None
            out.append(due)
            for g in due:
                steps[g] += 1
        return None

    def _direct_stop(self) -> None:
        gen, self._gen = self._gen, None
        if gen is None:
            return
        gen.close()
        try:
            self.net.after_run()
        except Exception:  # noqa: BLE001 - the state is restored by reset() anyway
            pass

    # ------------------------------------------------------------------ lifecycle
    def _worker(self) -> None:
        b2 = brian2()
        try:
            self.net.run(_FOREVER_S * b2.second, namespace={})
        except BaseException as exc:  # surfaced in the caller's thread
            self._error = exc
        # the run is over (stop() or another operation's net.stop()): a caller waiting for
        # output learns it at once instead of after the timeout
        try:
            self._out.put_nowait(_STOP)
        except queue.Full:
            pass

    def start(self) -> None:
        if self.mode == "direct":
            if self._gen is not None:
                raise ClosedLoopError("closed loop already running; call stop() first")
            self._first, self._error, self.steps = True, None, 0
            self._gen = self._direct()
            next(self._gen)
            return
        if self._thread is not None:
            raise ClosedLoopError("closed loop already running; call stop() first")
        self._first, self._error, self.steps = True, None, 0
        self._in = queue.Queue(maxsize=1)
        self._out = queue.Queue(maxsize=1)
        self._thread = threading.Thread(target=self._worker, name="brian2-closed-loop", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        if self.mode == "direct":
            self._direct_stop()
            return
        if self._thread is None:
            return
        # the op may be blocked in _in.get() or in _out.put(); unblock both
        try:
            while True:
                self._out.get_nowait()
        except queue.Empty:
            pass
        self._in.put(_STOP)
        self._thread.join(timeout=self.timeout)
        if self._thread.is_alive():
            raise ClosedLoopError("Brian2 worker thread did not stop")
        self._thread = None

    def reset(self, before_start: Callable[[], None] | None = None) -> None:
        """Stop the current run, restore the stored initial state, call ``before_start()``
        (e.g. seeding), start a new run."""
        self.stop()
        self.net.restore("closed_loop_init")
        if before_start is not None:
            before_start()
        self.start()

    # ------------------------------------------------------------------ stepping
    def step(self, item: Any) -> Any:
        if self.mode == "direct":
            if self._gen is None:
                self.start()
            try:
                out = self._gen.send(item)
            except StopIteration:
                self._gen = None
                raise ClosedLoopError("Brian2 run ended unexpectedly") from None
            except Exception as exc:
                self._gen = None
                raise ClosedLoopError(f"the Brian2 network failed: {exc}") from exc
            self.steps += 1
            return out
        if self._thread is None:
            self.start()
        self._check()
        self._in.put(item, timeout=self.timeout)
        try:
            out = self._out.get(timeout=self.timeout)
        except queue.Empty:
            self._check()
            raise ClosedLoopError(f"Brian2 network did not answer within {self.timeout} s") from None
        if out is _STOP:
            self._check()
            raise ClosedLoopError("Brian2 run ended unexpectedly")
        self.steps += 1
        return out

    def _check(self) -> None:
        if self._error is not None:
            err, self._error = self._error, None
            self._thread = None
            raise ClosedLoopError(f"the Brian2 network failed: {err}") from err

    @property
    def t(self) -> float:
        return self.steps * self.control_dt_s


class SynchronousClosedLoop:
    """Closed-loop stepping for backends that integrate in the caller's thread (torch, the compiled
    graded kernel), with the interface and timing of :class:`ClosedLoop`: ``step(input)`` applies
    ``input``, integrates one control interval (``network.step(n_substeps)``) and returns
    ``read()``, so the output of step k reflects input k after one control interval.
    ``network`` needs ``dt`` (s), ``step(n)`` and ``reset_state()``."""

    def __init__(self, network, control_dt_s: float, apply: Callable[[Any], None],
                 read: Callable[[], Any]):
        n_sub = control_dt_s / network.dt
        if abs(n_sub - round(n_sub)) > 1e-6 or round(n_sub) < 1:
            raise ValueError(f"control_dt {control_dt_s} s is not a whole number of network steps "
                             f"(dt {network.dt} s)")
        self.network, self.apply, self.read = network, apply, read
        self.control_dt_s = control_dt_s
        self.n_substeps = int(round(n_sub))
        self.steps = 0

    def start(self) -> None:
        pass

    def stop(self) -> None:
        pass

    def reset(self, before_start: Callable[[], None] | None = None) -> None:
        self.network.reset_state()
        if before_start is not None:
            before_start()
        self.steps = 0

    def step(self, item: Any) -> Any:
        self.apply(item)
        self.network.step(self.n_substeps)
        self.steps += 1
        return self.read()

    @property
    def t(self) -> float:
        return self.steps * self.control_dt_s
