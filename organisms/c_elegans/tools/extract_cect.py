"""Extract the C. elegans connectomes shipped with ``cect`` into the project's own CSV files.

Run by a developer, not at runtime (``cect`` is not a runtime dependency)::

    pip install cect==0.3.5 xlrd     # cect pulls wormneuroatlas (Fenyves 2020 receptor table); xlrd: Varshney .xls
    python -m organisms.c_elegans.tools.extract_cect            # writes organisms/c_elegans/data/

For each dataset it writes ``<dataset>_neurons.csv`` and ``<dataset>_edges.csv`` in the format of
:meth:`nervous_systems.connectome.Connectome.from_csv`, plus ``provenance.yaml`` and ``README.md``
(counts and sha256 of every file). Output is deterministic (sorted rows), so re-running it on the
same cect version reproduces the same hashes.

Rules (documented again in data/README.md):

* Neuron names: cect's preferred hermaphrodite names, except that the numbered ventral-cord
  classes are zero-padded (``DB1`` -> ``DB01``; AS DA DB DD VA VB VC VD), matching Cook 2019's
  spreadsheets and the project's muscle names (``MDL01``).
* ``cell_class``: strip a trailing index from the numbered classes (``DB01`` -> ``DB``), a trailing
  L/R where the contralateral cell exists (``AIYL`` -> ``AIY``), then, for names of 4+ characters,
  a trailing D/V where the other one exists (``SMDDL`` -> ``SMDD`` -> ``SMD``; ``RMED`` -> ``RME``).
* ``cell_type``: Cook et al. 2019 grouping as coded in ``cect.Cells.COOK_GROUPING_1``: pharyngeal,
  sensory, interneuron, motor, unknown (CANL/CANR, "unknown function" in Cook 2019).
* ``neurotransmitter``: Wang et al. 2024 (eLife) table as read by ``cect.readers.Wang2024Reader``;
  the primary transmitter is the first fast classical one (ACh, Glu, GABA) in Wang's order, else
  the first monoamine, else ``unknown``. ``transmitters`` lists all of Wang's entries.
* ``position``: soma position along the anterior-posterior axis from the whole-body neuron atlas
  shipped in ``wormneuroatlas`` (``data/anatlas_neuron_positions.txt``, y column), rescaled so
  the most anterior soma is 0 and the most posterior soma is 1 (NaN where the atlas lacks the cell).
* Chemical sign: by the presynaptic primary transmitter. ACh +1; GABA -1; Glu: receptor-based
  prediction of Fenyves et al. 2020 (postsynaptic neuron expresses only excitatory (glr) or
  only inhibitory (glc/avr) glutamate receptors) where it resolves, else default +1; no fast
  transmitter (monoamine-only, betaine, orphan): 0. Rule used per edge in ``sign_source``.
* Gap junctions: each unordered pair once (pre < post), sign 0; self-junctions dropped.
* NMJ: neuron -> the 95 body-wall muscles only (MDL01-24, MDR01-24, MVL01-23, MVR01-24). Chemical
  NMJ sign by transmitter (ACh +1, GABA -1, other 0). Synapses onto other muscles/cells and
  neuron-muscle gap junctions are dropped and counted.
"""

from __future__ import annotations

import argparse
import collections
import hashlib
import io
import math
import re
import sys
from contextlib import redirect_stdout
from pathlib import Path

import numpy as np
import pandas as pd
import yaml

DATA_DIR = Path(__file__).resolve().parents[1] / "data"

BODY_WALL_MUSCLES = ([f"MDL{i:02d}" for i in range(1, 25)] + [f"MDR{i:02d}" for i in range(1, 25)]
                     + [f"MVL{i:02d}" for i in range(1, 24)] + [f"MVR{i:02d}" for i in range(1, 25)])
assert len(BODY_WALL_MUSCLES) == 95

NUMBERED = re.compile(r"^(AS|DA|DB|DD|VA|VB|VC|VD)0*(\d+)$")
NT_SHORT = {"Acetylcholine": "ACh", "Glutamate": "Glu", "GABA": "GABA", "Dopamine": "DA",
            "Serotonin": "5HT", "Octopamine": "OA", "Tyramine": "TA", "Betaine": "betaine",
            "Serotonin_Uptake": "5HT-uptake", "GABA_Uptake": "GABA-uptake",
            "Unknown_Orphan_Neurotransmitter": "orphan",
            "Unknown_Monoaminergic_Neurotransmitter": "unknown-monoamine",
            "5-HTP": "5HTP", "Possible_PEOH": "PEOH?", "5-HTP_synthesis_5-HT_uptake": "5HTP/5HT-uptake"}
