"""Derive per-fish spontaneous-swimming summaries from real bout data (one set per lab).

    python -m tasks.optomotor.tools.derive_reference [--data /work/shared/data/zebrafish]

Reads (never copied into the repository):

* ``legoc2021_free_swimming_bouts/behavior_single_fish_bouts.csv`` — Le Goc et al. 2021, BMC Biol
  19:208, doi:10.1186/s12915-021-01126-w (data: Dryad doi:10.5061/dryad.3r2280ggw, CC0; flattened
  copy of the HDF5 re-packaged by the ZebrafishHMM2023 repository). Units: dtheta deg, interbout
  interval s, displacement mm (as stated in the source HDF5 and the shared data README).
* ``karpenko2020_phototaxis_bouts/spontaneous_swim.mat`` — Karpenko et al. 2020, eLife 9:e52882,
  doi:10.7554/eLife.52882 (repository licence CDDL-1.0). Units checked here: ``Es/Angle`` is the
  cumulative (unwrapped) heading in **radians** (per-bout differences of a few degrees; range ±60
  rad over long trajectories), ``Es/TimeBout`` bout times in **s** (successive differences
  0.5–1 s), ``Es/R`` = distance between successive ``Coordinates`` in **pixels** (R equals the
  coordinate step to < 1 %); the pixel size is not in the file, so displacement is **not**
  derived from this set. ``Es/T`` is not the heading difference (it differs from diff(Angle)) and
  is not used.

Writes ``tasks/optomotor/reference/data/{legoc2021,karpenko2020}_per_fish.csv`` (one row per
fish with at least ``MIN_BOUTS`` bouts), ``reference/data/PROVENANCE.yaml`` (source files and
sha256, output sha256, this script, definitions) and the two libraries
``reference/zebrafish_spontaneous_{legoc2021,karpenko2020}_v1.yaml`` (kind ``samples``: one value
per fish).

Definitions (shared with tasks/optomotor/features.py): within a trajectory, the heading change of
a bout is the change of heading from one bout to the next (deg; sign conventions of the labs are
not used: every metric here is sign-invariant); a *turn* is a bout with |Δheading| > 10°; turn-side
persistence = fraction of consecutive turn pairs with the same sign; bout rate = 1 / mean
interbout interval.
"""

from __future__ import annotations

import argparse
import hashlib
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import yaml

HERE = Path(__file__).resolve().parent
REF = HERE.parent / "reference"
DATA_OUT = REF / "data"
MIN_BOUTS = 100
TURN_DEG = 10.0
DEFAULT_DATA = Path("/work/shared/data/zebrafish")

METRICS = {
    "interbout_interval_median_s": ("Median onset-to-onset interbout interval per fish.", "s"),
    "bout_rate_hz": ("Bout rate per fish (1 / mean interbout interval).", "Hz"),
    "displacement_median_mm": ("Median displacement per bout per fish.", "mm"),
    "heading_change_abs_median_deg": ("Median |heading change| per bout per fish.", "deg"),
    "heading_change_sd_deg": ("Standard deviation of the heading change per bout per fish.", "deg"),
    "turn_fraction": ("Fraction of bouts with |heading change| > 10 deg per fish.", "1"),
    "turn_side_persistence": ("Fraction of consecutive turns (|dtheta| > 10 deg) to the same side per fish.", "1"),
}


