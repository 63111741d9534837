"""Where each neuron class works in the closed loop: silent, in range, or saturated?

    python -m organisms.c_elegans.tools.operating_point runs/virtual_aiy20/b0_dark
    python -m organisms.c_elegans.tools.operating_point RUN [RUN ...] --after 5 --classes AIY RIA SMD --report PREFIX

A graded synapse releases in proportion to phi = 1 / (1 + exp(-beta (V - V_th))) of its presynaptic
neuron (Kunert et al. 2014, doi:10.1103/PhysRevE.89.052805). A neuron whose phi stays near 0
(silent) or near 1 (saturated) passes no change of its input on to its targets: a depolarising
input to a saturated neuron, or any small input to a silent one, is lost at its synapses. This tool
reads the membrane potentials recorded in a run's episodes (``neural_v``, t > ``--after`` s),
rebuilds the run's brain from its ``run.json`` (brain and brain options, so fitted thresholds,
lesions and the bridge are the run's own) to get each neuron's V_th and beta, and prints per class:

* ``phi``: mean release activation (0-1) over time and the class's neurons,
* ``silent`` / ``saturated``: fraction of time with phi < 0.05 / > 0.95,
* ``V - V_th``: mean distance of the potential from the release threshold (mV),
* ``sd V``: mean standard deviation of the potential over time (mV): how much it moves at all.

Then the number of neurons (of all 302) that are silent or saturated for more than 90 % of the time.
A diagnostic of the parameter set in the closed loop; it changes nothing.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import brian2 as b2
import numpy as np

from nervous_systems.brain import make_brain

SILENT, SATURATED, MOSTLY = 0.05, 0.95, 0.9
# the salt-chemotaxis and locomotion circuit, sensory to motor (Gray 2005; Iino & Yoshida 2009)
CLASSES = ["ASE", "AWC", "AIY", "AIZ", "AIB", "AIA", "RIA", "RIB", "RIM", "RIV", "SMD", "RMD", "SMB",
           "AVA", "AVD", "AVE", "AVB", "PVC", "DA", "VA", "DB", "VB", "DD", "VD"]


def thresholds(run_dir: Path, control_dt: float = 0.01) -> tuple[list[str], np.ndarray, float, object]:
    """(neuron names, V_th in mV, beta in 1/mV, connectome) of the brain a run was made with."""
    try:
        cfg = json.loads((run_dir / "run.json").read_text())["config"]
    except (OSError, KeyError, ValueError) as e:
        raise SystemExit(f"{run_dir}/run.json: {e}") from None
    if cfg.get("organism") != "celegans":
        raise SystemExit(f"{run_dir}: a {cfg.get('organism')!r} run; this tool reads C. elegans runs")
    b = make_brain(cfg["brain"], "celegans", None, None, control_dt=control_dt, **(cfg.get("brain_options") or {}))
    try:
        b.reset(0)
        net = b.network
        # the rest state carries the thresholds the backend uses (V); beta is a Brian2 quantity (1/V)
        beta_per_mV = float(net.namespace["beta"] * b2.mV)
        return list(net.names), np.asarray(net.rest.V_th, float) * 1e3, beta_per_mV, net.connectome
    finally:
        b.close()


def release_activation(v_mV: np.ndarray, v_th_mV: np.ndarray, beta_per_mV: float) -> np.ndarray:
    """phi = 1 / (1 + exp(-beta (V - V_th))), elementwise; V (T, N) and V_th (N,) in mV."""
    return 1.0 / (1.0 + np.exp(-beta_per_mV * (np.asarray(v_mV, float) - v_th_mV)))


def load_potentials(run_dir: Path, names: list[str], after: float, max_episodes: int | None) -> list[np.ndarray]:
    files = sorted((run_dir / "episodes").glob("ep_*.npz"))[:max_episodes]
    if not files:
        raise SystemExit(f"{run_dir}/episodes: no episode files")
    out = []
    for f in files:
        z = np.load(f)
        if "neural_v" not in z:
            raise SystemExit(f"{f}: no neural_v recorded")
        if [str(x) for x in z["neural_names"]] != names:
            raise SystemExit(f"{f}: its neurons differ from the brain rebuilt from run.json")
        unit = str(z["neural_unit"]) if "neural_unit" in z else "mV"
        v = np.asarray(z["neural_v"], float) * (1e3 if unit.strip().lower() == "v" else 1.0)
        out.append(v[np.asarray(z["neural_t"], float) > after])
    return out


def census(v_list: list[np.ndarray], v_th: np.ndarray, beta: float) -> dict[str, np.ndarray]:
    """Per neuron: mean phi, fractions of time silent / saturated, mean V - V_th, mean sd of V."""
    v = np.concatenate(v_list)
    phi = release_activation(v, v_th, beta)
    return {"phi": phi.mean(0), "silent": (phi < SILENT).mean(0), "saturated": (phi > SATURATED).mean(0),
            "dv": (v - v_th).mean(0), "sd": np.mean([x.std(0) for x in v_list], axis=0)}


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("runs", nargs="+", type=Path, help="run folders (run.json + episodes/ep_*.npz)")
    ap.add_argument("--after", type=float, default=5.0, help="skip the first seconds of each episode")
    ap.add_argument("--episodes", type=int, default=None, help="read at most this many episodes per run")
    ap.add_argument("--classes", nargs="+", default=CLASSES)
    ap.add_argument("--report", type=Path, help="also write the tables to REPORT.md")
    a = ap.parse_args(argv)
    lines: list[str] = []
    for run in a.runs:
        names, v_th, beta, conn = thresholds(run)
        c = census(load_potentials(run, names, a.after, a.episodes), v_th, beta)
        lines += [f"### {run}", "",
                  f"t > {a.after:g} s; phi = release activation (0 silent … 1 saturated); silent phi < {SILENT}, "
                  f"saturated phi > {SATURATED}", "",
                  "| class | phi | silent | saturated | V − V_th (mV) | sd V (mV) |", "|---|---|---|---|---|---|"]
        for cls in a.classes:
            try:
                idx = [names.index(n) for n in conn.resolve([cls]) if n in names]
            except Exception:  # noqa: BLE001 - an unknown class name is reported, not fatal
                idx = []
            if not idx:
                lines.append(f"| {cls} | — | — | — | — | — |")
                continue
            lines.append(f"| {cls} | {c['phi'][idx].mean():.2f} | {c['silent'][idx].mean():.2f} | "
                         f"{c['saturated'][idx].mean():.2f} | {c['dv'][idx].mean():+.1f} | {c['sd'][idx].mean():.1f} |")
        lines += ["", f"neurons silent > {MOSTLY:.0%} of the time: {int((c['silent'] > MOSTLY).sum())} of {len(names)}; "
                  f"saturated > {MOSTLY:.0%}: {int((c['saturated'] > MOSTLY).sum())}", ""]
    text = "\n".join(lines)
    print(text)
    if a.report is not None:
        args = sys.argv[1:] if argv is None else [str(x) for x in argv]
        cmd = "python -m organisms.c_elegans.tools.operating_point " + " ".join(args)
        a.report.with_suffix(".md").write_text(f"`{cmd}`\n\n" + text + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
