"""Larval zebrafish (5-7 dpf): OMR circuit with a CLEM-derived hindbrain integrator, brains.

Brains registered here for organism ``zebrafish`` (``null`` and ``random`` exist for every organism):

``connectome``  Brian2 rate-population OMR circuit (:mod:`.circuit`): Reichardt retina ->
                pretectum -> hindbrain motion integrator drawn as a seeded stochastic block model
                from the Boulanger-Weill 2025 CLEM tables -> bout trigger, ARTR, nMLF/vSPN ->
                spinal CPG (V2a, V0d, dI6, V1, MN) -> muscles.
``sbm-redraw``  control: a fresh draw from the same block model (``seed``, default 1).
``block-shuffled``  control: the CLEM block statistics moved to random population/side blocks.
``no-integrator-edges``  control: the integrator populations without edges.
``shuffled``    the same with the integrator's edges rewired by degree-preserving swaps
                (``seed``): block structure destroyed, degrees, signs and weights kept.
``reflex``      Bahl & Engert 2020-style leaky integrator + bout clock, no neurons (baseline).

Options: ``seed`` (int: the SBM draw / shuffle; ``wiring_seed`` and ``shuffle_seed`` are accepted
as older names), ``fitted`` (default true: the per-class integrator parameters fitted for this
brain and draw, ``models/integrator_fits.yaml``), ``fit`` (a key ``"<brain>/<seed>"`` of that file
to use instead of the default rule, or ``"own"``: the draw's own fit), ``readout`` (``direct``, the
default: iMI+ drives the turn command and the bout drive; ``motor_command``: the motor-command stage
of :mod:`.motor_command` with this draw's own fit from ``models/readout_fits.yaml``),
``model_overrides`` ({"section.name": value}), ``record_dt`` (s), ``eye_points`` (array (2, N_P, 2) mm).
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


def _circuit_brain(organism, observation_space, action_space, control_dt=None, kind: str = "connectome", **options):
    from .brain import OMRBrain
    from .circuit import load_params, si
    from .integrator_sbm import DEFAULT_SEED, WIRINGS, fitted_overrides, make_wiring
    from .motor_command import readout_overrides

    control_dt = _require_control_dt(control_dt)
    n_seg, n_p = _shapes(observation_space, action_space)
    seed = options.pop("seed", None)
    for alias in ("wiring_seed", "shuffle_seed"):  # older option names
        if alias in options:
            val = options.pop(alias)
            seed = val if seed is None else seed
    seed = DEFAULT_SEED[kind] if seed is None else int(seed)
    # per-class integrator parameters fitted for this brain (models/integrator_fits.yaml), then
    # the caller's model_overrides on top; fitted=false keeps the model YAML's values
    fitted = options.pop("fitted", True)
    if isinstance(fitted, str):
        fitted = fitted.strip().lower() not in ("0", "false", "no", "off")
    fit_key = options.pop("fit", None)
    fit_ov, fit_src = fitted_overrides(kind, seed, fit=fit_key) if fitted else ({}, "off")
    readout = str(options.pop("readout", "direct")).strip().lower()
    if readout not in ("direct", "motor_command"):
        raise ValueError(f"brain option readout={readout!r}: known readouts are 'direct' (iMI+ drives the turn "
                         f"command and the bout drive) and 'motor_command' (models/readout_fits.yaml)")
    ro_ov, ro_src = readout_overrides(kind, seed) if readout == "motor_command" else ({}, "direct")
    params = load_params(overrides={**fit_ov, **ro_ov, **(options.pop("model_overrides", None) or {})})
    ip = params["integrator"]
    wiring = make_wiring(kind, seed, scale=si(ip["scale"]), completeness=si(ip["completeness"]), g_syn=si(ip["g_syn"]))
    extra = {"wiring": kind, "wiring_seed": seed, "wiring_description": WIRINGS[kind],
             "integrator_source": "Boulanger-Weill 2025 CLEM (organisms/zebrafish/data)",
             "integrator_fit": fit_src, "integrator_fit_overrides": fit_ov,
             "readout": readout, "readout_fit": ro_src}
    for bad in ("lesion", "activate"):
        if options.pop(bad, None):
            raise ValueError(f"the zebrafish circuit brain does not support {bad!r} yet")
    return OMRBrain(wiring, n_seg, control_dt, n_p, params, label=kind, info_extra=extra, **options)


def _wiring_brain(kind):
    def make(organism, observation_space, action_space, control_dt=None, **options):
        return _circuit_brain(organism, observation_space, action_space, control_dt, kind=kind, **options)
    return make


def _reflex_brain(organism, observation_space, action_space, control_dt=None, **options):
    from .reflex import ReflexBrain

    n_seg, n_p = _shapes(observation_space, action_space)
    return ReflexBrain(n_seg, _require_control_dt(control_dt), n_p, **options)


register_brain("connectome", _circuit_brain, ORGANISM,
               "Brian2 OMR circuit; hindbrain integrator drawn from the Boulanger-Weill 2025 CLEM block model "
               "(option seed, default 0)")
register_brain("sbm-redraw", _wiring_brain("sbm-redraw"), ORGANISM,
               "control: a fresh draw from the same CLEM block model (option seed, default 1)")
register_brain("block-shuffled", _wiring_brain("block-shuffled"), ORGANISM,
               "control: CLEM block statistics moved to random population/side blocks (option seed)")
register_brain("no-integrator-edges", _wiring_brain("no-integrator-edges"), ORGANISM,
               "control: the integrator populations without any edges between them")
register_brain("shuffled", _wiring_brain("shuffled"), ORGANISM,
               "control: the integrator's edges degree-preservingly rewired (option seed)")
register_brain("reflex", _reflex_brain, ORGANISM,
               "leaky motion integrator + bout clock (Bahl & Engert 2020), no neurons (baseline)")

# `cgym suite`: the integrator benchmark (run function organisms/zebrafish/benchmark.py:run)
from tasks.benchmarks import BenchmarkSpec, register_benchmark  # noqa: E402

register_benchmark(BenchmarkSpec(
    name="zebrafish/integrator", organism="zebrafish", kind="neural",
    run="organisms.zebrafish.benchmark:run",
    description="hindbrain integrator responses vs Boulanger-Weill 2025 recordings; six per-class "
                "parameters per brain fitted to them (same CMA-ES budget per brain), intrinsic tau 0.1 s"))
