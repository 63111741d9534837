"""Export trajectories as WCON (Worm tracker Commons Object Notation, OpenWorm tracker-commons).

Follows ``WCON_format.md`` of github.com/openworm/tracker-commons:

* the file is one JSON object with the required keys ``units`` and ``data``;
* ``units`` is single-valued and gives units for at least ``t``, ``x`` and ``y`` (we write
  seconds and millimetres, the Tracker Commons internal units, as ``"s"`` and ``"mm"``), and
  for every other quantity we write (``ox``/``oy``/``cx``/``cy`` are not used);
* each data record has ``id`` (single-valued), ``t`` (arrayed here) and ``x``, ``y``: arrays
  of arrays, the i-th inner array being the midline at ``t[i]``, ``x[i]`` and ``y[i]`` the same
  length;
* non-finite numbers are written as ``null`` (JSON has no NaN);
* ``"head": "L"`` says the first midline point is the head (our centerlines are nose first);
* simulator-specific values go under the custom tag ``@cgym`` (not a 2–3 capital-letter lab
  code), top level and per record, with their units in ``units``;
* ``metadata`` fields used: ``timestamp`` (ISO 8601, time of t = 0), ``arena``, ``media``,
  ``strain`` / ``sex`` / ``stage`` where known, ``software`` {name, version, featureID},
  ``protocol`` (text), ``settings`` (the run's configuration, free JSON).
"""

from __future__ import annotations

import json
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import numpy as np

from .recording import atomic_write_bytes, to_jsonable

CUSTOM_TAG = "@cgym"
TIME_UNITS = {"s", "second", "seconds", "sec", "ms", "min", "h"}


def _round(a: np.ndarray, decimals: int) -> list:
    a = np.asarray(a, dtype=float)
    out = np.round(a, decimals).astype(object)
    out[~np.isfinite(a)] = None
    return out.tolist()


def trajectory_to_wcon(trajectory: dict[str, np.ndarray], worm_id: str = "1",
                       metadata: dict | None = None, task_info: dict | None = None,
                       decimals: int = 5) -> dict:
    """A WCON object (dict) for one animal's trajectory.

    ``trajectory`` needs ``t`` (T,) in s and ``centerline`` (T, K, 2) in mm, nose first;
    ``concentration`` (T,) goes into the per-record ``@cgym`` block when present.
    """
    t = np.asarray(trajectory["t"], dtype=float)
    cl = np.asarray(trajectory["centerline"], dtype=float)
    if cl.ndim != 3 or cl.shape[-1] != 2 or cl.shape[0] != t.shape[0]:
        raise ValueError(f"WCON export: centerline must be (T, K, 2) with T = len(t) = "
                         f"{t.shape[0]}, got {cl.shape}")
    units = {"t": "s", "x": "mm", "y": "mm"}
    record: dict[str, Any] = {"id": str(worm_id), "t": _round(t, 6),
                              "x": _round(cl[..., 0], decimals),
                              "y": _round(cl[..., 1], decimals), "head": "L"}
    custom: dict[str, Any] = {}
    if "concentration" in trajectory:
        custom["concentration"] = _round(np.asarray(trajectory["concentration"]), 8)
        units["concentration"] = "1"   # arbitrary (normalised) concentration units
    if custom:
        record[CUSTOM_TAG] = custom
    meta = {"timestamp": datetime.now(timezone.utc).isoformat(timespec="seconds"),
            "software": {"name": "connectome-gym", "version": _version(),
                         "featureID": CUSTOM_TAG},
            "protocol": ["simulated animal: a connectome-gym brain driving a MuJoCo body"]}
    if task_info:
        arena: dict[str, Any] = {"type": "petri (simulated)"}
        if task_info.get("plate_radius") is not None:
            arena["size"] = 2.0 * float(task_info["plate_radius"])
            units["size"] = "mm"
        meta["arena"] = arena
    meta.update(metadata or {})
    out = {"units": units, "metadata": meta, "data": [record]}
    if task_info:
        out[CUSTOM_TAG] = {"task_info": task_info}
    return to_jsonable(out)


def _version() -> str:
    from importlib import metadata
    try:
        return metadata.version("connectome-gym")
    except metadata.PackageNotFoundError:
        return "unknown"


def write_wcon(path: str | Path, trajectory: dict, **kwargs) -> Path:
    obj = trajectory_to_wcon(trajectory, **kwargs)
    problems = validate_wcon(obj)
    if problems:  # our own writer must never produce an invalid file
        raise ValueError("WCON export produced an invalid file: " + "; ".join(problems))
    path = Path(path)
    atomic_write_bytes(path, json.dumps(obj, separators=(",", ":"), allow_nan=False).encode())
    return path


