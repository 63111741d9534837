"""The stimulus schedule of the optomotor task: a CSV table of rest and motion epochs
(``schedules/README.md``), validated with errors that name the file and row.

The stimuli themselves (grating, random dots) are in :mod:`tasks.visual_stimuli`.
"""

from __future__ import annotations

import csv
import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np

SCHEDULE_DIR = Path(__file__).resolve().parent / "schedules"
COLUMNS = ("start_s", "end_s", "motion", "direction_deg", "speed_mm_s")


class ScheduleError(ValueError):
    """A schedule table is malformed (the message names the file and row)."""


@dataclass(frozen=True)
class Epoch:
    start_s: float
    end_s: float
    motion: bool
    direction_deg: float
    speed_mm_s: float

    def to_dict(self) -> dict:
        return {"start_s": self.start_s, "end_s": self.end_s, "motion": int(self.motion),
                "direction_deg": self.direction_deg, "speed_mm_s": self.speed_mm_s}


class Schedule:
    """Epochs of rest and motion; ``at(t)`` gives the epoch in force at time t."""

    def __init__(self, epochs: list[Epoch], source: str = "<table>"):
        if not epochs:
            raise ScheduleError(f"{source}: the schedule has no rows")
        self.epochs = tuple(epochs)
        self.source = source
        self._starts = np.array([e.start_s for e in epochs])

    @classmethod
    def load(cls, name_or_path: str | Path) -> "Schedule":
        p = Path(name_or_path)
        if not p.suffix:
            p = p.with_suffix(".csv")
        if not p.exists() and (SCHEDULE_DIR / p.name).exists():
            p = SCHEDULE_DIR / p.name
        if not p.exists():
            known = ", ".join(sorted(q.stem for q in SCHEDULE_DIR.glob("*.csv")))
            raise ScheduleError(f"schedule {name_or_path!r} not found (bundled: {known})")
        with open(p, newline="") as fh:
            rows = list(csv.DictReader(fh))
            header = rows[0].keys() if rows else []
        missing = [c for c in COLUMNS if c not in header]
        if missing:
            raise ScheduleError(f"{p}: missing column(s) {missing}; expected {','.join(COLUMNS)}")
        return cls.from_rows(rows, source=str(p))

    @classmethod
    def from_rows(cls, rows: list[dict], source: str = "<table>") -> "Schedule":
        epochs = []
        for i, r in enumerate(rows):
            where = f"{source}, row {i + 2}"  # +1 header, +1 one-based
            try:
                e = Epoch(float(r["start_s"]), float(r["end_s"]), bool(int(float(r["motion"]))),
                          float(r["direction_deg"]), float(r["speed_mm_s"]))
            except (KeyError, TypeError, ValueError) as exc:
                raise ScheduleError(f"{where}: cannot read {dict(r)} ({exc})") from None
            vals = (e.start_s, e.end_s, e.direction_deg, e.speed_mm_s)
            if not all(math.isfinite(v) for v in vals):
                raise ScheduleError(f"{where}: non-finite value")
            if e.end_s <= e.start_s:
                raise ScheduleError(f"{where}: end_s ({e.end_s}) must be > start_s ({e.start_s})")
            if e.speed_mm_s < 0:
                raise ScheduleError(f"{where}: speed_mm_s must be >= 0 (got {e.speed_mm_s})")
            expected = 0.0 if not epochs else epochs[-1].end_s
            if abs(e.start_s - expected) > 1e-9:
                raise ScheduleError(f"{where}: start_s {e.start_s} leaves a gap/overlap (expected {expected})")
            epochs.append(e)
        return cls(epochs, source)

    @property
    def duration(self) -> float:
        return self.epochs[-1].end_s

    def at(self, t: float) -> Epoch:
        i = int(np.searchsorted(self._starts, t, side="right")) - 1
        return self.epochs[min(max(i, 0), len(self.epochs) - 1)]

    def motion_speed(self) -> float:
        """The median speed of the motion epochs (mm/s; 0 when there are none)."""
        v = [e.speed_mm_s for e in self.epochs if e.motion]
        return float(np.median(v)) if v else 0.0

    def motion_onsets(self) -> list[float]:
        out, prev = [], False
        for e in self.epochs:
            if e.motion and not prev:
                out.append(e.start_s)
            prev = e.motion
        return out

    def mirrored(self) -> "Schedule":
        return Schedule([Epoch(e.start_s, e.end_s, e.motion, -e.direction_deg if e.direction_deg not in (0.0, 180.0, -180.0) else e.direction_deg, e.speed_mm_s)
                         for e in self.epochs], self.source + " (mirrored)")

    def to_list(self) -> list[dict]:
        return [e.to_dict() for e in self.epochs]
