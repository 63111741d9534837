"""Where a class's synapses go, in the Cook 2019 wiring and in its shuffles: layers and path length.

    python -m organisms.c_elegans.tools.wiring_layers
    python -m organisms.c_elegans.tools.wiring_layers --classes ASE AIY AIB --shuffle-seeds 1 2 3 --blocks cell_type

A degree-preserving shuffle keeps every neuron's number of synapses and moves their targets
anywhere; a sensory neuron can then synapse straight onto the body's motor neurons, which in the
real worm it does not. For each wiring (``connectome``; ``shuffled`` with each shuffle seed; with
``--blocks``, the same seeds shuffled within postsynaptic blocks, brain option ``shuffle_blocks``)
and each class, this prints:

* the class's chemical output sections (sum of synapse weights) and the share that lands on each
  Cook 2019 cell type (sensory, interneuron, motor, pharyngeal, unknown), and on the body-wall
  motor neurons (Cook's "ventral cord motor" group: DA, DB, DD, VA, VB, VD, AS) alone;
* the fewest chemical synapses from any neuron of the class to a body-wall motor neuron.

The wirings are the brains' own (``organisms.c_elegans.brain_wiring``: the sign rule, overrides
and shuffle of a run), before a parameter file scales them, so the sections are the data's. A
description of the graphs; it runs no simulation.
"""

from __future__ import annotations

import argparse
import sys
from collections import deque

import numpy as np

from .. import SHUFFLE_BLOCKS, brain_wiring

BODY_WALL_GROUP = "ventral cord motor"
TYPES = ("sensory", "interneuron", "motor", "pharyngeal", "unknown")


def hops_to(connectome, sources: list[str], targets: set[str]) -> float:
    """Fewest chemical synapses from any of ``sources`` to any of ``targets`` (inf if none)."""
    e = connectome.edges_of("chem")
    out: dict[str, list[str]] = {}
    for a, b in zip(e["pre"], e["post"]):
        out.setdefault(a, []).append(b)
    seen = {s: 0 for s in sources}
    q = deque(sources)
    while q:
        a = q.popleft()
        for b in out.get(a, ()):
            if b in seen:
                continue
            seen[b] = seen[a] + 1
            if b in targets:
                return float(seen[b])
            q.append(b)
    return float("inf")


def class_outputs(connectome, cls: str) -> dict:
    nt = connectome.neurons
    members = nt.index[nt["cell_class"] == cls].tolist()
    if not members:
        raise ValueError(f"--classes: no neuron class {cls!r} in {connectome.name}")
    e = connectome.edges_of("chem")
    mine = e[e["pre"].isin(members)]
    total = float(mine["weight"].sum())
    kind = mine["post"].map(nt["cell_type"].astype(str))
    group = mine["post"].map(nt["cook_group"].astype(str))
    share = {t: (float(mine["weight"][kind == t].sum()) / total if total else np.nan) for t in TYPES}
    body = set(nt.index[nt["cook_group"] == BODY_WALL_GROUP])
    return {"sections": total, "share": share,
            "body_wall": float(mine["weight"][group == BODY_WALL_GROUP].sum()) / total if total else np.nan,
            "hops": hops_to(connectome, members, body)}


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--classes", nargs="+", default=["ASE", "AIY", "AIB", "AIZ", "RIA", "AVA", "AVB"], metavar="CLASS")
    ap.add_argument("--shuffle-seeds", nargs="*", type=int, default=[1, 2, 3], metavar="S")
    ap.add_argument("--blocks", choices=SHUFFLE_BLOCKS,
                    help="also the block-constrained shuffles (brain option shuffle_blocks) of the same seeds")
    a = ap.parse_args(argv)
    wirings = [("connectome", None, None)] + [("shuffled", s, None) for s in a.shuffle_seeds]
    if a.blocks:
        wirings += [("shuffled", s, a.blocks) for s in a.shuffle_seeds]
    print("| wiring | class | output sections | onto " + " | onto ".join(TYPES)
          + " | onto body-wall motor neurons | fewest synapses to a body-wall motor neuron |")
    print("|" + "---|" * (4 + len(TYPES)))
    for brain, seed, blocks in wirings:
        label = brain if seed is None else f"shuffled {seed}" + (f" within {blocks}" if blocks else "")
        try:
            c = brain_wiring(brain, shuffle_seed=seed, shuffle_blocks=blocks)
            for cls in a.classes:
                r = class_outputs(c, cls)
                shares = " | ".join(f"{100 * r['share'][t]:.0f} %" for t in TYPES)
                print(f"| {label} | {cls} | {r['sections']:.0f} | {shares} | {100 * r['body_wall']:.0f} % | {r['hops']:.0f} |")
        except ValueError as e:
            print(f"error: {e}", file=sys.stderr)
            return 2
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
