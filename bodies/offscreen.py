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

**The GL backend is chosen at the first rendered frame** (:func:`ensure_gl`), never at import:
simulation needs no GL at all. ``bodies/__init__.py`` keeps the user's ``MUJOCO_GL`` in
``CGYM_MUJOCO_GL`` and imports mujoco with ``MUJOCO_GL=disable``. At the first frame the user's
choice is used if there is one; otherwise EGL, then OSMesa, then (with a display) GLFW, each
only if its library is installed. PyOpenGL binds one platform per process, so a backend that
fails after its library was loaded would poison the next one: when more than one candidate is
left, each but the last is first tried in a short subprocess. A missing library gives one line
naming the library and the Debian/Ubuntu package that provides it (:class:`RenderingUnavailable`).
"""

from __future__ import annotations

import atexit
import ctypes.util
import gc
import importlib
import math
import os
import subprocess
import sys
import threading
import weakref
from typing import Callable

import mujoco
import numpy as np

_ORPHANED: list = []  # renderers released from a thread that does not own them (kept alive)
_LIVE: "weakref.WeakSet[OffscreenRenderer]" = weakref.WeakSet()  # closed at exit, before GL is


class RenderingUnavailable(RuntimeError):
    """No offscreen GL backend could be loaded (the message names the library and package)."""


# backend -> (libraries that ctypes must find, what to install on Debian/Ubuntu)
_BACKENDS: dict[str, tuple[tuple[str, ...], str]] = {
    "egl": (("EGL",), "libEGL (Debian/Ubuntu: apt install libegl1 libegl-mesa0, or a GPU driver)"),
    "osmesa": (("OSMesa",), "libOSMesa (Debian/Ubuntu: apt install libosmesa6)"),
    "glfw": (("GL",), "libGL and a display (Debian/Ubuntu: apt install libgl1)"),
    "glx": (("GL",), "libGL and a display (Debian/Ubuntu: apt install libgl1)"),
}
_DISABLED = ("disable", "disabled", "off", "false", "0")
_AUTO = ("auto", "", "enable", "enabled", "on", "true", "1")
_CHOSEN: str | None = None
_FAILED: str | None = None
_PROBE = ("import mujoco\n"
          "from mujoco.rendering.classic.renderer import Renderer\n"
          "r = Renderer(mujoco.MjModel.from_xml_string('<mujoco/>'), 8, 8)\n"
          "r.render(); r.close()\n")


def _missing(backend: str) -> list[str]:
    """Libraries of ``backend`` that the dynamic loader cannot find (nothing is loaded)."""
    libs, _ = _BACKENDS.get(backend, ((), ""))
    return [lib for lib in libs if ctypes.util.find_library(lib) is None]


def _requested() -> str:
    return (os.environ.get("CGYM_MUJOCO_GL") or os.environ.get("MUJOCO_GL") or "auto").lower().strip()


def _works_in_subprocess(backend: str) -> bool:
    env = dict(os.environ, MUJOCO_GL=backend)
    env.pop("CGYM_MUJOCO_GL", None)
    try:
        return subprocess.run([sys.executable, "-c", _PROBE], env=env, capture_output=True,
                              timeout=120).returncode == 0
    except (OSError, subprocess.SubprocessError):
        return False


def _activate(backend: str):
    """Load ``backend`` in this process; returns the Renderer class bound to it."""
    platform = os.environ.get("PYOPENGL_PLATFORM")
    if backend in ("egl", "osmesa") and platform and platform.lower() != backend:
        raise RenderingUnavailable(f"offscreen rendering with MUJOCO_GL={backend} needs "
                                   f"PYOPENGL_PLATFORM unset or {backend!r} (it is {platform!r})")
    os.environ["MUJOCO_GL"] = backend
    os.environ["CGYM_MUJOCO_GL"] = backend  # child processes inherit the choice
    name = "mujoco.rendering.classic.gl_context"
    try:
        if name in sys.modules:  # imported with MUJOCO_GL=disable: make it read the choice
            importlib.reload(sys.modules[name])
        else:
            importlib.import_module(name)
        return importlib.import_module("mujoco.rendering.classic.renderer").Renderer
    except Exception as exc:  # noqa: BLE001 - PyOpenGL fails with AttributeError/ImportError/...
        raise RenderingUnavailable(_failure(backend, exc)) from None


def _failure(backend: str, exc: BaseException) -> str:
    what = _BACKENDS.get(backend, ((), "its GL library"))[1]
    detail = " ".join(f"{type(exc).__name__}: {exc}".split())[:160]
    return (f"offscreen rendering with MUJOCO_GL={backend} failed ({detail}); it needs {what}. "
            f"Everything but video works without it")


def _drop_quietly(exc: BaseException) -> None:
    """Free the half-built renderer held by ``exc``'s traceback without the GL backend's
    ``__del__`` printing a second traceback (the one-line error is enough)."""
    hook = sys.unraisablehook
    sys.unraisablehook = lambda *_: None
    try:
        exc.__traceback__ = None
        gc.collect()
    finally:
        sys.unraisablehook = hook


def _close_live() -> None:
    for r in list(_LIVE):
        try:
            r.close()
        except Exception:  # noqa: BLE001 - best effort at interpreter exit
            pass


def ensure_gl():
    """Choose and load the GL backend (once per process); returns mujoco's Renderer class.
    Raises :class:`RenderingUnavailable` with one line when no backend can be loaded."""
    global _CHOSEN, _FAILED
    if _FAILED:
        raise RenderingUnavailable(_FAILED)
    if _CHOSEN:
        return importlib.import_module("mujoco.rendering.classic.renderer").Renderer
    if not sys.platform.startswith("linux"):  # macOS/Windows: mujoco's own choice (CGL/WGL)
        _CHOSEN = "native"
        return mujoco.Renderer
    request = _requested()
    try:
        if request in _DISABLED:
            raise RenderingUnavailable(f"offscreen rendering is disabled (MUJOCO_GL={request}); "
                                       f"unset MUJOCO_GL or set it to egl or osmesa")
        if request in _AUTO:
            order = ["egl", "osmesa"] + (["glfw"] if os.environ.get("DISPLAY") else [])
            candidates = [b for b in order if not _missing(b)]
            if not candidates:
                raise RenderingUnavailable(
                    "offscreen rendering needs libEGL (Debian/Ubuntu: apt install libegl1 "
                    "libegl-mesa0) or libOSMesa (apt install libosmesa6); neither is installed. "
                    "Everything but video works without them")
        else:
            missing = _missing(request)
            if missing:
                raise RenderingUnavailable(f"MUJOCO_GL={request} but lib{missing[0]} is not installed: "
                                           f"it needs {_BACKENDS[request][1]}")
            candidates = [request]
        for backend in candidates[:-1]:
            if _works_in_subprocess(backend):
                candidates = [backend]
                break
        renderer_cls = _activate(candidates[-1])
    except RenderingUnavailable as exc:
        _FAILED = str(exc)
        raise
    _CHOSEN = candidates[-1]
    return renderer_cls


def backend() -> str | None:
    """The GL backend loaded in this process, or None before the first rendered frame."""
    return _CHOSEN


class OffscreenRenderer:
    """A ``mujoco.Renderer`` that remembers its owner thread and is released safely."""

    def __init__(self, model: mujoco.MjModel, width: int, height: int):
        global _FAILED
        renderer_cls = ensure_gl()
        try:
            self.renderer = renderer_cls(model, height=height, width=width)
        except Exception as exc:  # noqa: BLE001 - the GL context is created here
            _FAILED = _failure(_CHOSEN or "?", exc)
            _drop_quietly(exc)
            raise RenderingUnavailable(_FAILED) from None
        self._fovy = float(model.vis.global_.fovy)
        self.owner = threading.get_ident()
        self.width, self.height = width, height
        if not _LIVE:  # registered after the first GL context (EGL registers its display's
            atexit.register(_close_live)  # eglTerminate there), so it runs before that
        _LIVE.add(self)

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
        _LIVE.discard(self)


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


class OwnsRenderer:
    """Mixin for a body that renders: it owns at most one offscreen renderer, sized on demand,
    and releases it safely on :meth:`close` or garbage collection. The body provides ``model``."""

    _renderer: OffscreenRenderer | None = None

    def offscreen_renderer(self, width: int, height: int) -> OffscreenRenderer:
        """This body's renderer at ``width`` × ``height`` (made or remade as needed)."""
        self._renderer = sized(self._renderer, self.model, width, height)
        return self._renderer

    def close(self) -> None:
        """Release the offscreen renderer (safely: see :mod:`bodies.offscreen`)."""
        if self._renderer is not None:
            self._renderer.close()
        self._renderer = None

    def __del__(self):  # pragma: no cover - best effort
        try:
            self.close()
        except Exception:
            pass
