"""The chemotaxis plate: a round agar plate with an NaCl concentration field (mM, mm)."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field

import numpy as np

GRADIENT_SHAPES = ("gaussian", "linear")


@dataclass(frozen=True)
class ChemotaxisArena:
    """Plate geometry and NaCl field. Positions in mm, concentrations in mM.

    gaussian: c(p) = baseline + (peak_concentration - baseline) * exp(-|p - peak|² / (2 sigma²))
    linear:   c(p) = max(0, peak_concentration - slope * (peak - p)·u), u = unit vector from the
              start position to the peak (a ramp rising towards, and past, the peak).
    """

    gradient: str = "gaussian"
    peak_position: tuple[float, float] = (5.0, 0.0)
    peak_concentration: float = 100.0
    sigma: float = 4.0
    slope: float = 10.0
    baseline: float = 0.0
    plate_radius: float = 30.0
    plate_center: tuple[float, float] = (0.0, 0.0)
    start_position: tuple[float, float] = (0.0, 0.0)
    zone_radius: float = 2.0
    _u: np.ndarray = field(init=False, repr=False, compare=False)

    def __post_init__(self):
        if self.gradient not in GRADIENT_SHAPES:
            raise ValueError(f"gradient must be one of {GRADIENT_SHAPES}, got {self.gradient!r}")
        for name in ("sigma", "plate_radius", "zone_radius"):
            if not getattr(self, name) > 0:
                raise ValueError(f"{name} must be > 0 (got {getattr(self, name)})")
        if self.slope < 0 or self.peak_concentration < 0 or self.baseline < 0:
            raise ValueError("slope, peak_concentration and baseline must be >= 0")
        d = np.asarray(self.peak_position, float) - np.asarray(self.start_position, float)
        n = float(np.hypot(*d))
        object.__setattr__(self, "_u", d / n if n > 0 else np.array([1.0, 0.0]))

    # -- field -------------------------------------------------------------------------------
    def concentration(self, points) -> np.ndarray | float:
        """NaCl concentration (mM) at (..., 2) points in mm."""
        p = np.asarray(points, dtype=float)
        d = np.asarray(self.peak_position) - p
        if self.gradient == "gaussian":
            r2 = np.sum(d * d, axis=-1)
            c = self.baseline + (self.peak_concentration - self.baseline) * np.exp(-r2 / (2 * self.sigma**2))
        else:
            c = np.maximum(0.0, self.peak_concentration - self.slope * (d @ self._u))
        return float(c) if np.ndim(c) == 0 else c

    def max_concentration(self) -> float:
        """Upper bound of the field on the plate."""
        if self.gradient == "gaussian":
            return float(max(self.peak_concentration, self.baseline))
        far = np.asarray(self.plate_center) + self.plate_radius * self._u
        return float(max(self.peak_concentration, self.concentration(far)))

    # -- zones (Bargmann-style chemotaxis index) ------------------------------------------------
    @property
    def target_zone(self) -> tuple[float, float]:
        return tuple(map(float, self.peak_position))

    @property
    def control_zone(self) -> tuple[float, float]:
        """The target zone mirrored through the start position."""
        s, p = np.asarray(self.start_position, float), np.asarray(self.peak_position, float)
        return tuple(map(float, 2 * s - p))

    def distance_to_wall(self, points) -> np.ndarray | float:
        p = np.asarray(points, dtype=float)
        r = np.linalg.norm(p - np.asarray(self.plate_center), axis=-1)
        out = self.plate_radius - r
        return float(out) if np.ndim(out) == 0 else out

    def to_dict(self) -> dict:
        d = {k: v for k, v in asdict(self).items() if not k.startswith("_")}
        d = {k: (list(map(float, v)) if isinstance(v, tuple) else v) for k, v in d.items()}
        d["units"] = {"length": "mm", "concentration": "mM (NaCl)"}
        d["zones"] = {
            "target": {"center": list(self.target_zone), "radius": float(self.zone_radius)},
            "control": {"center": list(self.control_zone), "radius": float(self.zone_radius)},
            "chemotaxis_index": "(N_target - N_control) / (N_target + N_control), Bargmann & Horvitz 1991 style",
        }
        d["direction_to_peak"] = [float(x) for x in self._u]
        return d
