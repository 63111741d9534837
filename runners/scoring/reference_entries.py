"""Reading a reference library's entries (shared by the scorecard and its figures)."""

from __future__ import annotations

from typing import Any, Callable

import numpy as np


def entry_field(entry: Any, name: str, default=None):
    """An entry attribute, else a key of ``entry.params`` (tasks.reference keeps kind-specific
    values there: ``values`` for samples, ``value``/``interval``/``threshold`` for
    population entries), else a dict key."""
    if name == "samples":
        v = getattr(entry, "samples", None)
        if v is None:
            v = (getattr(entry, "params", None) or {}).get("values")
        return v if v is not None else default
    if hasattr(entry, name) and not isinstance(entry, dict):
        v = getattr(entry, name)
        if v is not None:
            return v
    params = getattr(entry, "params", None)
    if isinstance(params, dict) and name in params:
        return params[name]
    if isinstance(entry, dict):
        return entry.get(name, default)
    return default


def reference_entries(lib) -> list:
    entries = getattr(lib, "entries", lib)
    if isinstance(entries, dict):
        return list(entries.values())
    return list(entries)


def reference_drawer(entry: Any) -> tuple[Callable[[int, np.random.Generator], np.ndarray], int | None]:
    """draw(k, rng) → k reference animals; and the number of real animals (None: parametric).

    ``samples`` entries draw without replacement while k ≤ N (with replacement beyond);
    other entries use ``entry.sample(k, rng)``."""
    samples = entry_field(entry, "samples")
    if samples is not None and len(samples):
        arr = np.asarray(samples, float)

        def draw(k, rng, _arr=arr):
            idx = rng.choice(_arr.shape[0], size=k, replace=k > _arr.shape[0])
            return _arr[idx]
        return draw, int(arr.shape[0])

    def draw(k, rng, _e=entry):
        return np.asarray(_e.sample(k, rng), float)
    return draw, None
