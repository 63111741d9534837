"""Organisms: one package per species, holding its connectome data (with provenance), its
sensorimotor bridge and the brains registered for it. Importing this package registers them."""

from . import c_elegans  # noqa: F401
from . import drosophila  # noqa: F401

ORGANISMS = {"celegans": c_elegans, "drosophila": drosophila}
