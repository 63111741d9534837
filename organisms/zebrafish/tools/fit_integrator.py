"""Connectome-constrained fit of the hindbrain integrator to the recorded responses (CMA-ES).

    python -m organisms.zebrafish.tools.fit_integrator --brain connectome --out runs/fit_connectome
    python -m organisms.zebrafish.tools.fit_integrator --brain block-shuffled --seed 2 --out runs/fit_bs2
    python -m organisms.zebrafish.tools.fit_integrator --collect runs/fit_* --write   # -> models/integrator_fits.yaml

What is fitted (per class, never per edge; the wiring stays the brain's draw): six parameters,
``integrator.g_E`` / ``g_I_same`` / ``g_I_other`` (one gain per integrator edge class:
excitatory; inhibitory within a hemisphere; inhibitory across the midline), ``visual.w_visual``,
``integrator.MON_g_a`` (MON adaptation) and ``integrator.bias_shift``. The target: the
recorded EM-proofread class means of Boulanger-Weill 2025 (``data/clem_responses_means.csv``:
iMI, cMI, MON, SMI; preferred and null direction; 80 s, motion 20-60 s), through the same
GCaMP kernel as :mod:`..neural_metric`. Loss = mean over the four classes of the normalised
squared error of the concatenated [preferred, null] baseline-subtracted traces after the best
non-negative scale (1 = a flat model, 0 = perfect).

Every brain (connectome, sbm-redraw, block-shuffled, no-integrator-edges) gets the SAME
optimiser settings and budget (:data:`CMA`): what the fit cannot give a control, its wiring
cannot. The simulation is a numpy replica of the brain group of :class:`..circuit.OMRCircuit`
(same units, edges, time constants, bias, adaptation, piecewise-constant noise; exponential
Euler at ``DT`` = 2 ms as in Brian2 (10 ms changed which hemisphere won in a bistable fit), candidates of one generation simulated together with
common random numbers, under :data:`CONDITIONS`: both motion directions, and a trial starting with the null
hemisphere kicked on); the fitted parameters are then checked in Brian2 by
:func:`..neural_metric.evaluate` (``--check``).

Resumable: the optimiser state is rebuilt from ``OUT/fit_state.json`` (every asked solution and
its loss, replayed through an identically seeded CMA-ES; JSON, no pickle), written after
every generation.
"""

from __future__ import annotations

import argparse
import json
import math
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
from scipy import sparse

from nervous_systems.brian2_setup import brian2

from ..circuit import DIRS, MODEL_YAML, OMRCircuit, load_params, si
from ..integrator_sbm import edge_class
from ..neural_metric import CLASSES, GCAMP_DECAY_S, GCAMP_RISE_S, T_OFF, T_ON, calcium, recorded_means
from ..openloop import wiring_for
from ..retina import ReichardtRetina, default_eye_points, grating_samples

ROOT = Path(__file__).resolve().parents[3]
FITS = MODEL_YAML.parent / "integrator_fits.yaml"
DT = 0.002
T_TOTAL = 80.0
SAMPLE_DT = 0.5
#: the search space: (override key, scale, lower, upper); log = multiplicative
PARAMS = (("integrator.g_E", "log", 0.1, 10.0),
          ("integrator.g_I_same", "log", 0.1, 10.0),
          ("integrator.g_I_other", "log", 0.1, 10.0),
          ("visual.w_visual", "log", 0.5, 20.0),
          ("integrator.MON_g_a", "log", 0.1, 10.0),
          ("integrator.bias_shift", "linear", -0.3, 0.3))
