"""Scorecard figures (matplotlib, Agg backend; nothing is shown on screen).

* ``tracks_<task>.png`` — every episode's nose track per run on the gradient, coloured by the
  concentration the animal sensed, with the peak, target/control zones and plate edge;
* ``metrics_<task>.png`` — per metric, the model's per-episode values of every run next to the
  reference distribution;
* ``distance_<task>.png`` — distance to the peak over time (episodes thin, mean thick) per run;
* ``kymograph_<task>.png`` — body curvature vs body coordinate vs time for the first episode
  of each run (the README picture).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from bodies.worm.centerline import curvature

from ..io import recording as rec_io


def _plt():
    import matplotlib
    matplotlib.use("Agg", force=True)
    import matplotlib.pyplot as plt
    return plt


def _zone(z: Any):
    """(center, radius) from {"center": [x, y], "radius": r} or [x, y, r]; None otherwise."""
    if isinstance(z, dict) and "center" in z:
        return np.asarray(z["center"], float)[:2], float(z.get("radius", 0) or 0)
    if isinstance(z, (list, tuple)) and len(z) == 3:
        return np.asarray(z[:2], float), float(z[2])
    return None


def _episode_arrays(run, ep: dict) -> dict | None:
    npz = Path(ep["_path"]).with_suffix(".npz")
    if not npz.exists():
        return None
    return rec_io.load_npz(npz)


def curvature_kymograph(centerline: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Curvature (T, K-2) in 1/mm at interior points and their body coordinate (0 = nose)."""
    return curvature(centerline)


def arena_info(ti: dict) -> dict:
    """peak / target_zone / control_zone / start / plate_radius from the contract's flat
    task_info, or from a nested ``arena`` block (peak_position, zones.target, ...)."""
    out = {k: ti.get(k) for k in ("peak", "target_zone", "control_zone", "start",
                                  "plate_radius")}
    a = ti.get("arena") if isinstance(ti.get("arena"), dict) else {}
    zones = a.get("zones") or {}
    out["peak"] = out["peak"] if out["peak"] is not None else a.get("peak_position")
    out["target_zone"] = out["target_zone"] or zones.get("target")
    out["control_zone"] = out["control_zone"] or zones.get("control")
    out["plate_radius"] = out["plate_radius"] or a.get("plate_radius")
    st = out["start"] if out["start"] is not None else a.get("start_position")
    if isinstance(st, dict):
        st = st.get("position")
    out["start"] = st
    return out


def _draw_arena(ax, task_info: dict) -> None:
    import matplotlib.patches as mp
    task_info = arena_info(task_info)
    r = task_info.get("plate_radius")
    if r:
        ax.add_patch(mp.Circle((0, 0), float(r), fill=False, color="0.5", lw=1))
    for key, color in (("target_zone", "tab:green"), ("control_zone", "tab:red")):
        z = _zone(task_info.get(key))
        if z:
            ax.add_patch(mp.Circle(tuple(z[0]), z[1], fill=False, ls="--", color=color, lw=1.2,
                                   label=key.replace("_", " ")))
    if task_info.get("peak") is not None:
        p = np.asarray(task_info["peak"], float)
        ax.plot(p[0], p[1], marker="*", ms=12, color="gold", mec="k", label="peak", ls="")
    if task_info.get("start") is not None:
        s = np.asarray(task_info["start"], float)
        ax.plot(s[0], s[1], marker="o", ms=5, color="k", label="start", ls="")


