"""The benchmark registry of ``cgym suite``: every benchmark of an organism, by name.

Behaviour benchmarks are the organism's tasks in :data:`tasks.TASKS` (the suite adds them
itself); perturbation and neural benchmarks register here from the package that defines their
run function (``organisms/<species>/__init__.py``, or the runner module that holds it), e.g.
``celegans/atlas`` (the signal propagation atlas, registered by ``runners/execution/atlas.py``).

The run function, named ``"module:function"`` in package code (never read from a file), is
called as ``run(brain, brain_options, out, *, seeds, quick=False, progress=True) -> dict`` and
returns a ``cgym.benchmark/1`` result::

    {"schema": "cgym.benchmark/1", "benchmark": name, "brain": brain, "brain_info": {...},
     "rows": [{"metric", "label", "unit", "model", "ci": [lo, hi], "reference", "ceiling",
               "score", "n", "verdict": "pass"|"fail"|"insufficient data"|"not distinguishable",
               "source"}],
     "notes": [...], "figures": ["relative/path.png"], "labels": ["SURROGATE ..."]}
"""

from __future__ import annotations

from dataclasses import dataclass

KINDS = ("behaviour", "perturbation", "neural")
ORGANISMS = ("celegans", "zebrafish", "drosophila")
RESULT_SCHEMA = "cgym.benchmark/1"
VERDICTS = ("pass", "fail", "insufficient data", "not distinguishable")


@dataclass(frozen=True)
class BenchmarkSpec:
    name: str            # "celegans/perturbations", "celegans/atlas", "zebrafish/integrator", ...
    organism: str        # "celegans" | "zebrafish" | "drosophila"
    kind: str            # "behaviour" | "perturbation" | "neural"
    run: str             # "module:function" in package code (never read from a file)
    description: str


BENCHMARKS: dict[str, BenchmarkSpec] = {}


def register_benchmark(spec: BenchmarkSpec) -> None:
    """Add ``spec`` to :data:`BENCHMARKS` (registering the same spec twice is harmless; a
    different spec under a taken name is an error)."""
    if not isinstance(spec, BenchmarkSpec):
        raise TypeError(f"register_benchmark needs a BenchmarkSpec, got {type(spec).__name__}")
    if spec.kind not in KINDS:
        raise ValueError(f"benchmark {spec.name!r}: kind {spec.kind!r} is not one of {', '.join(KINDS)}")
    if ":" not in spec.run:
        raise ValueError(f"benchmark {spec.name!r}: run {spec.run!r} is not 'module:function'")
    old = BENCHMARKS.get(spec.name)
    if old is not None and old != spec:
        raise ValueError(f"benchmark {spec.name!r} is already registered as {old}")
    BENCHMARKS[spec.name] = spec


def benchmarks_for(organism: str) -> list[BenchmarkSpec]:
    return [s for _, s in sorted(BENCHMARKS.items()) if s.organism == organism]
