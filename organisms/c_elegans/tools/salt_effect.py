"""The part of a run's salt approach that needs the salt sense: intact minus ASE-lesioned, same animals.

    python -m organisms.c_elegans.tools.salt_effect INTACT LESIONED [INTACT LESIONED ...]

The approach index, (d_start - d_end) / d_start of the nose to the peak, depends on how the animal
moves as much as on where it steers: a worm that circles in place scores about 0, one that crawls
straight in a random direction from 5 mm away scores well below 0, since most directions lead away
(on seeds 15000-15015 the re-centred connectome with ASEL and ASER lesioned scores -0.84; README
section 5.5). Running the same animals (seeds) again with ASEL and ASER lesioned
(``--lesion ASEL ASER``) keeps the movement and removes the salt sense; the per-animal difference is
the salt's effect on the approach. Each pair of run folders (intact, lesioned) must hold the same
seeds. Prints per pair: both approach means and the paired difference, mean [95 % bootstrap CI over
animals]; and for every pair after the first, the difference of its salt effect from the first
pair's (animals resampled independently).
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import numpy as np

from tasks.statistics import bootstrap_ci, bootstrap_diff_ci

N_BOOT = 4000


def approaches(run: Path) -> dict[int, float]:
    """seed -> the episode's ``approach`` feature, for every episode file of a run folder."""
    out = {}
    files = sorted((run / "episodes").glob("ep_*.json"))
    if not files:
        raise SystemExit(f"{run}/episodes: no episode files")
    for f in files:
        try:
            feats = json.loads(f.read_text()).get("features") or {}
        except (OSError, ValueError) as e:
            raise SystemExit(f"{f}: {e}") from None
        if feats.get("approach") is not None:
            out[int(f.stem.split("_")[1])] = float(feats["approach"])
    return out


def paired(intact: Path, lesioned: Path) -> tuple[np.ndarray, np.ndarray]:
    a, b = approaches(intact), approaches(lesioned)
    if set(a) != set(b):
        raise SystemExit(f"{intact} and {lesioned} hold different seeds "
                         f"({sorted(set(a) ^ set(b))[:5]} ...): pair runs of the same animals")
    seeds = sorted(a)
    return np.array([a[s] for s in seeds]), np.array([b[s] for s in seeds])


def fmt(m) -> str:
    return f"{m[0]:+.3f} [{m[1]:+.3f}, {m[2]:+.3f}]"


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("runs", nargs="+", type=Path, help="pairs of run folders: INTACT LESIONED ...")
    a = ap.parse_args(argv)
    if len(a.runs) % 2:
        raise SystemExit(f"{len(a.runs)} run folders: give them in pairs, INTACT LESIONED")
    print("| intact run | animals | approach, intact | approach, ASE lesioned | salt effect (paired) | "
          "salt effect − first row's |")
    print("|---|---|---|---|---|---|")
    first = None
    for k in range(0, len(a.runs), 2):
        x, y = paired(a.runs[k], a.runs[k + 1])
        d = x - y
        vs = "" if first is None else fmt(bootstrap_diff_ci(first, d, n_boot=N_BOOT, rng=k))
        print(f"| {a.runs[k]} | {len(d)} | {fmt(bootstrap_ci(x, n_boot=N_BOOT, rng=k))} | "
              f"{fmt(bootstrap_ci(y, n_boot=N_BOOT, rng=k))} | **{fmt(bootstrap_ci(d, n_boot=N_BOOT, rng=k))}** | {vs} |")
        first = d if first is None else first
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
