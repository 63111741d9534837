"""FlyWire v783 for the fly brain: neuron annotations, edge sets in the formats people have.

Neuron table (:class:`NeuronTable`)
    The model's neurons in model order, with their annotations (super class, cell type, side,
    nerve, transmitter). Built from a neuron list (the Shiu ``Completeness_783.csv`` root ids, in
    its row order) joined by root id with the shipped compact annotation table
    ``data/flywire783_neurons.csv.gz`` (derived from the Codex exports, see data/README.md) or with
    user-supplied Codex ``classification.csv[.gz]`` + ``neurons.csv[.gz]``. Neurons are named by
    cell type and side (``JO-E``, ``DNg62:left``, ``JO-C*:right``) or by root id; unknown names
    raise :class:`UnknownNeuronError` with close matches.

Edge set (:class:`EdgeSet`)
    ``pre``, ``post`` (model indices), ``weight`` (signed synapse count, Shiu's
    ``Excitatory x Connectivity``) plus where it came from: ``kind`` (``real-v783`` or
    ``surrogate``), its files and a content hash. Readers:

    * :func:`read_shiu`: ``Completeness_783.csv`` + ``Connectivity_783.parquet`` (Shiu et al. 2024
      layout: ``Presynaptic_ID, Postsynaptic_ID, Connectivity, Excitatory, Excitatory x
      Connectivity, Presynaptic_Index, Postsynaptic_Index``);
    * :func:`read_codex_connections`: a Codex ``connections.csv[.gz]`` export (``pre_root_id,
      post_root_id, neuropil, syn_count, nt_type``), summed over neuropils and signed by the
      transmitter (GABA, glutamate: inhibitory; Shiu's rule), mapped onto a neuron table;
    * :func:`write_shiu` writes the Shiu layout (used by the surrogate generator and tests).

FlyWire data are CC BY-NC 4.0 (non-commercial, attribution): see data/README.md.
"""

from __future__ import annotations

import difflib
import hashlib
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterable

import numpy as np
import pandas as pd

HERE = Path(__file__).resolve().parent
ANNOTATIONS = HERE / "data" / "flywire783_neurons.csv.gz"
SHIU_COMPLETENESS = "Completeness_783.csv"
SHIU_CONNECTIVITY = "Connectivity_783.parquet"
SHIU_COLUMNS = ["Presynaptic_ID", "Postsynaptic_ID", "Connectivity", "Excitatory",
                "Excitatory x Connectivity", "Presynaptic_Index", "Postsynaptic_Index"]
INHIBITORY_NT = ("GABA", "GLUT")     # Shiu et al. 2024: GABA and glutamate inhibit, the rest excite
LICENCE_NOTICE = ("FlyWire connectome data (Dorkenwald et al. 2024; Schlegel et al. 2024) are "
                  "CC BY-NC 4.0: non-commercial use with attribution.")


class FlyWireDataError(ValueError):
    """A FlyWire file is missing or malformed; the message names the file (and row/column)."""


class UnknownNeuronError(KeyError):
    def __init__(self, name: str, suggestions: list[str], where: str):
        self.name, self.suggestions = name, suggestions
        hint = f" Did you mean: {', '.join(suggestions)}?" if suggestions else ""
        super().__init__(f"unknown FlyWire neuron or cell type {name!r} in {where}.{hint}")

    def __str__(self) -> str:
        return self.args[0]


def sha256_file(path: Path, chunk: int = 1 << 22) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(chunk), b""):
            h.update(block)
    return h.hexdigest()


# ---------------------------------------------------------------------- neurons
def load_annotations(path: str | Path | None = None) -> pd.DataFrame:
    """The shipped compact annotation table (or another file with the same columns)."""
    path = Path(path) if path else ANNOTATIONS
    if not path.exists():
        raise FlyWireDataError(f"{path}: annotation table not found (run python -m "
                               "organisms.drosophila.tools.derive_annotations)")
    df = pd.read_csv(path, dtype={"root_id": "int64"}, keep_default_na=True)
    for col in ("root_id", "super_class", "cell_type", "side"):
        if col not in df.columns:
            raise FlyWireDataError(f"{path}: missing column {col!r}; found {list(df.columns)}")
    return df


def read_codex_annotations(classification: str | Path, neurons: str | Path | None = None) -> pd.DataFrame:
    """Codex exports (``classification.csv[.gz]``, optionally ``neurons.csv[.gz]``) → annotations."""
    classification = Path(classification)
    if not classification.exists():
        raise FlyWireDataError(f"{classification}: file not found")
    df = pd.read_csv(classification)
    need = ["root_id", "super_class", "side"]
    missing = [c for c in need if c not in df.columns]
    if missing:
        raise FlyWireDataError(f"{classification}: missing Codex column(s) {missing}; found {list(df.columns)}")
    if "cell_type" not in df.columns:
        df["cell_type"] = np.nan
    if neurons:
        nt = pd.read_csv(neurons, usecols=lambda c: c in ("root_id", "nt_type", "nt_type_score"))
        df = df.merge(nt, on="root_id", how="left")
    return df


