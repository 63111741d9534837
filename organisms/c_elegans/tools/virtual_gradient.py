"""AIY driven by a virtual light gradient (Kocabas et al. 2012): does the model worm climb it?

    python -m organisms.c_elegans.tools.virtual_gradient --out runs/virtual_aiy
    python -m organisms.c_elegans.tools.virtual_gradient --seeds 14000-14015 --duration 120 --light-mV 20 --out DIR

Kocabas, Shen, Guo & Ramanathan 2012 (Nature 490:273, doi:10.1038/nature11431) expressed
channelrhodopsin in AIY alone and lit each freely moving worm with an intensity set by a virtual
light gradient at the position of its nose tip. With no chemical gradient, the animals turned
towards and climbed the virtual gradient by gradual turns: activity of the AIY pair, following the
nose through space, was sufficient for klinotaxis. That is the phenotype tested here. It bypasses
salt transduction and the first synapses (ASE -> AIY), so it asks whether the steering path
downstream of AIY (AIY -> RIA -> SMD/RMD and the head, Kocabas 2012; Hendricks et al. 2012,
doi:10.1038/nature11081) turns the model worm, whatever ASE does.

How it is made, with no rule added (the model worm is unchanged apart from its input):

* **Light.** The task's NaCl field is the light field: intensity I = c / ``--peak-mM`` (0 to 1; c
  the concentration at the nose, the task's ``concentration`` observation; 100 mM is the task's
  default peak). A derived bridge (the organism's ``bridge.yaml`` plus one ``scalar`` sensor,
  written into ``--out``) depolarises the ``--neurons`` (default AIYL, AIYR) by ``--light-mV`` x I
  (ChR2; no filter, no adaptation). The ChR2 depolarisation in mV is not known: 20 mV at the peak
  is the convention of this project's other optogenetic drives (AVA, README section 5.1).
* **Reversed gradient**, the paired control: the same neurons get ``--light-mV`` x (1 - I) (a
  tonic entry of +light-mV and the sensor with gain -light-mV): a gradient of the same steepness
  pointing away from the peak. Each animal (seed) runs both; the circling, start pose and noise
  are the same, so Δ = approach(up) - approach(reversed) is the part of the movement that follows
  the light.
* **No salt sense.** As in the light assay, there is no chemical gradient to sense: a copy of each
  brain's parameter file sets ``bridge.salt_ON.gain_mV`` and ``bridge.salt_OFF.gain_mV`` to 0.
* ``dark`` (reported for the connectome): no light, no salt, the drift the animals have anyway.

Per animal: ``approach`` = (d_start - d_end) / d_start of the body centroid to the peak (the task's
feature), the chemotaxis zones at the end, speed and heading drift. Per brain: mean approach with
a 95 % bootstrap CI over animals for each gradient, and the paired Δ with its CI (animals
resampled). Between brains: the difference of the Δ's (animals resampled independently).

The rule of RECORD.md section 5.4 (committed before any run) says what counts as the phenotype and
as needing the wiring. A test of the downstream steering path, not a fit: it changes no default.
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
from pathlib import Path

import numpy as np
import yaml

from nervous_systems.yaml_file import load_yaml
from tasks.statistics import bootstrap_ci, bootstrap_diff_ci

from .. import BRIDGE_YAML
from ..params import PARAMS_DIR, default_params_path
from .evoked_backward import parse_seeds, run_episodes

N_BOOT = 4000
GRADIENTS = ("up", "reversed", "dark")
SALT_SENSORS = ("salt_ON", "salt_OFF")


def light_bridge(gradient: str, neurons: list[str], light_mV: float, peak_mM: float,
                 source: Path = BRIDGE_YAML) -> dict:
    """The organism's bridge plus the virtual light on ``neurons`` (module docstring).

    ``up``: drive = light_mV * c / peak_mM; ``reversed``: light_mV * (1 - c / peak_mM);
    ``dark``: the bridge unchanged."""
    if gradient not in GRADIENTS:
        raise ValueError(f"gradient {gradient!r}: expected one of {GRADIENTS}")
    if not peak_mM > 0:
        raise ValueError(f"--peak-mM {peak_mM}: must be > 0")
    cfg = load_yaml(source)
    if gradient == "dark":
        return cfg
    sign = 1.0 if gradient == "up" else -1.0
    cfg.setdefault("sensors", []).append({
        "name": "virtual_light", "observation": "concentration", "scale": 1.0 / float(peak_mM),
        "rectify": "none",
        "targets": [{"neurons": list(neurons), "gain_mV": sign * float(light_mV)}]})
    if gradient == "reversed":
        cfg.setdefault("tonic", []).append({"neurons": list(neurons), "mV": float(light_mV)})
    return cfg


def salt_off_params(source: Path, dst: Path) -> Path:
    """A copy of the parameter file ``source`` with both salt sensors' gains at 0 (no salt sense)."""
    doc = yaml.safe_load(source.read_text())
    p = doc.setdefault("parameters", {})
    for s in SALT_SENSORS:
        name = f"bridge.{s}.gain_mV"
        e = dict(p.get(name) or {"unit": "mV"})
        lo, hi = (e.get("bounds") or [0.0, 0.0])
        e.update(value=0.0, bounds=[min(0.0, float(lo)), max(0.0, float(hi))], fit=False,
                 source="virtual_gradient: no salt sense (light assay)")
        p[name] = e
    doc["description"] = f"virtual_gradient variant of {source.name}: salt sensors off"
    dst.write_text(yaml.safe_dump(doc, sort_keys=False))
    return dst


