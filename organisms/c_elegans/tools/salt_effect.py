"""The part of a run's salt approach that needs the salt sense: intact minus ASE-lesioned, same animals.

    python -m organisms.c_elegans.tools.salt_effect INTACT LESIONED [INTACT LESIONED ...]

The approach index, (d_start - d_end) / d_start of the body centroid to the peak, depends on how the animal
moves as much as on where it steers: a worm that circles in place scores about 0, one that crawls
straight in a random direction from 5 mm away scores well below 0, since most directions lead away
(on seeds 15000-15015 the re-centred connectome with ASEL and ASER lesioned scores -0.84; README
section 5.5). Running the same animals (seeds) again with ASEL and ASER lesioned
(``--lesion ASEL ASER``) keeps the movement and removes the salt sense; the per-animal difference is
the salt's effect on the approach. Each pair of run folders (intact, lesioned) must hold the same
seeds. Prints per pair: both approach means and the paired difference, mean [95 % bootstrap CI over
animals]; and for every pair after the first, the first pair's salt effect minus its own (animals
resampled independently). ``--zone-preference`` adds the same table for the zone preference (the
task's feature: the chemotaxis index's continuous form, mean 0 for any dispersal without sensing;
runs recorded before it existed get it from ``python -m runners.scoring.chemotaxis_runs --refeature``).

The salt sense can change how fast an animal moves as well as where it goes, and a slower worm
disperses less. ``--navigation`` adds the same table for a measure that does not depend on speed:
the navigation index, the path-weighted mean cosine between the centroid's displacement (1 s
steps) and the direction to the peak (+1 straight to the peak, -1 straight away, 0 for an animal
that does not move). The second run of a pair need not be a lesion: the same animals on a plate
without a gradient (``--task-option gradient=linear --task-option slope=0``) keep the network
unchanged and remove only the signal.

``--decompose`` splits each pair's salt effect into two parts, per animal and exactly (exploratory;
RECORD.md section 5.8). On 1 s steps of the centroid the approach is L * NI / d0 (L the path length,
NI the navigation index, d0 the start distance; equal to the task's approach feature up to the last
second of the path), so the paired difference (first run − second run)
is, with the symmetric split L1 NI1 − L2 NI2 = (L1 − L2)(NI1 + NI2)/2 + (NI1 − NI2)(L1 + L2)/2:

* *path length*: (L1 − L2) * (NI1 + NI2) / (2 d0) — the salt changes how far the animal goes, and
  its dispersal turns that into approach: a worm that slows down while dispersing away from the peak
  gains approach without steering;
* *direction*: (NI1 − NI2) * (L1 + L2) / (2 d0) — where the path points, whatever the speed: turns,
  reversals, weathervaning, and moving faster on the steps that point up the gradient.

``--power HALF_WIDTH`` says how many animals resolve a salt effect: per pair, the between-animal
s.d. of the paired effect and the animals a 95 % CI of +- HALF_WIDTH needs. A fit does not need
each candidate's effect, only which of two is larger, and its candidates share their training
animals (seeds); with more than one pair (all on the same seeds) a second table gives, for each pair
against the first, the correlation of the two effects over animals, the s.d. of their per-animal
difference, and the animals needed for +- HALF_WIDTH on that difference, against the s.d. and
count that different animals would need (sqrt(sd1^2 + sd2^2)).

``--curving RUN ...`` asks how the path bends on the gradient (exploratory; RECORD.md section 5.8),
per run and animal: the signed curvature of the centroid path (deg/mm, + = counter-clockwise seen
from above the plate), on steps of one undulation (``--curving-window-s``, default 2.5 s), steps
shorter than 0.02 mm and bends above 90 degrees per step (reversals, sharp turns) left out. Its mean
while the concentration at the nose falls (dC < 0 over the two steps) and while it rises, with the
paired difference (falling − rising) over animals with at least four steps of each; and, among the
steps where it falls, its mean with the peak on the left (bearing > 10 degrees) minus on the right
(< −10): weathervaning curves towards the peak whichever side it lies on, so that difference is
> 0, while a bend of one handedness set by the sign of dC is not.

``--windows T [T ...]`` asks how long a fit's training episodes should be (exploratory; README
section 5.7): for each pair and each T (s), the navigation index and the centroid approach
(L * NI / d0) of the first T seconds of every path, the paired salt effect, its between-animal
s.d., the effect per animal in s.d. units (z), and the simulated animal-seconds (both runs) for a
95 % CI of +- a third of that effect, ``2 T ceil((1.96 * 3 / z)^2)``. An effect that builds up
over the episode is cheaper to resolve in long episodes when z grows faster than the square root
of T.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import numpy as np

from tasks.statistics import bootstrap_ci, bootstrap_diff_ci

N_BOOT = 4000


def episode_features(run: Path):
    """(episode file, seed, stored features) for every episode file of a run folder; a folder
    without episodes or an unreadable file is a one-line error naming it."""
    files = sorted((run / "episodes").glob("ep_*.json"))
    if not files:
        raise SystemExit(f"{run}/episodes: no episode files")
    for f in files:
        try:
            feats = json.loads(f.read_text()).get("features") or {}
        except (OSError, ValueError) as e:
            raise SystemExit(f"{f}: {e}") from None
        yield f, int(f.stem.split("_")[1]), feats


def approaches(run: Path) -> dict[int, float]:
    """seed -> the episode's ``approach`` feature, for every episode file of a run folder."""
    return {seed: float(feats["approach"]) for _, seed, feats in episode_features(run)
            if feats.get("approach") is not None}


