"""``cgym atlas``: in-silico optogenetics scored against the C. elegans signal propagation atlas.

Protocol (open loop, no body: the atlas animals were immobilised)
    The brain is built with a coarse control step (``control_dt`` 0.05 s; the worm network still
    integrates at its own 1 ms) and driven by a quiet observation (zeros clipped into the task's
    observation space: no salt, no gradient, straight body, no touch). After ``settle_s``, every
    atlas neuron that was stimulated in the atlas is stimulated in turn with
    ``brain.stimulate([name], amplitude, pulse_s)`` and the network runs ``epoch_s`` before the
    next one: one long Brian2 run for the whole protocol (the brain's closed loop), no
    ``net.run`` per stimulus. ``brain.record()`` gives every neuron's membrane potential; each
    epoch becomes a ΔF/F response per neuron through the calcium-indicator model and the 30 s
    response window of :mod:`runners.scoring.atlas_metrics`, with the mean potential over the last
    ``baseline_s`` before the pulse as the pre-stimulus level. The connectome brains run without
    their noise term (``sigma_noise = 0``): one deterministic trial per stimulated neuron.

Baselines in the same table: the degree-preserving ``shuffled`` connectome (or ``connectome``
when the brain under test is ``shuffled``), the anatomy-only prediction (signed direct synapse
counts of the Cook 2019 connectome: chemical contacts signed by transmitter, unknown signs
excitatory as in the network model, plus gap-junction contacts), a null prediction (no response
anywhere), and the atlas's own split-half ceiling; wild type and unc-31 separately.
"""

from __future__ import annotations

import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np

from ..io import recording as rec_io
from ..scoring import atlas_metrics as am
from ..scoring.atlas_card import (BASELINE_TEXT, PHYSIOLOGICAL_RANGE_MV,  # noqa: F401 (re-exported)
                                  WIRING_BASELINES, AtlasCard, am_citation, atlas_section,
                                  atlas_verdicts, headline, score_predictions)

ORGANISMS = ("celegans",)
# the connectome brains run noise-free in this protocol and record at every control step
_PROTOCOL_BRAIN_OPTIONS = {"connectome": {"model_overrides": {"sigma_noise": 0.0}},
                           "shuffled": {"model_overrides": {"sigma_noise": 0.0}}}


class AtlasError(ValueError):
    """Bad input for the atlas protocol (exit code 2 in the CLI)."""


@dataclass
class ProtocolConfig:
    amplitude_mV: float = 20.0   # depolarisation during the pulse
    pulse_s: float = 0.5         # a brief pulse (the atlas used brief two-photon pulse trains)
    # simulated time per stimulation, and before the first pulse (adapting sensory filters and the
    # network settle from the rest state into the quiet observation's state): with the gait fit's
    # slower synapses (a_d 1 Hz) 2 s / 2 s left 8.3 mV of a 38.6 mV peak at an epoch's end;
    # 8 s / 10 s leave 0.01 mV (tests/runners/test_atlas.py bounds it at 2 % of the peak)
    epoch_s: float = 8.0
    settle_s: float = 10.0
    baseline_s: float = 0.5      # pre-stimulus window for the baseline potential
    control_dt: float = 0.05
    window_s: float = am.WINDOW_S
    seed: int = 0


@dataclass
class ProtocolResult:
    brain: str
    status: str                                   # "ok" | "not applicable"
    reason: str = ""
    response: np.ndarray | None = None            # (N_atlas, N_atlas) [responder, stimulated]
    autoresponse_mV: dict = field(default_factory=dict)
    residual_mV: float = float("nan")             # max |Δv| at the end of an epoch
    peak_mV: float = float("nan")                 # max |Δv| over the protocol
    v_min_mV: float = float("nan")                # lowest membrane potential over the protocol
    v_max_mV: float = float("nan")                # highest membrane potential over the protocol
    wall_s: float = float("nan")
    simulated_s: float = float("nan")
    n_stimulated: int = 0
    info: dict = field(default_factory=dict)


# ----------------------------------------------------------------------------- setup helpers

