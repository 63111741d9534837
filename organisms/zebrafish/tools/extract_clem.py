"""Derive the project's compact zebrafish hindbrain data from the Boulanger-Weill 2025 CLEM release.

    python -m organisms.zebrafish.tools.extract_clem [--source DIR]

Source: ``../shared/data/zebrafish/clem_boulanger2025/`` (github.com/jboulanger91/Zebrafish_CLEM,
MIT, (c) 2025 Jonathan Boulanger-Weill). Writes into ``organisms/zebrafish/data/``:

``clem_neurons.csv``        the reconstructed cells of the five hindbrain integrator populations
                            (functional id, population, transmitter, projection, hemisphere)
``clem_populations.csv``    counts per population x hemisphere, with E/I/unknown transmitter counts
``clem_connectivity.csv``   population -> population connections (cells and synapses, same / other
                            hemisphere) from the ground-truth ("gt") connectivity tables, with the
                            number of candidate pairs and the connection probability derived here
``clem_inputs.csv``         inputs from axons entering the volume (rostral / caudal), per population
``clem_responses_means.csv``  class-mean calcium responses (preferred / null direction)
``clem_responses_individual.npz``  individual raw traces of all functionally clustered hindbrain cells
``provenance.yaml``         source files + sha256, this script, definitions

Populations (functional classifier x transmitter x projection, Boulanger-Weill 2025 naming):
``iMI+`` excitatory ipsilateral motion integrators, ``iMI-`` inhibitory ipsilateral motion
integrators, ``cMI`` contralateral motion integrators (mostly inhibitory), ``MON`` motion-onset
cells, ``SMI`` slow motion integrators.
"""

from __future__ import annotations

import argparse
import hashlib
from pathlib import Path

import numpy as np
import pandas as pd
import yaml

REPO = Path(__file__).resolve().parents[3]
DEFAULT_SOURCE = REPO.parent / "shared" / "data" / "zebrafish" / "clem_boulanger2025"
if not DEFAULT_SOURCE.exists():  # worktree layout /work/wt/<name> -> /work/shared
    DEFAULT_SOURCE = REPO.parents[1] / "shared" / "data" / "zebrafish" / "clem_boulanger2025"
OUT = Path(__file__).resolve().parents[1] / "data"

POPULATIONS = ("iMI+", "iMI-", "cMI", "MON", "SMI")
# seed population -> its ground-truth connectivity table
GT_TABLES = {
    "iMI+": "iMI+_connectivity_details_imi_plus_gt.txt",
    "iMI-": "iMI-_connectivity_details_imi_minus_gt.txt",
    "cMI": "cMI_connectivity_details_cmi_all_gt.txt",
    "MON": "MON_connectivity_details_mon_all_gt.txt",
    "SMI": "SMI_connectivity_details_SMI_all_gt.txt",
}
MEAN_TRACES = {  # column name in clem_responses_means.csv -> (file, value column)
    "iMI_preferred": ("avg_activity_traces_proofread_neurons/ipsilateral_motion_integrator_preferred_activity_traces.csv", "mean_preferred_norm"),
    "iMI_null": ("avg_activity_traces_proofread_neurons/ipsilateral_motion_integrator_null_activity_traces.csv", "mean_null_norm"),
    "cMI_preferred": ("avg_activity_traces_proofread_neurons/contralateral_motion_integrator_preferred_activity_traces.csv", "mean_preferred_norm"),
    "cMI_null": ("avg_activity_traces_proofread_neurons/contralateral_motion_integrator_null_activity_traces.csv", "mean_null_norm"),
    "MON_preferred": ("avg_activity_traces_proofread_neurons/motion_onset_preferred_activity_traces.csv", "mean_preferred_norm"),
    "MON_null": ("avg_activity_traces_proofread_neurons/motion_onset_null_activity_traces.csv", "mean_null_norm"),
    "SMI_preferred": ("avg_activity_traces_proofread_neurons/slow_motion_integrator_preferred_activity_traces.csv", "mean_preferred_norm"),
    "SMI_null": ("avg_activity_traces_proofread_neurons/slow_motion_integrator_null_activity_traces.csv", "mean_null_norm"),
    "MI_all_preferred_raw": ("hindbrain_motion_traces/motion_integrator_hindbrain_mean_preferred_raw.csv", "mean_preferred_raw"),
    "MON_all_preferred_raw": ("hindbrain_motion_traces/motion_onset_hindbrain_mean_preferred_raw.csv", "mean_preferred_raw"),
    "SMI_all_preferred_raw": ("hindbrain_motion_traces/slow_motion_integrator_hindbrain_mean_preferred_raw.csv", "mean_preferred_raw"),
}
INDIVIDUAL = {
    "MI": "activity_traces_all_clustered_neurons/motion_integrator_hindbrain_preferred_raw_individual_traces.csv",
    "SMI": "activity_traces_all_clustered_neurons/slow_motion_integrator_hindbrain_preferred_raw_individual_traces.csv",
    "MON": "activity_traces_all_clustered_neurons/motion_onset_hindbrain_preferred_raw_individual_traces.csv",
}
NEURON_TABLE = "all_reconstructed_neurons.csv"


