"""The ``reflex`` brain for Drosophila: antennal deflection → groom that side. No brain.

A lookup table standing where the brain would be: each antenna's deflection (what Johnston's
organ senses) is low-pass filtered (``tau_s``); when its magnitude exceeds ``on_rad`` the
grooming command of that side goes to 1, and back to 0 when it falls below ``off_rad``
(hysteresis). The commands go straight into the hand-built VNC model
(:class:`organisms.drosophila.vnc.VentralNerveCordModel`), which turns them into the 6 Hz
foreleg sweep. Both antennae deflected → both commands → bilateral grooming.

This is the behaviour-only baseline every grooming scorecard should show next to the
connectome brain (a lookup table can pass a behavioural test; DESIGN.md "Honesty rules").
Options: ``on_rad`` (0.1), ``off_rad`` (0.05), ``tau_s`` (0.1), ``vnc_params`` (path to a
VNC YAML), ``vnc_factory`` (a callable with the VentralNerveCordModel signature, for tests).
"""

from __future__ import annotations

import math

import numpy as np

from .vnc import DESCENDING_COMMANDS, VentralNerveCordModel

SIDES = ("left", "right")


class DrosophilaReflexBrain:
    def __init__(self, organism: str = "drosophila", observation_space=None, action_space=None,
                 control_dt: float | None = None, on_rad: float = 0.1, off_rad: float = 0.05,
                 tau_s: float = 0.1, vnc_params=None, vnc_factory=None, actuator_names=None):
        if action_space is None:
            raise ValueError("brain 'reflex' (drosophila) needs the env's action_space")
        if control_dt is None:
            raise ValueError("brain 'reflex' (drosophila) needs control_dt (the runner passes the env's)")
        if not 0 <= off_rad <= on_rad:
            raise ValueError(f"brain 'reflex': need 0 <= off_rad <= on_rad (got {off_rad}, {on_rad})")
        if observation_space is not None and "antenna_deflection" not in getattr(observation_space, "spaces", {}):
            raise ValueError("brain 'reflex' (drosophila) needs an 'antenna_deflection' observation")
        if actuator_names is None:
            from bodies.fly import ACTUATOR_NAMES as actuator_names
        self.organism = organism
        self.action_space = action_space
        self.control_dt = float(control_dt)
        self.on, self.off, self.tau = float(on_rad), float(off_rad), float(tau_s)
        self._a = 1.0 - math.exp(-self.control_dt / self.tau)
        factory = vnc_factory or VentralNerveCordModel
        self.vnc = factory(action_space, self.control_dt, actuator_names, params=vnc_params)
        self._log: dict[str, list] = {"t": []} | {f"groom_{s}": [] for s in SIDES} | {f"jo_{s}": [] for s in SIDES}
        self.reset()

    def reset(self, seed: int | None = None) -> None:
        self.t = 0.0
        self.jo = np.zeros(2)
        self.groom = np.zeros(2, bool)
        self.vnc.reset(seed)
        for v in self._log.values():
            v.clear()

    def act(self, obs) -> np.ndarray:
        d = np.asarray(obs["antenna_deflection"], float).reshape(2)
        self.jo += self._a * (d - self.jo)
        mag = np.abs(self.jo)
        self.groom = np.where(self.groom, mag > self.off, mag > self.on)
        commands = {c: 0.0 for c in DESCENDING_COMMANDS}
        for k, s in enumerate(SIDES):
            commands[f"antennal_groom_{s}"] = float(self.groom[k])
        action = self.vnc.step(commands)
        self.t += self.control_dt
        self._log["t"].append(self.t)
        for k, s in enumerate(SIDES):
            self._log[f"groom_{s}"].append(float(self.groom[k]))
            self._log[f"jo_{s}"].append(float(self.jo[k]))
        return np.asarray(action, np.float32)

    def record(self) -> dict[str, np.ndarray]:
        """Commands and filtered JO signal per control step (``t`` + arrays over time)."""
        return {k: np.asarray(v, float) for k, v in self._log.items()}

    def info(self) -> dict:
        return {"brain": "reflex", "organism": "drosophila", "connectome": None,
                "controller": "antennal deflection (low-pass) > threshold -> groom that side, via the VNC model",
                "on_rad": self.on, "off_rad": self.off, "tau_s": self.tau,
                "motor_bridge": self.vnc.describe()}


def _factory(organism, observation_space, action_space, control_dt=None, **options):
    return DrosophilaReflexBrain(organism, observation_space, action_space, control_dt, **options)


def register() -> None:
    """Register the ``reflex`` brain for organism ``drosophila`` (called by the package init)."""
    from nervous_systems.brain import register_brain

    register_brain("reflex", _factory, organism="drosophila",
                   description="antennal deflection -> groom that side via the hand-built VNC model; no brain")