@dataclass
class NeuronTable:
    """Model neurons (row = model index) with annotations; name resolution by type and side."""

    table: pd.DataFrame          # columns: root_id, super_class, cell_type, side, nt_type, ...
    source: str = ""

    @classmethod
    def from_root_ids(cls, root_ids: np.ndarray, annotations: pd.DataFrame | None = None,
                      source: str = "") -> "NeuronTable":
        ann = load_annotations() if annotations is None else annotations
        ann = ann.drop(columns=[c for c in ("shiu_index",) if c in ann.columns])
        df = pd.DataFrame({"root_id": np.asarray(root_ids, dtype=np.int64)})
        df = df.merge(ann.drop_duplicates("root_id"), on="root_id", how="left")
        return cls(df.reset_index(drop=True), source)

    def __len__(self) -> int:
        return len(self.table)

    @property
    def root_ids(self) -> np.ndarray:
        return self.table["root_id"].to_numpy(np.int64)

    def _types(self) -> dict[str, pd.Series]:
        cache = getattr(self, "_type_cache", None)
        if cache is None:
            cache = {c: self.table[c].fillna("").astype(str) for c in
                     ("cell_type", "primary_type", "hemibrain_type") if c in self.table}
            object.__setattr__(self, "_type_cache", cache)
        return cache

    def vocabulary(self) -> list[str]:
        vocab: set[str] = set()
        for s in self._types().values():
            vocab.update(v for v in s.unique() if v)
        return sorted(vocab)

    def resolve(self, names: str | Iterable[str]) -> np.ndarray:
        """Model indices of cell types / root ids. A name is ``TYPE``, ``TYPE:left|right|center``,
        ``TYPE*`` (prefix), or a root id. Cell types match ``cell_type``, then Codex
        ``primary_type``, then ``hemibrain_type`` (e.g. ``MDN``)."""
        if isinstance(names, str):
            names = [names]
        out: list[np.ndarray] = []
        for raw in names:
            name = str(raw).strip()
            side = None
            m = re.fullmatch(r"(.+?)[:@](left|right|center)", name)
            if m:
                name, side = m.group(1), m.group(2)
            out.append(self._resolve_one(name, side, str(raw)))
        idx = np.unique(np.concatenate(out)) if out else np.zeros(0, np.int64)
        return idx.astype(np.int64)

    def _resolve_one(self, name: str, side: str | None, raw: str) -> np.ndarray:
        if name.isdigit() and len(name) > 10:
            hit = np.flatnonzero(self.table["root_id"].to_numpy() == int(name))
            if not len(hit):
                raise UnknownNeuronError(raw, [], f"the neuron table ({self.source or 'FlyWire v783'})")
            return hit
        mask = np.zeros(len(self.table), bool)
        for col, s in self._types().items():
            mask = s.str.startswith(name[:-1]).to_numpy() if name.endswith("*") and len(name) > 1 else (s == name).to_numpy()
            if mask.any():
                break
        if not mask.any():
            stem = name.rstrip("*")
            vocab = self.vocabulary()
            close = difflib.get_close_matches(stem, vocab, n=5, cutoff=0.6)
            if not close:
                close = sorted(v for v in vocab if v.lower().startswith(stem.lower()[:3]))[:5]
            raise UnknownNeuronError(raw, close, f"the neuron table ({self.source or 'FlyWire v783'}); "
                                     "names are FlyWire cell types (optionally TYPE:left), literature "
                                     "names are mapped in organisms/drosophila/cell_types.yaml")
        if side:
            mask = mask & (self.table["side"].astype(str) == side).to_numpy()
        return np.flatnonzero(mask)

    def signs(self) -> np.ndarray:
        """Per-neuron sign from the transmitter prediction (+1 or -1; unknown → +1, as Shiu)."""
        nt = self.table.get("nt_type", pd.Series([""] * len(self.table))).fillna("").astype(str).str.upper()
        return np.where(nt.isin(INHIBITORY_NT).to_numpy(), -1, 1).astype(np.int8)


