"""Brain-alone speed of the three Shiu 2024 LIF backends on ONE graph in ONE process, interleaved,
so that their ratios hold on a loaded machine:

    python -m nervous_systems.lif_backends_bench [--backends event,torch,brian2] [--neurons 138639]
        [--duration 0.5] [--rounds 2] [--driven 200] [--rate 150] [--torch-threads 1] [--json F]

The graph is generated in memory with the fly's per-edge statistics
(``torch_backend.random_graph.fly_like_graph``: 138,639 neurons, 15,091,983 edges by default) —
a benchmark graph, not the connectome. ``--driven`` random neurons get Poisson drive at ``--rate``
(Shiu's activation protocol). Every network is built, warmed up (Brian2 compiles its code, the
event kernel is loaded), then timed for ``--duration`` simulated seconds per round, backends in
turn; the table gives each backend's median over rounds and its speed relative to Brian2.
(``runners/execution/bench_lif.py`` times one backend per process, for peak-memory figures.)
"""

from __future__ import annotations

import argparse
import json
import platform
import sys
import time

import numpy as np


def build(backend: str, n, pre, post, w, seed: int, torch_threads: int | None, device=None):
    if backend == "event":
        from .event_lif import EventLIFNetwork
        return EventLIFNetwork(n, pre, post, w, seed=seed, record_spikes=False), \
            f"cpu:{platform.machine()} (Cython kernel, 1 thread)"
    if backend == "torch":
        from .torch_backend import device_name
        from .torch_backend.lif import TorchLIFNetwork
        net = TorchLIFNetwork(n, pre, post, w, seed=seed, record_spikes=False, threads=torch_threads, device=device)
        return net, device_name(net.device, net.threads)
    if backend == "brian2":
        from .lif_network import LIFNetwork
        return LIFNetwork(n, pre, post, w, seed=seed, record_spikes=False), \
            f"cpu:{platform.machine()} (Brian2 runtime/Cython, 1 thread)"
    raise SystemExit(f"unknown backend {backend!r}; choose from event, torch, brian2")


def run(backends=("event", "torch", "brian2"), neurons: int = 138_639, duration: float = 0.5,
        rounds: int = 2, driven: int = 200, rate: float = 150.0, seed: int = 0, warmup: float = 0.02,
        torch_threads: int | None = 1, device=None, progress: bool = True) -> dict:
    from .torch_backend.random_graph import fly_like_graph

    t0 = time.perf_counter()
    pre, post, w = fly_like_graph(neurons, seed=seed)
    t_graph = time.perf_counter() - t0
    targets = np.random.default_rng(seed + 1).choice(neurons, driven, replace=False)
    nets, rows = {}, {}
    for b in backends:
        t0 = time.perf_counter()
        net, dev = build(b, neurons, pre, post, w, seed, torch_threads, device)
        net.set_input_rates(targets, rate)
        t_build = time.perf_counter() - t0
        t0 = time.perf_counter()
        net.run(warmup)
        rows[b] = {"backend": b, "device": dev, "build_s": t_build, "warmup_s": time.perf_counter() - t0,
                   "walls": []}
        nets[b] = net
        if progress:
            print(f"  built {b} in {t_build:.1f} s, warm-up {rows[b]['warmup_s']:.1f} s", file=sys.stderr)
    n_edges = len(pre)
    del pre, post, w
    for r in range(rounds):
        for b in backends:
            net = nets[b]
            net.reset(seed=seed + r)
            t0 = time.perf_counter()
            net.run(duration)
            wall = time.perf_counter() - t0
            counts = net.spike_counts()
            rows[b]["walls"].append(wall)
            rows[b]["spikes"] = int(counts.sum())
            rows[b]["active_neurons"] = int(np.count_nonzero(counts))
            if b == "event":
                rows[b]["work"] = net.stats()
            if progress:
                print(f"  round {r}: {b} {duration:g} s in {wall:.2f} s wall ({counts.sum()} spikes)", file=sys.stderr)
    ref = np.median(rows["brian2"]["walls"]) if "brian2" in rows else None
    for b, row in rows.items():
        row["wall_s"] = float(np.median(row["walls"]))
        row["sim_s_per_wall_s"] = duration / row["wall_s"]
        row["speed_vs_brian2"] = float(ref / row["wall_s"]) if ref else None
    return {"neurons": neurons, "edges": n_edges, "driven": driven, "rate_hz": rate, "duration_s": duration,
            "rounds": rounds, "graph_s": t_graph, "rows": list(rows.values())}


def main(argv=None) -> int:
    p = argparse.ArgumentParser(prog="python -m nervous_systems.lif_backends_bench",
                                description=__doc__.split("\n")[0])
    p.add_argument("--backends", default="event,torch,brian2")
    p.add_argument("--neurons", type=int, default=138_639)
    p.add_argument("--duration", type=float, default=0.5)
    p.add_argument("--rounds", type=int, default=2)
    p.add_argument("--driven", type=int, default=200)
    p.add_argument("--rate", type=float, default=150.0)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--torch-threads", type=int, default=1)
    p.add_argument("--device", default=None, help="torch device (default: cuda if available else cpu)")
    p.add_argument("--json")
    a = p.parse_args(argv)
    r = run(tuple(a.backends.split(",")), a.neurons, a.duration, a.rounds, a.driven, a.rate, a.seed,
            torch_threads=a.torch_threads, device=a.device)
    print(f"LIF brain alone: {r['neurons']:,} neurons, {r['edges']:,} edges (fly-like random graph), "
          f"{r['driven']} driven at {r['rate_hz']:g} Hz; {r['duration_s']:g} s simulated x {r['rounds']} rounds, "
          f"interleaved")
    print(f"  {'backend':8s} {'device':44s} {'sim-s/wall-s':>12s} {'vs brian2':>9s} {'spikes':>8s} {'active':>7s}")
    for row in r["rows"]:
        vs = f"{row['speed_vs_brian2']:.1f}x" if row["speed_vs_brian2"] else "-"
        print(f"  {row['backend']:8s} {row['device'][:44]:44s} {row['sim_s_per_wall_s']:12.3f} {vs:>9s} "
              f"{row['spikes']:8d} {row['active_neurons']:7d}")
        if "work" in row:
            wk = row["work"]
            print(f"           event work per simulated s: {wk['synaptic_events'] / r['duration_s']:,.0f} synaptic "
                  f"events, {wk['threshold_plans'] / r['duration_s']:,.0f} threshold plans")
    if a.json:
        with open(a.json, "w") as f:
            json.dump(r, f, indent=1)
    return 0


if __name__ == "__main__":
    sys.exit(main())