FAST = ("ACh", "Glu", "GABA")
# column order of the receptor-class counts in Fenyves 2020 S3, sheet "4. Receptor type expression"
RECEPTOR_COLUMNS = ("Glu", "ACh", "GABA")
MONOAMINES = ("5HT", "DA", "OA", "TA")

DATASETS = {
    "cook2019_herm": dict(
        reader="cect.readers.Cook2019HermReader", paper="Cook et al. 2019",
        title="Whole-animal connectomes of both Caenorhabditis elegans sexes",
        journal="Nature 571:63-71", doi="10.1038/s41586-019-1352-7",
        source_file="SI 5 Connectome adjacency matrices, corrected July 2020.xlsx (hermaphrodite chemical; hermaphrodite gap jn symmetric)",
        weight_module="cect.readers.Cook2019DataReader",
        notes="Default dataset. Whole animal, adult hermaphrodite (302 neurons). 3,709 chemical "
              "neuron pairs (as DESIGN.md says); 1,091 distinct neuron-neuron gap-junction pairs "
              "(+14 self-junctions, dropped). The gap matrix over all 473 cells has 1,433 "
              "off-diagonal pairs (muscles, glia, hypodermis...), close to the 1,450 in DESIGN.md."),
    "witvliet2021_adult": dict(
        reader="cect.readers.WitvlietDataReader8", paper="Witvliet et al. 2021",
        title="Connectomes across development reveal principles of brain maturation",
        journal="Nature 596:257-261", doi="10.1038/s41586-021-03778-8",
        source_file="witvliet_2020_8 adult.xlsx (dataset 8, adult)",
        weight_module="cect.readers.WitvlietDataReader",
        notes="Nerve-ring (brain) volume only: neurons outside the head have no edges here "
              "(in_dataset = False); NMJs are to head/neck muscles only."),
    "varshney2011": dict(
        reader="cect.readers.VarshneyDataReader", paper="Varshney et al. 2011",
        title="Structural properties of the Caenorhabditis elegans neuronal network",
        journal="PLoS Comput Biol 7(2):e1001066", doi="10.1371/journal.pcbi.1001066",
        source_file="NeuronConnect.xls",
        weight_module="cect.readers.VarshneyDataReader",
        notes="279 somatic neurons (no pharyngeal neurons). The source lists NMJs without the "
              "identity of the muscle, so this dataset has no nmj edges."),
}

NT_SOURCE = dict(paper="Wang et al. 2024",
                 title="Neurotransmitter atlas of C. elegans males and hermaphrodites",
                 journal="eLife 13:RP95402", doi="10.7554/eLife.95402",
                 via="cect.readers.Wang2024Reader (elife-95402-supp2-v1.xlsx)")
SIGN_SOURCE = dict(paper="Fenyves et al. 2020",
                   title="Synaptic polarity and sign-balance prediction using gene expression "
                         "data in the Caenorhabditis elegans chemical synapse neuronal connectome network",
                   journal="PLoS Comput Biol 16(12):e1007974", doi="10.1371/journal.pcbi.1007974",
                   via="wormneuroatlas data/journal.pcbi.1007974.s003.xlsx, sheet '4. Receptor type expression'")
POSITION_SOURCE = dict(
    file="wormneuroatlas data/anatlas_neuron_positions.txt",
    note="Whole-body canonical neuron atlas bundled with wormneuroatlas (Randi et al.); the package "
         "does not document its origin. Column y = anterior-posterior axis; rescaled to 0 (most "
         "anterior soma) .. 1 (most posterior soma).")


# ----------------------------------------------------------------------------- names
def project_name(name: str) -> str:
    m = NUMBERED.match(name)
    return f"{m.group(1)}{int(m.group(2)):02d}" if m else name


def cell_classes(names: list[str]) -> dict[str, str]:
    names_set = set(names)
    step1 = {}
    for n in names:
        m = NUMBERED.match(n)
        if m:
            step1[n] = m.group(1)
        elif n[-1] in "LR" and len(n) > 2 and (n[:-1] + ("R" if n[-1] == "L" else "L")) in names_set:
            step1[n] = n[:-1]
        else:
            step1[n] = n
    stems = set(step1.values())
    out = {}
    for n, c in step1.items():
        if len(c) >= 4 and c[-1] in "DV" and (c[:-1] + ("V" if c[-1] == "D" else "D")) in stems:
            c = c[:-1]
        out[n] = c
    return out


# ----------------------------------------------------------------------------- sources
def quiet(fn, *a, **k):
    buf = io.StringIO()
    with redirect_stdout(buf):
        return fn(*a, **k)


