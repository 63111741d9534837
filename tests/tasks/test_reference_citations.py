"""Every reference entry is cited, and states its n and spread or says it is a population value."""

import glob
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
FILES = sorted(glob.glob(str(ROOT / "tasks" / "*" / "reference" / "*.yaml")))


@pytest.mark.parametrize("path", FILES, ids=[Path(f).stem for f in FILES])
def test_every_entry_is_cited_with_its_n_and_spread(path):
    lib = yaml.safe_load(Path(path).read_text())
    for e in lib["entries"]:
        src = e.get("source") or {}
        where = f"{Path(path).name}: {e['id']}"
        assert isinstance(src, dict) and src.get("citation"), f"{where}: no citation"
        if e.get("status") != "provisional":
            assert src.get("doi"), f"{where}: a non-provisional entry needs a DOI"
        kind = e.get("kind")
        if kind == "samples":
            assert e.get("values") or e.get("values_file") or e.get("samples_file"), where
        elif kind in ("normal", "lognormal", "gamma"):
            # a published summary: the number of animals and a between-animal spread
            assert e.get("n_animals"), f"{where}: no n_animals"
            assert any(k in e for k in ("sd", "sem", "gsd", "sigma", "shape")), f"{where}: no spread"
        else:
            assert kind == "population", where
