"""Geometry of a worm centreline: tangent angles, curvature, body axis, axial velocity.

One place for the quantities every analysis of the worm's posture and path reads (the chemotaxis
features, the run plots, the worm's diagnostic tools). A centreline is a (T, K, 2) array in mm,
K points from the nose to the tail (``WormBody.centerline()``), or one (K, 2) frame.

Sign conventions (the body's, ``bodies/worm/body.py``): with the points ordered nose to tail, the
curvature d(psi)/ds > 0 is a **ventral** bend (the ventral side is each segment's local -y); a
ventral turn of the nose turns the heading clockwise. The body axis points from the mean of the
tail third to the mean of the head third; its heading is counter-clockwise from +x.
"""

from __future__ import annotations

import numpy as np

__all__ = ["as_frames", "axial_velocity", "axis_heading_deg", "axis_unit", "axis_vector",
           "curvature", "curvature_from_angles", "tangent_angles"]


def as_frames(centerline) -> np.ndarray:
    """(T, K, 2) float array from a (T, K, 2) or (K, 2) centreline; a clear error otherwise."""
    cl = np.asarray(centerline, float)
    if cl.ndim == 2:
        cl = cl[None]
    if cl.ndim != 3 or cl.shape[2] != 2 or cl.shape[1] < 3:
        raise ValueError(f"centreline of shape {np.shape(centerline)}: expected (T, K, 2) or (K, 2), K >= 3")
    return cl


def tangent_angles(centerline) -> tuple[np.ndarray, np.ndarray]:
    """Tangent angles psi (T, K-1) in rad, unwrapped along the body, and segment lengths (T, K-1)."""
    cl = as_frames(centerline)
    seg = np.diff(cl, axis=1)
    seglen = np.linalg.norm(seg, axis=2)
    psi = np.unwrap(np.arctan2(seg[..., 1], seg[..., 0]), axis=1)
    return psi, seglen


def curvature_from_angles(psi: np.ndarray, seglen: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Curvature (T, K-2) in 1/mm at the interior points (+ = ventral; a degenerate point, where two
    points coincide, gives 0) and their arc-length positions (K-2,) as a fraction of the body length
    (median over frames; evenly spaced if undefined)."""
    ds = 0.5 * (seglen[:, 1:] + seglen[:, :-1])
    with np.errstate(divide="ignore", invalid="ignore"):
        kappa = np.diff(psi, axis=1) / ds
    kappa = np.where(np.isfinite(kappa), kappa, 0.0)
    s = np.concatenate([np.zeros((seglen.shape[0], 1)), np.cumsum(seglen, axis=1)], axis=1)
    with np.errstate(divide="ignore", invalid="ignore"):
        frac = np.nanmedian(s[:, 1:-1] / s[:, -1:], axis=0)
    if not np.all(np.isfinite(frac)):
        frac = np.linspace(0, 1, seglen.shape[1] + 1)[1:-1]
    return kappa, frac


def curvature(centerline) -> tuple[np.ndarray, np.ndarray]:
    """:func:`curvature_from_angles` of a centreline: (kappa (T, K-2) 1/mm, frac (K-2,))."""
    return curvature_from_angles(*tangent_angles(centerline))


def axis_vector(centerline) -> np.ndarray:
    """(T, 2) body axis: mean of the head third minus mean of the tail third (mm)."""
    cl = as_frames(centerline)
    k3 = max(1, cl.shape[1] // 3)
    return cl[:, :k3].mean(axis=1) - cl[:, -k3:].mean(axis=1)


def axis_unit(centerline) -> np.ndarray:
    """(T, 2) unit body axis (0 where the axis has no length)."""
    ax = axis_vector(centerline)
    norm = np.linalg.norm(ax, axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        unit = ax / norm[:, None]
    return np.where(np.isfinite(unit), unit, 0.0)


def axis_heading_deg(centerline, unwrap: bool = False) -> np.ndarray:
    """(T,) heading of the body axis in degrees (counter-clockwise from +x), in (-180, 180] or,
    with ``unwrap``, continuous over time."""
    ax = axis_vector(centerline)
    ang = np.arctan2(ax[:, 1], ax[:, 0])
    return np.rad2deg(np.unwrap(ang) if unwrap else ang)


def axial_velocity(t, centerline) -> np.ndarray:
    """(T,) centroid velocity projected on the unit body axis (mm/s; + = towards the head)."""
    cl = as_frames(centerline)
    vel = np.gradient(cl.mean(axis=1), np.asarray(t, float), axis=0)
    return np.einsum("ij,ij->i", vel, axis_unit(cl))