def load_neuron_base():
    import cect
    import cect.Cells as C
    from cect.readers.Cook2019DataReader import HERMAPHRODITE
    from cect.readers.Wang2024Reader import Wang2024Reader

    cect_names = list(C.PREFERRED_HERM_NEURON_NAMES)
    assert len(cect_names) == 302
    names = [project_name(n) for n in cect_names]
    classes = cell_classes(names)

    ctype, cgroup = {}, {}
    for group, cells in C.COOK_GROUPING_1.items():
        t = {"Pharyngeal neurons": "pharyngeal", "Sensory neurons": "sensory",
             "Interneurons": "interneuron", "Motorneurons": "motor",
             "Unknown function neurons": "unknown"}.get(group)
        if t:
            for c in cells:
                ctype[c] = t
    for cat, cells in C.SENSORY_NEURONS_COOK_CATEGORIES.items():
        for c in cells:
            cgroup[c] = cat
    for cat, cells in C.INTERNEURONS_NONPHARYNGEAL_COOK_CATEGORIES.items():
        for c in cells:
            cgroup[c] = "pharynx linker" if cat == "RIML" else cat  # cect keys RIP under "RIML"
    for c in C.HEAD_MOTORNEURONS_COOK:
        cgroup[c] = "head motor"
    for c in C.SUBLATERAL_MOTORNEURONS_COOK:
        cgroup[c] = "sublateral motor"
    for c in C.VENTRAL_CORD_MOTORNEURONS:
        cgroup[c] = "ventral cord motor"
    for c in C.HERM_SPECIFIC_MOTORNEURONS:
        cgroup[c] = "hermaphrodite-specific motor"
    for c in C.PHARYNGEAL_INTERNEURONS:
        cgroup[c] = "pharyngeal interneuron"
    for c in C.PHARYNGEAL_MOTORNEURONS:
        cgroup[c] = "pharyngeal motor"
    for c in C.PHARYNGEAL_POLYMODAL_NEURONS:
        cgroup[c] = "pharyngeal polymodal"
    for c in C.UNKNOWN_FUNCTION_NEURONS:
        cgroup[c] = "unknown function"

    wang = quiet(Wang2024Reader, HERMAPHRODITE).all_neurotransmitters
    nts, primary = {}, {}
    for c in cect_names:
        lst = [NT_SHORT[x] for x in (wang.get(c) or []) if x]
        nts[c] = "+".join(lst) if lst else "unknown"
        fast = [x for x in lst if x in FAST]
        mono = [x for x in lst if x in MONOAMINES]
        primary[c] = fast[0] if fast else (mono[0] if mono else "unknown")

    pos = load_positions()
    rows = []
    for c, n in zip(cect_names, names):
        rows.append(dict(name=n, cell_class=classes[n], cell_type=ctype[c], cook_group=cgroup.get(c, ""),
                         position=pos.get(n, math.nan), neurotransmitter=primary[c], transmitters=nts[c],
                         cect_name=c))
    df = pd.DataFrame(rows).sort_values("name", kind="stable").reset_index(drop=True)
    return df, cect.__version__ if hasattr(cect, "__version__") else _dist_version("cect")


def _dist_version(dist: str) -> str:
    from importlib.metadata import version
    return version(dist)


def _wna_data() -> Path:
    import wormneuroatlas
    return Path(wormneuroatlas.__file__).parent / "data"


def load_positions() -> dict[str, float]:
    f = _wna_data() / "anatlas_neuron_positions.txt"
    lines = f.read_text().splitlines()
    names = lines[0].lstrip("#").split()
    xyz = np.loadtxt(f)
    assert len(names) == len(xyz), (len(names), xyz.shape)
    y = xyz[:, 1]
    ap = (y - y.min()) / (y.max() - y.min())
    out = {}
    for n, v in zip(names, ap):
        n = {"AWCON": "AWCR", "AWCOFF": "AWCL"}.get(n, n)
        out[project_name(n)] = round(float(v), 4)
    return out


S3_FILE = "journal.pcbi.1007974.s003.xlsx"
RECEPTOR_TABLE = "fenyves2020_receptor_polarity.csv"


def polarity(pos_: int, neg: int) -> str:
    """Fenyves 2020 rule for one transmitter: only excitatory receptors '+', only inhibitory '-',
    both 'complex', none 'nopred'."""
    return "+" if pos_ and not neg else "-" if neg and not pos_ else "complex" if pos_ else "nopred"