def on_grid(t: np.ndarray, step_s: float) -> int:
    """Every how many samples of ``t`` one step of ``step_s`` seconds lies (at least 1)."""
    return max(1, int(round(step_s / float(np.median(np.diff(np.asarray(t, float)))))))


def _steps_to_peak(centroid: np.ndarray, t: np.ndarray, peak, step_s: float):
    """The grid points, the displacements and the unit vectors to ``peak`` at their midpoints."""
    p = np.asarray(centroid, float)[::on_grid(t, step_s)]
    d = np.diff(p, axis=0)
    u = np.asarray(peak, float) - 0.5 * (p[1:] + p[:-1])
    u /= np.maximum(np.linalg.norm(u, axis=1, keepdims=True), 1e-12)
    return p, d, u


def first_seconds(centroid: np.ndarray, t: np.ndarray, seconds: float | None):
    """The part of a path recorded in its first ``seconds`` (all of it for None)."""
    if seconds is None:
        return centroid, t
    n = int(np.searchsorted(np.asarray(t, float), float(t[0]) + seconds, side="right"))
    return centroid[:n], t[:n]


def navigation_index(centroid: np.ndarray, t: np.ndarray, peak, step_s: float = 1.0) -> float:
    """Path-weighted mean cosine between displacement (``step_s`` steps) and the direction to ``peak``."""
    return path_terms(centroid, t, peak, step_s)["NI"]


def path_terms(centroid: np.ndarray, t: np.ndarray, peak, step_s: float = 1.0) -> dict[str, float]:
    """Path length ``L`` (mm), start distance ``d0`` (mm) and navigation index ``NI`` of a centroid
    path on ``step_s`` steps; ``L * NI / d0`` is its approach on that grid (module docstring)."""
    p, d, u = _steps_to_peak(centroid, t, peak, step_s)
    L = float(np.linalg.norm(d, axis=1).sum())
    d0 = float(np.linalg.norm(np.asarray(peak, float) - p[0]))
    return {"L": L, "d0": d0, "NI": float((d * u).sum() / L) if L > 0 else 0.0}


def decomposition(first: dict, second: dict) -> dict[str, float]:
    """One animal's paired salt effect (first run − second run) of the centroid approach, split into
    a path-length and a direction part (symmetric, exact); ``first``/``second`` from :func:`path_terms`."""
    d0 = first["d0"]
    terms = {"path length": (first["L"] - second["L"]) * (first["NI"] + second["NI"]) / (2 * d0),
             "direction": (first["NI"] - second["NI"]) * (first["L"] + second["L"]) / (2 * d0)}
    terms["sum (centroid approach)"] = terms["path length"] + terms["direction"]
    return terms


