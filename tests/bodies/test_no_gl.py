"""Rendering is optional: an episode runs in a process where no GL library can be loaded, and
a frame requested there fails with one line naming the library and its package."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]

# sitecustomize for the child: every GL library is unloadable and unfindable, OpenGL/glfw cannot
# be imported, and at exit the child writes what it had loaded (its own memory map) to a file.
SITECUSTOMIZE = textwrap.dedent(r'''
    import atexit, ctypes, ctypes.util, importlib.abc, json, os, re, sys
    _GL = re.compile(r"(^|/)(lib)?(GL|EGL|OSMesa|GLX|OpenGL|GLU|GLESv\d|glfw)([._-]|$)", re.I)
    _cdll_init = ctypes.CDLL.__init__
    def _init(self, name, *args, **kwargs):
        if name and _GL.search(os.path.basename(str(name))):
            raise OSError(f"no-GL test: loading {name} is blocked")
        _cdll_init(self, name, *args, **kwargs)
    ctypes.CDLL.__init__ = _init
    _find = ctypes.util.find_library
    ctypes.util.find_library = lambda name: None if _GL.search(name) else _find(name)
    class _Block(importlib.abc.MetaPathFinder):
        def find_spec(self, name, path=None, target=None):
            if name.split(".")[0] in ("OpenGL", "glfw"):
                raise ImportError(f"no-GL test: import {name} is blocked")
            return None
    sys.meta_path.insert(0, _Block())
    def _report():
        maps = open("/proc/self/maps").read().splitlines()
        libs = sorted({line.split()[-1] for line in maps if "/" in line.split()[-1]})
        with open(os.environ["NO_GL_REPORT"], "w") as fh:
            json.dump({"gl_libs": [p for p in libs if _GL.search(os.path.basename(p))],
                       "modules": sorted(m for m in sys.modules
                                         if m.split(".")[0] in ("OpenGL", "glfw"))}, fh)
    atexit.register(_report)
''')


def _child_env(tmp_path: Path) -> dict:
    site = tmp_path / "site"
    site.mkdir(exist_ok=True)
    (site / "sitecustomize.py").write_text(SITECUSTOMIZE)
    env = {k: v for k, v in os.environ.items()
           if k not in ("MUJOCO_GL", "CGYM_MUJOCO_GL", "PYOPENGL_PLATFORM", "DISPLAY")}
    env["PYTHONPATH"] = os.pathsep.join([str(site), str(REPO)])
    env["NO_GL_REPORT"] = str(tmp_path / "report.json")
    return env


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc/self/maps")
def test_episode_runs_without_any_gl_library(tmp_path):
    env = _child_env(tmp_path)
    out = tmp_path / "run"
    proc = subprocess.run(
        [sys.executable, "-m", "runners", "run", "celegans/chemotaxis", "--brain", "reflex",
         "--duration", "0.5", "--episodes", "1", "--out", str(out), "--no-progress"],
        cwd=REPO, env=env, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert (out / "episodes" / "ep_0000.json").exists()
    report = json.loads((tmp_path / "report.json").read_text())
    assert report == {"gl_libs": [], "modules": []}, report


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc/self/maps")
def test_a_frame_without_gl_is_one_line_naming_library_and_package(tmp_path):
    env = _child_env(tmp_path)
    code = ("from bodies import make_body\n"
            "from bodies.offscreen import RenderingUnavailable\n"
            "body = make_body('worm')\n"
            "try:\n    body.render(32, 32)\nexcept RenderingUnavailable as exc:\n    print(exc)\n"
            "else:\n    raise SystemExit('rendered without GL?')\n")
    proc = subprocess.run([sys.executable, "-c", code], cwd=REPO, env=env, capture_output=True,
                          text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr[-2000:]
    lines = proc.stdout.strip().splitlines()
    assert len(lines) == 1, proc.stdout
    for word in ("libEGL", "libegl1", "libOSMesa", "libosmesa6"):
        assert word in lines[0]
    assert proc.stderr.strip() == ""
    assert json.loads((tmp_path / "report.json").read_text())["gl_libs"] == []


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="MUJOCO_GL backends are Linux's")
def test_explicit_backend_with_missing_library_names_it(tmp_path):
    env = _child_env(tmp_path)
    env["MUJOCO_GL"] = "osmesa"  # what the README used to set: must not break `import mujoco`
    code = ("import bodies, mujoco\n"
            "from bodies.offscreen import OffscreenRenderer, RenderingUnavailable\n"
            "try:\n    OffscreenRenderer(mujoco.MjModel.from_xml_string('<mujoco/>'), 8, 8)\n"
            "except RenderingUnavailable as exc:\n    print(exc)\n")
    proc = subprocess.run([sys.executable, "-c", code], cwd=REPO, env=env, capture_output=True,
                          text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert "libOSMesa" in proc.stdout and "apt install libosmesa6" in proc.stdout
    assert len(proc.stdout.strip().splitlines()) == 1


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="MUJOCO_GL backends are Linux's")
def test_video_without_gl_stops_before_any_episode_with_one_line(tmp_path):
    env = _child_env(tmp_path)
    out = tmp_path / "run"
    proc = subprocess.run(
        [sys.executable, "-m", "runners", "run", "celegans/chemotaxis", "--brain", "reflex",
         "--duration", "0.2", "--episodes", "1", "--out", str(out), "--no-progress", "--video"],
        cwd=REPO, env=env, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 2, proc.stderr[-2000:]
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("cgym run: error: --video: offscreen rendering needs libEGL")
    assert "libosmesa6" in lines[0] and not (out / "episodes").exists()
