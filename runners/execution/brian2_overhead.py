"""Brian2 runtime cost per time step as objects are added (why the time step sets the worm's speed).

    python -m runners.execution.brian2_overhead

Builds a 302-neuron NeuronGroup (exponential Euler, 1 ms) and adds 0–3 ``Synapses`` objects with a
summed variable each (3,000 random synapses), then times a 2 s and a 22 s run to separate the fixed
cost per ``Network.run()`` call from the cost per time step.
"""

from __future__ import annotations

import time

import numpy as np

from nervous_systems.brian2_setup import brian2

EQS = """
dv/dt = (Gc*(Ec - v) + I1 - G2*v + I3 + Iext)/C : volt
ds/dt = ar/(1+exp(-beta*(v-Vth)))*(1-s) - ad*s : 1
I1 : amp
I3 : amp
G2 : siemens
Iext : amp
Vth : volt
"""


def build(n_summed: int, n: int = 302, n_syn: int = 3000, seed: int = 0):
    b2 = brian2()
    rng = np.random.default_rng(seed)
    ns = dict(Gc=10 * b2.psiemens, Ec=-35 * b2.mV, C=1.5 * b2.pfarad, ar=1 / b2.second,
              ad=5 / b2.second, beta=0.125 / b2.mV)
    g = b2.NeuronGroup(n, EQS, method="exponential_euler", dt=1 * b2.ms, namespace=ns)
    g.v = -35 * b2.mV
    g.Vth = -35 * b2.mV
    objs = [g]
    summed = ["I1_post = w*pA*s_pre : amp (summed)", "G2_post = w*psiemens*s_pre : siemens (summed)",
              "I3_post = w*psiemens*v_pre : amp (summed)"]
    for k in range(n_summed):
        syn = b2.Synapses(g, g, "w : 1\n" + summed[k], dt=1 * b2.ms)
        syn.connect(i=rng.integers(0, n, n_syn), j=rng.integers(0, n, n_syn))
        syn.w = 1
        objs.append(syn)
    return b2.Network(*objs)


def main() -> int:
    b2 = brian2()
    print("objects                     µs per step   fixed cost per run() (ms)")
    for k in range(4):
        net = build(k)
        net.run(10 * b2.ms)  # compile
        t0 = time.perf_counter(); net.run(2 * b2.second); ta = time.perf_counter() - t0
        t0 = time.perf_counter(); net.run(22 * b2.second); tb = time.perf_counter() - t0
        per = (tb - ta) / 20000
        print(f"NeuronGroup + {k} summed syn.  {per * 1e6:11.1f}   {(ta - 2000 * per) * 1e3:10.0f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
