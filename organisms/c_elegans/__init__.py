"""C. elegans (adult hermaphrodite): connectome data, sensorimotor bridge, brains.

Brains registered here for organism ``celegans``:

``connectome``  Brian2 graded-potential network (Kunert et al. 2014) wired from the connectome
                (default Cook et al. 2019 hermaphrodite), driven through ``bridge.yaml``.
``shuffled``    the same, with degree-preserving rewired chemical synapses and gap junctions
                (``shuffle_seed`` option, default 1; seeds 1-3 load their own fitted parameters):
                what the wiring itself contributes. Option ``shuffle_blocks`` (``cell_type`` or
                ``cook_group``, columns of the neuron table) keeps each synapse's postsynaptic
                block too, so the synapse counts between blocks (sensory → inter → motor) are
                kept; such a shuffle loads ``params/shuffled.yaml`` unless ``params`` is given.
``no-nerve-ring`` the same with every nerve-ring neuron lesioned (``wiring.nerve_ring_neurons``):
                what the ring (sensory and interneurons, command and head motor neurons) contributes.
``reflex``      hand-written CPG + klinokinesis controller, no network (behaviour-only baseline).

Options of the connectome brains: ``connectome`` (dataset name), ``lesion`` / ``activate``
(neuron or class names), ``activate_mV``, ``activate_window_s`` ([t_on, t_off] s: activation as a pulse), ``params`` (a parameter file, default
``params/<brain>.yaml``; see ``params.py``), ``model`` (network model name), ``model_overrides``
(dict of parameter values), ``receptor_signs`` (bool: ACh/GABA signs from the Fenyves 2020
receptor prediction as well as Glu; default ``RECEPTOR_SIGNS_DEFAULT``), ``record_dt`` (s), ``bridge`` (path to another bridge YAML),
``backend`` ("brian2" default, or "torch": the same model in PyTorch, CUDA when present) with
``torch_options`` (``device``, ``dtype``, ``threads``), ``init_sd_mV`` (per-seed initial-state spread),
``animal_cv`` (each seed one animal: every class's chemical, gap and NMJ strengths scaled by
log-normal factors with this coefficient of variation, drawn from the seed; default 0).
"""

from __future__ import annotations

import copy
from pathlib import Path

from bodies.worm.body import MUSCLE_NAMES
from nervous_systems.brain import register_brain

from .connectomes import available_connectomes, load_connectome  # noqa: F401

ORGANISM = "celegans"
BRIDGE_YAML = Path(__file__).resolve().parent / "bridge.yaml"
TASKS = {"chemotaxis": "cgym/CElegansChemotaxis-v0"}
# brain option receptor_signs: ACh and GABA signs from the postsynaptic receptor prediction too
# (Fenyves 2020; organisms/c_elegans/wiring.apply_receptor_signs). Default set from measurements
# in organisms/c_elegans/README.md (section 1, "Sign rule").
RECEPTOR_SIGNS_DEFAULT = True
# the rewiring the `shuffled` brain uses without a shuffle_seed option: the first of the three
# shuffles with their own equal-budget fit (params/fitted/shuffled-1|2|3.yaml), which the brain
# loads by default (params.default_params_path); seeds without a fit load params/shuffled.yaml
SHUFFLED_DEFAULT_SEED = 1
# brain option shuffle_blocks: the neuron-table columns a block-constrained shuffle may keep
# (nervous_systems.shuffle; Cook 2019 cell types, and Cook 2019's 19 functional groups SN1-6, IN1-4, ...)
SHUFFLE_BLOCKS = ("cell_type", "cook_group")


def _require_control_dt(control_dt) -> float:
    if control_dt is None or not float(control_dt) > 0:
        raise ValueError("the C. elegans brains integrate in time and need control_dt (the env's "
                         "control step in s); make_brain(..., control_dt=env.unwrapped.control_dt)")
    return float(control_dt)


def brain_wiring(kind: str = "connectome", connectome: str = "cook2019_herm",
                 receptor_signs: bool = RECEPTOR_SIGNS_DEFAULT, shuffle_seed: int | None = None,
                 shuffle_blocks: str | None = None):
    """The wiring a connectome brain of ``kind`` runs on, before its parameter file scales it: the
    dataset with the sign rule and cited overrides, and for ``shuffled`` the shuffle of
    ``shuffle_seed`` (within ``shuffle_blocks`` when given). Lesions (no-nerve-ring) are applied
    later, to the network, and leave the wiring as it is."""
    from nervous_systems.shuffle import degree_preserving_shuffle

    from .wiring import apply_receptor_signs, apply_sign_overrides
    if not isinstance(receptor_signs, bool):
        raise ValueError(f"brain option receptor_signs must be true or false, got {receptor_signs!r}")
    if shuffle_blocks is not None:
        if kind != "shuffled":
            raise ValueError(f"brain option shuffle_blocks is for the 'shuffled' brain, not {kind!r}")
        if shuffle_blocks not in SHUFFLE_BLOCKS:
            raise ValueError(f"brain option shuffle_blocks={shuffle_blocks!r}: expected one of {', '.join(SHUFFLE_BLOCKS)}")
    if kind == "shuffled":
        shuffle_seed = _shuffle_seed(SHUFFLED_DEFAULT_SEED if shuffle_seed is None else shuffle_seed)
    c = load_connectome(connectome)
    if receptor_signs:
        c = apply_receptor_signs(c)
    c = apply_sign_overrides(c)
    if kind == "shuffled":
        blocks = None if shuffle_blocks is None else c.neurons[shuffle_blocks].astype(str).to_dict()
        c = degree_preserving_shuffle(c, seed=shuffle_seed, blocks=blocks, blocks_name=shuffle_blocks)
    return c


