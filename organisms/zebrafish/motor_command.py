"""The motor-command readout stage and its numpy replay.

Bahl & Engert 2020 (Nat Neurosci 23:94, doi:10.1038/s41593-019-0534-9) found three anterior
hindbrain clusters and proposed that an evidence integrator competes against a dynamic decision
threshold to activate a downstream motor command. The installed readout skips that last stage:
vSPN and BOUT read the integrator (iMI+) directly, so the turn side is the integrator's sign and
the bout drive its left + right sum. With ``populations.MC.n = 1`` and ``readout.direct = 0``
(:func:`motor_command_overrides`) one motor-command unit per side sits in between
(``models/omr_circuit.yaml``, ``circuit.py``)::

    MC_h   <- readout_gain * (mean iMI+_h - mean iMI+_o)
    tau du/dt = -u + I + noise + mc_bias - mc_g_a * a,   tau_a da/dt = -a + clip(u, 0, 1)
    vSPN_h <- mc_turn * MC_h  (+ ARTR; gated during a bout, x that side's turn drive)
    BOUT   <- mc_bout * (MC_L + MC_R)  (+ the forward / backward pretectal pools)

``mc_bias`` < 0 is a threshold on the integrator difference, the adaptation (``mc_g_a``,
``mc_tau_a``) a threshold that follows the unit's own activity (the dynamic threshold), and the
rectified MC rates make the bout drive rise with the decision signal |L - R| rather than with the
summed integrator activity. The five readout values are hand-built structure with free values:
they are fitted per brain (``runners/execution/fit_omr_readout.py``), never per edge.

Why a replay: in a fictive (open-loop) trial nothing of the readout feeds back into the retina,
pretectum or integrator, so one Brian2 run (``fictive.run_fictive(record_drive=True)``) fixes
every input of the readout, and :func:`replay` reruns the readout on them for many parameter
sets at once, in numpy, with the circuit's equations, 2 ms exponential-Euler step, noise
statistics, bout trigger (hazard, refractory, gate), turn drives and the fictive side rule.
``tests/organisms/test_zebrafish_motor_command.py`` checks it against Brian2 with the noise off.
"""

from __future__ import annotations

import numpy as np

from .circuit import MODEL_YAML, si
from .fictive import DRIVE_INPUTS

#: per-brain fitted readout values (runners/execution/fit_omr_readout.py --collect --write)
READOUT_FITS = MODEL_YAML.parent / "readout_fits.yaml"

#: the five fitted values of the motor-command stage (``readout`` section of the model YAML)
READOUT_KEYS = ("mc_bias", "mc_g_a", "mc_tau_a", "mc_turn", "mc_bout")


def motor_command_overrides(values: dict) -> dict:
    """Model overrides that switch the motor-command stage on with these readout values."""
    unknown = set(values) - set(READOUT_KEYS)
    if unknown:
        raise KeyError(f"unknown motor-command readout value(s) {sorted(unknown)}; known: {', '.join(READOUT_KEYS)}")
    return {"populations.MC.n": 1, "readout.direct": 0.0, **{f"readout.{k}": float(v) for k, v in values.items()}}


def readout_overrides(kind: str, seed: int, path=None) -> tuple[dict, str]:
    """Model overrides of the motor-command readout fitted for this brain and draw
    (``models/readout_fits.yaml``, made by ``runners/execution/fit_omr_readout.py``) and the key
    they come from. Only the draw's own fit: a draw without one is a one-line ValueError."""
    from pathlib import Path

    from nervous_systems.yaml_file import load_yaml

    path = Path(path) if path else READOUT_FITS
    key = f"{kind}/{int(seed)}"
    fits = ((load_yaml(path) or {}).get("fits") or {}) if path.exists() else {}
    if key not in fits:
        raise ValueError(f"brain option readout=motor_command: no readout fit for {key} in {path} "
                         f"(python -m runners.execution.fit_omr_readout --brain {kind} --seed {seed} ...)")
    return motor_command_overrides(dict(fits[key]["values"])), key