class ExtractError(ValueError):
    pass


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def population_of(functional: str, transmitter: str, projection: str) -> str | None:
    """Population label of a (functional class, transmitter, projection) triple, or None."""
    if functional == "motion_integrator":
        if projection == "contralateral":
            return "cMI"
        if projection == "ipsilateral":
            return {"excitatory": "iMI+", "inhibitory": "iMI-"}.get(transmitter)
        return None
    return {"motion_onset": "MON", "slow_motion_integrator": "SMI"}.get(functional)


def read_neurons(src: Path) -> pd.DataFrame:
    path = src / NEURON_TABLE
    d = pd.read_csv(path)
    need = ["type", "functional_id", "functional classifier", "neurotransmitter classifier",
            "projection classifier", "hemisphere"]
    missing = [c for c in need if c not in d.columns]
    if missing:
        raise ExtractError(f"{path}: missing columns {missing}")
    rows = []
    for i, r in d.iterrows():
        pop = population_of(r["functional classifier"], r["neurotransmitter classifier"],
                            r["projection classifier"])
        if pop is None:
            continue
        if r["hemisphere"] not in ("L", "R"):
            raise ExtractError(f"{path}, row {i + 2}: hemisphere {r['hemisphere']!r} is not L/R")
        rows.append({"functional_id": int(r["functional_id"]), "type": r["type"], "population": pop,
                     "functional_class": r["functional classifier"],
                     "transmitter": r["neurotransmitter classifier"],
                     "projection": r["projection classifier"], "hemisphere": r["hemisphere"]})
    return pd.DataFrame(rows).sort_values(["population", "hemisphere", "functional_id"]).reset_index(drop=True)


def population_counts(neurons: pd.DataFrame) -> pd.DataFrame:
    rows = []
    for pop in POPULATIONS:
        for hemi in ("L", "R"):
            s = neurons[(neurons.population == pop) & (neurons.hemisphere == hemi)]
            rows.append({"population": pop, "hemisphere": hemi, "n_cells": len(s),
                         "n_excitatory": int((s.transmitter == "excitatory").sum()),
                         "n_inhibitory": int((s.transmitter == "inhibitory").sum()),
                         "n_unknown": int((~s.transmitter.isin(["excitatory", "inhibitory"])).sum()),
                         "functional_class": s.functional_class.iloc[0] if len(s) else "",
                         "projection": "/".join(sorted(set(s.projection)))})
    return pd.DataFrame(rows)


