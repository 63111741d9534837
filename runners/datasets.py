"""``cgym data``: fetch large third-party data sets into the user cache, or point at a copy.

    cgym data fetch flywire-783 [--dir DIR] [--no-progress]
    cgym data path flywire-783 DIR
    cgym data info flywire-783

Downloads are resumable (HTTP ``Range`` on a ``.part`` file), show a tqdm progress bar and are
verified against the pinned source before they are used: git blob id (sha1 of
``b"blob <size>\\0" + data``, what ``git hash-object`` prints) and/or sha256, and size. A file
that fails verification is deleted (never used). The licence and citations are printed first.
"""

from __future__ import annotations

import json
import os
import sys
import urllib.error
import urllib.request
from pathlib import Path

from nervous_systems.integrity import IntegrityError, git_blob_sha1, sha256_file as sha256, verify_file  # noqa: F401

CHUNK = 1 << 20


class DownloadError(RuntimeError):
    pass


class UnknownDataSet(FileNotFoundError):   # the CLI reports FileNotFoundError as a usage error (exit 2)
    pass


def verify(path: Path, spec: dict) -> dict:
    """Check size / git blob id / sha256 given in ``spec``; returns what was checked."""
    try:
        return verify_file(path, spec)
    except IntegrityError as exc:
        raise DownloadError(str(exc)) from None


def _refuse_symlink(path: Path, retry: str) -> None:
    if path.is_symlink():
        raise DownloadError(f"{path} is a symbolic link (to {os.readlink(path)}); refusing to write "
                            f"or read through it. Delete the link (rm {path}) and {retry}")


def _open_part(part: Path, mode: str):
    """Open ``part`` for writing without following a symlink planted there (O_NOFOLLOW)."""
    flags = os.O_WRONLY | os.O_CREAT | getattr(os, "O_NOFOLLOW", 0)
    flags |= os.O_APPEND if mode == "ab" else os.O_TRUNC
    return os.fdopen(os.open(part, flags, 0o644), mode)


def download(url: str, dest: Path, spec: dict | None = None, progress: bool = True,
             timeout: float = 60.0, max_bytes: int | None = None,
             retry: str = "run the command again") -> dict:
    """Resumable download of ``url`` to ``dest`` (via ``dest.part``), then :func:`verify`.

    An existing ``.part`` is continued with a ``Range`` request; a server that ignores the range
    (200 instead of 206) restarts the file. Reading stops at the pinned ``size``: a server that
    sends more is an error (the ``.part`` is deleted). Symlinks at ``dest`` or ``dest.part`` are
    refused. ``max_bytes`` stops after that many bytes of this call (tests use it to simulate an
    interrupted transfer; the ``.part`` stays for resuming). ``retry`` ends every error message:
    how to recover (e.g. "run `cgym data fetch flywire-783` again")."""
    spec = dict(spec or {})
    dest = Path(dest)
    dest.parent.mkdir(parents=True, exist_ok=True)
    part = dest.with_name(dest.name + ".part")
    _refuse_symlink(part, retry)
    _refuse_symlink(dest, retry)
    have = part.stat().st_size if part.exists() else 0
    total = spec.get("size")
    if total is not None and have > int(total):      # a stale, longer .part cannot be right
        part.unlink()
        have = 0
    if total is None or have < int(total):
        req = urllib.request.Request(url, headers={"User-Agent": "connectome-gym"})
        if have:
            req.add_header("Range", f"bytes={have}-")
        try:
            resp = urllib.request.urlopen(req, timeout=timeout)
        except urllib.error.HTTPError as exc:
            if exc.code == 416 and have:              # range not satisfiable: .part is complete
                resp = None
            else:
                raise DownloadError(f"{url}: HTTP {exc.code} {exc.reason}; check the address and "
                                    f"{retry}") from None
        except (urllib.error.URLError, OSError) as exc:
            raise DownloadError(f"{url}: {getattr(exc, 'reason', exc)} (no network? the .part file, "
                                f"if any, is kept for resuming); {retry}") from None
        if resp is not None:
            with resp:
                status = getattr(resp, "status", 200)
                mode = "ab"
                if have and status != 206:
                    have, mode = 0, "wb"              # server ignored Range: start again
                length = resp.headers.get("Content-Length")
                if total is not None and length is not None and int(length) + have > int(total):
                    raise DownloadError(
                        f"{url}: the server announces {int(length) + have:,} bytes, more than the "
                        f"pinned {int(total):,}; nothing was read (the source may have changed); "
                        f"{retry}, and if it persists report it")
                total = total or (int(length) + have if length else None)
                limit = None if spec.get("size") is None else int(spec["size"]) - have
                bar = None
                if progress:
                    from tqdm import tqdm
                    bar = tqdm(total=total, initial=have, unit="B", unit_scale=True, unit_divisor=1024,
                               desc=dest.name, file=sys.stderr)
                got, too_long = 0, False
                try:
                    with _open_part(part, mode) as f:
                        while True:
                            n = CHUNK if max_bytes is None else min(CHUNK, max_bytes - got)
                            if limit is not None:
                                n = min(n, limit - got)
                            if n <= 0:
                                break
                            block = resp.read(n)
                            if not block:
                                break
                            f.write(block)
                            got += len(block)
                            if bar is not None:
                                bar.update(len(block))
                        if limit is not None and got >= limit and (max_bytes is None or got < max_bytes):
                            too_long = bool(resp.read(1))  # one byte past the pin: enough to know
                finally:
                    if bar is not None:
                        bar.close()
                if too_long:
                    part.unlink()
                    raise DownloadError(f"{url}: the server sent more than the pinned {int(spec['size']):,} "
                                        f"bytes; stopped reading and deleted {part.name} (the source may "
                                        f"have changed); {retry}, and if it persists report it")
                if max_bytes is not None and got >= max_bytes:
                    return {"complete": False, "bytes": part.stat().st_size}
    if total is not None and part.stat().st_size < int(total):
        return {"complete": False, "bytes": part.stat().st_size}
    try:
        checked = verify(part, spec)
    except DownloadError as exc:
        part.unlink()
        raise DownloadError(f"{exc} (from {url}); the download was deleted, nothing was used; "
                            f"{retry}") from None
    part.replace(dest)
    return {"complete": True, "bytes": dest.stat().st_size, "verified": checked}