def load_receptor_counts() -> dict[str, dict[str, tuple[int, int]]]:
    """Fenyves 2020 S3 sheet 4 -> {neuron: {NT: (n excitatory genes, n inhibitory genes)}}.

    The sheet's count columns are Glu+ Glu- ACh+ ACh- GABA+ GABA- (checked against its header row).
    Until 2026-11 the loop here ran over FAST = (ACh, Glu, GABA), which gave every glutamatergic
    synapse the *ACh*-receptor prediction of its target and vice versa; the header check and the
    per-synapse cross-check against sheet 5 (``check_against_sign_sheet``) now catch that."""
    x = pd.read_excel(_wna_data() / S3_FILE, sheet_name="4. Receptor type expression ", header=None)
    header = [str(x.iloc[1, i]).strip() for i in range(1, 7)]
    expect = [f"{nt} {p}" for nt in RECEPTOR_COLUMNS for p in ("Pos", "Neg")]
    if header != expect:
        raise SystemExit(f"Fenyves 2020 S3 sheet 4: expected columns {expect}, found {header}")
    out = {}
    for _, r in x.iloc[2:].iterrows():
        n = r[0]
        if not isinstance(n, str) or not n.strip():
            continue
        c = [int(r[i]) for i in range(1, 7)]
        out[project_name(n.strip())] = {nt: (c[2 * k], c[2 * k + 1]) for k, nt in enumerate(RECEPTOR_COLUMNS)}
    return out


def load_receptor_polarity(counts: dict | None = None) -> dict[str, dict[str, str]]:
    """Fenyves 2020 receptor expression -> {neuron: {NT: '+', '-', 'complex', 'nopred'}}."""
    counts = load_receptor_counts() if counts is None else counts
    return {n: {nt: polarity(*pc) for nt, pc in d.items()} for n, d in counts.items()}


def check_against_sign_sheet(counts: dict) -> str:
    """Cross-check sheet 4 (per neuron) with sheet 5 (per synapse: which receptor classes of the
    presynaptic primary transmitter the target expresses). Raises on any disagreement."""
    x = pd.read_excel(_wna_data() / S3_FILE, sheet_name="5. Sign prediction", header=None)
    cols = {"Glu": (6, 7), "ACh": (8, 9), "GABA": (10, 11)}
    n = bad = 0
    examples = []
    for _, r in x.iloc[2:].iterrows():
        nt, tgt = r[1], r[3]
        if nt not in cols or not isinstance(tgt, str):
            continue
        tgt = project_name(tgt.strip())
        if tgt not in counts:
            continue
        pc = counts[tgt][nt]
        want = (bool(r[cols[nt][0]]), bool(r[cols[nt][1]]))
        n += 1
        if (pc[0] > 0, pc[1] > 0) != want:
            bad += 1
            if len(examples) < 5:
                examples.append(f"{r[0]}({nt})->{tgt}: sheet5 {want}, sheet4 {pc}")
    if bad:
        raise SystemExit(f"Fenyves 2020 S3: sheet 4 and sheet 5 disagree on {bad} of {n} synapses: {examples}")
    return f"sheet 4 receptor classes agree with sheet 5 on all {n} synapses with a fast primary transmitter"


def write_receptor_table(counts: dict, path: Path) -> None:
    rows = []
    for n in sorted(counts):
        d = counts[n]
        row = {"neuron": n}
        for nt in RECEPTOR_COLUMNS:
            row[f"{nt}_pos_genes"], row[f"{nt}_neg_genes"] = d[nt]
            row[f"{nt}_polarity"] = polarity(*d[nt])
        rows.append(row)
    pd.DataFrame(rows).to_csv(path, index=False, lineterminator="\n")