def per_episode(run: Path, measure) -> dict[int, object]:
    """seed -> ``measure(centroid, t, concentration, peak)`` for every episode of a run folder: the
    centroid path (mean of the recorded centerline), its times, the concentration at the nose and
    the peak from the episode's task_info. A missing or unreadable file is named and stops."""
    files = sorted((run / "episodes").glob("ep_*.json"))
    if not files:
        raise SystemExit(f"{run}/episodes: no episode files")
    out = {}
    for f in files:
        try:
            info = json.loads(f.read_text()).get("task_info") or {}
            z = np.load(f.with_suffix(".npz"))
            out[int(f.stem.split("_")[1])] = measure(np.asarray(z["centerline"], float).mean(axis=1),
                                                     z["t"], z["concentration"], info["peak"])
        except (OSError, ValueError, KeyError) as e:
            raise SystemExit(f"{f}: {e}") from None
    return out


def path_terms_of_run(run: Path) -> dict[int, dict]:
    """seed -> :func:`path_terms` of the episode's centroid path."""
    return per_episode(run, lambda c, t, conc, peak: path_terms(c, t, peak))


def curving(centroid: np.ndarray, t: np.ndarray, conc: np.ndarray, peak, window_s: float = 2.5,
            min_step_mm: float = 0.02, max_bend_deg: float = 90.0) -> dict[str, float]:
    """Mean signed path curvature (deg/mm, + counter-clockwise) of one animal over all steps, while
    the concentration falls / rises, and among falling steps with the peak on its left / right
    (module docstring); NaN for a class with fewer than four steps."""
    k = on_grid(t, window_s)
    p, cc = np.asarray(centroid, float)[::k], np.asarray(conc, float)[::k]
    d = np.diff(p, axis=0)
    m = np.linalg.norm(d, axis=1)
    phi = np.arctan2(d[:, 1], d[:, 0])
    bend = np.angle(np.exp(1j * np.diff(phi)))            # wrapped to (-pi, pi]
    ds = 0.5 * (m[1:] + m[:-1])
    ok = (m[1:] > min_step_mm) & (m[:-1] > min_step_mm) & (np.abs(bend) <= np.radians(max_bend_deg))
    curv = np.degrees(bend[ok] / ds[ok])
    dc = (cc[2:] - cc[:-2])[ok]
    heading = phi[:-1][ok] + 0.5 * bend[ok]
    to_peak = np.asarray(peak, float) - p[1:-1][ok]
    bearing = np.degrees(np.angle(np.exp(1j * (np.arctan2(to_peak[:, 1], to_peak[:, 0]) - heading))))

    def mean(sel):
        return float(curv[sel].mean()) if int(sel.sum()) >= 4 else float("nan")
    return {"falling": mean(dc < 0), "rising": mean(dc > 0),
            "falling, peak left": mean((dc < 0) & (bearing > 10)),
            "falling, peak right": mean((dc < 0) & (bearing < -10)),
            "all": float(curv.mean()) if curv.size else float("nan")}


def curving_of_run(run: Path, window_s: float = 2.5) -> list[dict]:
    """:func:`curving` of every episode of a run folder, in seed order."""
    return list(per_episode(run, lambda c, t, conc, peak: curving(c, t, conc, peak, window_s)).values())


