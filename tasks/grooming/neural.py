"""Scorecard section of the grooming task: the brain's own read-out and motor model, from recordings.

``cgym score`` calls :func:`scorecard_sections` (``TaskSpec.sections``). It reads only what the
runner saved (``run.json`` brain_info, each episode's ``.npz``): no organism is imported, so the
task stays brain-agnostic. A brain without neural recordings simply gets no neural section.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

READOUT = ("JO-CE", "aBN1", "aDN1", "aDN2")


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
        if str(info.get("edge_set", {}).get("kind", "")).startswith("shuffled"):
            label = f"SHUFFLED control — {label}"
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
                         "pathway exists in it); aBN1/aDN1/aDN2 are pinned by root id (grooming_neurons.csv)._\n")
    sections = _motor_bridge_section(runs)
    if not lines:
        return sections
    intro = ("Closed-loop firing rates (spikes per neuron per s, filtered) of Johnston's organ JO-CE, "
             "aBN1, aDN1 and aDN2 neurons (pinned by root id; sides are circuit sides), per side, while the antennal stimulus is on vs off "
             "(Hampel et al. 2015: JO → aBN1 → aDN1 drives antennal grooming; Shiu et al. 2024 "
             "reproduced it in the whole-brain LIF model).\n\n")
    return sections + [{"title": "Neural metric: aBN1 / aDN1 vs JO drive",
                        "markdown": intro + "\n".join(lines), "data": data}]


def _motor_bridge_section(runs) -> list[dict]:
    """FlyWire has no ventral nerve cord: the brain's motor model (the VNC model's ``describe()``,
    in ``brain_info['vnc']`` of the connectome brains and ``['motor_bridge']`` of the reflex brain)
    is a modelling assumption, printed on every fly scorecard. The env has none (it takes
    actuator targets), so the statement comes from the brain, never from the task."""
    for run in runs:
        info = run.run.get("brain_info") or {}
        text = info.get("vnc") or info.get("motor_bridge")
        if text:
            return [{"title": "Modelling assumption: the motor bridge (no VNC in FlyWire)",
                     "markdown": str(text), "data": {"motor_bridge": str(text)}}]
    return []