# ----------------------------------------------------------------------------- edges
def extract_edges(dataset: str, neurons: pd.DataFrame, receptors: dict):
    import importlib
    import cect.Cells as C

    spec = DATASETS[dataset]
    mod = importlib.import_module(spec["reader"])
    reader = quiet(mod.get_instance, from_cache=False)
    conns = reader.get_current_connection_info_list()
    herm = set(C.PREFERRED_HERM_NEURON_NAMES)
    primary = dict(zip(neurons["cect_name"].map(project_name), neurons["neurotransmitter"]))
    bwm = set(BODY_WALL_MUSCLES)

    chem, gap, nmj = {}, {}, {}
    dropped = collections.Counter()
    dropped_targets = collections.Counter()
    for c in conns:
        pre, post, w = c.pre_cell, c.post_cell, float(c.number)
        if w <= 0:
            continue
        kind = "chem" if c.syntype == "Chemical" else "gap" if c.syntype == "GapJunction" else None
        if kind is None:
            dropped[f"syntype {c.syntype}"] += 1
            continue
        if pre not in herm:
            if post in herm or pre in bwm:
                dropped[f"{kind} from non-neuron"] += 1
            else:
                dropped[f"{kind} between non-neurons"] += 1
            continue
        p, q = project_name(pre), project_name(post)
        if post in herm:
            if kind == "chem":
                chem[(p, q)] = chem.get((p, q), 0) + w
            else:
                if p == q:
                    dropped["gap self-junction"] += 1
                    continue
                a, b = sorted((p, q))
                # symmetric matrices list each junction in both directions: keep one (max)
                gap[(a, b)] = max(gap.get((a, b), 0), w)
        elif post in bwm:
            if kind == "chem":
                nmj[(p, post)] = nmj.get((p, post), 0) + w
            else:
                dropped["gap neuron-body-wall-muscle"] += 1
        else:
            kind_t = "muscle" if C.is_known_muscle(post) or C.is_potential_muscle(post) else "other cell"
            dropped[f"{kind} neuron-{kind_t} (not body wall)"] += 1
            dropped_targets[post] += 1

    rows = []
    for (p, q), w in sorted(chem.items()):
        nt = primary[p]
        pol = receptors.get(q, {}).get(nt, "nopred") if nt in FAST else ""
        if nt == "ACh":
            s, src = 1, "ACh"
        elif nt == "GABA":
            s, src = -1, "GABA"
        elif nt == "Glu":
            if pol in "+-" and pol:
                s, src = (1 if pol == "+" else -1), f"Glu:fenyves2020{pol}"
            else:
                s, src = 1, f"Glu:default+({pol})"
        else:
            s, src = 0, f"no-fast-transmitter({nt})"
        # sign_receptor: the same receptor rule for every fast transmitter (ACh, GABA too);
        # unresolved (complex / nopred) keeps the transmitter default of `sign`
        sr = (1 if pol == "+" else -1) if nt in FAST and pol in ("+", "-") else s
        rows.append((p, q, "chem", w, s, src, nt, pol, sr))
    for (a, b), w in sorted(gap.items()):
        rows.append((a, b, "gap", w, 0, "gap", "", "", 0))
    for (p, m), w in sorted(nmj.items()):
        nt = primary[p]
        s = 1 if nt == "ACh" else -1 if nt == "GABA" else 0
        rows.append((p, m, "nmj", w, s, f"nmj:{nt}" if s else f"nmj:no-ACh/GABA({nt})", nt, "", s))
    edges = pd.DataFrame(rows, columns=["pre", "post", "kind", "weight", "sign", "sign_source",
                                        "transmitter", "receptor_prediction", "sign_receptor"])
    if (edges["weight"] == edges["weight"].round()).all():
        edges["weight"] = edges["weight"].astype(int)
    return edges, dict(dropped), dict(dropped_targets), reader