# ---------------------------------------------------------------------- data sets
def _datasets() -> dict:
    from organisms.drosophila import dataset as fly
    return {fly.NAME: fly}


def _get(name: str):
    ds = _datasets()
    if name not in ds:
        import difflib
        close = difflib.get_close_matches(name, list(ds), n=3)
        raise UnknownDataSet(f"unknown data set {name!r}; known: {', '.join(ds)}"
                       + (f" (did you mean {', '.join(close)}?)" if close else ""))
    return ds[name]


def fetch(name: str, directory: str | Path | None = None, progress: bool = True,
          base_url: str | None = None, out=None) -> Path:
    """Download every file of data set ``name`` (resumable, verified). ``base_url`` replaces
    the pinned host (tests, mirrors); verification stays against the pinned ids."""
    mod = _get(name)
    out = out or sys.stdout
    d = Path(directory) if directory else mod.fetch_dir()
    print(mod.LICENCE, file=out)
    print(f"source: github.com/{mod.REPO} @ {mod.COMMIT}; into {d}", file=out)
    checked = {}
    retry = f"run `cgym data fetch {name}{'' if directory is None else f' {directory}'}` again"
    for fname, spec in mod.FILES.items():
        dest = d / fname
        url = spec["url"] if base_url is None else f"{base_url.rstrip('/')}/{fname}"
        _refuse_symlink(dest, retry)
        if dest.exists():  # a cached file is re-verified by hash before it is used
            try:
                checked[fname] = verify(dest, spec)
            except DownloadError as exc:
                raise DownloadError(f"{d}/{exc} (the cached copy is damaged); delete it "
                                    f"(rm {dest}) and {retry}") from None
            print(f"  {fname}: present, verified", file=out)
        else:
            res = download(url, dest, spec, progress=progress, retry=retry)
            if not res["complete"]:
                raise DownloadError(f"{fname}: transfer ended early ({res['bytes']:,} bytes); {retry} "
                                    "to resume")
            checked[fname] = res["verified"]
            print(f"  {fname}: downloaded, verified "
                  f"({', '.join(k for k in res['verified'] if k != 'size')})", file=out)
        st = dest.stat()  # recorded so that later runs re-hash only a file that changed
        checked[fname].update(size=st.st_size, mtime_ns=st.st_mtime_ns)
    (d / "verified.json").write_text(json.dumps({"dataset": name, "commit": mod.COMMIT, "files": checked}, indent=1))
    print(f"ok: {name} in {d}. The fly brains now use the real edge list (`--brain-option edges=real` "
          "to require it).", file=out)
    return d


def cmd_data(args) -> int:
    """Entry point of ``cgym data``."""
    mod = _get(args.dataset)
    if args.action == "fetch":
        fetch(args.dataset, args.dir, progress=not args.no_progress)
    elif args.action == "path":
        if not args.dir:
            raise UnknownDataSet("cgym data path NAME DIR: give the folder that holds the files")
        d = mod.record_path(args.dir)
        print(f"{args.dataset}: using {d}\n{mod.LICENCE}")
    else:
        real, why = mod.locate_real()
        print(f"{args.dataset}: " + (f"real files in {real} (found via {why})" if real
                                     else f"not present ({why}); the fly brains use the labelled surrogate"))
        print(f"environment variable: {mod.ENV_VAR}; fetch cache: {mod.fetch_dir()}")
    return 0


def add_parser(sub) -> None:
    """The ``data`` subcommand (called from runners/cli.py)."""
    s = sub.add_parser("data", help="fetch or locate large data sets (e.g. flywire-783)")
    s.add_argument("action", choices=["fetch", "path", "info"],
                   help="fetch: download and verify; path: where the data is; info: what it is")
    s.add_argument("dataset", help="e.g. flywire-783")
    s.add_argument("dir", nargs="?", help="folder (path: where your copy is; fetch: target)")
    s.add_argument("--no-progress", action="store_true", help="no progress bar")
    s.set_defaults(func=cmd_data)