def print_curving(runs: list[Path], window_s: float) -> None:
    print(f"\npath curvature, deg/mm (+ = counter-clockwise), steps of {window_s:g} s; mean [95 % CI over "
          "animals] (n animals)\n")
    print("| run | all steps | concentration falling | rising | falling − rising (paired) | "
          "concentration falling: peak on the left − on the right (paired) |")
    print("|---|---|---|---|---|---|")

    def cell(x):
        x = np.asarray(x, float)
        x = x[np.isfinite(x)]
        if x.size < 2:
            return f"— ({x.size})"
        return f"{fmt(bootstrap_ci(x, n_boot=N_BOOT, rng=0))} ({x.size})"
    for run in runs:
        rows = curving_of_run(run, window_s)
        g = {k: np.array([r[k] for r in rows], float) for k in rows[0]}
        print(f"| {run} | {cell(g['all'])} | {cell(g['falling'])} | {cell(g['rising'])} | "
              f"{cell(g['falling'] - g['rising'])} | {cell(g['falling, peak left'] - g['falling, peak right'])} |")


def plot_tracks(runs: list[Path], out: Path) -> Path:
    """One panel per pair of runs: every animal's centroid track in the first run (blue) and the
    second (orange), the start, the peak and the target zone; written to ``out`` (png)."""
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    pairs = [(runs[k], runs[k + 1]) for k in range(0, len(runs), 2)]
    cols = min(3, len(pairs))
    rows = int(np.ceil(len(pairs) / cols))
    fig, axes = plt.subplots(rows, cols, figsize=(max(3.8 * cols, 5.0), 3.8 * rows), squeeze=False)
    for ax, (first, second) in zip(axes.ravel(), pairs):
        for run, color in ((second, "tab:orange"), (first, "tab:blue")):
            for i, c in enumerate(per_episode(run, lambda c, t, conc, peak: c).values()):
                ax.plot(c[:, 0], c[:, 1], color=color, lw=0.6, alpha=0.6,
                        label=run.name if i == 0 else None)
        info = json.loads(next((first / "episodes").glob("ep_*.json")).read_text()).get("task_info") or {}
        peak = info["peak"]
        zone = (info.get("target_zone") or {}).get("radius", 2.0)
        ax.add_patch(plt.Circle(peak, zone, fill=False, ls="--", color="k", lw=0.8))
        ax.plot(*peak, marker="*", color="k", ms=10, ls="none", label="peak")
        ax.plot(0, 0, marker="o", color="k", ms=3, ls="none")
        ax.set_title(f"{first.parent.name}/{first.name}", fontsize=8)
        ax.set_aspect("equal")
        ax.set_xlabel("x (mm)", fontsize=7)
        ax.set_ylabel("y (mm)", fontsize=7)
        ax.tick_params(labelsize=6)
        ax.legend(fontsize=6, loc="best")
    for ax in axes.ravel()[len(pairs):]:
        ax.axis("off")
    fig.suptitle("centroid tracks: first run (blue) against second run (orange)", fontsize=9)
    fig.tight_layout()
    out.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(out, dpi=110)
    plt.close(fig)
    return out


def window_terms(run: Path, windows: list[float]) -> dict[int, dict[float, dict]]:
    """seed -> {T: :func:`path_terms` of the first T seconds of the episode's centroid path}, every
    episode read once for all the windows."""
    return per_episode(run, lambda c, t, conc, peak: {T: path_terms(*first_seconds(c, t, T), peak) for T in windows})


def animal_seconds_for_a_third(z: float, seconds: float) -> float:
    """Simulated animal-seconds (two runs of ``seconds`` per animal) for a normal-approximation 95 %
    CI of +- a third of a paired effect that is ``z`` between-animal s.d. per animal."""
    if not np.isfinite(z) or z == 0:
        return float("inf")
    return 2 * seconds * animals_needed(1.0, abs(z) / 3)


