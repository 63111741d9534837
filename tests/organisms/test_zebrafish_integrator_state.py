"""organisms/zebrafish/tools/integrator_state.py: binned iMI+ side state over a closed-loop run."""

import numpy as np
import pytest

from organisms.zebrafish.tools.integrator_state import main, side_state


def _episode(path, offset, side=1.0):
    t = np.arange(0, 6.0, 0.5)
    names = np.array(["iMI+_L", "iMI+_R", "BOUT"])
    v = np.zeros((t.size, 3))
    v[:, 0] = np.where(t < 3, 0.1 + 0.1 * side, 0.1) + offset   # the integrator follows the motion side
    v[:, 1] = 0.1 + offset
    motion_on = (t < 3).astype(float)
    np.savez(path, t=t, neural_t=t, neural_v=v, neural_names=names, motion_on=motion_on,
             motion_direction_fish=np.full(t.size, 1.5 * side))


def test_side_state_bins_the_mean_over_episodes(tmp_path):
    ep = tmp_path / "run" / "episodes"
    ep.mkdir(parents=True)
    _episode(ep / "ep_1.npz", 0.0)
    _episode(ep / "ep_2.npz", 0.3)   # a common offset cancels in L - R
    _episode(ep / "ep_3.npz", 0.0, side=-1.0)   # first epoch the other way: flipped onto the first
    res = side_state(sorted(ep.glob("*.npz")), 3.0)
    assert res["episodes"] == 3
    (a0, b0, d0, m0), (a1, b1, d1, m1) = res["rows"]
    assert (a0, b0, a1, b1) == (0.0, 3.0, 3.0, 6.0)
    assert d0 == pytest.approx(0.1) and d1 == pytest.approx(0.0)
    assert m0 == pytest.approx(1.5) and m1 == pytest.approx(0.0)   # rest epochs count as 0


def test_an_episode_without_the_integrator_is_named(tmp_path):
    ep = tmp_path / "run" / "episodes"
    ep.mkdir(parents=True)
    np.savez(ep / "ep_1.npz", t=np.zeros(3), neural_t=np.zeros(3), neural_v=np.zeros((3, 1)),
             neural_names=np.array(["BOUT"]), motion_on=np.zeros(3), motion_direction_fish=np.zeros(3))
    with pytest.raises(SystemExit, match="ep_1.npz: no iMI"):
        main([str(tmp_path / "run")])


def test_drive_means_split_motion_and_rest(tmp_path, capsys):
    from organisms.zebrafish.tools.integrator_state import drive_means

    ep = tmp_path / "run" / "episodes"
    ep.mkdir(parents=True)
    _episode(ep / "ep_1.npz", 0.0)
    _episode(ep / "ep_2.npz", 0.0, side=-1.0)
    r = drive_means(sorted(ep.glob("*.npz")))["means"]
    assert r[("|iMI+ L − R|", "motion")] == pytest.approx(0.1) and r[("|iMI+ L − R|", "rest")] == pytest.approx(0.0)
    assert r[("iMI+ L + R", "motion")] == pytest.approx(0.2)   # (0.2 + 0.0 + 2 x 0.1) / 2 episodes
    assert r[("iMI+ L + R", "rest")] == pytest.approx(0.2) and r[("BOUT", "motion")] == 0.0
    assert main([str(tmp_path / "run"), "--drive"]) == 0
    assert "0.100 / 0.000" in capsys.readouterr().out
