"""Shared helpers for the fly tests: a small generated graph (~2k real FlyWire neurons) written in
exactly the Shiu layout, and a stand-in VNC model."""

from __future__ import annotations

import numpy as np
import pandas as pd
from gymnasium import spaces

from organisms.drosophila import flywire, surrogate

N_SMALL = 2000
COMMANDS = ("antennal_groom_left", "antennal_groom_right", "walk_forward", "walk_backward",
            "turn_left", "turn_right")


def small_neuron_table(n: int = N_SMALL, seed: int = 0) -> pd.DataFrame:
    """Every JO-C/E/F, BM_Ant and read-out neuron, plus random others, from the real table."""
    ann = flywire.load_annotations()
    t = ann["cell_type"].fillna("").astype(str)
    p = ann["primary_type"].fillna("").astype(str)
    keep = (t.str.match(r"JO-[CEF]") | t.isin(["BM_Ant", "DNg62", "DNa01"])
            | p.isin(["DNp09", "DNa02", "DNp50"]))
    rng = np.random.default_rng(seed)
    others = np.flatnonzero(~keep.to_numpy())
    extra = rng.choice(others, n - int(keep.sum()), replace=False)
    rows = np.sort(np.concatenate([np.flatnonzero(keep.to_numpy()), extra]))
    return ann.iloc[rows].reset_index(drop=True)


def write_small_graph(directory, n: int = N_SMALL, n_edges: int = 60_000, seed: int = 0):
    neurons = small_neuron_table(n, seed)
    g = surrogate.generate(neurons, n_edges, seed)
    flywire.write_shiu(directory, neurons["root_id"].to_numpy(), g["pre"], g["post"], g["count"],
                       g["excitatory"], metadata={"kind": "surrogate", "generator": surrogate.GENERATOR,
                                                  "generator_version": surrogate.VERSION, "seed": seed})
    return directory


class StandInVNC:
    """Same signature as organisms.drosophila.vnc.VentralNerveCordModel; the action is the
    command vector padded with zeros, so tests can read the commands back."""

    def __init__(self, action_space, control_dt, actuator_names, params=None):
        self.action_space, self.n = action_space, len(actuator_names)
        self.resets = 0

    def reset(self, seed=None):
        self.resets += 1

    def step(self, commands):
        a = np.zeros(self.n, np.float32)
        a[: len(COMMANDS)] = [commands[c] for c in COMMANDS]
        return a

    def describe(self):
        return "stand-in VNC (tests)"


ACTUATORS = [f"act{i}" for i in range(8)]
ACTION_SPACE = spaces.Box(-1, 1, (len(ACTUATORS),), np.float32)
OBS_SPACE = spaces.Dict({"antenna_deflection": spaces.Box(-np.inf, np.inf, (2,)),
                         "antenna_contact": spaces.Box(0, np.inf, (2,))})
