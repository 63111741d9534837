"""Scorecard figures of the grooming task: foreleg-tip traces and a grooming ethogram.

``grooming_figures(task, runs, out_dir)`` is the :class:`tasks.TaskSpec` ``plots`` hook; each
run is a ``runners.scoring.RunData`` (``episodes`` with ``_path`` to the episode npz).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from .features import FeatureParams, grooming_state


def _plt():
    import matplotlib

    matplotlib.use("Agg", force=True)
    import matplotlib.pyplot as plt

    return plt


def _episodes(run):
    for ep in run.episodes:
        npz = Path(ep["_path"]).with_suffix(".npz")
        if npz.exists():
            with np.load(npz) as z:
                yield ep, {k: z[k] for k in z.files}


def _slug(s: str) -> str:
    return "".join(c if c.isalnum() else "_" for c in s)


def _label(run) -> str:
    return getattr(run, "label", "") or getattr(run, "brain", "?")


def plot_leg_tips(task: dict, runs: list, out_dir: Path, max_episodes: int = 3) -> Path | None:
    """Foreleg claw height (thorax frame, mm) over time, stimulus window shaded, per run."""
    plt = _plt()
    n = len(runs)
    if not n:
        return None
    fig, axes = plt.subplots(n, 1, figsize=(8, 2.2 * n), squeeze=False, sharex=True)
    for ax, run in zip(axes[:, 0], runs):
        for k, (ep, a) in enumerate(_episodes(run)):
            if k >= max_episodes or "leg_tips" not in a:
                break
            t, tips = a["t"], a["leg_tips"]
            ax.plot(t, tips[:, 0, 2] * 10, color="C0", lw=0.8, label="left foreleg" if k == 0 else None)
            ax.plot(t, tips[:, 1, 2] * 10, color="C3", lw=0.8, label="right foreleg" if k == 0 else None)
            if "stimulus_on" in a and k == 0:
                on = a["stimulus_on"].max(axis=1) > 0
                ax.fill_between(t, 0, 1, where=on, transform=ax.get_xaxis_transform(), color="0.85", label="stimulus")
        ax.set_ylabel("claw z (mm)")
        ax.set_title(_label(run), fontsize=9)
        ax.legend(fontsize=7, loc="upper right")
    axes[-1, 0].set_xlabel("time (s)")
    fig.suptitle(f"{task['task']}: foreleg tip height (thorax frame)")
    fig.tight_layout()
    path = Path(out_dir) / f"leg_tips_{_slug(task['task'])}.png"
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path


def plot_ethogram(task: dict, runs: list, out_dir: Path) -> Path | None:
    """One row per episode: left/right foreleg grooming, antenna contacts, stimulus."""
    plt = _plt()
    rows = []
    for run in runs:
        for ep, a in _episodes(run):
            if "leg_tips" in a:
                rows.append((f"{_label(run)} #{ep.get('episode', len(rows))}", ep, a))
    if not rows:
        return None
    fig, ax = plt.subplots(figsize=(8, 0.45 * len(rows) + 1.2))
    p = FeatureParams()
    for i, (name, ep, a) in enumerate(rows):
        st = grooming_state(a, ep.get("task_info") or {}, p)
        t = a["t"]
        y = len(rows) - 1 - i
        for mask, color, dy in ((st["left"], "C0", 0.15), (st["right"], "C3", -0.15)):
            ax.fill_between(t, y + dy - 0.12, y + dy + 0.12, where=mask, color=color, step="mid")
        if "stimulus_on" in a:
            on = a["stimulus_on"].max(axis=1) > 0
            ax.fill_between(t, y - 0.4, y - 0.33, where=on, color="0.4", step="mid")
        if "antenna_contact" in a:
            c = a["antenna_contact"].max(axis=1) > p.contact_threshold_un
            ax.plot(t[c], np.full(c.sum(), y + 0.38), "|", color="k", ms=3)
    ax.set_xlim(0, max(float(r[2]["t"][-1]) for r in rows))
    ax.set_yticks(range(len(rows)))
    ax.set_yticklabels([r[0] for r in rows][::-1], fontsize=7)
    ax.set_xlabel("time (s)")
    ax.set_title(f"{task['task']}: grooming ethogram (blue left / red right foreleg, "
                 "grey bar stimulus, ticks antenna contacts)", fontsize=9)
    fig.tight_layout()
    path = Path(out_dir) / f"ethogram_{_slug(task['task'])}.png"
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path


def grooming_figures(task: dict, runs: list, out_dir: Path) -> list[Path]:
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    return [p for p in (plot_leg_tips(task, runs, out_dir), plot_ethogram(task, runs, out_dir)) if p is not None]
