"""Feature extraction on synthetic worms with known speed, frequency, wavelength and events."""

from __future__ import annotations

import math

import numpy as np
import pytest

from tasks.chemotaxis.features import (
    FEATURE_DOCS,
    approach_index,
    chemotaxis_index,
    distance_to_peak_series,
    extract_features,
    pooled_klinokinesis,
    window_features,
)
from tasks.reference import load_reference

# --- synthetic worms (no simulator involved)
#
# The body slides without slip along a fixed sinusoidal track y = a sin(2 pi x / lam_x): the
# head sits at arc position s_head(t) on the track and body point i at s_head - s_i. The body
# then carries a curvature wave travelling head -> tail at f = v_arc / Lambda_arc (Lambda_arc =
# arc length of one track period), its wavelength is Lambda_arc / L body lengths, and the
# centroid advances along x at f * lam_x on average.


def track(lam_x=0.6, amp=0.05, x_max=60.0, n=400_000):
    x = np.linspace(-5.0, x_max, n)
    y = amp * np.sin(2 * np.pi * x / lam_x)
    s = np.concatenate([[0.0], np.cumsum(np.hypot(np.diff(x), np.diff(y)))])
    per = np.searchsorted(x, x[0] + lam_x)
    lam_arc = s[per] - s[0]
    return x, y, s, lam_arc


def crawl(freq=0.30, wavelength_bl=0.65, duration=60.0, fs=25.0, K=25, lam_x=0.6, amp=0.05,
          backward=(), rotate_deg=0.0, offset=(0.0, 0.0)):
    """Return (trajectory, truth). `backward` = list of (t_start, t_stop) intervals during which
    the worm backs up at the same arc speed."""
    x, y, s, lam_arc = track(lam_x, amp, x_max=10.0 + 1.2 * freq * lam_x * duration,
                             n=int(4000 * (15.0 + 1.2 * freq * lam_x * duration)))
    L = lam_arc / wavelength_bl
    v_arc = freq * lam_arc
    t = np.arange(int(round(duration * fs))) / fs
    vel = np.full_like(t, v_arc)
    for a, b in backward:
        vel[(t >= a) & (t < b)] = -v_arc
    s_head = L + 1.0 + np.concatenate([[0.0], np.cumsum(vel[:-1]) / fs])
    s_i = np.linspace(0.0, L, K)
    pos_s = s_head[:, None] - s_i[None, :]
    px = np.interp(pos_s, s, x)
    py = np.interp(pos_s, s, y)
    th = np.deg2rad(rotate_deg)
    X = np.cos(th) * px - np.sin(th) * py + offset[0]
    Y = np.sin(th) * px + np.cos(th) * py + offset[1]
    cl = np.stack([X, Y], axis=-1)
    truth = dict(freq=freq, wavelength=wavelength_bl, speed=freq * lam_x, body_length=L)
    return {"t": t, "centerline": cl, "concentration": np.zeros_like(t)}, truth


def still(duration=30.0, fs=25.0, K=25, L=1.0):
    t = np.arange(int(round(duration * fs))) / fs
    xs = np.linspace(0.0, -L, K)
    cl = np.broadcast_to(np.stack([xs, np.zeros(K)], -1), (t.size, K, 2)).copy()
    return {"t": t, "centerline": cl, "concentration": np.full_like(t, 1.0)}


TASK_INFO = {
    "peak": [30.0, 0.0],
    "target_zone": {"center": [30.0, 0.0], "radius": 5.0},
    "control_zone": {"center": [-30.0, 0.0], "radius": 5.0},
    "start": [0.0, 0.0],
    "plate_radius": 45.0,
}


@pytest.mark.parametrize("freq,wl", [(0.30, 0.65), (1.0, 1.0), (0.15, 0.5), (2.0, 0.8)])
def test_travelling_wave_recovers_speed_frequency_wavelength(freq, wl):
    tr, truth = crawl(freq=freq, wavelength_bl=wl, duration=60.0)
    f = extract_features(tr, TASK_INFO)
    assert f["undulation_frequency"] == pytest.approx(freq, rel=0.03)
    assert f["wavelength"] == pytest.approx(wl, rel=0.05)
    assert f["centroid_speed"] == pytest.approx(truth["speed"], rel=0.05)
    assert f["body_length"] == pytest.approx(truth["body_length"], rel=0.01)
    assert f["wave_direction"] == 1.0
    assert f["forward_fraction"] == pytest.approx(1.0)
    assert f["reversal_count"] == 0
    assert f["posture_variance_top4"] > 0.95
    assert f["rms_curvature"] > 0


