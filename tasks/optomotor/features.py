"""Bout kinematics and optomotor-response (OMR) features of a recorded larval zebrafish episode.

Input (the arrays the runner saves from ``info["record"]``, at ``record_rate_hz`` = 250 Hz)::

    trajectory = {"t": (T,) s, "head_xy": (T, 2) mm, "heading": (T,) rad, "tail_angles": (T, N_J) rad,
                  "speed": (T,) mm/s, "motion_on": (T,) 0/1, "motion_direction_fish": (T,) rad, ...}

Only these arrays are used (the scorer re-extracts from the npz); of ``task_info`` only
``stimulus.lock_to_heading`` is read (the after-motion bins, below).
:func:`extract_features` returns a flat ``dict[str, float]`` (NaN where undefined, never raises on
well-formed degenerate input: a fish that never swims gives ``n_bouts = 0`` and NaNs).

Bouts (:func:`detect_bouts`)
    tail-tip angle θ = Σ joint angles (rad, + = left); activity = |dθ/dt| smoothed over 40 ms
    (> one 29 Hz beat); a bout is a run of activity above ``activity_threshold`` (10 rad/s),
    runs closer than 50 ms merged, trimmed to the first and last sample whose unsmoothed
    |dθ/dt| exceeds the threshold, a run starting less than ``min_interval_s`` (0.187 s) after
    the onset of the bout before it joined to that bout, runs shorter than 40 ms dropped. The
    0.187 s is the shortest inter-bout interval (onset to onset) in the Karpenko 2020 library
    (15,624 intervals; Le Goc 2021's shortest of 76,095 is 0.441 s; ``tests/tasks/test_optomotor.py``
    checks it against the reference data): no real bout starts sooner, so a shorter interval is
    one bout whose tail paused (vigorous model bouts pause 60–90 ms between a large first bend and
    the counter-bend; counted apart they were two opposite ~77° "turns"). Without tail angles the head
    speed above ``speed_threshold`` (5 mm/s) is used instead. Per bout: onset/offset (s),
    duration, tail-beat frequency (from the n extrema of θ, one per half-beat, whatever the
    turn bias: f = (n−1) / (2 Δt) between the first and last extremum), peak head speed and displacement / heading change from just
    before the onset to the end of the glide (the next onset or offset + 0.3 s, whichever first).
    Heading change + = turn to the left (counter-clockwise).

OMR
    A bout starting while the stimulus moves with a lateral component (|sin(direction)| > 0.5)
    (``omr_bout_fraction_with``: the same over all bouts with |Δheading| > 1°, i.e. the side of
    every bout, not only of turns) is scored as a turn "with" the motion when it turns (|Δheading| > ``turn_threshold_deg``,
    10°) to the side the pattern moves toward (sign Δheading = sign sin(direction)), "against"
    otherwise. ``omr_correct_fraction`` (per episode and pooled by :func:`omr_correct_fraction`,
    with a bootstrap CI over episodes) = with / (with + against). ``omr_latency_s`` = time from
    each motion onset to the first bout (mean over the episode's onsets). Turn bias over time
    since onset: the same fraction for bouts starting 0–2, 2–5 and 5–10 s after an onset.
    ``bout_rate_motion_hz`` / ``bout_rate_rest_hz``: bouts starting while the stimulus moves /
    rests per second of motion / rest (the chronometric measure).
    ``rest_turn_fraction_toward_side``: the same count during rest epochs against the side of
    the (static) pattern's direction — the chance control (~0.5 with no side bias).
    ``after_motion_toward_fraction_<lo>_<hi>s``: turns in rest epochs 0–2, 2–5, 5–10 s after a
    motion offset toward the side the preceding motion moved to: the decay of the bias after the
    motion stops (Bahl & Engert 2020; 0.5 = forgotten). The side is taken in the frame the
    stimulus was shown in: for a stimulus locked to the fish's heading (the env's default, as in
    closed-loop virtual-reality assays) the fish-frame side of the preceding motion, whatever the
    fish's heading since; for a world-fixed stimulus (``task_info["stimulus"]["lock_to_heading"]``
    false) the preceding motion's world direction at the offset, seen from the fish's heading at
    the bout. ``task_info`` is read only for that flag (absent: locked).
    ``after_motion_bout_toward_fraction_0_2s`` / ``_2_4s``: the same over every bout (|Δheading|
    > 1°) in 2 s bins, the measure of the wild-type reference (``random_dots_reference.py``).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Mapping, Sequence

import numpy as np

from ..statistics import bootstrap_ci, ratio_of_sums

TIME_BINS_S = ((0.0, 2.0), (2.0, 5.0), (5.0, 10.0))
AFTER_BINS_S = ((0.0, 2.0), (2.0, 5.0), (5.0, 10.0))
#: the real larvae's after-motion bins (tasks/optomotor/random_dots_reference.py: 2 s bins, every bout)
AFTER_BINS_ALL_BOUTS_S = ((0.0, 2.0), (2.0, 4.0))


@dataclass(frozen=True)
class BoutParams:
    activity_threshold: float = 10.0  # rad/s, smoothed |d tail-tip angle / dt|
    speed_threshold: float = 5.0  # mm/s, fallback without tail angles
    smooth_s: float = 0.04
    merge_gap_s: float = 0.05
    min_interval_s: float = 0.187  # s, onset to onset: the reference libraries' shortest (docstring)
    min_duration_s: float = 0.04
    glide_s: float = 0.3
    turn_threshold_deg: float = 10.0


def _boxcar(x: np.ndarray, n: int) -> np.ndarray:
    if n <= 1:
        return x
    k = np.ones(n) / n
    return np.convolve(x, k, mode="same")


def _runs(mask: np.ndarray) -> list[tuple[int, int]]:
    """[start, end) index pairs of True runs."""
    m = np.r_[False, mask.astype(bool), False]
    d = np.diff(m.astype(int))
    return list(zip(np.nonzero(d == 1)[0], np.nonzero(d == -1)[0]))


def _wrap(a):
    return (np.asarray(a) + np.pi) % (2 * np.pi) - np.pi


def detect_bouts(trajectory: Mapping[str, Any], params: BoutParams = BoutParams()) -> list[dict]:
    """Bouts of one episode (list of dicts, onset order); see the module docstring."""
    t = np.asarray(trajectory["t"], float).ravel()
    if t.size < 5:
        return []
    dt = float(np.median(np.diff(t)))
    if not dt > 0:
        return []
    ns = max(1, int(round(params.smooth_s / dt)))
    ta = trajectory.get("tail_angles")
    theta = None
    if ta is not None and np.size(ta):
        theta = np.asarray(ta, float).reshape(t.size, -1).sum(axis=1)
        act = _boxcar(np.abs(np.gradient(theta, t)), ns)
        mask = act > params.activity_threshold
    else:
        mask = _boxcar(np.asarray(trajectory["speed"], float).ravel(), ns) > params.speed_threshold
    runs = _runs(mask)
    merged: list[list[int]] = []
    gap = int(round(params.merge_gap_s / dt))
    for a, b in runs:
        if merged and a - merged[-1][1] <= gap:
            merged[-1][1] = b
        else:
            merged.append([a, b])
    if theta is not None:  # trim the smoothing spread: first/last raw supra-threshold sample
        raw = np.abs(np.gradient(theta, t)) > params.activity_threshold
        trimmed = []
        for a, b in merged:
            idx = np.nonzero(raw[a:b])[0]
            if idx.size:
                trimmed.append([a + int(idx[0]), a + int(idx[-1]) + 1])
        merged = trimmed
    joined: list[list[int]] = []
    for a, b in merged:  # no bout starts sooner after the previous bout's onset than real ones do
        if joined and (a - joined[-1][0]) * dt < params.min_interval_s:
            joined[-1][1] = b
        else:
            joined.append([a, b])
    runs = [(a, b) for a, b in joined if (b - a) * dt >= params.min_duration_s]
    xy = np.asarray(trajectory["head_xy"], float).reshape(t.size, 2)
    heading = np.asarray(trajectory["heading"], float).ravel()
    speed = np.asarray(trajectory["speed"], float).ravel() if "speed" in trajectory else \
        np.r_[0.0, np.hypot(*np.diff(xy, axis=0).T) / np.diff(t)]
    motion = np.asarray(trajectory.get("motion_on", np.zeros(t.size)), float).ravel()
    mdir = np.asarray(trajectory.get("motion_direction_fish", np.zeros(t.size)), float).ravel()
    glide = int(round(params.glide_s / dt))
    bouts = []
    for k, (a, b) in enumerate(runs):
        nxt = runs[k + 1][0] if k + 1 < len(runs) else t.size
        end = min(nxt - 1, b - 1 + glide, t.size - 1)
        pre = max(a - 1, 0)
        freq = float("nan")
        if theta is not None:
            seg = np.gradient(theta[a:b])  # extrema of the tail-tip angle = half-beats
            cross = np.nonzero(np.diff(np.signbit(seg)))[0]
            if cross.size >= 3:
                span = t[a + cross[-1]] - t[a + cross[0]]
                freq = (cross.size - 1) / (2 * span) if span > 0 else float("nan")
        dh = float(np.degrees(_wrap(heading[end] - heading[pre])))
        bouts.append({
            "onset_s": float(t[a]), "offset_s": float(t[b - 1]), "duration_s": float(t[b - 1] - t[a]),
            "tail_beat_frequency_hz": float(freq),
            "peak_speed_mm_s": float(speed[a:end + 1].max()),
            "displacement_mm": float(np.hypot(*(xy[end] - xy[pre]))),
            "heading_change_deg": dh,
            "motion_on": bool(motion[a] > 0.5),
            "motion_direction_fish": float(mdir[a]),
        })
    return bouts


def _nanmedian(x) -> float:
    x = np.asarray(x, float)
    x = x[np.isfinite(x)]
    return float(np.median(x)) if x.size else float("nan")


def _toward(heading_change_deg: float, side: float) -> bool | None:
    """Does a turn go to ``side`` (sin of the stimulus direction in the fish's frame)? None when
    the stimulus is not lateral enough to have a side (|side| <= 0.5)."""
    if abs(side) <= 0.5:
        return None
    return bool(np.sign(heading_change_deg) == np.sign(side))


def _put_fraction(f: dict, key: str, toward: int, away: int) -> None:
    """``key_with`` / ``key_against`` counts and their fraction ``key`` (NaN without a count)."""
    f[f"{key}_with"], f[f"{key}_against"] = float(toward), float(away)
    f[key] = toward / (toward + away) if toward + away else float("nan")


def side_counts(bouts: list[dict], params: BoutParams, during_motion: bool) -> tuple[int, int]:
    """Turns (|Δheading| > ``params.turn_threshold_deg``, lateral stimulus) starting in motion
    (``during_motion``) or rest epochs: (with the stimulus side, against it)."""
    w = ag = 0
    for b in bouts:
        if b["motion_on"] != during_motion or abs(b["heading_change_deg"]) <= params.turn_threshold_deg:
            continue
        toward = _toward(b["heading_change_deg"], math.sin(b["motion_direction_fish"]))
        if toward is not None:
            w, ag = (w + 1, ag) if toward else (w, ag + 1)
    return w, ag


def _motion_onsets(t: np.ndarray, motion: np.ndarray) -> np.ndarray:
    m = motion > 0.5
    idx = np.nonzero(m & ~np.r_[False, m[:-1]])[0]
    return t[idx]


def _after_motion_counts(bouts, t, heading, mdir, off_idx, lo: float, hi: float, threshold_deg: float,
                         locked: bool) -> tuple[int, int]:
    """Rest-epoch bouts starting ``lo``–``hi`` s after the last motion offset with |Δheading| >
    ``threshold_deg``: (toward the preceding motion's side, away from it); the side as in the
    module doc (fish frame for a heading-locked stimulus, world frame otherwise)."""
    w = a = 0
    for b in bouts:
        if b["motion_on"] or not off_idx.size:
            continue
        k = off_idx[t[off_idx] <= b["onset_s"]]
        if not k.size:
            continue
        i_off = int(k[-1])
        since = b["onset_s"] - t[i_off]
        if not lo <= since < hi or abs(b["heading_change_deg"]) <= threshold_deg:
            continue
        if locked:  # the pattern turned with the fish: its side in the fish's frame
            side = math.sin(mdir[i_off - 1])
        else:  # world-fixed: the world direction at the offset, seen from the heading now
            world = mdir[i_off - 1] + heading[i_off - 1]
            i_b = min(int(np.searchsorted(t, b["onset_s"])), t.size - 1)
            side = math.sin(world - heading[max(i_b - 1, 0)])
        toward = _toward(b["heading_change_deg"], side)
        if toward is not None:
            w, a = (w + 1, a) if toward else (w, a + 1)
    return w, a


def extract_features(trajectory: Mapping[str, Any], task_info: Mapping[str, Any] | None = None,
                     params: BoutParams = BoutParams()) -> dict[str, float]:
    """Per-episode features (flat dict of floats); see the module docstring."""
    nan = float("nan")
    t = np.asarray(trajectory["t"], float).ravel()
    bouts = detect_bouts(trajectory, params)
    dur = float(t[-1] - t[0]) if t.size > 1 else nan
    onsets = np.array([b["onset_s"] for b in bouts])
    ibis = np.diff(onsets)
    dh = np.array([b["heading_change_deg"] for b in bouts])
    turns = dh[np.abs(dh) > params.turn_threshold_deg]
    f: dict[str, float] = {
        "n_bouts": float(len(bouts)),
        "bout_rate_hz": float((len(bouts) - 1) / (onsets[-1] - onsets[0])) if len(bouts) >= 2 and onsets[-1] > onsets[0] else (0.0 if len(bouts) == 0 and dur > 0 else nan),
        "interbout_interval_median_s": _nanmedian(ibis),
        "bout_duration_median_s": _nanmedian([b["duration_s"] for b in bouts]),
        "tail_beat_frequency_median_hz": _nanmedian([b["tail_beat_frequency_hz"] for b in bouts]),
        "peak_speed_median_mm_s": _nanmedian([b["peak_speed_mm_s"] for b in bouts]),
        "displacement_median_mm": _nanmedian([b["displacement_mm"] for b in bouts]),
        "heading_change_abs_median_deg": _nanmedian(np.abs(dh)) if dh.size else nan,
        "heading_change_sd_deg": float(np.std(dh, ddof=1)) if dh.size >= 2 else nan,
        "turn_fraction": float(turns.size / dh.size) if dh.size else nan,
        "turn_side_persistence": nan,
    }
    if turns.size >= 2:
        s = np.sign(turns)
        f["turn_side_persistence"] = float(np.mean(s[1:] == s[:-1]))
    # OMR
    w, ag = side_counts(bouts, params, during_motion=True)
    f["omr_turns_with"], f["omr_turns_against"] = float(w), float(ag)
    # the same over ALL bouts in motion (sign of the heading change, |dh| > 1 deg): weak
    # lateral biases below the 10 deg turn threshold count too
    w1, a1 = side_counts(bouts, BoutParams(**{**params.__dict__, "turn_threshold_deg": 1.0}), during_motion=True)
    f["omr_bouts_with"], f["omr_bouts_against"] = float(w1), float(a1)
    f["omr_bout_fraction_with"] = w1 / (w1 + a1) if w1 + a1 else nan
    f["omr_correct_fraction"] = w / (w + ag) if w + ag else nan
    rw, rag = side_counts(bouts, params, during_motion=False)
    f["rest_turns_toward_side"], f["rest_turns_away_from_side"] = float(rw), float(rag)
    f["rest_turn_fraction_toward_side"] = rw / (rw + rag) if rw + rag else nan
    motion = np.asarray(trajectory.get("motion_on", np.zeros(t.size)), float).ravel()
    # chronometric: bout rate while the stimulus moves vs at rest (bouts by onset)
    if t.size > 1:
        dt_s = float(np.median(np.diff(t)))
        t_motion = float((motion > 0.5).sum()) * dt_s
        t_rest = float((motion <= 0.5).sum()) * dt_s
        n_m = sum(1 for b in bouts if b["motion_on"])
        f["bout_rate_motion_hz"] = n_m / t_motion if t_motion > 0 else nan
        f["bout_rate_rest_hz"] = (len(bouts) - n_m) / t_rest if t_rest > 0 else nan
    mon = _motion_onsets(t, motion)
    lats = []
    for t0 in mon:
        after = onsets[(onsets >= t0)]
        ends = t[(t > t0) & (motion < 0.5)]
        t_end = ends[0] if ends.size else t[-1]
        if after.size and after[0] < t_end:
            lats.append(after[0] - t0)
    f["omr_latency_s"] = float(np.mean(lats)) if lats else nan
    f["omr_n_onsets"] = float(mon.size)
    for lo, hi in TIME_BINS_S:
        sel = []
        for b in bouts:
            since = b["onset_s"] - mon[mon <= b["onset_s"]].max() if (mon <= b["onset_s"]).any() else None
            if since is not None and lo <= since < hi:
                sel.append(b)
        _put_fraction(f, f"omr_correct_fraction_{lo:g}_{hi:g}s", *side_counts(sel, params, during_motion=True))
    # after-motion bias: bouts in rest epochs by time since the last motion offset, counted as
    # turns toward the side the PRECEDING motion moved to, in the stimulus's frame (module doc);
    # once for turns (> turn_threshold_deg, AFTER_BINS_S) and once for every bout (> 1 deg, the
    # real larvae's measure, in their 2 s bins AFTER_BINS_ALL_BOUTS_S)
    locked = bool(((task_info or {}).get("stimulus") or {}).get("lock_to_heading", True))
    heading = np.asarray(trajectory.get("heading", np.zeros(t.size)), float).ravel()
    mdir = np.asarray(trajectory.get("motion_direction_fish", np.zeros(t.size)), float).ravel()
    m = motion > 0.5
    off_idx = np.nonzero(~m & np.r_[False, m[:-1]])[0] if t.size else np.zeros(0, int)
    for bins, thr, name in ((AFTER_BINS_S, params.turn_threshold_deg, "after_motion_toward_fraction"),
                            (AFTER_BINS_ALL_BOUTS_S, 1.0, "after_motion_bout_toward_fraction")):
        for lo, hi in bins:
            _put_fraction(f, f"{name}_{lo:g}_{hi:g}s",
                          *_after_motion_counts(bouts, t, heading, mdir, off_idx, lo, hi, thr, locked))
    return {k: float(v) for k, v in f.items()}


# ------------------------------------------------------------------------------- population

def pooled_fraction(features_list: Sequence[Mapping[str, float]], kw: str, ka: str,
                     n_boot: int = 2000, seed: int = 0) -> dict:
    """Counts ``kw`` / (``kw`` + ``ka``) pooled over episodes, with a 95 % percentile-bootstrap CI
    resampling episodes (:func:`tasks.statistics.bootstrap_ci` of
    :func:`~tasks.statistics.ratio_of_sums`; ``n_boot`` resamples, ``seed``)."""
    w = np.array([float(f.get(kw, 0.0) or 0.0) for f in features_list])
    a = np.array([float(f.get(ka, 0.0) or 0.0) for f in features_list])
    w, a = np.nan_to_num(w), np.nan_to_num(a)
    n = w + a
    if n.sum() == 0:
        return {"value": float("nan"), "ci_low": float("nan"), "ci_high": float("nan"), "n": 0,
                "n_turns": 0}
    value = float(w.sum() / n.sum())
    # episodes resampled; a resample without turns has no fraction and is dropped
    _, lo, hi = bootstrap_ci(np.column_stack([w, n]), ratio_of_sums, n_boot=n_boot, rng=seed)
    return {"value": value, "ci_low": lo, "ci_high": hi,
            "n": int((n > 0).sum()), "n_turns": int(n.sum())}


def omr_correct_fraction(features_list: Sequence[Mapping[str, float]], n_boot: int = 2000,
                         seed: int = 0) -> dict:
    """Pooled fraction of turns with the motion direction over all episodes (turns pooled),
    95 % bootstrap CI resampling episodes. {"value", "ci_low", "ci_high", "n" (episodes with
    turns), "n_turns"}."""
    return pooled_fraction(features_list, "omr_turns_with", "omr_turns_against", n_boot, seed)


def rest_turn_fraction_toward_side(features_list: Sequence[Mapping[str, float]], n_boot: int = 2000,
                                   seed: int = 0) -> dict:
    """The same pooled fraction during rest epochs (chance control)."""
    return pooled_fraction(features_list, "rest_turns_toward_side", "rest_turns_away_from_side", n_boot, seed)
