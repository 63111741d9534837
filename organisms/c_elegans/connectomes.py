"""The C. elegans connectomes shipped with the project (extracted from cect; see data/README.md).

>>> from organisms.c_elegans.connectomes import load_connectome
>>> c = load_connectome()            # Cook et al. 2019 hermaphrodite, the default
>>> c.resolve("AIY")
['AIYL', 'AIYR']

``load_connectome`` caches per dataset (functools.lru_cache): repeated calls return the *same*
:class:`Connectome` object. Treat it as read-only; to change edges use
``Connectome.with_edges`` (which copies) or ``copy.deepcopy(load_connectome(...))``.
"""

from __future__ import annotations

import difflib
import functools
from pathlib import Path

from nervous_systems.yaml_file import load_yaml

from nervous_systems.connectome import Connectome, ConnectomeIntegrityError, verify_counts, verify_files

DATA_DIR = Path(__file__).resolve().parent / "data"
_REL = "organisms/c_elegans/data/"
DEFAULT = "cook2019_herm"

DATASETS: dict[str, dict] = {
    "cook2019_herm": {
        "neurons": "cook2019_herm_neurons.csv",
        "edges": "cook2019_herm_edges.csv",
        "citation": "Cook SJ et al. (2019) Whole-animal connectomes of both Caenorhabditis elegans "
                    "sexes. Nature 571:63-71. doi:10.1038/s41586-019-1352-7",
    },
    "witvliet2021_adult": {
        "neurons": "witvliet2021_adult_neurons.csv",
        "edges": "witvliet2021_adult_edges.csv",
        "citation": "Witvliet D et al. (2021) Connectomes across development reveal principles of "
                    "brain maturation. Nature 596:257-261. doi:10.1038/s41586-021-03778-8 "
                    "(dataset 8, adult; nerve ring only)",
    },
    "varshney2011": {
        "neurons": "varshney2011_neurons.csv",
        "edges": "varshney2011_edges.csv",
        "citation": "Varshney LR et al. (2011) Structural properties of the Caenorhabditis elegans "
                    "neuronal network. PLoS Comput Biol 7:e1001066. doi:10.1371/journal.pcbi.1001066",
    },
}


def available_connectomes() -> list[str]:
    """Names accepted by :func:`load_connectome` (the default first)."""
    return [DEFAULT] + sorted(n for n in DATASETS if n != DEFAULT)


@functools.lru_cache(maxsize=1)
def _provenance() -> dict:
    path = DATA_DIR / "provenance.yaml"
    return load_yaml(path) if path.exists() else {}


def _check_name(name: str) -> str:
    if name in DATASETS:
        return name
    key = str(name).strip().lower().replace("-", "_").replace(" ", "_")
    if key in DATASETS:
        return key
    close = difflib.get_close_matches(key, list(DATASETS), n=1, cutoff=0.4)
    hint = f" Did you mean {close[0]!r}?" if close else ""
    raise ValueError(f"unknown C. elegans connectome {name!r}; available: "
                     f"{', '.join(available_connectomes())}.{hint}")


def load_connectome(name: str = DEFAULT) -> Connectome:
    """Load a shipped C. elegans connectome by dataset name (cached; treat as read-only)."""
    return _load(_check_name(name))


@functools.lru_cache(maxsize=None)
def _load(name: str) -> Connectome:
    spec = DATASETS[name]
    prov_all = _provenance()
    ds = dict(prov_all.get("datasets", {}).get(name, {}))
    provenance = {
        "organism": "Caenorhabditis elegans",
        "dataset": name,
        "citation": spec["citation"],
        "cect_version": prov_all.get("cect_version"),
        "neurotransmitters": prov_all.get("neurotransmitters"),
        "glutamate_sign": prov_all.get("glutamate_sign"),
        "position": prov_all.get("position"),
        **{k: ds[k] for k in ("paper", "doi", "cect_reader", "weights", "notes", "files", "counts") if k in ds},
    }
    # the shipped files must be the pinned ones: a truncated CSV would otherwise load "ok"
    restore = (f"restore the shipped files with `git checkout -- {_REL}` (source checkout) or "
               f"reinstall connectome-gym; to regenerate them on purpose run "
               f"`python -m organisms.c_elegans.tools.extract_cect` (rewrites provenance.yaml)")
    pinned = ds.get("files") or {}
    for key in ("neurons", "edges"):
        if spec[key] not in pinned:
            raise ConnectomeIntegrityError(f"no sha256 pinned for {spec[key]} in provenance.yaml; "
                                           f"{restore}", DATA_DIR / "provenance.yaml")
    verify_files({DATA_DIR / f: pinned[f] for f in (spec["neurons"], spec["edges"])}, restore)
    connectome = Connectome.from_csv(DATA_DIR / spec["neurons"], DATA_DIR / spec["edges"], name=name,
                                     provenance=provenance)
    verify_counts(connectome, ds.get("counts") or {}, restore)
    return connectome
