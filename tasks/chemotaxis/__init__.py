"""C. elegans salt chemotaxis task (``cgym/CElegansChemotaxis-v0``).

``env.py`` holds the Gymnasium env, ``arena.py`` the plate and NaCl field; behaviour features
and the reference library live beside them. Imports are lazy so that reading features does
not load MuJoCo.
"""

from __future__ import annotations

__all__ = ["CElegansChemotaxisEnv", "ChemotaxisArena"]


def __getattr__(name):
    if name == "CElegansChemotaxisEnv":
        from .env import CElegansChemotaxisEnv

        return CElegansChemotaxisEnv
    if name == "ChemotaxisArena":
        from .arena import ChemotaxisArena

        return ChemotaxisArena
    raise AttributeError(name)
