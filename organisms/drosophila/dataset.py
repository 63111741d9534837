"""Where the fly brain's edge set comes from: real FlyWire v783 files or the labelled surrogate.

Pinned source of the real edge list (``../shared/data/flywire-783/README.md``): the public
repository philshiu/Drosophila_brain_model (code MIT; the data CC BY-NC 4.0) at commit
91bdd1e7dcf193f3e7ca5a8933497fcef63b7960, files verified by git blob id (sha1 of
``b"blob <size>\\0" + data``, what ``git hash-object`` prints).

Lookup order for the Shiu files (``Completeness_783.csv`` + ``Connectivity_783.parquet``):

1. ``$CGYM_FLYWIRE_DIR`` (a folder holding both files);
2. the folder recorded by ``cgym data path flywire-783 DIR``;
3. the download cache (``cgym data fetch flywire-783``), once verified;
4. otherwise the surrogate (generated once into the cache), unless real data were required.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

from . import flywire

NAME = "flywire-783"
ENV_VAR = "CGYM_FLYWIRE_DIR"
COMMIT = "91bdd1e7dcf193f3e7ca5a8933497fcef63b7960"
REPO = "philshiu/Drosophila_brain_model"
RAW = f"https://raw.githubusercontent.com/{REPO}/{COMMIT}"
FILES = {
    flywire.SHIU_COMPLETENESS: {"url": f"{RAW}/Completeness_783.csv", "size": 3_327_347,
                                "git_blob": "b5a26b82b69a3c2e7fd99cd6810c36fc8f0e492b",
                                "sha256": "bbb847a4cc2caaa7a16349722d220c087317b946d148d4d592d94d250617a311"},
    flywire.SHIU_CONNECTIVITY: {"url": f"{RAW}/Connectivity_783.parquet", "size": 100_804_642,
                                "git_blob": "d386555d1a5f40ebfa1380bcb05b1fab044855fd"},
}
LICENCE = (
    "FlyWire v783 connectome data: CC BY-NC 4.0 (https://creativecommons.org/licenses/by-nc/4.0/) — "
    "non-commercial use only, with attribution. Cite: Dorkenwald et al. 2024, Nature 634:124 "
    "(doi:10.1038/s41586-024-07558-y); Schlegel et al. 2024, Nature 634:139 (doi:10.1038/s41586-024-07686-5); "
    "Shiu et al. 2024, Nature 634:210 (doi:10.1038/s41586-024-07763-9) for the model graph; Eckstein et al. "
    "2024, Cell 187:2574 (doi:10.1016/j.cell.2024.03.016) for transmitter predictions.")


class EdgesNotFound(FileNotFoundError):
    pass


class EdgesDamaged(EdgesNotFound):
    """A fetched file no longer matches its pinned hash (the message says how to recover)."""


def data_root() -> Path:
    from nervous_systems.brian2_setup import cache_dir
    return cache_dir() / "data"


def fetch_dir() -> Path:
    return data_root() / NAME


def _paths_file() -> Path:
    return data_root() / "paths.json"


def recorded_path() -> Path | None:
    f = _paths_file()
    if f.exists():
        p = json.loads(f.read_text()).get(NAME)
        return Path(p) if p else None
    return None


def record_path(directory: str | Path) -> Path:
    """``cgym data path flywire-783 DIR``: check DIR holds the Shiu files, remember it."""
    d = Path(directory).expanduser().resolve()
    check_dir(d)
    f = _paths_file()
    f.parent.mkdir(parents=True, exist_ok=True)
    paths = json.loads(f.read_text()) if f.exists() else {}
    paths[NAME] = str(d)
    f.write_text(json.dumps(paths, indent=1))
    return d


def check_dir(d: Path) -> None:
    missing = [n for n in FILES if not (d / n).exists()]
    if missing:
        raise EdgesNotFound(f"{d}: missing {', '.join(missing)} (expected the Shiu et al. 2024 files "
                            f"{', '.join(FILES)})")


def locate_real() -> tuple[Path | None, str]:
    """(folder with real Shiu files, where it was found) or (None, reasons)."""
    reasons = []
    env = os.environ.get(ENV_VAR)
    if env:
        d = Path(env).expanduser()
        check_dir(d)   # an explicit setting that is wrong is an error, not a fallback
        return d, f"${ENV_VAR}"
    reasons.append(f"${ENV_VAR} not set")
    rec = recorded_path()
    if rec is not None:
        check_dir(rec)
        return rec, "cgym data path"
    reasons.append("no folder recorded by `cgym data path flywire-783 DIR`")
    fd = fetch_dir()
    if (fd / "verified.json").exists() and all((fd / n).exists() for n in FILES):
        verify_fetched(fd)  # never trust verified.json alone: the files may have changed since
        return fd, "cgym data fetch"
    reasons.append(f"nothing fetched into {fd} (`cgym data fetch flywire-783`)")
    return None, "; ".join(reasons)


def verify_fetched(d: Path) -> None:
    """Re-check the fetched files of ``d`` against :data:`FILES` before they are used.

    ``verified.json`` records each file's size and mtime at verification: a file whose size or
    mtime differs (or with no record) is hashed again, and the record updated when it passes.
    Raises :class:`EdgesDamaged` naming the file, expected vs got, and the command to recover."""
    from nervous_systems.integrity import IntegrityError, verify_file
    record = d / "verified.json"
    try:
        data = json.loads(record.read_text())
        files = data.get("files", {}) if isinstance(data, dict) else {}
    except (OSError, ValueError):
        data, files = {"dataset": NAME, "commit": COMMIT}, {}
    recover = f"run `cgym data fetch {NAME}` again"
    changed = False
    for fname, spec in FILES.items():
        path = d / fname
        if path.is_symlink():
            raise EdgesDamaged(f"{path} is a symbolic link in the download cache; delete it "
                               f"(rm {path}) and {recover}")
        st = path.stat()
        rec = files.get(fname) if isinstance(files.get(fname), dict) else {}
        pinned = {k: spec[k] for k in ("git_blob", "sha256") if spec.get(k)}
        if (rec.get("size") == st.st_size == spec.get("size", st.st_size)
                and rec.get("mtime_ns") == st.st_mtime_ns
                and pinned and all(rec.get(k) == v for k, v in pinned.items())):
            continue  # unchanged since it was hashed
        try:
            got = verify_file(path, spec)
        except IntegrityError as exc:
            raise EdgesDamaged(f"{d}/{exc}: the fetched copy is damaged; delete it (rm {path}) "
                               f"and {recover}") from None
        files[fname] = {**got, "size": st.st_size, "mtime_ns": st.st_mtime_ns}
        changed = True
    if changed:
        data = dict(data, files=files)
        tmp = record.with_name(record.name + ".tmp")
        tmp.write_text(json.dumps(data, indent=1))
        tmp.replace(record)


def load_edges(edges: str = "auto", surrogate_seed: int = 0, verbose: bool = True):
    """(NeuronTable, EdgeSet) for ``edges`` = ``auto`` (real if present, else surrogate),
    ``real`` (error if absent), ``surrogate``, or a folder with the Shiu files."""
    if edges not in ("auto", "real", "surrogate"):
        d = Path(edges).expanduser()
        check_dir(d)
        src = d
    elif edges == "surrogate":
        from . import surrogate
        src = surrogate.ensure(surrogate_seed, verbose=verbose)
    else:
        src, why = locate_real()
        if src is None:
            if edges == "real":
                raise EdgesNotFound(f"the real FlyWire v783 edge list was requested but not found ({why})")
            from . import surrogate
            src = surrogate.ensure(surrogate_seed, verbose=verbose)
    root_ids, es = flywire.read_shiu(src / flywire.SHIU_COMPLETENESS, src / flywire.SHIU_CONNECTIVITY)
    neurons = flywire.NeuronTable.from_root_ids(root_ids, source=str(src / flywire.SHIU_COMPLETENESS))
    unknown = int(neurons.table["super_class"].isna().sum())
    if unknown:
        es.details["neurons_without_annotation"] = unknown
    return neurons, es