# ----------------------------------------------------------------------------- writing
def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def counts_of(neurons: pd.DataFrame, edges: pd.DataFrame, dropped: dict) -> dict:
    chem = edges[edges.kind == "chem"]
    nm = edges[edges.kind == "nmj"]
    sc = lambda e: {"+1": int((e.sign == 1).sum()), "-1": int((e.sign == -1).sum()), "0": int((e.sign == 0).sum())}
    return {
        "neurons": int(len(neurons)),
        "neurons_with_edges": int(neurons["in_dataset"].sum()),
        "chem_edges": int(len(chem)),
        "chem_autapses": int((chem.pre == chem.post).sum()),
        "chem_weight_total": float(chem.weight.sum()),
        "gap_pairs": int((edges.kind == "gap").sum()),
        "nmj_edges": int(len(nm)),
        "nmj_muscles": int(nm.post.nunique()),
        "nmj_presynaptic_neurons": int(nm.pre.nunique()),
        "chem_signs": sc(chem),
        "nmj_signs": sc(nm),
        "chem_sign_sources": {k: int(v) for k, v in chem.sign_source.value_counts().sort_index().items()},
        "chem_signs_receptor": {"+1": int((chem.sign_receptor == 1).sum()), "-1": int((chem.sign_receptor == -1).sum()),
                                "0": int((chem.sign_receptor == 0).sum())},
        "chem_receptor_predictions": {f"{nt}:{p}": int(v) for (nt, p), v in
                                      chem[chem.transmitter.isin(FAST)].groupby(["transmitter", "receptor_prediction"]).size().items()},
        "dropped": {k: int(v) for k, v in sorted(dropped.items())},
    }


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--out", type=Path, default=DATA_DIR)
    ap.add_argument("--datasets", nargs="*", default=list(DATASETS))
    args = ap.parse_args(argv)
    args.out.mkdir(parents=True, exist_ok=True)

    base, cect_version = load_neuron_base()
    wna_version = _dist_version("wormneuroatlas")
    receptor_counts = load_receptor_counts()
    print(check_against_sign_sheet(receptor_counts))
    receptors = load_receptor_polarity(receptor_counts)
    rtable = args.out / RECEPTOR_TABLE
    write_receptor_table(receptor_counts, rtable)
    missing_pos = base.loc[base.position.isna(), "name"].tolist()
    print(f"cect {cect_version}, wormneuroatlas {wna_version}; {len(base)} neurons, "
          f"{base.cell_class.nunique()} classes; positions missing for {missing_pos}")
    print("cell types:", base.cell_type.value_counts().to_dict())
    print("primary transmitters:", base.neurotransmitter.value_counts().to_dict())

    prov = {"generated_by": "python -m organisms.c_elegans.tools.extract_cect",
            "cect_version": cect_version, "wormneuroatlas_version": wna_version,
            "neurotransmitters": NT_SOURCE, "glutamate_sign": SIGN_SOURCE, "position": POSITION_SOURCE,
            "receptor_table": {"file": RECEPTOR_TABLE, "sha256": sha256(rtable), **SIGN_SOURCE,
                               "sheet": "4. Receptor type expression (cross-checked with 5. Sign prediction)"},
            "body_wall_muscles": "MDL01-24, MDR01-24, MVL01-23, MVR01-24 (95)",
            "datasets": {}}
    for ds in args.datasets:
        spec = DATASETS[ds]
        edges, dropped, dropped_targets, reader = extract_edges(ds, base, receptors)
        used = set(edges.pre) | set(edges.loc[edges.kind != "nmj", "post"])
        neurons = base.drop(columns=["cect_name"]).copy()
        neurons["in_dataset"] = neurons["name"].isin(used)
        bad = sorted(set(edges.loc[edges.kind == "nmj", "post"]) - set(BODY_WALL_MUSCLES))
        assert not bad, bad
        n_csv, e_csv = args.out / f"{ds}_neurons.csv", args.out / f"{ds}_edges.csv"
        neurons.to_csv(n_csv, index=False, float_format="%.4g", lineterminator="\n")
        edges.to_csv(e_csv, index=False, float_format="%.6g", lineterminator="\n")
        cnt = counts_of(neurons, edges, dropped)
        import importlib
        weights = getattr(importlib.import_module(spec["weight_module"]), "WEIGHTS", "")
        prov["datasets"][ds] = {
            "paper": spec["paper"], "title": spec["title"], "journal": spec["journal"], "doi": spec["doi"],
            "cect_reader": spec["reader"], "cect_source_file": spec["source_file"],
            "weights": weights, "notes": spec["notes"],
            "files": {n_csv.name: sha256(n_csv), e_csv.name: sha256(e_csv)},
            "counts": cnt,
            "dropped_non_body_wall_targets": {k: int(v) for k, v in sorted(dropped_targets.items())},
        }
        print(f"\n== {ds} ({spec['paper']}, {spec['reader']})")
        print(yaml.safe_dump({"counts": cnt, "files": prov["datasets"][ds]["files"]}, sort_keys=False).rstrip())
    prov_path = args.out / "provenance.yaml"
    prov_path.write_text("# Generated by organisms/c_elegans/tools/extract_cect.py - do not edit by hand.\n"
                         + yaml.safe_dump(prov, sort_keys=False, width=100, allow_unicode=True))
    print(f"\nwrote {prov_path}")
    readme = args.out / "README.md"
    readme.write_text(render_readme(prov))
    print(f"wrote {readme}")
    return 0


