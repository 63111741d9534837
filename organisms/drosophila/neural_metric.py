"""Neural metric of the grooming task: aBN1 / aDN1 firing against Johnston's organ drive.

Two views, both stated with the edge set they ran on (real v783 or surrogate):

* :func:`jo_frequency_response` — Shiu et al. 2024-style open-loop experiment: the JO-CE neurons
  of one side fire as Poisson processes at each of several rates (Shiu drove sensory neurons at
  10–200 Hz); the rates of the read-out populations (aBN1, aDN1, per side) are measured in the
  whole-brain LIF network. Returns a table (one row per JO rate). In the data, aBN1 and aDN1 fire
  when JO-CE fire (Hampel et al. 2015) — on the real edge list the model is expected to show
  monotonically increasing rates; on the surrogate nothing is expected (no JO → aBN1 → aDN1 path).
* the closed-loop counterpart for ``cgym score`` (mean JO-CE / aBN1 / aDN1 / aDN2 rates while the
  stimulus is on vs off, from the recorded ``neural_rates``) lives with the task, which only reads
  recordings: ``tasks/grooming/neural.py``. The exact Shiu protocol is ``probe.py``.

    python -m organisms.drosophila.neural_metric [--edges auto|real|surrogate|DIR] [--rates 0,50,100,150,200]
"""

from __future__ import annotations

import argparse
import sys

import numpy as np

from nervous_systems.lif_graph import DEFAULT_LIF_BACKEND

READOUT = ("JO-CE", "aBN1", "aDN1", "aDN2")


def jo_frequency_response(edges: str = "auto", rates_hz=(0, 25, 50, 100, 150, 200), side: str = "left",
                          duration_s: float = 1.0, seed: int = 0, readout=READOUT, backend: str = DEFAULT_LIF_BACKEND,
                          surrogate_seed: int = 0, silence=(), verbose: bool = False) -> dict:
    """Open-loop JO-CE rate sweep. Returns {"rows": [{jo_rate_hz, <pop>:<side>: Hz, ...}],
    "edge_set": ..., "surrogate": bool, "populations": {name: n neurons}}."""
    from .brain import PopulationResolver, load_cell_types
    from .dataset import load_edges

    neurons, es = load_edges(edges, surrogate_seed=surrogate_seed, verbose=verbose)
    resolve = PopulationResolver(neurons, es, load_cell_types())
    pops = {f"{p}:{s}": resolve(f"{p}:{s}") for p in readout for s in ("left", "right")}
    jo = resolve(f"JO-CE:{side}")
    if backend == "torch":
        from nervous_systems.torch_backend.lif import TorchLIFNetwork as Net
    else:
        from nervous_systems.lif_network import LIFNetwork as Net
    net = Net(es.n, es.pre, es.post, es.weight, seed=seed)
    net.set_input_rates(jo, 0.0)
    silenced = np.unique(np.concatenate([resolve(x) for x in silence])) if silence else np.zeros(0, int)
    if len(silenced):
        net.silence(silenced)
    rows = []
    for r in rates_hz:
        net.reset(seed=seed)
        net.set_input_rates(jo, float(r))
        net.run(duration_s)
        c = net.spike_counts()
        row = {"jo_rate_hz": float(r)}
        for name, idx in pops.items():
            row[name] = float(c[idx].sum() / len(idx) / duration_s) if len(idx) else float("nan")
        rows.append(row)
    return {"rows": rows, "edge_set": es.describe(), "edge_set_label": es.label(), "surrogate": bool(es.surrogate),
            "populations": {k: int(len(v)) for k, v in pops.items()}, "stimulated_side": side,
            "duration_s": duration_s, "notes": dict(resolve.notes)}


def table_markdown(result: dict) -> str:
    rows = result["rows"]
    cols = [c for c in rows[0] if c != "jo_rate_hz"]
    head = "| JO-CE rate (Hz) | " + " | ".join(cols) + " |\n|---|" + "---|" * len(cols) + "\n"
    body = "".join(f"| {r['jo_rate_hz']:.0f} | " + " | ".join(f"{r[c]:.1f}" for c in cols) + " |\n" for r in rows)
    return f"Edge set: **{result['edge_set_label']}**\n\n" + head + body


def main(argv=None) -> int:
    p = argparse.ArgumentParser(prog="python -m organisms.drosophila.neural_metric")
    p.add_argument("--edges", default="auto")
    p.add_argument("--rates", default="0,25,50,100,150,200")
    p.add_argument("--side", default="left")
    p.add_argument("--duration", type=float, default=1.0)
    p.add_argument("--silence", nargs="*", default=())
    a = p.parse_args(argv)
    res = jo_frequency_response(a.edges, [float(x) for x in a.rates.split(",")], a.side, a.duration,
                                silence=a.silence, verbose=True)
    print(table_markdown(res))
    return 0


if __name__ == "__main__":
    sys.exit(main())