def _connectome_brain(organism, observation_space, action_space, control_dt=None, kind: str = "connectome",
                      **options):
    """Build a connectome brain of ``kind`` (connectome, shuffled, no-nerve-ring) with its parameter
    file (``params/<kind>.yaml`` unless ``params=PATH``) applied; see :mod:`.params`."""
    from nervous_systems.connectome_brain import ConnectomeBrain
    from nervous_systems.per_animal import PerAnimalBrain
    from nervous_systems.yaml_file import load_yaml

    from .params import ANIMAL_JITTER, apply_class_params, default_params_path, draw_animal, load_params
    from .wiring import nerve_ring_neurons

    control_dt = _require_control_dt(control_dt)
    options.setdefault("backend", "kernel")  # w-kernel: compiled graded_kernel (= brian2 to 1e-13 mV); backend=brian2 still works
    params_path = options.pop("params", None)
    shuffle_seed = options.pop("shuffle_seed", None)
    shuffle_blocks = options.pop("shuffle_blocks", None)
    if kind == "shuffled":
        shuffle_seed = _shuffle_seed(SHUFFLED_DEFAULT_SEED if shuffle_seed is None else shuffle_seed)
    elif shuffle_seed is not None:
        raise ValueError(f"brain option shuffle_seed is for the 'shuffled' brain, not {kind!r}")
    # the fitted shuffled-S files belong to the plain shuffles; a block shuffle has none of its own
    default = default_params_path(kind, None if shuffle_blocks else shuffle_seed)
    params = load_params(params_path if params_path else default)
    set_values = options.pop("set", None)
    if set_values is not None:
        params = params.with_set(set_values)
    connectome = brain_wiring(kind, options.pop("connectome", "cook2019_herm"),
                              options.pop("receptor_signs", RECEPTOR_SIGNS_DEFAULT), shuffle_seed, shuffle_blocks)
    connectome, thresholds = apply_class_params(connectome, params)
    lesion = list(options.pop("lesion", []) or [])
    if kind == "no-nerve-ring":
        lesion += nerve_ring_neurons(connectome)
    if action_space is not None and tuple(action_space.shape) != (len(MUSCLE_NAMES),):
        raise ValueError(f"the C. elegans bridge drives {len(MUSCLE_NAMES)} muscles; "
                         f"action space has shape {action_space.shape}")
    bridge_path = Path(options.pop("bridge", BRIDGE_YAML))
    bridge_cfg = params.apply_to_bridge(load_yaml(bridge_path))
    overrides = {**params.model_overrides(), **(options.pop("model_overrides", None) or {})}
    animal_cv = _animal_cv(options.pop("animal_cv", 0.0))
    describe = {"params": params.source, **({"set": {k: float(v) for k, v in set_values.items()}} if set_values else {}),
                **({"shuffle_blocks": shuffle_blocks} if shuffle_blocks else {}),
                "sign_overrides": connectome.provenance.get("sign_overrides"),
                "receptor_signs": connectome.provenance.get("receptor_signs", False)}

    def build(rng):
        wiring = connectome if rng is None else draw_animal(connectome, animal_cv, rng)[0]
        brain = ConnectomeBrain(wiring, copy.deepcopy(bridge_cfg), MUSCLE_NAMES, control_dt, label=kind,
                                lesion=lesion, model_overrides=overrides or None,
                                threshold_shift_mV=thresholds, describe_extra=describe, **options)
        brain.bridge.source = str(bridge_path)
        return brain

    if animal_cv == 0:
        return build(None)
    return PerAnimalBrain(build, {"cv": animal_cv, "drawn": "per class: " + ", ".join(ANIMAL_JITTER)
                                  + " (log-normal, mean 1; organisms/c_elegans/params.draw_animal)"})


def _shuffle_seed(value) -> int:
    try:
        seed = int(value)
    except (TypeError, ValueError):
        seed = -1
    if seed < 0 or str(value).strip() not in (str(seed), f"{seed}.0"):
        raise ValueError(f"brain option shuffle_seed={value!r}: expected a whole number >= 0")
    return seed


def _animal_cv(value) -> float:
    try:
        cv = float(value)
    except (TypeError, ValueError):
        cv = float("nan")
    if not (0.0 <= cv <= 2.0):
        raise ValueError(f"brain option animal_cv={value!r}: expected a number from 0 (every seed the same "
                         "animal) to 2 (coefficient of variation of each class's connection strengths)")
    return cv


def _shuffled_brain(organism, observation_space, action_space, control_dt=None, **options):
    return _connectome_brain(organism, observation_space, action_space, control_dt, kind="shuffled", **options)


def _no_nerve_ring_brain(organism, observation_space, action_space, control_dt=None, **options):
    return _connectome_brain(organism, observation_space, action_space, control_dt, kind="no-nerve-ring",
                             **options)


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
register_brain("no-nerve-ring", _no_nerve_ring_brain, ORGANISM,
               "connectome brain with the nerve-ring neurons lesioned (control; organisms/c_elegans/wiring.py)")
register_brain("reflex", _reflex_brain, ORGANISM,
               "hand-written CPG + klinokinesis controller, no connectome (behaviour-only baseline)")