def brains(shuffle_seeds: list[int], probe_fit: bool,
           params_template: str | None = None) -> list[tuple[str, list[str], Path, bool]]:
    """(label, CLI brain arguments, parameter file, primary?) of every brain (RECORD.md section 5.4).
    ``params_template`` (e.g. ``runs/recentre/{brain}/recentred.yaml``; ``{brain}`` = connectome or
    shuffled-S) replaces the installed files."""
    def pfile(key: str, installed: Path) -> Path:
        if params_template is None:
            return installed
        path = Path(params_template.format(brain=key))
        if not path.is_file():
            raise SystemExit(f"--params-template: {path} (brain {key}) does not exist")
        return path

    conn = pfile("connectome", default_params_path("connectome"))
    out = [("connectome", ["--brain", "connectome"], conn, True)]
    for s in shuffle_seeds:
        out.append((f"shuffled {s}", ["--brain", "shuffled", "--brain-option", f"shuffle_seed={s}"],
                    pfile(f"shuffled-{s}", default_params_path("shuffled", s)), True))
    out.append(("connectome, RIA lesioned (exploratory)", ["--brain", "connectome", "--lesion", "RIA"],
                conn, False))
    if probe_fit:
        out.append(("connectome, probe-fit start values (exploratory)", ["--brain", "connectome"],
                    PARAMS_DIR / "fitted" / "start_values.yaml", False))
    return out


def episode_rows(out: Path, seed0: int, n: int) -> list[dict]:
    rows = []
    for s in range(seed0, seed0 + n):
        path = out / "episodes" / f"ep_{s:04d}.json"
        try:
            f = json.loads(path.read_text()).get("features") or {}
        except (OSError, ValueError) as e:
            raise SystemExit(f"{path}: {e}") from None
        get = lambda k: float(f[k]) if f.get(k) is not None else float("nan")  # noqa: E731
        rows.append({"seed": s, "approach": get("approach"), "speed": get("centroid_speed"),
                     "heading_drift": get("heading_drift"),
                     "zone": get("in_target_end") - get("in_control_end")})
    return rows


def paired_delta(up: np.ndarray, rev: np.ndarray, rng) -> tuple[float, float, float]:
    """Mean of up - reversed per animal, with a bootstrap CI over animals."""
    return tuple(bootstrap_ci(np.asarray(up, float) - np.asarray(rev, float), n_boot=N_BOOT, rng=rng))


def nanmean(x) -> float:
    """Mean of the finite values; NaN (no warning) when there are none, e.g. animals that never move."""
    x = np.asarray(x, float)
    x = x[np.isfinite(x)]
    return float(x.mean()) if x.size else float("nan")


def fmt(m, nd: int = 3) -> str:
    return f"{m[0]:+.{nd}f} [{m[1]:+.{nd}f}, {m[2]:+.{nd}f}]"


