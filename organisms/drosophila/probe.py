"""Open-loop probes of the fly brain: ``cgym probe drosophila --protocol shiu2024``.

**shiu2024** reproduces the antennal-grooming experiment of Shiu et al. 2024 (Nature 634:210,
doi:10.1038/s41586-024-07763-9; Fig. 5g and S4/S5, the authors' ``figures.ipynb`` and ``model.py``
of github.com/philshiu/Drosophila_brain_model) exactly as they ran it:

* **drive**: the 70 Johnston's-organ JO-CE neurons of ``neu_JON_CE`` (all on the left; 69 exist
  in v783, 720575940626307902 does not and is reported, never remapped), each receiving its own
  Poisson spike train (Brian2 ``PoissonInput``, weight ``w_syn × f_poi`` = 68.75 mV on ``v``, no
  refractory period for driven neurons);
* **rates**: 20, 40, …, 220 Hz (``freqs`` of Fig. 5g); **duration** 1 s per trial (``t_run``);
  **trials** 30 (``n_run``), each from rest with a fresh random seed;
* **read-out**: spikes per trial / 1 s, averaged over trials (``utils.get_rate``), of aBN1 =
  720575940630907434, aDN1 = 720575940616185531 and aDN2 = 720575940629806974, plus their
  contralateral homologs and the other aBN/aDN neurons of Özdil et al. 2024 (all pinned in
  ``data/grooming_neurons.csv``; each row names type, soma side, circuit side and root id);
* options Shiu also used: another drive set (``--drive JO-F-Shiu2024``), silencing
  (``--silence CB0496-Shiu2024``, Fig. S5c; ``--silence aBN1``).

The model is the project's Shiu LIF (``nervous_systems/models/lif_shiu2024.yaml``), on whatever
edge set is present; the edge set's label (real v783 with its hash, SURROGATE, SHUFFLED, PLANTED)
heads every table and is in the JSON. On the surrogate the numbers say nothing about the fly.

    python -c "import sys, argparse; from organisms.drosophila import probe; p = argparse.ArgumentParser(); \\
        probe.add_arguments(p); sys.exit(probe.run(p.parse_args()))" --edges surrogate --rates 0,100,200 --trials 3
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np

from nervous_systems.lif_graph import DEFAULT_LIF_BACKEND, LIF_BACKENDS

from . import identities

PROTOCOLS = ("shiu2024",)
SHIU_RATES_HZ = tuple(range(20, 221, 20))     # figures.ipynb, Figure 5g: freqs = [20, 40, ..., 220]
SHIU_TRIALS = 30                               # model.py default_params n_run
SHIU_DURATION_S = 1.0                          # model.py default_params t_run
DEFAULT_DRIVE = "JO-CE-Shiu2024"
READOUT_POPULATIONS = ("aBN1", "aDN1", "aDN2", "aBN2", "aBN3", "aDN3")


class ProbeError(ValueError):
    pass


def edge_set_labels(es) -> list[str]:
    """Labels for every header: SURROGATE / SHUFFLED / PLANTED / real."""
    labels = []
    if es.kind.startswith("shuffled"):
        labels.append(f"SHUFFLED: {es.label()}")
    if es.surrogate:
        labels.append(f"SURROGATE: {es.label()} — nothing here is a claim about the fly")
    if es.details.get("planted"):
        labels.append(f"PLANTED test pathway: {es.details['planted']}")
    if not labels:
        labels.append(es.label())
    return labels


def readout_neurons(neurons, populations=READOUT_POPULATIONS) -> list[dict]:
    """One entry per pinned read-out neuron: identity (type, soma side, circuit side, root id) and
    its model index (None where this neuron table lacks it)."""
    pos = {int(r): i for i, r in enumerate(neurons.root_ids)}
    out = []
    for pop in populations:
        for _, r in identities.rows(pop).iterrows():
            rid = int(r["root_id"])
            out.append({"population": pop, "name": r["name"], "type": r["codex_type"] or r["source_type"],
                        "soma_side": r["soma_side"], "circuit_side": r["circuit_side"], "root_id": rid,
                        "shiu2024_pin": bool(r["shiu2024_pin"]), "index": pos.get(rid)})
    return out


def load(edges: str = "auto", surrogate_seed: int = 0, shuffle_seed: int | None = None, verbose: bool = False):
    from .dataset import load_edges

    neurons, es = load_edges(edges, surrogate_seed=surrogate_seed, verbose=verbose)
    if shuffle_seed is not None:
        from .brain import shuffled_edge_set
        es = shuffled_edge_set(es, int(shuffle_seed))
    return neurons, es


def shiu2024(edges: str = "auto", rates_hz=SHIU_RATES_HZ, trials: int = SHIU_TRIALS,
             duration_s: float = SHIU_DURATION_S, drive: str = DEFAULT_DRIVE, silence=(), seed: int = 0,
             backend: str = DEFAULT_LIF_BACKEND, surrogate_seed: int = 0, shuffle_seed: int | None = None,
             loaded=None, verbose: bool = False, progress=None) -> dict:
    """Run the Shiu 2024 grooming protocol; returns a JSON-able result (rates per read-out
    neuron and drive rate: mean and s.d. over trials)."""
    from .brain import PopulationResolver, load_cell_types

    if int(trials) < 1:
        raise ProbeError(f"trials must be >= 1, got {trials}")
    if not (float(duration_s) > 0 and np.isfinite(float(duration_s))):
        raise ProbeError(f"duration must be a finite number > 0 s, got {duration_s}")
    rates_hz = [float(r) for r in rates_hz]
    if not rates_hz or any(not (np.isfinite(r) and r >= 0) for r in rates_hz):
        raise ProbeError(f"rates must be finite numbers >= 0 Hz, got {rates_hz}")
    t0 = time.perf_counter()
    neurons, es = loaded if loaded is not None else load(edges, surrogate_seed, shuffle_seed, verbose)
    resolve = PopulationResolver(neurons, es, load_cell_types())
    drive_idx = resolve(drive)
    if not len(drive_idx):
        raise ProbeError(f"--drive {drive}: no neuron of this edge set's neuron table matches")
    silenced = np.unique(np.concatenate([resolve(x) for x in silence])) if silence else np.zeros(0, np.int64)
    if silence and not len(silenced):
        raise ProbeError(f"--silence {' '.join(silence)}: no neuron of this edge set's neuron table matches")
    ro = readout_neurons(neurons)
    if backend == "torch":
        from nervous_systems.torch_backend.lif import TorchLIFNetwork as Net
        net = Net(es.n, es.pre, es.post, es.weight, seed=seed)
    elif backend == "event":
        try:
            from nervous_systems.event_lif import EventLIFNetwork as Net
        except ModuleNotFoundError as exc:
            raise ProbeError(f"backend 'event' needs nervous_systems.event_lif ({exc})") from None
        net = Net(es.n, es.pre, es.post, es.weight, seed=seed)
    elif backend != "brian2":
        raise ProbeError(f"backend must be brian2, torch or event, got {backend!r}")
    else:
        from nervous_systems.lif_network import LIFNetwork as Net
        net = Net(es.n, es.pre, es.post, es.weight, seed=seed, record_spikes=False)
    net.set_input_rates(drive_idx, 0.0)
    if len(silenced):
        net.silence(silenced)
    t_build = time.perf_counter() - t0
    idx = np.asarray([r["index"] if r["index"] is not None else 0 for r in ro], np.int64)
    present = np.asarray([r["index"] is not None for r in ro])
    per_rate = []
    drive_rates = []
    for k, rate in enumerate(rates_hz):
        counts = np.zeros((int(trials), len(ro)))
        dcounts = np.zeros(int(trials))
        for tr in range(int(trials)):
            net.reset(seed=seed + 1000 * k + tr)
            net.set_input_rates(drive_idx, rate)
            net.run(float(duration_s))
            c = net.spike_counts()
            counts[tr] = np.where(present, c[idx], np.nan)
            dcounts[tr] = c[drive_idx].mean()
            if progress:
                progress(k * int(trials) + tr + 1, len(rates_hz) * int(trials))
        hz = counts / float(duration_s)
        per_rate.append({"mean": np.nanmean(hz, 0) if present.any() else hz[0],
                         "sd": np.nanstd(hz, 0, ddof=1) if trials > 1 else np.zeros(len(ro))})
        drive_rates.append(float(dcounts.mean() / duration_s))
    missing_drive = []
    if drive.split(":")[0] in identities.populations():
        in_graph = set(neurons.root_ids.tolist())
        missing_drive = [int(i) for i in identities.root_ids(drive.split(":")[0], v783_only=False)
                         if int(i) not in in_graph]
    neurons_out = []
    for j, r in enumerate(ro):
        e = {k: r[k] for k in ("population", "name", "type", "soma_side", "circuit_side", "root_id", "shiu2024_pin")}
        e["in_graph"] = bool(present[j])
        e["rate_hz"] = [float(p["mean"][j]) if present[j] else None for p in per_rate]
        e["sd_hz"] = [float(p["sd"][j]) if present[j] else None for p in per_rate]
        neurons_out.append(e)
    return {
        "schema": "cgym.probe/1", "protocol": "shiu2024", "organism": "drosophila",
        "source": "Shiu et al. 2024, Nature 634:210, doi:10.1038/s41586-024-07763-9 (figures.ipynb Fig. 5g; model.py)",
        "labels": edge_set_labels(es), "edge_set_label": es.label(), "edge_set": es.describe(),
        "surrogate": bool(es.surrogate), "shuffled": es.kind.startswith("shuffled"),
        "drive": {"population": drive, "neurons": int(len(drive_idx)),
                  "root_ids_missing_from_graph": [int(i) for i in missing_drive],
                  "poisson": "one Poisson train per driven neuron, v += w_syn*f_poi (68.75 mV), no refractory period",
                  "measured_rate_hz": drive_rates},
        "rates_hz": rates_hz, "trials": int(trials), "duration_s": float(duration_s), "seed": int(seed),
        "silence": list(silence), "silenced_neurons": int(len(silenced)), "backend": backend,
        "readout": "spikes per trial / duration, mean and s.d. over trials (Shiu utils.get_rate)",
        "neurons": neurons_out, "side_evidence": identities.SIDE_EVIDENCE,
        "wall_s": {"build": round(t_build, 2), "total": round(time.perf_counter() - t0, 2)},
    }


def rate_of(result: dict, population: str, circuit_side: str = "left", pinned_only: bool = True) -> np.ndarray:
    """Mean rate (Hz) per drive rate of a read-out population on one circuit side."""
    sel = [n for n in result["neurons"] if n["population"] == population and n["circuit_side"] == circuit_side
           and n["in_graph"] and (n["shiu2024_pin"] or not pinned_only or population not in identities.SHIU_PINS)]
    if not sel:
        sel = [n for n in result["neurons"] if n["population"] == population and n["circuit_side"] == circuit_side
               and n["in_graph"]]
    if not sel:
        return np.full(len(result["rates_hz"]), np.nan)
    return np.mean([n["rate_hz"] for n in sel], axis=0)


def table_markdown(result: dict) -> str:
    lines = [f"**{lab}**" for lab in result["labels"]]
    d = result["drive"]
    lines += ["", f"Protocol shiu2024 ({result['source']}): drive {d['population']} ({d['neurons']} neurons"
              + (f"; {len(d['root_ids_missing_from_graph'])} pinned id(s) not in this graph: "
                 f"{d['root_ids_missing_from_graph']}" if d["root_ids_missing_from_graph"] else "")
              + f"), Poisson, {result['trials']} trial(s) x {result['duration_s']:g} s per rate"
              + (f"; silenced: {', '.join(result['silence'])} ({result['silenced_neurons']} neurons)" if result["silence"] else "")
              + f"; backend {result['backend']}.", ""]
    rates = result["rates_hz"]
    head = "| neuron | type | soma side | circuit side | root id | " + " | ".join(f"{r:g} Hz" for r in rates) + " |"
    lines += [head, "|---|---|---|---|---|" + "---|" * len(rates)]
    lines.append("| (drive, measured) | | | | | " + " | ".join(f"{x:.1f}" for x in d["measured_rate_hz"]) + " |")
    for n in result["neurons"]:
        name = n["population"] + (" (Shiu pin)" if n["shiu2024_pin"] else "") + f" [{n['name']}]"
        vals = (" | ".join(f"{m:.1f} ± {s:.1f}" if result["trials"] > 1 else f"{m:.1f}"
                           for m, s in zip(n["rate_hz"], n["sd_hz"])) if n["in_graph"]
                else " | ".join("not in graph" for _ in rates))
        lines.append(f"| {name} | {n['type']} | {n['soma_side']} | {n['circuit_side']} | {n['root_id']} | {vals} |")
    lines += ["", f"Rates in Hz (mean ± s.d. over trials). Circuit side: {result['side_evidence']}"]
    return "\n".join(lines) + "\n"


# ---------------------------------------------------------------------- CLI (cgym probe drosophila)
def _floats(text: str) -> list[float]:
    try:
        vals = [float(x) for x in str(text).split(",") if x.strip()]
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected comma-separated numbers, got {text!r}") from None
    if not vals or any(not (np.isfinite(v) and v >= 0) for v in vals):
        raise argparse.ArgumentTypeError(f"expected finite rates >= 0 Hz, got {text!r}")
    return vals


def _positive_int(text: str) -> int:
    try:
        v = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected an integer, got {text!r}") from None
    if v < 1:
        raise argparse.ArgumentTypeError(f"expected an integer >= 1, got {text!r}")
    return v


def _duration(text: str) -> float:
    try:
        v = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected seconds, got {text!r}") from None
    if not (np.isfinite(v) and 0 < v <= 3600):
        raise argparse.ArgumentTypeError(f"expected 0 < seconds <= 3600, got {text!r}")
    return v


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Options of ``cgym probe drosophila`` (called by the runners' probe dispatcher)."""
    parser.add_argument("--protocol", choices=PROTOCOLS, default="shiu2024",
                        help="named open-loop protocol (shiu2024: Shiu et al. 2024 Fig. 5g)")
    parser.add_argument("--edges", default="auto",
                        help="edge set: auto (real if present, else surrogate), real, surrogate, or a folder "
                             "with the Shiu files")
    parser.add_argument("--surrogate-seed", type=int, default=0, help="seed of the surrogate edge set")
    parser.add_argument("--shuffle-seed", type=int, default=None,
                        help="run on a degree-preserving shuffle of the edge set with this seed (None: no shuffle)")
    parser.add_argument("--rates", type=_floats, default=",".join(str(r) for r in SHIU_RATES_HZ),
                        help="drive rates in Hz, comma-separated (Shiu's 20,40,...,220)")
    parser.add_argument("--trials", type=_positive_int, default=SHIU_TRIALS,
                        help="trials per rate (Shiu's n_run)")
    parser.add_argument("--duration", type=_duration, default=SHIU_DURATION_S,
                        help="seconds per trial (Shiu's t_run)")
    parser.add_argument("--drive", default=DEFAULT_DRIVE,
                        help="population to drive (cell_types.yaml name, optionally :left/:right; "
                             "JO-CE-Shiu2024 = Shiu's 70 left JO-CE)")
    parser.add_argument("--silence", nargs="*", default=[],
                        help="populations or FlyWire types to silence (Shiu's silencing; e.g. aBN1, CB0496-Shiu2024)")
    parser.add_argument("--backend", choices=LIF_BACKENDS, default=DEFAULT_LIF_BACKEND,
                        help="simulator backend (event: the event-driven LIF, where installed)")
    parser.add_argument("--seed", type=int, default=0, help="base random seed of the Poisson drive")
    parser.add_argument("--out", default=None, help="write the result as JSON to this file (None: print only)")
    parser.add_argument("--markdown", default=None, help="also write the read-out table as Markdown to this file")


