"""Open-loop probe of the C. elegans connectome brains: ``cgym probe celegans --step NaCl:20:40``.

The brain runs without a body: its observation is a NaCl concentration that steps from LOW to
HIGH mM (up-step) and back (down-step), a straight posture (zero curvature), no touch. Noise is
off (``sigma_noise = 0``) unless ``--noise`` is given, so the responses are the network's own.
For every named neuron the probe reports the peak change of membrane potential (mV, signed: the
extreme deviation from the pre-step baseline) in a window after each step, prints the table and
plots the traces of the chemotaxis pathway.

Python use (the dispatcher ``runners/execution/probe.py`` calls ``add_arguments`` and ``run``):

>>> from organisms.c_elegans.probe import step_responses
>>> r = step_responses("connectome", low=20, high=40)          # doctest: +SKIP
>>> r["up"]["AIBL"], r["down"]["AVAL"]                          # doctest: +SKIP
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import numpy as np

from nervous_systems.yaml_file import parse_key_values

PATHWAY = ["ASEL", "ASER", "AIYL", "AIYR", "AIBL", "AIBR", "AIAL", "AIZL", "RIAL", "RIML", "AVAL",
           "AVAR", "AVDL", "AVEL", "AVBL", "PVCL", "RIBL", "RIVL", "SMDDL", "SMDVL", "RMDDL", "RMDVL",
           "SMBDL", "DA01", "VA01", "DB01", "VB01"]


def parse_step(text: str) -> tuple[float, float]:
    parts = str(text).split(":")
    if len(parts) != 3 or parts[0].lower() != "nacl":
        raise ValueError(f"--step {text!r}: expected NaCl:LOW:HIGH in mM, e.g. NaCl:20:40")
    try:
        low, high = float(parts[1]), float(parts[2])
    except ValueError:
        raise ValueError(f"--step {text!r}: LOW and HIGH must be numbers (mM)") from None
    if not (low >= 0 and high > low):
        raise ValueError(f"--step {text!r}: need 0 <= LOW < HIGH")
    return low, high


def step_responses(brain: str = "connectome", low: float = 20.0, high: float = 40.0, *,
                   pre: float = 8.0, hold: float = 8.0, post: float = 8.0, window: float = 4.0,
                   control_dt: float = 0.01, noise: bool = False, seed: int = 0,
                   brain_options: dict | None = None) -> dict:
    """Run the up/down step protocol; returns {"t", "v" (T x N, mV), "names", "up", "down",
    "baseline"} where up/down map each neuron to its signed peak change (mV) within ``window`` s
    after the step. ``pre`` s at LOW come first, so the network settles from its rest state (the self-consistent
    fixed point, ``graded_rest_state``) into the steady state of the tonic and sensory drive."""
    n_joints = 23  # curvature samples of the default worm body (24 segments)
    from nervous_systems.brain import make_brain

    options = dict(brain_options or {})
    if not noise:
        options["model_overrides"] = {**(options.get("model_overrides") or {}), "sigma_noise": 0.0}
    options.setdefault("record_dt", control_dt)
    b = make_brain(brain, "celegans", None, None, control_dt=control_dt, **options)
    b.reset(seed)
    n_pre, n_hold, n_post = (int(round(x / control_dt)) for x in (pre, hold, post))
    conc = np.concatenate([np.full(n_pre, low), np.full(n_hold, high), np.full(n_post, low)])
    prev = conc[0]
    for c in conc:
        obs = {"concentration": np.array([c], np.float32),
               "dcdt": np.array([(c - prev) / control_dt], np.float32),
               "curvature": np.zeros(n_joints, np.float32), "touch": np.zeros(1, np.float32)}
        prev = c
        b.act(obs)
    rec = b.record()
    info = b.info()
    b.close()
    t, v, names = rec["t"], np.asarray(rec["v"], float), [str(x) for x in rec["names"]]
    k_up, k_down = n_pre, n_pre + n_hold
    w = int(round(window / control_dt))

    def peak(k):
        base = v[k - 1]
        seg = v[k:k + w] - base
        idx = np.argmax(np.abs(seg), axis=0)
        return {n: float(seg[idx[j], j]) for j, n in enumerate(names)}, base

    up, base = peak(k_up)
    down, _ = peak(k_down)
    return {"t": t, "v": v, "names": names, "up": up, "down": down,
            "baseline": {n: float(base[j]) for j, n in enumerate(names)}, "t_up": pre, "t_down": pre + hold,
            "low": low, "high": high, "brain": brain, "info": info}


def plot(result: dict, path: Path, neurons=PATHWAY) -> None:
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    names = result["names"]
    neurons = [n for n in neurons if n in names]
    cols = 4
    rows = int(np.ceil(len(neurons) / cols))
    fig, axes = plt.subplots(rows, cols, figsize=(3.2 * cols, 1.7 * rows), sharex=True)
    t, v = result["t"], result["v"]
    for ax, n in zip(axes.ravel(), neurons):
        j = names.index(n)
        ax.plot(t, v[:, j] - v[0, j], lw=1)
        ax.axvspan(result["t_up"], result["t_down"], color="0.9", zorder=-1)
        ax.set_title(f"{n}  up {result['up'][n]:+.1f}  down {result['down'][n]:+.1f} mV", fontsize=7)
        ax.tick_params(labelsize=6)
    for ax in axes.ravel()[len(neurons):]:
        ax.axis("off")
    for ax in axes.ravel()[max(0, len(neurons) - cols):len(neurons)]:
        ax.set_xlabel("time (s)", fontsize=7)
    fig.suptitle(f"brain {result['brain']}: NaCl {result['low']:g} -> {result['high']:g} -> {result['low']:g} mM "
                 "(grey: high); V - V(0), mV; noise off", fontsize=9)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--step", default="NaCl:20:40", help="NaCl:LOW:HIGH concentration step in mM")
    parser.add_argument("--brain", default="connectome", help="connectome, shuffled, no-nerve-ring")
    parser.add_argument("--params", default=None, help="parameter file; none = the brain's own params/<brain>.yaml")
    parser.add_argument("--hold", type=float, default=8.0, help="s at the high concentration")
    parser.add_argument("--noise", action="store_true", help="keep the model's noise on")
    parser.add_argument("--all", action="store_true", help="print every neuron, not only the pathway")
    parser.add_argument("--out", default=None, help="folder for probe.png and probe.json")
    parser.add_argument("--brain-option", action="append", default=[], metavar="KEY=VALUE",
                        help="a brain option (value read as JSON, else YAML, else text, e.g. receptor_signs=true); repeatable")


def parse_brain_options(items) -> dict:
    """``--brain-option KEY=VALUE`` strings -> dict (``nervous_systems.yaml_file.parse_key_values``)."""
    return parse_key_values(items, "--brain-option")


def run(args) -> int:
    try:
        low, high = parse_step(args.step)
    except ValueError as exc:
        print(f"error: {exc}")
        return 2
    try:
        opts = parse_brain_options(getattr(args, "brain_option", None))
    except ValueError as exc:
        print(f"error: {exc}")
        return 2
    if getattr(args, "params", None):
        opts["params"] = args.params
    r = step_responses(getattr(args, "brain", "connectome"), low, high, hold=getattr(args, "hold", 8.0),
                       noise=getattr(args, "noise", False), brain_options=opts)
    show = r["names"] if getattr(args, "all", False) else [n for n in PATHWAY if n in r["names"]]
    extra = {k: v for k, v in opts.items() if k != "params"}
    print(f"# open-loop NaCl step {low:g} -> {high:g} -> {low:g} mM, brain {r['brain']}, "
          f"params {r['info'].get('params')}; noise {'on' if args.noise else 'off'}"
          + (f"; options {extra}" if extra else ""))
    print(f"{'neuron':8s} {'rest mV':>8s} {'up-step':>9s} {'down-step':>10s}")
    for n in show:
        print(f"{n:8s} {r['baseline'][n]:8.1f} {r['up'][n]:+9.2f} {r['down'][n]:+10.2f}")
    if args.out:
        out = Path(args.out)
        out.mkdir(parents=True, exist_ok=True)
        plot(r, out / "probe.png")
        (out / "probe.json").write_text(json.dumps(
            {k: r[k] for k in ("brain", "low", "high", "up", "down", "baseline")}, indent=1))
        print(f"wrote {out / 'probe.png'} and {out / 'probe.json'}")
    return 0


def main(argv=None) -> int:
    p = argparse.ArgumentParser(prog="python -m organisms.c_elegans.probe", description=__doc__.split("\n")[0])
    add_arguments(p)
    return run(p.parse_args(argv))


if __name__ == "__main__":
    raise SystemExit(main())
