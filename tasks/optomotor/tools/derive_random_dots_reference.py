"""Derive the wild-type random-dot reference from the Bahl lab's analysis outputs (compact CSV).

    python -m tasks.optomotor.tools.derive_random_dots_reference SOURCE_CHECKOUT [--out CSV]

SOURCE_CHECKOUT is a checkout of github.com/arminbahl/mutant_zebrafish_behavior (MIT licence,
Copyright (c) 2020 Armin Bahl) at commit :data:`SOURCE_COMMIT` or later with the same two files.
Its ``tyler_analysis/analysis_output/analysis_output{1,2}.txt`` are JSON summaries, written by
``tyler_analysis/all_analysis.py`` of that commit, of freely swimming larvae in the random-dot
paradigm of Bahl & Engert 2020 (doi:10.1038/s41593-019-0534-9): 30 s trials, 0 % coherence
except 10–20 s, when the dots move at 0, 25, 50 or 100 % coherence. Each experiment compares
wild-type, heterozygous and homozygous siblings of a mutant line; **only the wild-type rows of the
seven real experiments are kept** (experiment indices 0–4, 8, 9; indices 5–7 are
``surrogate_fish`` data simulated by a model, and are dropped). The published paper these
experiments belong to is not named by the repository; they are probably those of Harpaz et al. 2021
(Sci Adv 7:eabi7460, doi:10.1126/sciadv.abi7460), which tested the OMR of mutant larvae and fed it
to an agent-based collective model, as this repository's code does. The CSV cites the repository, commit and files.

Per experiment, genotype wild type (each a mean ± s.e.m. over fish, as the analysis printed it):

* ``p_correct_pct`` — % of bouts in 10–20 s whose heading change goes toward the motion (every
  bout: no turn threshold), per coherence (``twoAa``);
* ``bout_rate_hz`` — bouts per second in 10–20 s (``oneA``);
* ``interbout_interval_s`` — mean inter-bout interval of bouts in 10–20 s (``twoAb``);
* ``p_correct_pct_binned`` — the same % in 2 s bins of trial time from 8 to 24 s (``twoB``): the
  build-up after the motion starts at 10 s and the decay after it stops at 20 s.

The two source files are checked against :data:`SOURCE_SHA256` before anything is read: a
mismatch is a one-line error naming the file. Data only (JSON): nothing from the source runs.
"""

from __future__ import annotations

import argparse
import csv
import json
import math
from pathlib import Path

from .derive_reference import sha256

SOURCE_REPO = "github.com/arminbahl/mutant_zebrafish_behavior"
SOURCE_COMMIT = "5e94082fb43b07de0f47eb4848a49b2ecbfc9e52"
PAPER = ("probably Harpaz et al. 2021 (Sci Adv 7:eabi7460, doi:10.1126/sciadv.abi7460), which tested the OMR of larvae mutant in genes linked to human behavioural disorders and fed it to an agent-based collective model, as this repository does (scn1lab, disc1, immp2l lines); the repository does not name its paper, so the repository, commit and files are cited")
SOURCE_FILES = ("tyler_analysis/analysis_output/analysis_output1.txt",
                "tyler_analysis/analysis_output/analysis_output2.txt")
SOURCE_SHA256 = {
    SOURCE_FILES[0]: "b45da047da316a90f580200db884739c8e051f44162643f48af812fcf11b67ba",
    SOURCE_FILES[1]: "26a78b99faf1ddc64671807c53c0bc352ee94721c644ba9145be7fbaa2a2a630",
}
#: experiment index of all_analysis.py's readHDF -> its data folder (real larvae only)
EXPERIMENTS = {0: "disc1_hetinx", 1: "immp2l_NIBR", 2: "immp2l_summer", 3: "scn1lab_NIBR",
               4: "scn1lab_sa16474", 8: "scn1lab_NIBR_20200708", 9: "scn1lab_zirc_20200710"}
SURROGATE = {5: "surrogate_fish1", 6: "surrogate_fish2", 7: "surrogate_fish3"}
COHERENCES = (0.0, 0.25, 0.5, 1.0)
BIN_EDGES_S = tuple(range(8, 25, 2))   # twoB: 2 s bins of trial time, 8-24 s
OUT = Path(__file__).resolve().parents[1] / "reference" / "data" / "bahl_lab_random_dots_wt.csv"
PROVENANCE = OUT.with_name("PROVENANCE_random_dots.yaml")
COLUMNS = ("experiment", "quantity", "coherence", "t_lo_s", "t_hi_s", "mean", "sem")