def print_windows(runs: list[Path], windows: list[float]) -> None:
    print("\nsalt effect in the first T seconds of each episode (module docstring, --windows): mean paired "
          "effect, between-animal s.d., z = effect / s.d., and the simulated animal-seconds (both runs) "
          "for a 95 % CI of +- a third of the effect\n")
    print("| first run | second run | T (s) | animals | measure | paired effect | s.d. | z per animal | "
          "animal-s for +- effect/3 |")
    print("|---|---|---|---|---|---|---|---|---|")
    for k in range(0, len(runs), 2):
        pairs = paired_by_seed(runs[k], runs[k + 1], lambda run: window_terms(run, windows)).values()
        for T in windows:
            for name, f in (("navigation index", lambda r: r["NI"]),
                            ("centroid approach", lambda r: r["L"] * r["NI"] / r["d0"])):
                d = np.array([f(a[T]) - f(b[T]) for a, b in pairs])
                sd = float(np.std(d, ddof=1))
                z = float(d.mean() / sd) if sd > 0 else float("nan")
                cost = animal_seconds_for_a_third(z, T)
                print(f"| {runs[k]} | {runs[k + 1].name} | {T:g} | {len(d)} | {name} | {d.mean():+.3f} | {sd:.3f} | "
                      f"{z:+.2f} | {cost:,.0f} |")


def navigation(run: Path) -> dict[int, float]:
    """seed -> navigation index of the episode's centroid path (the peak read from its task_info)."""
    return per_episode(run, lambda c, t, conc, peak: navigation_index(c, t, peak))


def zone_preferences(run: Path) -> dict[int, float]:
    """seed -> the episode's ``zone_preference`` feature (the task's; failed episodes left out, as
    :func:`approaches` does). A run recorded before the feature existed is a one-line error naming
    the command that adds it (``python -m runners.scoring.chemotaxis_runs --refeature RUN``)."""
    out = {}
    for f, seed, feats in episode_features(run):
        if feats.get("approach") is None:
            continue
        if "zone_preference" not in feats:
            raise SystemExit(f"{f}: no zone_preference feature (recorded before it existed); add it with "
                             f"python -m runners.scoring.chemotaxis_runs --refeature {run}")
        if feats["zone_preference"] is not None:
            out[seed] = float(feats["zone_preference"])
    return out


def paired_by_seed(intact: Path, lesioned: Path, measure=None) -> dict[int, tuple[float, float]]:
    """seed -> (the measure in the intact run, in the second run), seeds in order; the two runs
    must hold the same animals."""
    measure = measure or approaches
    a, b = measure(intact), measure(lesioned)
    if set(a) != set(b):
        raise SystemExit(f"{intact} and {lesioned} hold different seeds "
                         f"({sorted(set(a) ^ set(b))[:5]} ...): pair runs of the same animals")
    return {q: (a[q], b[q]) for q in sorted(a)}


def paired(intact: Path, lesioned: Path, measure=None) -> tuple[np.ndarray, np.ndarray]:
    pairs = paired_by_seed(intact, lesioned, measure)
    return np.array([x for x, _ in pairs.values()]), np.array([y for _, y in pairs.values()])


def effects_by_seed(intact: Path, second: Path, measure=None) -> dict[int, float]:
    """seed -> the paired salt effect (intact run minus second run) of that animal."""
    return {q: x - y for q, (x, y) in paired_by_seed(intact, second, measure).items()}