def _organism_spaces(organism: str):
    """(observation_space, action_space) of the organism's first registered task."""
    import gymnasium as gym
    import tasks
    specs = sorted((n, s) for n, s in tasks.TASKS.items() if s.organism == organism)
    if not specs:
        raise AtlasError(f"no task registered for organism {organism!r}")
    env = gym.make(specs[0][1].env_id)
    try:
        return env.observation_space, env.action_space
    finally:
        env.close()


def quiet_observation(space):
    """Zeros clipped into ``space`` (a Dict of Boxes or a Box): an immobilised animal."""
    from gymnasium import spaces
    if isinstance(space, spaces.Dict):
        return {k: quiet_observation(s) for k, s in space.spaces.items()}
    if isinstance(space, spaces.Box):
        return np.clip(np.zeros(space.shape, space.dtype), space.low, space.high)
    raise AtlasError(f"cannot make a quiet observation for a {type(space).__name__} space")


def stimulated_neurons(strains) -> list[str]:
    """Union of the atlas's stimulated neurons over strains (atlas order)."""
    names = strains[0].names
    stim = set().union(*(s.stimulated for s in strains))
    return [n for n in names if n in stim]


def anatomy_prediction(connectome, names) -> np.ndarray:
    """Signed direct synapse counts [post, pre] on ``names`` (NaN rows/cols for missing names)."""
    n = connectome.n_neurons
    a = np.zeros((n, n))
    ci, cj, cw, csign = connectome.chemical()
    np.add.at(a, (cj, ci), cw * np.where(csign == 0, 1.0, np.sign(csign)))
    gi, gj, gw = connectome.gap_pairs()
    np.add.at(a, (gi, gj), gw)
    np.add.at(a, (gj, gi), gw)
    return am.reindex(a, list(connectome.names), names)


# ----------------------------------------------------------------------------- protocol

def run_protocol(brain, label: str, observation, names: list[str], stimulate: list[str],
                 cfg: ProtocolConfig, progress: bool = False) -> ProtocolResult:
    """Stimulate each of ``stimulate`` in turn; ΔF/F responses of ``names`` (atlas order)."""
    if not callable(getattr(brain, "stimulate", None)):
        return ProtocolResult(label, "not applicable", "the brain has no stimulate()")
    if not callable(getattr(brain, "record", None)):
        return ProtocolResult(label, "not applicable", "the brain has no record()")
    dt = cfg.control_dt
    settle = int(round(cfg.settle_s / dt))
    epoch = int(round(cfg.epoch_s / dt))
    pre = max(1, int(round(cfg.baseline_s / dt)))
    if settle < pre or epoch <= pre:
        raise AtlasError(f"settle_s and epoch_s must exceed baseline_s ({cfg.baseline_s} s)")
    t0 = time.perf_counter()
    brain.reset(cfg.seed)
    for _ in range(settle):
        brain.act(observation)
    bar = None
    if progress:
        from tqdm import tqdm
        bar = tqdm(total=len(stimulate), desc=f"atlas protocol ({label})", unit="stim", leave=False)
    for name in stimulate:
        brain.stimulate([name], cfg.amplitude_mV, cfg.pulse_s)
        for _ in range(epoch):
            brain.act(observation)
        if bar is not None:
            bar.update()
    if bar is not None:
        bar.close()
    rec = brain.record()
    wall = time.perf_counter() - t0
    if "v" not in rec or "names" not in rec:
        return ProtocolResult(label, "not applicable", "record() has no 'v' and 'names'")
    v = np.asarray(rec["v"], float)
    expected = settle + epoch * len(stimulate)
    if v.shape[0] != expected:
        raise AtlasError(f"brain {label!r} recorded {v.shape[0]} samples, expected one per control "
                         f"step ({expected}); build it with record_dt = control_dt")
    rec_names = [str(n) for n in rec["names"]]
    col = {n: i for i, n in enumerate(rec_names)}
    keep = np.array([col.get(n, -1) for n in names])
    response = np.full((len(names), len(names)), np.nan)
    atlas_pos = {n: i for i, n in enumerate(names)}
    residual, peak, auto = 0.0, 0.0, {}
    for k, name in enumerate(stimulate):
        s = settle + k * epoch           # first sample after the pulse began
        v_pre = v[s - pre:s].mean(axis=0)
        seg = v[s:s + epoch]
        d = np.abs(seg - v_pre)
        residual = max(residual, float(d[-1].max()))
        peak = max(peak, float(d.max()))
        # sample k of the epoch is the state at (k + 1) control steps after onset
        dff = am.dff_response(np.vstack([v_pre[None], seg]), v_pre, dt, cfg.window_s)
        j = atlas_pos[name]
        response[keep >= 0, j] = dff[keep[keep >= 0]]
        if name in col:
            auto[name] = float(d[:, col[name]].max())
    info = brain.info() if callable(getattr(brain, "info", None)) else {}
    return ProtocolResult(label, "ok", response=response, autoresponse_mV=auto, residual_mV=residual,
                          peak_mV=peak, v_min_mV=float(np.min(v)), v_max_mV=float(np.max(v)), wall_s=wall, simulated_s=expected * dt,
                          n_stimulated=len(stimulate), info=info)


