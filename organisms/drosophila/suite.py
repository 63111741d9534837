"""The fly's brain-level benchmarks for ``cgym suite``: names, kinds and run functions
(``benchmarks.py`` holds the functions). Kept apart so that importing the package registers them
without importing the simulator code (``python -m organisms.drosophila.benchmarks`` stays clean).
"""

from __future__ import annotations

SPECS = {
    "drosophila/shiu2024": ("neural", "Shiu 2024 activation prediction: left JO-CE rate -> aBN1/aDN1/aDN2 rates (by root id)"),
    "drosophila/side-selectivity": ("neural", "JO-CE of one side drives the same circuit side's aBN1/aDN1/aDN2 more"),
    "drosophila/perturbations": ("perturbation", "aBN1 activation/silencing, JO-F gating by CB0496 (Shiu 2024, Hampel 2015, Özdil 2024; Seeds 2014 listed)"),
}

RUNS = {"drosophila/shiu2024": "organisms.drosophila.benchmarks:run_shiu2024",
        "drosophila/side-selectivity": "organisms.drosophila.benchmarks:run_side_selectivity",
        "drosophila/perturbations": "organisms.drosophila.benchmarks:run_perturbations"}


def register(spec_class, register_benchmark) -> list[str]:
    """Register the three benchmarks with the suite's registry: ``spec_class`` =
    ``tasks.benchmarks.BenchmarkSpec``, ``register_benchmark`` = ``tasks.benchmarks.register_benchmark``
    (passed in, so this module imports no task). Returns the names registered."""
    for name, (kind, description) in SPECS.items():
        register_benchmark(spec_class(name=name, organism="drosophila", kind=kind, run=RUNS[name],
                                      description=description))
    return list(SPECS)
