"""Larval zebrafish (5-7 dpf): OMR circuit with a CLEM-derived hindbrain integrator, brains.

Brains registered here for organism ``zebrafish`` (``null`` and ``random`` exist for every organism):

``connectome``  Brian2 rate-population OMR circuit (:mod:`.circuit`): Reichardt retina ->
                pretectum -> hindbrain motion integrator drawn as a seeded stochastic block model
                from the Boulanger-Weill 2025 CLEM tables -> bout trigger, ARTR, nMLF/vSPN ->
                spinal CPG (V2a, V0d, dI6, V1, MN) -> muscles.
``shuffled``    the same with the integrator's edges rewired by degree-preserving swaps
                (``shuffle_seed``): block structure destroyed, degrees, signs and weights kept.
``reflex``      Bahl & Engert 2020-style leaky integrator + bout clock, no neurons (baseline).

Options: ``wiring_seed`` (int, the SBM draw), ``shuffle_seed``, ``model_overrides``
({"section.name": value}), ``record_dt`` (s), ``eye_points`` (array (2, N_P, 2) mm).
"""

from __future__ import annotations

from nervous_systems.brain import register_brain

ORGANISM = "zebrafish"
TASKS = {"optomotor": "cgym/ZebrafishOptomotor-v0", "spontaneous": "cgym/ZebrafishSpontaneous-v0"}


def _require_control_dt(control_dt) -> float:
    if control_dt is None or not float(control_dt) > 0:
        raise ValueError("the zebrafish brains integrate in time and need control_dt (the env's control "
                         "step in s); make_brain(..., control_dt=env.unwrapped.control_dt)")
    return float(control_dt)


def _shapes(observation_space, action_space) -> tuple[int, int]:
    if action_space is None or len(action_space.shape) != 1 or action_space.shape[0] % 2:
        raise ValueError(f"zebrafish brains need an action space of 2 x N_J muscles; got "
                         f"{getattr(action_space, 'shape', None)}")
    n_seg = action_space.shape[0] // 2
    try:
        n_p = int(observation_space["eye_left"].shape[0])
    except (KeyError, TypeError) as exc:
        raise ValueError("zebrafish brains need an observation space with 'eye_left' / 'eye_right' / "
                         "'tail_angles'") from exc
    return n_seg, n_p


def _circuit_brain(organism, observation_space, action_space, control_dt=None, shuffle: bool = False, **options):
    from .brain import OMRBrain
    from .circuit import load_params, si
    from .integrator_sbm import draw_integrator, shuffle_integrator

    control_dt = _require_control_dt(control_dt)
    n_seg, n_p = _shapes(observation_space, action_space)
    params = load_params(overrides=options.pop("model_overrides", None))
    ip = params["integrator"]
    seed = int(options.pop("wiring_seed", 0))
    wiring = draw_integrator(seed, scale=si(ip["scale"]), completeness=si(ip["completeness"]), g_syn=si(ip["g_syn"]))
    extra = {"wiring_seed": seed, "integrator_source": "Boulanger-Weill 2025 CLEM (organisms/zebrafish/data)"}
    label = "connectome"
    sseed = int(options.pop("shuffle_seed", 0))
    if shuffle:
        wiring = shuffle_integrator(wiring, seed=sseed)
        label = "shuffled"
        extra["shuffle"] = "degree-preserving double-edge swaps of the integrator edges"
        extra["shuffle_seed"] = sseed
    for bad in ("lesion", "activate"):
        if options.pop(bad, None):
            raise ValueError(f"the zebrafish circuit brain does not support {bad!r} yet")
    return OMRBrain(wiring, n_seg, control_dt, n_p, params, label=label, info_extra=extra, **options)


def _shuffled_brain(organism, observation_space, action_space, control_dt=None, **options):
    return _circuit_brain(organism, observation_space, action_space, control_dt, shuffle=True, **options)


def _reflex_brain(organism, observation_space, action_space, control_dt=None, **options):
    from .reflex import ReflexBrain

    n_seg, n_p = _shapes(observation_space, action_space)
    return ReflexBrain(n_seg, _require_control_dt(control_dt), n_p, **options)


register_brain("connectome", _circuit_brain, ORGANISM,
               "Brian2 OMR circuit; hindbrain integrator drawn from the Boulanger-Weill 2025 CLEM tables")
register_brain("shuffled", _shuffled_brain, ORGANISM,
               "OMR circuit with the integrator's edges degree-preservingly rewired (control)")
register_brain("reflex", _reflex_brain, ORGANISM,
               "leaky motion integrator + bout clock (Bahl & Engert 2020), no neurons (baseline)")
