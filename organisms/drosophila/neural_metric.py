"""Neural metric of the grooming task: aBN1 / aDN1 firing against Johnston's organ drive.

Two views, both stated with the edge set they ran on (real v783 or surrogate):

* :func:`jo_frequency_response` — Shiu et al. 2024-style open-loop experiment: the JO-CE neurons
  of one side fire as Poisson processes at each of several rates (Shiu drove sensory neurons at
  10–200 Hz); the rates of the read-out populations (aBN1, aDN1, per side) are measured in the
  whole-brain LIF network. Returns a table (one row per JO rate). In the data, aBN1 and aDN1 fire
  when JO-CE fire (Hampel et al. 2015) — on the real edge list the model is expected to show
  monotonically increasing rates; on the surrogate nothing is expected (no JO → aBN1 → aDN1 path).
* :func:`scorecard_sections` — the closed-loop counterpart for ``cgym score``: per run, the mean
  rates of JO-CE, aBN1 and aDN1 (per side) while the stimulus is on versus off, from the
  recorded ``neural_rates`` of each episode.

    python -m organisms.drosophila.neural_metric [--edges auto|real|surrogate|DIR] [--rates 0,50,100,150,200]
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

READOUT = ("JO-CE", "aBN1", "aDN1")


def jo_frequency_response(edges: str = "auto", rates_hz=(0, 25, 50, 100, 150, 200), side: str = "left",
                          duration_s: float = 1.0, seed: int = 0, readout=READOUT, backend: str = "brian2",
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


# ---------------------------------------------------------------------- scorecard hook
def _episode_rates(npz_path: Path):
    with np.load(npz_path) as z:
        if "neural_rates" not in z.files:
            return None
        rates = z["neural_rates"]
        pops = [str(p) for p in z["neural_populations"]]
        stim = z["stimulus_on"] if "stimulus_on" in z.files else None
    return rates, pops, stim


def scorecard_sections(runs) -> list[dict]:
    """``TaskSpec.sections`` hook: closed-loop JO-CE / aBN1 / aDN1 rates, stimulus on vs off."""
    lines, data = [], {}
    for run in runs:
        info = run.run.get("brain_info") or {}
        if "edge_set" not in info:
            continue
        label = info.get("edge_set_label", "?")
        acc: dict[tuple[str, str], list] = {}
        for ep in run.episodes:
            if ep.get("status") != "ok" or "_path" not in ep:
                continue
            got = _episode_rates(Path(ep["_path"]).with_suffix(".npz"))
            if got is None:
                continue
            rates, pops, stim = got
            if stim is None or len(stim) != len(rates):
                continue
            on = np.asarray(stim).reshape(len(rates), -1).any(axis=1)
            side = (ep.get("task_info") or {}).get("stimulus_side", "?")
            for k, p in enumerate(pops):
                if p.split(":")[0] not in READOUT:
                    continue
                for cond, mask in (("on", on), ("off", ~on)):
                    if mask.any():
                        acc.setdefault((p, f"{side}/{cond}"), []).append(float(rates[mask, k].mean()))
        if not acc:
            continue
        conds = sorted({c for _, c in acc})
        popn = [p for p in dict.fromkeys(p for p, _ in acc)]
        lines.append(f"**{run.brain}** — {label}\n")
        lines.append("| population | " + " | ".join(f"stimulus {c} (Hz)" for c in conds) + " |")
        lines.append("|---|" + "---|" * len(conds))
        for p in popn:
            vals = [np.mean(acc[(p, c)]) if (p, c) in acc else np.nan for c in conds]
            lines.append(f"| {p} | " + " | ".join("—" if np.isnan(v) else f"{v:.1f}" for v in vals) + " |")
        lines.append("")
        data[str(run.path)] = {f"{p}|{c}": float(np.mean(v)) for (p, c), v in acc.items()}
        if info.get("surrogate"):
            lines.append("_Surrogate edge set: these rates say nothing about the fly (no JO → aBN1 → aDN1 "
                         "pathway exists in it); aBN1 is a wiring-derived proxy (cell_types.yaml)._\n")
    sections = _motor_bridge_section(runs)
    if not lines:
        return sections
    intro = ("Closed-loop firing rates (spikes per neuron per s, filtered) of Johnston's organ JO-CE, "
             "aBN1 and aDN1 neurons, per side, while the antennal stimulus is on vs off "
             "(Hampel et al. 2015: JO → aBN1 → aDN1 drives antennal grooming; Shiu et al. 2024 "
             "reproduced it in the whole-brain LIF model).\n\n")
    return sections + [{"title": "Neural metric: aBN1 / aDN1 vs JO drive",
                        "markdown": intro + "\n".join(lines), "data": data}]


def _motor_bridge_section(runs) -> list[dict]:
    """FlyWire has no ventral nerve cord: the env's ``task_info()["motor_bridge"]`` (the VNC
    model's ``describe()``) is a modelling assumption, printed on every fly scorecard."""
    for run in runs:
        for ep in run.episodes:
            text = (ep.get("task_info") or {}).get("motor_bridge")
            if text:
                return [{"title": "Modelling assumption: the motor bridge (no VNC in FlyWire)",
                         "markdown": str(text), "data": {"motor_bridge": str(text)}}]
    return []


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
