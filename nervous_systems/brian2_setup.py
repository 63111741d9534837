"""One place that configures Brian2 for the whole project.

* Code generation target: Cython (runtime mode), the only Brian2 mode that can call Python
  mid-run (closed loop). ``CGYM_BRIAN2_TARGET=numpy`` falls back to pure NumPy (slow, no compiler).
* Cython cache: inside the project's cache folder, never the home directory:
  ``$CGYM_CACHE_DIR`` if set, else ``<repository>/.cache`` for a source checkout, else
  ``$XDG_CACHE_HOME/connectome-gym`` (``~/.cache/connectome-gym``) for an installed package.
"""

from __future__ import annotations

import logging
import os
from functools import lru_cache
from pathlib import Path

_REPO = Path(__file__).resolve().parent.parent


def cache_dir() -> Path:
    env = os.environ.get("CGYM_CACHE_DIR")
    if env:
        path = Path(env)
    elif (_REPO / "pyproject.toml").exists():
        path = _REPO / ".cache"
    else:
        path = Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")) / "connectome-gym"
    path.mkdir(parents=True, exist_ok=True)
    return path


@lru_cache(maxsize=1)
def brian2():
    """Import and configure Brian2 once; returns the module."""
    import brian2 as b2

    target = os.environ.get("CGYM_BRIAN2_TARGET", "cython")
    b2.prefs.codegen.target = target
    b2.prefs.codegen.runtime.cython.cache_dir = str(cache_dir() / "brian2_cython")
    b2.prefs.codegen.runtime.cython.multiprocess_safe = True
    # Brian2 logs INFO about every resolution it makes; keep warnings only.
    b2.BrianLogger.log_level_warn()
    logging.getLogger("brian2").setLevel(logging.WARNING)
    # objects of a network that is built but never run (a sweep checks each brain by building it;
    # a brain whose construction is rejected later) would each log a warning at garbage collection
    b2.BrianLogger.suppress_name("unused_brian_object")
    return b2
