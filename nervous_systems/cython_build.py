"""Compile a project Cython kernel (a ``.pyx`` next to its module) on first use, into the
project's cache, pinned by a hash.

``<cache>/<subdir>/<tag>/<name><EXT_SUFFIX>``, with ``tag`` the first 16 hex digits of
sha256(source bytes + Python version + Cython version + compile flags): a changed source, Python or Cython builds
anew beside the old one, and a stale binary is never loaded. The build happens in a temporary
folder and the result is moved into place with ``os.replace`` (atomic), so parallel workers that
build at the same time are safe. ``<cache>`` is ``brian2_setup.cache_dir()``, the folder of Brian2's
own Cython cache and of ``event_lif``'s kernel. Any failure (no Cython, no C compiler, a compile
error) raises :class:`KernelBuildError` with one line that says what failed.
"""

from __future__ import annotations

import contextlib
import hashlib
import importlib.machinery
import importlib.util
import io
import os
import shutil
import sys
import tempfile
from pathlib import Path


class KernelBuildError(RuntimeError):
    pass


def cache_tag(source: Path, extra_compile_args=(), libraries=()) -> str:
    import Cython
    code = Path(source).read_bytes()
    flags = " ".join([*extra_compile_args, "|", *libraries]).encode()
    return hashlib.sha256(code + sys.version.encode() + Cython.__version__.encode()
                          + flags).hexdigest()[:16]


def load_cython_module(source: Path, subdir: str, cache: Path | None = None,
                       extra_compile_args: tuple[str, ...] = (), libraries: tuple[str, ...] = ()):
    """Import the compiled module of ``source`` (building it first if the cache lacks it)."""
    source = Path(source)
    name = source.stem
    try:
        if cache is None:
            from .brian2_setup import cache_dir
            cache = cache_dir()
        tag = cache_tag(source, extra_compile_args, libraries)
        out = Path(cache) / subdir / tag
        suffix = importlib.machinery.EXTENSION_SUFFIXES[0]
        target = out / f"{name}{suffix}"
        if not target.exists():
            out.mkdir(parents=True, exist_ok=True)
            tmp = Path(tempfile.mkdtemp(prefix="build-", dir=out))
            try:
                _compile(source, tmp, name, list(extra_compile_args), list(libraries))
                built = next(tmp.glob(f"{name}*{suffix}"))
                os.replace(built, target)
            finally:
                shutil.rmtree(tmp, ignore_errors=True)
        spec = importlib.util.spec_from_file_location(name, target)
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        return module
    except Exception as exc:  # noqa: BLE001 - Cython/compiler missing or broken: one clear line
        msg = " ".join(str(exc).split())[:300]
        raise KernelBuildError(f"could not compile {source.name} with Cython (needs Cython and a C "
                               f"compiler, as Brian2's Cython target does): "
                               f"{type(exc).__name__}: {msg}") from None


def _compile(source: Path, tmp: Path, name: str, extra: list[str], libraries: list[str]) -> None:
    from Cython.Build import cythonize
    from setuptools import Distribution, Extension
    from setuptools.command.build_ext import build_ext

    src = tmp / f"{name}.pyx"
    shutil.copy(source, src)
    ext = Extension(name, [str(src)], extra_compile_args=["-O3", "-w", *extra], libraries=libraries)
    log = io.StringIO()
    with contextlib.redirect_stdout(log), contextlib.redirect_stderr(log):
        dist = Distribution({"ext_modules": cythonize([ext], quiet=True, language_level=3,
                                                      build_dir=str(tmp / "c"))})
        cmd = build_ext(dist)
        cmd.build_lib = str(tmp)
        cmd.build_temp = str(tmp / "obj")
        cmd.ensure_finalized()
        cmd.run()
