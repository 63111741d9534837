"""Brain-alone benchmark of the Shiu 2024 LIF network at fly scale, Brian2 vs PyTorch.

    python -m runners.execution.bench_lif --backend torch  [--neurons 138639] [--edges N] [--duration 1]
                                [--driven 200] [--rate 150] [--device cuda] [--dtype float32]
    python -m runners.execution.bench_lif --backend brian2 ...
    python -m runners.execution.bench_lif --backend event ...

The graph is generated in memory with the fly's per-edge statistics
(``nervous_systems.torch_backend.random_graph.fly_like_graph``; default 138,639 neurons and
15,091,983 edges, the Shiu v783 sizes) — a benchmark graph, not the connectome. ``--driven`` random
neurons get Poisson drive at ``--rate`` Hz (Shiu's activation protocol). Prints the build time,
simulated seconds per wall second (after a short warm-up run that also triggers Brian2's code
generation), spikes, the network's own ``memory_bytes()``, the process peak RSS and the device.
Run one backend per process so that the peak RSS belongs to it.
"""

from __future__ import annotations

import argparse
import json
import platform
import resource
import sys
import time

import numpy as np


def _peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def run(backend: str, neurons: int, edges: int | None, duration: float, driven: int, rate: float,
        seed: int = 0, device=None, dtype: str = "float32", warmup: float = 0.02,
        threads: int | None = None) -> dict:
    from nervous_systems.torch_backend.random_graph import fly_like_graph

    t0 = time.perf_counter()
    pre, post, w = fly_like_graph(neurons, edges, seed=seed)
    t_graph = time.perf_counter() - t0
    t0 = time.perf_counter()
    if backend == "torch":
        from nervous_systems.torch_backend import device_name
        from nervous_systems.torch_backend.lif import TorchLIFNetwork
        net = TorchLIFNetwork(neurons, pre, post, w, seed=seed, record_spikes=False, device=device,
                              dtype=dtype, threads=threads)
        dev = device_name(net.device, net.threads)
    elif backend == "brian2":
        from nervous_systems.lif_network import LIFNetwork
        net = LIFNetwork(neurons, pre, post, w, seed=seed, record_spikes=False)
        dev = f"cpu:{platform.machine()} (Brian2 runtime/Cython, 1 thread)"
    elif backend == "event":
        from nervous_systems.event_lif import EventLIFNetwork
        net = EventLIFNetwork(neurons, pre, post, w, seed=seed, record_spikes=False)
        dev = f"cpu:{platform.machine()} (event-driven Cython kernel, 1 thread)"
    else:
        raise SystemExit(f"unknown backend {backend!r}; choose torch, brian2 or event")
    n_edges = len(pre)
    del pre, post, w
    targets = np.random.default_rng(seed + 1).choice(neurons, driven, replace=False)
    net.set_input_rates(targets, rate)
    t_build = time.perf_counter() - t0
    t0 = time.perf_counter()
    net.run(warmup)
    t_warm = time.perf_counter() - t0
    net.reset(seed=seed)
    t0 = time.perf_counter()
    net.run(duration)
    wall = time.perf_counter() - t0
    counts = net.spike_counts()
    return {"backend": backend, "device": dev, "neurons": neurons, "edges": n_edges,
            "driven": driven, "rate_hz": rate, "duration_s": duration, "graph_s": t_graph,
            "build_s": t_build, "warmup_s": t_warm, "wall_s": wall, "sim_s_per_wall_s": duration / wall,
            "spikes": int(counts.sum()), "active_neurons": int(np.count_nonzero(counts)),
            "mean_rate_active_hz": float(counts[counts > 0].mean() / duration) if counts.any() else 0.0,
            "memory_bytes": int(net.memory_bytes()), "peak_rss_mb": _peak_rss_mb()}


def main(argv=None) -> int:
    p = argparse.ArgumentParser(prog="python -m runners.execution.bench_lif", description=__doc__.split("\n")[0],
                                formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    p.add_argument("--backend", required=True, choices=["torch", "brian2", "event"], help="network backend")
    p.add_argument("--neurons", type=int, default=138_639, help="neurons (FlyWire v783 size by default)")
    p.add_argument("--edges", type=int, default=None, help="default: 108.9 per neuron (15,091,983 at fly size)")
    p.add_argument("--duration", type=float, default=1.0, help="simulated seconds (after the warm-up)")
    p.add_argument("--driven", type=int, default=200, help="neurons driven by Poisson input")
    p.add_argument("--rate", type=float, default=150.0, help="Poisson rate of the driven neurons, Hz")
    p.add_argument("--seed", type=int, default=0, help="seed of the random graph and input")
    p.add_argument("--device", default=None, help="torch device (default: cuda if available else cpu)")
    p.add_argument("--dtype", default="float32", help="torch dtype")
    p.add_argument("--threads", type=int, default=None, help="torch CPU threads (default: torch's)")
    p.add_argument("--json", help="also write the result here")
    a = p.parse_args(argv)
    r = run(a.backend, a.neurons, a.edges, a.duration, a.driven, a.rate, a.seed, a.device, a.dtype,
            threads=a.threads)
    print(f"LIF brain alone [{r['backend']}] on {r['device']}: {r['neurons']:,} neurons, {r['edges']:,} edges, "
          f"{r['driven']} driven at {r['rate_hz']:g} Hz\n"
          f"  graph {r['graph_s']:.1f} s, build {r['build_s']:.1f} s, warm-up {r['warmup_s']:.1f} s\n"
          f"  {r['duration_s']:g} s simulated in {r['wall_s']:.2f} s wall: {r['sim_s_per_wall_s']:.3f} sim-s/wall-s\n"
          f"  {r['spikes']:,} spikes, {r['active_neurons']:,} active neurons "
          f"(mean {r['mean_rate_active_hz']:.1f} Hz among them)\n"
          f"  network memory_bytes {r['memory_bytes'] / 2**20:,.0f} MiB, process peak RSS {r['peak_rss_mb']:,.0f} MB")
    if a.json:
        with open(a.json, "w") as f:
            json.dump(r, f, indent=1)
    return 0


if __name__ == "__main__":
    sys.exit(main())
