"""Drosophila antennal grooming task (``cgym/DrosophilaGrooming-v0``).

``env.py`` holds the Gymnasium env; ``features.py`` the per-episode behaviour features;
``plots.py`` the task figures; ``reference/`` the versioned reference library. Imports are lazy
so that reading features does not load MuJoCo.
"""

from __future__ import annotations

__all__ = ["DrosophilaGroomingEnv"]


def __getattr__(name):
    if name == "DrosophilaGroomingEnv":
        from .env import DrosophilaGroomingEnv

        return DrosophilaGroomingEnv
    raise AttributeError(name)