# ---------------------------------------------------------------------- edges
@dataclass
class EdgeSet:
    """Signed, weighted edges over a neuron table, with provenance."""

    n: int
    pre: np.ndarray
    post: np.ndarray
    weight: np.ndarray                # signed synapse count
    kind: str                         # "real-v783" | "surrogate" | "shuffled" | ...
    files: dict = field(default_factory=dict)
    sha256: str = ""                  # hash of the connectivity file (or of the arrays)
    details: dict = field(default_factory=dict)

    @property
    def n_edges(self) -> int:
        return int(len(self.pre))

    @property
    def surrogate(self) -> bool:
        return self.kind != "real-v783" and not self.details.get("derived_from_real", False)

    def describe(self) -> dict:
        return {**self.details, "kind": self.kind, "surrogate": bool(self.surrogate), "neurons": int(self.n),
                "edges": self.n_edges, "sha256": self.sha256, "files": dict(self.files)}

    def label(self) -> str:
        if self.kind == "real-v783":
            return f"FlyWire v783 (Shiu 2024 graph, sha256 {self.sha256[:12]})"
        d = self.details
        if self.kind.startswith("shuffled"):
            return (f"SHUFFLED {d.get('shuffled_from_label', 'edge set')} (degree-preserving rewiring, "
                    f"shuffle seed {d.get('shuffle_seed', '?')}; sha256 of the shuffled edges {self.sha256[:12]}), "
                    "not FlyWire wiring")
        planted = f"; PLANTED {d['planted']}" if d.get("planted") else ""
        return (f"{self.kind.upper()} edge set ({d.get('generator', '?')} v{d.get('generator_version', '?')}, "
                f"seed {d.get('seed', '?')}{planted}), not FlyWire wiring")


def array_hash(*arrays: np.ndarray) -> str:
    h = hashlib.sha256()
    for a in arrays:
        h.update(np.ascontiguousarray(a).tobytes())
    return h.hexdigest()


def read_completeness(path: str | Path) -> np.ndarray:
    """Root ids of ``Completeness_783.csv`` in row order (= model neuron index)."""
    path = Path(path)
    if not path.exists():
        raise FlyWireDataError(f"{path}: file not found")
    df = pd.read_csv(path, index_col=0)
    try:
        ids = np.asarray(df.index, dtype=np.int64)
    except (TypeError, ValueError):
        bad = next(i for i, v in enumerate(df.index) if not str(v).strip().isdigit())
        raise FlyWireDataError(f"{path}: row {bad + 1}: root id {df.index[bad]!r} is not an integer") from None
    dup = pd.Index(ids).duplicated()
    if dup.any():
        r = int(np.flatnonzero(dup)[0])
        raise FlyWireDataError(f"{path}: row {r + 1}: duplicate root id {ids[r]}")
    return ids


def read_shiu(completeness: str | Path, connectivity: str | Path, kind: str | None = None,
              details: dict | None = None, hash_file: bool = True) -> tuple[np.ndarray, EdgeSet]:
    """Shiu et al. 2024 files → (root ids in model order, EdgeSet). ``kind`` defaults to the
    file's own metadata (surrogate files say so) or ``real-v783``."""
    import pyarrow.parquet as pq  # optional dependency: the `fly` extra

    completeness, connectivity = Path(completeness), Path(connectivity)
    root_ids = read_completeness(completeness)
    if not connectivity.exists():
        raise FlyWireDataError(f"{connectivity}: file not found")
    try:
        pf = pq.ParquetFile(connectivity)
    except Exception as exc:  # noqa: BLE001 - pyarrow raises several types
        raise FlyWireDataError(f"{connectivity}: not a readable parquet file ({exc})") from None
    cols = pf.schema_arrow.names
    need = ["Presynaptic_Index", "Postsynaptic_Index", "Excitatory x Connectivity"]
    missing = [c for c in need if c not in cols]
    if missing:
        raise FlyWireDataError(f"{connectivity}: missing Shiu column(s) {missing}; found {cols}")
    meta = {k.decode(): v.decode() for k, v in (pf.schema_arrow.metadata or {}).items()
            if k.decode().startswith("cgym.")}
    t = pq.read_table(connectivity, columns=need)
    pre = t.column("Presynaptic_Index").to_numpy().astype(np.int32)
    post = t.column("Postsynaptic_Index").to_numpy().astype(np.int32)
    w = t.column("Excitatory x Connectivity").to_numpy().astype(np.float32)
    n = len(root_ids)
    for name, arr in (("Presynaptic_Index", pre), ("Postsynaptic_Index", post)):
        bad = (arr < 0) | (arr >= n)
        if bad.any():
            r = int(np.flatnonzero(bad)[0])
            raise FlyWireDataError(f"{connectivity}: row {r + 1}: {name} = {int(arr[r])} is not a row of "
                                   f"{completeness.name} ({n} neurons)")
    zero = w == 0
    if zero.any():
        r = int(np.flatnonzero(zero)[0])
        raise FlyWireDataError(f"{connectivity}: row {r + 1}: 'Excitatory x Connectivity' is 0")
    kind = kind or meta.get("cgym.kind", "real-v783")
    info = dict(details or {})
    for k, v in meta.items():
        if k not in ("cgym.kind", "cgym.neurons", "cgym.edges"):
            info[k[5:]] = int(v) if v.lstrip("-").isdigit() else v
    digest = sha256_file(connectivity) if hash_file else array_hash(pre, post, w)
    es = EdgeSet(n=n, pre=pre, post=post, weight=w, kind=kind,
                 files={"completeness": str(completeness), "connectivity": str(connectivity)},
                 sha256=digest, details=info)
    return root_ids, es


