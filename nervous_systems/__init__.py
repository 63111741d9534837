"""Connectome data model, Brain protocol + registry, baseline brains (no brian2 import here)."""

from . import baselines  # noqa: F401  (registers the null and random brains)
