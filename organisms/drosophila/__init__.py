"""Drosophila melanogaster (adult): FlyWire v783 connectome, whole-brain LIF, grooming.

Brains registered here for organism ``drosophila``:

``connectome``  Shiu et al. 2024 whole-brain LIF (Brian2, or ``backend=torch``) on the FlyWire v783
                edge list if present (``cgym data fetch flywire-783`` / ``cgym data path``), else
                on the labelled surrogate edge list; JO neurons driven by antennal deflection,
                descending neurons → the hand-built VNC model (``vnc.py``) → leg actions.
``shuffled``    the same on degree-preserving rewired edges (``shuffle_seed`` option).
``reflex``      antennal deflection → grooming, no brain (``reflex.py``, when present).

See ``brain.py`` for the options and ``README.md`` for data provenance, licence (FlyWire data:
CC BY-NC 4.0) and what is real versus surrogate.
"""

from __future__ import annotations

from nervous_systems.brain import register_brain

ORGANISM = "drosophila"
TASKS = {"grooming": "cgym/DrosophilaGrooming-v0"}


def _connectome_brain(organism, observation_space, action_space, control_dt=None, shuffle: bool = False,
                      **options):
    from .brain import FlyBrain

    conn = options.pop("connectome", None)        # `cgym run --connectome DIR|real|surrogate`
    if conn not in (None, "flywire-783"):
        options.setdefault("edges", conn)
    return FlyBrain(observation_space, action_space, control_dt, shuffle=shuffle, **options)


def _shuffled_brain(organism, observation_space, action_space, control_dt=None, **options):
    return _connectome_brain(organism, observation_space, action_space, control_dt, shuffle=True, **options)


register_brain("connectome", _connectome_brain, ORGANISM,
               "Shiu 2024 whole-brain LIF on FlyWire v783 (or the labelled surrogate; exact "
               "event-driven backend, option backend=brian2|torch) + hand-built VNC model")
register_brain("shuffled", _shuffled_brain, ORGANISM,
               "fly connectome brain on degree-preserving rewired edges (control)")

from . import reflex  # noqa: E402  (antennal deflection → VNC grooming, no brain)

reflex.register()

# `cgym suite`: the brain-level benchmarks (specs in suite.py, run functions in benchmarks.py)
from tasks.benchmarks import BenchmarkSpec, register_benchmark  # noqa: E402

from . import suite  # noqa: E402

suite.register(BenchmarkSpec, register_benchmark)
