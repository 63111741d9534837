"""Build the larval zebrafish OMR circuit in Brian2 (parameters: ``models/omr_circuit.yaml``).

Three NeuronGroups, three Synapses objects, one bout trigger:

``brain``   rate units at dt_brain (2 ms): pretectum (monocular DS pools per eye, binocular
            pools), the hindbrain integrator (stochastic block model from the CLEM tables,
            :mod:`.integrator_sbm`), ARTR, bout drive, nMLF and vSPN (gated by the bout).
``bout``    one point process: fires with hazard h0 + h1 * bout drive, refractory T_bout + T_refr;
            its ``lastspike`` opens the bout gate for T_bout.
``spinal``  rate units at dt_spinal (0.25 ms) per segment and side: V2a (adapting), V0d, dI6, V1,
            MN (Roussel et al. 2021 cell types) — a chain of Matsuoka half-centres.

Pure numpy builds the index arrays and edges; Brian2 objects are created once per brain.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from nervous_systems.yaml_file import load_yaml

from nervous_systems.brian2_setup import brian2

from .integrator_sbm import EDGE_CLASSES, POPULATIONS, IntegratorWiring, class_gains

MODEL_YAML = Path(__file__).resolve().parent / "models" / "omr_circuit.yaml"
_MS = {"ms": 1e-3, "s": 1.0, "Hz": 1.0, "1": 1.0}
DIRS = ("F", "B", "L", "R")  # forward (tail->head), backward, leftward, rightward (fish frame)
SPINAL_TYPES = ("V2a", "V0d", "dI6", "V1", "MN")


def load_params(path: Path | str = MODEL_YAML, overrides: dict | None = None) -> dict:
    """The model YAML with ``overrides``: {"section.name": value} or a deeper dotted path
    ("populations.MC.n"), each in the YAML's unit; a {value, unit} entry gets its value replaced."""
    p = load_yaml(path)
    for key, val in (overrides or {}).items():
        *parents, name = key.split(".")
        node = p
        for part in parents:
            node = node.get(part) if isinstance(node, dict) else None
        if not parents or not isinstance(node, dict) or name not in node:
            raise KeyError(f"model override {key!r}: no parameter {name!r} in section "
                           f"{'.'.join(parents)!r} of {path}")
        if isinstance(node[name], dict) and "value" in node[name]:
            node[name]["value"] = val
        else:
            node[name] = val
    return p


def si(entry) -> float:
    """A YAML {value, unit} entry (or a bare number) in SI units."""
    if isinstance(entry, dict):
        unit = str(entry.get("unit", "1"))
        if unit not in _MS:
            raise ValueError(f"unknown unit {unit!r} in {entry}")
        return float(entry["value"]) * _MS[unit]
    return float(entry)


@dataclass
class Layout:
    """Names and index ranges of every population in the brain and spinal groups."""
    brain_pops: dict = field(default_factory=dict)   # name -> np.ndarray of indices
    spinal_pops: dict = field(default_factory=dict)  # (type, side) -> (n_seg,) indices
    n_brain: int = 0
    n_spinal: int = 0

    def add(self, name: str, n: int) -> np.ndarray:
        idx = np.arange(self.n_brain, self.n_brain + n)
        self.brain_pops[name] = idx
        self.n_brain += n
        return idx


