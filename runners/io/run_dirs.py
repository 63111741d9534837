"""The folder layout of runs and sweeps: which folders a path names (a sweep folder stands for
its condition folders). Shared by the scorer and the sweep runner."""

from __future__ import annotations

from pathlib import Path
from typing import Sequence

from . import recording as rec_io

SWEEP_FILE = "sweep.json"


def is_sweep_dir(path: str | Path) -> bool:
    return (Path(path) / SWEEP_FILE).exists()


def sweep_run_dirs(path: str | Path) -> list[Path]:
    """The run folders (one per condition) of a sweep folder, in sweep order."""
    path = Path(path)
    sweep = rec_io.read_json(path / SWEEP_FILE)
    dirs = [path / e["dir"] for e in sweep.get("conditions", [])]
    return [d for d in dirs if (d / rec_io.RUN_FILE).exists()]


def expand_run_dirs(paths: Sequence[str | Path]) -> list[Path]:
    """Run folders as given, with every sweep folder replaced by its condition folders."""
    out: list[Path] = []
    for p in paths:
        out += sweep_run_dirs(p) if is_sweep_dir(p) else [Path(p)]
    return out
