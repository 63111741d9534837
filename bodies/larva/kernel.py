"""The larva's physics loop in C (``water_kernel.c``), built on first use with the system C compiler.

``load()`` returns the ctypes library, or ``None`` (and the body runs its numpy water forces)
when there is no compiler, the build fails, or ``CGYM_LARVA_WATER=numpy`` is set. The shared
object goes to ``$CGYM_CACHE_DIR/larva_water/<hash of source + flags>/`` (else
``<repository>/.cache/...`` in a source checkout, else ``$XDG_CACHE_HOME/connectome-gym/...``: the
same folder rule as Brian2's Cython cache in ``nervous_systems/brian2_setup.py``, repeated here
because a body imports nothing above it). Brian2's Cython target needs the same compiler.
"""

from __future__ import annotations

import ctypes
import hashlib
import os
import shutil
import subprocess
import sys
import tempfile
import warnings
from functools import lru_cache
from pathlib import Path

SOURCE = Path(__file__).resolve().parent / "water_kernel.c"
# -ffp-contract=off: no fused multiply-adds, so the C sums round like numpy's
CFLAGS = ("-O2", "-fPIC", "-shared", "-ffp-contract=off", "-fno-fast-math")
_REPO = Path(__file__).resolve().parents[2]


def _cache_dir() -> Path:
    env = os.environ.get("CGYM_CACHE_DIR")
    if env:
        return Path(env)
    if (_REPO / "pyproject.toml").exists():
        return _REPO / ".cache"
    return Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")) / "connectome-gym"


def _compiler() -> str | None:
    cc = os.environ.get("CC") or shutil.which("cc") or shutil.which("gcc") or shutil.which("clang")
    return cc


@lru_cache(maxsize=1)
def load():
    """The compiled kernel (ctypes.CDLL with argtypes set) or None (numpy fallback)."""
    if os.environ.get("CGYM_LARVA_WATER", "").lower() == "numpy" or not sys.platform.startswith(("linux", "darwin")):
        return None
    cc = _compiler()
    if cc is None:
        return None
    src = SOURCE.read_bytes()
    tag = hashlib.sha256(src + " ".join(CFLAGS).encode()).hexdigest()[:16]
    out = _cache_dir() / "larva_water" / tag / "larva_water.so"
    try:
        if not out.exists():
            out.parent.mkdir(parents=True, exist_ok=True)
            with tempfile.TemporaryDirectory(dir=out.parent) as tmp:
                tmp_so = Path(tmp) / "larva_water.so"
                subprocess.run([cc, *CFLAGS, "-o", str(tmp_so), str(SOURCE), "-lm"], check=True,
                               capture_output=True, timeout=120)
                os.replace(tmp_so, out)  # atomic: parallel workers never load a half-written file
        lib = ctypes.CDLL(str(out))
    except (OSError, subprocess.SubprocessError) as exc:
        warnings.warn(f"bodies/larva: could not build {SOURCE.name} ({exc}); using the numpy water forces "
                      "(slower, same results)", RuntimeWarning, stacklevel=2)
        return None
    P, I, D = ctypes.c_void_p, ctypes.c_int, ctypes.c_double
    lib.larva_steps.argtypes = [P, P, P, P, I, I, I, P, P, P, P, P, P, P, P, P, D, D, I]
    lib.larva_steps.restype = None
    return lib


@lru_cache(maxsize=1)
def mujoco_steps() -> tuple[int, int] | None:
    """Addresses of ``mj_step1`` and ``mj_step2`` in the libmujoco the Python package loaded."""
    import mujoco

    folder = Path(mujoco.__file__).resolve().parent
    libs = sorted(folder.glob("libmujoco.so*")) + sorted(folder.glob("libmujoco*.dylib"))
    if not libs:
        return None
    try:
        mj = ctypes.CDLL(str(libs[0]))
        return (ctypes.cast(mj.mj_step1, ctypes.c_void_p).value, ctypes.cast(mj.mj_step2, ctypes.c_void_p).value)
    except (OSError, AttributeError):
        return None