class OMRCircuit:
    """The Brian2 network; ``set_visual``/``set_proprio`` in, ``motor()`` out, ``populations()``."""

    def __init__(self, wiring: IntegratorWiring, n_seg: int, params: dict | None = None, seed: int = 0,
                 include_spinal: bool = True):
        b2 = brian2()
        self.p = P = params or load_params()
        self.wiring = wiring
        self.n_seg = n_seg
        rng = np.random.default_rng(seed + 7919)
        L = self.layout = Layout()
        pops = P["populations"]
        # ---------------------------------------------------------------- brain layout
        # pretectum of side q receives the contralateral eye (complete decussation of the
        # retinal ganglion cell axons at the optic chiasm): PT_<dir>_L <- right eye, PT_<dir>_R <- left eye
        for q in ("L", "R"):
            for d in DIRS:
                L.add(f"PT_{d}_{q}", pops["PT_mono"]["n"])
        integ0 = L.n_brain
        for p_ in POPULATIONS:
            for h in ("L", "R"):
                sel = np.flatnonzero((wiring.population == p_) & (wiring.hemisphere == h))
                L.brain_pops[f"{p_}_{h}"] = integ0 + sel
        L.n_brain += wiring.n
        for h in ("L", "R"):
            L.add(f"ARTR_{h}", pops["ARTR"]["n"])
        L.add("BOUT", 1)
        for h in ("L", "R"):
            L.add(f"nMLF_{h}", pops["nMLF"]["n"])
        for h in ("L", "R"):
            L.add(f"vSPN_{h}", pops["vSPN"]["n"])
        # motor-command stage between the integrator and the turn command / bout drive (after the
        # other populations, so that their indices do not depend on it); n 0 = absent
        for h in ("L", "R"):
            L.add(f"MC_{h}", int(si(pops["MC"]["n"])) if "MC" in pops else 0)
        N = L.n_brain
        tau = np.zeros(N); bias = np.zeros(N); g_a = np.zeros(N); tau_a = np.ones(N); gated = np.zeros(N)
        i_gate = np.zeros(N)
        for name, idx in L.brain_pops.items():
            key = name.split("_")[0]
            key = {"PT": "PT_mono"}.get(key, key)
            spec = pops[key]
            tau[idx] = si(spec["tau"]); bias[idx] = float(spec.get("bias", 0.0))
            if "g_a" in spec:
                g_a[idx] = float(spec["g_a"]); tau_a[idx] = si(spec["tau_a"])
            if spec.get("gated"):
                gated[idx] = 1.0
        # per-class integrator parameters (FITTED per brain: models/integrator_fits.yaml): MON
        # adaptation strength and one bias shift for all integrator populations
        ipar = P["integrator"]
        for p_ in POPULATIONS:
            for h in ("L", "R"):
                idx = L.brain_pops[f"{p_}_{h}"]
                bias[idx] += si(ipar.get("bias_shift", 0.0))
                if p_ == "MON" and "MON_g_a" in ipar:
                    g_a[idx] = si(ipar["MON_g_a"])
        # motor-command stage (readout section; FITTED per brain where used): threshold (bias)
        # and adaptation (the dynamic threshold)
        rd = P.get("readout", {})
        for h in ("L", "R"):
            idx = L.brain_pops[f"MC_{h}"]
            if len(idx):
                bias[idx] = si(rd["mc_bias"]); g_a[idx] = si(rd["mc_g_a"]); tau_a[idx] = si(rd["mc_tau_a"])
        for h in ("L", "R"):
            i_gate[L.brain_pops[f"nMLF_{h}"]] = si(P["bout"]["nMLF_gate"])
            i_gate[L.brain_pops[f"vSPN_{h}"]] = si(P["bout"]["vSPN_gate"])

        # ---------------------------------------------------------------- brain edges
        # CLEM integrator edges x one gain per edge class (excitatory; inhibitory within a
        # hemisphere; inhibitory across the midline): per class, never per edge
        w_int = wiring.weight * class_gains(wiring, {k: si(ipar.get(k, 1.0)) for k in EDGE_CLASSES})
        pre, post, w = [wiring.pre + integ0], [wiring.post + integ0], [w_int]

        def connect(a, b, prob, weight):
            A, B = L.brain_pops[a], L.brain_pops[b]
            m = rng.random((len(A), len(B))) < prob  # drawn even when weight is 0: same stream
            if a == b:
                np.fill_diagonal(m, False)
            i, j = np.nonzero(m)
            if len(i) == 0 or weight == 0:
                return
            # weights normalised by the expected number of inputs: w is the input at full rate
            pre.append(A[i]); post.append(B[j]); w.append(np.full(len(i), weight / max(prob * len(A), 1e-9)))

        def side(name, h, o):
            return name.replace("_h", f"_{h}").replace("_o", f"_{o}")

        def scale_of(pr):
            """The product of the parameters a projection's ``scale`` names (e.g. the per-brain
            integrator.readout_gain); a name that is not a parameter of the model is an error."""
            out = 1.0
            for ref in pr.get("scale", []):
                sec, _, name = str(ref).partition(".")
                if name not in P.get(sec, {}):
                    raise KeyError(f"projection {pr['pre']} -> {pr['post']}: scale {ref!r} is not a model parameter")
                out *= si(P[sec][name])
            return out

        for pr in P["projections"]:
            a, b = pr["pre"], pr["post"]
            scale = scale_of(pr)
            sided = any(tok in a or tok in b for tok in ("_h", "_o"))
            for h, o in ((("L", "R"), ("R", "L")) if sided else (("L", "R"),)):
                a2, b2_ = side(a, h, o), side(b, h, o)
                if a2.endswith("_b"):  # both pretecta, half the weight from each
                    for q in ("L", "R"):
                        connect(a2[:-2] + f"_{q}", b2_, pr["p"], pr["w"] / 2 * scale)
                else:
                    connect(a2, b2_, pr["p"], pr["w"] * scale)
        # pretectum -> hindbrain integrator (the axons that enter the CLEM volume rostrally): each
        # population's share of such input synapses (clem_inputs.csv) x w_visual, from the
        # ipsilateral pretectum (1 - contra_fraction) and the contralateral one (contra_fraction);
        # the projection prefers ipsiversive motion only weakly (ds_bias): hemisphere h gets
        # (1 + b)/2 of its drive from the pools tuned to motion toward h and (1 - b)/2 from the
        # opposite pools, so sharp direction selectivity has to come from the CLEM cross-midline
        # inhibition (cMI -> contralateral integrators)
        vp = P["visual"]
        w_vis, b_ds, cf = si(vp["w_visual"]), si(vp["ds_bias"]), si(vp["contra_fraction"])
        for h, o in (("L", "R"), ("R", "L")):
            for p_ in POPULATIONS:
                vw = wiring.visual_weight.get(p_, 0.0)
                if vw <= 0:
                    continue
                for q, sw in ((h, 1.0 - cf), (o, cf)):
                    connect(f"PT_{h}_{q}", f"{p_}_{h}", si(vp["p"]), w_vis * vw * sw * (1 + b_ds) / 2)
                    connect(f"PT_{o}_{q}", f"{p_}_{h}", si(vp["p"]), w_vis * vw * sw * (1 - b_ds) / 2)
        self.brain_pre = np.concatenate(pre).astype(int)
        self.brain_post = np.concatenate(post).astype(int)
        self.brain_w = np.concatenate(w)

        # ---------------------------------------------------------------- Brian2 objects
        dtb = si(P["numerics"]["dt_brain"]) * b2.second
        dts = si(P["numerics"]["dt_spinal"]) * b2.second
        method = P["numerics"]["method"]
        bp = P["bout"]
        self.bout = b2.NeuronGroup(
            1, """drive : 1 (linked)
                  hazard = h0 + h1*clip(drive, 0, 1) : Hz""",
            threshold="rand() < hazard*dt",
            refractory=(si(bp["T_bout"]) + si(bp["T_refr"])) * b2.second,
            namespace={"h0": si(bp["h0"]) * b2.Hz, "h1": si(bp["h1"]) * b2.Hz},
            dt=dtb, name="bout_trigger")
        # descending drive states: three units that fluctuate with the network's own noise
        # (Ornstein-Uhlenbeck: mean mu, stationary s.d. sigma, correlation time tau) and
        # multiply the gated input of the descending pools while a bout lasts: unit 0, the
        # locomotor drive, scales both nMLF (bout vigour); units 1 and 2, the turn drives of the
        # left and right side, scale vSPN_L and vSPN_R. The pools' rate clip(u, 0, 1) rectifies
        # them, so a turn drive below threshold gives a forward swim and one above it a turn.
        # Nothing is drawn per bout: successive bouts share the slow states (their vigour is
        # correlated: the lag-1 autocorrelation of displacement, scored against Le Goc 2021).
        vg = P["vigour"]
        self.vigour = b2.NeuronGroup(
            3, """dv/dt = (mu_d - v)/tau_d + sigma_d*sqrt(2/tau_d)*xi_d : 1
                  mu_d : 1 (constant)
                  sigma_d : 1 (constant)
                  tau_d : second (constant)""",
            method="euler", dt=dtb, name="descending_drive")
        vd = self.vigour
        vd.mu_d = [si(vg["mu"]), si(vg["turn_mu"]), si(vg["turn_mu"])]
        vd.sigma_d = [si(vg["sigma"]), si(vg["turn_sigma"]), si(vg["turn_sigma"])]
        vd.tau_d = [si(vg["tau"]) * b2.second, si(vg["turn_tau"]) * b2.second, si(vg["turn_tau"]) * b2.second]
        vd.v = [si(vg["mu"]), si(vg["turn_mu"]), si(vg["turn_mu"])]
        self.G = b2.NeuronGroup(
            N, """du/dt = (-u + (1 - gated + gated*gate)*(I_syn + I_ext + I_noise + bias - g_a*a + I_gate*(1 + vig_on*(vig_b - 1))))/tau : 1
                  vig_b : 1 (linked)
                  vig_on : 1 (constant)
                  da/dt = (-a + clip(u, 0, 1))/tau_a : 1
                  gate = int(t - t_bout < T_bout) : 1
                  r = clip(u, 0, 1) : 1
                  I_syn : 1
                  I_ext : 1
                  I_noise : 1
                  t_bout : second (linked)
                  tau : second (constant)
                  tau_a : second (constant)
                  bias : 1 (constant)
                  g_a : 1 (constant)
                  gated : 1 (constant)
                  I_gate : 1 (constant)""",
            method=method, dt=dtb, namespace={"T_bout": si(bp["T_bout"]) * b2.second}, name="omr_brain")
        G = self.G
        G.tau = tau * b2.second; G.tau_a = tau_a * b2.second; G.bias = bias; G.g_a = g_a
        G.gated = gated; G.I_gate = i_gate; G.u = bias
        G.t_bout = b2.linked_var(self.bout, "lastspike", index=np.zeros(N, dtype=int))
        vig_on = np.zeros(N)
        vig_src = np.zeros(N, dtype=int)
        for k, h in enumerate(("L", "R")):
            vig_on[L.brain_pops[f"nMLF_{h}"]] = 1.0
            vig_on[L.brain_pops[f"vSPN_{h}"]] = 1.0
            vig_src[L.brain_pops[f"vSPN_{h}"]] = 1 + k
        G.vig_b = b2.linked_var(self.vigour, "v", index=vig_src)
        G.vig_on = vig_on
        self.bout.drive = b2.linked_var(G, "u", index=np.array([L.brain_pops["BOUT"][0]]))
        nz = P["noise"]
        G.run_regularly(f"I_noise = {si(nz['sigma'])}*randn()", dt=si(nz["tau"]) * b2.second, name="omr_noise")
        self.S = b2.Synapses(G, G, "w : 1 (constant)\nI_syn_post = w*r_pre : 1 (summed)", dt=dtb, name="omr_syn")
        self.S.connect(i=self.brain_pre, j=self.brain_post)
        self.S.w = self.brain_w

        self.include_spinal = include_spinal
        pop_names = [k for k, idx in L.brain_pops.items() if len(idx)]  # an absent (n 0) stage is not a population
        self.pop_names = pop_names
        self._pop_idx = [L.brain_pops[k] for k in pop_names]
        # eye e (0 = left) feeds the contralateral pretectum
        self._pt_idx = {(d, e): L.brain_pops[f"PT_{d}_{'R' if e == 'eyeL' else 'L'}"] for e in ("eyeL", "eyeR") for d in DIRS}
        if not include_spinal:  # open-loop imaging protocol (paralysed fish): brain side only
            self.net = b2.Network(self.bout, self.vigour, G, self.S)
            return
        # ---------------------------------------------------------------- spinal cord
        sp = P["spinal"]
        ns = n_seg
        order = [(t, s) for t in SPINAL_TYPES for s in ("L", "R")]
        for k, key in enumerate(order):
            L.spinal_pops[key] = np.arange(k * ns, (k + 1) * ns)
        L.n_spinal = len(order) * ns
        M = L.n_spinal
        stau = np.full(M, si(sp["tau_int"])); sga = np.zeros(M)
        for s in ("L", "R"):
            stau[L.spinal_pops[("V2a", s)]] = si(sp["tau_fast"]); stau[L.spinal_pops[("MN", s)]] = si(sp["tau_fast"])
            sga[L.spinal_pops[("V2a", s)]] = si(sp["g_a"])
        # one time constant for every unit (tau_fast == tau_int): a namespace constant, so the
        # exponential-Euler factor exp(-dt/tau) is computed once per step, not once per unit
        # (same values: the same expression on the same numbers)
        uniform_tau = bool(np.all(stau == stau[0]))
        ns_sp = {"tau_a": si(sp["tau_a"]) * b2.second}
        if uniform_tau:
            ns_sp["tau"] = float(stau[0]) * b2.second
        # the spinal group and its synapses tick on one clock (one clock to advance per sub-step)
        self.spinal_clock = b2.Clock(dt=dts, name="spinal_clock")
        self.C = b2.NeuronGroup(
            M, """du/dt = (-u + I_syn + w_n*clip(nmlf, 0, 1) + w_v*clip(vspn, 0, 1) + I_prop - g_a*a)/tau : 1
                  da/dt = (-a + clip(u, 0, 1))/tau_a : 1
                  r = clip(u, 0, 1) : 1
                  I_syn : 1
                  I_prop : 1
                  nmlf : 1 (linked)
                  vspn : 1 (linked)
                  w_n : 1 (constant)
                  w_v : 1 (constant)
                  g_a : 1 (constant)""" + ("" if uniform_tau else "\ntau : second (constant)"),
            method=method, clock=self.spinal_clock, namespace=ns_sp, name="spinal")
        C = self.C
        if not uniform_tau:
            C.tau = stau * b2.second
        C.g_a = sga
        spre, spost, sw = [], [], []

        def sconn(a, b, weight, shift=0):
            A, B = L.spinal_pops[a], L.spinal_pops[b]
            if shift == 0:
                i = np.arange(ns); j = i
            elif shift > 0:
                i = np.arange(ns - shift); j = i + shift
            else:
                i = np.arange(-shift, ns); j = i + shift
            spre.append(A[i]); spost.append(B[j]); sw.append(np.full(len(i), weight))

        for s, o in (("L", "R"), ("R", "L")):
            for t in ("V0d", "dI6", "V1"):
                sconn(("V2a", s), (t, s), 1.0)
            sconn(("V0d", s), ("V2a", o), -si(sp["w_V0d"]))
            sconn(("V0d", s), ("MN", o), -si(sp["w_V0d"]))
            sconn(("dI6", s), ("V2a", o), -si(sp["w_dI6"]), +1)
            sconn(("dI6", s), ("V2a", o), -si(sp["w_dI6"]), -1)
            sconn(("V1", s), ("V2a", s), -si(sp["w_V1"]))
            sconn(("V1", s), ("MN", s), -si(sp["w_V1"]))
            sconn(("V2a", s), ("V2a", s), si(sp["w_rc"]), +1)
            sconn(("V2a", s), ("MN", s), si(sp["w_MN"]))
            sconn(("V2a", s), ("MN", s), 0.5 * si(sp["w_MN"]), +1)
        self.spinal_pre = np.concatenate(spre); self.spinal_post = np.concatenate(spost)
        self.spinal_w = np.concatenate(sw)
        self.SC = b2.Synapses(C, C, "w : 1 (constant)\nI_syn_post = w*r_pre : 1 (summed)", clock=self.spinal_clock,
                              name="spinal_syn")
        self.SC.connect(i=self.spinal_pre, j=self.spinal_post)
        self.SC.w = self.spinal_w
        # descending (nMLF_h -> V2a_h, all segments, rostral excess; vSPN_h -> rostral V2a_h and
        # MN_h) as linked variables: each spinal unit reads its side's pool-mean descending
        # rate; no per-step synapse cost
        grad = 1.0 + si(sp["grad"]) * np.arange(ns)[::-1]
        nt = int(si(sp["n_turn_segments"]))
        w_n = np.zeros(M); w_v = np.zeros(M); src_n = np.zeros(M, int); src_v = np.zeros(M, int)
        for s in ("L", "R"):
            rep_n = L.brain_pops[f"nMLF_{s}"][0]; rep_v = L.brain_pops[f"vSPN_{s}"][0]
            for t in SPINAL_TYPES:
                src_n[L.spinal_pops[(t, s)]] = rep_n; src_v[L.spinal_pops[(t, s)]] = rep_v
            w_n[L.spinal_pops[("V2a", s)]] = si(sp["w_nMLF"]) * grad
            w_v[L.spinal_pops[("V2a", s)][:nt]] = si(sp["w_vSPN"])
            w_v[L.spinal_pops[("MN", s)][:nt]] = si(sp["w_vSPN"])
        C.w_n = w_n; C.w_v = w_v
        C.nmlf = b2.linked_var(G, "u", index=src_n)
        C.vspn = b2.linked_var(G, "u", index=src_v)
        self.net = b2.Network(self.bout, self.vigour, G, self.S, C, self.SC)
        self.bout_spikes = None
        self._v2a = {s: L.spinal_pops[("V2a", s)] for s in ("L", "R")}
        self._mn = np.concatenate([L.spinal_pops[("MN", "L")], L.spinal_pops[("MN", "R")]])

        def as_slice(idx):  # consecutive indices (the layout is type-major, side, segment)
            assert np.array_equal(idx, np.arange(idx[0], idx[-1] + 1)), "spinal layout is not contiguous"
            return slice(int(idx[0]), int(idx[-1]) + 1)
        self._mn_sl = as_slice(self._mn)
        self._v2a_sl = {s: as_slice(self._v2a[s]) for s in ("L", "R")}
        assert self._v2a_sl["L"].stop == self._v2a_sl["R"].start
        self._mn_gain = si(sp["mn_gain"])
        self._w_prop = si(sp["w_prop"])

    # ------------------------------------------------------------------ I/O (inside the run)
    # The state arrays are read and written in place (runtime mode keeps them as numpy arrays;
    # Network.restore fills them in place): Brian2's indexing API costs ~100 us per call.
    def _arrays(self):
        if getattr(self, "_arr", None) is None:
            G = self.G
            self._arr = {"u": G.variables["u"].get_value(), "I_ext": G.variables["I_ext"].get_value(),
                         "lastspike": self.bout.variables["lastspike"].get_value(),
                         "t": self.G.variables["t"].get_value()}
            order = np.concatenate(self._pop_idx)
            self._pop_order = order
            self._pop_starts = np.cumsum([0] + [len(i) for i in self._pop_idx])[:-1]
            self._pop_sizes = np.array([len(i) for i in self._pop_idx], float)
            pt = np.zeros((2, len(DIRS)), object)
            self._pt_flat = [self._pt_idx[(d, e)] for e in ("eyeL", "eyeR") for d in DIRS]
            if self.include_spinal:
                C = self.C
                self._arr.update(su=C.variables["u"].get_value(), prop=C.variables["I_prop"].get_value())
        return self._arr

    def state_arrays(self) -> dict:
        """The live state arrays ("u", "I_ext", "lastspike", "t", ...), read/written in place."""
        return self._arrays()

    def set_visual(self, ds: np.ndarray) -> None:
        """``ds``: (2 eyes, 4 directions F, B, L, R) direction-selective drive."""
        I = self._arrays()["I_ext"]
        for idx, v in zip(self._pt_flat, np.asarray(ds, float).ravel()):
            I[idx] = v

    def set_proprio(self, tail_angles: np.ndarray) -> None:
        """Stretch feedback: a bend to the left (angle > 0) stretches the right side."""
        prop = self._arrays()["prop"]
        ang = np.asarray(tail_angles, float)[: self.n_seg]
        n = len(ang)
        if n == self.n_seg:  # the V2a units of a side are consecutive (layout): slices, no fancy index
            w = self._w_prop
            np.multiply(np.maximum(ang, 0.0), w, out=prop[self._v2a_sl["R"]])
            np.multiply(np.maximum(-ang, 0.0), w, out=prop[self._v2a_sl["L"]])
            return
        prop[self._v2a["R"][:n]] = self._w_prop * np.clip(ang, 0, None)
        prop[self._v2a["L"][:n]] = self._w_prop * np.clip(-ang, 0, None)

    def motor(self) -> np.ndarray:
        """Muscle activations [MN_L (n_seg), MN_R (n_seg)] = clip(clip(MN rate, 0, 1) x mn_gain, 0, 1)
        as a fresh float32 array (the MN units of both sides are consecutive: one slice)."""
        u = self._arrays()["su"][self._mn_sl]
        m = np.maximum(u, 0.0)
        np.minimum(m, 1.0, out=m)
        np.multiply(m, self._mn_gain, out=m)
        np.minimum(np.maximum(m, 0.0, out=m), 1.0, out=m)
        return m.astype(np.float32)

    def populations(self) -> np.ndarray:
        """Mean rate of every brain population (order ``pop_names``)."""
        a = self._arrays()
        r = np.clip(a["u"][self._pop_order], 0, 1)
        return (np.add.reduceat(r, self._pop_starts) / self._pop_sizes).astype(np.float32)

    def spinal_activity(self) -> np.ndarray:
        """Mean V2a and MN rate per side: [V2a_L, V2a_R, MN_L, MN_R]."""
        su = self._arrays()["su"]
        r = np.concatenate([su[self._v2a_sl["L"].start:self._v2a_sl["R"].stop], su[self._mn_sl]])
        np.minimum(np.maximum(r, 0.0, out=r), 1.0, out=r)
        return (r.reshape(4, self.n_seg).sum(1) / self.n_seg).astype(np.float32)

    def gate(self) -> float:
        a = self._arrays()
        return float(float(a["t"].ravel()[0]) - float(a["lastspike"][0]) < si(self.p["bout"]["T_bout"]))

    def describe(self) -> dict:
        return {"n_brain_units": int(self.layout.n_brain), "n_spinal_units": int(self.layout.n_spinal),
                "n_integrator_units": int(self.wiring.n), "n_integrator_edges": int(len(self.wiring.pre)),
                "n_brain_edges": int(len(self.brain_pre)), "n_spinal_edges": int(len(getattr(self, "spinal_pre", ()))),
                "integrator_wiring": self.wiring.label}
