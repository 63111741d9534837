"""Organisms: one package per species, holding its connectome data (with provenance), its
sensorimotor bridge and the brains registered for it. Importing this package registers them.

An organism package that fails to import (a missing optional dependency, a broken install)
does not hide its brains: they are listed as unavailable with the reason
(:func:`nervous_systems.brain.register_unavailable`), and :data:`IMPORT_ERRORS` keeps the error.
"""

import importlib

from nervous_systems.brain import register_unavailable

# organism name -> package; the brains every organism package registers
_PACKAGES = {"celegans": "c_elegans", "zebrafish": "zebrafish", "drosophila": "drosophila"}
_BRAINS = ("connectome", "shuffled", "reflex")

ORGANISMS = {}
IMPORT_ERRORS: dict[str, BaseException] = {}
for _organism, _package in _PACKAGES.items():
    try:
        ORGANISMS[_organism] = importlib.import_module(f"{__name__}.{_package}")
    except Exception as _exc:  # noqa: BLE001 - reported with the brains, never hidden
        IMPORT_ERRORS[_organism] = _exc
        for _brain in _BRAINS:
            register_unavailable(_brain, _organism, f"organisms.{_package} failed to import: "
                                                    f"{type(_exc).__name__}: {_exc}")