def verdict(delta_conn, deltas_ctrl: dict[str, np.ndarray], conn: np.ndarray, rng) -> list[str]:
    """The two lines of the pre-registered rule (RECORD.md section 5.4)."""
    lines = [f"(1) phenotype: connectome Δ {fmt(delta_conn)} -> "
             + ("REPRODUCED (CI above 0)" if delta_conn[1] > 0 else "not reproduced")]
    ok = delta_conn[1] > 0
    for label, d in deltas_ctrl.items():
        diff = bootstrap_diff_ci(conn, d, n_boot=N_BOOT, rng=rng)
        above = diff[1] > 0
        ok &= above
        lines.append(f"(2) connectome Δ - {label} Δ: {fmt(diff)} -> " + ("above" if above else "not above"))
    lines.append("needs the wiring: " + ("YES (1 and every (2) met)" if ok else "no"))
    return lines


def speed_caveat(speed_light: float, speed_dark: float, floor: float = 0.5) -> str | None:
    """A line that qualifies the verdict when the light slows the connectome worm below ``floor``
    of its dark speed: a slower worm disperses less, so a positive Δ can then mean "stopped
    nearer the light", not "climbed the light" (RECORD.md section 5.5). Not part of the rule."""
    if not (np.isfinite(speed_light) and np.isfinite(speed_dark)) or speed_dark <= 0:
        return None
    if speed_light >= floor * speed_dark:
        return None
    return (f"caution: under light the connectome crawls at {speed_light:.3f} mm/s against "
            f"{speed_dark:.3f} in the dark ({speed_light / speed_dark:.0%}); Δ then measures "
            f"less dispersal, not klinotaxis")


