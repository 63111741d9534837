"""tasks/optomotor/tools/side_readout.py: the turn side against a recorded left − right signal."""

import math

import numpy as np
import pytest

from tasks.optomotor.tools.side_readout import logistic_fit, main, table, turn_signals

FS = 250.0


def _episode(path, signs, noise_turns=(), turns=None):
    """Turns of +-30 deg at 1 s spacing; the recorded A - B signal before turn i is 0.2 * signs[i];
    turn i goes the signal's way (``turns`` None) except for ``noise_turns``, or ``turns[i]``."""
    n = len(signs)
    t = np.arange(0, n + 1.0, 1 / FS)
    ta = np.zeros((t.size, 4))
    heading = np.zeros(t.size)
    sig = np.zeros(t.size)
    for i, sgn in enumerate(signs):
        onset = 0.5 + i
        m = (t >= onset) & (t < onset + 0.16)
        ta[m] = 0.05 * np.sin(2 * np.pi * 29 * (t[m] - onset))[:, None]
        turn = turns[i] if turns is not None else (-sgn if i in noise_turns else sgn)
        heading[t >= onset + 0.08] += math.radians(30.0 * turn)
        sig[(t >= onset - 0.3) & (t < onset)] = 0.2 * sgn
    v = np.c_[sig, np.zeros(t.size)]
    np.savez(path, t=t, tail_angles=ta, heading=heading, head_xy=np.c_[t, 0 * t], speed=np.ones_like(t),
             motion_on=np.zeros(t.size), motion_direction_fish=np.zeros(t.size),
             neural_t=t, neural_v=v, neural_names=np.array(["A", "B"]))


def test_turn_side_follows_the_signal_and_the_fit_is_steep(tmp_path):
    ep = tmp_path / "run" / "episodes"
    ep.mkdir(parents=True)
    rng = np.random.default_rng(0)
    signs = list(rng.choice([-1, 1], 40))
    _episode(ep / "ep_0.npz", signs, noise_turns={3, 11})
    res = turn_signals(sorted(ep.glob("*.npz")), "A", "B")
    assert res["signal"].size == 40 and not res["motion"].any()
    assert np.array_equal(res["left"], (np.array(signs) > 0) ^ np.isin(np.arange(40), [3, 11]))
    rows = table(res)
    assert sum(r[2] for r in rows) == 40
    fit = logistic_fit(res["signal"], res["left"])
    assert fit["k"] > 5 and abs(fit["s0"]) < 0.2   # 38 of 40 turns follow the signal's sign


def test_a_side_independent_of_the_signal_gives_a_flat_readout(tmp_path):
    ep = tmp_path / "run" / "episodes"
    ep.mkdir(parents=True)
    _episode(ep / "ep_0.npz", [1, 1, -1, -1] * 10, turns=[1, -1] * 20)  # half of each signal's turns go left
    res = turn_signals(sorted(ep.glob("*.npz")), "A", "B")
    assert res["left"].mean() == pytest.approx(0.5)
    assert abs(logistic_fit(res["signal"], res["left"])["k"]) < 1.0   # the signal does not predict the side


def test_errors_name_the_file_or_option(tmp_path, capsys):
    ep = tmp_path / "run" / "episodes"
    ep.mkdir(parents=True)
    _episode(ep / "ep_0.npz", [1, -1] * 10)
    with pytest.raises(SystemExit, match="no 'iMI\\+_L' in neural_names"):
        main([str(tmp_path / "run")])
    with pytest.raises(SystemExit, match="not a run folder"):
        main([str(tmp_path / "nothing")])
    assert main([str(tmp_path / "run"), "--signal", "A", "B"]) == 0
    assert "P(turn left)" in capsys.readouterr().out
