"""Larval zebrafish body (5–7 dpf, 4 mm): rigid head with eyes and yolk, 12-joint tail, 24 muscles,
resistive + reactive water forces. mm–mg–s units.

    from bodies.larva import LarvaBody, MUSCLE_NAMES, N_JOINTS, travelling_wave, bout
    body = LarvaBody()
    body.reset(position=(0, 0), heading=0.0)
    body.step(activation, n_steps=10)        # activation (24,) in [0, 1], [L01..L12, R01..R12]

See README.md in this folder for geometry, parameters, provenance and calibration figures.
"""

from .eyes import EYE_GRID_X_MM, EYE_GRID_Y_MM, eye_grid

_LAZY = {"LarvaBody": "body", "MUSCLE_NAMES": "body", "N_JOINTS": "body", "bout": "patterns",
         "travelling_wave": "patterns"}


def __getattr__(name):  # the body needs MuJoCo; the eye geometry does not (a brain's retina imports it)
    if name in _LAZY:
        import importlib

        return getattr(importlib.import_module(f"{__name__}.{_LAZY[name]}"), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")

__all__ = ["EYE_GRID_X_MM", "EYE_GRID_Y_MM", "LarvaBody", "MUSCLE_NAMES", "N_JOINTS", "bout", "eye_grid",
           "travelling_wave"]
