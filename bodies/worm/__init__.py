"""C. elegans body: a planar MuJoCo chain with 95 body-wall muscles and a resistive medium.

    from bodies.worm import WormBody, MUSCLE_NAMES
    body = WormBody(medium="agar")          # or "water"
    body.reset(position=(0, 0), heading=0.0)
    body.step(activation, n_steps=5)         # activation: (95,) in [0, 1], MUSCLE_NAMES order

See README.md in this folder for geometry, units, parameter sources and calibration figures.
"""

from .body import MEDIA, MUSCLE_NAMES, N_MUSCLES, WormBody
from .patterns import travelling_wave

__all__ = ["MEDIA", "MUSCLE_NAMES", "N_MUSCLES", "WormBody", "travelling_wave"]