def plot_tracks(out: Path, table: list[dict], seed0: int, n: int, peak_xy=(5.0, 0.0)) -> Path:
    """One panel per brain: every animal's nose track in the up (blue) and reversed (orange)
    gradient, the peak (brightest point of the up gradient) marked; written to ``out/tracks.png``."""
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    cols = min(3, len(table))
    rows = int(np.ceil(len(table) / cols))
    fig, axes = plt.subplots(rows, cols, figsize=(3.6 * cols, 3.5 * rows), squeeze=False)
    for ax, (i, b) in zip(axes.ravel(), enumerate(table)):
        for g, color in (("up", "tab:blue"), ("reversed", "tab:orange")):
            for s in range(seed0, seed0 + n):
                nose = np.load(out / f"b{i}_{g}" / "episodes" / f"ep_{s:04d}.npz")["nose"]
                ax.plot(nose[:, 0], nose[:, 1], color=color, lw=0.6, alpha=0.7,
                        label=g if s == seed0 else None)
        ax.plot(*peak_xy, marker="*", color="k", ms=10, ls="none", label="peak")
        d = b["delta"]
        ax.set_title(f"{b['brain']}\nΔ approach {d[0]:+.2f} [{d[1]:+.2f}, {d[2]:+.2f}]", fontsize=8)
        ax.set_aspect("equal")
        ax.set_xlabel("x (mm)", fontsize=7)
        ax.set_ylabel("y (mm)", fontsize=7)
        ax.tick_params(labelsize=6)
    for ax in axes.ravel()[len(table):]:
        ax.axis("off")
    axes[0][0].legend(fontsize=6, loc="lower left")
    fig.suptitle("AIY driven by a virtual light gradient (Kocabas 2012): nose tracks, light up vs reversed", fontsize=9)
    fig.tight_layout()
    path = out / "tracks.png"
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seeds", default="14000-14015", help="episode seeds FIRST-LAST (one animal each)")
    ap.add_argument("--duration", type=float, default=120.0)
    ap.add_argument("--light-mV", type=float, default=20.0, help="ChR2 depolarisation at full intensity (mV)")
    ap.add_argument("--neurons", nargs="+", default=["AIYL", "AIYR"], help="neurons or classes lit")
    ap.add_argument("--peak-mM", type=float, default=100.0, help="concentration of full intensity (the task's peak)")
    ap.add_argument("--shuffle-seeds", type=int, nargs="*", default=[1, 2, 3])
    ap.add_argument("--probe-fit", action="store_true", help="also the probe-fit start values (exploratory)")
    ap.add_argument("--params-template", help="parameter files to use instead of the installed ones, "
                    "e.g. 'runs/recentre/{brain}/recentred.yaml' ({brain}: connectome, shuffled-S)")
    ap.add_argument("--out", required=True, type=Path)
    ap.add_argument("--report", type=Path, help="also write the table to REPORT.md and the tracks to REPORT.png")
    a = ap.parse_args(argv)
    seed0, n = parse_seeds(a.seeds)
    report: list[str] = []

    def emit(line: str = "") -> None:  # the table goes to stdout and, with --report, to REPORT.md
        report.append(line)
        sys.stdout.write(line + "\n")
        sys.stdout.flush()

    if not a.light_mV > 0 or not a.duration > 0:
        raise SystemExit(f"--light-mV {a.light_mV} --duration {a.duration}: both must be > 0")
    a.out.mkdir(parents=True, exist_ok=True)
    bridges = {}
    for g in GRADIENTS:
        path = a.out / f"bridge_{g}.yaml"
        path.write_text(yaml.safe_dump(light_bridge(g, a.neurons, a.light_mV, a.peak_mM), sort_keys=False))
        bridges[g] = path
    rng = np.random.default_rng(0)
    emit(f"{' '.join(a.neurons)} +{a.light_mV:g} mV x intensity (c / {a.peak_mM:g} mM at the nose), no salt sense; "
          f"{n} animals (seeds {a.seeds}) x {a.duration:g} s; mean [95 % CI over animals]")
    emit("| brain | approach, gradient up | approach, reversed | Δ up − reversed (paired) | "
          "zones up / reversed (target − control) | speed mm/s | heading drift deg/mm |")
    emit("|---|---|---|---|---|---|---|")
    table, deltas = [], {}
    for i, (label, args, params, primary) in enumerate(brains(a.shuffle_seeds, a.probe_fit, a.params_template)):
        pfile = salt_off_params(params, a.out / f"params_b{i}.yaml")
        rows = {}
        for g in (("up", "reversed", "dark") if i == 0 else ("up", "reversed")):
            out = a.out / f"b{i}_{g}"
            run_episodes(f"{label}, {g}", [*args, "--brain-option", f"params={pfile}",
                                           "--brain-option", f"bridge={bridges[g]}"], out, seed0, n, a.duration)
            rows[g] = episode_rows(out, seed0, n)
        col = {g: {k: np.array([r[k] for r in rs], float) for k in rs[0]} for g, rs in rows.items()}
        up, rev = col["up"]["approach"], col["reversed"]["approach"]
        d = paired_delta(up, rev, rng)
        if primary:
            deltas[label] = up - rev
        emit(f"| {label} | {fmt(bootstrap_ci(up, n_boot=N_BOOT, rng=rng))} | "
              f"{fmt(bootstrap_ci(rev, n_boot=N_BOOT, rng=rng))} | **{fmt(d)}** | "
              f"{np.nansum(col['up']['zone']):+.0f} / {np.nansum(col['reversed']['zone']):+.0f} | "
              f"{nanmean(col['up']['speed']):.3f} | {nanmean(col['up']['heading_drift']):+.1f} |")
        if "dark" in col:
            emit(f"| {label}, dark (no light, no salt) | {fmt(bootstrap_ci(col['dark']['approach'], n_boot=N_BOOT, rng=rng))} "
                  f"| | | {np.nansum(col['dark']['zone']):+.0f} | {nanmean(col['dark']['speed']):.3f} | "
                  f"{nanmean(col['dark']['heading_drift']):+.1f} |")
        table.append({"brain": label, "args": args, "params": str(params), "primary": primary,
                      "delta": d, "rows": rows})
    conn = deltas.pop("connectome")
    lines = verdict(tuple(table[0]["delta"]), deltas, conn, rng)
    first = table[0]["rows"]
    caveat = speed_caveat(nanmean([r["speed"] for r in first["up"]]),
                          nanmean([r["speed"] for r in first["dark"]]))
    if caveat:
        lines.append(caveat)
    emit()
    for line in lines:
        emit(line)
    (a.out / "virtual_gradient.json").write_text(json.dumps(
        {"seeds": a.seeds, "duration_s": a.duration, "light_mV": a.light_mV, "neurons": a.neurons,
         "peak_mM": a.peak_mM, "verdict": lines, "brains": table}, indent=1))
    png = plot_tracks(a.out, table, seed0, n)
    if a.report is not None:
        a.report.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(png, a.report.with_suffix(".png"))
        cmd = "python -m organisms.c_elegans.tools.virtual_gradient " + " ".join(argv if argv is not None else sys.argv[1:])
        a.report.with_suffix(".md").write_text(f"`{cmd}`\n\n" + "\n".join(report) + "\n")
        png = a.report.with_suffix(".png")
    emit(f"figure: {png}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
