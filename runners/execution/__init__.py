"""Running brains: episodes, sweeps and their executors, benchmarks, the atlas protocol, probes."""
