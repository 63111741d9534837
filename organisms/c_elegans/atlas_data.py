"""The C. elegans signal propagation atlas (Randi et al. 2023), read from the installed package.

Source: Randi, Sharma, Dvali & Leifer 2023, "Neural signal propagation atlas of Caenorhabditis
elegans", Nature 623:406–414, doi:10.1038/s41586-023-06683-4. Single neurons of immobilised
animals were stimulated optogenetically (GUR-3/PRDX-2, two-photon targeted) one at a time while
every head neuron was imaged (nuclear GCaMP6s). The compiled atlas ships in the PyPI package
``wormneuroatlas`` (F. Randi, GPL-3; file ``wormneuroatlas/data/funatlas.h5``, compiled
2023-06-28). It is read from the installed package, never copied into this repository: install
the ``neural`` extra (``pip install -e ".[neural]"``).

File layout (one group per strain, ``wt`` and ``unc31``; matrices are [responder, stimulated],
i.e. entry (i, j) is the response of neuron i to stimulation of neuron j, as in the package's
``NeuroAtlas.get_kernel`` "pair i<-j"):

``dFF``      mean ΔF/F0 over trials; per trial, the mean of (F − F0)/F0 over the 30 s after the
             stimulus, F0 the pre-stimulus mean (``pumpprobe.Funatlas.get_deltaFoverF``,
             ``interval=(0, 30)``, leiferlab/pumpprobe, the analysis code of the paper);
``dFF_all``  every trial's ΔF/F0 (object array of 1-D arrays);
``occ1``     number of observations; ``q`` q-value of the connection (q < 0.05: functional
             connection); autoresponses (diagonal) are the stimulated neurons themselves.

Neuron names: the atlas writes numbered motor neurons without zero padding (``VB2``; Cook 2019:
``VB02``) and AWC by its functional asymmetry (``AWCON``/``AWCOF``) instead of its side; the
atlas authors' own convention maps AWCOFF → AWCL and AWCON → AWCR (``pumpprobe.Funatlas``), which
we follow. CANL/CANR are not in the atlas.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

import numpy as np

CITATION = ("Randi F, Sharma AK, Dvali S, Leifer AM (2023) Neural signal propagation atlas of "
            "Caenorhabditis elegans. Nature 623:406-414, doi:10.1038/s41586-023-06683-4")
DOI = "10.1038/s41586-023-06683-4"
PACKAGE = "wormneuroatlas"
LICENCE = "GPL-3.0 (wormneuroatlas package by F. Randi; data read from the installed package, not redistributed)"
STRAINS = {"wt": "wild type", "unc31": "unc-31 (no dense-core-vesicle release)"}
INSTALL_HINT = 'pip install -e ".[neural]"  (installs wormneuroatlas, GPL-3, and h5py)'
AWC_TO_COOK = {"AWCOF": "AWCL", "AWCOFF": "AWCL", "AWCON": "AWCR"}
_NUMBERED = re.compile(r"^(AS|DA|DB|DD|VA|VB|VC|VD)(\d{1,2})$")


class AtlasNotInstalled(ImportError):
    """The atlas package (``wormneuroatlas``) or h5py is missing."""


def atlas_to_cook(name: str) -> str:
    """Atlas neuron id → Cook 2019 name (``VB2`` → ``VB02``, ``AWCON`` → ``AWCR``)."""
    if name in AWC_TO_COOK:
        return AWC_TO_COOK[name]
    m = _NUMBERED.match(name)
    return f"{m.group(1)}{int(m.group(2)):02d}" if m else name


def funatlas_path() -> Path:
    """Path of ``funatlas.h5`` inside the installed ``wormneuroatlas`` package."""
    import importlib.util
    spec = importlib.util.find_spec(PACKAGE)
    if spec is None or not spec.submodule_search_locations:
        raise AtlasNotInstalled(f"the signal propagation atlas needs the '{PACKAGE}' package: "
                                f"{INSTALL_HINT}")
    path = Path(list(spec.submodule_search_locations)[0]) / "data" / "funatlas.h5"
    if not path.exists():
        raise AtlasNotInstalled(f"{PACKAGE} is installed but has no {path}; reinstall it: {INSTALL_HINT}")
    return path


def atlas_available() -> tuple[bool, str]:
    """(True, "") when the atlas can be read, else (False, reason with the install command)."""
    try:
        funatlas_path()
        import h5py  # noqa: F401
    except AtlasNotInstalled as exc:
        return False, str(exc)
    except ImportError:
        return False, f"reading the atlas needs h5py: {INSTALL_HINT}"
    return True, ""


@dataclass(frozen=True)
class AtlasStrain:
    """One strain of the atlas on Cook 2019 names; matrices are [responder, stimulated]."""
    strain: str
    names: tuple[str, ...]          # Cook 2019 names, atlas order
    atlas_ids: tuple[str, ...]      # the atlas's own ids
    dff: np.ndarray                 # (N, N) mean ΔF/F0, NaN where not measured
    trials: np.ndarray              # (N, N) object: per-trial ΔF/F0 arrays
    q: np.ndarray                   # (N, N) q-values, NaN where not tested
    n_obs: np.ndarray               # (N, N) number of trials with a value
    source: dict = field(default_factory=dict)

    @property
    def measured(self) -> np.ndarray:
        """Off-diagonal pairs with a measured mean response."""
        return np.isfinite(self.dff) & ~np.eye(len(self.names), dtype=bool)

    @property
    def significant(self) -> np.ndarray:
        return self.measured & (np.nan_to_num(self.q, nan=1.0) < 0.05)

    @property
    def stimulated(self) -> list[str]:
        """Neurons stimulated at least once with a measured response (Cook names, atlas order)."""
        cols = self.measured.any(axis=0)
        return [n for n, c in zip(self.names, cols) if c]

    def index(self, name: str) -> int:
        return self.names.index(name)


@lru_cache(maxsize=4)
def load_atlas(strain: str = "wt") -> AtlasStrain:
    """Read one strain (``wt`` or ``unc31``) of ``funatlas.h5`` from the installed package."""
    if strain not in STRAINS:
        raise ValueError(f"unknown atlas strain {strain!r}; choose one of {', '.join(STRAINS)}")
    path = funatlas_path()
    try:
        import h5py
    except ImportError:
        raise AtlasNotInstalled(f"reading {path} needs h5py: {INSTALL_HINT}") from None
    with h5py.File(path, "r") as f:
        ids = tuple(x.decode() for x in f["neuron_ids"][:])
        g = f[strain]
        dff = np.asarray(g["dFF"][:], float)
        q = np.asarray(g["q"][:], float)
        raw = g["dFF_all"][:]
        compiled = f.attrs.get("time_compiled", b"")
    names = tuple(atlas_to_cook(i) for i in ids)
    if len(set(names)) != len(names):
        raise ValueError(f"{path}: atlas ids map to duplicate Cook 2019 names")
    trials = np.empty(raw.shape, dtype=object)
    n_obs = np.zeros(raw.shape, int)
    for (i, j), arr in np.ndenumerate(raw):
        a = np.asarray(arr, float).ravel()
        a = a[np.isfinite(a)]
        trials[i, j] = a
        n_obs[i, j] = a.size
    import hashlib
    sha = hashlib.sha256(path.read_bytes()).hexdigest()
    source = {"file": str(path), "sha256": sha, "package": PACKAGE, "package_version": _version(),
              "compiled": compiled.decode() if isinstance(compiled, bytes) else str(compiled),
              "citation": CITATION, "licence": LICENCE}
    return AtlasStrain(strain, names, ids, dff, trials, q, n_obs, source)


def _version() -> str:
    from importlib import metadata
    try:
        return metadata.version(PACKAGE)
    except metadata.PackageNotFoundError:
        return "unknown"
