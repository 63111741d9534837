"""Scorecard figures of the zebrafish tasks (the TaskSpec ``plots`` hook).

``optomotor_figures(task, runs, out_dir) -> [Path]``: for each run (brain) —

* ``trajectories_*.png``: head tracks in the fish's starting frame, coloured by stimulus phase
  (grey rest, blue motion), one panel per brain;
* ``tail_*.png``: tail-tip angle of the first episode of each run with detected bouts shaded;
* ``omr_*.png``: turns with vs against the motion (pooled fraction with its bootstrap CI) during
  motion and rest, and the fraction over time since motion onset.

Reads the episode npz files next to each episode record (``ep["_path"]``); imports nothing
above ``tasks``.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from .features import TIME_BINS_S, pooled_fraction, detect_bouts


def _plt():
    import matplotlib
    matplotlib.use("Agg", force=True)
    import matplotlib.pyplot as plt
    return plt


def _slug(s: str) -> str:
    return "".join(c if c.isalnum() else "_" for c in s)


def _arrays(ep: dict) -> dict | None:
    p = ep.get("_path")
    if not p:
        return None
    npz = Path(p).with_suffix(".npz")
    if not npz.exists():
        return None
    with np.load(npz, allow_pickle=False) as z:
        return {k: z[k] for k in z.files}


def _episodes(run, limit: int | None = None):
    out = []
    for ep in run.episodes:
        if ep.get("status") != "ok":
            continue
        a = _arrays(ep)
        if a is not None and "head_xy" in a and len(a.get("t", [])):
            out.append((ep, a))
        if limit and len(out) >= limit:
            break
    return out


def plot_trajectories(task: dict, runs: list, out: Path) -> Path:
    plt = _plt()
    n = len(runs)
    fig, axes = plt.subplots(1, n, figsize=(4.2 * n, 4.2), squeeze=False)
    for ax, r in zip(axes[0], runs):
        for ep, a in _episodes(r):
            xy, h0 = a["head_xy"] - a["head_xy"][0], float(a["heading"][0])
            R = np.array([[np.cos(-h0), -np.sin(-h0)], [np.sin(-h0), np.cos(-h0)]])
            xy = xy @ R.T  # start at the origin heading +x
            m = a.get("motion_on", np.zeros(len(xy))) > 0.5
            ax.plot(*xy.T, color="0.7", lw=0.6)
            pts = np.where(m[:, None], xy, np.nan)
            ax.plot(*pts.T, color="tab:blue", lw=1.0)
            ax.plot(*xy[-1], "o", ms=3, color="k")
        ax.set_title(f"{r.label}")
        ax.set_aspect("equal")
        ax.set_xlabel("x (mm, start frame)")
        ax.set_ylabel("y (mm)")
    axes[0][0].plot([], [], color="0.7", label="rest")
    axes[0][0].plot([], [], color="tab:blue", label="motion")
    axes[0][0].legend(fontsize=7, loc="lower left")
    fig.suptitle(f"{task['task']}: head trajectories (rotated to the start heading)")
    path = out / f"trajectories_{_slug(task['task'])}.png"
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path


def plot_tail(task: dict, runs: list, out: Path) -> Path:
    plt = _plt()
    n = len(runs)
    fig, axes = plt.subplots(n, 1, figsize=(10, 2.2 * n), squeeze=False)
    for ax, r in zip(axes[:, 0], runs):
        eps = _episodes(r, limit=1)
        if not eps:
            ax.set_title(f"{r.label}: no episode")
            continue
        ep, a = eps[0]
        t = a["t"]
        theta = np.degrees(a["tail_angles"].reshape(len(t), -1).sum(axis=1))
        ax.plot(t, theta, lw=0.5, color="k")
        for b in detect_bouts(a):
            ax.axvspan(b["onset_s"], b["offset_s"], color="tab:orange", alpha=0.3, lw=0)
        m = a.get("motion_on", np.zeros(len(t))) > 0.5
        if m.any():
            ax.fill_between(t, theta.min(), theta.max(), where=m, color="tab:blue", alpha=0.08, lw=0)
        ax.set_ylabel("tail-tip angle (deg)")
        ax.set_title(f"{r.label}, seed {ep.get('seed')}: bouts (orange), motion (blue)", fontsize=9)
    axes[-1, 0].set_xlabel("t (s)")
    fig.tight_layout()
    path = out / f"tail_{_slug(task['task'])}.png"
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path


def plot_omr(task: dict, runs: list, out: Path) -> Path:
    plt = _plt()
    fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(10, 3.8))
    labels = [r.label for r in runs]
    x = np.arange(len(runs))
    for j, (kw, ka, name, col) in enumerate([
            ("omr_turns_with", "omr_turns_against", "motion: turns with motion", "tab:blue"),
            ("rest_turns_toward_side", "rest_turns_away_from_side", "rest: toward side (chance)", "0.6")]):
        vals = [pooled_fraction(r.ok_features, kw, ka) for r in runs]
        v = np.array([d["value"] for d in vals], float)
        lo = np.array([d["ci_low"] for d in vals], float)
        hi = np.array([d["ci_high"] for d in vals], float)
        ax1.bar(x + (j - 0.5) * 0.38, v, 0.36, color=col, label=name,
                yerr=[np.nan_to_num(v - lo), np.nan_to_num(hi - v)], capsize=3)
    ax1.axhline(0.5, color="k", lw=0.8, ls="--")
    ax1.set_xticks(x, labels, rotation=20, fontsize=8)
    ax1.set_ylim(0, 1)
    ax1.set_ylabel("fraction of turns (95 % CI)")
    ax1.legend(fontsize=7)
    centres = [0.5 * (lo + hi) for lo, hi in TIME_BINS_S]
    for r in runs:
        ys = []
        for lo, hi in TIME_BINS_S:
            key = f"omr_correct_fraction_{lo:g}_{hi:g}s"
            ys.append(pooled_fraction(r.ok_features, f"{key}_with", f"{key}_against")["value"])
        ax2.plot(centres, ys, "o-", label=r.label)
    ax2.axhline(0.5, color="k", lw=0.8, ls="--")
    ax2.set_ylim(0, 1)
    ax2.set_xlabel("time since motion onset (s, bin centre)")
    ax2.set_ylabel("fraction of turns with motion")
    ax2.legend(fontsize=7)
    fig.suptitle(f"{task['task']}: turn direction vs grating direction")
    fig.tight_layout()
    path = out / f"omr_{_slug(task['task'])}.png"
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path


def optomotor_figures(task: dict, runs: list, out_dir: Path) -> list[Path]:
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    paths = []
    for fn in (plot_trajectories, plot_tail, plot_omr):
        paths.append(fn(task, runs, out))
    return paths
