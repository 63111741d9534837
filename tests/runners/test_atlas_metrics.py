"""Scorer sanity on the atlas alone (fast): split halves near the ceiling, shuffled labels near
zero, flipped signs negative; plus the indicator model and AUROC on known inputs."""

import numpy as np
import pytest

from organisms.c_elegans.atlas_data import atlas_available
from runners.scoring import atlas_metrics as am

AVAILABLE, WHY = atlas_available()
needs_atlas = pytest.mark.skipif(not AVAILABLE, reason=WHY)


def test_auroc_known_values():
    assert am.auroc(np.array([0.1, 0.2, 0.8, 0.9]), np.array([0, 0, 1, 1], bool)) == 1.0
    assert am.auroc(np.array([0.9, 0.8, 0.1, 0.2]), np.array([0, 0, 1, 1], bool)) == 0.0
    assert am.auroc(np.zeros(4), np.array([0, 0, 1, 1], bool)) == 0.5


def test_rankdata_matches_scipy():
    from scipy.stats import rankdata
    x = np.array([3.0, 1.0, 2.0, 2.0, 5.0, 1.0, 2.0])
    assert np.allclose(am.rankdata(x), rankdata(x))


def test_indicator_sign_and_rest():
    dt = 0.05
    v_pre = np.array([-30.0, -30.0, -30.0])
    seg = np.tile(v_pre, (40, 1))
    seg[:10, 0] += 20.0     # depolarised 0.5 s
    seg[:10, 1] -= 20.0     # hyperpolarised
    dff = am.dff_response(seg, v_pre, dt)
    assert dff[0] > 0 > dff[1] and dff[2] == 0.0
    # a longer depolarisation gives a larger window mean
    seg2 = seg.copy(); seg2[:20, 0] = -10.0
    assert am.dff_response(seg2, v_pre, dt)[0] > dff[0]
    assert am.gcamp_kernel_cumulative(0.0) == pytest.approx(0.0)
    assert am.gcamp_kernel_cumulative(1e3) == pytest.approx(1.0)


@pytest.fixture(scope="module")
def wt():
    from organisms.c_elegans.atlas_data import load_atlas
    return load_atlas("wt")


@needs_atlas
def test_split_half_scores_near_ceiling(wt):
    ceiling = am.split_half_ceiling(wt.trials, wt.q, n_rep=3, seed=0)
    a, b = am.split_half_matrices(wt.trials, np.random.default_rng(123))
    s = am.score_responses(a, b, wt.q)
    assert s["r_sig"] > 0.3 and s["sign"] > 0.8 and s["auroc"] > 0.65
    for k in ("r_all", "r_sig", "sign", "auroc"):
        assert s[k] == pytest.approx(ceiling[k], abs=0.08), k


@needs_atlas
def test_shuffled_labels_score_near_zero(wt):
    a, b = am.split_half_matrices(wt.trials, np.random.default_rng(1))
    s = am.score_responses(am.permute_labels(a, np.random.default_rng(2)), b, wt.q)
    assert abs(s["r_all"]) < 0.05 and abs(s["r_sig"]) < 0.2 and abs(s["auroc"] - 0.5) < 0.1


@needs_atlas
def test_flipped_signs_score_negative(wt):
    a, b = am.split_half_matrices(wt.trials, np.random.default_rng(3))
    s = am.score_responses(-a, b, wt.q)
    assert s["r_all"] < 0 and s["r_sig"] < -0.3 and s["sign"] < 0.2
