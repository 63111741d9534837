"""Re-centre chosen neuron classes on their own closed-loop operating point (a rule, not a fit).

    python -m organisms.c_elegans.tools.recentre --brain connectome --out runs/recentre/connectome
    python -m organisms.c_elegans.tools.recentre --brain shuffled --shuffle-seed 2 --out runs/recentre/shuffled-2
    python -m organisms.c_elegans.tools.recentre --brain connectome --params FILE --classes AIY AIZ AIB AIA RIA RIB \\
        --iterations 6 --damping 0.5 --seeds 1000-1001 --duration 30 --out DIR

Kunert, Shlizerman & Kutz 2014 (doi:10.1103/PhysRevE.89.052805) place every neuron's release
threshold V_th at its equilibrium potential, so that at rest each neuron sits in the middle of its
sigmoid, where a small input changes its release the most. A fitted parameter set can move neurons
far from that point: in the installed gait fit AIY is saturated and AIZ, AIB, AIA and RIA are
silent (``tools/operating_point``; RECORD.md section 5.4). This tool applies the Kunert convention to
chosen classes, in the closed loop: it runs the brain on the task (training seeds), measures each
class's mean V - V_th over its neurons and over time (t > 5 s), and shifts the class's
``class.<CLASS>.threshold_mV`` by that amount, so that the class works around phi = 0.5. The
operating point moves when thresholds move (the classes drive each other), so this is repeated
``--iterations`` times, each time moving by ``--damping`` (default half) of the measured distance
(with the full distance RIA overshoots from silent to saturated and back: it is driven by the head
motor neurons it drives). Nothing is fitted and nothing is chosen per edge: one shift per class,
given by the rule, applied the same way to every brain.

Writes into ``--out``: ``iter_K/`` (the runs), ``params_K.yaml`` (the parameter file each
iteration ran with) and ``recentred.yaml`` (the result, with the rule, classes, seeds and command in
its ``description``); prints each class's mean phi and V - V_th per iteration.
"""

from __future__ import annotations

import argparse
import copy
import sys
from pathlib import Path

import numpy as np
import yaml

from .. import SHUFFLE_BLOCKS, SHUFFLED_DEFAULT_SEED
from ..params import ParamsFileError, default_params_path
from .evoked_backward import parse_seeds, run_episodes
from .operating_point import census, load_potentials, thresholds

# the head interneurons of the salt-chemotaxis circuit, first and second layer (Gray et al. 2005,
# doi:10.1073/pnas.0409009101; Iino & Yoshida 2009, doi:10.1523/JNEUROSCI.3633-08.2009)
CLASSES = ["AIY", "AIZ", "AIB", "AIA", "RIA", "RIB"]
AFTER_S = 5.0
BOUND_MV = 80.0


def installed_params(brain: str, shuffle_seed: int | None) -> Path:
    """The file the registered brain loads by default (``params.default_params_path``; ``shuffled``
    without a seed is the brain's default shuffle)."""
    if brain == "shuffled" and shuffle_seed is None:
        shuffle_seed = SHUFFLED_DEFAULT_SEED
    try:
        return default_params_path(brain, shuffle_seed)
    except ParamsFileError as e:
        raise SystemExit(f"--brain {brain!r}: {e}") from None


def shift_thresholds(doc: dict, shifts: dict[str, float], note: str) -> dict:
    """A copy of a parameter document with ``class.<C>.threshold_mV`` moved by ``shifts[C]`` mV
    (the entry is added at 0 first if the file lacks it; hand-set, not fittable)."""
    out = copy.deepcopy(doc)
    p = out.setdefault("parameters", {})
    for cls, d in shifts.items():
        name = f"class.{cls}.threshold_mV"
        e = dict(p.get(name) or {"value": 0.0, "unit": "mV"})
        v = float(e["value"]) + float(d)
        if not -BOUND_MV <= v <= BOUND_MV:
            raise SystemExit(f"{name}: the rule asks for {v:+.1f} mV, outside ±{BOUND_MV:g} mV")
        e.update(value=v, bounds=[-BOUND_MV, BOUND_MV], fit=False, source=note)
        p[name] = e
    return out