def read_wcon(path: str | Path) -> dict:
    """Read a WCON file written by :func:`write_wcon` (or any WCON with arrayed ``t`` and
    nested ``x``/``y``): returns {"units", "metadata", "data": [{"id", "t" (T,),
    "centerline" (T, K, 2), ...}]}, nulls as NaN."""
    with open(path, encoding="utf-8") as f:
        obj = json.load(f)
    problems = validate_wcon(obj)
    if problems:
        raise ValueError(f"{path}: not valid WCON: " + "; ".join(problems))
    data = obj["data"] if isinstance(obj["data"], list) else [obj["data"]]
    recs = []
    for rec in data:
        t = np.atleast_1d(np.array(rec["t"], dtype=float))
        x = np.array(rec["x"], dtype=float).reshape(len(t), -1)
        y = np.array(rec["y"], dtype=float).reshape(len(t), -1)
        out = {"id": rec["id"], "t": t, "centerline": np.stack([x, y], axis=-1)}
        for k, v in (rec.get(CUSTOM_TAG) or {}).items():
            out[k] = np.array(v, dtype=float)
        recs.append(out)
    return {"units": obj["units"], "metadata": obj.get("metadata", {}), "data": recs}


def validate_wcon(obj: Any) -> list[str]:
    """Problems with ``obj`` as a WCON object per WCON_format.md (empty list: valid)."""
    p: list[str] = []
    if not isinstance(obj, dict):
        return ["a WCON file must hold a single JSON object"]
    for key in ("units", "data"):
        if key not in obj:
            p.append(f"missing required key {key!r}")
    units = obj.get("units")
    if units is not None:
        if not isinstance(units, dict):
            p.append("'units' must be a single object")
        else:
            for k in ("t", "x", "y"):
                if not isinstance(units.get(k), str):
                    p.append(f"'units' must give a string unit for {k!r}")
            for k, v in units.items():
                if not isinstance(v, str):
                    p.append(f"unit of {k!r} must be a string")
    if "metadata" in obj and not isinstance(obj["metadata"], dict):
        p.append("'metadata' must be an object")
    data = obj.get("data")
    if data is None:
        return p
    records = data if isinstance(data, list) else [data]
    for i, rec in enumerate(records):
        where = f"data[{i}]"
        if not isinstance(rec, dict):
            p.append(f"{where} must be an object")
            continue
        for k in ("id", "t", "x", "y"):
            if k not in rec:
                p.append(f"{where} misses required key {k!r}")
        if not all(k in rec for k in ("t", "x", "y")):
            continue
        if "id" in rec and (not isinstance(rec["id"], (str, int, float))
                            or isinstance(rec["id"], bool)):
            p.append(f"{where}.id must be a single JSON number or string")
        t, x, y = rec["t"], rec["x"], rec["y"]
        if isinstance(t, list):
            if not t:
                p.append(f"{where}.t must not be empty")
            if not (isinstance(x, list) and isinstance(y, list)) or len(x) != len(t) \
                    or len(y) != len(t):
                p.append(f"{where}: arrayed t needs x and y arrays of the same length as t")
                continue
            for j, (xi, yi) in enumerate(zip(x, y)):
                xi = xi if isinstance(xi, list) else [xi]
                yi = yi if isinstance(yi, list) else [yi]
                if len(xi) != len(yi):
                    p.append(f"{where}: x[{j}] and y[{j}] differ in size")
                    break
                if not all(v is None or _is_num(v) for v in xi + yi):
                    p.append(f"{where}: x[{j}]/y[{j}] must hold numbers or null")
                    break
            if not all(v is None or _is_num(v) for v in t):
                p.append(f"{where}.t must hold numbers")
        else:
            if not _is_num(t):
                p.append(f"{where}.t must be a number or an array of numbers")
            xs = x if isinstance(x, list) else [x]
            ys = y if isinstance(y, list) else [y]
            if len(xs) != len(ys):
                p.append(f"{where}: x and y must be the same size")
        for k in rec:
            if k not in ("id", "t", "x", "y", "head", "ventral") and not k.startswith("@") \
                    and units is not None and isinstance(units, dict) and k not in units \
                    and k in ("ox", "oy", "cx", "cy"):
                p.append(f"{where}: {k!r} used without a unit in 'units'")
        if "head" in rec and rec["head"] not in ("L", "R", "?", None) \
                and not isinstance(rec["head"], list):
            p.append(f"{where}.head must be 'L', 'R' or '?'")
    return p


def _is_num(v: Any) -> bool:
    return isinstance(v, (int, float)) and not isinstance(v, bool)