def sha256(p: Path) -> str:
    h = hashlib.sha256()
    with open(p, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def _fish_summary(trajs: list[tuple[np.ndarray, np.ndarray, np.ndarray | None]]) -> dict:
    """trajs: per trajectory (dtheta_deg per bout, ibi_s per bout, displacement_mm or None)."""
    dth = np.concatenate([d for d, _, _ in trajs])
    ibi = np.concatenate([i for _, i, _ in trajs])
    ibi = ibi[np.isfinite(ibi) & (ibi > 0)]
    same = []
    for d, _, _ in trajs:
        s = np.sign(d[np.abs(d) > TURN_DEG])
        same.extend((s[1:] == s[:-1]).tolist())
    out = {
        "n_bouts": int(dth.size),
        "interbout_interval_median_s": float(np.median(ibi)),
        "bout_rate_hz": float(1.0 / np.mean(ibi)),
        "heading_change_abs_median_deg": float(np.median(np.abs(dth))),
        "heading_change_sd_deg": float(np.std(dth, ddof=1)),
        "turn_fraction": float(np.mean(np.abs(dth) > TURN_DEG)),
        "turn_side_persistence": float(np.mean(same)) if same else float("nan"),
    }
    if trajs[0][2] is not None:
        out["displacement_median_mm"] = float(np.median(np.concatenate([x for _, _, x in trajs])))
    return out


def legoc(path: Path) -> pd.DataFrame:
    df = pd.read_csv(path)
    rows = []
    for fish, g in df.groupby("fish"):
        trajs = []
        for _, tr in g.sort_values(["trajectory", "bout_index"]).groupby("trajectory"):
            trajs.append((tr["dtheta_deg"].to_numpy(float), tr["interbout_interval_s"].to_numpy(float),
                          tr["displacement_mm"].to_numpy(float)))
        s = _fish_summary(trajs)
        if s["n_bouts"] >= MIN_BOUTS:
            rows.append({"fish": int(fish), **s})
    return pd.DataFrame(rows)


def karpenko(path: Path) -> pd.DataFrame:
    import h5py

    with h5py.File(path, "r") as f:
        E = f["Es"]
        angle = np.array(E["Angle"]).T  # (trajectory, bout), rad, cumulative heading
        tb = np.array(E["TimeBout"]).T  # s
        fish = np.array(E["FishN"]).ravel()
    by_fish: dict[int, list] = {}
    for k in range(angle.shape[0]):
        a, t = angle[k], tb[k]
        ok = np.isfinite(a) & np.isfinite(t)
        a, t = a[ok], t[ok]
        if a.size < 3:
            continue
        dth = np.degrees(np.diff(a))
        ibi = np.diff(t)
        by_fish.setdefault(int(fish[k]), []).append((dth, ibi, None))
    rows = []
    for fid, trajs in sorted(by_fish.items()):
        s = _fish_summary(trajs)
        if s["n_bouts"] >= MIN_BOUTS:
            rows.append({"fish": fid, **s})
    return pd.DataFrame(rows)


SOURCES = {
    "legoc2021": {
        "file": "legoc2021_free_swimming_bouts/behavior_single_fish_bouts.csv",
        "reader": legoc,
        "citation": "Le Goc 2021",
        "title": "Thermal modulation of Zebrafish exploratory statistics reveals constraints on individual behavioral variability",
        "doi": "10.1186/s12915-021-01126-w",
        "licence": "CC0 (Dryad doi:10.5061/dryad.3r2280ggw); re-packaging repository GPL-3.0",
        "condition": "5-7 dpf larvae, free spontaneous exploration in a uniformly lit arena (single-fish recordings; temperature not recorded in the file)",
    },
    "karpenko2020": {
        "file": "karpenko2020_phototaxis_bouts/spontaneous_swim.mat",
        "reader": karpenko,
        "citation": "Karpenko 2020",
        "title": "From behavior to circuit modeling of light-seeking navigation in zebrafish larvae",
        "doi": "10.7554/eLife.52882",
        "licence": "CDDL-1.0 (analysis repository elifesciences-publications/Analysis_Behavioral_Phototaxis)",
        "condition": "6-7 dpf larvae, spontaneous swimming under uniform illumination (the 'spontaneous' set of the phototaxis study)",
    },
}


def write_library(name: str, src: dict, df: pd.DataFrame, csv_rel: str) -> Path:
    entries = []
    for mid, (desc, unit) in METRICS.items():
        if mid not in df.columns:
            continue
        vals = [round(float(v), 5) for v in df[mid].to_numpy(float) if np.isfinite(v)]
        entries.append({
            "id": mid, "description": desc, "unit": unit, "kind": "samples", "values": vals,
            "n_animals": len(vals), "condition": src["condition"],
            "source": {"citation": src["citation"], "title": src["title"], "doi": src["doi"]},
            "verification": "primary",
            "notes": f"Per-fish values computed by tasks/optomotor/tools/derive_reference.py from "
                     f"{src['file']} (fish with >= {MIN_BOUTS} bouts); derived table {csv_rel}.",
        })
    lib = {
        "library": f"zebrafish_spontaneous_{name}", "version": "1.0.0", "organism": "zebrafish",
        "task": "spontaneous",
        "description": f"Spontaneous bout statistics of larval zebrafish, one value per fish, from "
                       f"{src['citation']} (doi:{src['doi']}). Each lab's data is its own library "
                       f"(DESIGN.md). Generated by tasks/optomotor/tools/derive_reference.py: do not edit by hand.",
        "licence": src["licence"],
        "entries": entries,
    }
    out = REF / f"zebrafish_spontaneous_{name}_v1.yaml"
    header = "# GENERATED by tasks/optomotor/tools/derive_reference.py - per-fish data, see data/PROVENANCE.yaml\n"
    out.write_text(header + yaml.safe_dump(lib, sort_keys=False, width=100, allow_unicode=True))
    return out


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--data", type=Path, default=DEFAULT_DATA)
    args = ap.parse_args(argv)
    DATA_OUT.mkdir(parents=True, exist_ok=True)
    prov = {"script": "tasks/optomotor/tools/derive_reference.py", "min_bouts_per_fish": MIN_BOUTS,
            "turn_threshold_deg": TURN_DEG, "metrics": {k: v[0] for k, v in METRICS.items()}, "sets": {}}
    for name, src in SOURCES.items():
        p = args.data / src["file"]
        if not p.exists():
            print(f"missing source file {p}", file=sys.stderr)
            return 1
        df = src["reader"](p)
        csv_path = DATA_OUT / f"{name}_per_fish.csv"
        df.to_csv(csv_path, index=False, float_format="%.6g")
        lib = write_library(name, src, df, f"tasks/optomotor/reference/data/{csv_path.name}")
        prov["sets"][name] = {
            "source_file": src["file"], "source_sha256": sha256(p),
            "citation": f"{src['citation']}, doi:{src['doi']}", "licence": src["licence"],
            "output_csv": f"reference/data/{csv_path.name}", "output_sha256": sha256(csv_path),
            "library": lib.name, "n_fish": int(len(df)), "n_bouts": int(df["n_bouts"].sum()),
        }
        print(f"{name}: {len(df)} fish, {int(df['n_bouts'].sum())} bouts -> {csv_path.name}, {lib.name}")
        print(df.drop(columns=["fish"]).median().round(3).to_string())
    (DATA_OUT / "PROVENANCE.yaml").write_text(yaml.safe_dump(prov, sort_keys=False, width=100))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