def _constants(p: dict) -> dict:
    pops, bp, vg, nz = p["populations"], p["bout"], p["vigour"], p["noise"]
    dt = si(p["numerics"]["dt_brain"])
    return {"dt": dt, "tau_mc": si(pops["MC"]["tau"]), "tau_bout": si(pops["BOUT"]["tau"]),
            "tau_vspn": si(pops["vSPN"]["tau"]), "bias_bout": float(pops["BOUT"].get("bias", 0.0)),
            "bias_vspn": float(pops["vSPN"].get("bias", 0.0)), "sigma": si(nz["sigma"]),
            "noise_every": max(1, int(round(si(nz["tau"]) / dt))), "h0": si(bp["h0"]), "h1": si(bp["h1"]),
            "T_bout": si(bp["T_bout"]), "refractory": si(bp["T_bout"]) + si(bp["T_refr"]),
            "vspn_gate": si(bp["vSPN_gate"]), "turn_mu": si(vg["turn_mu"]), "turn_sigma": si(vg["turn_sigma"]),
            "turn_tau": si(vg["turn_tau"]), "readout_gain": si(p["integrator"].get("readout_gain", 1.0))}


def replay(drive: dict, params: dict, values: dict, rng: np.random.Generator | int = 0, n_reps: int = 1,
           bout_times: list | None = None, record: bool = False, common_noise: bool = False) -> dict:
    """Rerun the motor-command readout on recorded inputs.

    ``drive``: arrays (n_seq, n_steps) or (n_steps,) of the :data:`fictive.DRIVE_INPUTS`
    ("imi_L", "imi_R", "bout_in", "vspn_in_L", "vspn_in_R"), one row per recorded run.
    ``params``: the model parameters (``circuit.load_params``; its readout_gain is used).
    ``values``: each of :data:`READOUT_KEYS` -> scalar or array (n_cand,). Every (candidate,
    run, repetition) is one lane, index ``(c * n_seq + s) * n_reps + r``; each has its own noise.
    ``bout_times``: per lane, the bout onsets to impose instead of drawing them (the conformance
    test gives Brian2's); ``record``: also return the unit states per step; ``common_noise``: every
    candidate sees the same noise in a (run, repetition) lane (common random numbers: candidates
    of one fit generation then differ only by their values).

    Returns {"lane_cand", "lane_seq" (arrays per lane), "bout_lane", "bout_t" (onset, s),
    "bout_detect_t" (onset + one step: when the fictive recorder sees it), "bout_side" (+1 left / -1 right:
    sign of the mean vSPN_L - vSPN_R over the bout, as ``fictive.run_fictive``)} (+ "states")."""
    k = _constants(params)
    rng = np.random.default_rng(rng)
    # time-major copies (n_steps, n_seq): each step gathers one contiguous row per input
    ins = {key: np.ascontiguousarray(np.atleast_2d(np.asarray(drive[key], float)).T) for key in DRIVE_INPUTS}
    n_steps, n_seq = ins["imi_L"].shape
    vals = {key: np.atleast_1d(np.asarray(values[key], float)) for key in READOUT_KEYS}
    n_cand = max(len(v) for v in vals.values())
    lane_cand = np.repeat(np.arange(n_cand), n_seq * n_reps)
    lane_seq = np.tile(np.repeat(np.arange(n_seq), n_reps), n_cand)
    W = len(lane_cand)
    v = {key: np.broadcast_to(vals[key], (n_cand,))[lane_cand] for key in READOUT_KEYS}
    dt = k["dt"]
    e_mc, e_bout, e_vspn = np.exp(-dt / k["tau_mc"]), np.exp(-dt / k["tau_bout"]), np.exp(-dt / k["tau_vspn"])
    e_a = np.exp(-dt / v["mc_tau_a"])
    diff_in = k["readout_gain"] * (ins.pop("imi_L") - ins.pop("imi_R"))  # MC_L's input, per run and step
    u_mc = np.tile(v["mc_bias"], (2, 1))            # G.u starts at the bias
    a_mc = np.zeros((2, W))
    u_bout = np.full(W, k["bias_bout"])
    u_vspn = np.full((2, W), k["bias_vspn"])
    turn = np.full((2, W), k["turn_mu"])             # turn drives of the left and right side
    noise = np.zeros((5, W))                         # MC_L, MC_R, BOUT, vSPN_L, vSPN_R
    last = np.full(W, -1e4)                          # the trigger's lastspike
    seen = np.full(W, -1.0)                          # the fictive recorder's last onset
    acc = np.zeros(W); nacc = np.zeros(W); open_ = np.zeros(W, bool)
    imposed = None
    if bout_times is not None:
        imposed = np.full((W, n_steps), False)
        for lane, times in enumerate(bout_times):
            idx = np.rint(np.asarray(times, float) / dt).astype(int)
            imposed[lane, idx[(idx >= 0) & (idx < n_steps)]] = True
    n_lane0 = n_seq * n_reps

    def draw(fn, rows_):  # random numbers per lane, or per (run, repetition) shared by candidates
        shape = (W,) if rows_ is None else (rows_, W)
        if not common_noise:
            return fn(size=shape)
        x = fn(size=(n_lane0,) if rows_ is None else (rows_, n_lane0))
        return np.tile(x, n_cand)

    ou_a = dt / k["turn_tau"]; ou_b = k["turn_sigma"] * np.sqrt(2.0 / k["turn_tau"]) * np.sqrt(dt)
    out_lane, out_t, out_side = [], [], []
    states = {name: np.zeros((W, n_steps)) for name in ("u_MC_L", "u_MC_R", "u_BOUT", "u_vSPN_L", "u_vSPN_R")} if record else None
    rows = lane_seq
    for j in range(n_steps):
        t = j * dt
        # --- 'start': the noise refresh (run_regularly) and the fictive recorder
        if j % k["noise_every"] == 0:
            noise = k["sigma"] * draw(rng.standard_normal, 5)
        if record:
            states["u_MC_L"][:, j], states["u_MC_R"][:, j] = u_mc
            states["u_BOUT"][:, j] = u_bout
            states["u_vSPN_L"][:, j], states["u_vSPN_R"][:, j] = u_vspn
        new = last > seen + 1e-9
        if new.any():
            seen[new] = last[new]; acc[new] = 0.0; nacc[new] = 0.0; open_[new] = True
        if open_.any():
            rv = np.clip(u_vspn, 0.0, 1.0)
            acc[open_] += rv[0, open_] - rv[1, open_]
            nacc[open_] += 1
            done = open_ & (t - seen >= k["T_bout"])
            if done.any():
                idx = np.flatnonzero(done)
                out_lane.append(idx); out_t.append(seen[idx].copy())
                out_side.append(np.where(acc[idx] / np.maximum(nacc[idx], 1) > 0, 1, -1))
                open_[idx] = False
        # --- 'groups': summed synaptic input from the rates at this step, then the updates
        r_mc = np.clip(u_mc, 0.0, 1.0)
        diff = diff_in[j][rows]
        i_mc = np.stack([diff, -diff])
        i_bout = ins["bout_in"][j][rows] + v["mc_bout"] * (r_mc[0] + r_mc[1])
        i_vspn = np.stack([ins["vspn_in_L"][j][rows], ins["vspn_in_R"][j][rows]]) + v["mc_turn"] * r_mc
        turn = turn + ou_a * (k["turn_mu"] - turn) + ou_b * draw(rng.standard_normal, 2)
        gate = (t - last) < k["T_bout"]
        x_mc = i_mc + noise[0:2] + v["mc_bias"] - v["mc_g_a"] * a_mc
        u_mc = x_mc + (u_mc - x_mc) * e_mc
        a_mc = r_mc + (a_mc - r_mc) * e_a
        x_b = i_bout + noise[2] + k["bias_bout"]
        u_bout = x_b + (u_bout - x_b) * e_bout
        x_v = gate * (i_vspn + noise[3:5] + k["bias_vspn"] + k["vspn_gate"] * turn)
        u_vspn = x_v + (u_vspn - x_v) * e_vspn
        # --- 'thresholds': the bout trigger reads the updated drive
        ready = (t - last) >= k["refractory"] - 1e-9
        if imposed is not None:
            fire = imposed[:, j]
        else:
            hazard = k["h0"] + k["h1"] * np.clip(u_bout, 0.0, 1.0)
            fire = ready & (draw(rng.uniform, None) < hazard * dt)
        last = np.where(fire, t, last)
    cat = (lambda xs, dtype: np.concatenate(xs).astype(dtype) if xs else np.zeros(0, dtype))
    bout_t = cat(out_t, float)
    out = {"lane_cand": lane_cand, "lane_seq": lane_seq, "n_reps": n_reps, "bout_lane": cat(out_lane, int),
           "bout_t": bout_t, "bout_detect_t": bout_t + dt, "bout_side": cat(out_side, int)}
    if record:
        out["states"] = states
    return out