def test_frequency_robust_to_rotation_and_offset():
    tr, truth = crawl(rotate_deg=137.0, offset=(5.0, -3.0))
    f = extract_features(tr, TASK_INFO)
    assert f["undulation_frequency"] == pytest.approx(0.30, rel=0.03)
    assert f["centroid_speed"] == pytest.approx(truth["speed"], rel=0.05)


def test_all_values_are_floats_and_documented():
    tr, _ = crawl(duration=20.0)
    f = extract_features(tr, TASK_INFO)
    assert set(f) == set(FEATURE_DOCS)
    assert all(type(v) is float for v in f.values())
    for k, d in FEATURE_DOCS.items():
        assert d["unit"] and d["doc"], k


def test_feature_ids_match_reference_library():
    lib = load_reference("celegans_chemotaxis_v1")
    feature_ids = set(FEATURE_DOCS) | {"chemotaxis_index"}
    for e in lib:
        assert e.id in feature_ids, e.id
    marked = {k for k, d in FEATURE_DOCS.items() if d.get("reference")}
    assert marked <= set(lib.ids)


def test_still_worm_gives_zero_speed_and_nan_frequency():
    f = extract_features(still(), TASK_INFO)
    assert f["centroid_speed"] == pytest.approx(0.0, abs=1e-12)
    assert math.isnan(f["undulation_frequency"])
    assert math.isnan(f["wavelength"])
    assert math.isnan(f["posture_variance_top4"])
    assert math.isnan(f["forward_fraction"])
    assert math.isnan(f["weathervane_slope"])
    assert f["reversal_count"] == 0 and f["pirouette_count"] == 0
    assert f["rms_curvature"] == pytest.approx(0.0, abs=1e-9)


@pytest.mark.parametrize("T", [0, 1, 2, 5, 12])
def test_short_episodes_do_not_raise(T):
    tr, _ = crawl(duration=30.0)
    short = {k: np.asarray(v)[:T] for k, v in tr.items()}
    f = extract_features(short, TASK_INFO)
    assert set(f) == set(FEATURE_DOCS)
    if T >= 1:
        assert np.isfinite(f["distance_to_peak_start"])


def test_missing_concentration_and_zones_do_not_raise():
    tr, _ = crawl(duration=20.0)
    tr = {"t": tr["t"], "centerline": tr["centerline"]}
    f = extract_features(tr, {"peak": [1.0, 1.0]})
    assert math.isnan(f["in_target_end"]) and math.isnan(f["pirouette_rate_ratio"])


@pytest.mark.parametrize(
    "intervals,expected",
    [
        ([], 0),
        ([(10, 13)], 1),
        ([(10, 13), (30, 34), (45, 46)], 3),
        ([(10, 10.3), (30, 33)], 1),  # the 0.3 s bout is too short to count
    ],
)
def test_reversal_count(intervals, expected):
    tr, _ = crawl(duration=60.0, backward=intervals)
    f = extract_features(tr, TASK_INFO)
    assert f["reversal_count"] == expected
    assert f["reversal_rate"] == pytest.approx(expected / 1.0, rel=1e-6)
    if expected:
        assert f["forward_fraction"] < 1.0


def test_window_features_count_reversals_that_start_in_the_window():
    # reversals starting at 5, 24 and 38 s; a 20-40 s pulse window holds the onsets at 24 and 38
    # (the one at 38 s ends after the window and still counts), not the one at 5 s
    tr, _ = crawl(duration=60.0, backward=[(5, 8), (24, 27), (38, 42)])
    w = window_features(tr, 20.0, 40.0)
    assert w["reversal_count"] == 2 and w["reversal_rate"] == pytest.approx(6.0, rel=1e-6)
    assert 0.75 < w["forward_fraction"] < 0.9 and w["moving_s"] == pytest.approx(20.0, abs=0.5)
    whole = extract_features(tr, TASK_INFO)
    w_all = window_features(tr, 0.0, float(tr["t"][-1]))
    assert w_all["reversal_count"] == whole["reversal_count"] == 3
    assert w_all["forward_fraction"] == pytest.approx(whole["forward_fraction"], abs=0.002)
    # a worm that does not move in the window has no forward fraction there
    still = {"t": tr["t"], "centerline": np.repeat(tr["centerline"][:1], tr["t"].size, axis=0)}
    assert window_features(still, 20.0, 40.0)["forward_fraction"] is None
    with pytest.raises(ValueError, match="ends after the recording"):
        window_features(tr, 20.0, 61.0)
    with pytest.raises(ValueError, match="t_on < t_off"):
        window_features(tr, 30.0, 20.0)


