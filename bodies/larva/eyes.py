"""Where the larva's eyes look: the sample points of each eye's lower visual field (fish frame).

A property of the body (eye position and field of view), shared by every task that shows the
larva a floor pattern and by every brain that needs the retinal layout: 4 x 4 points per eye on
the floor, fish frame (origin = head centre of mass, x forward, y left), 2 mm apart along x
(-3..3 mm) and laterally 1..7 mm from the midline; index k = iy * 4 + ix (ix: caudal -> rostral,
iy: near -> far from the midline); eye 0 = left.
"""

from __future__ import annotations

import numpy as np

EYE_GRID_X_MM = (-3.0, -1.0, 1.0, 3.0)
EYE_GRID_Y_MM = (1.0, 3.0, 5.0, 7.0)


def eye_grid() -> np.ndarray:
    """(2, 16, 2) sample points in mm, fish frame: [left eye, right eye]."""
    gx, gy = np.meshgrid(EYE_GRID_X_MM, EYE_GRID_Y_MM)  # (iy, ix)
    left = np.stack([gx.ravel(), gy.ravel()], axis=-1)
    right = left * np.array([1.0, -1.0])
    return np.stack([left, right])
