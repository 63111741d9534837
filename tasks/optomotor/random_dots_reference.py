"""Wild-type larvae in the random-dot paradigm: the reference curves the OMR scorer draws and prints.

``reference/data/bahl_lab_random_dots_wt.csv`` (derived by ``tools/derive_random_dots_reference.py``
from the Bahl lab's analysis outputs, github.com/arminbahl/mutant_zebrafish_behavior at
5e94082, MIT licence; provenance in ``reference/data/PROVENANCE.yaml``): freely swimming
wild-type siblings in seven experiments, 30 s trials with the dots at 0 % coherence except
10–20 s, per experiment a mean over fish. :func:`load` checks the file against its pinned sha256
before reading it; :func:`summary` gives, per coherence, the mean over the seven experiments and
their range (lowest and highest experiment mean):

* ``p_correct`` — fraction of **all** bouts in the motion epoch whose heading change goes toward the
  motion (no turn threshold: compare with the scorer's "all bouts" P(with));
* ``bout_rate_hz`` — bouts per second in the motion epoch (the chronometric measure);
* ``interbout_interval_s``;
* ``bout_rate_ratio`` — each experiment's bout rate at a coherence over its own rate at 0 % (the
  chronometric slope, free of the experiments' different overall rates);
* ``binned`` — ``p_correct`` in 2 s bins of trial time, 8–24 s: the build-up after the motion starts
  (10 s) and the decay after it stops (20 s; the dots then move at 0 % coherence, they do not stop).
"""

from __future__ import annotations

import csv
import hashlib
from pathlib import Path

import numpy as np

DATA = Path(__file__).resolve().parent / "reference" / "data"
CSV = DATA / "bahl_lab_random_dots_wt.csv"
#: pinned in reference/data/PROVENANCE.yaml (sets.bahl_lab_random_dots.output_sha256) too
SHA256 = "5d7135d4601e1bfe943e5672cf3228d1785dccc751d37a76eb1af267e44134a4"
SOURCE = ("Bahl lab, github.com/arminbahl/mutant_zebrafish_behavior @5e94082 (MIT), "
          "tyler_analysis/analysis_output: wild-type siblings, 7 experiments; "
          "random-dot paradigm of Bahl & Engert 2020, doi:10.1038/s41593-019-0534-9")
MOTION_ON_S, MOTION_OFF_S = 10.0, 20.0


def load(path: Path = CSV, sha256: str = SHA256) -> list[dict]:
    """The CSV's rows (numbers as floats), after the sha256 check (a mismatch is a one-line
    ValueError naming the file)."""
    blob = Path(path).read_bytes()
    got = hashlib.sha256(blob).hexdigest()
    if got != sha256:
        raise ValueError(f"{path}: sha256 {got[:12]}… is not the pinned {sha256[:12]}… (re-derive it with "
                         f"tasks/optomotor/tools/derive_random_dots_reference.py)")
    rows = list(csv.DictReader(blob.decode("utf-8").splitlines()))
    for r in rows:
        for k in ("coherence", "t_lo_s", "t_hi_s", "mean", "sem"):
            r[k] = float(r[k])
    return rows


def _agg(values: list[float]) -> dict:
    v = np.asarray(values, float)
    return {"mean": float(v.mean()), "lo": float(v.min()), "hi": float(v.max()), "n": int(v.size)}


def summary(rows: list[dict] | None = None) -> dict:
    """Per quantity and coherence: mean over experiments with the range of experiment means."""
    rows = load() if rows is None else rows
    coh = sorted({r["coherence"] for r in rows})
    out: dict = {"source": SOURCE, "coherence": coh,
                 "n_experiments": len({r["experiment"] for r in rows})}
    for q, scale in (("p_correct_pct", 0.01), ("bout_rate_hz", 1.0), ("interbout_interval_s", 1.0)):
        name = q.replace("_pct", "")
        out[name] = [_agg([r["mean"] * scale for r in rows if r["quantity"] == q and r["coherence"] == c]) for c in coh]
    by_exp = {}
    for r in rows:
        if r["quantity"] == "bout_rate_hz":
            by_exp.setdefault(r["experiment"], {})[r["coherence"]] = r["mean"]
    out["bout_rate_ratio"] = [_agg([e[c] / e[0.0] for e in by_exp.values()]) for c in coh]
    binned = {}
    for c in coh:
        sel = [r for r in rows if r["quantity"] == "p_correct_pct_binned" and r["coherence"] == c]
        edges = sorted({(r["t_lo_s"], r["t_hi_s"]) for r in sel})
        binned[c] = [{"t_lo_s": lo, "t_hi_s": hi,
                      **_agg([r["mean"] * 0.01 for r in sel if (r["t_lo_s"], r["t_hi_s"]) == (lo, hi)])}
                     for lo, hi in edges]
    out["binned"] = binned
    return out


def after_motion(s: dict, coherence: float) -> list[dict]:
    """The binned fraction after the motion stops, with time since the offset (0–2, 2–4 s)."""
    return [{**b, "since_lo_s": b["t_lo_s"] - MOTION_OFF_S, "since_hi_s": b["t_hi_s"] - MOTION_OFF_S}
            for b in s["binned"][coherence] if b["t_lo_s"] >= MOTION_OFF_S]


def build_up(s: dict, coherence: float) -> list[dict]:
    """The binned fraction during the motion, with time since its onset (0–2, …, 8–10 s)."""
    return [{**b, "since_lo_s": b["t_lo_s"] - MOTION_ON_S, "since_hi_s": b["t_hi_s"] - MOTION_ON_S}
            for b in s["binned"][coherence] if MOTION_ON_S <= b["t_lo_s"] < MOTION_OFF_S]