def read_source(checkout: Path) -> dict:
    """Both JSON files, after their sha256 check: {key: [entries]}."""
    out = {}
    for rel in SOURCE_FILES:
        p = checkout / rel
        if not p.is_file():
            raise SystemExit(f"{p}: not found (give a checkout of {SOURCE_REPO})")
        got = sha256(p)
        if got != SOURCE_SHA256[rel]:
            raise SystemExit(f"{p}: sha256 {got} is not the pinned {SOURCE_SHA256[rel]} (commit {SOURCE_COMMIT[:7]})")
        out.update(json.loads(p.read_text(encoding="utf-8")))
    return out


def _wt(entries: list, index: int):
    rows = [e for e in entries if e.get("gen") == "wt" and e.get("fileIndex") == index]
    if len(rows) != 1:
        raise SystemExit(f"analysis output: {len(rows)} wild-type rows for experiment {index}, expected 1")
    return rows[0]["output"][1]


def derive(data: dict) -> list[dict]:
    rows = []
    for idx, name in EXPERIMENTS.items():
        for key, qty in (("twoAa", "p_correct_pct"), ("oneA", "bout_rate_hz"), ("twoAb", "interbout_interval_s")):
            mean, sem = _wt(data[key], idx)
            for c, m, s in zip(COHERENCES, mean, sem, strict=True):
                rows.append({"experiment": name, "quantity": qty, "coherence": c, "t_lo_s": 10.0, "t_hi_s": 20.0,
                             "mean": m, "sem": s})
        mean, sem = _wt(data["twoB"], idx)   # per coherence: one value per 2 s bin
        for c, mc, sc in zip(COHERENCES, mean, sem, strict=True):
            for lo, hi, m, s in zip(BIN_EDGES_S[:-1], BIN_EDGES_S[1:], mc, sc, strict=True):
                rows.append({"experiment": name, "quantity": "p_correct_pct_binned", "coherence": c,
                             "t_lo_s": float(lo), "t_hi_s": float(hi), "mean": m, "sem": s})
    for r in rows:
        if not (isinstance(r["mean"], (int, float)) and math.isfinite(r["mean"])):
            raise SystemExit(f"analysis output: non-finite {r['quantity']} for {r['experiment']} at {r['coherence']}")
    return rows


def write(rows: list[dict], out: Path) -> str:
    out.parent.mkdir(parents=True, exist_ok=True)
    with out.open("w", newline="", encoding="utf-8") as f:
        w = csv.DictWriter(f, fieldnames=COLUMNS, lineterminator="\n")
        w.writeheader()
        for r in rows:
            w.writerow({k: (f"{r[k]:.6g}" if isinstance(r[k], float) else r[k]) for k in COLUMNS})
    return sha256(out)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("source", type=Path, help=f"a checkout of {SOURCE_REPO}")
    ap.add_argument("--out", type=Path, default=OUT)
    a = ap.parse_args(argv)
    rows = derive(read_source(a.source))
    digest = write(rows, a.out)
    if a.out == OUT:
        import yaml

        PROVENANCE.write_text(yaml.safe_dump({
            "script": "tasks/optomotor/tools/derive_random_dots_reference.py",
            "source": {"repository": SOURCE_REPO, "commit": SOURCE_COMMIT,
                       "files": [{"path": f, "sha256": SOURCE_SHA256[f]} for f in SOURCE_FILES],
                       "licence": "MIT, Copyright (c) 2020 Armin Bahl (the repository's LICENSE)",
                       "written_by": "tyler_analysis/all_analysis.py of that commit (functions oneA, twoAa, twoAb, twoB)"},
            "paradigm": "random-dot motion, freely swimming larvae (Bahl & Engert 2020, doi:10.1038/s41593-019-0534-9): "
                        "30 s trials, coherent motion 10-20 s at 0/25/50/100 %, 0 % coherence otherwise",
            "kept": {"genotype": "wt", "experiments": {str(k): v for k, v in EXPERIMENTS.items()}},
            "dropped": {"experiments": {str(k): v for k, v in SURROGATE.items()},
                        "why": "surrogate_fish data are simulated by a model, not recorded larvae"},
            "paper": PAPER,
            "output_csv": f"reference/data/{OUT.name}", "output_sha256": digest, "rows": len(rows),
        }, sort_keys=False, width=100))
    print(f"wrote {a.out} ({len(rows)} rows, {len(EXPERIMENTS)} experiments; surrogate experiments "
          f"{', '.join(SURROGATE.values())} dropped); sha256 {digest}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