def plot_tracks(task: dict, runs: list, out: Path) -> Path:
    plt = _plt()
    from matplotlib.collections import LineCollection
    import textwrap
    n = len(runs)
    cols = min(n, 4)                   # many brains: rows of four, so titles have room
    rows = -(-n // cols)
    fig, grid = plt.subplots(rows, cols, figsize=(4.2 * cols, 4.4 * rows), squeeze=False)
    panels = grid.ravel()
    for ax in panels[n:]:
        ax.set_visible(False)
    cmax = 0.0
    data = []
    for r in runs:
        eps = []
        for ep in r.episodes:
            a = _episode_arrays(r, ep)
            if a is not None and a.get("t") is not None and len(a["t"]):
                eps.append((ep, a))
                c = a.get("concentration")
                if c is not None and np.isfinite(c).any():
                    cmax = max(cmax, float(np.nanmax(c)))
        data.append(eps)
    lc = None
    for k, (ax, r, eps) in enumerate(zip(panels, runs, data)):
        if eps:
            _draw_arena(ax, eps[0][0].get("task_info") or {})
        for ep, a in eps:
            xy = a["nose"] if "nose" in a else a["centerline"][:, 0]
            c = a.get("concentration", np.zeros(len(xy)))
            seg = np.stack([xy[:-1], xy[1:]], axis=1)
            lc = LineCollection(seg, cmap="viridis", linewidths=1.2)
            lc.set_array(np.nan_to_num(c[:-1]))
            lc.set_clim(0, cmax or 1)
            ax.add_collection(lc)
            ax.plot(*xy[-1], "x", ms=4, mew=1.2, color="k" if ep.get("status") == "ok" else "r",
                    label="end (red: crashed)" if k == 0 and ep is eps[0][0] else None)
        ax.set_title("\n".join(textwrap.wrap(f"{r.label} ({len(eps)} ep.)", 30)), fontsize=10)
        ax.set_aspect("equal")
        ax.autoscale_view()
        ax.set_xlabel("x (mm)")
        if k % cols == 0:
            ax.set_ylabel("y (mm)")
    if lc is not None:
        fig.colorbar(lc, ax=panels[:n].tolist(), shrink=0.8, label="concentration at nose")
    panels[0].legend(loc="lower left", fontsize=7)
    fig.suptitle(f"{task['task']}: tracks on the gradient")
    path = out / f"tracks_{_slug(task['task'])}.png"
    fig.savefig(path, dpi=110, bbox_inches="tight")   # the colorbar layout clipped the y label
    plt.close(fig)
    return path


def plot_metrics(task: dict, lib: Any, out: Path) -> Path | None:
    from .reference_entries import entry_field as _field, reference_drawer, reference_entries as _entries
    plt = _plt()
    metrics = [m for m in task["metrics"] if m["kind"] != "population"]
    pops = [m for m in task["metrics"] if m["kind"] == "population"]
    panels = metrics + pops
    if not panels:
        return None
    entries = {(_field(e, "id")): e for e in _entries(lib)} if lib is not None else {}
    cols = min(4, len(panels))
    rows = int(np.ceil(len(panels) / cols))
    labels = [r["label"] for r in task["runs"]]
    longest = max((len(lab) for lab in labels), default=10)
    fig, axes = plt.subplots(rows, cols, squeeze=False,     # room below each panel for its labels
                             figsize=(3.6 * cols, (3.0 + 0.055 * min(longest, 40)) * rows))
    rng = np.random.default_rng(0)

    def ticks(ax, x, names):
        ax.set_xticks(x, names, rotation=60, ha="right", rotation_mode="anchor", fontsize=7)

    for ax, m in zip(axes.ravel(), panels):
        if m["kind"] == "population":
            vals = [(m["runs"][lab].get("model") or {}) for lab in labels]
            x = np.arange(len(labels))
            v = np.array([np.nan if d.get("value") is None else d["value"] for d in vals], float)
            lo = np.array([np.nan if d.get("ci_low") is None else d["ci_low"] for d in vals], float)
            hi = np.array([np.nan if d.get("ci_high") is None else d["ci_high"] for d in vals], float)
            ax.errorbar(x, v, yerr=[np.nan_to_num(v - lo), np.nan_to_num(hi - v)], fmt="o")
            if not np.isfinite(v).any():    # say why the panel is empty (e.g. no events to count)
                ax.text(0.5, 0.78, "no value for any brain\n(see the scorecard's reason)", ha="center",
                        va="center", transform=ax.transAxes, fontsize=8, color="0.3")
            ref = m["reference"]
            if ref.get("threshold") is not None:
                ax.axhline(ref["threshold"], color="k", ls="--", lw=1, label="threshold")
            if ref.get("value") is not None:
                ax.axhline(ref["value"], color="0.4", lw=1, label="reference")
            ticks(ax, x, labels)
        else:
            e = entries.get(m["id"])
            series = []
            if e is not None:
                draw, n_ref = reference_drawer(e)
                ref = np.asarray(_field(e, "samples"), float) if n_ref else draw(2000, rng)
                if ref.ndim == 1:
                    series.append(("reference", ref[np.isfinite(ref)]))
            for lab in labels:
                vals = np.asarray(m["runs"][lab].get("values") or [], float)
                if vals.ndim == 1:
                    series.append((lab, vals))
            for i, (lab, v) in enumerate(series):
                if v.size == 0:
                    continue
                if lab == "reference":
                    parts = ax.violinplot([v], positions=[i], showextrema=False)
                    for b in parts["bodies"]:
                        b.set_facecolor("0.7")
                else:
                    ax.plot(np.full(v.size, i) + rng.uniform(-0.12, 0.12, v.size), v, "o",
                            ms=3, alpha=0.8)
                    ax.plot([i - 0.25, i + 0.25], [np.mean(v)] * 2, "k-", lw=1.5)
            ticks(ax, range(len(series)), [s[0] for s in series])
        ax.set_title(f"{m['id']} ({m['unit']})", fontsize=9)
    for ax in axes.ravel()[len(panels):]:
        ax.axis("off")
    fig.suptitle(f"{task['task']}: model vs reference")
    fig.tight_layout()
    path = out / f"metrics_{_slug(task['task'])}.png"
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path


def _distance_series(run, a: dict, task_info: dict):
    from .task_registry import spec_field          # by task name in the registry, never run.json
    feats = spec_field(run.run, "features")
    if isinstance(feats, str):
        try:
            fn = rec_io.load_callable(feats.partition(":")[0] + ":distance_to_peak_series")
            return fn({"t": a["t"], "centerline": a["centerline"],
                       "concentration": a.get("concentration")}, task_info)
        except Exception:  # noqa: BLE001 - fall back to the nose distance
            pass
    peak = np.asarray(arena_info(task_info).get("peak") or [0, 0], float)
    xy = a["nose"] if "nose" in a else a["centerline"][:, 0]
    return a["t"], np.linalg.norm(xy - peak, axis=1)


def plot_distance(task: dict, runs: list, out: Path) -> Path:
    plt = _plt()
    fig, ax = plt.subplots(figsize=(6.5, 4))
    for i, r in enumerate(runs):
        color = f"C{i}"
        series = []
        for ep in r.episodes:
            a = _episode_arrays(r, ep)
            if a is None or not len(a.get("t", [])):
                continue
            t, d = _distance_series(r, a, ep.get("task_info") or {})
            ax.plot(t, d, color=color, lw=0.5, alpha=0.35)
            series.append((np.asarray(t), np.asarray(d)))
        if series:
            n = min(len(s[0]) for s in series)
            with np.errstate(all="ignore"):
                import warnings
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore", RuntimeWarning)
                    mean = np.nanmean(np.stack([s[1][:n] for s in series]), axis=0)
            ax.plot(series[0][0][:n], mean, color=color, lw=2, label=r.label)
    ax.set_xlabel("time (s)")
    ax.set_ylabel("distance to peak (mm)")
    ax.legend(fontsize=8)
    ax.set_title(f"{task['task']}: distance to the gradient peak")
    fig.tight_layout()
    path = out / f"distance_{_slug(task['task'])}.png"
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path


KYMOGRAPH_WINDOW_S = 15.0  # a legible stretch: at ~1 Hz, longer windows blur into stripes


def plot_kymographs(task: dict, runs: list, out: Path, window_s: float = KYMOGRAPH_WINDOW_S) -> Path | None:
    plt = _plt()
    items = []
    for r in runs:
        for ep in r.episodes:
            a = _episode_arrays(r, ep)
            if a is not None and len(a.get("t", [])) > 1 and a["centerline"].shape[1] >= 3:
                items.append((r, ep, a))
                break
    if not items:
        return None
    height = 2.4 * len(items) + 0.9     # room for the page title above the first panel title
    fig, axes = plt.subplots(len(items), 1, figsize=(8, height), squeeze=False)
    fig.subplots_adjust(hspace=0.55, top=1 - 0.8 / height, bottom=0.6 / height)
    items = [(r, ep, {**a, "t": a["t"][a["t"] <= a["t"][0] + window_s],
                      "centerline": a["centerline"][a["t"] <= a["t"][0] + window_s]})
             for r, ep, a in items]
    kymos = [curvature_kymograph(a["centerline"]) for _, _, a in items]
    vmax = max([np.nanpercentile(np.abs(k), 98) for k, _ in kymos if np.isfinite(k).any()]
               or [1.0]) or 1.0
    im = None
    for ax, (r, ep, a), (k, frac) in zip(axes[:, 0], items, kymos):
        t = a["t"]
        im = ax.pcolormesh(t, frac, np.nan_to_num(k).T, cmap="RdBu_r", vmin=-vmax, vmax=vmax,
                           shading="nearest")
        ax.set_ylabel("body coord.\n(0 = nose)")
        ax.set_title(f"{r.label}, seed {ep.get('seed')}", fontsize=9)
        ax.invert_yaxis()
    axes[-1, 0].set_xlabel("time (s)")
    fig.colorbar(im, ax=axes[:, 0].tolist(), label="curvature (1/mm)")
    fig.suptitle(f"{task['task']}: posture kymographs (first {window_s:g} s of one episode)")
    path = out / f"kymograph_{_slug(task['task'])}.png"
    fig.savefig(path, dpi=110, bbox_inches="tight")
    plt.close(fig)
    return path


def _slug(s: str) -> str:
    return "".join(c if c.isalnum() else "_" for c in s)


def chemotaxis_figures(task: dict, runs: list, out_dir: Path) -> list[Path]:
    """The worm chemotaxis figures: tracks, distance to the peak, curvature kymographs."""
    paths = [plot_tracks(task, runs, out_dir), plot_distance(task, runs, out_dir),
             plot_kymographs(task, runs, out_dir)]
    return [p for p in paths if p is not None]


def scorecard_figures(card, runs_by_task: dict, libs: dict, out_dir: Path) -> list[Path]:
    """Per task: the per-metric figure, then the figures the task's spec names (``plots``)."""
    out_dir = Path(out_dir)
    paths: list[Path] = []
    for t in card.tasks:
        runs = runs_by_task[t["task"]]
        from .task_registry import spec_field      # by task name in the registry, never run.json
        plots_ref = spec_field(runs[0].run, "plots") if runs else None
        makers = [lambda: [plot_metrics(t, libs.get(t["task"]), out_dir)]]
        if plots_ref:
            makers.append(lambda: rec_io.load_callable(plots_ref)(t, runs, out_dir))
        for fn in makers:
            try:
                made = fn() or []
            except Exception as exc:  # noqa: BLE001 - one figure must not cost the others
                card.notes.append(f"figure failed for {t['task']}: {type(exc).__name__}: {exc}")
                continue
            paths += [p for p in made if p is not None]
    return paths
