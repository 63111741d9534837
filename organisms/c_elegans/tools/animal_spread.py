"""How different are the model animals from each other? Between-animal spread of the gait.

    python -m organisms.c_elegans.tools.animal_spread runs/animal/cv0.1 runs/animal/cv0.25 ...

Each episode of a run is one animal (README section 6: start pose, noise, optionally the initial
state, ``init_sd_mV``, and the connection strengths, ``animal_cv``). Per run folder this prints, for
the per-animal locomotion features that the reference library gives with a between-animal spread
(centroid speed, undulation frequency, wavelength), the mean, the s.d. across animals [95 %
bootstrap CI] and the library's between-animal s.d. beside it; plus how many animals crawl at all
(forward fraction >= 0.9 and speed >= 0.05 mm/s), since a spread can come from a few animals that
stop. Reads the episodes' ``.json`` features only; changes nothing, fits nothing.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import numpy as np

from tasks.reference import load_reference
from tasks.statistics import bootstrap_ci

FEATURES = ("centroid_speed", "undulation_frequency", "wavelength")
LIBRARY = "celegans_chemotaxis_v1"


def read_features(run: Path) -> list[dict]:
    eps = sorted((run / "episodes").glob("ep_*.json"))
    if not eps:
        raise SystemExit(f"{run}: no episodes/ep_*.json")
    out = []
    for p in eps:
        d = json.loads(p.read_text())
        if d.get("status") == "ok" and d.get("features"):
            out.append(d["features"])
    return out


def spread(values: np.ndarray, seed: int = 0) -> dict:
    v = values[np.isfinite(values)]
    ci = bootstrap_ci(v, _sd, n_boot=2000, rng=seed, min_n=3)
    return {"n": len(v), "mean": float(np.mean(v)) if len(v) else float("nan"), "sd": _sd(v),
            "sd_ci": (float(ci.lo), float(ci.hi))}


def _sd(x, axis=None) -> float:
    x = np.asarray(x, float)
    if axis is None:
        return float(np.std(x, ddof=1)) if len(x) > 1 else float("nan")
    return np.std(x, ddof=1, axis=axis)


def crawling(features: list[dict]) -> int:
    """Animals with forward fraction >= 0.9 and speed >= 0.05 mm/s (an undefined feature, e.g. the
    forward fraction of an animal that never moved, counts as not crawling)."""
    return sum(1 for f in features if (f.get("forward_fraction") or 0) >= 0.9 and (f.get("centroid_speed") or 0) >= 0.05)


def table(runs: list[Path]) -> str:
    lib = load_reference(LIBRARY)
    head = "| run | animals crawling | " + " | ".join(f"{f}: mean, s.d. [95 % CI]" for f in FEATURES) + " |"
    lines = [head, "|" + "---|" * (2 + len(FEATURES))]
    real = " | ".join(f"{lib.get(f).mean:.3g}, {lib.get(f).sd:.2g}" for f in FEATURES)
    lines.append(f"| real ({lib.get(FEATURES[0]).citation}; {lib.get(FEATURES[1]).citation}) | all | {real} |")
    for run in runs:
        feats = read_features(run)
        cells = []
        for f in FEATURES:
            s = spread(np.array([x.get(f, np.nan) for x in feats], float))
            cells.append(f"{s['mean']:.3g}, {s['sd']:.2g} [{s['sd_ci'][0]:.2g}, {s['sd_ci'][1]:.2g}]")
        lines.append(f"| {run} | {crawling(feats)}/{len(feats)} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("runs", nargs="+", type=Path, help="run folders (each with episodes/ep_*.json)")
    a = ap.parse_args(argv)
    print(table(a.runs))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
