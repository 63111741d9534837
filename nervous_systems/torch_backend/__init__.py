"""PyTorch implementations of the project's network models (optional extra ``[torch]``).

``graded.TorchGradedNetwork``  the Kunert 2014 graded model of ``graded_network.GradedNetwork``
                               (worm), same YAML, same exponential-Euler scheme;
``lif.TorchLIFNetwork``        the Shiu 2024 LIF model of ``lif_network.LIFNetwork`` (fly).

Both are built from the same data as the Brian2 versions, propagate through sparse CSR matrices
(event-driven for spikes), and run on CUDA when present (``device`` option, default
``"cuda"`` if available else ``"cpu"``). Equivalence with Brian2 is tested in
``tests/nervous_systems/test_torch_*.py``.
"""

from __future__ import annotations


class TorchNotAvailable(ImportError):
    pass


def require_torch():
    """Import torch or fail with the install command.

    Before torch's first import, ``OMP_WAIT_POLICY`` defaults to ``PASSIVE`` (unless set): with
    OpenMP's default active waiting, two intra-op threads on this 2-core machine under load made
    every small kernel wait ~0.5-4 ms at its barrier (a 0.1 ms fly step took 10-55 ms instead of
    1.5 ms with one thread); with passive waiting two threads took 0.3-2.1 ms (README, "Threads").
    The variable is read once, when the OpenMP runtime loads: it has no effect if something else
    imported torch first."""
    import os
    import sys
    if "torch" not in sys.modules:
        os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
    try:
        import torch
    except ImportError:
        raise TorchNotAvailable("the torch backend needs PyTorch: pip install 'connectome-gym[torch]' "
                                "(or pip install torch)") from None
    return torch


def resolve_device(device=None):
    """``None`` / ``"auto"`` -> ``cuda`` if available else ``cpu``; otherwise the named device,
    with a clear error when CUDA is asked for and absent."""
    torch = require_torch()
    if device is None or device == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    dev = torch.device(device)
    if dev.type == "cuda" and not torch.cuda.is_available():
        raise ValueError(f"device {device!r} asked for, but torch {torch.__version__} sees no CUDA device")
    return dev


def resolve_dtype(dtype="float32"):
    torch = require_torch()
    if isinstance(dtype, torch.dtype):
        return dtype
    table = {"float32": torch.float32, "float64": torch.float64}
    if dtype not in table:
        raise ValueError(f"dtype {dtype!r} not supported; choose one of {sorted(table)}")
    return table[dtype]


def device_name(device, threads: int | None = None) -> str:
    """e.g. ``cuda:NVIDIA H100 80GB HBM3`` or ``cpu:x86_64 (1 thread)``."""
    torch = require_torch()
    device = torch.device(device)
    if device.type == "cuda":
        return f"cuda:{torch.cuda.get_device_name(device)}"
    import platform
    k = threads or torch.get_num_threads()
    return f"cpu:{platform.processor() or platform.machine()} ({k} thread{'s' if k > 1 else ''})"


class intra_op_threads:
    """Context: torch's intra-op CPU threads set to ``n`` (``None``: unchanged), restored on exit.

    Small networks (the worm's 302 neurons) spend each step in ~20 tiny kernels; spreading those
    over threads only adds synchronisation, and on a loaded machine OpenMP spinning made a sparse
    matrix–vector product 10–100× slower (measured on this 2-core machine: 20–35 µs with one
    thread, 0.7–2 ms with two). Only the CPU is affected."""

    def __init__(self, n: int | None):
        self.n = n
        self.prev = None

    def __enter__(self):
        if self.n is not None:
            torch = require_torch()
            self.prev = torch.get_num_threads()
            if self.prev != self.n:
                torch.set_num_threads(self.n)
            else:
                self.prev = None
        return self

    def __exit__(self, *exc):
        if self.prev is not None:
            require_torch().set_num_threads(self.prev)
        return False


def default_threads(device, n_neurons: int, threads=None):
    """``threads`` option → intra-op thread count to use while stepping (None = torch's setting):
    on the CPU, one thread unless told otherwise. Why two threads were ~30x slower (README,
    "Threads"): each 0.1 ms step is ~25 small kernels (138,639 floats, 20-30 µs each), each one an
    OpenMP parallel region ending in a barrier; with OpenMP's default active waiting, on 2 cores
    shared with other processes a barrier cost 0.5-4 ms (the partner thread descheduled while its
    peer spins), so a fly step took 10-55 ms instead of 1.5 ms. Not MuJoCo or Brian2: the brain
    alone showed it. ``require_torch`` now sets ``OMP_WAIT_POLICY=PASSIVE`` before torch loads,
    which removed it (two threads 0.3-2.1 ms per step); one thread stays the default, being the
    least sensitive to load."""
    if threads is not None:
        return int(threads)
    return 1 if device.type == "cpu" else None
