"""Backward crawling evoked by holding AVA depolarised: does it need the wiring, the A chain and the tail reflex?

    python -m organisms.c_elegans.tools.evoked_backward --out runs/evoked_backward
    python -m organisms.c_elegans.tools.evoked_backward --seeds 1000-1007 --duration 20 --ava-mV 20 --out DIR
    python -m organisms.c_elegans.tools.evoked_backward --fits runs/fit10b --seeds 13100-13107 --out DIR

``--fits DIR`` judges the parameter files of a set of equal-budget fits that are not installed:
``DIR/connectome/fitted_params.yaml`` replaces the connectome's file (also under the tail-reflex
variant) and ``DIR/shuffled-S/fitted_params.yaml`` shuffle S's.

Each condition runs ``--seeds`` closed-loop episodes of ``celegans/chemotaxis`` through the ordinary
CLI (``python -m runners run``) with ``--activate AVAL AVAR --brain-option activate_mV=X`` (AVA held
X mV above rest, as an optogenetic depolarisation; no other stimulus is added) and reports, per
condition, the mean over animals with a 95 % bootstrap CI over animals of

* ``v_axial``: centroid velocity along the body axis (mm/s, + = towards the head; negative = backward),
* ``bwd``: the backward fraction of the moving time (1 - the episode's forward fraction),
* the curvature wave's direction (+1 head-to-tail, -1 tail-to-head: fraction of animals with -1),
  its wavelength (body lengths; > ~2 = no coherent travelling wave) and frequency.

Conditions (every one on the same seeds; brains with their own default parameter files):

=============================  ==========================================================================
``connectome``                 the registered brain
``connectome, no A class``     ``--lesion VA DA``: the backward motor neurons removed
``connectome, no tail cells``  ``--lesion DA09 VA12``: the two cells that carry the tail reflex removed
``connectome, tail reflex 0``  ``bridge.tail_stretch.gain_mV`` = 0 in a copy of the parameter file
``shuffled S``                 degree-preserving shuffle S with its own fitted file (params/fitted/)
``connectome, not driven``     no AVA drive (the forward state, for reference)
=============================  ==========================================================================

A diagnostic of the backward mechanism (README section 5.1), not a fit: it changes no default.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import yaml

from tasks.statistics import bootstrap_ci

from .scan_backward import add_bridge_entry, axial_velocity

ROOT = Path(__file__).resolve().parents[3]
PARAMS = ROOT / "organisms" / "c_elegans" / "params"
N_BOOT = 4000


def conditions(shuffle_seeds: list[int], fits: Path | None = None) -> list[tuple[str, list[str], bool]]:
    """(label, extra CLI arguments, AVA driven?) for every condition (``fits``: module doc)."""
    conn = ["--brain", "connectome"]
    if fits is not None:
        conn += ["--brain-option", f"params={connectome_params(fits)}"]
    out = [("connectome", conn, True),
           ("connectome, no A class (VA, DA lesioned)", [*conn, "--lesion", "VA", "DA"], True),
           ("connectome, no tail cells (DA09, VA12 lesioned)", [*conn, "--lesion", "DA09", "VA12"], True),
           ("connectome, tail reflex gain 0", ["--brain", "connectome", "--brain-option", "params={tail0}"], True)]
    for s in shuffle_seeds:
        out.append((f"shuffled {s}", shuffled_args(s, fits), True))
    out.append(("connectome, not driven", conn, False))
    return out


def connectome_params(fits: Path | None) -> Path:
    return PARAMS / "connectome.yaml" if fits is None else fits / "connectome" / "fitted_params.yaml"


def shuffled_args(seed: int, fits: Path | None = None) -> list[str]:
    """CLI arguments of the degree-preserving shuffle ``seed`` with its own fitted parameter file."""
    f = PARAMS / "fitted" / f"shuffled-{seed}.yaml" if fits is None else fits / f"shuffled-{seed}" / "fitted_params.yaml"
    return ["--brain", "shuffled", "--brain-option", f"shuffle_seed={seed}", "--brain-option", f"params={f}"]


def run_episodes(label: str, args: list[str], out: Path, seed0: int, n: int, duration: float) -> None:
    """``python -m runners run celegans/chemotaxis ARGS`` for seeds seed0 .. seed0 + n - 1 into ``out``
    (resumes a finished run); a failure is one line naming the condition ``label``."""
    cmd = [sys.executable, "-m", "runners", "run", "celegans/chemotaxis", *args, "--episodes", str(n),
           "--duration", str(duration), "--seed", str(seed0), "--out", str(out), "--no-progress"]
    try:
        subprocess.run(cmd, cwd=ROOT, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    except subprocess.CalledProcessError as e:
        msg = (e.stderr or b"").decode(errors="replace").strip().splitlines()
        raise SystemExit(f"condition {label!r} failed: {msg[-1] if msg else e}") from None


def tail_off_params(out: Path, source: Path = PARAMS / "connectome.yaml") -> Path:
    """A copy of the connectome's parameter file with the tail reflex switched off."""
    doc = yaml.safe_load(source.read_text())
    add_bridge_entry(doc["parameters"], "bridge.tail_stretch.gain_mV", 0.0, unit="mV",
                     source="evoked_backward diagnostic: tail reflex off")
    doc["description"] = "evoked_backward variant of params/connectome.yaml: bridge.tail_stretch.gain_mV = 0"
    path = out / "connectome_tail0.yaml"
    path.write_text(yaml.safe_dump(doc, sort_keys=False))
    return path


