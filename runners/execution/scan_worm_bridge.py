"""Scan the proprioceptive/motor gains of the C. elegans bridge for forward crawling on agar.

This is how the gains in ``bridge.yaml`` were chosen (for locomotion only, never for chemotaxis).
Each variant runs the connectome brain in closed loop on agar without noise-free shortcuts and
prints the locomotion features the scorer uses::

    python -m runners.execution.scan_worm_bridge                       # the default grid
    python -m runners.execution.scan_worm_bridge '{"gB": 30, "off": -0.15}' ...

Keys: gB (B-type stretch gain, mV per mm^-1), off (B-type receptive-field offset, body lengths),
gH (SMD head stretch gain), gM (motor gain), tone, avb (tonic AVB drive, mV).
"""

from __future__ import annotations

import copy
import json
import sys
import time

import gymnasium as gym
import numpy as np
import yaml

import tasks  # noqa: F401  (registers the envs)
from bodies.worm.body import MUSCLE_NAMES
from nervous_systems.connectome_brain import ConnectomeBrain
from organisms.c_elegans import BRIDGE_YAML, load_connectome
from tasks.chemotaxis.features import extract_features

DEFAULT_GRID = [
    {"gB": 4, "gH": 4, "gM": 8, "off": -0.08, "rectify": True},   # first guess: rectified drive
    {"gB": 20, "gH": 20, "gM": 20, "off": -0.08},
    {"gB": 20, "gH": 20, "gM": 20, "off": -0.15},
    {"gB": 30, "gH": 20, "gM": 30, "off": -0.12},
    {"gB": 30, "gH": 20, "gM": 30, "off": -0.15},                   # chosen
    {"gB": 40, "gH": 30, "gM": 40, "off": -0.15},
]


def variant(base: dict, gB=None, gH=None, gM=None, off=None, tone=None, avb=None, rectify=False) -> dict:
    cfg = copy.deepcopy(base)
    for s in cfg["sensors"]:
        for t in s.get("targets", []):
            if s["name"] == "B_stretch":
                t["gain_mV"] = gB if gB is not None else t["gain_mV"]
                t["offset"] = off if off is not None else t["offset"]
            if s["name"] == "head_stretch" and gH is not None:
                t["gain_mV"] = gH
            if s.get("kind") == "proprioception":
                t["rectify"] = bool(rectify)
    if gM is not None:
        cfg["motor"]["gain"] = gM
    if tone is not None:
        cfg["motor"]["tone"] = tone
    if avb is not None:
        cfg["tonic"][0]["mV"] = avb
    return cfg


def run_variant(cfg: dict, duration: float = 15.0, seed: int = 1) -> dict:
    env = gym.make("cgym/CElegansChemotaxis-v0", duration=duration, medium="agar")
    brain = ConnectomeBrain(load_connectome(), cfg, MUSCLE_NAMES, 0.01)
    obs, _ = env.reset(seed=seed)
    brain.reset(seed)
    t, cl, conc = [], [], []
    t0 = time.perf_counter()
    for k in range(int(round(duration / 0.01))):
        obs, _, _, _, info = env.step(brain.act(obs))
        if k % 4 == 0:
            t.append(info["t"]); cl.append(info["centerline"]); conc.append(info["concentration"])
    wall = time.perf_counter() - t0
    brain.close()
    f = extract_features({"t": np.array(t), "centerline": np.array(cl), "concentration": np.array(conc)},
                         env.unwrapped.task_info())
    f["sim_s_per_wall_s"] = duration / wall
    return f


def main(argv=None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    grid = [json.loads(a) for a in argv] or DEFAULT_GRID
    base = yaml.safe_load(BRIDGE_YAML.read_text())
    print(f"{'variant':58s} speed mm/s  freq Hz  wavelength  rms curv  wave dir  forward")
    for kw in grid:
        f = run_variant(variant(base, **kw))
        print(f"{json.dumps(kw):58s} {f['centroid_speed']:10.3f} {f['undulation_frequency']:8.2f} "
              f"{f['wavelength']:11.2f} {f['rms_curvature']:9.2f} {f.get('wave_direction', float('nan')):9.0f} "
              f"{f['forward_fraction']:8.2f}", flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
