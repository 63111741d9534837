"""Offscreen rendering shared by every body: one owner thread per renderer, and GL objects
freed in their own context.

* A GL context freed by a thread other than the one that created it (e.g. a garbage
  collection triggered in Brian2's worker thread) can crash OSMesa. Such renderers are parked
  in :data:`_ORPHANED` and never freed from the wrong thread.
* ``Renderer.close()`` frees the MjrContext's GL objects through whichever GL context is
  current; with several renderers alive that need not be its own. :func:`release` makes the
  renderer's own context current first (a precaution: not the cause of any crash seen here).

Scene decorations (``scene_callback``) must initialise every geom slot they fill with
``mjv_initGeom`` before ``mjv_connector`` & co.: a slot left with stale material / texture ids
from an earlier frame segfaulted OSMesa's ``mjr_render`` intermittently (found in the worm
chemotaxis env's arrow; see tests/tasks/test_chemotaxis_env.py).
"""

from __future__ import annotations

import math
import threading
from typing import Callable

import mujoco
import numpy as np

_ORPHANED: list = []  # renderers released from a thread that does not own them (kept alive)


class OffscreenRenderer:
    """A ``mujoco.Renderer`` that remembers its owner thread and is released safely."""

    def __init__(self, model: mujoco.MjModel, width: int, height: int):
        self.renderer = mujoco.Renderer(model, height=height, width=width)
        self._fovy = float(model.vis.global_.fovy)
        self.owner = threading.get_ident()
        self.width, self.height = width, height

    @property
    def scene(self) -> mujoco.MjvScene:
        return self.renderer.scene

    def update_scene(self, data: mujoco.MjData, camera) -> None:
        self.renderer.update_scene(data, camera=camera)

    def render(self):
        return self.renderer.render().copy()

    def top_down(self, data: mujoco.MjData, center_xy, view_mm: float,
                 scene_callback: Callable[[mujoco.MjvScene], None] | None = None) -> np.ndarray:
        """RGB uint8 (height, width, 3) view from straight above ``center_xy``, ``view_mm``
        across; ``scene_callback(scene)`` may add decoration geoms (a task's stimulus)."""
        cam = mujoco.MjvCamera()
        cam.type = mujoco.mjtCamera.mjCAMERA_FREE
        cam.lookat[:] = (float(center_xy[0]), float(center_xy[1]), 0.0)
        cam.elevation = -90.0
        cam.azimuth = 90.0
        cam.distance = 0.5 * view_mm / math.tan(math.radians(self._fovy) / 2)
        self.renderer.update_scene(data, camera=cam)
        if scene_callback is not None:
            scene_callback(self.renderer.scene)
        return self.render()

    def close(self) -> None:
        release(self.renderer, self.owner)
        self.renderer = None


def sized(current: OffscreenRenderer | None, model: mujoco.MjModel, width: int,
          height: int) -> OffscreenRenderer:
    """``current`` if it has this size, else a new renderer (the old one released)."""
    if current is not None and (current.width, current.height) == (width, height):
        return current
    if current is not None:
        current.close()
    return OffscreenRenderer(model, width, height)


def release(renderer, owner_thread: int | None) -> None:
    """Free ``renderer`` in its own GL context, or park it if this thread does not own it."""
    if renderer is None:
        return
    if owner_thread is not None and threading.get_ident() != owner_thread:
        _ORPHANED.append(renderer)
        return
    gl = getattr(renderer, "_gl_context", None)
    if gl is not None:
        gl.make_current()
    renderer.close()