def bout_table(rep: dict, seq_coherence, seq_directions, trial_s: float, rest_pre_s: float, motion_s: float,
               edges=(-2.0, 0.0, 2.0, 4.0, 6.0, 8.0, 10.0, 12.0, 14.0)) -> dict:
    """Count a replay's bouts per candidate, coherence and time bin (s since the motion onset,
    taken when the fictive recorder sees the bout, as :func:`fictive.run_fictive` does).

    ``seq_coherence``: the coherence of each recorded run; ``seq_directions``: its trials'
    directions (+1 left, -1 right). Returns {"coherences", "edges", "n" and "n_with" (n_cand,
    n_coh, n_bins): bouts and bouts to the motion side, "n_motion" (n_cand, n_coh): bouts in the
    motion epoch, "motion_s" (n_coh,): motion seconds per candidate (runs x trials x repetitions)}."""
    seq_coh = np.asarray(seq_coherence, float)
    cohs = np.unique(seq_coh)
    n_cand = int(rep["lane_cand"].max()) + 1
    edges = np.asarray(edges, float)
    lane = rep["bout_lane"]
    s = rep["lane_seq"][lane]
    c = rep["lane_cand"][lane]
    t = rep["bout_detect_t"]
    n_trials = np.array([len(d) for d in seq_directions])
    trial = np.minimum((t // trial_s).astype(int), n_trials[s] - 1)
    since = t - trial * trial_s - rest_pre_s
    dirs = np.array([list(d) + [0] * (n_trials.max() - len(d)) for d in seq_directions], float)
    with_ = rep["bout_side"] == dirs[s, trial]
    ci = np.searchsorted(cohs, seq_coh[s])
    b = np.searchsorted(edges, since, side="right") - 1
    inside = (b >= 0) & (b < len(edges) - 1)
    shape = (n_cand, len(cohs), len(edges) - 1)
    n = np.zeros(shape); n_with = np.zeros(shape)
    np.add.at(n, (c[inside], ci[inside], b[inside]), 1)
    np.add.at(n_with, (c[inside], ci[inside], b[inside]), with_[inside])
    in_motion = (since >= 0) & (since < motion_s)
    n_motion = np.zeros((n_cand, len(cohs)))
    np.add.at(n_motion, (c[in_motion], ci[in_motion]), 1)
    motion_sec = np.array([n_trials[seq_coh == x].sum() for x in cohs], float) * motion_s * rep["n_reps"]
    return {"coherences": cohs.tolist(), "edges": edges.tolist(), "n": n, "n_with": n_with,
            "n_motion": n_motion, "motion_s": motion_sec}