def write_shiu(directory: str | Path, root_ids: np.ndarray, pre: np.ndarray, post: np.ndarray,
               count: np.ndarray, excitatory: np.ndarray, metadata: dict | None = None,
               completeness_name: str = SHIU_COMPLETENESS,
               connectivity_name: str = SHIU_CONNECTIVITY) -> tuple[Path, Path]:
    """Write exactly the Shiu et al. 2024 layout. ``metadata`` (e.g. kind=surrogate, seed) goes
    into the parquet schema metadata under ``cgym.*`` keys, so a surrogate is never mistaken for
    real data."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    comp = directory / completeness_name
    pd.DataFrame({"Completed": np.ones(len(root_ids), bool)},
                 index=pd.Index(np.asarray(root_ids, np.int64))).to_csv(comp)
    root_ids = np.asarray(root_ids, np.int64)
    count = np.asarray(count, np.int64)
    exc = np.asarray(excitatory, np.int64)
    table = pa.table({
        "Presynaptic_ID": root_ids[pre], "Postsynaptic_ID": root_ids[post],
        "Connectivity": count, "Excitatory": exc, "Excitatory x Connectivity": count * exc,
        "Presynaptic_Index": np.asarray(pre, np.int64), "Postsynaptic_Index": np.asarray(post, np.int64),
    })
    meta = {f"cgym.{k}".encode(): str(v).encode() for k, v in (metadata or {}).items()}
    table = table.replace_schema_metadata({**(table.schema.metadata or {}), **meta})
    conn = directory / connectivity_name
    tmp = conn.with_suffix(".parquet.tmp")
    pq.write_table(table, tmp, compression="zstd")
    tmp.replace(conn)
    return comp, conn


def read_codex_connections(path: str | Path, neurons: NeuronTable, min_syn: int = 1) -> EdgeSet:
    """A Codex ``connections.csv[.gz]`` export (one row per pair and neuropil) → EdgeSet over
    ``neurons``. Rows are summed per (pre, post); edges touching neurons outside the table are
    dropped and counted in ``details``. Signs follow the row's ``nt_type`` (Shiu's rule)."""
    path = Path(path)
    if not path.exists():
        raise FlyWireDataError(f"{path}: file not found")
    usecols = ["pre_root_id", "post_root_id", "syn_count", "nt_type"]
    head = pd.read_csv(path, nrows=0).columns.tolist()
    missing = [c for c in usecols if c not in head]
    if missing:
        raise FlyWireDataError(f"{path}: missing Codex column(s) {missing}; found {head}")
    df = pd.read_csv(path, usecols=usecols, dtype={"pre_root_id": "int64", "post_root_id": "int64",
                                                   "syn_count": "int64", "nt_type": "string"})
    sign = np.where(df["nt_type"].fillna("").str.upper().isin(INHIBITORY_NT), -1, 1)
    df = df.assign(signed=df["syn_count"].to_numpy() * sign)
    g = df.groupby(["pre_root_id", "post_root_id"], sort=False).agg(count=("syn_count", "sum"),
                                                                     signed=("signed", "sum"))
    g = g[g["count"] >= min_syn].reset_index()
    pos = pd.Series(np.arange(len(neurons)), index=neurons.root_ids)
    pre = pos.reindex(g["pre_root_id"]).to_numpy()
    post = pos.reindex(g["post_root_id"]).to_numpy()
    keep = ~(np.isnan(pre) | np.isnan(post))
    # Shiu: sign per synapse then aggregate; a pair whose synapses cancel out carries no weight
    w = np.where(g["signed"].to_numpy() == 0, 0, g["signed"].to_numpy())
    keep &= w != 0
    return EdgeSet(n=len(neurons), pre=pre[keep].astype(np.int32), post=post[keep].astype(np.int32),
                   weight=w[keep].astype(np.float32), kind="real-v783", files={"connections": str(path)},
                   sha256=sha256_file(path),
                   details={"format": "codex-connections", "dropped_edges_outside_table": int((~keep).sum())})
