"""Grooming-circuit neurons by FlyWire v783 root id (Shiu et al. 2024; Özdil et al. 2024).

The table ``data/grooming_neurons.csv`` (made by ``python -m organisms.drosophila.tools.derive_grooming``,
provenance in its docstring and ``data/README.md``) pins every neuron of the antennal-grooming
circuit by root id. Labels and sides differ between sources, so three columns are kept apart:

* ``codex_type`` / ``soma_side``: the FlyWire Codex annotation (Schlegel et al. 2024);
* ``circuit_side``: the side in the source's own label (Özdil ``ADN1_L``; Shiu's ``aDN2_l``), which
  is the side of the Johnston's organ that drives it. For aBN1 it equals the soma side; for aDN1
  (DNg62) and aDN2 (DNge078) it is the OPPOSITE of the Codex soma side: Shiu drove LEFT JO-CE and
  read aBN1 720575940630907434 (SAD093, soma left), aDN1 720575940616185531 (DNg62, soma right)
  and aDN2 720575940629806974 (DNge078, soma right), all labelled left.

What the real edges would need to confirm (the edge list is not available offline, and the
surrogate's wiring is generated): left JO-CE → 720575940630907434; 720575940630907434 →
720575940616185531 and → 720575940629806974 (and the mirror image on the right). Until then the
circuit side of the aDNs is the sources' label, not a measurement; ``side_evidence`` says so.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

import numpy as np
import pandas as pd

TABLE = Path(__file__).resolve().parent / "data" / "grooming_neurons.csv"
SIDES = ("left", "right")

# Shiu et al. 2024 (figures.ipynb, Figure 5): the three single neurons of the grooming read-out.
SHIU_PINS = {"aBN1": 720575940630907434, "aDN1": 720575940616185531, "aDN2": 720575940629806974}
# The same neurons by Codex type and SOMA side (what a type/side lookup must return).
PIN_NAMES = {"aBN1": "SAD093:left", "aDN1": "DNg62:right", "aDN2": "DNge078:right"}
SIDE_EVIDENCE = ("circuit side = the sources' label (Özdil 2024 _L/_R; Shiu 2024 drove left JO-CE and "
                 "read these neurons); not checked on real edges here (the v783 edge list is not "
                 "available offline). To confirm on real edges: JO-CE:left -> aBN1 720575940630907434 "
                 "-> aDN1 720575940616185531 and aDN2 720575940629806974 (soma right), and the mirror.")


class IdentityError(KeyError):
    def __str__(self) -> str:
        return self.args[0]


@lru_cache(maxsize=1)
def table() -> pd.DataFrame:
    return pd.read_csv(TABLE, dtype={"root_id": "int64"}, keep_default_na=False)


def populations() -> list[str]:
    return sorted(table()["population"].unique())


def root_ids(population: str, circuit_side: str | None = None, v783_only: bool = True) -> np.ndarray:
    """Root ids of a population of ``grooming_neurons.csv`` (optionally one circuit side)."""
    t = table()
    sel = t["population"] == population
    if not sel.any():
        import difflib
        close = difflib.get_close_matches(population, populations(), n=3)
        raise IdentityError(f"unknown grooming population {population!r} in {TABLE}"
                            + (f"; did you mean {', '.join(close)}?" if close else ""))
    if circuit_side:
        if circuit_side not in SIDES:
            raise IdentityError(f"circuit side must be left or right, got {circuit_side!r}")
        sel &= t["circuit_side"] == circuit_side
    if v783_only:
        sel &= t["in_v783"] == 1
    return t.loc[sel, "root_id"].to_numpy(np.int64)


def rows(population: str) -> pd.DataFrame:
    t = table()
    return t[t["population"] == population].reset_index(drop=True)


def describe(root_id: int) -> dict:
    """Type, soma side, circuit side, population of one pinned neuron (first row that names it)."""
    t = table()
    hit = t[t["root_id"] == int(root_id)]
    if not len(hit):
        raise IdentityError(f"root id {root_id} is not in {TABLE.name}")
    r = hit.iloc[0]
    return {"root_id": int(root_id), "population": r["population"], "name": r["name"],
            "type": r["codex_type"] or r["source_type"], "source_type": r["source_type"],
            "soma_side": r["soma_side"], "circuit_side": r["circuit_side"], "source": r["source"],
            "shiu2024_pin": bool(r["shiu2024_pin"])}


def to_indices(neurons, ids) -> tuple[np.ndarray, list[int]]:
    """Model indices of ``ids`` in a :class:`flywire.NeuronTable`, and the ids it lacks."""
    pos = pd.Series(np.arange(len(neurons)), index=neurons.root_ids)
    ids = [int(i) for i in ids]
    present = [i for i in ids if i in pos.index]
    return pos.loc[present].to_numpy(np.int64) if present else np.zeros(0, np.int64), \
        [i for i in ids if i not in pos.index]
