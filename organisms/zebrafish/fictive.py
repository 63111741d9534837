"""Fictive random-dot trials: the brain side of the circuit, open loop, bouts read as the imaged
(paralysed) fish's fictive swims.

Why open loop: on the shared 2-core machine the closed loop (brain + 12-joint body) ran at
~0.1x real time under load, so the 4 brains x 4 coherences x several minutes of the
psychometric protocol could not be run closed loop in one session. The brain side alone (no
spinal cord, no body) keeps everything the decision depends on — retina, pretectum, CLEM
integrator, bout trigger, vSPN turn command — and reads each bout as in fictive-swimming
preparations: a bout is one bout-trigger event; its side is the sign of the mean
vSPN_L - vSPN_R over the bout (the turn command the spinal cord would receive; + = left).

Trials (after Bahl & Engert 2020, doi:10.1038/s41593-019-0534-9, free-swimming protocol in
spirit; epoch lengths are this project's): ``rest_pre`` s of rest, ``motion`` s of dots with
coherence c moving toward the left or the right (alternating), ``rest_post`` s of rest (the
after-motion epoch). In the rests the dots stand still, or with ``Dots(rest_speed=v)`` move
at 0 % coherence at v mm/s as between the real trials' motion epochs (the task's default,
``rest_dots=incoherent``; every fictive result so far used static rests). The stimulus object is
passed in: one of :mod:`tasks.visual_stimuli` (``Dots``, ``Grating``), the generators the
closed-loop task shows, or anything with their ``reset`` / ``advance`` / ``luminance``.
"""

from __future__ import annotations

import numpy as np

from nervous_systems.brian2_setup import brian2
from tasks.statistics import bootstrap_ci, ratio_of_sums

from .circuit import OMRCircuit, load_params, si
from .integrator_sbm import IntegratorWiring
from .retina import ReichardtRetina, default_eye_points


#: the per-step inputs of the readout stage ``run_fictive(record_drive=True)`` returns (what
#: :func:`organisms.zebrafish.motor_command.replay` reads), and with them the readout units' states
DRIVE_INPUTS = ("imi_L", "imi_R", "bout_in", "vspn_in_L", "vspn_in_R")
DRIVE_KEYS = DRIVE_INPUTS + ("u_MC_L", "u_MC_R", "u_BOUT", "u_vSPN_L", "u_vSPN_R")


