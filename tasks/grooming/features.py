"""Per-episode grooming features from a recorded ``cgym/DrosophilaGrooming-v0`` episode.

Input (what the runner stores)::

    trajectory = {
        "t":              (T,)       s, uniform (rate = 1 / median diff; 200 Hz by default),
        "leg_tips":       (T, 6, 3)  claw positions in the thorax frame, cm
                                     (legs T1_left, T1_right, T2_left, T2_right, T3_left, T3_right),
        "antenna_contact":(T, 2)     foreleg-antenna contact force [left, right], uN,
        "stimulus_on":    (T, 2)     0/1 per side,
    }
    task_info = {"stimulus_side": "left"|"right"|"both"|"none", "stimulus_onset_s": ...,
                 "stimulus_duration_s": ..., ...}

**Grooming detector** (documented choices, :class:`FeatureParams`): a foreleg is *raised*
when its claw is more than ``raise_cm`` (0.4 mm) above its standing height (the median claw
height in the thorax frame over the samples before the stimulus, or over the whole episode
when there is no pre-stimulus period; the flybody rest pose stands with the claws ~1.2 mm
below the thorax origin). A side *grooms* when its foreleg is raised; the episode grooms when
either side does. Grooming runs are smoothed by closing gaps shorter than ``merge_gap_s`` and
dropping runs shorter than ``min_bout_s``; what remains are **bouts**.

Features (plain floats; NaN where undefined, never raises on well-formed degenerate input):

* ``groom_latency`` (s): first grooming sample at or after the stimulus onset, minus onset.
* ``groom_fraction``: fraction of the stimulus window spent grooming; ``groom_fraction_rest``:
  the same before the stimulus (spontaneous grooming).
* ``bout_duration`` (s): mean bout duration; ``n_bouts``.
* ``sweep_frequency`` (Hz): dominant frequency (2–20 Hz) of the grooming foreleg's claw
  height over the samples where it grooms (FFT, Hann window, ≥ ``min_sweep_s`` of data);
  ``contact_frequency`` (Hz): rate of touches (contact runs, gaps < 50 ms merged) of that
  side's antenna while it grooms (each sweep touching the antenna gives one).
* ``ipsilateral_fraction``: of the grooming time, the fraction in which only the foreleg of
  the stimulated side grooms (unilateral stimulus only); ``bilateral_fraction``: fraction of
  the grooming time with both forelegs raised.

Measures that follow the brain's output (when its descending commands switch on and off, and to
which side), not the VNC model's own rhythm:

* ``first_sweep_latency`` (s): stimulus onset to the first foreleg–antenna touch (the first sweep
  that reaches an antenna); ``groom_latency`` is the first foreleg raise.
* ``first_bout_start`` (s after onset), ``first_bout_duration`` (s), ``bout_stop_after_offset`` (s):
  end of the last bout that overlaps the stimulus window minus the stimulus end (negative: grooming
  stopped while the antenna was still deflected).
* ``side_choice``: which foreleg rises first in the first bout after onset: 1 = the stimulated
  side's, 0 = the other, 0.5 = both in the same sample (one-sided stimulus only).
* ``ipsilateral_contact_fraction``: of the touches of the stimulated antenna (contact time), the
  fraction made by the same side's foreleg; ``stimulated_antenna_contact_fraction``: of all
  foreleg–antenna contact time, the fraction on the stimulated antenna (needs the recorded
  ``leg_antenna_contact`` (T, 2, 2): foreleg T1_left/T1_right × antenna left/right).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Mapping

import numpy as np

__all__ = ["FeatureParams", "FEATURE_DOCS", "extract_features", "grooming_state", "bouts", "contact_events"]

NAN = float("nan")
FORELEGS = {"left": 0, "right": 1}  # indices into leg_tips (T1_left, T1_right)


@dataclass(frozen=True)
class FeatureParams:
    raise_cm: float = 0.04          # foreleg claw raised > 0.4 mm above standing height
    merge_gap_s: float = 0.15       # close gaps shorter than this inside a bout
    min_bout_s: float = 0.1         # drop runs shorter than this
    min_sweep_s: float = 0.5        # grooming samples needed for a sweep-frequency estimate
    contact_threshold_un: float = 0.05
    contact_merge_s: float = 0.05   # contacts closer than this are one touch (sweeps are ~170 ms)


FEATURE_DOCS = {
    "groom_latency": ("s", "grooming onset after stimulus onset"),
    "groom_fraction": ("1", "fraction of the stimulus window spent grooming"),
    "groom_fraction_rest": ("1", "fraction of the pre-stimulus period spent grooming"),
    "bout_duration": ("s", "mean grooming bout duration"),
    "n_bouts": ("1", "number of grooming bouts"),
    "sweep_frequency": ("Hz", "dominant foreleg sweep frequency while grooming"),
    "contact_frequency": ("Hz", "foreleg-antenna contact rate while grooming"),
    "ipsilateral_fraction": ("1", "grooming time with only the stimulated side's foreleg"),
    "bilateral_fraction": ("1", "grooming time with both forelegs"),
    "first_sweep_latency": ("s", "stimulus onset to the first foreleg-antenna touch"),
    "first_bout_start": ("s", "start of the first grooming bout after stimulus onset"),
    "first_bout_duration": ("s", "duration of the first grooming bout after stimulus onset"),
    "bout_stop_after_offset": ("s", "end of the last bout overlapping the stimulus minus stimulus end"),
    "side_choice": ("1", "first foreleg raised is the stimulated side's (1), the other (0), both (0.5)"),
    "ipsilateral_contact_fraction": ("1", "touches of the stimulated antenna made by the same side's foreleg"),
    "stimulated_antenna_contact_fraction": ("1", "foreleg-antenna contact time on the stimulated antenna"),
}


def _runs(mask: np.ndarray) -> list[tuple[int, int]]:
    """[start, stop) index pairs of True runs."""
    m = np.concatenate([[False], np.asarray(mask, bool), [False]])
    d = np.diff(m.astype(np.int8))
    return list(zip(np.nonzero(d == 1)[0], np.nonzero(d == -1)[0]))


def bouts(mask: np.ndarray, dt: float, p: FeatureParams = FeatureParams()) -> list[tuple[int, int]]:
    """Bouts of a boolean series: gaps < merge_gap_s closed, runs < min_bout_s dropped."""
    mask = np.asarray(mask, bool).copy()
    runs = _runs(mask)
    for (a0, a1), (b0, _) in zip(runs[:-1], runs[1:]):
        if (b0 - a1) * dt < p.merge_gap_s:
            mask[a1:b0] = True
    return [(a, b) for a, b in _runs(mask) if (b - a) * dt >= p.min_bout_s]


def grooming_state(traj: Mapping[str, np.ndarray], task_info: Mapping[str, Any],
                   p: FeatureParams = FeatureParams()) -> dict[str, np.ndarray]:
    """Per-sample booleans ``left``/``right`` (foreleg raised = grooming) and ``any`` (bout-smoothed)."""
    t = np.asarray(traj["t"], float)
    tips = np.asarray(traj["leg_tips"], float)
    onset = float(task_info.get("stimulus_onset_s", np.inf) or np.inf)
    pre = t < onset
    if pre.sum() < 5:
        pre = np.ones_like(t, bool)
    dt = float(np.median(np.diff(t))) if len(t) > 1 else 1.0
    out = {}
    for side, k in FORELEGS.items():
        z = tips[:, k, 2]
        ref = float(np.median(z[pre]))
        out[side] = z > ref + p.raise_cm
    raw = out["left"] | out["right"]
    smooth = np.zeros_like(raw)
    for a, b in bouts(raw, dt, p):
        smooth[a:b] = True
    out["any"] = smooth
    out["dt"] = np.array(dt)
    return out


def contact_events(contact: np.ndarray, dt: float, p: FeatureParams = FeatureParams()) -> list[tuple[int, int]]:
    """Touches of a boolean contact series: contacts separated by less than
    ``contact_merge_s`` (chatter, or two tarsal segments touching in one sweep) are one event."""
    return bouts(contact, dt, FeatureParams(merge_gap_s=p.contact_merge_s, min_bout_s=0.0))


def _dominant_frequency(x: np.ndarray, dt: float, fmin=2.0, fmax=20.0) -> float:
    x = np.asarray(x, float) - np.mean(x)
    n = len(x)
    if n < 8 or not np.any(x):
        return NAN
    spec = np.abs(np.fft.rfft(x * np.hanning(n), n=max(n, 4096))) ** 2
    f = np.fft.rfftfreq(max(n, 4096), dt)
    band = (f >= fmin) & (f <= fmax)
    if not band.any() or spec[band].max() <= 0:
        return NAN
    return float(f[band][np.argmax(spec[band])])


def extract_features(traj: Mapping[str, np.ndarray], task_info: Mapping[str, Any],
                     params: FeatureParams | None = None) -> dict[str, float]:
    p = params or FeatureParams()
    t = np.asarray(traj["t"], float)
    feats = {k: NAN for k in FEATURE_DOCS}
    if len(t) < 3:
        return feats
    st = grooming_state(traj, task_info, p)
    dt = float(st["dt"])
    g = st["any"]
    side = str(task_info.get("stimulus_side", "none"))
    onset = float(task_info.get("stimulus_onset_s", np.nan))
    dur = float(task_info.get("stimulus_duration_s", np.nan))
    stim_window = (t >= onset) & (t < onset + dur) if side != "none" and np.isfinite(onset) else np.zeros_like(g)
    if stim_window.any():
        feats["groom_fraction"] = float(g[stim_window].mean())
        after = np.nonzero(g & (t >= onset))[0]
        feats["groom_latency"] = float(t[after[0]] - onset) if len(after) else NAN
    pre = t < onset if np.isfinite(onset) else np.ones_like(g)
    if pre.sum() >= 5:
        feats["groom_fraction_rest"] = float(g[pre].mean())
    bs = bouts(g, dt, p)
    feats["n_bouts"] = float(len(bs))
    if bs:
        feats["bout_duration"] = float(np.mean([(b - a) * dt for a, b in bs]))
    # sweep frequency: the foreleg that grooms most
    raised = {s: st[s] & g for s in FORELEGS}
    s_main = max(FORELEGS, key=lambda s: raised[s].sum())
    m = raised[s_main]
    if m.sum() * dt >= p.min_sweep_s:
        z = np.asarray(traj["leg_tips"], float)[:, FORELEGS[s_main], :]
        # longest grooming run of that leg gives a contiguous series
        a, b = max(_runs(m), key=lambda r: r[1] - r[0])
        if (b - a) * dt >= p.min_sweep_s:
            seg = z[a:b]
            # the sweep is mostly along the leg's main movement axis: first principal component
            seg = seg - seg.mean(0)
            _, _, vt = np.linalg.svd(seg, full_matrices=False)
            feats["sweep_frequency"] = _dominant_frequency(seg @ vt[0], dt)
        if "antenna_contact" in traj:
            c = np.asarray(traj["antenna_contact"], float)[:, FORELEGS[s_main]] > p.contact_threshold_un
            feats["contact_frequency"] = float(len(contact_events(c & m, dt, p)) / (m.sum() * dt))
    feats.update(_brain_output_features(traj, st, t, dt, g, side, onset, dur, p))
    g_time = g.sum()
    if g_time:
        both = st["left"] & st["right"] & g
        feats["bilateral_fraction"] = float(both.sum() / g_time)
        if side in ("left", "right"):
            other = "right" if side == "left" else "left"
            only = st[side] & ~st[other] & g
            feats["ipsilateral_fraction"] = float(only.sum() / g_time)
    return {k: float(v) for k, v in feats.items()}


def _brain_output_features(traj, st, t, dt, g, side, onset, dur, p: FeatureParams) -> dict[str, float]:
    """Latency to the first sweep, bout start/stop, side choice, which leg touches where."""
    out: dict[str, float] = {}
    if side == "none" or not np.isfinite(onset):
        return out
    after = t >= onset
    lac = np.asarray(traj["leg_antenna_contact"], float) if "leg_antenna_contact" in traj else None
    if lac is not None and lac.shape[1:] != (2, 2):
        lac = None
    if lac is not None:
        touch = (lac > p.contact_threshold_un).any(axis=(1, 2))
    elif "antenna_contact" in traj:
        touch = (np.asarray(traj["antenna_contact"], float) > p.contact_threshold_un).any(axis=1)
    else:
        touch = None
    if touch is not None:
        ev = [a for a, _ in contact_events(touch & after, dt, p)]
        out["first_sweep_latency"] = float(t[ev[0]] - onset) if ev else NAN
    bs = [(a, b) for a, b in bouts(g, dt, p) if t[min(b, len(t)) - 1] >= onset]
    if bs:
        a, b = bs[0]
        out["first_bout_start"] = float(max(t[a], onset) - onset)
        out["first_bout_duration"] = float((b - max(a, int(np.searchsorted(t, onset)))) * dt)
        if np.isfinite(dur):
            off = onset + dur
            overl = [(a2, b2) for a2, b2 in bs if t[a2] < off]
            if overl:
                out["bout_stop_after_offset"] = float(t[overl[-1][1] - 1] + dt - off)
        if side in ("left", "right"):
            other = "right" if side == "left" else "left"
            seg = slice(max(a, int(np.searchsorted(t, onset))), b)
            first = {s_: np.flatnonzero(st[s_][seg]) for s_ in (side, other)}
            fi = {s_: (v[0] if len(v) else np.inf) for s_, v in first.items()}
            if np.isfinite(fi[side]) or np.isfinite(fi[other]):
                out["side_choice"] = 1.0 if fi[side] < fi[other] else 0.0 if fi[other] < fi[side] else 0.5
    if lac is not None and side in ("left", "right"):
        k = FORELEGS[side]
        w = lac[after] > p.contact_threshold_un                   # (T', leg, antenna)
        on_stim = w[:, :, k]
        if on_stim.any():
            out["ipsilateral_contact_fraction"] = float(on_stim[:, k].sum() / on_stim.sum())
        if w.any():
            out["stimulated_antenna_contact_fraction"] = float(on_stim.sum() / w.sum())
    return out
