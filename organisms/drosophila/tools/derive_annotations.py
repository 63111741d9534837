"""Derive the compact FlyWire v783 neuron annotation table shipped in ``../data/``.

    python -m organisms.drosophila.tools.derive_annotations [SOURCE_DIR]

SOURCE_DIR (default ``../shared/data/flywire-783`` next to the worktree, or ``$CGYM_FLYWIRE_NODES``)
holds ``shiu2024/Completeness_783.csv`` and the Codex exports ``codex/classification.csv.gz``,
``codex/neurons.csv.gz``, ``codex/consolidated_cell_types.csv.gz`` (see that folder's README).
Writes ``data/flywire783_neurons.csv.gz`` (one row per neuron of the Shiu et al. 2024 model, in
the model's order) and ``data/provenance.yaml`` (sha256 of every input and of the output).
FlyWire data are CC BY-NC 4.0: the derived table keeps that licence (see data/README.md).
"""

from __future__ import annotations

import gzip
import hashlib
import io
import os
import sys
from pathlib import Path

import pandas as pd
import yaml

HERE = Path(__file__).resolve().parent
DATA = HERE.parent / "data"
OUT = DATA / "flywire783_neurons.csv.gz"
COLUMNS = ["shiu_index", "root_id", "flow", "super_class", "class", "cell_type", "primary_type",
           "hemibrain_type", "side", "nerve", "nt_type", "nt_type_score"]


def sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def derive(src: Path) -> pd.DataFrame:
    comp = pd.read_csv(src / "shiu2024/Completeness_783.csv", index_col=0)
    cls = pd.read_csv(src / "codex/classification.csv.gz")
    neu = pd.read_csv(src / "codex/neurons.csv.gz", usecols=["root_id", "nt_type", "nt_type_score"])
    cons = pd.read_csv(src / "codex/consolidated_cell_types.csv.gz", usecols=["root_id", "primary_type"])
    df = pd.DataFrame({"shiu_index": range(len(comp)), "root_id": comp.index.astype("int64")})
    df = df.merge(cls, on="root_id", how="left").merge(neu, on="root_id", how="left")
    df = df.merge(cons, on="root_id", how="left")
    missing = df["super_class"].isna().sum()
    if missing:
        raise SystemExit(f"{missing} Shiu neurons lack a Codex classification row")
    return df.sort_values("shiu_index")[COLUMNS].reset_index(drop=True)


def main(argv=None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    candidates = [HERE.parents[k] / "shared/data/flywire-783" for k in (3, 4)]
    default = os.environ.get("CGYM_FLYWIRE_NODES") or str(next((c for c in candidates if c.exists()), candidates[0]))
    src = Path(argv[0] if argv else default)
    df = derive(src)
    buf = io.StringIO()
    df.to_csv(buf, index=False)
    DATA.mkdir(exist_ok=True)
    with gzip.GzipFile(OUT, "wb", compresslevel=9, mtime=0) as f:   # mtime 0: reproducible bytes
        f.write(buf.getvalue().encode())
    inputs = ["shiu2024/Completeness_783.csv", "codex/classification.csv.gz", "codex/neurons.csv.gz",
              "codex/consolidated_cell_types.csv.gz"]
    prov = {
        "file": OUT.name,
        "rows": int(len(df)),
        "sha256": sha256(OUT),
        "made_by": "python -m organisms.drosophila.tools.derive_annotations",
        "licence": "CC BY-NC 4.0 (FlyWire data; non-commercial use, attribution required)",
        "inputs": {p: {"sha256": sha256(src / p)} for p in inputs},
        "input_provenance": "see ../shared/data/flywire-783/README.md (repository, commit and blob of each file)",
        "columns": {
            "shiu_index": "row of Completeness_783.csv = neuron index of the Shiu 2024 model",
            "root_id": "FlyWire v783 root id",
            "flow, super_class, class, cell_type, hemibrain_type, side, nerve": "Codex classification.csv.gz (Schlegel et al. 2024)",
            "primary_type": "Codex consolidated_cell_types.csv.gz primary_type (fills cell types missing from classification)",
            "nt_type, nt_type_score": "Codex neurons.csv.gz (Eckstein et al. 2024 transmitter prediction)",
        },
        "cite": ["Dorkenwald et al. 2024, Nature 634:124, doi:10.1038/s41586-024-07558-y",
                 "Schlegel et al. 2024, Nature 634:139, doi:10.1038/s41586-024-07686-5",
                 "Eckstein et al. 2024, Cell 187:2574, doi:10.1016/j.cell.2024.03.016",
                 "Shiu et al. 2024, Nature 634:210, doi:10.1038/s41586-024-07763-9"],
    }
    (DATA / "provenance.yaml").write_text(yaml.safe_dump(prov, sort_keys=False, width=110))
    print(f"wrote {OUT} ({OUT.stat().st_size:,} bytes, {len(df):,} neurons)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
