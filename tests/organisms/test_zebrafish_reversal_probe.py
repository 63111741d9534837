"""The open-loop reversal probe: classes, the association with behaviour, errors, and one real draw."""

from __future__ import annotations

import json

import numpy as np
import pytest

from organisms.zebrafish.tools import reversal_probe as R


def test_classes_follow_the_signs_of_both_epochs():
    assert R.classify(0.2, 0.3) == "follows"
    assert R.classify(-0.2, -0.3) == "inverted"
    assert R.classify(0.2, -0.3) == "latched" and R.classify(-0.2, 0.3) == "latched"
    assert R.classify(0.2, 0.01) == "weak" and R.classify(0.0, 0.0) == "weak"


def _row(brain, draw, value, coherence=0.5):
    return {"brain": brain, "wiring_seed": draw, "coherence": coherence, "p_with": {"value": value}}


def _result(score):
    return {"loss": 1.0, 0.5: {"left": score, "right": score, "after": 0.0, "score": score,
                               "class": R.classify(score, score)}}


def test_association_ranks_scores_against_behaviour_and_can_fail():
    from organisms.zebrafish.tools.draw_level import draw_level
    results = {f"sbm-redraw/{d}": _result(0.1 * d - 0.2) for d in range(1, 7)}
    rows = draw_level([_row("sbm-redraw", d, 0.4 + 0.08 * d) for d in range(1, 7)])
    (r,) = R.association(results, rows, 0.5)
    assert r["draws"] == "CLEM block model" and r["n"] == 6 and r["rho"] == 1.0 and r["p_positive"] < 0.01
    assert r["n_follows"] == 4 and r["p_with_follows"] > r["p_with_others"]   # scores 0.1-0.4 follow
    # behaviour unrelated to the score: no small p
    rows = draw_level([_row("sbm-redraw", d, v) for d, v in zip(range(1, 7), [0.6, 0.4, 0.7, 0.45, 0.5, 0.55])])
    (r,) = R.association(results, rows, 0.5)
    assert r["p_positive"] > 0.1
    # a pooled row only when both groups are there
    results.update({f"block-shuffled/{d}": _result(-0.1 * d) for d in range(4)})
    rows = draw_level([_row("sbm-redraw", d, 0.5) for d in range(1, 7)] + [_row("block-shuffled", d, 0.5) for d in range(4)])
    assoc = R.association(results, rows, 0.5)
    assert [r["draws"] for r in assoc] == ["CLEM and block-shuffled", "CLEM block model", "block-shuffled"]
    # behaviour the same for every draw: no rho and no p (not the smallest p the permutations allow);
    # a set in which no draw follows prints a dash for that mean, not nan
    assert all(np.isnan(r["rho"]) and np.isnan(r["p_positive"]) for r in assoc)
    table = R.markdown_association(assoc, 0.5)
    assert "nan" not in table and "< 0.001" not in table
    assert "| 4 | — (constant) | — | — | — (0) / 0.50 (4) |" in table


def test_bad_fits_file_or_unknown_draw_is_one_line_error(tmp_path, capsys):
    bad = tmp_path / "fits.yaml"
    bad.write_text("fits: [1, 2]\n")
    assert R.main(["--fits", str(bad)]) == 2
    err = capsys.readouterr().err
    assert str(bad) in err and err.count("\n") == 1
    good = tmp_path / "good.yaml"
    good.write_text(json.dumps({"fits": {"sbm-redraw/3": {"loss_version": "rest", "loss": 1.0, "overrides": {}}}}))
    assert R.main(["--fits", str(good), "--draws", "sbm-redraw/4"]) == 2
    assert "--draws sbm-redraw/4" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        R.main(["--fits", str(good), "--contrast", "0"])
    capsys.readouterr()
    no_overrides = tmp_path / "no_overrides.yaml"
    no_overrides.write_text(json.dumps({"fits": {"sbm-redraw/3": {"loss_version": "rest", "loss": 1.0}}}))
    assert R.main(["--fits", str(no_overrides)]) == 2
    err = capsys.readouterr().err
    assert str(no_overrides) in err and "overrides" in err and err.count("\n") == 1


def test_the_connectome_draw_follows_both_directions_with_its_installed_fit():
    """The real probe on the installed connectome fit (about 10 s): a short schedule, both
    directions followed at full contrast, its state driven to the side of each motion."""
    from organisms.zebrafish.tools.fit_integrator import FastBrain
    entry = R.fit_entries(R.Path("organisms/zebrafish/models/integrator_fits.yaml"))["connectome/0"]
    fb = FastBrain("connectome", None)
    short = ((0.0, 2.0, 0), (2.0, 12.0, 1), (12.0, 14.0, 0), (14.0, 24.0, -1), (24.0, 26.0, 0))
    out = R.probe(fb, entry["overrides"], 1.0, short)
    assert out["class"] == "follows" and out["left"] > 0.1 and out["right"] > 0.1
    assert np.isfinite([out["left"], out["right"], out["after"]]).all()