def run_fictive(wiring: IntegratorWiring, stimulus, n_trials: int = 4, seed: int = 0,
                params: dict | None = None, rest_pre: float = 5.0, motion: float = 10.0,
                rest_post: float = 10.0, speed: float = 10.0, n_eye: int = 16,
                trace_dt: float = 0.1, record_drive: bool = False) -> dict:
    """Run ``n_trials`` trials (directions +1 left, -1 right, alternating, first one drawn from
    ``seed``) in one network run. Returns {"bouts": [{"t", "trial", "direction", "phase"
    ("pre" | "motion" | "post"), "since_s" (time since the phase began), "side" (+1/-1),
    "asym"}], "trial_s", "trace": {"t", "iMI+_L", "iMI+_R"}}.

    ``record_drive``: also return "drive", every 2 ms step's input to the readout stage as the
    step's synaptic update sees it (float32 arrays): the iMI+ population means ("imi_L",
    "imi_R"), the synaptic input of BOUT, vSPN_L and vSPN_R from everything but the motor-command
    stage ("bout_in", "vspn_in_L", "vspn_in_R"), and the states of the readout units ("u_MC_L",
    "u_MC_R", "u_BOUT", "u_vSPN_L", "u_vSPN_R"; an absent MC population reads 0), and "onsets",
    every bout trigger event (also one the run ended in). What the
    readout stage does not feed back into (everything upstream of it) is fixed by these, so
    :mod:`organisms.zebrafish.motor_command` can replay the readout on them."""
    b2 = brian2()
    p = params or load_params()
    dt = si(p["numerics"]["dt_brain"])
    c = OMRCircuit(wiring, 2, p, include_spinal=False, seed=seed)
    pts = default_eye_points(n_eye)
    rp = p["retina"]
    retina = ReichardtRetina(pts, dt, si(rp["tau_hrc"]), si(rp["tau_adapt"]), si(rp["gain"]))
    rng = np.random.default_rng(seed)
    first = 1.0 if rng.uniform() < 0.5 else -1.0
    T = rest_pre + motion + rest_post
    dirs = [first * (1 if k % 2 == 0 else -1) for k in range(n_trials)]
    stimulus.reset(rng, np.zeros(2), np.array([0.0, dirs[0]]))
    T_bout = si(p["bout"]["T_bout"])
    vl, vr = c.layout.brain_pops["vSPN_L"][0], c.layout.brain_pops["vSPN_R"][0]
    il, ir = c.layout.brain_pops["iMI+_L"], c.layout.brain_pops["iMI+_R"]
    every = max(1, int(round(trace_dt / dt)))
    state = {"k": 0, "last": -1.0, "acc": 0.0, "n": 0, "cur": None}
    bouts, trace, onsets = [], [], []
    drive = {k: [] for k in DRIVE_KEYS} if record_drive else None
    if record_drive:
        pops = c.layout.brain_pops
        mc = np.concatenate([pops["MC_L"], pops["MC_R"]])

        def inputs_to(name):  # synapses into a one-unit pool from everything but MC
            sel = np.isin(c.brain_post, pops[name]) & ~np.isin(c.brain_pre, mc)
            return c.brain_pre[sel], c.brain_w[sel]

        syn_in = {"bout_in": inputs_to("BOUT"), "vspn_in_L": inputs_to("vSPN_L"), "vspn_in_R": inputs_to("vSPN_R")}
        unit = {f"u_{n}": (pops[n][0] if len(pops[n]) else None) for n in ("MC_L", "MC_R", "BOUT", "vSPN_L", "vSPN_R")}

    def phase_of(tt):
        trial = min(int(tt // T), n_trials - 1)
        x = tt - trial * T
        if x < rest_pre:
            return trial, "pre", x
        if x < rest_pre + motion:
            return trial, "motion", x - rest_pre
        return trial, "post", x - rest_pre - motion

    @b2.network_operation(dt=dt * b2.second, when="start")
    def _step():
        k = state["k"]
        tt = k * dt
        trial, ph, since = phase_of(tt)
        kdir = np.array([0.0, dirs[trial]])  # fish frame: +y = left
        vel = kdir * speed if ph == "motion" else np.zeros(2)
        stimulus.advance(dt, vel, np.zeros(2), kdir, motion=ph == "motion")
        lum = np.clip(stimulus.luminance(pts), 0.0, 1.0)
        c.set_visual(retina.step(lum[0], lum[1]))
        a = c.state_arrays()
        ls = float(a["lastspike"][0])
        if ls > state["last"] + 1e-9:  # a new bout began at ls
            onsets.append(ls)
            state.update(last=ls, acc=0.0, n=0, cur={"t": ls, "trial": trial, "direction": dirs[trial],
                                                     "phase": ph, "since_s": since})
        if state["cur"] is not None:
            u = a["u"]
            state["acc"] += float(np.clip(u[vl], 0, 1) - np.clip(u[vr], 0, 1))
            state["n"] += 1
            if tt - state["last"] >= T_bout:
                asym = state["acc"] / max(state["n"], 1)
                bouts.append({**state["cur"], "asym": asym, "side": 1 if asym > 0 else -1})
                state["cur"] = None
        if k % every == 0:
            u = a["u"]
            trace.append((tt, float(np.clip(u[il], 0, 1).mean()), float(np.clip(u[ir], 0, 1).mean())))
        if drive is not None:
            u = a["u"]
            drive["imi_L"].append(np.clip(u[il], 0, 1).mean()); drive["imi_R"].append(np.clip(u[ir], 0, 1).mean())
            for key, (pre, w) in syn_in.items():
                drive[key].append(float(np.dot(w, np.clip(u[pre], 0, 1))))
            for key, i in unit.items():
                drive[key].append(0.0 if i is None else float(u[i]))
        state["k"] = k + 1

    c.net.add(_step)
    b2.seed(int(seed))
    c.net.run(n_trials * T * b2.second, namespace={})
    tr = np.asarray(trace)
    out = {"bouts": bouts, "trial_s": T, "rest_pre_s": rest_pre, "motion_s": motion, "rest_post_s": rest_post,
           "n_trials": n_trials, "directions": dirs, "dt": dt,
           "trace": {"t": tr[:, 0].tolist(), "iMI+_L": tr[:, 1].tolist(), "iMI+_R": tr[:, 2].tolist()}}
    if drive is not None:
        out["drive"] = {k: np.asarray(v, np.float32) for k, v in drive.items()}
        out["onsets"] = onsets  # every trigger event, also a bout the run ended in
    return out


def summarise(runs: list[dict], n_boot: int = 2000, seed: int = 0) -> dict:
    """Pool fictive runs of one (brain, coherence): fraction of motion-epoch bouts to the motion
    side (bootstrap CI over runs), bout rate in motion vs rest, latency of the first bout after
    motion onset, and the after-motion bias (fraction of bouts toward the preceding motion side)
    in 0-2, 2-5, 5-10 s after the motion stops. 95 % CIs: bootstrap over trials (all runs pooled)."""
    units = [(r, k) for r in runs for k in range(r["n_trials"])]  # bootstrap unit: one trial

    def frac(sel):
        w = np.array([sum(1 for b in r["bouts"] if b["trial"] == k and sel(b) and b["side"] == b["direction"])
                      for r, k in units], float)
        n = np.array([sum(1 for b in r["bouts"] if b["trial"] == k and sel(b)) for r, k in units], float)
        if n.sum() == 0:
            return {"value": float("nan"), "ci": [float("nan")] * 2, "n_bouts": 0}
        ci = bootstrap_ci(np.column_stack([w, n]), ratio_of_sums, n_boot=n_boot, rng=seed)
        return {"value": float(w.sum() / n.sum()), "ci": [ci.lo, ci.hi], "n_bouts": int(n.sum())}

    motion_s = sum(r["n_trials"] * r["motion_s"] for r in runs)
    rest_s = sum(r["n_trials"] * (r["rest_pre_s"] + r["rest_post_s"]) for r in runs)
    n_motion = sum(1 for r in runs for b in r["bouts"] if b["phase"] == "motion")
    n_rest = sum(1 for r in runs for b in r["bouts"] if b["phase"] != "motion")
    lat = []
    for r in runs:
        for k in range(r["n_trials"]):
            first = [b["since_s"] for b in r["bouts"] if b["trial"] == k and b["phase"] == "motion"]
            if first:
                lat.append(min(first))
    out = {"correct": frac(lambda b: b["phase"] == "motion"),
           "bout_rate_motion_hz": n_motion / motion_s if motion_s else float("nan"),
           "bout_rate_rest_hz": n_rest / rest_s if rest_s else float("nan"),
           "latency_first_bout_s": float(np.mean(lat)) if lat else float("nan"),
           "n_runs": len(runs), "motion_s": motion_s}
    for lo, hi in ((0, 2), (2, 5), (5, 10)):
        out[f"after_{lo}_{hi}s"] = frac(lambda b, lo=lo, hi=hi: b["phase"] == "post" and lo <= b["since_s"] < hi)
    return out