def run(args) -> int:
    """Run the chosen protocol; prints the read-out table. Returns the exit status."""
    from .brain import FlyBrainError
    from .dataset import EdgesNotFound
    from .flywire import FlyWireDataError, UnknownNeuronError

    for path in (args.out, args.markdown):
        if path and Path(path).is_dir():
            print(f"cgym probe drosophila: error: {path} is a folder; give a file name", file=sys.stderr)
            return 2
    try:
        res = shiu2024(edges=args.edges, rates_hz=args.rates, trials=args.trials, duration_s=args.duration,
                       drive=args.drive, silence=tuple(args.silence or ()), seed=args.seed, backend=args.backend,
                       surrogate_seed=args.surrogate_seed, shuffle_seed=args.shuffle_seed, verbose=True)
    except (ProbeError, FlyBrainError, EdgesNotFound, FlyWireDataError, UnknownNeuronError,
            identities.IdentityError) as exc:
        print(f"cgym probe drosophila: error: {exc}", file=sys.stderr)
        return 2
    md = table_markdown(res)
    print(md)
    if args.markdown:
        Path(args.markdown).write_text(md)
    if args.out:
        Path(args.out).write_text(json.dumps(res, indent=1))
        print(f"wrote {args.out}", file=sys.stderr)
    return 0


def main(argv=None) -> int:
    p = argparse.ArgumentParser(prog="python -m organisms.drosophila.probe", description=__doc__.split("\n")[0])
    add_arguments(p)
    return run(p.parse_args(argv))


if __name__ == "__main__":
    sys.exit(main())
