"""MuJoCo bodies for connectome-gym.

One folder per body, Menagerie-style (a README with geometry, units, parameters and their
sources). Bodies import nothing from the rest of the project.

Registry::

    from bodies import BODY_NAMES, make_body
    body = make_body("worm", medium="agar")

Every body offers ``model``, ``data``, ``physics_dt``, ``time``, ``reset(...)``,
``step(activation, n_steps)`` and ``render(width, height)``; ``step`` raises
:class:`BodyDivergedError` when the simulation blows up.
"""

from __future__ import annotations

import difflib
import importlib
import os
import sys

# Rendering is optional: MuJoCo's Python package picks (and loads) its GL backend when it is
# imported, and with MUJOCO_GL=osmesa a missing libOSMesa breaks `import mujoco` itself. So
# before anything imports mujoco, keep the user's choice in CGYM_MUJOCO_GL and tell mujoco not
# to load any GL; bodies/offscreen.py chooses and loads the backend at the first rendered frame.
# (A child process inherits both variables, and with them the parent's choice.)
if sys.platform.startswith("linux") and "mujoco" not in sys.modules:
    if "CGYM_MUJOCO_GL" not in os.environ:
        os.environ["CGYM_MUJOCO_GL"] = os.environ.get("MUJOCO_GL", "") or "auto"
    os.environ["MUJOCO_GL"] = "disable"
from typing import Any

__all__ = ["BODY_NAMES", "BodyDivergedError", "make_body"]


class BodyDivergedError(RuntimeError):
    """The physics of a body went non-finite or exploded (the message says when and what)."""


# name -> "module:attribute" (imported lazily so that `import bodies` stays cheap)
_REGISTRY: dict[str, str] = {
    "worm": "bodies.worm.body:WormBody",
    "larva": "bodies.larva.body:LarvaBody",
    "fly": "bodies.fly.body:FlyBody",
}

BODY_NAMES: tuple[str, ...] = tuple(_REGISTRY)


def make_body(name: str, **kwargs: Any):
    """Build the body registered under ``name`` (see :data:`BODY_NAMES`) with ``kwargs``."""
    if name not in _REGISTRY:
        close = difflib.get_close_matches(str(name), BODY_NAMES, n=3)
        hint = f" Did you mean {', '.join(map(repr, close))}?" if close else ""
        raise KeyError(f"unknown body {name!r}; known bodies: {', '.join(BODY_NAMES)}.{hint}")
    module_name, attr = _REGISTRY[name].split(":")
    cls = getattr(importlib.import_module(module_name), attr)
    return cls(**kwargs)
