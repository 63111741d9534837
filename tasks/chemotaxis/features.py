"""Per-episode behaviour features for C. elegans chemotaxis, and population indices.

Input (what the recorder stores for one episode)::

    trajectory = {
        "t":             (T,)      s, uniformly sampled (rate = 1 / median diff),
        "centerline":    (T, K, 2) mm, nose first (K = n_segments + 1),
        "concentration": (T,)      mM at the nose,
    }
    task_info = {"peak": [x, y], "target_zone": {"center": [x, y], "radius": r},
                 "control_zone": {...}, "start": [x, y], "plate_radius": R, ...}

:func:`extract_features` returns a flat ``dict[str, float]``; every value is a plain Python
float (NaN where the metric is undefined: a worm that does not move, an episode shorter than
one undulation, no event of a kind). It never raises on well-formed but degenerate input.
Feature ids that match an entry of ``tasks/chemotaxis/reference/celegans_chemotaxis_v1.yaml``
are listed in :data:`FEATURE_DOCS` with ``reference=True``.

Conventions
-----------
* Positions and lengths in mm, times in s, angles in degrees unless stated (posture angles are
  in radians, as in Stephens et al. 2008).
* Centroid = mean of the centerline points (they are roughly equally spaced in arc length).
* Body axis = (mean of the anterior third of the centerline) - (mean of the posterior third);
  it points from tail to head and does not flip when the worm backs up.
* Body curvature kappa(s) = d psi / ds of the tangent angle psi along the body from nose to
  tail, in rad/mm (= mm^-1). Its sign is "counter-clockwise turning of the tangent, seen from
  +z"; whether that is ventral depends on how the body is laid on the plate (the body package
  says; for positive-curvature-is-ventral bodies the two agree). Signs do not enter any metric
  below except through the wave direction.
* Path heading phi = direction of the smoothed centroid velocity; path curvature = d phi / d s
  along the centroid path (deg/mm, positive = turning counter-clockwise = to the left).
* Bearing to the peak beta = signed angle from the path heading to the direction of the peak
  (deg in (-180, 180], positive = peak lies to the left). With these conventions
  **weathervaning (curving toward the peak) gives a POSITIVE slope** of path curvature on
  bearing. Iino & Yoshida 2009 define the bearing the other way round (angle from the peak
  direction to the heading) and report a negative slope for the same behaviour.

References
----------
Stephens GJ, Johnson-Kerner B, Bialek W, Ryu WS (2008) Dimensionality and dynamics in the
  behavior of C. elegans. PLoS Comput Biol 4:e1000028. doi:10.1371/journal.pcbi.1000028
Pierce-Shimomura JT, Morse TM, Lockery SR (1999) The fundamental role of pirouettes in
  Caenorhabditis elegans chemotaxis. J Neurosci 19:9557-9569.
  doi:10.1523/JNEUROSCI.19-21-09557.1999
Iino Y, Yoshida K (2009) Parallel use of two behavioral mechanisms for chemotaxis in
  Caenorhabditis elegans. J Neurosci 29:5370-5380. doi:10.1523/JNEUROSCI.3633-08.2009
Fang-Yen C et al. (2010) Biomechanical analysis of gait adaptation in the nematode
  Caenorhabditis elegans. PNAS 107:20323-20328. doi:10.1073/pnas.1003016107
Bargmann CI, Hartwieg E, Horvitz HR (1993) Odorant-selective genes and neurons mediate
  olfaction in C. elegans. Cell 74:515-527. doi:10.1016/0092-8674(93)80053-H
Bargmann CI, Horvitz HR (1991) Chemosensory neurons with overlapping functions direct
  chemotaxis to multiple chemicals in C. elegans. Neuron 7:729-742.
  doi:10.1016/0896-6273(91)90276-6
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Mapping, Sequence

import numpy as np
from scipy.ndimage import uniform_filter1d

from bodies.worm.centerline import (
    axis_heading_deg,
    axis_unit,
    curvature_from_angles,
    tangent_angles,
)

from ..statistics import bootstrap_ci, bootstrap_diff_ci

__all__ = [
    "FeatureParams",
    "FEATURE_DOCS",
    "extract_features",
    "window_features",
    "distance_to_peak_series",
    "chemotaxis_index",
    "approach_index",
    "zone_preference",
    "pooled_klinokinesis",
    "klinokinesis_difference",
]

NAN = float("nan")


@dataclass(frozen=True)
class FeatureParams:
    """Thresholds of the event detectors and estimators (all documented choices, not fits)."""

    speed_window_s: float = 1.0  # fallback smoothing window of the centroid (s)
    direction_window_s: float = 0.5  # smoothing of the centroid velocity for direction (s)
    moving_speed_mm_s: float = 0.01  # below this the worm counts as not moving
    reversal_speed_mm_s: float = 0.02  # axial velocity below -this counts as backward
    reversal_min_duration_s: float = 0.5  # a reversal lasts longer than this ...
    reversal_min_distance_mm: float = 0.02  # ... and covers at least this distance backward
    reversal_merge_gap_s: float = 0.25  # backward bouts closer than this are one reversal
    pirouette_cluster_s: float = 10.0  # reversals whose onsets are closer join one cluster
    pirouette_heading_deg: float = 90.0  # net change of forward heading that makes a pirouette
    heading_average_s: float = 2.0  # window over which headings before/after are averaged
    pirouette_settle_s: float = 2.0  # time after the last reversal before "after" heading
    dcdt_window_s: float = 1.0  # smoothing of C(t) before differentiating
    dcdt_lookback_s: float = 2.0  # dC/dt sign of an event = mean over this window before it
    tip_fraction: float = 0.1  # body fraction excluded at each tip (curvature, wavelength)
    min_curvature_std_mm: float = 0.1  # mid-body curvature std below this: no undulation
    min_posture_std_rad: float = 0.05  # r.m.s. change of tangent angles below this: posture "never changes"
    freq_band_hz: tuple[float, float] = (0.05, 5.0)  # search band of the undulation peak
    min_cycles: float = 1.5  # fewer cycles than this in the episode: frequency is NaN
    weathervane_max_bearing_deg: float = 90.0  # regression uses |bearing| <= this
    weathervane_min_samples: int = 25  # fewer forward samples: slope is NaN
    weathervane_min_bearing_sd_deg: float = 5.0  # bearings this narrow cannot give a slope


DEFAULT_PARAMS = FeatureParams()


# id -> (unit, definition). `reference` marks ids that have a reference-library entry.
FEATURE_DOCS: dict[str, dict[str, Any]] = {
    "duration_s": dict(unit="s", doc="Episode duration t[-1] - t[0]."),
    "sample_rate_hz": dict(unit="Hz", doc="1 / median(diff(t))."),
    "body_length": dict(unit="mm", doc="Median over frames of the centerline arc length."),
    "centroid_speed": dict(
        unit="mm/s", reference=True,
        doc="Mean over the episode of |d/dt| of the centroid after a boxcar smoothing over one "
        "undulation period (removes the undulatory wobble of the centroid; 1 s when no "
        "undulation is detected). Cf. Ramot et al. 2008 (centroid speed off food).",
    ),
    "forward_fraction": dict(
        unit="1",
        doc="Fraction of the moving time (smoothed centroid speed > moving_speed_mm_s) during "
        "which the centroid velocity projects positively on the body axis (tail to head).",
    ),
    "undulation_frequency": dict(
        unit="Hz", reference=True,
        doc="Peak of the power spectrum of body curvature, averaged over mid-body points "
        "(0.3-0.7 of body length) with zero padding and parabolic peak interpolation, in "
        "freq_band_hz. NaN when the mid-body curvature std < min_curvature_std_mm or the "
        "episode holds fewer than min_cycles cycles. Cf. Fang-Yen et al. 2010.",
    ),
    "wavelength": dict(
        unit="body lengths", reference=True,
        doc="2*pi / |d(phase)/ds| body lengths, where phase(s) is the phase of the curvature's "
        "Fourier component at the undulation frequency along the body (tips excluded), fitted "
        "by amplitude-weighted least squares. Cf. Fang-Yen et al. 2010.",
    ),
    "wave_direction": dict(
        unit="1",
        doc="+1 when the curvature wave travels from head to tail (forward crawling), -1 when "
        "tail to head (backward), NaN without a wave.",
    ),
    "rms_curvature": dict(
        unit="mm^-1", reference=True,
        doc="Root mean square of body curvature over frames and body points, excluding "
        "tip_fraction of the body at each end.",
    ),
    "posture_variance_top4": dict(
        unit="1", reference=True,
        doc="Fraction of the variance of the mean-subtracted tangent angles explained by the "
        "top 4 principal components of the episode's own postures (Stephens et al. 2008 "
        "report 4 eigenworms explain ~95% on pooled data; an episode's own basis explains at "
        "least as much). NaN for a posture that never changes (r.m.s. tangent-angle change < "
        "min_posture_std_rad, e.g. a worm that does not move: it has no posture dynamics to explain).",
    ),
    "eigenworm_a1": dict(unit="rad", doc="Std of the projection on the 1st posture PC."),
    "eigenworm_a2": dict(unit="rad", doc="Std of the projection on the 2nd posture PC."),
    "eigenworm_a3": dict(unit="rad", doc="Std of the projection on the 3rd posture PC."),
    "eigenworm_a4": dict(unit="rad", doc="Std of the projection on the 4th posture PC."),
    "reversal_count": dict(
        unit="1",
        doc="Backward bouts: axial centroid velocity (direction_window_s smoothing) below "
        "-reversal_speed_mm_s, bouts closer than reversal_merge_gap_s merged, kept when longer "
        "than reversal_min_duration_s and covering >= reversal_min_distance_mm.",
    ),
    "reversal_rate": dict(
        unit="1/min", reference=True, doc="reversal_count / episode duration in minutes."
    ),
    "pirouette_count": dict(
        unit="1",
        doc="Clusters of reversals (onsets < pirouette_cluster_s apart) after which the forward "
        "heading (body axis, averaged over heading_average_s) differs from the one before the "
        "cluster by >= pirouette_heading_deg; the 'after' heading is taken pirouette_settle_s "
        "after the last reversal ends (room for the omega turn). Pierce-Shimomura et al. 1999 "
        "define pirouettes as bouts of sharp turns and reversals.",
    ),
    "pirouette_rate": dict(unit="1/min", doc="pirouette_count / duration in minutes."),
    "time_dcdt_neg_s": dict(
        unit="s", doc="Forward-moving time with dC/dt < 0 (time at risk for events)."
    ),
    "time_dcdt_pos_s": dict(unit="s", doc="Forward-moving time with dC/dt > 0."),
    "reversal_count_dcdt_neg": dict(
        unit="1", doc="Reversals whose preceding dC/dt (mean over dcdt_lookback_s) was < 0."
    ),
    "reversal_count_dcdt_pos": dict(unit="1", doc="Reversals preceded by dC/dt > 0."),
    "pirouette_count_dcdt_neg": dict(unit="1", doc="Pirouettes preceded by dC/dt < 0."),
    "pirouette_count_dcdt_pos": dict(unit="1", doc="Pirouettes preceded by dC/dt > 0."),
    "reversal_rate_dcdt_neg": dict(unit="1/min", doc="reversal_count_dcdt_neg / time_dcdt_neg."),
    "reversal_rate_dcdt_pos": dict(unit="1/min", doc="reversal_count_dcdt_pos / time_dcdt_pos."),
    "pirouette_rate_dcdt_neg": dict(unit="1/min", doc="pirouette_count_dcdt_neg / time_dcdt_neg."),
    "pirouette_rate_dcdt_pos": dict(unit="1/min", doc="pirouette_count_dcdt_pos / time_dcdt_pos."),
    "pirouette_rate_ratio": dict(
        unit="1",
        doc="pirouette_rate_dcdt_neg / pirouette_rate_dcdt_pos (NaN when the denominator is 0). "
        "> 1 is the klinokinesis signature of Pierce-Shimomura et al. 1999.",
    ),
    "pirouette_klinokinesis_index": dict(
        unit="1", reference=True,
        doc="(r_neg - r_pos) / (r_neg + r_pos) with r = pirouette rates conditioned on the sign "
        "of dC/dt; in [-1, 1], > 0 when pirouettes are more frequent going down the gradient; "
        "NaN without pirouettes. Use pooled_klinokinesis() across episodes.",
    ),
    "reversal_rate_ratio": dict(unit="1", doc="As pirouette_rate_ratio, for reversals."),
    "reversal_klinokinesis_index": dict(unit="1", doc="As the pirouette index, for reversals."),
    "weathervane_slope": dict(
        unit="(deg/mm)/deg", reference=True,
        doc="Least-squares slope of path curvature (deg/mm) on the bearing to the peak (deg), "
        "over forward-moving samples (reversals +- one smoothing window excluded) with |bearing| "
        "<= weathervane_max_bearing_deg; NaN with < weathervane_min_samples samples or bearing "
        "sd < weathervane_min_bearing_sd_deg (a straight run cannot show it). Positive = "
        "curving toward the peak (this module's sign convention; negative in Iino & Yoshida "
        "2009's).",
    ),
    "weathervane_n": dict(unit="1", doc="Number of samples in the weathervane regression."),
    "heading_drift": dict(
        unit="deg/mm",
        doc="Change of the body-axis heading (head third minus tail third, unwrapped) from the "
        "first to the last frame, divided by the path length of the smoothed centroid; positive "
        "= counter-clockwise in the arena frame. A lasting turning direction: a population that "
        "lies on one side and bends more to one side circles (NaN for a path < 0.1 mm).",
    ),
    "distance_to_peak_start": dict(unit="mm", doc="Centroid distance to the peak, first frame."),
    "distance_to_peak_end": dict(unit="mm", doc="Centroid distance to the peak, last frame."),
    "distance_to_peak_min": dict(unit="mm", doc="Minimum centroid distance to the peak."),
    "approach": dict(unit="1", doc="(d_start - d_end) / d_start."),
    "in_target_end": dict(unit="0/1", doc="Centroid inside the target zone at the last frame."),
    "in_control_end": dict(unit="0/1", doc="Centroid inside the control zone at the last frame."),
    "zone_preference": dict(
        unit="1",
        doc="(d_control - d_target) / |target - control| at the last frame, with d the centroid's "
        "distances to the target-zone and control-zone centres: +1 at the target, -1 at the "
        "control zone (the target mirrored through the start), 0 on the line through the start "
        "halfway between them (triangle inequality: always in [-1, 1]). The chemotaxis index's "
        "continuous form: a worm that senses nothing has mean 0 by mirror symmetry, however far "
        "it disperses, where approach is negative for any dispersal.",
    ),
    "mean_concentration": dict(unit="mM", doc="Mean concentration at the nose."),
}


# ----------------------------------------------------------------------------- helpers


def _f(x: Any) -> float:
    try:
        v = float(x)
    except (TypeError, ValueError):
        return NAN
    return v


def _boxcar_valid(x: np.ndarray, n: int) -> np.ndarray:
    """Moving average along axis 0 over n samples, edges handled by shrinking ('nearest')."""
    n = int(max(1, n))
    if n == 1 or x.shape[0] < 2:
        return x.astype(float, copy=True)
    n = min(n, x.shape[0])
    return uniform_filter1d(x.astype(float), size=n, axis=0, mode="nearest")


def _wrap_deg(a: np.ndarray) -> np.ndarray:
    return (np.asarray(a) + 180.0) % 360.0 - 180.0


def _circmean_deg(a: np.ndarray) -> float:
    a = np.asarray(a, float)
    a = a[np.isfinite(a)]
    if a.size == 0:
        return NAN
    r = np.deg2rad(a)
    return float(np.rad2deg(np.arctan2(np.sin(r).mean(), np.cos(r).mean())))


def _runs(mask: np.ndarray) -> list[tuple[int, int]]:
    """[start, stop) index pairs of the True runs of a boolean array."""
    m = np.concatenate([[False], np.asarray(mask, bool), [False]])
    d = np.diff(m.astype(np.int8))
    starts = np.flatnonzero(d == 1)
    stops = np.flatnonzero(d == -1)
    return list(zip(starts.tolist(), stops.tolist()))


def _as_arrays(trajectory: Mapping[str, Any]):
    t = np.asarray(trajectory["t"], float).reshape(-1)
    cl = np.asarray(trajectory["centerline"], float)
    if cl.ndim != 3 or cl.shape[-1] != 2:
        raise ValueError(f"centerline must be (T, K, 2), got {cl.shape}")
    if cl.shape[0] != t.shape[0]:
        raise ValueError(f"centerline has {cl.shape[0]} frames, t has {t.shape[0]}")
    c = trajectory.get("concentration")
    conc = np.full(t.shape, np.nan) if c is None else np.asarray(c, float).reshape(-1)
    if conc.shape != t.shape:
        raise ValueError(f"concentration has {conc.shape[0]} samples, t has {t.shape[0]}")
    return t, cl, conc


def _dist_to_peak(cl: np.ndarray, task_info: Mapping[str, Any]) -> np.ndarray:
    peak = np.asarray(task_info.get("peak", [np.nan, np.nan]), float).reshape(2)
    cen = cl.mean(axis=1)
    return np.linalg.norm(cen - peak, axis=1)


def distance_to_peak_series(trajectory: Mapping[str, Any], task_info: Mapping[str, Any]):
    """(t, d): centroid distance to the gradient peak (mm) at every sample, for plots."""
    t, cl, _ = _as_arrays(trajectory)
    return t, _dist_to_peak(cl, task_info)


# ----------------------------------------------------------------------------- posture


def _posture_pca(psi: np.ndarray, min_std_rad: float = 0.05) -> dict[str, float]:
    out = {"posture_variance_top4": NAN}
    for k in range(1, 5):
        out[f"eigenworm_a{k}"] = NAN
    if psi.shape[0] < 3 or psi.shape[1] < 2:
        return out
    theta = psi - psi.mean(axis=1, keepdims=True)  # remove overall rotation (Stephens 2008)
    x = theta - theta.mean(axis=0, keepdims=True)
    cov = (x.T @ x) / max(1, x.shape[0] - 1)
    ev = np.clip(np.linalg.eigvalsh(cov)[::-1], 0.0, None)
    total = ev.sum()
    if not np.isfinite(total) or np.sqrt(total / x.shape[1]) < min_std_rad:
        return out
    out["posture_variance_top4"] = float(ev[:4].sum() / total)
    for k in range(4):
        out[f"eigenworm_a{k + 1}"] = float(np.sqrt(ev[k])) if k < ev.size else 0.0
    return out


def _undulation(kappa: np.ndarray, frac: np.ndarray, fs: float, L: float,
                p: FeatureParams) -> dict[str, float]:
    out = {"undulation_frequency": NAN, "wavelength": NAN, "wave_direction": NAN}
    T = kappa.shape[0]
    if T < 8 or not np.isfinite(fs) or fs <= 0 or kappa.shape[1] < 3:
        return out
    mid = (frac >= 0.3) & (frac <= 0.7)
    if not mid.any():
        mid = np.zeros_like(frac, bool)
        mid[len(frac) // 2] = True
    k_mid = kappa[:, mid] - kappa[:, mid].mean(axis=0)
    if np.sqrt(np.mean(k_mid ** 2)) < p.min_curvature_std_mm:
        return out
    win = np.hanning(T)
    nfft = int(2 ** np.ceil(np.log2(max(8 * T, 4096))))
    spec = np.abs(np.fft.rfft(k_mid * win[:, None], n=nfft, axis=0)) ** 2
    power = spec.mean(axis=1)
    freqs = np.fft.rfftfreq(nfft, d=1.0 / fs)
    duration = T / fs
    lo = max(p.freq_band_hz[0], 1.0 / duration)
    hi = min(p.freq_band_hz[1], 0.5 * fs)
    band = np.flatnonzero((freqs >= lo) & (freqs <= hi))
    if band.size < 3:
        return out
    i = band[np.argmax(power[band])]
    f0 = freqs[i]
    if 0 < i < power.size - 1 and power[i - 1] > 0 and power[i + 1] > 0 and power[i] > 0:
        a, b, c = np.log(power[i - 1]), np.log(power[i]), np.log(power[i + 1])
        den = a - 2 * b + c
        if den < 0:
            f0 = f0 + 0.5 * (a - c) / den * (freqs[1] - freqs[0])
    if f0 * duration < p.min_cycles:
        return out
    out["undulation_frequency"] = float(f0)

    # Wavelength: phase of the f0 Fourier component of curvature along the body.
    body = (frac >= p.tip_fraction) & (frac <= 1 - p.tip_fraction)
    if body.sum() < 3 or not np.isfinite(L) or L <= 0:
        return out
    tt = np.arange(T) / fs
    kb = kappa[:, body] - kappa[:, body].mean(axis=0)
    coef = (kb * (win * np.exp(-2j * np.pi * f0 * tt))[:, None]).sum(axis=0)
    amp = np.abs(coef)
    if amp.max() <= 0:
        return out
    phase = np.unwrap(np.angle(coef))
    s_mm = frac[body] * L
    w = amp / amp.sum()
    sm = (w * s_mm).sum()
    pm = (w * phase).sum()
    var = (w * (s_mm - sm) ** 2).sum()
    if var <= 0:
        return out
    slope = (w * (s_mm - sm) * (phase - pm)).sum() / var  # rad / mm
    if not np.isfinite(slope) or abs(slope) < 1e-9:
        return out
    out["wavelength"] = float(2 * np.pi / abs(slope) / L)
    # coef ~ exp(-i k s) for a wave exp(i(2 pi f t - k s)) travelling toward +s (head->tail):
    out["wave_direction"] = float(-np.sign(slope))
    return out


# ----------------------------------------------------------------------------- locomotion


def _reversals(t, u, fs, p: FeatureParams) -> list[tuple[int, int]]:
    back = u < -p.reversal_speed_mm_s
    runs = _runs(back)
    gap = int(round(p.reversal_merge_gap_s * fs))
    merged: list[list[int]] = []
    for a, b in runs:
        if merged and a - merged[-1][1] <= gap:
            merged[-1][1] = b
        else:
            merged.append([a, b])
    out = []
    dt = 1.0 / fs
    for a, b in merged:
        dur = (b - a) * dt
        dist = float(np.sum(np.clip(-u[a:b], 0, None)) * dt)
        if dur > p.reversal_min_duration_s and dist >= p.reversal_min_distance_mm:
            out.append((a, b))
    return out


def _axial_motion(cl, cen, dt: float, fs: float, p: FeatureParams):
    """Axial centroid velocity u (mm/s, + = towards the head; direction_window_s smoothing) and
    the moving mask (smoothed speed > moving_speed_mm_s), per frame."""
    cen_d = _boxcar_valid(cen, int(round(p.direction_window_s * fs)))
    vd = np.gradient(cen_d, dt, axis=0)
    u = np.einsum("ij,ij->i", vd, axis_unit(cl))
    return u, np.linalg.norm(vd, axis=1) > p.moving_speed_mm_s


def window_features(trajectory: Mapping[str, Any], t_on: float, t_off: float,
                    params: FeatureParams | None = None) -> dict[str, float | None]:
    """Locomotion inside the time window [t_on, t_off) s of an episode, as the papers measure an
    optogenetic pulse: reversals *initiated* in the window (detected on the whole episode, so one
    that starts in the window and ends after it counts, and one that started before does not),
    per minute of window; the forward fraction of the moving time inside the window (None when the
    worm does not move in it); the moving time. Same detectors and thresholds as
    :func:`extract_features`. A window outside the recording is a ValueError."""
    p = params or DEFAULT_PARAMS
    t, cl, _ = _as_arrays(trajectory)
    if not (0 <= t_on < t_off):
        raise ValueError(f"window [{t_on}, {t_off}) s: need 0 <= t_on < t_off")
    if t.shape[0] < 3 or t_off > float(t[-1]) + 1e-9:
        end = float(t[-1]) if t.size else 0.0
        raise ValueError(f"window [{t_on:g}, {t_off:g}) s ends after the recording ({end:g} s)")
    dt = float(np.median(np.diff(t)))
    fs = 1.0 / dt
    u, moving = _axial_motion(cl, cl.mean(axis=1), dt, fs, p)
    inside = (t >= t_on) & (t < t_off)
    revs = [a for a, _ in _reversals(t, u, fs, p) if t_on <= t[a] < t_off]
    minutes = float(np.sum(inside)) * dt / 60.0
    mv = moving & inside
    return {"reversal_count": float(len(revs)),
            "reversal_rate": len(revs) / minutes if minutes > 0 else NAN,
            "forward_fraction": float(np.mean(u[mv] > 0)) if mv.any() else None,
            "moving_s": float(np.sum(mv)) * dt}


def _pirouettes(revs, axis_heading, fs, T, p: FeatureParams) -> list[tuple[int, int]]:
    if not revs:
        return []
    clusters: list[list[int]] = [[revs[0][0], revs[0][1]]]
    gap = p.pirouette_cluster_s * fs
    for a, b in revs[1:]:
        if a - clusters[-1][0] < gap or a - clusters[-1][1] < gap:
            clusters[-1][1] = b
        else:
            clusters.append([a, b])
    w = max(1, int(round(p.heading_average_s * fs)))
    settle = int(round(p.pirouette_settle_s * fs))
    out = []
    for a, b in clusters:
        before = axis_heading[max(0, a - w):a]
        s0 = min(T, b + settle)
        after = axis_heading[s0:min(T, s0 + w)]
        if before.size == 0 or after.size == 0:
            continue
        d = abs(_wrap_deg(_circmean_deg(after) - _circmean_deg(before)))
        if np.isfinite(d) and d >= p.pirouette_heading_deg:
            out.append((a, b))
    return out


def zone_preference(point, task_info: Mapping[str, Any]) -> float:
    """(d_control - d_target) / |target - control| for one centroid position (mm), the zones read
    from ``task_info``; NaN without zones. See :data:`FEATURE_DOCS` ``zone_preference``."""
    tz, cz = task_info.get("target_zone"), task_info.get("control_zone")
    if not (tz and cz and "center" in tz and "center" in cz):
        return NAN
    t = np.asarray(tz["center"], float).reshape(2)
    c = np.asarray(cz["center"], float).reshape(2)
    span = float(np.linalg.norm(t - c))
    point = np.asarray(point, float).reshape(2)
    if not span > 0 or not np.isfinite(point).all():
        return NAN
    return _f((np.linalg.norm(point - c) - np.linalg.norm(point - t)) / span)


def _ratio_index(r_neg: float, r_pos: float) -> tuple[float, float]:
    ratio = r_neg / r_pos if (np.isfinite(r_pos) and r_pos > 0 and np.isfinite(r_neg)) else NAN
    s = r_neg + r_pos
    index = (r_neg - r_pos) / s if (np.isfinite(s) and s > 0) else NAN
    return float(ratio), float(index)


def extract_features(trajectory: Mapping[str, Any], task_info: Mapping[str, Any],
                     params: FeatureParams | None = None) -> dict[str, float]:
    """Per-episode scalar metrics (see :data:`FEATURE_DOCS` for ids, units and definitions)."""
    p = params or DEFAULT_PARAMS
    t, cl, conc = _as_arrays(trajectory)
    feats: dict[str, float] = {k: NAN for k in FEATURE_DOCS}
    T = t.shape[0]
    if T == 0:
        return feats
    # --- position relative to the peak (defined even for one frame)
    d = _dist_to_peak(cl, task_info)
    feats["distance_to_peak_start"] = _f(d[0])
    feats["distance_to_peak_end"] = _f(d[-1])
    feats["distance_to_peak_min"] = _f(np.nanmin(d)) if np.isfinite(d).any() else NAN
    if np.isfinite(d[0]) and d[0] > 0:
        feats["approach"] = _f((d[0] - d[-1]) / d[0])
    cen = cl.mean(axis=1)
    for key, zone in (("in_target_end", "target_zone"), ("in_control_end", "control_zone")):
        z = task_info.get(zone)
        if z and "center" in z and "radius" in z:
            zc = np.asarray(z["center"], float).reshape(2)
            feats[key] = float(np.linalg.norm(cen[-1] - zc) <= float(z["radius"]))
    feats["zone_preference"] = zone_preference(cen[-1], task_info)
    feats["mean_concentration"] = _f(np.nanmean(conc)) if np.isfinite(conc).any() else NAN

    psi, seglen = tangent_angles(cl)
    L = float(np.median(seglen.sum(axis=1))) if seglen.size else NAN
    feats["body_length"] = L
    if T < 3:
        return feats
    dt = float(np.median(np.diff(t)))
    if not np.isfinite(dt) or dt <= 0:
        return feats
    fs = 1.0 / dt
    feats["sample_rate_hz"] = fs
    duration = float(t[-1] - t[0])
    feats["duration_s"] = duration
    minutes = (T * dt) / 60.0  # observation time, one sample = dt

    # --- posture
    kappa, frac = curvature_from_angles(psi, seglen)
    body = (frac >= p.tip_fraction) & (frac <= 1 - p.tip_fraction)
    if kappa.shape[1] and body.any():
        feats["rms_curvature"] = float(np.sqrt(np.mean(kappa[:, body] ** 2)))
    feats.update(_posture_pca(psi, p.min_posture_std_rad))
    feats.update(_undulation(kappa, frac, fs, L, p))

    # --- centroid speed, smoothed over one undulation period (or speed_window_s)
    f_und = feats["undulation_frequency"]
    win_s = 1.0 / f_und if np.isfinite(f_und) and 0.1 <= 1.0 / f_und <= 20.0 else p.speed_window_s
    n_win = int(round(win_s * fs))
    cen_s = _boxcar_valid(cen, n_win)
    v = np.gradient(cen_s, dt, axis=0)
    speed = np.linalg.norm(v, axis=1)
    feats["centroid_speed"] = float(np.mean(speed))

    # --- direction of motion relative to the body axis
    axis_heading = axis_heading_deg(cl)
    u, moving = _axial_motion(cl, cen, dt, fs, p)
    if moving.any():
        feats["forward_fraction"] = float(np.mean(u[moving] > 0))

    path_mm = float(np.sum(np.linalg.norm(np.diff(cen_s, axis=0), axis=1)))
    if path_mm >= 0.1:
        unwrapped = axis_heading_deg(cl, unwrap=True)
        feats["heading_drift"] = float((unwrapped[-1] - unwrapped[0]) / path_mm)

    revs = _reversals(t, u, fs, p)
    pirs = _pirouettes(revs, axis_heading, fs, T, p)
    feats["reversal_count"] = float(len(revs))
    feats["pirouette_count"] = float(len(pirs))
    feats["reversal_rate"] = len(revs) / minutes if minutes > 0 else NAN
    feats["pirouette_rate"] = len(pirs) / minutes if minutes > 0 else NAN

    # --- klinokinesis: event rates conditioned on the sign of dC/dt before the event
    if np.isfinite(conc).all():
        c_s = _boxcar_valid(conc, int(round(p.dcdt_window_s * fs)))
        dcdt = np.gradient(c_s, dt)
        in_event = np.zeros(T, bool)
        for a, b in revs:
            in_event[a:b] = True
        at_risk = moving & (u > 0) & ~in_event
        t_neg = float(np.sum(at_risk & (dcdt < 0)) * dt)
        t_pos = float(np.sum(at_risk & (dcdt > 0)) * dt)
        feats["time_dcdt_neg_s"] = t_neg
        feats["time_dcdt_pos_s"] = t_pos
        lb = max(1, int(round(p.dcdt_lookback_s * fs)))

        def split(events):
            n_neg = n_pos = 0
            for a, _ in events:
                g = dcdt[max(0, a - lb):a] if a > 0 else dcdt[:1]
                m = float(np.mean(g))
                n_neg += m < 0
                n_pos += m > 0
            return n_neg, n_pos

        for name, events in (("reversal", revs), ("pirouette", pirs)):
            n_neg, n_pos = split(events)
            feats[f"{name}_count_dcdt_neg"] = float(n_neg)
            feats[f"{name}_count_dcdt_pos"] = float(n_pos)
            r_neg = n_neg / (t_neg / 60.0) if t_neg > 0 else NAN
            r_pos = n_pos / (t_pos / 60.0) if t_pos > 0 else NAN
            feats[f"{name}_rate_dcdt_neg"] = float(r_neg)
            feats[f"{name}_rate_dcdt_pos"] = float(r_pos)
            ratio, index = _ratio_index(r_neg, r_pos)
            feats[f"{name}_rate_ratio"] = ratio
            feats[f"{name}_klinokinesis_index"] = index

    # --- weathervaning: path curvature vs bearing to the peak, forward runs only
    peak = np.asarray(task_info.get("peak", [np.nan, np.nan]), float).reshape(2)
    if np.isfinite(peak).all():
        heading = np.unwrap(np.arctan2(v[:, 1], v[:, 0]))
        dphi = np.gradient(heading, dt)  # rad/s
        with np.errstate(invalid="ignore", divide="ignore"):
            path_curv = np.rad2deg(dphi) / speed  # deg/mm
        to_peak = peak - cen_s
        bearing = _wrap_deg(np.rad2deg(np.arctan2(to_peak[:, 1], to_peak[:, 0]) - heading))
        in_rev = np.zeros(T, bool)
        pad = int(round(win_s * fs))
        for a, b in revs:
            in_rev[max(0, a - pad):min(T, b + pad)] = True
        ok = (speed > p.moving_speed_mm_s) & (u > 0) & ~in_rev & np.isfinite(path_curv)
        ok &= np.abs(bearing) <= p.weathervane_max_bearing_deg
        n = int(ok.sum())
        feats["weathervane_n"] = float(n)
        if n >= p.weathervane_min_samples and np.std(bearing[ok]) >= p.weathervane_min_bearing_sd_deg:
            x, y = bearing[ok], path_curv[ok]
            xm = x - x.mean()
            feats["weathervane_slope"] = float((xm * (y - y.mean())).sum() / (xm ** 2).sum())
    return {k: _f(v_) for k, v_ in feats.items()}


# ----------------------------------------------------------------------------- population


def chemotaxis_index(features_list: Sequence[Mapping[str, float]], n_boot: int = 2000,
                     seed: int = 0) -> dict[str, float]:
    """Bargmann chemotaxis index over episodes (one worm per episode).

    CI = (n_target - n_control) / n_total, where n_target / n_control count episodes whose
    worm ends inside the target / control zone and n_total counts every scored episode
    (Bargmann, Hartwieg & Horvitz 1993, doi:10.1016/0092-8674(93)80053-H; for NaCl Bargmann &
    Horvitz 1991, doi:10.1016/0896-6273(91)90276-6). Plate assays divide by all animals on the
    plate, as here; worms that end in neither zone count in the denominator only. Episodes whose
    zone flags are NaN (failed) are left out. 95% CI: percentile bootstrap over episodes
    (:func:`tasks.statistics.bootstrap_ci`, ``n_boot`` resamples, ``seed``). Returns {value, ci_low, ci_high, n, n_target, n_control}.
    """
    rows = [(f.get("in_target_end", NAN), f.get("in_control_end", NAN)) for f in features_list]
    arr = np.array([r for r in rows if np.isfinite(r[0]) and np.isfinite(r[1])], float)
    n = int(arr.shape[0])
    if n == 0:
        return dict(value=NAN, ci_low=NAN, ci_high=NAN, n=0, n_target=0, n_control=0)
    score = arr[:, 0] - arr[:, 1]  # +1 target, -1 control, 0 neither
    value = float(score.mean())
    _, lo, hi = bootstrap_ci(score, np.mean, n_boot=n_boot, rng=seed)
    return dict(value=value, ci_low=lo, ci_high=hi, n=n,
                n_target=int(arr[:, 0].sum()), n_control=int(arr[:, 1].sum()))


def approach_index(features_list: Sequence[Mapping[str, float]], n_boot: int = 2000,
                   seed: int = 0) -> dict[str, float]:
    """Small-n alternative to the chemotaxis index: mean of the per-episode ``approach``
    (d_start - d_end) / d_start (1 = reached the peak, 0 = no net progress, < 0 = moved away),
    with a seeded percentile-bootstrap 95% CI. Uses every episode, not only those ending in a
    zone, so it resolves differences with fewer animals."""
    a = np.array([f.get("approach", NAN) for f in features_list], float)
    a = a[np.isfinite(a)]
    if a.size == 0:
        return dict(value=NAN, ci_low=NAN, ci_high=NAN, n=0)
    _, lo, hi = bootstrap_ci(a, np.mean, n_boot=n_boot, rng=seed)
    return dict(value=float(a.mean()), ci_low=lo, ci_high=hi, n=int(a.size))


def _klinokinesis_rows(features_list: Sequence[Mapping[str, float]], event: str) -> np.ndarray:
    """(animals, 4): event counts at dC/dt < 0 and > 0 and the forward time at risk of each sign,
    for the episodes that have all four."""
    keys = (f"{event}_count_dcdt_neg", f"{event}_count_dcdt_pos", "time_dcdt_neg_s",
            "time_dcdt_pos_s")
    arr = np.array([[f.get(k, NAN) for k in keys] for f in features_list], float)
    return arr[np.isfinite(arr).all(axis=1)] if arr.size else arr.reshape(0, 4)


def _pooled_rates(a: np.ndarray) -> tuple[float, float]:
    """Pooled event rates (1/min) at dC/dt < 0 and > 0 of :func:`_klinokinesis_rows` rows."""
    tn, tp = a[:, 2].sum() / 60.0, a[:, 3].sum() / 60.0
    rn = a[:, 0].sum() / tn if tn > 0 else NAN
    rp = a[:, 1].sum() / tp if tp > 0 else NAN
    return rn, rp


def _pooled_index(a: np.ndarray) -> float:
    return _ratio_index(*_pooled_rates(a))[1]


def klinokinesis_difference(features_a: Sequence[Mapping[str, float]],
                            features_b: Sequence[Mapping[str, float]], event: str = "pirouette",
                            n_boot: int = 2000, seed: int = 0) -> dict[str, float]:
    """The pooled klinokinesis index of population a minus that of population b (e.g. two
    brains on the same seeds), with a percentile-bootstrap 95% CI that resamples each
    population's animals independently (:func:`tasks.statistics.bootstrap_diff_ci`). Returns
    {value, ci_low, ci_high, n_a, n_b}; NaN where either index is undefined."""
    a, b = _klinokinesis_rows(features_a, event), _klinokinesis_rows(features_b, event)
    if a.shape[0] == 0 or b.shape[0] == 0:
        return dict(value=NAN, ci_low=NAN, ci_high=NAN, n_a=int(a.shape[0]), n_b=int(b.shape[0]))
    est, lo, hi = bootstrap_diff_ci(a, b, _pooled_index, n_boot=n_boot, rng=seed)
    return dict(value=float(est), ci_low=float(lo), ci_high=float(hi), n_a=int(a.shape[0]),
                n_b=int(b.shape[0]))


def pooled_klinokinesis(features_list: Sequence[Mapping[str, float]], event: str = "pirouette",
                        n_boot: int = 2000, seed: int = 0) -> dict[str, float]:
    """Event rates conditioned on the sign of dC/dt, pooled over episodes (events and time at
    risk summed), as Pierce-Shimomura et al. 1999 pooled tracks. Returns rate_neg, rate_pos
    (1/min), ratio = rate_neg / rate_pos, index = (rate_neg - rate_pos) / (rate_neg +
    rate_pos) with a bootstrap CI over episodes, and the counts."""
    arr = _klinokinesis_rows(features_list, event)
    if arr.shape[0] == 0:
        return dict(rate_neg=NAN, rate_pos=NAN, ratio=NAN, index=NAN, ci_low=NAN, ci_high=NAN,
                    n=0, n_events_neg=0, n_events_pos=0)
    rn, rp = _pooled_rates(arr)
    ratio, index = _ratio_index(rn, rp)
    _, lo, hi = bootstrap_ci(arr, _pooled_index, n_boot=n_boot, rng=seed)
    return dict(rate_neg=float(rn), rate_pos=float(rp), ratio=ratio, index=index, ci_low=lo,
                ci_high=hi, n=int(arr.shape[0]), n_events_neg=int(arr[:, 0].sum()),
                n_events_pos=int(arr[:, 1].sum()))