def fmt(m) -> str:
    return f"{m[0]:+.3f} [{m[1]:+.3f}, {m[2]:+.3f}]"


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("runs", nargs="*", type=Path, help="pairs of run folders: INTACT LESIONED ...")
    ap.add_argument("--curving", nargs="+", type=Path, metavar="RUN",
                    help="path curvature by the sign of dC and by the side of the peak, per run")
    ap.add_argument("--curving-window-s", type=float, default=2.5)
    ap.add_argument("--tracks", type=Path, metavar="PNG", help="also draw every pair's tracks into PNG")
    ap.add_argument("--navigation", action="store_true", help="also the speed-independent navigation index")
    ap.add_argument("--zone-preference", action="store_true",
                    help="also the zone preference (the chemotaxis index's continuous form, 0 for any "
                         "dispersal without sensing)")
    ap.add_argument("--decompose", action="store_true",
                    help="also split each salt effect into a path-length and a direction part")
    ap.add_argument("--power", type=float, metavar="HALF_WIDTH",
                    help="also the between-animal s.d. of each pair's paired salt effect and the "
                         "number of animals a fit's salt term would need for a 95 %% CI of +- HALF_WIDTH; "
                         "with more than one pair, also what ranking each pair against the first needs, "
                         "on the same animals and on different ones")
    ap.add_argument("--windows", nargs="+", type=float, metavar="T",
                    help="also the salt effect in the first T seconds of each episode, and what resolving it "
                         "costs per episode length")
    a = ap.parse_args(argv)
    if a.windows is not None and not all(w > 0 for w in a.windows):
        raise SystemExit(f"--windows {' '.join(f'{w:g}' for w in a.windows)}: every T must be > 0 seconds")
    if a.power is not None and not a.power > 0:
        raise SystemExit(f"--power {a.power}: the half-width must be > 0")
    if not a.runs and not a.curving:
        ap.error("give pairs of run folders, or --curving RUN ...")
    if a.curving:
        if not a.curving_window_s > 0:
            raise SystemExit(f"--curving-window-s {a.curving_window_s}: must be > 0")
        print_curving(a.curving, a.curving_window_s)
    if not a.runs:
        return 0
    if len(a.runs) % 2:
        raise SystemExit(f"{len(a.runs)} run folders: give them in pairs, INTACT LESIONED")
    measures = ([("approach", approaches)] + ([("navigation index", navigation)] if a.navigation else [])
                + ([("zone preference", zone_preferences)] if a.zone_preference else []))
    for name, measure in measures:
        print(f"\n{name}, mean [95 % CI over animals]\n")
        print(f"| intact run | second run | animals | {name}, intact | {name}, second run | salt effect (paired) | "
              "first row's salt effect − this row's |")
        print("|---|---|---|---|---|---|---|")
        first = None
        for k in range(0, len(a.runs), 2):
            x, y = paired(a.runs[k], a.runs[k + 1], measure)
            d = x - y
            vs = "" if first is None else fmt(bootstrap_diff_ci(first, d, n_boot=N_BOOT, rng=k))
            print(f"| {a.runs[k]} | {a.runs[k + 1].name} | {len(d)} | {fmt(bootstrap_ci(x, n_boot=N_BOOT, rng=k))} | "
                  f"{fmt(bootstrap_ci(y, n_boot=N_BOOT, rng=k))} | **{fmt(bootstrap_ci(d, n_boot=N_BOOT, rng=k))}** | {vs} |")
            first = d if first is None else first
    if a.decompose:
        print_decomposition(a.runs)
    if a.power is not None:
        print_power(a.runs, measures, a.power)
    if a.windows:
        print_windows(a.runs, a.windows)
    if a.tracks:
        print(f"\ntracks: {plot_tracks(a.runs, a.tracks)}")
    return 0


def animals_needed(sd: float, half_width: float) -> int:
    """Animals for a normal-approximation 95 % CI of +- half_width on a paired mean whose
    between-animal s.d. is sd: ceil((1.96 sd / half_width)^2)."""
    return int(np.ceil((1.96 * sd / half_width) ** 2))


def print_power(runs: list[Path], measures, half_width: float) -> None:
    """How many animals resolve a salt effect: per pair of runs and measure, the between-animal
    s.d. of the paired effect and the animals (and simulated animal-seconds, both runs counted)
    needed for a 95 % CI of +- half_width."""
    print(f"\nsalt effect resolution: animals for a 95 % CI of +-{half_width:g} (normal approximation, "
          "s.d. from these animals)\n")
    print("| intact run | second run | measure | animals | episode s | paired effect s.d. | animals needed | "
          "simulated animal-s (both runs) |")
    print("|---|---|---|---|---|---|---|---|")
    for k in range(0, len(runs), 2):
        dur = episode_seconds(runs[k])
        for name, measure in measures:
            x, y = paired(runs[k], runs[k + 1], measure)
            sd = float(np.std(x - y, ddof=1))
            n = animals_needed(sd, half_width)
            print(f"| {runs[k]} | {runs[k + 1].name} | {name} | {len(x)} | {dur:g} | {sd:.3f} | {n} | "
                  f"{2 * n * dur:,.0f} |")
    if len(runs) > 2:
        print_ranking_power(runs, measures, half_width)