README_HEAD = """# C. elegans connectome data

Generated by `organisms/c_elegans/tools/extract_cect.py` (do not edit by hand; edit the script and
re-run it). Loaded at runtime by `organisms/c_elegans/connectomes.py`
(`load_connectome("cook2019_herm")`); `cect` is needed only to regenerate these files.

Extraction command (venv with `pip install cect=={cect} xlrd`; cect brings `wormneuroatlas` {wna}, xlrd
reads the Varshney 2011 .xls):

```
python -m organisms.c_elegans.tools.extract_cect
```

## Files and columns

Per dataset `<dataset>_neurons.csv` and `<dataset>_edges.csv` (format of
`nervous_systems.connectome.Connectome.from_csv`). Every dataset lists all 302 hermaphrodite
neurons; `in_dataset` says whether the neuron has at least one edge in that dataset.

`*_neurons.csv`: `name` (cect's preferred names, ventral-cord classes zero-padded: `DB01`, `VA12`,
`AS11`, `VC01`; cect/c302 write `DB1`), `cell_class` (rule below), `cell_type` (sensory /
interneuron / motor / pharyngeal / unknown = CANL, CANR; Cook et al. 2019 grouping as coded in
`cect.Cells.COOK_GROUPING_1`), `cook_group` (Cook 2019 sub-category: SN1-SN6, IN1-IN4, head motor,
sublateral motor, ventral cord motor, ...), `position` (0 = most anterior soma ... 1 = most posterior
soma, see below), `neurotransmitter` (primary), `transmitters` (all entries of Wang 2024), `in_dataset`.

`*_edges.csv`: `pre`, `post`, `kind` (chem / gap / nmj), `weight` (> 0, as the dataset gives it; see
per dataset), `sign` (+1 / -1 / 0), `sign_source` (which rule set the sign), `transmitter` (primary
transmitter of `pre`), `receptor_prediction` (Fenyves 2020 receptor-based polarity of `post` for
that transmitter: `+`, `-`, `complex` = both, `nopred` = no receptor known; chem edges only),
`sign_receptor` (the sign when the receptor rule is applied to every fast transmitter, see below;
used by the worm brains' `receptor_signs` option).

`fenyves2020_receptor_polarity.csv`: per neuron, the number of excitatory (`_pos_genes`) and
inhibitory (`_neg_genes`) ionotropic receptor genes it expresses for Glu, ACh and GABA and the
resulting polarity (`+`, `-`, `complex`, `nopred`): the compact form of Fenyves et al. 2020 S3,
sheet "4. Receptor type expression" (gene classes of sheet "2. Receptor gene table": Glu Pos
glr-1..8, nmr-1/2; Glu Neg glc-1..4, avr-14/15; ACh Pos acr-*, deg-3, des-2, lev-8, unc-29/38/63,
eat-2; ACh Neg acc-1..4, lgc-47/48/49; GABA Pos exp-1, lgc-35; GABA Neg gab-1, ggr-1..3,
lgc-36/37/38, unc-49). The extractor checks it against the per-synapse sheet "5. Sign prediction"
(all 3,173 synapses with a fast primary transmitter agree) and refuses to write on any mismatch.

## Rules

* **cell_class**: strip the index of the numbered ventral-cord classes (`DB01` -> `DB`); strip a
  trailing L/R where the contralateral cell exists (`AIYL` -> `AIY`); then, for names of 4+
  characters, strip a trailing D/V where the other one exists (`SMDDL` -> `SMD`, `RMED` -> `RME`,
  `IL1VL` -> `IL1`, `SABVL` -> `SAB`). Gives the 118 classes of the hermaphrodite.
* **neurotransmitter**: Wang et al. 2024 (eLife, doi:10.7554/eLife.95402) as read by
  `cect.readers.Wang2024Reader`. Primary = first fast classical transmitter (ACh, Glu, GABA) in
  Wang's order, else first monoamine (5HT, DA, OA, TA), else `unknown` (orphan, betaine-only,
  GABA-uptake-only, none). Co-transmitting neurons: AFD, DVA, M5, PVN (ACh+Glu; AFD Glu first),
  SMD (ACh+GABA -> ACh).
* **position**: y (anterior-posterior) coordinate of the whole-body neuron atlas bundled with
  `wormneuroatlas` (`data/anatlas_neuron_positions.txt`; origin not documented in that package),
  min-max rescaled over the 302 somata. It is relative to the span of neuronal somata, not to
  nose tip and tail tip.
* **chemical sign** (presynaptic primary transmitter): ACh +1; GABA -1; Glu: receptor-based
  prediction of Fenyves et al. 2020 (PLoS Comput Biol, doi:10.1371/journal.pcbi.1007974; sheet
  "4. Receptor type expression" of S3, shipped in `wormneuroatlas`): the postsynaptic neuron
  expresses only excitatory (`glr`) glutamate receptors -> +1, only inhibitory (`glc`, `avr`) -> -1;
  where that does not resolve (`complex` or `nopred`) the default is **+1**
  (`sign_source = Glu:default+(...)`). **Fixed 2026-11**: before, the sheet's columns were read
  in the order ACh, Glu, GABA instead of Glu, ACh, GABA, so every glutamatergic synapse got its
  target's *acetylcholine*-receptor prediction (e.g. AIB, which expresses glr-1/2/5 and no glc,
  was a Glu-inhibited target). Neurons without a fast transmitter (dopamine, serotonin-only,
  orphan, betaine, unknown) give sign **0** (`no-fast-transmitter(...)`): their output is
  modulatory and left for the brain builder to decide. cect itself ships no per-synapse polarity.
* **receptor sign for every fast transmitter** (`sign_receptor`): the same Fenyves 2020 rule
  applied to ACh and GABA as well (ACh onto a neuron with only acc/lgc-47..49 receptors -> -1;
  GABA onto a neuron with only exp-1/lgc-35 -> +1); `complex` / `nopred` keep the transmitter
  default of `sign`. Glu and non-fast edges are identical to `sign`.
* **gap junctions**: each unordered neuron pair once (`pre` < `post` alphabetically), weight as
  given (symmetric matrices), sign 0; self-junctions dropped.
* **nmj**: chemical synapses from a neuron to one of the 95 body-wall muscles MDL01-24, MDR01-24,
  MVL01-23, MVR01-24 (cect's names, already in this form). Sign ACh +1, GABA -1, else 0.
  Synapses onto other muscles (pharyngeal pm*, vulval vm*, intestinal mu_int*) and other cells
  (glia, hypodermis, pharyngeal marginal/epithelial cells...) and neuron-muscle gap junctions are
  dropped and counted below.

"""


