"""tasks.statistics: the project's one percentile-bootstrap CI (known answers, coverage, bad input,
and the random-number layout the committed tables depend on). Fast: < 2 s."""

import numpy as np
import pytest

from tasks.statistics import (
    CI,
    bootstrap_ci,
    bootstrap_diff_ci,
    percentile_interval,
    ratio_of_sums,
    resample_indices,
)


def test_constant_sample_gives_a_degenerate_interval():
    assert bootstrap_ci(np.full(7, 0.3)) == CI(pytest.approx(0.3), pytest.approx(0.3), pytest.approx(0.3))
    est, lo, hi = bootstrap_ci([2.0], min_n=1)  # one unit: every resample is that unit
    assert est == lo == hi == 2.0


def test_known_answer_matches_a_hand_written_bootstrap():
    x = np.array([0.1, 0.5, 0.2, 0.9, 0.4, 0.7])
    g = np.random.default_rng(11)
    boots = x[g.integers(0, x.size, (3000, x.size))].mean(axis=1)
    want = np.percentile(boots, [5, 95])
    est, lo, hi = bootstrap_ci(x, n_boot=3000, rng=11, alpha=0.10)
    assert est == pytest.approx(x.mean()) and (lo, hi) == (want[0], want[1])
    # the per-resample path (a statistic without ``axis``) gives the same numbers
    assert bootstrap_ci(x, lambda s: float(np.mean(s)), n_boot=3000, rng=11, alpha=0.10) == (est, lo, hi)


def test_random_stream_layout_is_the_one_the_old_copies_used():
    x = np.arange(9.0) ** 1.5
    g1, g2 = np.random.default_rng(4), np.random.default_rng(4)
    a = bootstrap_ci(x, n_boot=500, rng=g1)
    old = g2.choice(x, size=(500, x.size)).mean(axis=1)  # draw_level / evoked_backward layout
    assert (a.lo, a.hi) == tuple(np.percentile(old, [2.5, 97.5]))
    assert g1.random() == g2.random()  # a Generator is advanced by exactly n_boot * n draws
    # fewer units than min_n: no interval, and no random number drawn
    g3, g4 = np.random.default_rng(4), np.random.default_rng(4)
    assert np.isnan(bootstrap_ci([1.0], rng=g3, min_n=2).lo) and g3.random() == g4.random()
    assert (resample_indices(5, 3, 2) == np.random.default_rng(2).integers(0, 5, (3, 5))).all()


def test_coverage_of_a_normal_mean_is_near_95_percent():
    g = np.random.default_rng(0)
    hits = 0
    trials = 300
    for _ in range(trials):
        _, lo, hi = bootstrap_ci(g.normal(1.0, 2.0, 30), n_boot=400, rng=g)
        hits += lo <= 1.0 <= hi
    # the percentile bootstrap undercovers a little at n = 30 (~93-94 %); 300 trials: s.e. ~1.4 %
    assert 0.89 <= hits / trials <= 0.98, hits / trials


def test_difference_of_two_groups():
    a, b = np.array([0.80, 0.82, 0.78, 0.81, 0.79]), np.array([0.50, 0.52, 0.48, 0.51])
    est, lo, hi = bootstrap_diff_ci(a, b, n_boot=1000, rng=0)
    assert est == pytest.approx(0.8 - 0.5025) and 0.25 < lo < est < hi < 0.35
    g = np.random.default_rng(0)
    boot = g.choice(a, (1000, 5)).mean(axis=1) - g.choice(b, (1000, 4)).mean(axis=1)
    assert (lo, hi) == tuple(np.percentile(boot, [2.5, 97.5]))
    assert np.isnan(bootstrap_diff_ci(a, b[:1]).lo)  # one draw in a group: no interval


def test_pooled_ratio_of_sums():
    counts = np.array([[3, 4], [0, 0], [1, 4]])  # (with, total) per episode
    est, lo, hi = bootstrap_ci(counts, ratio_of_sums, n_boot=500)
    assert est == pytest.approx(0.5) and 0.0 <= lo <= est <= hi <= 1.0
    # a resample of only the empty episode has no ratio: dropped, not a NaN interval
    assert np.isnan(ratio_of_sums(np.array([[0, 0]])))
    assert bootstrap_ci(np.array([[0, 0], [1, 2]]), ratio_of_sums, n_boot=200).lo == 0.5


def test_bad_input_is_documented():
    assert all(np.isnan(v) for v in bootstrap_ci([]))
    assert all(np.isnan(v) for v in bootstrap_ci([np.nan, np.inf]))
    assert bootstrap_ci([1.0, np.nan, 3.0]).estimate == 2.0  # non-finite units are left out
    est, lo, hi = bootstrap_ci([1.0, 2.0], n_boot=0)
    assert est == 1.5 and np.isnan(lo) and np.isnan(hi)
    assert percentile_interval([np.nan, np.nan]) == (pytest.approx(np.nan, nan_ok=True),) * 2
    with pytest.raises(ValueError, match="values: expected a 1-D or 2-D numeric sample"):
        bootstrap_ci(["a", "b"])
    with pytest.raises(ValueError, match="alpha"):
        bootstrap_ci([1.0, 2.0], alpha=5)
    with pytest.raises(ValueError, match="n_boot"):
        bootstrap_ci([1.0, 2.0], n_boot=-1)
    with pytest.raises(ValueError, match="rng"):
        bootstrap_ci([1.0, 2.0], rng="seed")


def test_wilson_interval_at_the_edges_and_in_the_middle():
    from tasks.statistics import wilson_interval

    p, lo, hi = wilson_interval(0, 16)
    assert p == 0 and lo == 0.0 and 0.15 < hi < 0.25            # 0/16: upper bound ~0.19
    p, lo, hi = wilson_interval(8, 16)
    assert lo < 0.5 < hi and hi - 0.5 == pytest.approx(0.5 - lo)
    assert wilson_interval(12, 16).lo == pytest.approx(0.505, abs=0.005)   # 0.75 [0.51, 0.90]
    assert all(np.isnan(wilson_interval(0, 0)))
    with pytest.raises(ValueError, match="k <= n"):
        wilson_interval(5, 3)


def test_ci_range_verdict_inside_outside_straddling_and_undefined():
    from tasks.statistics import ci_range_verdict

    assert ci_range_verdict(0.67, 0.75, 0.66, 0.76) == "pass"
    assert ci_range_verdict(0.77, 0.83, 0.66, 0.76) == "fail"
    assert ci_range_verdict(0.50, 0.60, 0.66, 0.76) == "fail"
    assert ci_range_verdict(0.70, 0.80, 0.66, 0.76) == "unclear"
    assert ci_range_verdict(float("nan"), float("nan"), 0.66, 0.76) is None
