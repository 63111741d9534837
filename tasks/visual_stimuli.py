"""Visual stimuli on the floor below a fish (mm, s, luminance in [0, 1]), shared by the
closed-loop optomotor task (``tasks/optomotor``) and the zebrafish's open-loop fictive trials
(``organisms/zebrafish/fictive.py``), so that both show the same pattern from one generator.

Each stimulus has ``reset(rng, origin, k)``, ``advance(dt, velocity, origin, k, motion)``,
``luminance(points)`` and ``to_dict()`` (what the recordings store).

* :class:`Grating`: a sine grating ``L = 0.5 + 0.5 cos(2π u / λ - ψ)``, u = distance along the
  motion direction k̂ measured from the fish's head. Its orientation follows the fish's heading
  when locked (closed-loop VR), its phase ψ advances with the stimulus motion and recedes with
  the fish's own translation along k̂, so the sampled luminance includes self-motion.
* :class:`Dots`: random dots in the world (bright discs on a dark floor, a torus window that
  travels with the fish); in motion epochs a fraction ``coherence`` moves along k̂, the rest in
  random directions; in rest epochs every dot moves in its own random direction at
  ``rest_speed`` (0 % coherence, as between the motion epochs of Bahl & Engert 2020's trials; 0 =
  a static pattern); each dot lives ``lifetime`` s on average (Newsome-style random-dot
  kinematograms as used for larvae by Bahl & Engert 2020, doi:10.1038/s41593-019-0534-9).

Only numpy: an organism may import this module (``tests/test_import_layout.py``).
"""

from __future__ import annotations

import math

import numpy as np


class Grating:
    """Sine grating of spatial period ``period`` (mm) and Michelson contrast ``contrast``."""

    kind = "grating"

    def __init__(self, period: float = 10.0, contrast: float = 1.0):
        if not period > 0:
            raise ValueError(f"grating period must be > 0 mm (got {period})")
        if not 0 <= contrast <= 1:
            raise ValueError(f"contrast must be in [0, 1] (got {contrast})")
        self.period, self.contrast = float(period), float(contrast)
        self.phase = 0.0  # ψ, rad
        self.k = np.array([1.0, 0.0])  # unit motion direction, world
        self.origin = np.zeros(2)  # fish head at the last update, world

    def reset(self, rng: np.random.Generator, origin: np.ndarray, k: np.ndarray) -> None:
        self.phase = float(rng.uniform(0, 2 * np.pi))
        self.origin, self.k = np.asarray(origin, float).copy(), np.asarray(k, float)

    def advance(self, dt: float, velocity: np.ndarray, origin: np.ndarray, k: np.ndarray,
                motion: bool = True) -> None:
        """Move the pattern by ``velocity`` (world mm/s) over ``dt`` and re-anchor it at the
        fish's new head position ``origin`` with orientation ``k`` (unit vector). ``motion`` (the
        epoch's) is not needed: a grating at rest has ``velocity`` 0."""
        origin = np.asarray(origin, float)
        shift = float(np.dot(velocity, self.k)) * dt - float(np.dot(origin - self.origin, self.k))
        self.phase = (self.phase + 2 * np.pi * shift / self.period) % (2 * np.pi)
        self.origin, self.k = origin.copy(), np.asarray(k, float)

    def luminance(self, points: np.ndarray) -> np.ndarray:
        u = (np.asarray(points, float) - self.origin) @ self.k
        return 0.5 + 0.5 * self.contrast * np.cos(2 * np.pi * u / self.period - self.phase)

    def dark_bars(self, half_width: float) -> list[tuple[np.ndarray, float]]:
        """Centres (world) and orientation of the dark half-periods within ``half_width`` mm of
        the head (for drawing)."""
        out = []
        m0 = math.floor((-half_width / self.period) - 1)
        for m in range(m0, m0 + int(2 * half_width / self.period) + 4):
            u = self.period * ((self.phase + np.pi) / (2 * np.pi) + m)
            if abs(u) <= half_width + self.period:
                out.append((self.origin + u * self.k, math.atan2(self.k[1], self.k[0])))
        return out

    def to_dict(self) -> dict:
        return {"kind": "grating", "period_mm": self.period, "contrast": self.contrast,
                "profile": "sine"}