def ranking_spread(first: np.ndarray, other: np.ndarray) -> dict:
    """Two candidates' per-animal salt effects on the same animals (seeds, in the same order):
    the s.d. of the per-animal difference, the s.d. it would have on different animals
    (sqrt(sd1^2 + sd2^2)), and the correlation of the two effects over animals."""
    first, other = np.asarray(first, float), np.asarray(other, float)
    if first.shape != other.shape or len(first) < 3:
        raise ValueError("ranking_spread: the same animals, at least 3, in both")
    sd1, sd2 = np.std(first, ddof=1), np.std(other, ddof=1)
    r = float(np.corrcoef(first, other)[0, 1]) if sd1 > 0 and sd2 > 0 else float("nan")
    return {"sd_same": float(np.std(other - first, ddof=1)), "sd_independent": float(np.hypot(sd1, sd2)),
            "r": r}


def print_ranking_power(runs: list[Path], measures, half_width: float) -> None:
    """What a fit ranks: the difference between two pairs' salt effects. Compared on the same
    animals (the fit's candidates share their training seeds) the per-animal noise that the two
    effects share cancels; this table says how much of it there is, for every pair after the first
    against the first."""
    print(f"\nranking two candidates: the difference of their salt effects, animals for a 95 % CI of "
          f"+-{half_width:g} on the same animals and on different ones (normal approximation)\n")
    print("| first pair | other pair | measure | animals | r of the two effects over animals | "
          "s.d. of the difference, same animals | animals needed, same | s.d., different animals | "
          "animals needed, different |")
    print("|---|---|---|---|---|---|---|---|---|")
    for name, measure in measures:
        first = effects_by_seed(runs[0], runs[1], measure)
        for k in range(2, len(runs), 2):
            other = effects_by_seed(runs[k], runs[k + 1], measure)
            if set(first) != set(other):
                raise SystemExit(f"{runs[0]} and {runs[k]} hold different seeds: rank candidates on the same animals")
            seeds = sorted(first)
            s = ranking_spread([first[q] for q in seeds], [other[q] for q in seeds])
            print(f"| {runs[0].name} | {runs[k].name} | {name} | {len(seeds)} | {s['r']:+.2f} | {s['sd_same']:.3f} | "
                  f"{animals_needed(s['sd_same'], half_width)} | {s['sd_independent']:.3f} | "
                  f"{animals_needed(s['sd_independent'], half_width)} |")


def episode_seconds(run: Path) -> float:
    """The episodes' duration (s) of a run, read from the first episode's features."""
    for f in sorted((run / "episodes").glob("ep_*.json")):
        feats = (json.loads(f.read_text(encoding="utf-8")).get("features") or {})
        if feats.get("duration_s"):
            return float(feats["duration_s"])
    raise SystemExit(f"{run}: no episode with a duration_s feature")


def print_decomposition(runs: list[Path]) -> None:
    names = ["path length", "direction", "sum (centroid approach)"]
    print("\nsalt effect of the centroid approach split into two parts (first run − second run, "
          "per animal; mean [95 % CI over animals]; module docstring)\n")
    print("| first run | second run | animals | path length mm, first / second | "
          + " | ".join(names) + " |")
    print("|---|---|---|---|" + "---|" * len(names))
    for k in range(0, len(runs), 2):
        pairs = list(paired_by_seed(runs[k], runs[k + 1], path_terms_of_run).values())
        rows = [decomposition(a, b) for a, b in pairs]
        cells = [fmt(bootstrap_ci(np.array([r[n] for r in rows]), n_boot=N_BOOT, rng=k)) for n in names]
        la = np.mean([a["L"] for a, _ in pairs])
        lb = np.mean([b["L"] for _, b in pairs])
        print(f"| {runs[k]} | {runs[k + 1].name} | {len(rows)} | {la:.1f} / {lb:.1f} | " + " | ".join(cells) + " |")


if __name__ == "__main__":
    raise SystemExit(main())
