"""A brain that cannot be built here is listed with the reason, never hidden."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from nervous_systems import brain as brain_mod
from nervous_systems.brain import BrainNotAvailable, brain_specs, make_brain, register_unavailable

REPO = Path(__file__).resolve().parents[2]


def test_unavailable_brain_is_listed_and_raises_its_reason(monkeypatch):
    monkeypatch.setattr(brain_mod, "_REGISTRY", dict(brain_mod._REGISTRY))
    register_unavailable("ghost", "celegans", "needs the ghost package (pip install ghost)")
    spec = next(s for s in brain_specs("celegans") if s.name == "ghost")
    assert spec.unavailable.startswith("needs the ghost package")
    assert "UNAVAILABLE" in spec.description
    with pytest.raises(BrainNotAvailable, match="pip install ghost"):
        make_brain("ghost", "celegans", None, None, control_dt=0.01)


def test_unavailable_never_shadows_a_working_brain(monkeypatch):
    monkeypatch.setattr(brain_mod, "_REGISTRY", dict(brain_mod._REGISTRY))
    register_unavailable("null", None, "should not replace the null brain")
    assert not next(s for s in brain_specs(None) if s.name == "null").unavailable


def test_cgym_list_shows_brains_of_an_organism_that_failed_to_import(tmp_path):
    site = tmp_path / "site"
    site.mkdir()
    (site / "sitecustomize.py").write_text(
        "import importlib.abc, sys\n"
        "class _Block(importlib.abc.MetaPathFinder):\n"
        "    def find_spec(self, name, path=None, target=None):\n"
        "        if name == 'organisms.zebrafish':\n"
        "            raise ImportError('test: zebrafish blocked')\n"
        "sys.meta_path.insert(0, _Block())\n")
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(site), str(REPO)]))
    proc = subprocess.run([sys.executable, "-m", "runners", "list"], cwd=REPO, env=env,
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr[-2000:]
    lines = proc.stdout.splitlines()
    zebra = lines[lines.index("  zebrafish:") + 1:][:3]
    assert sorted(line.split()[0] for line in zebra) == ["connectome", "reflex", "shuffled"]
    for line in zebra:
        assert "UNAVAILABLE: organisms.zebrafish failed to import" in line, proc.stdout
        assert "test: zebrafish blocked" in line
    start = lines.index("  celegans:") + 1  # the other organisms are untouched
    worm = [line for line in lines[start:start + 20] if line.startswith("    ")]
    worm = worm[:next((i for i, line in enumerate(lines[start:]) if not line.startswith("    ")),
                      len(worm))]
    assert {"connectome", "reflex", "shuffled"} <= {line.split()[0] for line in worm}
    assert not any("UNAVAILABLE" in line for line in worm)