def _build(brain_name: str, organism: str, spaces, cfg: ProtocolConfig, options: dict):
    from .episode import build_brain
    opts = {**_PROTOCOL_BRAIN_OPTIONS.get(brain_name, {}), **options}
    if brain_name in _PROTOCOL_BRAIN_OPTIONS:
        opts.setdefault("record_dt", cfg.control_dt)
    return build_brain(brain_name, organism, spaces[0], spaces[1], control_dt=cfg.control_dt, **opts)


def run_brain(brain_name: str, organism: str, spaces, observation, names, stim, cfg,
              options: dict, progress: bool) -> ProtocolResult:
    brain = _build(brain_name, organism, spaces, cfg, options)
    try:
        return run_protocol(brain, brain_name, observation, names, stim, cfg, progress)
    finally:
        if callable(getattr(brain, "close", None)):
            brain.close()


def score_atlas(brain_name: str, organism: str = "celegans", out_dir: str | Path | None = None,
                options: dict | None = None, cfg: ProtocolConfig | None = None,
                stimulate: list[str] | None = None, controls: bool = True,
                ceiling_reps: int = 10, figures: bool = True, progress: bool = True,
                log=print) -> AtlasCard:
    """Run the protocol for ``brain_name`` (and the control brain), score, write the scorecard."""
    if organism not in ORGANISMS:
        raise AtlasError(f"no neural atlas for organism {organism!r}; available: {', '.join(ORGANISMS)}")
    from organisms.c_elegans import load_connectome
    from organisms.c_elegans.atlas_data import STRAINS, load_atlas

    cfg = cfg or ProtocolConfig()
    options = dict(options or {})
    strains = {s: load_atlas(s) for s in STRAINS}
    names = list(strains["wt"].names)
    stim = stimulated_neurons(list(strains.values()))
    if stimulate:
        import difflib
        unknown = [n for n in stimulate if n not in stim]
        if unknown:
            hints = {n: difflib.get_close_matches(n, stim, n=3) for n in unknown}
            raise AtlasError("not stimulated in the atlas: " + "; ".join(
                f"{n}" + (f" (did you mean {', '.join(h)}?)" if h else "") for n, h in hints.items()))
        stim = [n for n in stim if n in set(stimulate)]
    spaces = _organism_spaces(organism)
    obs = quiet_observation(spaces[0])

    brains = [brain_name]
    if controls:
        brains.append("connectome" if brain_name == "shuffled" else "shuffled")
    results = {}
    for b in brains:
        opts = options if b == brain_name else {k: v for k, v in options.items() if k in ("lesion",)}
        r = run_brain(b, organism, spaces, obs, names, stim, cfg, opts, progress)
        results[b] = r
        if r.status == "ok":
            log(f"atlas protocol `{b}`: {r.n_stimulated} stimulations, {r.simulated_s:.0f} s simulated "
                f"in {r.wall_s:.1f} s wall; peak |Δv| {r.peak_mV:.1f} mV, potentials "
                f"{r.v_min_mV:.1f} to {r.v_max_mV:.1f} mV")
        else:
            log(f"atlas protocol `{b}`: not applicable ({r.reason})")

    connectome = load_connectome(options.get("connectome", "cook2019_herm"))
    predictions = {b: r.response for b, r in results.items() if r.status == "ok"}
    predictions["direct anatomy"] = anatomy_prediction(connectome, names)
    predictions.update(am.hop_distance_predictions(connectome, names))
    predictions["null"] = np.zeros((len(names), len(names)))
    columns = []
    for b, r in results.items():
        columns.append({"name": b, "kind": "brain", "status": r.status, "reason": r.reason})
    for b in (*WIRING_BASELINES, "trial count", "null"):
        columns.append({"name": b, "kind": "baseline", "status": "ok", "reason": ""})
    stim_mask = np.isin(names, stim)[None, :]
    per_strain = {}
    for s, a in strains.items():
        preds = dict(predictions)
        preds["trial count"] = a.n_obs.astype(float)
        per_strain[s] = score_predictions(preds, {s: a}, stim_mask, ceiling_reps, cfg.seed)[s]
    for c in columns:
        if c["status"] == "ok":
            c["scores"] = {s: per_strain[s][c["name"]] for s in strains}
    columns.append({"name": "ceiling", "kind": "ceiling", "status": "ok", "reason": "",
                    "scores": {s: per_strain[s]["ceiling"] for s in strains}})

    strain_meta = {}
    for s, a in strains.items():
        m = a.measured & stim_mask
        strain_meta[s] = {"label": STRAINS[s].split(" (")[0], "n_pairs": per_strain[s]["n_pairs"],
                          "n_measured": int(m.sum()),
                          "n_sig": int(per_strain[s]["ceiling"].get("n_sig", 0) or 0),
                          "n_stimulated": int((m.any(axis=0)).sum()), "source": a.source}
    protocol = {b: {"n_stimulated": r.n_stimulated, "simulated_s": r.simulated_s, "wall_s": r.wall_s,
                    "residual_mV": r.residual_mV, "peak_mV": r.peak_mV, "v_min_mV": r.v_min_mV,
                    "v_max_mV": r.v_max_mV}
                for b, r in results.items() if r.status == "ok"}
    head = headline(columns, brain_name)
    card = AtlasCard(brain=brain_name, columns=columns, strains=strain_meta,
                     config={**asdict(cfg), "options": options, "stimulated": stim,
                             "ceiling_reps": ceiling_reps,
                             "physiological_range_mV": list(PHYSIOLOGICAL_RANGE_MV),
                             "calcium": {"tau_rise_s": am.TAU_RISE_S, "tau_decay_s": am.TAU_DECAY_S,
                                         "slope_mV": am.SLOPE_MV}},
                     protocol=protocol, verdicts=atlas_verdicts(columns, strain_meta, head, brain_name),
                     headline=head)
    if out_dir is not None:
        out = Path(out_dir)
        out.mkdir(parents=True, exist_ok=True)
        arrays = {"names": np.asarray(names), "stimulated": np.asarray(stim)}
        for k, p in predictions.items():
            arrays["response_" + k.replace("1/", "inv_").replace(" ", "_")] = p
        for s, a in strains.items():
            arrays[f"atlas_{s}_dff"] = a.dff
            arrays[f"atlas_{s}_q"] = a.q
        rec_io.atomic_write_npz(out / "responses.npz", arrays)
        if figures:
            from ..scoring.atlas_plots import plot_atlas
            shown = {k: v for k, v in predictions.items()
                     if k in (*results, "direct anatomy", "signed 1/hops")}
            card.figures = [str(p) for p in plot_atlas(shown, strains, names, stim, connectome,
                                                        brain_name, out / "figures")]
        rec_io.atomic_write_json(out / "atlas.json", card.to_dict())
        rec_io.atomic_write_bytes(out / "atlas.md", card.to_markdown().encode())
    return card


