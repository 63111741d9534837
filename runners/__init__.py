"""The cgym command line, episode runner, recorder, scorer and benchmarks."""

import os

# Sweeps and fits run one episode per process; each process's linear algebra is small (the worm's
# 604 x 604 rest-state Jacobian), and several multi-threaded BLAS pools on few cores spin against
# each other (measured on 2 loaded cores: 10.2 s with 2 OpenBLAS threads vs 0.34 s with one).
# One BLAS thread per process unless the user chose otherwise; spawned workers inherit it.
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

import bodies  # noqa: F401,E402  (sets the offscreen GL default before anything imports mujoco)
