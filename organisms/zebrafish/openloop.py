"""Open-loop protocol of the recordings: whole-field motion in the preferred vs null direction.

The Boulanger-Weill 2025 imaging (``data/clem_responses_*``) shows 80 s trials sampled at 2 Hz,
motion from 20 to 60 s (inferred from the traces). A leftward grating is the preferred
direction of the left hemisphere's integrators and the null direction of the right
hemisphere's, so one run gives both: left populations = preferred, right = null. The fish is
paralysed in the imaging rig, so only the brain side of the circuit runs (no spinal cord).
"""

from __future__ import annotations

import numpy as np

from nervous_systems.brian2_setup import brian2

from .circuit import OMRCircuit, load_params, si
from .integrator_sbm import IntegratorWiring, make_wiring
from .retina import ReichardtRetina, default_eye_points, grating_samples

T_TOTAL, T_ON, T_OFF = 80.0, 20.0, 60.0
CLASSES = ("iMI", "cMI", "MON", "SMI")  # recorded classes; model iMI = iMI+ and iMI- pooled


def wiring_for(brain: str, wiring_seed: int | None = None, shuffle_seed: int | None = None,
               params: dict | None = None) -> IntegratorWiring:
    """The integrator wiring of ``brain`` (a name of :data:`.integrator_sbm.WIRINGS`)."""
    p = params or load_params()
    ip = p["integrator"]
    seed = wiring_seed if wiring_seed is not None else shuffle_seed
    return make_wiring(brain, seed, scale=si(ip["scale"]), completeness=si(ip["completeness"]), g_syn=si(ip["g_syn"]))


def run_protocol(wiring: IntegratorWiring, seed: int = 0, params: dict | None = None, sample_dt: float = 0.5,
                 t_total: float = T_TOTAL, t_on: float = T_ON, t_off: float = T_OFF, n_eye: int = 16,
                 speed: float = 10.0, period: float = 10.0) -> dict:
    """Run the brain side open loop; returns ``{"t": (T,), "<class>_preferred"/"_null": (T,)}``
    (population mean rates sampled every ``sample_dt`` s) plus every population under ``pops``."""
    b2 = brian2()
    p = params or load_params()
    dt = si(p["numerics"]["dt_brain"])
    c = OMRCircuit(wiring, 2, p, include_spinal=False)
    pts = default_eye_points(n_eye)
    rp = p["retina"]
    retina = ReichardtRetina(pts, dt, si(rp["tau_hrc"]), si(rp["tau_adapt"]), si(rp["gain"]))
    every = int(round(sample_dt / dt))
    rows, k = [], [0]

    @b2.network_operation(dt=dt * b2.second, when="start")
    def _stim():
        tt = k[0] * dt
        if t_on <= tt < t_off:
            lum = grating_samples(pts, tt, np.pi / 2, speed, period)  # leftward
        else:
            lum = grating_samples(pts, 0.0, np.pi / 2, speed, period)  # static grating
        c.set_visual(retina.step(lum[0], lum[1]))
        if k[0] % every == 0:
            rows.append(c.populations())
        k[0] += 1

    c.net.add(_stim)
    b2.seed(seed)
    c.net.run(t_total * b2.second, namespace={})
    pops = np.asarray(rows)[: int(round(t_total / sample_dt))]
    t = np.arange(len(pops)) * sample_dt
    named = {n: pops[:, i] for i, n in enumerate(c.pop_names)}
    out = {"t": t, "pops": named}
    for cls in CLASSES:
        src = ("iMI+", "iMI-") if cls == "iMI" else (cls,)
        for side, cond in (("L", "preferred"), ("R", "null")):
            sizes = [len(c.layout.brain_pops[f"{s}_{side}"]) for s in src]
            out[f"{cls}_{cond}"] = sum(named[f"{s}_{side}"] * n for s, n in zip(src, sizes)) / sum(sizes)
    return out
