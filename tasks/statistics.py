"""Percentile-bootstrap confidence intervals: the project's one implementation.

Every CI over animals, episodes, seeds or wiring draws in the project comes from here: the
behaviour estimators of the tasks (chemotaxis index, approach index, pooled klinokinesis, the OMR
pooled fractions), the scoring tools of the runners (OMR table, fit evaluation, perturbation
effects) and the organisms' diagnostic tools (worm evoked backward crawling, fish draw-level
table). Units (animals, episodes, draws) are resampled with replacement; the interval is the
``alpha/2`` and ``1 - alpha/2`` percentiles of the bootstrap statistics (Efron & Tibshirani 1993,
*An Introduction to the Bootstrap*, ch. 13, ISBN 0-412-04231-2; not verified with the search tool).

**Why it lives in ``tasks``.** The import rules (tests/test_import_layout.py) let tasks import
only ``bodies``, organisms import ``nervous_systems``, ``bodies`` and the ``tasks`` modules listed
in ``ORGANISM_MAY_IMPORT``, and runners import everything. The task feature extractors
(``tasks/chemotaxis/features.py``, ``tasks/optomotor/features.py``) need the CI, so the module
must be importable from ``tasks``; ``bodies`` is the wrong home for statistics, and
``nervous_systems`` cannot be imported by tasks. So it is ``tasks.statistics``, added to
``ORGANISM_MAY_IMPORT`` so that organism tools can use it; it imports nothing but numpy.

**Random numbers.** ``rng`` is an ``int`` seed (a fresh ``numpy.random.default_rng(seed)`` per
call) or a ``numpy.random.Generator`` that the call advances (for callers that draw many CIs
from one stream). One call draws exactly ``rng.integers(0, n, size=(n_boot, n))`` (the same
numbers as ``rng.choice(values, (n_boot, n))`` or ``n_boot`` successive ``rng.integers(0, n, n)``
calls), and nothing when no interval is computed (fewer than ``min_n`` units, ``n_boot`` = 0), so
the tables printed before this module existed are reproduced to the last digit.

**Bad input.** Units whose value is not finite (NaN, ±inf; for a 2-D sample, a row with any
non-finite entry) are left out first: ``n`` is the number of finite units. No unit left →
``(nan, nan, nan)``; fewer than ``min_n`` → the estimate with ``(nan, nan)`` as interval; bootstrap
statistics that are not finite (e.g. a ratio whose resampled denominator is 0) are dropped, and if
none is left the interval is ``(nan, nan)``. A sample that is not numeric, of more than two
dimensions, an ``alpha`` outside (0, 1) or a negative ``n_boot`` is a ``ValueError`` naming it.

API: :func:`bootstrap_ci` (one sample, any statistic), :func:`bootstrap_diff_ci` (difference
of a statistic between two independent samples), :func:`ratio_of_sums` (a pooled statistic:
sum of column 0 over sum of column 1), :func:`resample_indices` and :func:`percentile_interval`
(the two steps, for a statistic that needs the resampled indices themselves), and
:func:`wilson_interval` (a proportion k/n, e.g. animals that turn ventrally; no resampling), and
:func:`ci_range_verdict` (a model's CI judged against a range of real animals or experiments).
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from typing import NamedTuple

import numpy as np

__all__ = ["CI", "DEFAULT_N_BOOT", "bootstrap_ci", "bootstrap_diff_ci", "percentile_interval",
           "ratio_of_sums", "resample_indices", "wilson_interval"]

DEFAULT_N_BOOT = 2000
NAN = float("nan")


class CI(NamedTuple):
    """A point estimate and its percentile-bootstrap interval (floats; NaN where undefined)."""
    estimate: float
    lo: float
    hi: float


def _generator(rng: np.random.Generator | int) -> np.random.Generator:
    if isinstance(rng, np.random.Generator):
        return rng
    if isinstance(rng, (int, np.integer)) and not isinstance(rng, bool):
        return np.random.default_rng(int(rng))
    raise ValueError(f"rng: expected an int seed or a numpy.random.Generator, got {type(rng).__name__}")


def _check(alpha: float, n_boot: int) -> None:
    if not 0.0 < alpha < 1.0:
        raise ValueError(f"alpha: expected a number in (0, 1), got {alpha!r}")
    if int(n_boot) != n_boot or n_boot < 0:
        raise ValueError(f"n_boot: expected a whole number >= 0, got {n_boot!r}")


def _finite_units(values, name: str = "values") -> np.ndarray:
    try:
        a = np.asarray(values)
    except (TypeError, ValueError):  # ragged nested sequences
        a = np.asarray([], dtype=object)
    if not (np.issubdtype(a.dtype, np.number) or a.dtype == bool):
        raise ValueError(f"{name}: expected a 1-D or 2-D numeric sample (units along axis 0), got dtype {a.dtype}")
    if a.ndim == 0 or a.ndim > 2:
        raise ValueError(f"{name}: expected a 1-D or 2-D numeric sample (units along axis 0), got shape {a.shape}")
    ok = np.isfinite(a) if a.ndim == 1 else np.isfinite(a).all(axis=1)
    return a if ok.all() else a[ok]


def _is_vectorized(statistic: Callable) -> bool:
    try:
        return "axis" in inspect.signature(statistic).parameters
    except (TypeError, ValueError):
        return False


def resample_indices(n: int, n_boot: int, rng: np.random.Generator | int = 0) -> np.ndarray:
    """``(n_boot, n)`` unit indices drawn with replacement: ``rng.integers(0, n, (n_boot, n))``."""
    return _generator(rng).integers(0, n, size=(n_boot, n))


def percentile_interval(boots, alpha: float = 0.05) -> tuple[float, float]:
    """The ``100·alpha/2`` and ``100·(1 − alpha/2)`` percentiles of the finite bootstrap statistics
    ``boots`` (numpy's default linear interpolation); ``(nan, nan)`` when none is finite."""
    _check(alpha, 0)
    b = np.asarray(boots, dtype=float).ravel()
    b = b[np.isfinite(b)]
    if b.size == 0:
        return NAN, NAN
    lo, hi = np.percentile(b, [50.0 * alpha, 100.0 - 50.0 * alpha])
    return float(lo), float(hi)


def _boot_stats(a: np.ndarray, idx: np.ndarray, statistic: Callable, vectorized: bool) -> np.ndarray:
    if vectorized:
        return np.asarray(statistic(a[idx], axis=1), dtype=float)
    return np.array([statistic(a[i]) for i in idx], dtype=float)


def bootstrap_ci(values, statistic: Callable = np.mean, *, n_boot: int = DEFAULT_N_BOOT,
                 rng: np.random.Generator | int = 0, alpha: float = 0.05, min_n: int = 1,
                 vectorized: bool | None = None) -> CI:
    """Percentile-bootstrap CI of ``statistic`` over the units of ``values``.

    ``values``: 1-D (one number per unit) or 2-D (one row per unit, e.g. event counts and time at
    risk); non-finite units are left out (module docstring). ``statistic(sample)`` → a number;
    if it takes an ``axis`` argument (``np.mean``, ``np.median``, :func:`ratio_of_sums`; or
    ``vectorized=True``) it is called once on all resamples, ``statistic(resamples, axis=1)``,
    else once per resample. ``rng``: an int seed or a Generator (advanced). ``min_n``: fewer
    finite units than this → no interval (and no random numbers drawn).

    Returns ``CI(estimate, lo, hi)``: ``estimate = statistic(values)`` on the finite units.
    """
    _check(alpha, n_boot)
    a = _finite_units(values)
    n = a.shape[0]
    if n == 0:
        return CI(NAN, NAN, NAN)
    est = float(statistic(a))
    if n < min_n or n_boot == 0:
        return CI(est, NAN, NAN)
    vec = _is_vectorized(statistic) if vectorized is None else vectorized
    boots = _boot_stats(a, resample_indices(n, int(n_boot), _generator(rng)), statistic, vec)
    return CI(est, *percentile_interval(boots, alpha))


def bootstrap_diff_ci(a, b, statistic: Callable = np.mean, *, n_boot: int = DEFAULT_N_BOOT,
                      rng: np.random.Generator | int = 0, alpha: float = 0.05, min_n: int = 2,
                      vectorized: bool | None = None) -> CI:
    """CI of ``statistic(a) − statistic(b)`` for two independent samples (e.g. two groups of
    wiring draws): each sample is resampled within itself, ``a``'s indices drawn first, then
    ``b``'s, from the same ``rng``. Needs ``min_n`` finite units in each sample for an interval;
    either sample empty → ``(nan, nan, nan)``."""
    _check(alpha, n_boot)
    xa, xb = _finite_units(a, "a"), _finite_units(b, "b")
    if xa.shape[0] == 0 or xb.shape[0] == 0:
        return CI(NAN, NAN, NAN)
    est = float(statistic(xa) - statistic(xb))
    if min(xa.shape[0], xb.shape[0]) < min_n or n_boot == 0:
        return CI(est, NAN, NAN)
    vec = _is_vectorized(statistic) if vectorized is None else vectorized
    g = _generator(rng)
    ia = resample_indices(xa.shape[0], int(n_boot), g)
    ib = resample_indices(xb.shape[0], int(n_boot), g)
    boots = _boot_stats(xa, ia, statistic, vec) - _boot_stats(xb, ib, statistic, vec)
    return CI(est, *percentile_interval(boots, alpha))


def ratio_of_sums(sample, axis: int = 0) -> float | np.ndarray:
    """Pooled ratio over units: ``sum(sample[:, 0]) / sum(sample[:, 1])`` (e.g. turns with the
    motion over all turns, episodes pooled); NaN where the summed denominator is 0. With
    resamples of shape ``(n_boot, n, 2)`` and ``axis=1`` it returns one ratio per resample."""
    s = np.asarray(sample, dtype=float)
    num = s[..., 0].sum(axis=axis)
    den = s[..., 1].sum(axis=axis)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(den > 0, num / np.where(den > 0, den, 1.0), np.nan)[()]


def wilson_interval(k: int, n: int, z: float = 1.959963984540054) -> CI:
    """A proportion k/n with its Wilson score interval (default 95 %; Wilson 1927, J Am Stat Assoc
    22:209, doi:10.1080/01621459.1927.10502953, not verified with the search tool): the interval
    for a count of animals that do something, where a bootstrap of 0/1 values degenerates at 0 or n.
    ``n`` = 0 gives NaNs; k outside 0..n is a ValueError."""
    k, n = int(k), int(n)
    if n < 0 or not 0 <= k <= max(n, 0):
        raise ValueError(f"wilson_interval: need 0 <= k <= n, got k={k}, n={n}")
    if n == 0:
        return CI(NAN, NAN, NAN)
    p = k / n
    den = 1 + z * z / n
    mid = (p + z * z / (2 * n)) / den
    half = z * np.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / den
    return CI(p, float(max(0.0, mid - half)), float(min(1.0, mid + half)))


def ci_range_verdict(ci_low: float, ci_high: float, lo: float, hi: float) -> str | None:
    """A model's 95 % CI judged against a real range [``lo``, ``hi``] (e.g. the 5–95 % of per-fish
    values, or the range of experiment means): ``"pass"`` when the CI lies inside it, ``"fail"``
    when entirely outside, ``"unclear"`` when it straddles an edge (more episodes would decide);
    None when the CI is not finite (the caller says why)."""
    if not (np.isfinite(ci_low) and np.isfinite(ci_high)):
        return None
    if lo <= ci_low and ci_high <= hi:
        return "pass"
    return "fail" if ci_high < lo or ci_low > hi else "unclear"