def median(x: np.ndarray) -> float:
    x = x[np.isfinite(x)]
    return float(np.median(x)) if len(x) else float("nan")


def run_condition(label: str, args: list[str], driven: bool, out: Path, seed0: int, n: int,
                  duration: float, ava_mV: float) -> list[dict]:
    if driven:
        args = [*args, "--activate", "AVAL", "AVAR", "--brain-option", f"activate_mV={ava_mV}"]
    run_episodes(label, args, out, seed0, n, duration)
    rows = []
    for s in range(seed0, seed0 + n):
        f = json.loads((out / "episodes" / f"ep_{s:04d}.json").read_text()).get("features") or {}
        get = lambda k: float(f[k]) if f.get(k) is not None else float("nan")  # noqa: E731
        rows.append({"seed": s, "v_axial": axial_velocity(out / "episodes" / f"ep_{s:04d}.npz"),
                     "bwd": 1.0 - get("forward_fraction"), "dir": get("wave_direction"),
                     "wavelength": get("wavelength"), "freq": get("undulation_frequency")})
    return rows


def parse_seeds(text: str) -> tuple[int, int]:
    try:
        a, b = (int(x) for x in text.split("-")) if "-" in text else (int(text), int(text))
    except ValueError:
        raise SystemExit(f"--seeds {text!r}: expected FIRST-LAST, e.g. 1000-1007") from None
    if b < a:
        raise SystemExit(f"--seeds {text!r}: LAST < FIRST")
    return a, b - a + 1


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seeds", default="1000-1007", help="episode seeds FIRST-LAST (one animal each)")
    ap.add_argument("--duration", type=float, default=20.0)
    ap.add_argument("--ava-mV", type=float, default=20.0)
    ap.add_argument("--shuffle-seeds", type=int, nargs="*", default=[1, 2, 3])
    ap.add_argument("--out", required=True, type=Path)
    ap.add_argument("--fits", type=Path, help="judge the fitted files of DIR/<brain>/fitted_params.yaml instead of the installed ones")
    a = ap.parse_args(argv)
    seed0, n = parse_seeds(a.seeds)
    if a.fits is not None:
        need = [connectome_params(a.fits)] + [a.fits / f"shuffled-{s}" / "fitted_params.yaml" for s in a.shuffle_seeds]
        missing = [str(p) for p in need if not p.is_file()]
        if missing:
            raise SystemExit(f"--fits {a.fits}: no {missing[0]}")
    a.out.mkdir(parents=True, exist_ok=True)
    tail0 = tail_off_params(a.out, connectome_params(a.fits))
    rng = np.random.default_rng(0)
    table = []
    print(f"AVA held at +{a.ava_mV:g} mV, {n} animals x {a.duration:g} s (seeds {a.seeds}); mean [95 % CI over animals]")
    print("| condition | v_axial mm/s | backward fraction | tail-to-head wave (animals) | wavelength (body lengths) | Hz |")
    print("|---|---|---|---|---|---|")
    for i, (label, args, driven) in enumerate(conditions(a.shuffle_seeds, a.fits)):
        args = [x.format(tail0=tail0) for x in args]
        rows = run_condition(label, args, driven, a.out / f"c{i}", seed0, n, a.duration, a.ava_mV)
        col = lambda k: np.array([r[k] for r in rows], float)  # noqa: E731
        # mean over animals, 95 % CI: animals resampled (one generator for the whole table)
        v = bootstrap_ci(col("v_axial"), n_boot=N_BOOT, rng=rng)
        b = bootstrap_ci(col("bwd"), n_boot=N_BOOT, rng=rng)
        d = col("dir")
        n_back = int(np.sum(d == -1))
        wl, hz = median(col("wavelength")), median(col("freq"))
        table.append({"condition": label, "ava_driven": driven, "animals": rows,
                      "v_axial": v, "backward_fraction": b, "tail_to_head": n_back})
        print(f"| {label} | {v[0]:+.3f} [{v[1]:+.3f}, {v[2]:+.3f}] | {b[0]:.2f} [{b[1]:.2f}, {b[2]:.2f}] "
              f"| {n_back} / {len(rows)} | {wl:.2f} | {hz:.2f} |", flush=True)
    (a.out / "evoked_backward.json").write_text(json.dumps(
        {"seeds": a.seeds, "duration_s": a.duration, "ava_mV": a.ava_mV,
         "fits": str(a.fits) if a.fits else "installed", "conditions": table}, indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
