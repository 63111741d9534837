"""One markdown row per chemotaxis run folder: index, approach, crawling and reversal klinokinesis.

    python -m runners.scoring.chemotaxis_runs runs/fresh7000/connectome-start runs/fresh7000/connectome-start-noAIZ

For each ``cgym run`` / ``cgym sweep`` condition folder (its ``episodes/ep_*.json``), with the
project's own population estimators (:mod:`tasks.chemotaxis.features`): the chemotaxis index and
the approach index with their bootstrap CIs over animals, the episode means of centroid speed,
undulation frequency, forward fraction and reversal rate, and reversal klinokinesis pooled over animals as
Pierce-Shimomura et al. 1999 pooled tracks (:func:`~tasks.chemotaxis.features.pooled_klinokinesis`
with ``event="reversal"``: reversals and time at risk summed per sign of dC/dt, index =
(r₋ − r₊)/(r₋ + r₊), bootstrap CI over animals). With ``--weathervane``, one more column: the
mean over animals of each animal's weathervane slope (path curvature against bearing to the peak,
the ``weathervane_slope`` feature, (deg/mm)/deg, > 0 = curving towards the peak; animals whose slope
is undefined are left out and counted) with its bootstrap CI over animals. With
``--zone-preference``, one more column: the mean ``zone_preference`` (the chemotaxis index's
continuous form, +1 at the peak, -1 at its mirror image through the start, mean 0 for any dispersal
without sensing) with its bootstrap CI over animals ("—" for runs recorded before the feature
existed). ``--refeature`` first adds to every episode of the given folders the features introduced
since it was recorded: it recomputes the task's features from the episode's recording (``.npz``)
and writes back only the keys the stored ``features`` lack; stored values are never changed. With ``--compare``, a second table: for every run after the first, the first run's
pooled reversal klinokinesis index minus this run's, with a bootstrap CI that resamples the two
runs' animals independently (:func:`~tasks.chemotaxis.features.klinokinesis_difference`). The tables of the worm README (organisms/c_elegans), sections 4.2–4.2c,
are this tool's output (organisms may not import tasks, so it lives here).
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np

from tasks.chemotaxis.features import (approach_index, chemotaxis_index, extract_features, klinokinesis_difference,
                                      pooled_klinokinesis)
from tasks.statistics import bootstrap_ci

HEADER = ("| run | animals | chemotaxis index | approach | speed mm/s | Hz | forward fraction | reversals/min "
          "| reversals at dC/dt < 0 / > 0 | pooled rate/min at dC/dt < 0 / > 0 "
          "| reversal klinokinesis index [95 % CI] |")
WEATHERVANE_HEADER = " weathervane slope (deg/mm)/deg [95 % CI] (animals) |"
ZONE_HEADER = " zone preference [95 % CI] |"


def load_features(run: Path) -> list[dict]:
    files = sorted((run / "episodes").glob("ep_*.json"))
    if not files:
        raise ValueError(f"{run}: no episodes/ep_*.json (not a run folder?)")
    return [json.loads(f.read_text()).get("features") or {} for f in files]


def _ci(d: dict, nd: int = 2) -> str:
    if not np.isfinite(d.get("value", d.get("index", np.nan))):
        return "—"
    v = d.get("value", d.get("index"))
    return f"{v:+.{nd}f} [{d['ci_low']:+.{nd}f}, {d['ci_high']:+.{nd}f}]"


def values(feats: list[dict], key: str) -> np.ndarray:
    """One feature over the animals, NaN where an episode has none."""
    return np.array([np.nan if f.get(key) is None else f[key] for f in feats], float)


def weathervane_cell(feats: list[dict]) -> str:
    """Mean weathervane slope over the animals that have one, its bootstrap CI, and how many."""
    v = values(feats, "weathervane_slope")
    n = int(np.isfinite(v).sum())
    if n == 0:
        return f"— (0 of {len(feats)})"
    est, lo, hi = bootstrap_ci(v, np.mean)
    return f"{est:+.4f} [{lo:+.4f}, {hi:+.4f}] ({n} of {len(feats)})"


def zone_cell(feats: list[dict], digits: int = 3) -> str:
    """Mean zone preference over the animals that have one, with its bootstrap CI."""
    v = values(feats, "zone_preference")
    if not np.isfinite(v).any():
        return "—"
    est, lo, hi = bootstrap_ci(v, np.mean)
    return f"{est:+.{digits}f} [{lo:+.{digits}f}, {hi:+.{digits}f}]"


def row(run: Path | list[Path], label: str | None = None, digits: int = 2,
        weathervane: bool = False, zone: bool = False) -> str:
    """The row of one run folder, or of several pooled as one population (a list: their animals
    together, e.g. one condition run as two halves of its seeds)."""
    runs = run if isinstance(run, list) else [run]
    feats = [f for r in runs for f in load_features(r)]
    mean = lambda k: float(np.nanmean(values(feats, k)))  # noqa: E731
    k = pooled_klinokinesis(feats, event="reversal")
    return (f"| {label or runs[0].name} | {len(feats)} | {_ci(chemotaxis_index(feats), digits)} | {_ci(approach_index(feats), digits)} "
            f"| {mean('centroid_speed'):.3f} | {mean('undulation_frequency'):.2f} | {mean('forward_fraction'):.2f} "
            f"| {mean('reversal_rate'):.2f} "
            f"| {k['n_events_neg']} / {k['n_events_pos']} | {k['rate_neg']:.2f} / {k['rate_pos']:.2f} | {_ci(k)} |"
            + (f" {weathervane_cell(feats)} |" if weathervane else "")
            + (f" {zone_cell(feats, max(digits, 3))} |" if zone else ""))


def refeature(run: Path) -> tuple[int, list[str]]:
    """Add to every recorded episode of ``run`` the task features its stored ``features`` lack
    (recomputed from its ``.npz``); returns (episodes changed, names added). Stored values stay;
    an episode without features (failed) or without a recording is left alone."""
    files = sorted((run / "episodes").glob("ep_*.json"))
    if not files:
        raise ValueError(f"{run}: no episodes/ep_*.json (not a run folder?)")
    changed, added = 0, set()
    for f in files:
        ep = json.loads(f.read_text())
        stored = ep.get("features")
        npz = f.with_suffix(".npz")
        if not stored or not npz.exists():
            continue
        with np.load(npz, allow_pickle=False) as z:
            fresh = extract_features({k: z[k] for k in ("t", "centerline", "concentration")},
                                     ep.get("task_info") or {})
        new = {k: v for k, v in fresh.items() if k not in stored}
        if new:
            stored.update({k: (None if v != v else v) for k, v in new.items()})
            f.write_text(json.dumps(ep, indent=1))
            changed += 1
            added |= set(new)
    return changed, sorted(added)


def compare_rows(runs: list[Path], labels: list[str]) -> list[str]:
    """The ``--compare`` table: the first run's reversal klinokinesis index minus each other run's."""
    first = load_features(runs[0])
    out = [f"| run | {labels[0]}'s reversal klinokinesis index − this run's [95 % CI] |", "|---|---|"]
    for run, label in zip(runs[1:], labels[1:]):
        out.append(f"| {label} | {_ci(klinokinesis_difference(first, load_features(run), event='reversal'))} |")
    return out


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("runs", nargs="+", type=Path, help="run folders (each with episodes/ep_*.json)")
    ap.add_argument("--digits", type=int, default=2, choices=range(1, 6), metavar="N",
                    help="decimals of the chemotaxis and approach indices and their CIs (default 2)")
    ap.add_argument("--pool", metavar="LABEL",
                    help="one row for all the run folders together, their animals pooled (e.g. one "
                         "condition run as two halves of its seeds)")
    ap.add_argument("--weathervane", action="store_true",
                    help="add a column: the mean weathervane slope over animals with its CI")
    ap.add_argument("--refeature", action="store_true",
                    help="first add the features introduced since each episode was recorded (from its .npz)")
    ap.add_argument("--compare", action="store_true",
                    help="also the first run's reversal klinokinesis index minus every other run's, with its CI")
    ap.add_argument("--zone-preference", action="store_true",
                    help="add a column: the mean zone preference over animals with its CI")
    a = ap.parse_args(argv)
    if a.refeature:
        for run in a.runs:
            try:
                n, names = refeature(run)
            except (OSError, ValueError, KeyError) as e:
                print(f"error: {e}", file=sys.stderr)
                return 2
            print(f"{run}: {n} episode(s) given {', '.join(names) if names else 'no new features'}", file=sys.stderr)
    header = HEADER + (WEATHERVANE_HEADER if a.weathervane else "") + (ZONE_HEADER if a.zone_preference else "")
    print(header)
    print("|" + "---|" * (header.count("|") - 1))
    names = [r.name for r in a.runs]
    # two runs of the same name are told apart by their parent folder
    rows = ([(list(a.runs), a.pool)] if a.pool else
            [(run, f"{run.parent.name}/{run.name}" if names.count(run.name) > 1 else run.name) for run in a.runs])
    for run, label in rows:
        try:
            print(row(run, label, a.digits, a.weathervane, a.zone_preference))
        except (OSError, ValueError) as e:
            print(f"error: {e}", file=sys.stderr)
            return 2
    if a.compare:
        if a.pool or len(a.runs) < 2:
            print("error: --compare needs at least two run folders and no --pool", file=sys.stderr)
            return 2
        print()
        print("\n".join(compare_rows(list(a.runs), [label for _, label in rows])))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