def read_table(path: Path) -> pd.DataFrame:
    d = pd.read_csv(path, sep="\t")
    need = ["Connection Type", "Side", "Unit Type", "Functional Classifier", "Neurotransmitter Classifier",
            "Projection Classifier", "Axon Exit Direction", "Count", "Panel_Total", "Global_Total"]
    missing = [c for c in need if c not in d.columns]
    if missing:
        raise ExtractError(f"{path}: missing columns {missing}")
    return d


def candidate_pairs(counts: pd.DataFrame, pre: str, post: str, side: str) -> int:
    """Number of (pre, post) reconstructed-cell pairs with the post cell on ``side`` of the pre cell."""
    n = counts.set_index(["population", "hemisphere"])["n_cells"]
    total = 0
    for h in ("L", "R"):
        h_post = h if side == "same" else ("R" if h == "L" else "L")
        k = int(n[(pre, h)]) * int(n[(post, h_post)])
        if pre == post and side == "same":
            k -= int(n[(pre, h)])  # no autapses
        total += k
    return total


def connectivity(src: Path, counts: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    conn, inputs = {}, []
    for pre, fname in GT_TABLES.items():
        path = src / "connectivity_diagrams" / fname
        d = read_table(path)
        for i, r in d.iterrows():
            side = {"same_side": "same", "different_side": "other"}.get(r["Side"])
            if side is None:
                raise ExtractError(f"{path}, row {i + 2}: unknown Side {r['Side']!r}")
            unit = r["Unit Type"]
            if r["Connection Type"] == "outputs":
                post = population_of(r["Functional Classifier"], r["Neurotransmitter Classifier"],
                                     r["Projection Classifier"])
                if post is None:
                    continue
                e = conn.setdefault((pre, post, side), {"connections": 0, "synapses": 0,
                                                        "pre_output_synapses_total": 0})
                if unit == "cells":
                    e["connections"] += int(r["Count"])
                elif unit == "synapses":
                    e["synapses"] += int(r["Count"])
                    e["pre_output_synapses_total"] = int(r["Global_Total"])
            elif r["Connection Type"] == "inputs" and r["Functional Classifier"] == "axon" and unit == "synapses":
                inputs.append({"population": pre, "side": side, "source": r["Axon Exit Direction"],
                               "synapses": int(r["Count"]),
                               "fraction_of_input_synapses": float(r["Count"]) / float(r["Global_Total"]),
                               "input_synapses_total": int(r["Global_Total"])})
    rows = []
    for (pre, post, side), e in sorted(conn.items()):
        pairs = candidate_pairs(counts, pre, post, side)
        rows.append({"pre": pre, "post": post, "side": side, **e, "candidate_pairs": pairs,
                     "p_connect": e["connections"] / pairs if pairs else float("nan"),
                     "synapses_per_connection": e["synapses"] / e["connections"] if e["connections"] else float("nan"),
                     "source_table": GT_TABLES[pre]})
    return pd.DataFrame(rows), pd.DataFrame(inputs)


def responses(src: Path) -> tuple[pd.DataFrame, dict]:
    means, t0 = {}, None
    for col, (rel, vcol) in MEAN_TRACES.items():
        d = pd.read_csv(src / rel)
        if t0 is None:
            t0 = d["time_s"].to_numpy()
        elif not np.allclose(d["time_s"].to_numpy(), t0):
            raise ExtractError(f"{src / rel}: time axis differs from the other traces")
        means[col] = d[vcol].to_numpy()
    m = pd.DataFrame({"time_s": t0, **means})
    indiv = {"time_s": t0.astype(np.float32)}
    for cls, rel in INDIVIDUAL.items():
        d = pd.read_csv(src / rel)
        if not np.allclose(d["time_s"].to_numpy(), t0):
            raise ExtractError(f"{src / rel}: time axis differs from the class means")
        cols = [c for c in d.columns if c != "time_s"]
        indiv[f"{cls}_traces"] = d[cols].to_numpy(np.float32)
        indiv[f"{cls}_ids"] = np.asarray([c.replace("neuron_", "") for c in cols])
    return m, indiv


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--source", type=Path, default=DEFAULT_SOURCE)
    ap.add_argument("--out", type=Path, default=OUT)
    a = ap.parse_args(argv)
    src, out = a.source, a.out
    if not (src / NEURON_TABLE).exists():
        raise SystemExit(f"source folder {src} has no {NEURON_TABLE}")
    out.mkdir(parents=True, exist_ok=True)
    neurons = read_neurons(src)
    counts = population_counts(neurons)
    conn, inputs = connectivity(src, counts)
    means, indiv = responses(src)
    neurons.to_csv(out / "clem_neurons.csv", index=False)
    counts.to_csv(out / "clem_populations.csv", index=False)
    conn.to_csv(out / "clem_connectivity.csv", index=False, float_format="%.6g")
    inputs.to_csv(out / "clem_inputs.csv", index=False, float_format="%.6g")
    means.to_csv(out / "clem_responses_means.csv", index=False, float_format="%.4f")
    np.savez_compressed(out / "clem_responses_individual.npz", **indiv)

    used = [NEURON_TABLE] + [f"connectivity_diagrams/{f}" for f in GT_TABLES.values()] + \
        [rel for rel, _ in MEAN_TRACES.values()] + list(INDIVIDUAL.values())
    prov = {
        "generated_by": "python -m organisms.zebrafish.tools.extract_clem",
        "dataset": {
            "paper": "Boulanger-Weill et al. 2025",
            "title": "Correlative light and electron microscopy reveals the fine circuit structure "
                     "underlying evidence accumulation in larval zebrafish (bioRxiv preprint; clem_zfish1)",
            "doi": "not verified here (bioRxiv preprint; see the repository README)",
            "repository": "github.com/jboulanger91/Zebrafish_CLEM",
            "licence": "MIT, Copyright (c) 2025 Jonathan Boulanger-Weill (see organisms/zebrafish/data/README.md)",
            "local_copy": "../shared/data/zebrafish/clem_boulanger2025 (its README lists upstream commits)",
        },
        "source_files": {rel: sha256(src / rel) for rel in used},
        "outputs": {p.name: sha256(p) for p in sorted(out.glob("clem_*"))},
        "definitions": {
            "populations": "iMI+ = motion_integrator & excitatory & ipsilateral; iMI- = motion_integrator & "
                           "inhibitory & ipsilateral; cMI = motion_integrator & contralateral (any transmitter); "
                           "MON = motion_onset; SMI = slow_motion_integrator",
            "connections": "Count of the 'outputs ... cells' rows of the seed population's gt table, read as "
                           "connected (pre, post) cell pairs; synapses = the 'synapses' rows",
            "side": "same = post soma in the pre soma's hemisphere; other = opposite hemisphere",
            "candidate_pairs": "sum over hemispheres of n_pre(h) * n_post(h or opposite), minus autapses",
            "p_connect": "connections / candidate_pairs (a lower bound: EM reconstructions are incomplete)",
            "inputs": "'inputs ... axon' rows: synapses from axons that leave the volume rostrally / caudally; "
                      "fraction of the population's input synapses",
            "responses": "class means: normalised dF/F (%) of EM-proofread cells, preferred vs null "
                         "direction; individual: raw dF/F (%) of all functionally clustered hindbrain cells, "
                         "preferred direction; 0.5 s samples over 80 s. Motion epoch 20-60 s, inferred from "
                         "the traces (rise at 20 s, decay from 60 s); the source files do not state it.",
        },
    }
    (out / "provenance.yaml").write_text("# Generated by organisms/zebrafish/tools/extract_clem.py - do not edit by hand.\n"
                                         + yaml.safe_dump(prov, sort_keys=False, width=110))
    print(counts.to_string(index=False))
    print(conn[["pre", "post", "side", "connections", "synapses", "candidate_pairs", "p_connect"]].to_string(index=False))
    print(inputs.to_string(index=False))
    print({k: v.shape for k, v in indiv.items()})


if __name__ == "__main__":
    main()
