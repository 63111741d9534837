"""Figures of the atlas scorecard: response matrices side by side, model vs atlas scatter."""

from __future__ import annotations

from pathlib import Path

import numpy as np

_TYPE_ORDER = {"sensory": 0, "interneuron": 1, "motor": 2, "pharyngeal": 3}


def class_order(names, connectome) -> np.ndarray:
    """Indices ordering ``names`` by cell type (sensory, inter, motor, pharyngeal), class, name."""
    nt = connectome.neurons
    def key(i):
        n = names[i]
        row = nt.loc[n] if n in nt.index else None
        ctype = str(row.get("cell_type", "")) if row is not None else ""
        cls = str(row.get("cell_class", n)) if row is not None else n
        return (_TYPE_ORDER.get(ctype, 9), cls, n)
    return np.array(sorted(range(len(names)), key=key))


def _scaled(m: np.ndarray) -> tuple[np.ndarray, float]:
    finite = np.abs(m[np.isfinite(m)])
    lim = float(np.percentile(finite, 99)) if finite.size and finite.max() > 0 else 1.0
    return m, lim or 1.0


def plot_atlas(predictions: dict, strains: dict, names, stimulated, connectome, brain: str,
               out_dir: Path) -> list[Path]:
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    names = list(names)
    order = class_order(names, connectome)
    stim = set(stimulated)
    cols = np.array([i for i in order if names[i] in stim])
    rows = order
    panels = [(f"atlas, {s}", a.dff) for s, a in strains.items()]
    panels += [(k, v) for k, v in predictions.items() if k != "null"]
    fig, axes = plt.subplots(1, len(panels), figsize=(4.2 * len(panels), 6.2), squeeze=False)
    for ax, (title, m) in zip(axes[0], panels):
        sub = np.array(m, float)[np.ix_(rows, cols)]
        for jj, j in enumerate(cols):  # hide autoresponses
            sub[np.where(rows == j)[0], jj] = np.nan
        sub, lim = _scaled(sub)
        im = ax.imshow(sub, aspect="auto", cmap="coolwarm", vmin=-lim, vmax=lim, interpolation="nearest")
        ax.set_title(f"{title}\n(±{lim:.3g}, 99th pct)", fontsize=9)
        ax.set_xlabel(f"stimulated ({len(cols)}, by type/class)", fontsize=8)
        ax.set_ylabel(f"responding ({len(rows)}, by type/class)", fontsize=8)
        ax.set_xticks([]); ax.set_yticks([])
        fig.colorbar(im, ax=ax, fraction=0.04)
    fig.suptitle(f"ΔF/F responses (atlas, brains) and wiring-only predictions [responder, stimulated], "
                 f"brain `{brain}`; white: not measured / autoresponse", fontsize=10)
    fig.tight_layout()
    p1 = out_dir / "atlas_matrices.png"
    fig.savefig(p1, dpi=110)
    plt.close(fig)

    fig, axes = plt.subplots(1, len(strains), figsize=(5 * len(strains), 4.4), squeeze=False)
    model = predictions.get(brain)
    for ax, (s, a) in zip(axes[0], strains.items()):
        if model is None:
            ax.text(0.5, 0.5, f"`{brain}`: not applicable", ha="center", transform=ax.transAxes)
            continue
        pairs = a.measured & np.isfinite(model)
        sig = pairs & a.significant
        ax.scatter(a.dff[pairs & ~sig], model[pairs & ~sig], s=3, c="0.7", label="q ≥ 0.05", rasterized=True)
        ax.scatter(a.dff[sig], model[sig], s=6, c="C3", label="q < 0.05")
        ax.axhline(0, c="k", lw=0.5); ax.axvline(0, c="k", lw=0.5)
        lo, hi = np.nanpercentile(a.dff[pairs], [0.5, 99.5]) if pairs.any() else (-1, 1)
        ax.set_xlim(lo, hi)
        ax.set_xlabel(f"atlas mean ΔF/F ({s})")
        ax.set_ylabel(f"model ΔF/F (`{brain}`)")
        ax.legend(fontsize=7, loc="upper left")
    fig.tight_layout()
    p2 = out_dir / "atlas_scatter.png"
    fig.savefig(p2, dpi=110)
    plt.close(fig)
    return [p1, p2]
