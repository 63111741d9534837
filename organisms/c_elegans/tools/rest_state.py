"""Print the self-consistent rest state of a worm brain's graded network (no simulation).

    python -m organisms.c_elegans.tools.rest_state [--params FILE] [--shift-all MV] [--brain connectome]

For the params file (default: the brain's own) the per-class threshold shifts are applied, the
fixed point of the full nonlinear model is found (``nervous_systems.graded_network.graded_rest_state``)
and the script prints how it was found, its stability (largest real part of the Jacobian's
eigenvalues), the mean synaptic activation at rest (Kunert 2014 mid-activation: 1/11), the share of
the input conductance that is leak, and the rest potential of the pathway neurons next to their
Kunert 2014 reference potential. ``--shift-all`` adds a uniform shift to every neuron (diagnostic).
"""

from __future__ import annotations

import argparse

import numpy as np

SHOW = ["ASEL", "ASER", "AIYL", "AIBL", "RIAL", "RIML", "AVAL", "AVBL", "AVEL", "SMDDL", "VA05", "VB05"]


def main(argv=None) -> int:
    import organisms  # noqa: F401  (registers the brains)
    from nervous_systems.graded_network import graded_rest_state
    from nervous_systems.network_model import NetworkModel
    from organisms.c_elegans import load_connectome
    from organisms.c_elegans.params import apply_class_params, load_params
    from organisms.c_elegans.wiring import apply_sign_overrides

    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--brain", default="connectome")
    p.add_argument("--params", default=None)
    p.add_argument("--shift-all", type=float, default=0.0)
    a = p.parse_args(argv)
    params = load_params(a.params or a.brain)
    c = apply_sign_overrides(load_connectome("cook2019_herm"))
    c, shifts = apply_class_params(c, params)
    model = NetworkModel.load("graded_kunert2014")
    if params.model_overrides():
        model = model.with_overrides(**params.model_overrides())
    ns = model.namespace()
    names = list(c.names)
    vec = np.full(c.n_neurons, a.shift_all)
    for k, v in shifts.items():
        vec[names.index(k)] += v
    r = graded_rest_state(c, ns, model, vec)
    G_c = float(ns["G_c"])
    print(f"# params {params.source}; extra uniform shift {a.shift_all:g} mV")
    print(f"method {r.method}; residual {r.residual:.1e} (x leak current at 1 mV); max Re(eig) "
          f"{r.max_eig:.2f} /s ({'stable' if r.stable else 'UNSTABLE'})")
    print(f"mean s at rest {r.s_rest.mean():.4f} (Kunert mid-activation a_r/2 / (a_r/2 + a_d) = 0.0909); median leak share of "
          f"G_in {np.median(G_c / r.G_in):.4f}")
    print(f"{'neuron':8s} {'rest mV':>8s} {'Kunert ref mV':>14s} {'s_rest':>8s}")
    for n in SHOW:
        j = names.index(n)
        print(f"{n:8s} {r.v_rest[j] * 1e3:8.1f} {r.v_ref[j] * 1e3:14.1f} {r.s_rest[j]:8.4f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
