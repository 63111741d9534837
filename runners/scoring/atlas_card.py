"""The scorecard of ``cgym atlas`` (the protocol run is :mod:`runners.execution.atlas`): the
atlas card, its markdown, the verdicts, and the atlas folder as a section of a behavioural
scorecard."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import datetime, timezone
from pathlib import Path

import numpy as np

from ..io import recording as rec_io
from . import atlas_metrics as am


# ----------------------------------------------------------------------------- scorecard

# The range no neuron may leave during the protocol (mV, absolute): it covers the potentials
# recorded in C. elegans neurons (rest around −30 to −70 mV; AWA's calcium spikes and RMD's
# plateaus peak below about +30 mV: Goodman et al. 1998, doi:10.1016/S0896-6273(00)81014-4;
# Liu et al. 2018, doi:10.1016/j.cell.2018.08.018).
PHYSIOLOGICAL_RANGE_MV = (-90.0, 40.0)
WIRING_BASELINES = ("direct anatomy", "signed 1/hops", "1/hops", "all excitatory")
BASELINE_TEXT = {
    "direct anatomy": "signed direct synapse counts (Cook 2019; chemical signed by transmitter, "
                      "unknown excitatory, gap junctions +)",
    "signed 1/hops": "1 / shortest path length from the stimulated to the responding neuron, "
                     "signed by the product of edge signs along the shortest paths",
    "1/hops": "1 / shortest path length, unsigned",
    "all excitatory": "+1 for every pair (the sign agreement of an all-excitatory guess)",
    "trial count": "number of atlas trials of the pair (not wiring: the experiment's own design)",
    "null": "no response anywhere",
}


@dataclass
class AtlasCard:
    brain: str
    columns: list[dict]                       # {name, kind, status, reason, scores{strain: {...}}}
    strains: dict                             # strain -> {label, n_pairs, n_sig, source}
    config: dict
    protocol: dict                            # brain name -> timing/residual/potential range
    verdicts: list[str]
    headline: dict = field(default_factory=dict)   # strain -> gain over best wiring baseline
    figures: list[str] = field(default_factory=list)
    created: str = field(default_factory=lambda: datetime.now(timezone.utc).isoformat(timespec="seconds"))

    def table_markdown(self) -> str:
        head = "| score · strain | " + " | ".join(c["name"] for c in self.columns) + " |"
        lines = [head, "|" + "---|" * (len(self.columns) + 1)]
        for strain, meta in self.strains.items():
            for m in am.METRICS:
                row = [f"{am.METRIC_LABELS[m]} · {meta['label']}"]
                for c in self.columns:
                    if c["status"] != "ok":
                        row.append("n/a")
                        continue
                    val = c["scores"][strain].get(m)
                    ok = val is not None and np.isfinite(val)   # NaN reads back as None
                    row.append(f"{val:.3f}" if ok else "—")
                lines.append("| " + " | ".join(row) + " |")
        return "\n".join(lines)

    def headline_markdown(self) -> str:
        if not self.headline:
            return ""
        lines = ["| strain | score | model | best wiring-only baseline | gain | ceiling | "
                 "gain as share of (ceiling − baseline) |", "|---|---|---|---|---|---|---|"]
        for s, h in self.headline.items():
            for m, d in h["metrics"].items():
                share = d.get("share_of_headroom")
                lines.append(f"| {self.strains[s]['label']} | {am.METRIC_LABELS[m]} | "
                             f"{_f3(d['model'])} | {d['baseline']} {_f3(d['baseline_value'])} | "
                             f"{_signed(d['gain'])} | {_f3(d['ceiling'])} | "
                             f"{'—' if share is None else f'{share:.0%}'} |")
        return "\n".join(lines)

    def to_markdown(self) -> str:
        out = [f"# Signal propagation atlas scorecard: brain `{self.brain}`", "",
               f"Reference: {am_citation()} — read from the installed `wormneuroatlas` package "
               "(GPL-3).", "",
               "Scored on the pairs with at least two trials among the stimulated neurons "
               "(the pairs the ceiling can be computed on; autoresponses excluded). Ceiling of "
               "the correlation over all pairs: Spearman–Brown corrected split-half. "
               "Significance labels never come from the trials they label: q from one half "
               "labels pairs whose values come from the other half, both ways "
               "(see `runners/scoring/atlas_metrics.py`).", ""]
        if self.headline:
            out += ["## Headline: the model's gain over the best wiring-only baseline", "",
                    self.headline_markdown(), ""]
        out += ["## All scores", "", self.table_markdown(), ""]
        for s, meta in self.strains.items():
            out.append(f"- {meta['label']}: {meta['n_pairs']} scored pairs (≥ 2 trials) of "
                       f"{meta['n_measured']} measured; median {meta['n_sig']} held-out "
                       f"significant pairs per half; {meta['n_stimulated']} stimulated neurons.")
        for c in self.columns:
            if c["status"] != "ok":
                out.append(f"- `{c['name']}`: not applicable ({c['reason']}).")
            elif c["name"] in BASELINE_TEXT:
                out.append(f"- baseline `{c['name']}`: {BASELINE_TEXT[c['name']]}.")
        lo, hi = PHYSIOLOGICAL_RANGE_MV
        for name, p in self.protocol.items():
            vmin, vmax = p.get("v_min_mV", float("nan")), p.get("v_max_mV", float("nan"))
            inside = lo <= vmin and vmax <= hi
            out.append(f"- protocol `{name}`: {p['n_stimulated']} stimulations, "
                       f"{p['simulated_s']:.0f} s simulated in {p['wall_s']:.1f} s wall; peak "
                       f"|Δv| {p['peak_mV']:.1f} mV; membrane potentials {vmin:.1f} to "
                       f"{vmax:.1f} mV ({'inside' if inside else 'OUTSIDE'} the stated range "
                       f"{lo:.0f} to {hi:.0f} mV); largest |Δv| left at an epoch's end "
                       f"{p['residual_mV']:.3f} mV.")
        out += ["", *[f"- {v}" for v in self.verdicts]]
        if self.figures:
            out += ["", *[f"![{Path(f).stem}](figures/{Path(f).name})" for f in self.figures]]
        return "\n".join(out) + "\n"

    def to_dict(self) -> dict:
        return rec_io.to_jsonable(asdict(self))


def _f3(v) -> str:
    return "—" if v is None or not np.isfinite(v) else f"{v:.3f}"


def _signed(v) -> str:
    return "—" if v is None or not np.isfinite(v) else f"{v:+.3f}"


def atlas_section(path: str | Path) -> dict:
    """An atlas scorecard folder (``cgym atlas ... --out DIR``) as a section of a behavioural
    scorecard: ``{"title", "markdown", "data", "brain"}``."""
    path = Path(path)
    src = path / "atlas.json" if path.is_dir() else path
    if not src.exists():
        raise FileNotFoundError(f"{path}: no atlas.json (make one with `cgym atlas celegans "
                                f"--brain NAME --out {path}`)")
    data = rec_io.read_json(src)
    card = AtlasCard(**{k: data[k] for k in AtlasCard.__dataclass_fields__ if k in data})
    body = card.to_markdown().split("\n", 1)[1].strip()   # drop the page title
    body = body.replace("](figures/", f"]({(src.parent / 'figures').as_posix()}/")
    return {"title": f"Neural benchmark: signal propagation atlas, brain `{card.brain}`",
            "markdown": body, "data": data, "brain": card.brain}


def am_citation() -> str:
    from organisms.c_elegans.atlas_data import CITATION
    return CITATION


def headline(columns, brain: str) -> dict:
    """Per strain and metric: the brain's score, the best wiring-only baseline, the gain, the
    ceiling and the gain as a share of the headroom (ceiling − best baseline)."""
    by = {c["name"]: c for c in columns if c["status"] == "ok"}
    if brain not in by:
        return {}
    ceiling = next((c for c in columns if c["kind"] == "ceiling"), None)
    out = {}
    for s, sc in by[brain]["scores"].items():
        metrics = {}
        for m in am.METRICS:
            base = [(by[b]["scores"][s].get(m), b) for b in WIRING_BASELINES if b in by]
            base = [(v, b) for v, b in base if v is not None and np.isfinite(v)]
            model = sc.get(m)
            if not base or model is None or not np.isfinite(model):
                continue
            bv, bn = max(base)
            ceil = ceiling["scores"][s].get(m) if ceiling else None
            head = (ceil - bv) if ceil is not None and np.isfinite(ceil) else None
            metrics[m] = {"model": model, "baseline": bn, "baseline_value": bv, "gain": model - bv,
                          "ceiling": ceil,
                          "share_of_headroom": (model - bv) / head if head and head > 0 else None}
        out[s] = {"metrics": metrics}
    return out


def atlas_verdicts(columns, strains, head: dict | None = None, brain: str = "") -> list[str]:
    """Verdict lines: the headline gain per strain, and wild type vs unc-31 per brain."""
    head = head or {}
    out = []
    by = {c["name"]: c for c in columns if c["status"] == "ok"}
    for s, h in head.items():
        r = h["metrics"].get("r_all")
        if r:
            out.append(f"`{brain}`, {strains[s]['label']}: r over all scored pairs {r['model']:.3f} "
                       f"vs best wiring-only baseline ({r['baseline']}) {r['baseline_value']:.3f}: "
                       f"gain {r['gain']:+.3f}; ceiling {_f3(r['ceiling'])}.")
        beaten = [m for m, d in h["metrics"].items() if d["gain"] > 0]
        out.append(f"`{brain}` beats every wiring-only baseline on {len(beaten)} of "
                   f"{len(am.METRICS)} scores for {strains[s]['label']} ({', '.join(beaten) or 'none'}).")
    for name, c in by.items():
        if c["kind"] != "brain" or "wt" not in c["scores"] or "unc31" not in c["scores"]:
            continue
        wt, un = c["scores"]["wt"], c["scores"]["unc31"]
        better = [m for m in am.METRICS if np.isfinite(un[m]) and np.isfinite(wt[m]) and un[m] > wt[m]]
        out.append(f"`{name}` matches unc-31 better than wild type on {len(better)} of "
                   f"{len(am.METRICS)} scores ({', '.join(better) or 'none'}).")
    return out


def score_predictions(predictions: dict, strains: dict, stim_mask: np.ndarray, n_rep: int,
                      seed: int) -> dict:
    """strain -> split_half_scores over the stimulated neurons' pairs with >= 2 trials."""
    out = {}
    for s, a in strains.items():
        preds = {k: np.where(stim_mask, v, np.nan) for k, v in predictions.items()}
        pairs = a.measured & np.broadcast_to(stim_mask, a.measured.shape)
        out[s] = am.split_half_scores(a.trials, a.dff, preds, n_rep=n_rep, seed=seed, pairs=pairs)
    return out