def _rigid_path(segments, fs=25.0, K=25, L=1.0, start=(0.0, 0.0), conc_fn=None):
    """Straight rigid worm. segments: list of (duration, axial speed mm/s, heading_deg_end);
    heading changes linearly over a segment (turn in place when speed is 0)."""
    pos = np.array(start, float)
    heading = segments[0][2]
    P, H = [], []
    for dur, v, h_end in segments:
        n = int(round(dur * fs))
        hs = np.linspace(heading, h_end, n, endpoint=False) if n else []
        for h in hs:
            P.append(pos.copy())
            H.append(h)
            pos = pos + v / fs * np.array([np.cos(np.deg2rad(h)), np.sin(np.deg2rad(h))])
        heading = h_end
    P, H = np.array(P), np.deg2rad(np.array(H))
    axis = np.stack([np.cos(H), np.sin(H)], -1)
    s = np.linspace(0.0, L, K)
    cl = P[:, None, :] - s[None, :, None] * axis[:, None, :]  # nose at P, body behind
    t = np.arange(len(P)) / fs
    conc = conc_fn(cl[:, 0]) if conc_fn else np.zeros_like(t)
    return {"t": t, "centerline": cl, "concentration": conc}


def _radial(peak=(30.0, 0.0)):
    return lambda xy: np.exp(-np.linalg.norm(xy - np.asarray(peak), axis=1) / 20.0)


def test_pirouette_needs_reversal_plus_large_heading_change():
    v = 0.2
    # away from the peak (heading 180 deg), reverse, turn 120 deg, go on forward
    pir = _rigid_path([(20, v, 180), (3, -v, 180), (2, 0.0, 60), (20, v, 60)],
                      start=(0.0, 0.0), conc_fn=_radial())
    f = extract_features(pir, TASK_INFO)
    assert f["reversal_count"] == 1
    assert f["pirouette_count"] == 1
    assert f["pirouette_count_dcdt_neg"] == 1 and f["pirouette_count_dcdt_pos"] == 0
    assert f["pirouette_klinokinesis_index"] == pytest.approx(1.0)
    # same, but the worm resumes its old heading: a reversal, not a pirouette
    rev = _rigid_path([(20, v, 180), (3, -v, 180), (2, 0.0, 180), (20, v, 180)],
                      conc_fn=_radial())
    g = extract_features(rev, TASK_INFO)
    assert g["reversal_count"] == 1 and g["pirouette_count"] == 0


def test_pooled_klinokinesis():
    feats = [
        dict(pirouette_count_dcdt_neg=3, pirouette_count_dcdt_pos=1, time_dcdt_neg_s=60,
             time_dcdt_pos_s=60),
        dict(pirouette_count_dcdt_neg=1, pirouette_count_dcdt_pos=1, time_dcdt_neg_s=60,
             time_dcdt_pos_s=60),
    ]
    r = pooled_klinokinesis(feats)
    assert r["rate_neg"] == pytest.approx(2.0) and r["rate_pos"] == pytest.approx(1.0)
    assert r["ratio"] == pytest.approx(2.0) and r["index"] == pytest.approx(1 / 3)
    assert r["n"] == 2 and r["n_events_neg"] == 4


def _weathervaning_worm(gain_deg_per_mm_per_deg, v=0.2, fs=25.0, duration=40.0):
    """Short rigid worm whose path curvature is exactly gain * bearing-to-peak."""
    peak = np.array(TASK_INFO["peak"])
    n = int(duration * fs)
    pos = np.array([0.0, -8.0])
    h = np.deg2rad(60.0)
    P, H = [], []
    for i in range(n):
        to = peak - pos
        bearing = np.rad2deg((np.arctan2(to[1], to[0]) - h + np.pi) % (2 * np.pi) - np.pi)
        curv = gain_deg_per_mm_per_deg * bearing
        P.append(pos.copy())
        H.append(h)
        h += np.deg2rad(curv) * v / fs
        pos = pos + v / fs * np.array([np.cos(h), np.sin(h)])
    P, H = np.array(P), np.array(H)
    axis = np.stack([np.cos(H), np.sin(H)], -1)
    s = np.linspace(0, 0.2, 5)  # short body so its centroid follows the path closely
    cl = P[:, None, :] - s[None, :, None] * axis[:, None, :]
    return {"t": np.arange(n) / fs, "centerline": cl, "concentration": np.zeros(n)}


@pytest.mark.parametrize("gain", [0.5, 0.2, -0.3])
def test_weathervane_slope_sign_and_size(gain):
    f = extract_features(_weathervaning_worm(gain), TASK_INFO)
    assert np.sign(f["weathervane_slope"]) == np.sign(gain)
    assert f["weathervane_slope"] == pytest.approx(gain, rel=0.15)