# ----------------------------------------------------------------------------- suite benchmark

QUICK_STIMULATE = ("AVAL", "AVAR", "ASHL", "RIML", "AIBL", "AWCL", "RID", "ALA", "URXL", "SMDVL")


def run_benchmark(brain: str, brain_options: dict, out, *, seeds, quick: bool = False,
                  progress: bool = True) -> dict:
    """``celegans/atlas`` for ``cgym suite``: a ``cgym.benchmark/1`` result. Rows per strain and
    score: the model, the best wiring-only baseline as the reference, the ceiling; verdict
    "pass" when the model beats that baseline, "fail" when it does not. ``quick``: 10
    stimulated neurons and 3 splits instead of all 177 and 10."""
    from organisms.c_elegans.atlas_data import AtlasNotInstalled
    from ..scoring.scorecard import describe_brain
    base = {"schema": "cgym.benchmark/1", "benchmark": "celegans/atlas", "brain": brain,
            "rows": [], "figures": [], "labels": [], "notes": []}
    try:
        card = score_atlas(brain, "celegans", out, options=dict(brain_options or {}),
                           stimulate=list(QUICK_STIMULATE) if quick else None, controls=False,
                           ceiling_reps=3 if quick else 10, figures=True, progress=progress,
                           log=lambda *_: None)
    except AtlasNotInstalled as exc:
        return {**base, "brain_info": {}, "status": "not applicable", "reason": str(exc)}
    col = next(c for c in card.columns if c["name"] == brain)
    if col["status"] != "ok":
        return {**base, "brain_info": {}, "status": "not applicable", "reason": col["reason"]}
    rows = []
    for s, h in card.headline.items():
        for m, d in h["metrics"].items():
            rows.append({"metric": f"{m}_{s}", "label": f"{am.METRIC_LABELS[m]}, {card.strains[s]['label']}",
                         "score_label": "gain over the best wiring-only baseline",
                         "unit": "", "model": d["model"], "ci": None, "reference": d["baseline_value"],
                         "reference_text": f"best wiring-only baseline ({d['baseline']}): "
                                           f"{d['baseline_value']:.3f}",
                         "ceiling": d["ceiling"], "score": d["gain"],
                         "n": int(card.strains[s]["n_pairs"]),
                         "verdict": "pass" if d["gain"] > 0 else "fail",
                         "source": am_citation().split(" Nature")[0] + ", doi:10.1038/s41586-023-06683-4"})
    p = card.protocol.get(brain, {})
    notes = [f"reference = the best wiring-only baseline per score ({', '.join(WIRING_BASELINES)}); "
             "score = the model's gain over it; pass = a positive gain. Ceiling: Spearman–Brown "
             "split-half / held-out labels (runners/scoring/atlas_metrics.py).",
             f"membrane potentials {p.get('v_min_mV', float('nan')):.1f} to "
             f"{p.get('v_max_mV', float('nan')):.1f} mV during the protocol"]
    if quick:
        notes.append(f"quick protocol: {len(QUICK_STIMULATE)} stimulated neurons, 3 splits "
                     "(the full protocol stimulates all 177)")
    return {**base, "brain_info": {"text": describe_brain(col.get("info") or {"brain": brain})},
            "rows": rows, "notes": notes, "status": "ok",
            "figures": [str(Path(f).relative_to(Path(out))) for f in card.figures]}


def _register_benchmark() -> None:
    try:
        from tasks.benchmarks import BenchmarkSpec, register_benchmark
    except ImportError:
        return
    register_benchmark(BenchmarkSpec(
        name="celegans/atlas", organism="celegans", kind="neural", run="runners.execution.atlas:run_benchmark",
        description="In-silico optogenetics against the signal propagation atlas (Randi et al. "
                    "2023): each atlas neuron stimulated in turn, ΔF/F of every neuron, scored "
                    "against wild type and unc-31 with split-half ceilings and wiring-only "
                    "baselines."))


_register_benchmark()
