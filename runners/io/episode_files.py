"""Damaged episode files and leftovers of a killed run: found, named, set aside, never fatal.

* An episode record (``ep_XXXX.json``) that is not valid JSON (a truncated write, a disk error)
  or whose trajectory (``ep_XXXX.npz``) cannot be read is **set aside**: every file of that
  episode moves to ``episodes/corrupt/`` and one warning line names it. The episode then no
  longer counts as finished, so a resume runs it again; a scorecard leaves it out (and says so)
  rather than silently falling back to the features stored in the record.
* Temporary files (``.ep_*.tmp*``, ``.run.json.*.tmp``) that a SIGKILL left behind are removed
  at the start of a run or resume (:func:`remove_stale_tmp`).

Reads with json and numpy only (``allow_pickle=False``): a run folder is data.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Callable

import numpy as np

__all__ = ["CORRUPT_DIR", "list_episode_records", "npz_problem", "read_npz_checked",
           "remove_stale_tmp", "set_aside"]

CORRUPT_DIR = "corrupt"
_EPISODE_SUFFIXES = (".json", ".npz", ".wcon", ".mp4", ".gif")


def _warn(message: str) -> None:
    print(f"warning: {message}", file=sys.stderr)


def set_aside(episode_file: str | Path, reason: str,
              warn: Callable[[str], None] | None = None) -> Path:
    """Move every file of ``episode_file``'s episode (same stem: .json, .npz, .wcon, video) to
    ``episodes/corrupt/`` and report one line; returns that folder."""
    episode_file = Path(episode_file)
    dest_dir = episode_file.parent / CORRUPT_DIR
    dest_dir.mkdir(exist_ok=True)
    moved = []
    for suffix in _EPISODE_SUFFIXES:
        src = episode_file.with_suffix(suffix)
        if not src.exists():
            continue
        dest, n = dest_dir / src.name, 1
        while dest.exists():  # keep earlier casualties
            dest, n = dest_dir / f"{src.stem}.{n}{src.suffix}", n + 1
        src.replace(dest)
        moved.append(src.name)
    (warn or _warn)(f"{episode_file}: {reason}; moved {', '.join(moved) or 'nothing'} to "
                    f"{dest_dir}/ (a resume runs this episode again)")
    return dest_dir


def npz_problem(path: str | Path) -> str | None:
    """Why ``path`` is not a readable trajectory file (every array is decompressed and its
    CRC checked), or None when it is fine."""
    try:
        with np.load(path, allow_pickle=False) as z:
            for key in z.files:
                z[key]
    except Exception as exc:  # noqa: BLE001 - BadZipFile, zlib.error, EOFError, ValueError, ...
        return f"unreadable trajectory file ({type(exc).__name__}: {exc})"
    return None


def read_npz_checked(path: str | Path) -> dict[str, np.ndarray]:
    """All arrays of ``path``; raises ValueError naming the file when it cannot be read."""
    try:
        with np.load(path, allow_pickle=False) as z:
            return {k: z[k] for k in z.files}
    except Exception as exc:  # noqa: BLE001 - BadZipFile, zlib.error, EOFError, ValueError, ...
        raise ValueError(f"{path}: unreadable trajectory file ({type(exc).__name__}: {exc})") from None


def list_episode_records(run_dir: str | Path, check_npz: bool = False,
                         warn: Callable[[str], None] | None = None) -> list[dict]:
    """The finished episodes of a run (their .json records with ``_path``), sorted by seed.
    An unreadable record, or with ``check_npz`` an "ok" episode whose .npz cannot be read, is
    set aside (:func:`set_aside`) and left out."""
    ep_dir = Path(run_dir) / "episodes"
    out = []
    for p in sorted(ep_dir.glob("ep_*.json")):
        try:
            with open(p, encoding="utf-8") as fh:
                rec = json.load(fh)
            if not isinstance(rec, dict):
                raise ValueError("not a JSON object")
        except (OSError, ValueError) as exc:  # JSONDecodeError and UnicodeDecodeError too
            set_aside(p, f"unreadable episode record ({type(exc).__name__}: "
                         f"{' '.join(str(exc).split())})", warn)
            continue
        npz = p.with_suffix(".npz")
        if check_npz and rec.get("status") == "ok" and npz.exists():
            problem = npz_problem(npz)
            if problem:
                set_aside(npz, problem, warn)
                continue
        rec["_path"] = str(p)
        out.append(rec)
    return sorted(out, key=lambda r: r.get("seed", 0))


def remove_stale_tmp(run_dir: str | Path) -> list[Path]:
    """Delete the temporary files of atomic writes that a killed process left in ``run_dir``
    and its ``episodes/`` folder (hidden names ending in .tmp or .tmp.<ext>); returns them."""
    run_dir = Path(run_dir)
    removed = []
    for folder in (run_dir, run_dir / "episodes"):
        if not folder.is_dir():
            continue
        for p in folder.glob(".*.tmp*"):
            if p.is_file() or p.is_symlink():
                try:
                    p.unlink()
                    removed.append(p)
                except OSError:
                    pass
    return removed
