"""Shared helpers for the fly tests: a small generated graph (~2k real FlyWire neurons) written in
exactly the Shiu layout, and a stand-in VNC model."""

from __future__ import annotations

import numpy as np
import pandas as pd
from gymnasium import spaces

from organisms.drosophila import flywire, surrogate

N_SMALL = surrogate.SMALL_N
COMMANDS = ("antennal_groom_left", "antennal_groom_right", "walk_forward", "walk_backward",
            "turn_left", "turn_right")


small_neuron_table = surrogate.small_neuron_table


def write_small_graph(directory, n: int = N_SMALL, n_edges: int = 60_000, seed: int = 0):
    return surrogate.write_small_graph(directory, n, n_edges, seed)


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