#: the same optimiser settings and budget for every brain
CMA = {"popsize": 10, "sigma0": 0.25, "seed": 1, "generations": 30}
#: the conditions every candidate is simulated under: (motion leftward?, noise seed, kick); both
#: directions so that a fit cannot rest on one hemisphere winning by chance, and one trial that
#: starts with the NULL hemisphere's integrator units kicked on (u += KICK at t = 0): the
#: recordings start from a symmetric baseline and return to it after motion, so a candidate
#: whose hemispheres lock (a bistable switch, not a leaky integrator) fails that trial. Without
#: it (the first fit, ``--no-kick``) the fitted brains locked one hemisphere on within 1.5 s of a
#: closed-loop episode and never released it.
CONDITIONS = ((True, 0, False), (False, 1, False), (True, 2, True))
CONDITIONS_NO_KICK = ((True, 0, False), (False, 1, False))
KICK = 0.5
#: weight of the baseline left-right asymmetry of iMI+ and cMI rates (10-20 s) in the loss
ASYM_WEIGHT = 4.0
#: classes whose rise and decay time constants (calcium, 63 % / 37 % of the end-of-motion level)
#: enter the loss as (log model/recorded)^2, capped at 4; a trace that does not decay within the
#: 20 s after motion counts as TAU_MISSING_S
TAU_CLASSES = ("iMI", "cMI", "SMI")
TAU_WEIGHT = 0.5
TAU_MISSING_S = 80.0
#: the loss versions (RECORD.md "A rest-state constraint from the recordings", pre-registered):
#: "v1" = the loss above; "rest" = v1 + NULL_WEIGHT x the null-suppression term of NULL_CLASSES
LOSSES = ("v1", "rest")
LOSS_LABEL = {"v1": "v1: signed [pref, null] after the best non-negative scale + tau + asym",
              "rest": "rest: v1 + 1.0 x (model - recorded null/preferred deflection ratio)^2, iMI/cMI/SMI"}
#: classes whose recorded null-direction response goes below the pre-motion baseline by a stated
#: fraction of the preferred response (40-60 s vs 10-20 s): iMI -0.46, cMI -0.52, SMI -0.71. MON
#: is left out: its preferred deflection late in motion is itself negative (no ratio).
NULL_CLASSES = ("iMI", "cMI", "SMI")
NULL_WEIGHT = 1.0
NULL_WINDOW = (40.0, 60.0)
#: model ratio clipped to this range; a model whose preferred deflection is below NULL_EPS (rate
#: units, calcium) counts as ratio 0 (no suppression measurable)
NULL_CLIP = (-2.0, 1.0)
NULL_EPS = 1e-3


def base_value(p: dict, key: str) -> float:
    sec, _, name = key.partition(".")
    return si(p[sec][name])


def to_unit(p: dict) -> np.ndarray:
    """The parameter values of a params doc -> CMA coordinates in [0, 1]."""
    return unit_of({key: base_value(p, key) for key, *_ in PARAMS})


def unit_of(values: dict) -> np.ndarray:
    """Override values ``{key: value}`` of every fitted parameter -> CMA coordinates in [0, 1]
    (log or linear within the bounds; the inverse of :func:`from_unit`)."""
    x = []
    for key, scale, lo, hi in PARAMS:
        v = values[key]
        x.append((math.log(v) - math.log(lo)) / (math.log(hi) - math.log(lo)) if scale == "log" else (v - lo) / (hi - lo))
    return np.clip(np.array(x), 0, 1)


def from_unit(x) -> dict:
    out = {}
    for xi, (key, scale, lo, hi) in zip(np.clip(np.asarray(x, float), 0, 1), PARAMS):
        out[key] = float(math.exp(math.log(lo) + xi * (math.log(hi) - math.log(lo)))) if scale == "log" else float(lo + xi * (hi - lo))
    return out


