"""On-disk layout of a run, atomic writes, provenance (versions, git commit).

Run directory layout::

    OUT/
      run.json                  task, brain, options, versions, brain info, reference hash,
                                git commit, command line (written before the first episode)
      episodes/
        ep_0000.json            status ("ok" | "failed"), features, task_info, config,
                                wall time, simulated time, error + traceback if failed
        ep_0000.npz             trajectory (t, centerline, nose, concentration, actions),
                                neural record (neural_*), decimated to record_rate_hz
        ep_0000.wcon            the trajectory as WCON (OpenWorm tracker-commons)
        ep_0000.mp4 / .gif      video, only with --video

Every file is written to a temporary name in the same folder and moved into place with
``os.replace`` (atomic on POSIX), and the episode's ``.json`` is written last: an episode
is finished exactly when its ``.json`` exists. A crash loses nothing finished.
"""

from __future__ import annotations

import importlib
import json
import math
import os
import platform
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any, Callable

import numpy as np

RUN_FILE = "run.json"
EPISODES_DIR = "episodes"


def episode_stem(seed: int) -> str:
    return f"ep_{int(seed):04d}"


def _tmp_path(path: Path) -> Path:
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    os.close(fd)
    return Path(tmp)


def _atomic_write(path: str | Path, write) -> None:
    """Write through ``write(file)`` to a temporary sibling, fsync, then rename over ``path``:
    readers see the old file or the whole new one, never a partial one."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = _tmp_path(path)
    try:
        with open(tmp, "wb") as f:
            write(f)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    finally:
        if tmp.exists():
            tmp.unlink()


def atomic_write_bytes(path: str | Path, data: bytes) -> None:
    _atomic_write(path, lambda f: f.write(data))


def load_callable(ref: Any) -> Callable | None:
    """A callable from a ``"package.module:name"`` reference (or the callable itself, or None)."""
    if ref is None or callable(ref):
        return ref
    module, _, attr = str(ref).partition(":")
    obj = importlib.import_module(module)
    for part in attr.split("."):
        obj = getattr(obj, part)
    return obj


def to_jsonable(obj: Any) -> Any:
    """numpy → Python, non-finite floats → None (JSON has no NaN), paths → str."""
    if isinstance(obj, dict):
        return {str(k): to_jsonable(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [to_jsonable(v) for v in obj]
    if isinstance(obj, np.ndarray):
        return to_jsonable(obj.tolist())
    if isinstance(obj, (np.bool_, bool)):
        return bool(obj)
    if isinstance(obj, (np.integer,)):
        return int(obj)
    if isinstance(obj, (float, np.floating)):
        f = float(obj)
        return f if math.isfinite(f) else None
    if isinstance(obj, Path):
        return str(obj)
    if obj is None or isinstance(obj, (str, int)):
        return obj
    return str(obj)


def atomic_write_json(path: str | Path, obj: Any) -> None:
    text = json.dumps(to_jsonable(obj), indent=1, allow_nan=False)
    atomic_write_bytes(path, text.encode("utf-8"))


def atomic_write_npz(path: str | Path, arrays: dict[str, np.ndarray]) -> None:
    _atomic_write(path, lambda f: np.savez_compressed(f, **arrays))


def read_json(path: str | Path) -> Any:
    with open(path, encoding="utf-8") as f:
        try:
            return json.load(f)
        except json.JSONDecodeError as exc:  # same type, but the message names the file
            raise json.JSONDecodeError(f"{path}: not valid JSON ({exc.msg})", exc.doc, exc.pos) from None


def load_npz(path: str | Path) -> dict[str, np.ndarray]:
    with np.load(path, allow_pickle=False) as z:
        return {k: z[k] for k in z.files}


def package_versions() -> dict[str, str | None]:
    from importlib import metadata
    out: dict[str, str | None] = {"python": platform.python_version()}
    for dist in ("numpy", "brian2", "mujoco", "gymnasium", "scipy", "connectome-gym"):
        try:
            out[dist.replace("connectome-gym", "connectome_gym")] = metadata.version(dist)
        except metadata.PackageNotFoundError:
            out[dist] = None
    return out


def git_commit(start: str | Path | None = None) -> str | None:
    """The project's git commit (+ "-dirty" with local changes), None outside a checkout."""
    root = Path(start) if start else Path(__file__).resolve().parent.parent
    try:
        sha = subprocess.run(["git", "rev-parse", "HEAD"], cwd=root, capture_output=True,
                             text=True, timeout=5)
        if sha.returncode != 0:
            return None
        dirty = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no"],
                               cwd=root, capture_output=True, text=True, timeout=5)
        return sha.stdout.strip() + ("-dirty" if dirty.stdout.strip() else "")
    except (OSError, subprocess.SubprocessError):
        return None


def command_line() -> str:
    """The command as a user would retype it: ``python -m runners ...`` (argv[0] is then
    ``.../runners/__main__.py``) is written as ``cgym ...``, which is the same program."""
    import shlex
    prog = Path(sys.argv[0])
    name = "cgym" if (prog.name == "__main__.py" and prog.parent.name == "runners") else prog.name
    return " ".join(shlex.quote(a) for a in [name, *sys.argv[1:]])


def list_episodes(run_dir: str | Path, check_npz: bool = False,
                  warn: Callable[[str], None] | None = None) -> list[dict]:
    """All finished episodes of a run (their .json records), sorted by seed. A damaged record
    (or, with ``check_npz``, trajectory) is named, moved to episodes/corrupt/ and left out
    (see :mod:`runners.io.episode_files`)."""
    from .episode_files import list_episode_records
    return list_episode_records(run_dir, check_npz=check_npz, warn=warn)
