"""C. elegans (adult hermaphrodite): connectome data, sensorimotor bridge, brains.

Brains registered here for organism ``celegans``:

``connectome``  Brian2 graded-potential network (Kunert et al. 2014) wired from the connectome
                (default Cook et al. 2019 hermaphrodite), driven through ``bridge.yaml``.
``shuffled``    the same, with degree-preserving rewired chemical synapses and gap junctions
                (``shuffle_seed`` option): what the wiring itself contributes.
``reflex``      hand-written CPG + klinokinesis controller, no network (behaviour-only baseline).

Options of the connectome brains: ``connectome`` (dataset name), ``lesion`` / ``activate``
(neuron or class names), ``activate_mV``, ``model`` (network model name), ``model_overrides``
(dict of parameter values), ``record_dt`` (s), ``bridge`` (path to another bridge YAML),
``backend`` ("brian2" default, or "torch": the same model in PyTorch, CUDA when present) with
``torch_options`` (``device``, ``dtype``, ``threads``).
"""

from __future__ import annotations

from pathlib import Path

from bodies.worm.body import MUSCLE_NAMES
from nervous_systems.brain import register_brain

from .connectomes import available_connectomes, load_connectome  # noqa: F401

ORGANISM = "celegans"
BRIDGE_YAML = Path(__file__).resolve().parent / "bridge.yaml"
TASKS = {"chemotaxis": "cgym/CElegansChemotaxis-v0"}


def _require_control_dt(control_dt) -> float:
    if control_dt is None or not float(control_dt) > 0:
        raise ValueError("the C. elegans brains integrate in time and need control_dt (the env's "
                         "control step in s); make_brain(..., control_dt=env.unwrapped.control_dt)")
    return float(control_dt)


def _connectome_brain(organism, observation_space, action_space, control_dt=None, shuffle: bool = False,
                      **options):
    from nervous_systems.connectome_brain import ConnectomeBrain
    from nervous_systems.shuffle import degree_preserving_shuffle

    control_dt = _require_control_dt(control_dt)
    connectome = load_connectome(options.pop("connectome", "cook2019_herm"))
    label = "connectome"
    if shuffle:
        connectome = degree_preserving_shuffle(connectome, seed=int(options.pop("shuffle_seed", 0)))
        label = "shuffled"
    if action_space is not None and tuple(action_space.shape) != (len(MUSCLE_NAMES),):
        raise ValueError(f"the C. elegans bridge drives {len(MUSCLE_NAMES)} muscles; "
                         f"action space has shape {action_space.shape}")
    return ConnectomeBrain(connectome, options.pop("bridge", BRIDGE_YAML), MUSCLE_NAMES, control_dt,
                           label=label, **options)


def _shuffled_brain(organism, observation_space, action_space, control_dt=None, **options):
    return _connectome_brain(organism, observation_space, action_space, control_dt, shuffle=True, **options)


def _reflex_brain(organism, observation_space, action_space, control_dt=None, **options):
    from .reflex import ReflexBrain

    options.pop("connectome", None)
    if options.get("lesion") or options.get("activate"):
        raise ValueError("the reflex brain has no neurons to lesion or activate")
    options.pop("lesion", None), options.pop("activate", None)
    return ReflexBrain(control_dt=_require_control_dt(control_dt), **options)


register_brain("connectome", _connectome_brain, ORGANISM,
               "Brian2 graded network (Kunert 2014) on the Cook 2019 connectome")
register_brain("shuffled", _shuffled_brain, ORGANISM,
               "connectome brain on degree-preserving rewired wiring (control)")
register_brain("reflex", _reflex_brain, ORGANISM,
               "hand-written CPG + klinokinesis controller, no connectome (behaviour-only baseline)")