class FastBrain:
    """Numpy replica of the brain group of :class:`OMRCircuit` (no bout gate: the open-loop
    imaging protocol), simulating ``P`` parameter sets of :data:`PARAMS` at once."""

    def __init__(self, brain: str, wiring_seed: int | None = None, params: dict | None = None):
        self.p0 = params or load_params()
        self.wiring = wiring_for(brain, wiring_seed, params=self.p0)
        c = OMRCircuit(self.wiring, 2, self.p0, include_spinal=False)
        c.net.run(0 * brian2().second)  # (the network is only read here, never run: mark it used)
        self.layout = c.layout
        G = c.G
        self.tau = np.asarray(G.tau_[:], float)
        self.bias0 = np.asarray(G.bias_[:], float)
        self.g_a0 = np.asarray(G.g_a_[:], float)
        self.tau_a = np.asarray(G.tau_a_[:], float)
        self.gated = np.asarray(G.gated_[:], float)
        N = self.N = c.layout.n_brain
        n_int = len(self.wiring.pre)
        pre, post, w = c.brain_pre, c.brain_post, c.brain_w
        cls = np.full(len(pre), 4)  # 0-2: integrator edge classes, 3: visual, 4: fixed
        cls[:n_int] = edge_class(self.wiring)
        L = c.layout.brain_pops
        integ = np.zeros(N, bool)
        pt = np.zeros(N, bool)
        for name, idx in L.items():
            if name.split("_")[0] in ("iMI+", "iMI-", "cMI", "MON", "SMI"):
                integ[idx] = True
            if name.startswith("PT_"):
                pt[idx] = True
        self.integ, self.pt = integ, pt
        cls[(np.arange(len(pre)) >= n_int) & pt[pre] & integ[post]] = 3
        self.S = sparse.csr_matrix((w, (cls * N + post, pre)), shape=(5 * N, N))
        self.mon = np.zeros(N, bool)
        for h in ("L", "R"):
            self.mon[L[f"MON_{h}"]] = True
        self.base = {k: base_value(self.p0, k) for k, *_ in PARAMS}
        self.sigma = si(self.p0["noise"]["sigma"])
        self.noise_every = int(round(si(self.p0["noise"]["tau"]) / DT))
        # eye e feeds the contralateral pretectum (as OMRCircuit.set_visual): (eye, direction) order
        self.pt_flat = [L[f"PT_{d}_{'R' if e == 0 else 'L'}"] for e in (0, 1) for d in DIRS]

    def kick_vector(self, side: str) -> np.ndarray:
        """(N,): KICK on every integrator unit of hemisphere ``side``, 0 elsewhere."""
        k = np.zeros(self.N)
        for name, idx in self.layout.brain_pops.items():
            if name.split("_")[0] in ("iMI+", "iMI-", "cMI", "MON", "SMI") and name.endswith(f"_{side}"):
                k[idx] = KICK
        return k

    def eye(self, n_eye: int = 16):
        """(sample points, a fresh :class:`ReichardtRetina` with this brain's retina parameters at
        the fit's time step) for ``n_eye`` points per eye."""
        pts = default_eye_points(n_eye)
        rp = self.p0["retina"]
        return pts, ReichardtRetina(pts, DT, si(rp["tau_hrc"]), si(rp["tau_adapt"]), si(rp["gain"]))

    def visual_drive(self, t_total: float = T_TOTAL, t_on: float = T_ON, t_off: float = T_OFF,
                     n_eye: int = 16, speed: float = 10.0, period: float = 10.0, leftward: bool = True) -> np.ndarray:
        """(T, 8) DS drive of the recordings' protocol (grating moving leftward, or rightward,
        t_on..t_off; static otherwise)."""
        pts, ret = self.eye(n_eye)
        out = []
        for k in range(int(round(t_total / DT))):
            tt = k * DT
            lum = grating_samples(pts, tt if t_on <= tt < t_off else 0.0, np.pi / 2 if leftward else -np.pi / 2,
                                  speed, period)
            out.append(ret.step(lum[0], lum[1]).ravel())
        return np.asarray(out)

    def simulate(self, values: list[dict], drives: list[np.ndarray], noise_seeds: list[int],
                 sample_dt: float = SAMPLE_DT, kicks: list[np.ndarray | None] | None = None) -> dict:
        """Population mean rates {pop name: (T_s, C * P)} of ``len(values)`` = P parameter sets
        under C conditions (one visual drive and noise seed each); column c * P + j is
        condition c, candidate j. Noise is common to all candidates of a condition."""
        P, C = len(values), len(drives)
        N = self.N
        gains = np.ones((5, P))
        bias = np.repeat(self.bias0[:, None], P, 1)
        g_a = np.repeat(self.g_a0[:, None], P, 1)
        for j, v in enumerate(values):
            v = {**self.base, **v}
            gains[0, j] = v["integrator.g_E"] / self.base["integrator.g_E"]
            gains[1, j] = v["integrator.g_I_same"] / self.base["integrator.g_I_same"]
            gains[2, j] = v["integrator.g_I_other"] / self.base["integrator.g_I_other"]
            gains[3, j] = v["visual.w_visual"] / self.base["visual.w_visual"]
            bias[self.integ, j] += v["integrator.bias_shift"] - self.base["integrator.bias_shift"]
            g_a[self.mon, j] = v["integrator.MON_g_a"]
        gains, bias, g_a = np.tile(gains, C), np.tile(bias, C), np.tile(g_a, C)
        ed = np.exp(-DT / self.tau)[:, None]
        ea = np.exp(-DT / self.tau_a)[:, None]
        open_ = (1.0 - self.gated)[:, None]
        u = bias.copy()
        for c, kick in enumerate(kicks or []):
            if kick is not None:  # (N,) added to u at t = 0 in condition c
                u[:, c * P:(c + 1) * P] += np.asarray(kick, float)[:, None]
        a = np.zeros((N, C * P))
        I_ext = np.zeros((N, C * P))
        rngs = [np.random.default_rng(sd) for sd in noise_seeds]
        every = int(round(sample_dt / DT))
        names = list(self.layout.brain_pops)
        idxs = [self.layout.brain_pops[n] for n in names]
        pt_rows = [np.asarray(i) for i in self.pt_flat]
        rows = []
        noise = np.zeros((N, C * P))
        n_steps = min(d.shape[0] for d in drives)
        for k in range(n_steps):
            for c, d in enumerate(drives):
                for idx, val in zip(pt_rows, d[k]):
                    I_ext[idx, c * P:(c + 1) * P] = val
            if k % self.noise_every == 0:
                noise = np.repeat(np.stack([self.sigma * r.standard_normal(N) for r in rngs], 1), P, 1)
            r = np.clip(u, 0.0, 1.0)
            if k % every == 0:
                rows.append(np.stack([r[i].mean(0) for i in idxs]))
            z = (self.S @ r).reshape(5, N, C * P)
            I_syn = np.einsum("cnp,cp->np", z, gains)
            I = open_ * (I_syn + I_ext + noise + bias - g_a * a)
            a = r + (a - r) * ea
            u = I + (u - I) * ed
        arr = np.asarray(rows)  # (T_s, n_pops, C * P)
        return {"t": np.arange(arr.shape[0]) * sample_dt, **{n: arr[:, i, :] for i, n in enumerate(names)},
                "sizes": {n: len(i) for n, i in zip(names, idxs)}, "P": P, "C": C}