class Dots:
    """Random dots: bright discs of radius ``radius`` (mm) on a dark floor, ``density`` per mm²,
    in a square torus window of side ``window`` (mm) that travels with the fish."""

    kind = "dots"

    def __init__(self, coherence: float = 1.0, density: float = 0.15, radius: float = 1.0,
                 window: float = 30.0, lifetime: float = 1.0, rest_speed: float = 0.0):
        if not 0 <= coherence <= 1:
            raise ValueError(f"coherence must be in [0, 1] (got {coherence})")
        if not (density > 0 and radius > 0 and window > 4 * radius and lifetime > 0):
            raise ValueError("dots: density, radius, lifetime must be > 0 and window > 4 radius")
        if not (math.isfinite(rest_speed) and rest_speed >= 0):
            raise ValueError(f"dots: rest_speed must be >= 0 mm/s (got {rest_speed})")
        self.coherence, self.density, self.radius = float(coherence), float(density), float(radius)
        self.rest_speed = float(rest_speed)
        self.window, self.lifetime = float(window), float(lifetime)
        self.n = max(1, int(round(density * window * window)))
        self.pos = np.zeros((self.n, 2))
        self.dirs = np.zeros((self.n, 2))
        self.coherent = np.zeros(self.n, bool)
        self.origin = np.zeros(2)
        self.k = np.array([1.0, 0.0])
        self.rng = np.random.default_rng(0)

    def reset(self, rng: np.random.Generator, origin: np.ndarray, k: np.ndarray) -> None:
        self.rng = rng
        self.origin, self.k = np.asarray(origin, float).copy(), np.asarray(k, float)
        self.pos = self.origin + rng.uniform(-0.5, 0.5, (self.n, 2)) * self.window
        self._redraw(np.ones(self.n, bool))

    def _redraw(self, which: np.ndarray) -> None:
        m = int(which.sum())
        a = self.rng.uniform(0, 2 * np.pi, m)
        self.dirs[which] = np.c_[np.cos(a), np.sin(a)]
        self.coherent[which] = self.rng.uniform(size=m) < self.coherence

    def advance(self, dt: float, velocity: np.ndarray, origin: np.ndarray, k: np.ndarray,
                motion: bool = True) -> None:
        """In a motion epoch the coherent dots move with ``velocity`` (world mm/s) and the others
        along their own directions at its speed; at rest (``motion`` False) every dot moves along
        its own direction at ``rest_speed``. Then dots die and are redrawn, and the window
        re-centres on the fish's head ``origin``."""
        self.k = np.asarray(k, float)
        if motion:
            speed = float(np.hypot(*velocity))
            vdir = np.asarray(velocity, float) / speed if speed > 0 else self.k
            step = np.where(self.coherent[:, None], vdir[None, :], self.dirs) * speed * dt
        else:
            step = self.dirs * self.rest_speed * dt
        self.pos += step
        dead = self.rng.uniform(size=self.n) < dt / self.lifetime
        if dead.any():
            self.pos[dead] = np.asarray(origin) + self.rng.uniform(-0.5, 0.5, (int(dead.sum()), 2)) * self.window
            self._redraw(dead)
        self.origin = np.asarray(origin, float).copy()
        # wrap into the window around the fish (torus)
        self.pos = self.origin + (self.pos - self.origin + 0.5 * self.window) % self.window - 0.5 * self.window

    def luminance(self, points: np.ndarray) -> np.ndarray:
        p = np.asarray(points, float)
        d = p.reshape(-1, 1, 2) - self.pos[None, :, :]
        d = (d + 0.5 * self.window) % self.window - 0.5 * self.window
        inside = (d[..., 0] ** 2 + d[..., 1] ** 2).min(axis=1) <= self.radius**2
        return inside.astype(float).reshape(p.shape[:-1])

    def to_dict(self) -> dict:
        return {"kind": "dots", "coherence": self.coherence, "density_per_mm2": self.density,
                "radius_mm": self.radius, "window_mm": self.window, "lifetime_s": self.lifetime,
                "rest": "incoherent" if self.rest_speed > 0 else "static",
                "rest_speed_mm_s": self.rest_speed}
