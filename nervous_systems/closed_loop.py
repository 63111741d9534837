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
"""

from __future__ import annotations

import queue
import threading
from typing import Any, Callable

from .brian2_setup import brian2

_STOP = object()
_FOREVER_S = 1e7  # a run that only ends by net.stop()


class ClosedLoopError(RuntimeError):
    pass


class ClosedLoop:
    """Drive ``net`` in closed loop.

    ``apply(input)`` is called inside the network at each control step with the caller's input;
    ``read()`` is called one control step later and its result is returned to the caller.
    """

    def __init__(self, net, control_dt_s: float, apply: Callable[[Any], None], read: Callable[[], Any],
                 timeout_s: float = 600.0):
        b2 = brian2()
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

    # ------------------------------------------------------------------ lifecycle
    def _worker(self) -> None:
        b2 = brian2()
        try:
            self.net.run(_FOREVER_S * b2.second, namespace={})
        except BaseException as exc:  # surfaced in the caller's thread
            self._error = exc
            try:
                self._out.put_nowait(_STOP)
            except queue.Full:
                pass

    def start(self) -> None:
        if self._thread is not None:
            raise ClosedLoopError("closed loop already running; call stop() first")
        self._first, self._error, self.steps = True, None, 0
        self._in = queue.Queue(maxsize=1)
        self._out = queue.Queue(maxsize=1)
        self._thread = threading.Thread(target=self._worker, name="brian2-closed-loop", daemon=True)
        self._thread.start()

    def stop(self) -> None:
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