def render_readme(prov: dict) -> str:
    out = [README_HEAD.format(cect=prov["cect_version"], wna=prov["wormneuroatlas_version"])]
    for ds, d in prov["datasets"].items():
        c = d["counts"]
        out.append(f"## `{ds}`: {d['paper']}\n")
        out.append(f"{d['paper']}. {d['title']}. *{d['journal']}*. doi:[{d['doi']}](https://doi.org/{d['doi']})\n")
        out.append(f"* cect {prov['cect_version']} reader `{d['cect_reader']}`; source file in cect: {d['cect_source_file']}")
        out.append(f"* Weights: {d['weights']}")
        out.append(f"* Notes: {d['notes']}")
        out.append(f"* Neurons {c['neurons']} ({c['neurons_with_edges']} with edges); chemical edges "
                   f"{c['chem_edges']} (of which {c['chem_autapses']} autapses; total weight {c['chem_weight_total']:g}); "
                   f"gap-junction pairs {c['gap_pairs']}; NMJ edges {c['nmj_edges']} to {c['nmj_muscles']} "
                   f"body-wall muscles from {c['nmj_presynaptic_neurons']} neurons")
        s, n = c["chem_signs"], c["nmj_signs"]
        out.append(f"* Chemical signs: +1 {s['+1']}, -1 {s['-1']}, 0 {s['0']}; NMJ signs: +1 {n['+1']}, -1 {n['-1']}, 0 {n['0']}; "
                   f"gap junctions all 0")
        out.append("* Chemical sign sources: " + ", ".join(f"{k} {v}" for k, v in c["chem_sign_sources"].items()))
        out.append("* Dropped connection entries (cect connection list): "
                   + (", ".join(f"{k} {v}" for k, v in c["dropped"].items()) or "none"))
        if d.get("dropped_non_body_wall_targets"):
            out.append("* Dropped non-body-wall targets (entries): " + ", ".join(
                f"{k} {v}" for k, v in d["dropped_non_body_wall_targets"].items()))
        out.append("* sha256:")
        for f, h in d["files"].items():
            out.append(f"  * `{f}` `{h}`")
        out.append("")
    out.append("""## Licences

* **cect** (OpenWorm ConnectomeToolbox, https://github.com/openworm/ConnectomeToolbox) code: MIT.
  cect states no separate licence for the data it bundles; it redistributes the data as published
  in the papers' supplementary material, which it cites per dataset. Cite the original papers
  above when using these files.
* Cook et al. 2019 and Witvliet et al. 2021: supplementary data of *Nature* articles (no explicit
  data licence stated by cect or here). Varshney et al. 2011: *PLoS Comput Biol* (CC BY 4.0),
  data as distributed by WormAtlas (NeuronConnect.xls).
* Neurotransmitters: Wang et al. 2024, *eLife* (CC BY 4.0).
* Receptor polarity (Glu, ACh, GABA): Fenyves et al. 2020, *PLoS Comput Biol* S3 table (CC BY 4.0); read
  from the file bundled in `wormneuroatlas` (code GPL-3.0-or-later; none of its code is used or
  copied here, only the published table's values).
* Soma positions: `wormneuroatlas` data file (see above; origin undocumented there; treat as
  approximate).
* `provenance.yaml` holds the same information in machine-readable form.

## Signal propagation atlas (not bundled)

`cgym atlas celegans` scores brains against the signal propagation atlas of Randi, Sharma, Dvali &
Leifer 2023, *Nature* 623:406–414, doi:10.1038/s41586-023-06683-4: optogenetic stimulation of
single neurons with whole-brain calcium imaging, wild type and unc-31. The compiled atlas
(`funatlas.h5`, compiled 2023-06-28) is **read from the installed `wormneuroatlas` package**
(F. Randi, PyPI, GPL-3) and is not copied into this repository; install it with the `neural`
extra (`pip install -e ".[neural]"`). The loader (`organisms/c_elegans/atlas_data.py`) records the
file's sha256 and the package version in every atlas scorecard. Names: atlas `VB2` → Cook `VB02`
(zero padding of numbered motor neurons), `AWCOFF` → `AWCL`, `AWCON` → `AWCR` (the atlas authors'
own convention in `pumpprobe.Funatlas`); CANL/CANR are not in the atlas.
""")
    return "\n".join(out)


if __name__ == "__main__":
    sys.exit(main())
