"""What the command-state signal AVA − AVB carries in closed-loop episodes: slow states or the rhythm?

    python -m organisms.c_elegans.tools.command_state runs/eval/connectome/episodes/ep_5000.npz [...]

The bridge's proprioceptive gates compare AVA with AVB (``bridge.yaml``). For the worm to have
behavioural states, that difference would have to dwell for seconds on one side (real forward runs
last tens of seconds, reversals a few seconds). This prints, per episode file (after the first
2 s), the s.d. of d(t) = mean(AVAL, AVAR) − mean(AVBL, AVBR), its autocorrelation time (first lag
below 1/e), the share of its variance below 0.2 Hz (slow: states), at 0.5–2 Hz (the undulation
band) and above 2 Hz, the spectral peak, and the undulation frequency of the same episode
(``undulation_frequency`` of its JSON features, if present), so the two can be compared.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np


def command_signal(npz: Path, skip_s: float = 2.0) -> tuple[np.ndarray, float]:
    """d(t) = mean AVA − mean AVB (mV, mean removed) after ``skip_s``, and its sample interval (s)."""
    z = np.load(npz, allow_pickle=False)
    names = [str(n) for n in z["neural_names"]]
    t, v = np.asarray(z["neural_t"], float), np.asarray(z["neural_v"], float)
    missing = [n for n in ("AVAL", "AVAR", "AVBL", "AVBR") if n not in names]
    if missing:
        raise ValueError(f"{npz}: no recorded {', '.join(missing)} (a lesioned or non-worm episode?)")
    dt = float(np.median(np.diff(t)))
    col = lambda *ns: v[:, [names.index(n) for n in ns]].mean(axis=1)  # noqa: E731
    d = (col("AVAL", "AVAR") - col("AVBL", "AVBR"))[t > skip_s]
    return d - d.mean(), dt


def spectrum_shares(d: np.ndarray, dt: float) -> dict[str, float]:
    f = np.fft.rfftfreq(len(d), dt)
    p = np.abs(np.fft.rfft(d)) ** 2
    tot = p[1:].sum()
    ac = np.correlate(d, d, "full")[len(d) - 1:]
    ac = ac / ac[0] if ac[0] > 0 else ac
    below = np.flatnonzero(ac < 1 / np.e)
    return {"sd_mV": float(d.std()),
            "autocorr_s": float(below[0] * dt) if len(below) else float("nan"),
            "slow_lt_0.2Hz": float(p[(f > 0) & (f < 0.2)].sum() / tot),
            "band_0.5_2Hz": float(p[(f >= 0.5) & (f < 2)].sum() / tot),
            "fast_gt_2Hz": float(p[f >= 2].sum() / tot),
            "peak_Hz": float(f[1:][np.argmax(p[1:])])}


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("episodes", nargs="+", type=Path, help="episode .npz files (with neural_v)")
    a = ap.parse_args(argv)
    print("| episode | s.d. mV | autocorr s | share < 0.2 Hz | 0.5–2 Hz | > 2 Hz | peak Hz | undulation Hz |")
    print("|---|---|---|---|---|---|---|---|")
    for path in a.episodes:
        try:
            d, dt = command_signal(path)
        except (OSError, KeyError, ValueError) as e:
            print(f"error: {path}: {e}" if str(path) not in str(e) else f"error: {e}", file=sys.stderr)
            return 2
        s = spectrum_shares(d, dt)
        meta = path.with_suffix(".json")
        und = (json.loads(meta.read_text()).get("features") or {}).get("undulation_frequency") if meta.exists() else None
        print(f"| {path.parent.parent.name}/{path.stem} | {s['sd_mV']:.2f} | {s['autocorr_s']:.2f} | {s['slow_lt_0.2Hz']:.2f} "
              f"| {s['band_0.5_2Hz']:.2f} | {s['fast_gt_2Hz']:.2f} | {s['peak_Hz']:.2f} | "
              f"{'—' if und is None else f'{und:.2f}'} |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