def test_distance_features_and_series():
    tr, _ = crawl(duration=60.0, offset=(-10.0, 0.0))
    f = extract_features(tr, TASK_INFO)
    t, d = distance_to_peak_series(tr, TASK_INFO)
    assert t.shape == d.shape == tr["t"].shape
    assert f["distance_to_peak_start"] == pytest.approx(d[0])
    assert f["distance_to_peak_end"] == pytest.approx(d[-1])
    assert f["distance_to_peak_min"] == pytest.approx(d.min())
    assert f["approach"] == pytest.approx((d[0] - d[-1]) / d[0])
    assert f["in_target_end"] == 0.0 and f["in_control_end"] == 0.0


def test_chemotaxis_index_exact():
    feats = (
        [dict(in_target_end=1.0, in_control_end=0.0)] * 6
        + [dict(in_target_end=0.0, in_control_end=1.0)] * 2
        + [dict(in_target_end=0.0, in_control_end=0.0)] * 2
        + [dict(in_target_end=float("nan"), in_control_end=float("nan"))]  # failed episode
    )
    r = chemotaxis_index(feats)
    assert r["value"] == pytest.approx((6 - 2) / 10)
    assert r["n"] == 10 and r["n_target"] == 6 and r["n_control"] == 2
    assert r["ci_low"] <= r["value"] <= r["ci_high"]
    assert chemotaxis_index(feats) == r  # seeded
    assert chemotaxis_index([dict(in_target_end=1.0, in_control_end=0.0)] * 4)["value"] == 1.0
    assert chemotaxis_index([dict(in_target_end=1.0, in_control_end=0.0)] * 4)["ci_low"] == 1.0
    empty = chemotaxis_index([])
    assert empty["n"] == 0 and math.isnan(empty["value"])


def test_approach_index():
    r = approach_index([dict(approach=0.5), dict(approach=1.0), dict(approach=float("nan"))])
    assert r["value"] == pytest.approx(0.75) and r["n"] == 2


def test_heading_drift_of_a_crawl_along_a_circle():
    """A worm whose body axis turns clockwise by 90 deg over a 2 mm path: -45 deg/mm."""
    t = np.arange(0, 20.0001, 0.1)
    n = 25
    R = 4.0 / np.pi                                   # quarter circle of 2 mm
    phi = np.pi / 2 - (t / t[-1]) * np.pi / 2         # centre moves clockwise from (0, R) to (R, 0)
    heading = phi - np.pi / 2                         # tangent, clockwise motion
    s = np.linspace(0.5, -0.5, n)[None, :]
    cx, cy = R * np.cos(phi)[:, None], R * np.sin(phi)[:, None]
    cl = np.stack([cx + s * np.cos(heading)[:, None], cy + s * np.sin(heading)[:, None]], axis=2)
    tr = {"t": t, "centerline": cl, "concentration": np.ones_like(t)}
    f = extract_features(tr, TASK_INFO)
    assert f["heading_drift"] == pytest.approx(-45.0, rel=0.05)
    f_still = extract_features(still(), TASK_INFO)
    assert math.isnan(f_still["heading_drift"])


@pytest.mark.parametrize("end, expected", [((30.0, 0.0), 1.0), ((-30.0, 0.0), -1.0), ((0.0, 17.0), 0.0),
                                           ((15.0, 0.0), 0.5), ((60.0, 0.0), 1.0), ((-45.0, 0.0), -1.0)])
def test_zone_preference_is_the_mirror_contrast(end, expected):
    # +1 at (and beyond) the target, -1 at the control zone, 0 on the perpendicular bisector
    # through the start; a still worm placed at `end` (its centroid half a body length behind the nose).
    tr = still()
    tr["centerline"] = tr["centerline"] + (np.asarray(end) + (0.5, 0.0))
    f = extract_features(tr, TASK_INFO)
    assert f["zone_preference"] == pytest.approx(expected, abs=1e-9)


def test_zone_preference_mean_is_zero_for_dispersal_without_sensing():
    # worms that go the same distance in every direction: approach is negative, preference 0
    prefs, approaches = [], []
    for theta in np.linspace(0.0, 2 * np.pi, 36, endpoint=False):
        tr = still()
        tr["centerline"] = tr["centerline"] + (0.5, 0.0)
        tr["centerline"][-1] += 12.0 * np.array([np.cos(theta), np.sin(theta)])
        f = extract_features(tr, TASK_INFO)
        prefs.append(f["zone_preference"])
        approaches.append(f["approach"])
    assert np.mean(prefs) == pytest.approx(0.0, abs=1e-9)
    assert np.mean(approaches) < -0.01
