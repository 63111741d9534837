"""The direct (thread-free) closed loop gives bit-for-bit the trajectories of the threaded one:
the worm connectome brain (noise on) in the chemotaxis env, same seed, both modes."""

import numpy as np
import pytest

from nervous_systems import closed_loop


def _episode(mode, monkeypatch, seed=3, steps=80):
    from runners.execution.episode import build_brain, load_organisms, make_env, resolve_task
    load_organisms()
    monkeypatch.setattr(closed_loop, "DEFAULT_MODE", mode)
    spec = resolve_task("celegans/chemotaxis")
    env = make_env(spec, steps * 0.01 + 1, {})
    brain = build_brain("connectome", spec.organism, env.observation_space, env.action_space,
                        control_dt=env.unwrapped.control_dt, backend="brian2")
    assert brain.loop.mode == mode
    acts, nose = [], []
    try:
        for s in (seed, seed + 1):   # a second episode after reset() too
            obs, info = env.reset(seed=s)
            brain.reset(s)
            for _ in range(steps):
                a = brain.act(obs)
                obs, _r, _te, _tr, info = env.step(a)
                acts.append(a)
                nose.append(info["nose"])
        rec = brain.record()
    finally:
        brain.close()
        env.close()
    return np.array(acts), np.array(nose), rec["v"]


def test_direct_equals_thread_bit_for_bit(monkeypatch):
    a_t, n_t, v_t = _episode("thread", monkeypatch)
    a_d, n_d, v_d = _episode("direct", monkeypatch)
    assert a_t.shape == a_d.shape and a_t.std() > 0      # the network does something
    assert np.array_equal(a_t, a_d)
    assert np.array_equal(n_t, n_d)
    assert np.array_equal(v_t, v_d)
    # and a different seed differs (the comparison is not vacuous)
    a_o, _, _ = _episode("direct", monkeypatch, seed=11)
    assert not np.array_equal(a_o, a_d)


@pytest.mark.slow
def test_direct_mode_costs_less_cpu_per_control_step(monkeypatch, capsys):
    """CPU time (all threads) per control step of the worm brain alone and in closed loop, both
    modes interleaved in one process (CPU time, not wall time: on a loaded machine the wall time
    mostly measures the scheduler). Run: python -m pytest -m slow -s THIS_FILE"""
    import time

    from runners.execution.episode import build_brain, load_organisms, make_env, resolve_task
    load_organisms()
    spec = resolve_task("celegans/chemotaxis")
    setups = {}
    for mode in ("thread", "direct"):
        monkeypatch.setattr(closed_loop, "DEFAULT_MODE", mode)
        env = make_env(spec, 1000, {})
        setups[mode] = (env, build_brain("connectome", spec.organism, env.observation_space,
                                         env.action_space, control_dt=env.unwrapped.control_dt))
    cpu = {}
    try:
        for rep in range(5):
            for mode, (env, brain) in setups.items():
                obs, _ = env.reset(seed=rep)
                brain.reset(rep)
                for what in ("closed", "brain"):
                    c0 = time.process_time()
                    for _ in range(300):
                        if what == "closed":
                            obs = env.step(brain.act(obs))[0]
                        else:
                            brain.act(obs)
                    cpu.setdefault((mode, what), []).append((time.process_time() - c0) / 300)
    finally:
        for env, brain in setups.values():
            brain.close()
            env.close()
    best = {k: min(v) * 1e6 for k, v in cpu.items()}
    with capsys.disabled():
        for (mode, what), us in sorted(best.items()):
            print(f"\n{mode:6s} {what:6s} {us:6.0f} µs CPU per 10 ms control step "
                  f"({1e4 / us:.1f}x real time if CPU-bound)", end="")
        print()
    assert best[("direct", "brain")] < best[("thread", "brain")]
    assert best[("direct", "closed")] < best[("thread", "closed")]