def class_traces(sim: dict, leftward: list[bool] | None = None) -> dict:
    """{"<cls>_preferred"/"_null": (T, C * P)}: the hemisphere the motion moves toward is the
    preferred one (``leftward[c]`` per condition; default all leftward)."""
    C = sim.get("C", 1)
    P = sim.get("P", sim["iMI+_L"].shape[1] // C)
    left = np.repeat(np.asarray(leftward if leftward is not None else [True] * C, bool), P)
    out = {}
    for cls in CLASSES:
        src = ("iMI+", "iMI-") if cls == "iMI" else (cls,)
        side_tr = {}
        for side in ("L", "R"):
            n = [sim["sizes"][f"{s}_{side}"] for s in src]
            side_tr[side] = sum(sim[f"{s}_{side}"] * k for s, k in zip(src, n)) / sum(n)
        out[f"{cls}_preferred"] = np.where(left[None, :], side_tr["L"], side_tr["R"])
        out[f"{cls}_null"] = np.where(left[None, :], side_tr["R"], side_tr["L"])
    return out


def _calcium_cols(y: np.ndarray, dt: float) -> np.ndarray:
    return np.stack([calcium(y[:, j], dt, GCAMP_RISE_S, GCAMP_DECAY_S) for j in range(y.shape[1])], 1)


def _bsub(t, y):
    pre = (t >= 10.0) & (t < T_ON)
    return y - y[pre].mean(0, keepdims=True)


def null_ratio(t: np.ndarray, pref: np.ndarray, null: np.ndarray) -> np.ndarray:
    """Null / preferred deflection (mean over NULL_WINDOW minus mean over 10-20 s) per column of
    (T, P) baseline-free traces; 0 where the preferred deflection is below NULL_EPS."""
    base = (t >= 10.0) & (t < T_ON)
    late = (t >= NULL_WINDOW[0]) & (t < NULL_WINDOW[1])
    dp = pref[late].mean(0) - pref[base].mean(0)
    dn = null[late].mean(0) - null[base].mean(0)
    ok = dp > NULL_EPS
    return np.where(ok, np.clip(dn / np.where(ok, dp, 1.0), *NULL_CLIP), 0.0)


def losses(sim: dict, leftward: list[bool] | None = None, asym_weight: float | None = None,
           loss: str = "v1") -> tuple[np.ndarray, dict]:
    """Loss per candidate (mean over classes of the normalised squared error, plus the time
    constant term; averaged over the conditions) and its parts per class. ``loss="rest"`` adds
    NULL_WEIGHT x the mean over NULL_CLASSES of (model - recorded null/preferred ratio)^2
    (parts ``<cls>_null``)."""
    if loss not in LOSSES:
        raise ValueError(f"loss {loss!r}: not one of {', '.join(LOSSES)}")
    rec = recorded_means()
    t_rec = rec["time_s"].to_numpy(float)
    t = sim["t"]
    tr = class_traces(sim, leftward)
    per = {}
    for cls in CLASSES:
        m = [np.stack([np.interp(t_rec, t, col) for col in _calcium_cols(tr[f"{cls}_{c}"], SAMPLE_DT).T], 1)
             for c in ("preferred", "null")]
        m = np.concatenate([_bsub(t_rec, x) for x in m], 0)  # (2T, P)
        r = np.concatenate([_bsub(t_rec, rec[f"{cls}_{c}"].to_numpy(float)[:, None]) for c in ("preferred", "null")], 0)[:, 0]
        num = (m * r[:, None]).sum(0)
        den = (m * m).sum(0)
        scale = np.where(den > 1e-12, np.maximum(num, 0) / np.maximum(den, 1e-12), 0.0)
        per[cls] = ((scale * m - r[:, None]) ** 2).sum(0) / (r ** 2).sum()
        if cls in TAU_CLASSES:  # the integration time constants of the calcium traces (rise, decay)
            n_t = len(t_rec)
            rt = time_constants(t_rec, r[:n_t])
            pen = np.zeros(m.shape[1])
            for j in range(m.shape[1]):
                mt = time_constants(t_rec, m[:n_t, j])
                for key in ("rise_s", "decay_s"):
                    if np.isfinite(rt[key]):
                        v = mt[key] if np.isfinite(mt[key]) else TAU_MISSING_S
                        pen[j] += min(math.log(max(v, 0.25) / rt[key]) ** 2, 4.0)
            per[f"{cls}_tau"] = pen / 2
        if cls in NULL_CLASSES:  # computed for every loss version (reported); enters the total with "rest"
            n_t = len(t_rec)
            rr = null_ratio(t_rec, r[:n_t, None], r[n_t:, None])[0]
            per[f"{cls}_null"] = (null_ratio(t_rec, m[:n_t], m[n_t:]) - rr) ** 2
    # a symmetric baseline before motion (10-20 s), as recorded: a hemisphere locked on by noise
    # or by the kick (a bistable switch, not a leaky integrator) costs ASYM_WEIGHT x |L - R|
    base = (t >= 10.0) & (t < T_ON)
    per["asym"] = np.mean([np.abs(sim[f"{pop}_L"][base] - sim[f"{pop}_R"][base]).mean(0) for pop in ("iMI+", "cMI")], 0)
    total = np.mean([per[c] for c in CLASSES], 0) + TAU_WEIGHT * np.mean([per[f"{c}_tau"] for c in TAU_CLASSES], 0) \
        + (ASYM_WEIGHT if asym_weight is None else asym_weight) * per["asym"]
    if loss == "rest":
        total = total + NULL_WEIGHT * np.mean([per[f"{c}_null"] for c in NULL_CLASSES], 0)
    C, P = sim.get("C", 1), sim.get("P", len(total))
    return total.reshape(C, P).mean(0), {k: v.reshape(C, P).mean(0) for k, v in per.items()}


def time_constants(t: np.ndarray, y: np.ndarray, t_on: float = T_ON, t_off: float = T_OFF) -> dict:
    """Rise (63 % of the end-of-motion level after onset) and decay (to 37 % of it after
    offset) time constants of one rate trace (s; NaN when it does not rise / decay in time)."""
    y = np.asarray(y, float)
    base = y[(t >= t_on - 10) & (t < t_on)].mean()
    end = y[(t >= t_off - 5) & (t < t_off)].mean() - base
    nan = float("nan")
    if not end > 1e-3:
        return {"rise_s": nan, "decay_s": nan, "amplitude": float(end)}
    seg = (t >= t_on) & (t < t_off)
    up = np.flatnonzero(y[seg] - base >= 0.632 * end)
    post = t >= t_off
    down = np.flatnonzero(y[post] - base <= 0.368 * end)
    return {"rise_s": float(t[seg][up[0]] - t_on) if len(up) else nan,
            "decay_s": float(t[post][down[0]] - t_off) if len(down) else nan, "amplitude": float(end)}


# ----------------------------------------------------------------------------- optimiser
def _git_commit() -> str:
    try:
        return subprocess.run(["git", "rev-parse", "HEAD"], cwd=ROOT, capture_output=True, text=True, timeout=10).stdout.strip()
    except Exception:  # noqa: BLE001 - provenance only
        return "unknown"


class FitObjective:
    """The fit's loss of parameter sets on one brain: every set simulated under :data:`CONDITIONS`
    (``kick=False``: :data:`CONDITIONS_NO_KICK`, the first fit's loss exactly) and scored by
    :func:`losses`. Calling it with a list of value dicts returns (losses, per-class losses), as
    each generation of the fit does; the fit and :mod:`.loss_profile` share it."""

    def __init__(self, fb: FastBrain, kick: bool = True, loss: str = "v1"):
        if loss not in LOSSES:
            raise ValueError(f"loss {loss!r}: one of {LOSSES}")
        self.fb, self.loss = fb, loss
        self.conditions = CONDITIONS if kick else CONDITIONS_NO_KICK
        self.asym_weight = ASYM_WEIGHT if kick else 0.0
        drives = {lw: fb.visual_drive(leftward=lw) for lw in (True, False)}
        self.drives = [drives[lw] for lw, _, _ in self.conditions]
        self.seeds = [sd for _, sd, _ in self.conditions]
        self.leftward = [lw for lw, _, _ in self.conditions]
        self.kicks = [fb.kick_vector("R" if lw else "L") if k else None for lw, _, k in self.conditions]

    def simulate(self, values: list[dict]) -> dict:
        return self.fb.simulate(values, self.drives, self.seeds, kicks=self.kicks)

    def __call__(self, values: list[dict]):
        return losses(self.simulate(values), self.leftward, self.asym_weight, loss=self.loss)


def fit(brain: str, wiring_seed: int | None, out: Path, generations: int | None = None, kick: bool = True,
        loss: str = "v1") -> dict:
    import cma

    out.mkdir(parents=True, exist_ok=True)
    state_path = out / "fit_state.json"
    fb = FastBrain(brain, wiring_seed)
    objective = FitObjective(fb, kick=kick, loss=loss)
    conds, run = objective.conditions, objective

    x0 = to_unit(fb.p0)
    gens = int(generations or CMA["generations"])
    opts = {"popsize": CMA["popsize"], "seed": CMA["seed"], "bounds": [0, 1], "verbose": -9}
    es = cma.CMAEvolutionStrategy(x0.tolist(), CMA["sigma0"], opts)
    import hashlib

    wh = hashlib.sha256(np.concatenate([fb.wiring.pre, fb.wiring.post]).astype(np.int64).tobytes()
                        + np.asarray(fb.wiring.weight, float).tobytes()).hexdigest()[:16]
    hist = json.loads(state_path.read_text())["history"] if state_path.exists() else []
    if hist and (hist[0]["brain"], hist[0]["wiring_seed"], hist[0].get("wiring_hash"), hist[0].get("loss_version", "v1")) \
            != (brain, wiring_seed, wh, loss):
        raise SystemExit(f"{state_path}: a fit of another brain, wiring or loss; use another --out")
    for g in hist:  # replay: the same asks, the recorded losses
        xs = es.ask()
        if not np.allclose(np.asarray(xs), np.asarray(g["x"]), atol=1e-9):
            raise SystemExit(f"{state_path}: replay diverged at generation {g['generation']}")
        es.tell(xs, g["loss"])
    # the initial (hand-chosen) parameters, same simulation: the reference point of the fit
    init_loss, init_per = run([from_unit(x0)])
    while len(hist) < gens:
        t0 = time.time()
        xs = es.ask()
        lo, per = run([from_unit(x) for x in xs])
        lo = [float(v) if np.isfinite(v) else 10.0 for v in lo]
        es.tell(xs, lo)
        hist.append({"generation": len(hist) + 1, "brain": brain, "wiring_seed": wiring_seed, "wiring_hash": wh,
                     "loss_version": loss, "x": [list(map(float, x)) for x in xs], "loss": lo, "wall_s": time.time() - t0})
        best = min((l, x) for g in hist for l, x in zip(g["loss"], g["x"]))
        tmp = state_path.with_suffix(".tmp")
        tmp.write_text(json.dumps({"history": hist, "best_loss": best[0], "best_x": best[1]}))
        tmp.replace(state_path)
        print(f"{brain} seed {wiring_seed} gen {len(hist)}/{gens}: best {best[0]:.4f} this {min(lo):.4f} "
              f"({time.time() - t0:.1f} s)", flush=True)
    best_loss, best_x = min((l, x) for g in hist for l, x in zip(g["loss"], g["x"]))
    best = from_unit(best_x)
    sim = objective.simulate([best, from_unit(x0)])
    bl, bper = losses(sim, objective.leftward, objective.asym_weight, loss=loss)
    tr = class_traces(sim, objective.leftward)
    taus = {cls: [time_constants(sim["t"], tr[f"{cls}_preferred"][:, 2 * c]) for c in range(len(conds))] for cls in CLASSES}
    taus0 = {cls: [time_constants(sim["t"], tr[f"{cls}_preferred"][:, 2 * c + 1]) for c in range(len(conds))] for cls in CLASSES}
    res = {"brain": brain, "wiring_seed": wiring_seed if wiring_seed is not None else None,
           "overrides": best, "loss": float(bl[0]), "loss_per_class": {c: float(v[0]) for c, v in bper.items()},
           "initial_loss": float(init_loss[0]), "initial_loss_per_class": {c: float(v[0]) for c, v in init_per.items()},
           "rate_taus_fitted": taus, "rate_taus_initial": taus0,
           "optimiser": {**CMA, "generations": gens, "evaluations": gens * CMA["popsize"], "bounds": "unit box",
                         "parameters": [list(p) for p in PARAMS], "dt_s": DT, "conditions": [list(c) for c in conds], "kick": KICK if kick else 0.0,
                         "asym_weight": ASYM_WEIGHT if kick else 0.0,
                         "tau_classes": list(TAU_CLASSES), "tau_weight": TAU_WEIGHT,
                         "loss_version": loss, "loss_label": LOSS_LABEL[loss]},
           "git_commit": _git_commit(),
           "command": f"python -m organisms.zebrafish.tools.fit_integrator --brain {brain}"
                      + (f" --seed {wiring_seed}" if wiring_seed is not None else "") + ("" if kick else " --no-kick") + ("" if loss == "v1" else f" --loss {loss}")
                      + f" --out {out}"}
    (out / "fit_result.json").write_text(json.dumps(res, indent=1))
    return res


READOUT_CLIP = (0.2, 20.0)


def output_range(brain: str, wiring_seed: int | None, values: dict | None) -> float:
    """iMI+ preferred minus null rate at the end of the recordings' protocol motion (mean over the
    last 5 s of motion, leftward grating, noise seed 0) of ``brain`` with ``values`` (None: the
    model YAML's hand-chosen values)."""
    fb = FastBrain(brain, wiring_seed)
    v = values if values is not None else {k: base_value(fb.p0, k) for k, *_ in PARAMS}
    sim = fb.simulate([v], [fb.visual_drive(leftward=True)], [0])
    end = (sim["t"] >= T_OFF - 5.0) & (sim["t"] < T_OFF)
    return float((sim["iMI+_L"][end, 0] - sim["iMI+_R"][end, 0]).mean())


def readout_gain(brain: str, wiring_seed: int | None, values: dict, reference: float) -> float:
    """The per-brain readout gain: ``reference`` (the hand-chosen connectome's output range) over
    this fitted brain's output range, clipped to READOUT_CLIP (a brain with no direction
    selectivity gets the upper clip)."""
    d = output_range(brain, wiring_seed, values)
    return float(np.clip(reference / d, *READOUT_CLIP)) if d > 1e-6 else READOUT_CLIP[1]


def write_fits(results: list[dict], path: Path = FITS) -> None:
    """models/integrator_fits.yaml: one entry per (brain, wiring seed); plain data. Entries of the
    existing file that ``results`` does not re-make are kept (a fit of a new draw is added, not
    swapped for the whole file). Every entry carries ``loss_version`` (entries written before the
    loss had versions get "v1")."""
    import yaml

    from nervous_systems.yaml_file import load_yaml

    doc = {"about": "Per-brain fitted integrator parameters (organisms/zebrafish/tools/fit_integrator.py): "
                    "CMA-ES, the same settings and budget for every brain, fitted to the Boulanger-Weill 2025 "
                    "proofread class means (preferred + null, 80 s protocol). Applied by the brain factory "
                    "(brain option fitted=true, the default). Key: '<brain>/<wiring seed>'.",
           "fits": dict(((load_yaml(path) or {}).get("fits") or {}) if path.exists() else {})}
    for k, e in doc["fits"].items():
        doc["fits"][k] = {"loss_version": e.get("loss_version", "v1"), **{a: b for a, b in e.items() if a != "loss_version"}}
    for r in sorted(results, key=lambda r: (r["brain"], r["wiring_seed"] if r["wiring_seed"] is not None else -1)):
        from ..integrator_sbm import DEFAULT_SEED
        seed = r["wiring_seed"] if r["wiring_seed"] is not None else DEFAULT_SEED[r["brain"]]
        lv = r["optimiser"].get("loss_version", "v1")
        doc["fits"][f"{r['brain']}/{seed}"] = {
            "loss_version": lv, "loss_label": LOSS_LABEL[lv],
            "overrides": {k: round(float(v), 5) for k, v in r["overrides"].items()},
            "loss": round(r["loss"], 4), "initial_loss": round(r["initial_loss"], 4),
            "loss_per_class": {k: round(v, 4) for k, v in r["loss_per_class"].items()},
            "evaluations": r["optimiser"]["evaluations"], "git_commit": r["git_commit"], "command": r["command"]}
    doc["fits"] = dict(sorted(doc["fits"].items()))
    path.write_text(yaml.safe_dump(doc, sort_keys=False, width=120))


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--brain", default="connectome")
    ap.add_argument("--seed", type=int, default=None, help="wiring seed (default: the brain's)")
    ap.add_argument("--out", type=Path)
    ap.add_argument("--generations", type=int, default=None, help=f"default {CMA['generations']} (the budget)")
    ap.add_argument("--no-kick", action="store_true", help="the first fit's conditions (no kicked-null-hemisphere trial)")
    ap.add_argument("--loss", default="v1", choices=LOSSES, help="loss version (organisms/zebrafish/RECORD.md: 'A rest-state constraint')")
    ap.add_argument("--fits", type=Path, default=FITS, help="with --collect --write: the fits file (default models/integrator_fits.yaml)")
    ap.add_argument("--collect", nargs="+", type=Path, help="fit folders to gather into models/integrator_fits.yaml")
    ap.add_argument("--write", action="store_true", help="with --collect: write models/integrator_fits.yaml")
    ap.add_argument("--readout", action="store_true",
                    help="with --collect: add each brain's readout_gain (output-range rule, see readout_gain)")
    a = ap.parse_args(argv)
    if a.collect:
        missing = [str(d) for d in a.collect if not (d / "fit_result.json").exists()]
        if missing:
            print(f"fit_integrator: error: no fit_result.json (fit not finished) in {', '.join(missing)}",
                  file=sys.stderr)
            return 2
        res = [json.loads((d / "fit_result.json").read_text()) for d in a.collect]
        for r in res:
            print(f"{r['brain']:20s} seed {r['wiring_seed']}: loss {r['initial_loss']:.3f} -> {r['loss']:.3f}  "
                  + " ".join(f"{k.split('.')[1]}={v:.3g}" for k, v in r["overrides"].items()))
        if a.readout:
            ref = output_range("connectome", None, None)
            print(f"reference output range (hand-chosen connectome): {ref:.3f}")
            for r in res:
                g = readout_gain(r["brain"], r["wiring_seed"], r["overrides"], ref)
                r["overrides"] = {**r["overrides"], "integrator.readout_gain": g}
                print(f"{r['brain']:20s} readout_gain {g:.3g}")
        if a.write:
            write_fits(res, a.fits)
        return 0
    if a.out is None:
        ap.error("--out is required")
    r = fit(a.brain, a.seed, a.out, a.generations, kick=not a.no_kick, loss=a.loss)
    print(json.dumps({k: r[k] for k in ("brain", "wiring_seed", "overrides", "loss", "initial_loss", "loss_per_class", "rate_taus_fitted")}, indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
