"""`cgym atlas`: the stimulation protocol on the worm connectome brain, scoring, CLI errors."""

import numpy as np
import pytest

from organisms.c_elegans.atlas_data import atlas_available
from runners.execution import atlas as atlas_mod
from runners.scoring import atlas_card
from runners import cli

AVAILABLE, WHY = atlas_available()
needs_atlas = pytest.mark.skipif(not AVAILABLE, reason=WHY)


class _NoStimBrain:
    def reset(self, seed=None): ...
    def act(self, obs): return np.zeros(1)


def test_brain_without_stimulate_is_not_applicable():
    r = atlas_mod.run_protocol(_NoStimBrain(), "nostim", {}, ["A"], ["A"], atlas_mod.ProtocolConfig())
    assert r.status == "not applicable" and "stimulate" in r.reason


def test_missing_atlas_package_says_how_to_install(monkeypatch, capsys):
    from organisms.c_elegans import atlas_data

    def missing(strain="wt"):
        raise atlas_data.AtlasNotInstalled(f"needs 'wormneuroatlas': {atlas_data.INSTALL_HINT}")
    monkeypatch.setattr(atlas_data, "load_atlas", missing)
    assert cli.main(["atlas", "celegans", "--no-progress"]) == 2
    assert "pip install -e \".[neural]\"" in capsys.readouterr().err


def test_unknown_organism_is_a_usage_error(capsys):
    assert cli.main(["atlas", "zebrafish", "--no-progress"]) == 2
    assert "celegans" in capsys.readouterr().err


@needs_atlas
def test_unknown_stimulated_neuron_suggests(capsys):
    assert cli.main(["atlas", "celegans", "--stimulate", "AVALL", "--no-progress"]) == 2
    assert "AVAL" in capsys.readouterr().err


@needs_atlas
def test_reduced_protocol_on_connectome(tmp_path):
    stim = ["AVAL", "ASHL", "RID"]
    card = atlas_mod.score_atlas("connectome", out_dir=tmp_path, stimulate=stim, controls=False,
                                 ceiling_reps=1, figures=False, progress=False, log=lambda *_: None)
    cols = {c["name"]: c for c in card.columns}
    assert cols["connectome"]["status"] == "ok"
    data = np.load(tmp_path / "responses.npz")
    names = list(data["names"])
    resp = data["response_connectome"]
    js = [names.index(n) for n in stim]
    # each stimulated neuron responds to its own pulse; unstimulated columns stay empty
    assert all(resp[j, j] > 0.01 for j in js)
    others = [k for k in range(len(names)) if k not in js]
    assert np.isnan(resp[:, others]).all() and np.isfinite(resp[:, js]).all()
    # the network is back at rest before the next pulse (so epochs are independent)
    p = card.protocol["connectome"]
    assert p["residual_mV"] < 0.02 * p["peak_mV"]
    for s in ("wt", "unc31"):
        sc = cols["connectome"]["scores"][s]
        assert sc["n_pairs"] > 100 and 0.0 <= sc["auroc"] <= 1.0
        assert cols["null"]["scores"][s]["auroc"] == 0.5
    assert (tmp_path / "atlas.md").read_text().count("|") > 20
    # the same folder becomes the neural section of a behavioural scorecard
    sec = atlas_card.atlas_section(tmp_path)
    assert sec["brain"] == "connectome" and "| metric · strain |" in sec["markdown"]
    assert not sec["markdown"].startswith("# ")


def test_atlas_section_of_a_missing_folder_says_how_to_make_one(tmp_path):
    with pytest.raises(FileNotFoundError, match="cgym atlas celegans"):
        atlas_card.atlas_section(tmp_path / "nope")


@needs_atlas
@pytest.mark.slow
def test_full_protocol_connectome_and_shuffled(tmp_path):
    card = atlas_mod.score_atlas("connectome", out_dir=tmp_path, progress=False, log=lambda *_: None)
    cols = {c["name"]: c for c in card.columns}
    assert cols["connectome"]["status"] == cols["shuffled"]["status"] == "ok"
    assert card.protocol["connectome"]["n_stimulated"] > 150
    for s in ("wt", "unc31"):
        assert np.isfinite(cols["connectome"]["scores"][s]["r_sig"])
    assert (tmp_path / "figures" / "atlas_matrices.png").exists()
    assert (tmp_path / "figures" / "atlas_scatter.png").exists()