def class_means(run_dir: Path, classes: list[str]) -> dict[str, dict[str, float]]:
    """Per class: mean phi and mean V - V_th (mV) over its neurons and over t > AFTER_S of every episode."""
    names, v_th, beta, conn = thresholds(run_dir)
    c = census(load_potentials(run_dir, names, AFTER_S, None), v_th, beta)
    out = {}
    for cls in classes:
        idx = [names.index(n) for n in conn.resolve([cls]) if n in names]
        if not idx:
            raise SystemExit(f"--classes: {cls!r} has no neuron in this brain (lesioned?)")
        out[cls] = {"phi": float(c["phi"][idx].mean()), "dv": float(c["dv"][idx].mean())}
    return out


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--brain", default="connectome", help="connectome, shuffled or no-nerve-ring")
    ap.add_argument("--shuffle-seed", type=int, default=None, help="with --brain shuffled (default 1)")
    ap.add_argument("--shuffle-blocks", choices=SHUFFLE_BLOCKS, default=None,
                    help="with --brain shuffled: the block-constrained shuffle (brain option shuffle_blocks)")
    ap.add_argument("--params", type=Path, default=None, help="start file (default: the brain's installed file)")
    ap.add_argument("--classes", nargs="+", default=CLASSES)
    ap.add_argument("--iterations", type=int, default=6)
    ap.add_argument("--damping", type=float, default=0.5,
                    help="fraction of the measured V - V_th moved per iteration (1 = all; RIA overshoots then)")
    ap.add_argument("--seeds", default="1000-1001", help="training seeds FIRST-LAST (the fits' training animals)")
    ap.add_argument("--duration", type=float, default=30.0)
    ap.add_argument("--out", required=True, type=Path)
    a = ap.parse_args(argv)
    if not 0 < a.damping <= 1:
        raise SystemExit(f"--damping {a.damping}: expected a fraction in (0, 1]")
    if a.iterations < 1 or not a.duration > AFTER_S:
        raise SystemExit(f"--iterations {a.iterations} --duration {a.duration}: need >= 1 and > {AFTER_S:g} s")
    if (a.shuffle_seed is not None or a.shuffle_blocks) and a.brain != "shuffled":
        raise SystemExit("--shuffle-seed and --shuffle-blocks are for --brain shuffled")
    if a.shuffle_blocks and a.params is None:
        raise SystemExit("--shuffle-blocks: give --params (a block shuffle has no installed file of its own)")
    seed0, n = parse_seeds(a.seeds)
    start = a.params or installed_params(a.brain, a.shuffle_seed)
    try:
        doc = yaml.safe_load(start.read_text())
    except (OSError, yaml.YAMLError) as e:
        raise SystemExit(f"--params {start}: {e}") from None
    brain_args = (["--brain", a.brain] + (["--brain-option", f"shuffle_seed={a.shuffle_seed}"] if a.shuffle_seed is not None else [])
                  + (["--brain-option", f"shuffle_blocks={a.shuffle_blocks}"] if a.shuffle_blocks else []))
    cmd = "python -m organisms.c_elegans.tools.recentre " + " ".join(sys.argv[1:] if argv is None else argv)
    note = f"recentre rule (tools/recentre.py): class moved to its closed-loop operating point; {cmd}"
    a.out.mkdir(parents=True, exist_ok=True)
    print(f"{a.brain}{'' if a.shuffle_seed is None else f' {a.shuffle_seed}'}{f' within {a.shuffle_blocks}' if a.shuffle_blocks else ''} from {start}; classes {' '.join(a.classes)}; "
          f"seeds {a.seeds} x {a.duration:g} s; phi (V - V_th mV) per class and iteration")
    print("| iteration | " + " | ".join(a.classes) + " |")
    print("|---|" + "---|" * len(a.classes))
    for k in range(a.iterations + 1):
        pfile = a.out / f"params_{k}.yaml"
        pfile.write_text(yaml.safe_dump(doc, sort_keys=False))
        run_dir = a.out / f"iter_{k}"
        run_episodes(f"iteration {k}", [*brain_args, "--brain-option", f"params={pfile}"], run_dir, seed0, n, a.duration)
        m = class_means(run_dir, a.classes)
        print(f"| {k} | " + " | ".join(f"{m[c]['phi']:.2f} ({m[c]['dv']:+.1f})" for c in a.classes) + " |", flush=True)
        if k == a.iterations:
            break
        doc = shift_thresholds(doc, {c: a.damping * m[c]["dv"] for c in a.classes}, note)
    doc["description"] = (f"{start.name} with the thresholds of {', '.join(a.classes)} re-centred on their closed-loop "
                          f"operating point ({a.iterations} iterations, damping {a.damping:g}, seeds {a.seeds}, {a.duration:g} s): {cmd}")
    out = a.out / "recentred.yaml"
    out.write_text(yaml.safe_dump(doc, sort_keys=False))
    print(f"wrote {out} (the file of iteration {a.iterations})")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
