"""Scan the A-type (VA/DA) stretch receptive field for backward crawling under AVA drive.

Question (issue 11 item 2): can the A-type chain + body make a tail-to-head wave when AVA is held
depolarised, for some A-type receptive-field offset / gain, and does the same setting still crawl
forward when AVA is not driven? For each parameter file, offset and gain it writes a copy of the
file with ``bridge.A_stretch.offset`` / ``bridge.A_stretch.gain_mV`` set (nothing else changed),
runs one closed-loop episode with and one without ``--activate AVAL AVAR`` through the ordinary CLI
(``python -m runners run celegans/chemotaxis``), and prints the episode features::

    python -m organisms.c_elegans.tools.scan_backward --out /tmp/wb/scan
    python -m organisms.c_elegans.tools.scan_backward --params organisms/c_elegans/params/connectome.yaml \
        --offsets -0.15 0 0.08 0.15 --gains 30 60 --seed 1000 --duration 20 --out /tmp/wb/scan

Offsets in body lengths (negative = anterior of the neuron, as B-type; bridge.yaml's A default is
+0.15, posterior). ``v_axial`` is the mean velocity of the centroid along the body axis (mm/s,
+ = towards the head), ``fwd`` the forward fraction of the moving time (features), ``dir`` the
curvature wave's direction (+1 head-to-tail, -1 tail-to-head). One process at a time; each episode
is a fresh ``python -m runners run`` (the network is rebuilt), so a cell costs ~10 s of start-up.
This is a diagnostic of the bridge, not a fit: it changes no default.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import yaml

from bodies.worm import centerline
from nervous_systems.yaml_file import parse_key_values

ROOT = Path(__file__).resolve().parents[3]
DEFAULT_PARAMS = [
    "organisms/c_elegans/params/connectome.yaml",
    "organisms/c_elegans/params/connectome_probe_fit.yaml",
]


def add_bridge_entry(params: dict, name: str, value: float, unit: str = "1",
                     source: str = "scan_backward diagnostic (hand-set)") -> None:
    """Add a hand-set, not fitted entry ``name`` = ``value`` (bounds [value, value]) to the
    ``parameters`` mapping of a parameter file. Only ``bridge.*`` names can be added (the bridge
    reads them; a ``class.*`` or ``neuron.*`` name that the file lacks is a typo): ValueError."""
    if not name.startswith("bridge."):
        raise ValueError(f"{name}: only bridge.* entries can be added")
    params[name] = {"value": float(value), "bounds": [float(value), float(value)], "unit": unit,
                    "fit": False, "source": source}


def write_variant(src: Path, dst: Path, offset: float, gain: float, extra: dict | None = None) -> None:
    doc = yaml.safe_load(src.read_text())
    p = doc["parameters"]
    for name, value in (extra or {}).items():
        if name not in p:
            try:
                add_bridge_entry(p, name, value)
            except ValueError:
                raise SystemExit(f"--set {name}: no such entry in {src} (only bridge.* entries can be added)") from None
        lo, hi = p[name].get("bounds", [value, value])
        p[name].update(value=float(value), bounds=[min(lo, value), max(hi, value)], fit=False)
    p["bridge.A_stretch.offset"] = {
        "value": float(offset), "bounds": [-0.5, 0.5], "unit": "body lengths", "fit": False,
        "source": "scan_backward diagnostic (hand-set)"}
    g = dict(p.get("bridge.A_stretch.gain_mV", {}))
    g.update({"value": float(gain), "bounds": [0.0, max(100.0, float(gain))], "fit": False,
              "unit": "mV", "source": "scan_backward diagnostic (hand-set)"})
    p["bridge.A_stretch.gain_mV"] = g
    doc["description"] = f"scan_backward variant of {src}: A offset {offset}, A gain {gain}"
    dst.write_text(yaml.safe_dump(doc, sort_keys=False))


def axial_velocity(npz: Path) -> float:
    """Mean centroid velocity projected on the body axis (tail->head = +), mm/s."""
    d = np.load(npz)
    return float(np.mean(centerline.axial_velocity(d["t"], d["centerline"])))


def run_cell(params: Path, out: Path, seed: int, duration: float, ava_mV: float | None) -> dict:
    cmd = [sys.executable, "-m", "runners", "run", "celegans/chemotaxis", "--brain", "connectome",
           "--brain-option", f"params={params}", "--episodes", "1", "--duration", str(duration),
           "--seed", str(seed), "--out", str(out)]
    if ava_mV is not None:
        cmd += ["--activate", "AVAL", "AVAR", "--brain-option", f"activate_mV={ava_mV}"]
    subprocess.run(cmd, cwd=ROOT, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    ep = json.loads((out / "episodes" / f"ep_{seed:04d}.json").read_text())
    f = ep.get("features") or {}
    return {
        "speed": f.get("centroid_speed"), "fwd": f.get("forward_fraction"),
        "freq": f.get("undulation_frequency"), "wavelength": f.get("wavelength"),
        "dir": f.get("wave_direction"), "reversals": f.get("reversal_count"),
        "v_axial": axial_velocity(out / "episodes" / f"ep_{seed:04d}.npz"),
    }


def fmt(x, nd=3):
    return "—" if x is None or (isinstance(x, float) and not np.isfinite(x)) else f"{x:.{nd}f}"


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--params", nargs="+", default=DEFAULT_PARAMS)
    ap.add_argument("--offsets", nargs="+", type=float, default=[-0.15, 0.0, 0.08, 0.15])
    ap.add_argument("--gains", nargs="+", type=float, default=[30.0, 60.0])
    ap.add_argument("--ava-mV", type=float, default=20.0)
    ap.add_argument("--seed", type=int, default=1000)
    ap.add_argument("--duration", type=float, default=20.0)
    ap.add_argument("--set", nargs="*", default=[], metavar="NAME=VALUE",
                    help="extra entries of the parameter file to set, e.g. bridge.tonic.AVBL.mV=0")
    ap.add_argument("--out", required=True)
    a = ap.parse_args(argv)
    try:
        extra = parse_key_values(a.set, "--set")
    except ValueError as e:
        raise SystemExit(str(e)) from None
    for k, v in extra.items():
        if isinstance(v, bool) or not isinstance(v, (int, float)):
            raise SystemExit(f"--set {k}={v!r}: expected a number")
    out = Path(a.out)
    out.mkdir(parents=True, exist_ok=True)
    rows = []
    print("| params | A offset | A gain | AVA | speed mm/s | v_axial mm/s | fwd | freq Hz | wavelength | dir | reversals |")
    print("|---|---|---|---|---|---|---|---|---|---|---|")
    for pf in a.params:
        src = (ROOT / pf) if not Path(pf).is_absolute() else Path(pf)
        for off in a.offsets:
            for g in a.gains:
                tag = f"{src.stem}_off{off:+.2f}_g{g:g}"
                var = out / f"{tag}.yaml"
                write_variant(src, var, off, g, extra)
                for ava in (a.ava_mV, None):
                    r = run_cell(var, out / f"{tag}_{'ava' if ava is not None else 'free'}",
                                 a.seed, a.duration, ava)
                    r.update(params=src.stem, offset=off, gain=g, ava_mV=ava)
                    rows.append(r)
                    print(f"| {src.stem} | {off:+.2f} | {g:g} | {'+%g mV' % ava if ava is not None else 'free'} "
                          f"| {fmt(r['speed'])} | {fmt(r['v_axial'])} | {fmt(r['fwd'], 2)} | {fmt(r['freq'], 2)} "
                          f"| {fmt(r['wavelength'], 2)} | {fmt(r['dir'], 0)} | {fmt(r['reversals'], 0)} |", flush=True)
    (out / "scan_backward.json").write_text(json.dumps(rows, indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
