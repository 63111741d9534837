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

@dataclass
class AtlasCard:
    brain: str
    columns: list[dict]                       # {name, kind, status, reason, scores{strain: {...}}}
    strains: dict                             # strain -> {label, n_pairs, n_sig, source}
    config: dict
    protocol: dict                            # brain name -> timing/residual
    verdicts: list[str]
    figures: list[str] = field(default_factory=list)
    created: str = field(default_factory=lambda: datetime.now(timezone.utc).isoformat(timespec="seconds"))

    def table_markdown(self) -> str:
        head = "| metric · strain | " + " | ".join(c["name"] for c in self.columns) + " |"
        lines = [head, "|" + "---|" * (len(self.columns) + 1)]
        for strain, meta in self.strains.items():
            for m in am.METRICS:
                row = [f"{am.METRIC_LABELS[m]} · {meta['label']}"]
                for c in self.columns:
                    if c["status"] != "ok":
                        row.append("n/a")
                        continue
                    val = c["scores"][strain][m]
                    ok = val is not None and np.isfinite(val)   # NaN reads back as None
                    row.append(f"{val:.3f}" if ok else "—")
                lines.append("| " + " | ".join(row) + " |")
        return "\n".join(lines)

    def to_markdown(self) -> str:
        out = [f"# Signal propagation atlas scorecard: brain `{self.brain}`", "",
               f"Reference: {am_citation()} — read from the installed `wormneuroatlas` package "
               "(GPL-3). Scores on the atlas's measured pairs (autoresponses excluded); "
               "ceiling = the atlas's own trials split in halves.", "",
               self.table_markdown(), ""]
        for s, meta in self.strains.items():
            out.append(f"- {meta['label']}: {meta['n_pairs']} measured pairs, {meta['n_sig']} with "
                       f"q < 0.05 ({meta['sig_positive']:.0%} of them excitatory: the sign agreement "
                       f"of an all-excitatory guess), {meta['n_stimulated']} stimulated neurons.")
        for c in self.columns:
            if c["status"] != "ok":
                out.append(f"- `{c['name']}`: not applicable ({c['reason']}).")
        for name, p in self.protocol.items():
            out.append(f"- protocol `{name}`: {p['n_stimulated']} stimulations, {p['simulated_s']:.0f} s "
                       f"simulated in {p['wall_s']:.1f} s wall; largest |Δv| left at an epoch's end "
                       f"{p['residual_mV']:.3f} mV (peak {p['peak_mV']:.1f} mV).")
        out += ["", *[f"- {v}" for v in self.verdicts]]
        if self.figures:
            out += ["", *[f"![{Path(f).stem}](figures/{Path(f).name})" for f in self.figures]]
        return "\n".join(out) + "\n"

    def to_dict(self) -> dict:
        return rec_io.to_jsonable(asdict(self))


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


def atlas_verdicts(columns, strains) -> list[str]:
    out = []
    by = {c["name"]: c for c in columns if c["status"] == "ok"}
    anat = by.get("anatomy-only")
    for name, c in by.items():
        if c["kind"] != "brain":
            continue
        wt, un = c["scores"]["wt"], c["scores"]["unc31"]
        better = [m for m in am.METRICS if np.isfinite(un[m]) and np.isfinite(wt[m]) and un[m] > wt[m]]
        out.append(f"`{name}` matches unc-31 better than wild type on {len(better)} of "
                   f"{len(am.METRICS)} scores ({', '.join(better) or 'none'}); r over all pairs "
                   f"{wt['r_all']:.3f} (wild type) vs {un['r_all']:.3f} (unc-31).")
        if anat is not None:
            for s in strains:
                beats = [m for m in am.METRICS if np.isfinite(c['scores'][s][m])
                         and c["scores"][s][m] > anat["scores"][s][m]]
                out.append(f"`{name}` beats the anatomy-only prediction on {len(beats)} of "
                           f"{len(am.METRICS)} scores for {strains[s]['label']} "
                           f"({', '.join(beats) or 'none'}).")
    return out
