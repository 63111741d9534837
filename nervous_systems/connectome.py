"""The connectome data model shared by every organism.

A :class:`Connectome` is two tables:

``neurons``
    one row per neuron, indexed by a unique ``name``. Required column: ``cell_class``
    (e.g. ``AIY`` for AIYL/AIYR). Optional, organism-specific columns:
    ``cell_type`` (sensory / interneuron / motor / ...), ``position`` (0 = nose,
    1 = tail, NaN where unknown), ``neurotransmitter`` and whatever else a dataset carries.
``edges``
    one row per connection: ``pre`` and ``post`` (names), ``kind`` (``chem``, ``gap`` or
    ``nmj``), ``weight`` (synapse count or size, > 0) and ``sign`` (+1 excitatory,
    -1 inhibitory, 0 unknown / not applicable; gap junctions carry 0).
    ``chem`` and ``gap`` edges connect two neurons; ``nmj`` edges go from a neuron to an
    effector (a muscle), listed in ``effectors``.

Gap junctions are symmetric: a file may list each pair once or in both directions;
:meth:`Connectome.gap_pairs` returns each unordered pair once.

Malformed input raises :class:`ConnectomeError`, which names the file, the row and the
problem. Unknown neuron names raise :class:`UnknownNeuronError` with close matches.
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

from .integrity import sha256_file

EDGE_KINDS = ("chem", "gap", "nmj")
EDGE_COLUMNS = ("pre", "post", "kind", "weight", "sign")


class ConnectomeError(ValueError):
    """A connectome file or table is malformed or inconsistent.

    The message names the source (file), the row (1-based data row, header excluded,
    where applicable) and the problem.
    """

    def __init__(self, problem: str, source: str | Path | None = None, row: int | None = None):
        self.problem, self.source, self.row = problem, str(source) if source else None, row
        where = []
        if self.source:
            where.append(self.source)
        if row is not None:
            where.append(f"row {row}")
        super().__init__(f"{': '.join([', '.join(where), problem]) if where else problem}")


class ConnectomeIntegrityError(ConnectomeError):
    """A shipped connectome file differs from the sha256 or counts pinned in its provenance."""


def verify_files(pinned: dict[str | Path, str], restore: str) -> None:
    """Check every file against its pinned sha256 (``{path: hexdigest}``) before it is read.
    Raises :class:`ConnectomeIntegrityError` naming the file, expected vs got, and ``restore``
    (how to get the right file back)."""
    for path, expected in pinned.items():
        path = Path(path)
        if not path.is_file():
            raise ConnectomeIntegrityError(f"missing connectome file; {restore}", path)
        got = sha256_file(path)
        if got != str(expected).lower():
            lines = sum(1 for _ in open(path, "rb"))
            raise ConnectomeIntegrityError(
                f"sha256 {got[:16]}… ({path.stat().st_size} bytes, {lines} lines) differs from the "
                f"pinned {str(expected)[:16]}… in provenance.yaml: the file is damaged or was "
                f"edited; {restore}", path)


def connectome_counts(c: "Connectome") -> dict[str, int]:
    """The counts a provenance file pins: neurons and edges of each kind (gap: unordered pairs)."""
    kinds = c.edges["kind"].value_counts()
    return {"neurons": c.n_neurons, "chem_edges": int(kinds.get("chem", 0)),
            "gap_pairs": len(c.gap_pairs()[0]) if "gap" in kinds else 0,
            "nmj_edges": int(kinds.get("nmj", 0))}


def verify_counts(c: "Connectome", expected: dict, restore: str) -> None:
    """Compare :func:`connectome_counts` with the pinned ``expected`` counts (keys present in
    both); raises :class:`ConnectomeIntegrityError` listing every difference."""
    got = connectome_counts(c)
    bad = [f"{k} {got[k]} (pinned {int(expected[k])})" for k in got
           if k in expected and got[k] != int(expected[k])]
    if bad:
        raise ConnectomeIntegrityError(f"counts differ from provenance.yaml: {', '.join(bad)}; "
                                       f"{restore}", c.source or c.name)


class UnknownNeuronError(KeyError):
    """A neuron (or class) name that the connectome does not contain."""

    def __init__(self, name: str, suggestions: list[str], connectome: str):
        self.name, self.suggestions = name, suggestions
        hint = f" Did you mean: {', '.join(suggestions)}?" if suggestions else ""
        super().__init__(f"unknown neuron or class {name!r} in connectome {connectome!r}.{hint}")

    def __str__(self) -> str:  # KeyError quotes its message; we want it plain
        return self.args[0]


@dataclass
class Connectome:
    """Neurons + typed, weighted, signed edges. See the module docstring."""

    name: str
    neurons: pd.DataFrame
    edges: pd.DataFrame
    effectors: list[str] = field(default_factory=list)
    provenance: dict = field(default_factory=dict)
    source: str | None = None

    def __post_init__(self) -> None:
        self.validate()

    # ------------------------------------------------------------------ construction
    @classmethod
    def from_csv(cls, neurons_csv: str | Path, edges_csv: str | Path, name: str | None = None,
                 provenance: dict | None = None) -> "Connectome":
        """Load the project's CSV format (see module docstring); errors name file and row."""
        neurons_csv, edges_csv = Path(neurons_csv), Path(edges_csv)
        neurons = _read_csv(neurons_csv, required=("name", "cell_class"))
        edges = _read_csv(edges_csv, required=EDGE_COLUMNS)
        _check_rows(neurons, edges, neurons_csv, edges_csv)
        neurons = neurons.set_index("name", drop=True)
        effectors = sorted(set(edges.loc[edges["kind"] == "nmj", "post"]))
        return cls(name=name or neurons_csv.stem, neurons=neurons, edges=edges,
                   effectors=effectors, provenance=provenance or {}, source=str(edges_csv))

    # ------------------------------------------------------------------ validation
    def validate(self) -> None:
        src = self.source or self.name
        if self.neurons.index.name != "name":
            self.neurons.index.name = "name"
        dup = self.neurons.index[self.neurons.index.duplicated()]
        if len(dup):
            raise ConnectomeError(f"duplicate neuron name(s): {', '.join(map(str, dup[:5]))}", src)
        if "cell_class" not in self.neurons.columns:
            raise ConnectomeError("neurons table lacks the required column 'cell_class'", src)
        missing = [c for c in EDGE_COLUMNS if c not in self.edges.columns]
        if missing:
            raise ConnectomeError(f"edges table lacks column(s) {missing}", src)
        _check_rows(self.neurons.reset_index(), self.edges, src, src,
                    effectors=set(self.effectors) if self.effectors else None)

    # ------------------------------------------------------------------ lookup
    @property
    def n_neurons(self) -> int:
        return len(self.neurons)

    @property
    def names(self) -> list[str]:
        return list(self.neurons.index)

    def index_of(self, names: str | Iterable[str]) -> np.ndarray:
        """Row indices of neuron names (not classes); raises UnknownNeuronError."""
        if isinstance(names, str):
            names = [names]
        pos = self._positions()
        out = []
        for n in names:
            if n not in pos:
                raise UnknownNeuronError(n, self.suggest(n), self.name)
            out.append(pos[n])
        return np.asarray(out, dtype=np.int64)

    def resolve(self, names_or_classes: str | Iterable[str]) -> list[str]:
        """Expand neuron names and class names (``AIY`` → ``AIYL, AIYR``) to neuron names.

        Also accepts a cell_type value (e.g. ``motor``) and a trailing ``*`` wildcard
        (``DB*``). Unknown names raise :class:`UnknownNeuronError` with suggestions.
        """
        if isinstance(names_or_classes, str):
            names_or_classes = [names_or_classes]
        out: list[str] = []
        classes = self.neurons["cell_class"].astype(str)
        types = self.neurons["cell_type"].astype(str) if "cell_type" in self.neurons else None
        for key in names_or_classes:
            key = str(key).strip()
            if key in self._positions():
                hit = [key]
            elif (classes == key).any():
                hit = list(self.neurons.index[classes == key])
            elif types is not None and (types == key).any():
                hit = list(self.neurons.index[types == key])
            elif key.endswith("*") and len(key) > 1:
                hit = [n for n in self.neurons.index if str(n).startswith(key[:-1])]
                if not hit:
                    raise UnknownNeuronError(key, self.suggest(key[:-1]), self.name)
            else:
                raise UnknownNeuronError(key, self.suggest(key), self.name)
            out.extend(h for h in hit if h not in out)
        return out

    def suggest(self, name: str, n: int = 5) -> list[str]:
        vocab = list(map(str, self.neurons.index)) + sorted(set(map(str, self.neurons["cell_class"])))
        close = difflib.get_close_matches(name, vocab, n=n, cutoff=0.6)
        if not close:
            close = difflib.get_close_matches(name.upper(), vocab, n=n, cutoff=0.5)
        return close

    def _positions(self) -> dict[str, int]:
        cache = getattr(self, "_pos_cache", None)
        if cache is None or len(cache) != len(self.neurons):
            cache = {n: i for i, n in enumerate(self.neurons.index)}
            object.__setattr__(self, "_pos_cache", cache)
        return cache

    # ------------------------------------------------------------------ edge views
    def edges_of(self, kind: str) -> pd.DataFrame:
        if kind not in EDGE_KINDS:
            raise ValueError(f"unknown edge kind {kind!r}; expected one of {EDGE_KINDS}")
        return self.edges[self.edges["kind"] == kind]

    def chemical(self) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """(pre index, post index, weight, sign) of chemical synapses."""
        e = self.edges_of("chem")
        return (self.index_of(e["pre"]), self.index_of(e["post"]),
                e["weight"].to_numpy(float), e["sign"].to_numpy(np.int8))

    def gap_pairs(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Each unordered gap-junction pair once: (i, j, weight) with i < j.

        Where a file lists both directions with different weights, the larger is kept
        (datasets that list both directions list the same junction twice).
        """
        e = self.edges_of("gap")
        i, j = self.index_of(e["pre"]), self.index_of(e["post"])
        w = e["weight"].to_numpy(float)
        a, b = np.minimum(i, j), np.maximum(i, j)
        keep = a != b
        df = pd.DataFrame({"a": a[keep], "b": b[keep], "w": w[keep]}).groupby(["a", "b"], sort=True)["w"].max()
        idx = df.index.to_frame().to_numpy()
        return idx[:, 0].astype(np.int64), idx[:, 1].astype(np.int64), df.to_numpy(float)

    def nmj(self) -> pd.DataFrame:
        """Neuromuscular junctions: columns pre (neuron), post (effector), weight, sign."""
        return self.edges_of("nmj")[["pre", "post", "weight", "sign"]]

    def summary(self) -> dict:
        counts = self.edges["kind"].value_counts().to_dict()
        return {
            "name": self.name,
            "neurons": self.n_neurons,
            "chemical_edges": int(counts.get("chem", 0)),
            "gap_pairs": int(len(self.gap_pairs()[0])),
            "nmj_edges": int(counts.get("nmj", 0)),
            "effectors": len(self.effectors),
            "sha256": self.content_hash(),
        }

    def content_hash(self) -> str:
        """Hash of neurons (names, classes) and edges: identifies the wiring in every output."""
        h = hashlib.sha256()
        h.update(pd.util.hash_pandas_object(self.neurons["cell_class"].astype(str), index=True).values.tobytes())
        h.update(pd.util.hash_pandas_object(self.edges[list(EDGE_COLUMNS)], index=False).values.tobytes())
        return h.hexdigest()[:16]

    def with_edges(self, edges: pd.DataFrame, name: str, **provenance) -> "Connectome":
        """A copy with other edges (same neurons): used by shuffles and lesions."""
        return Connectome(name=name, neurons=self.neurons.copy(), edges=edges.reset_index(drop=True),
                          effectors=list(self.effectors),
                          provenance={**self.provenance, **provenance}, source=self.source)


# ---------------------------------------------------------------------- helpers
def _read_csv(path: Path, required: Iterable[str]) -> pd.DataFrame:
    if not path.exists():
        raise ConnectomeError("file not found", path)
    try:
        df = pd.read_csv(path, comment="#", skipinitialspace=True, keep_default_na=True)
    except pd.errors.ParserError as exc:  # e.g. a row with too many fields
        msg = str(exc).strip()
        m = re.search(r"line (\d+)", msg)
        row = None
        if m:  # pandas counts physical file lines; convert to the data row (header = row 0)
            lines = path.read_text(errors="replace").splitlines()[: int(m.group(1))]
            row = sum(1 for ln in lines if ln.strip() and not ln.lstrip().startswith("#")) - 1
        raise ConnectomeError(f"cannot parse CSV ({msg})", path, row=row) from None
    except pd.errors.EmptyDataError:
        raise ConnectomeError("file is empty", path) from None
    df.columns = [str(c).strip() for c in df.columns]
    missing = [c for c in required if c not in df.columns]
    if missing:
        raise ConnectomeError(f"missing column(s) {missing}; found {list(df.columns)}", path, row=None)
    return df


def _check_rows(neurons: pd.DataFrame, edges: pd.DataFrame, neurons_src, edges_src,
                effectors: set[str] | None = None) -> None:
    """Row-level checks; row numbers are 1-based data rows (header = row 0)."""
    names = neurons["name"].astype(str)
    blank = names.str.strip().eq("") | neurons["name"].isna()
    if blank.any():
        raise ConnectomeError("empty neuron name", neurons_src, int(np.flatnonzero(blank)[0]) + 1)
    dup = names.duplicated()
    if dup.any():
        r = int(np.flatnonzero(dup)[0])
        raise ConnectomeError(f"duplicate neuron name {names.iloc[r]!r}", neurons_src, r + 1)
    known = set(names)

    kind = edges["kind"].astype(str).str.strip()
    bad = ~kind.isin(EDGE_KINDS)
    if bad.any():
        r = int(np.flatnonzero(bad)[0])
        raise ConnectomeError(f"unknown edge kind {edges['kind'].iloc[r]!r} (expected chem, gap or nmj)", edges_src, r + 1)
    weight = pd.to_numeric(edges["weight"], errors="coerce")
    bad = weight.isna() | ~np.isfinite(weight.fillna(0)) | (weight <= 0)
    if bad.any():
        r = int(np.flatnonzero(bad)[0])
        raise ConnectomeError(f"weight must be a positive number, got {edges['weight'].iloc[r]!r}", edges_src, r + 1)
    sign = pd.to_numeric(edges["sign"], errors="coerce")
    bad = ~sign.isin([-1, 0, 1])
    if bad.any():
        r = int(np.flatnonzero(bad)[0])
        raise ConnectomeError(f"sign must be -1, 0 or +1, got {edges['sign'].iloc[r]!r}", edges_src, r + 1)
    pre, post = edges["pre"].astype(str), edges["post"].astype(str)
    bad = ~pre.isin(known)
    if bad.any():
        r = int(np.flatnonzero(bad)[0])
        sug = difflib.get_close_matches(pre.iloc[r], list(known), n=3)
        raise ConnectomeError(f"presynaptic neuron {pre.iloc[r]!r} is not in the neuron table"
                              + (f" (did you mean {', '.join(sug)}?)" if sug else ""), edges_src, r + 1)
    neural = kind != "nmj"
    bad = neural & ~post.isin(known)
    if bad.any():
        r = int(np.flatnonzero(bad)[0])
        sug = difflib.get_close_matches(post.iloc[r], list(known), n=3)
        raise ConnectomeError(f"postsynaptic neuron {post.iloc[r]!r} is not in the neuron table"
                              + (f" (did you mean {', '.join(sug)}?)" if sug else ""), edges_src, r + 1)
    if effectors is not None:
        bad = ~neural & ~post.isin(effectors)
        if bad.any():
            r = int(np.flatnonzero(bad)[0])
            raise ConnectomeError(f"NMJ target {post.iloc[r]!r} is not a listed effector", edges_src, r + 1)
    gap_signed = (kind == "gap") & (sign != 0)
    if gap_signed.any():
        r = int(np.flatnonzero(gap_signed)[0])
        raise ConnectomeError("gap junctions carry sign 0 (they are not excitatory or inhibitory)", edges_src, r + 1)
    # normalise dtypes in place for downstream code
    edges["kind"] = kind
    edges["weight"] = weight.astype(float)
    edges["sign"] = sign.astype(np.int8)
    edges["pre"] = pre
    edges["post"] = post
