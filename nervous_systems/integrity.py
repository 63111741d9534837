"""File integrity checks shared by the data loaders and ``cgym data``: sha256, git blob id
(sha1 of ``b"blob <size>\\0" + data``, what ``git hash-object`` prints) and size.

Here because of the import rules: ``organisms`` (the connectome loaders, the fly data set) and
``runners`` (``cgym data``) may both import ``nervous_systems``, not each other.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

CHUNK = 1 << 20

__all__ = ["IntegrityError", "git_blob_sha1", "sha256_file", "verify_file"]


class IntegrityError(ValueError):
    """A file differs from its pinned size / hash (the message names the file, expected, got)."""


def _digest(path: Path, h) -> str:
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(CHUNK), b""):
            h.update(block)
    return h.hexdigest()


def sha256_file(path: str | Path) -> str:
    return _digest(Path(path), hashlib.sha256())


def git_blob_sha1(path: str | Path) -> str:
    path = Path(path)
    return _digest(path, hashlib.sha1(f"blob {path.stat().st_size}\0".encode()))


def verify_file(path: str | Path, spec: dict, name: str | None = None) -> dict:
    """Check the ``size`` / ``git_blob`` / ``sha256`` that ``spec`` pins (cheapest first);
    returns what was checked. Raises :class:`IntegrityError` naming the file (``name``, default
    its file name) with expected vs got."""
    path = Path(path)
    name = name or path.name
    got: dict = {"size": path.stat().st_size}
    if spec.get("size") is not None and got["size"] != int(spec["size"]):
        raise IntegrityError(f"{name}: size {got['size']:,} bytes, expected {int(spec['size']):,}")
    if spec.get("git_blob"):
        got["git_blob"] = git_blob_sha1(path)
        if got["git_blob"] != spec["git_blob"]:
            raise IntegrityError(f"{name}: git blob id {got['git_blob']}, expected {spec['git_blob']}")
    if spec.get("sha256"):
        got["sha256"] = sha256_file(path)
        if got["sha256"] != str(spec["sha256"]).lower():
            raise IntegrityError(f"{name}: sha256 {got['sha256']}, expected {spec['sha256']}")
    return got
