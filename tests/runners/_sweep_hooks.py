"""Episode hooks for the sweep tests: ``hook(job, t_sim)`` runs inside each episode, in the
worker process (imported there by name; this folder is on the spawned workers' sys.path)."""

import os
import signal
from pathlib import Path

KILL_SEED = 1
KILL_BRAIN = "random"
FAIL_SEED = 1


def _marker(job) -> Path:
    return Path(job["out_dir"]).parent / ".killed_once"


def kill_once(job, t_sim):
    """SIGKILL this worker process halfway through one episode, once per sweep folder."""
    if (job["seed"] == KILL_SEED and job["condition"]["brain"] == KILL_BRAIN and t_sim >= 0.2
            and not _marker(job).exists()):
        _marker(job).write_text(str(os.getpid()))
        os.kill(os.getpid(), signal.SIGKILL)


def fail_one(job, t_sim):
    """Raise inside the episode of seed FAIL_SEED of the random brain."""
    if job["seed"] == FAIL_SEED and job["condition"]["brain"] == "random" and t_sim >= 0.2:
        raise RuntimeError("injected failure for the sweep test")
