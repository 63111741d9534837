"""draw_regimes: the pre-registered rest-state test on synthetic draws (no simulation)."""

from __future__ import annotations

import json

import numpy as np

from organisms.zebrafish.tools.draw_regimes import analyse, main, stratified_difference


def _files(tmp_path, draws):
    """draws: [(brain, draw, rest, p50)] -> (scorecard path, rest path)."""
    rows = [{"brain": b, "wiring_seed": d, "coherence": c, "p_with": {"value": p + (0.0 if c == 0.5 else -0.05)}}
            for b, d, _, p in draws for c in (0.25, 0.5)]
    sc, rest = tmp_path / "sc.json", tmp_path / "rest.json"
    sc.write_text(json.dumps({"per_draw": rows}))
    rest.write_text(json.dumps({"rest_states": [{"brain": b, "draw": d, "rest_iMI+": r} for b, d, r, _ in draws]}))
    return sc, rest


def _args(sc, rest, out):
    return [str(sc), "--rest", str(rest), "--out", str(out), "--judge", "sbm-redraw:0-7,block-shuffled:0-7",
            "--formed", "", "--sensitivity-drop", "block-shuffled:0-1", "--permutations", "500"]


def test_regime_that_predicts_turning_passes_and_one_that_does_not_fails(tmp_path, capsys):
    rng = np.random.default_rng(1)
    draws = [(b, d, (0.0 if d % 2 else 0.2), (0.52 if d % 2 else 0.75) + 0.01 * rng.standard_normal())
             for b in ("sbm-redraw", "block-shuffled") for d in range(8)]
    sc, rest = _files(tmp_path, draws)
    assert main(_args(sc, rest, tmp_path / "a.md")) == 0
    text = (tmp_path / "a.md").read_text()
    assert "→ passes**" in text and "| sbm-redraw/1 | judged | 0.000 | silent |" in text
    # the same rest states, behaviour unrelated to them
    draws = [(b, d, r, 0.6 + 0.1 * (d in (0, 1, 4, 5))) for b, d, r, _ in draws]
    sc, rest = _files(tmp_path, draws)
    assert main(_args(sc, rest, tmp_path / "b.md")) == 0
    assert "→ fails**" in (tmp_path / "b.md").read_text()


def test_within_brain_permutation_does_not_credit_a_difference_between_wirings():
    # every sbm draw active and turning, every shuffled draw silent and not: pooled they separate
    # perfectly, but within a wiring the regime is constant, so the stratified test has nothing
    v = [0.75] * 6 + [0.52] * 6
    act = [True] * 6 + [False] * 6
    st = ["sbm-redraw"] * 6 + ["block-shuffled"] * 6
    d = stratified_difference(v, act, st, n_perm=500)
    assert abs(d["difference"] - 0.23) < 1e-9 and d["p"] == 1.0
    d = stratified_difference(v, act, ["one"] * 12, n_perm=500)
    assert d["p"] < 0.01


def test_too_few_draws_in_a_regime_is_no_power():
    rows = [{"brain": "sbm-redraw", "draw": d, "rest_iMI+": 0.0 if d < 2 else 0.2, "p50": 0.5 if d < 2 else 0.8,
             "p25": None} for d in range(10)]
    assert analyse(rows, n_perm=200)["primary"]["verdict"] == "no power"


def test_bad_files_are_one_line_errors(tmp_path, capsys):
    bad = tmp_path / "bad.json"
    bad.write_text("{not json")
    assert main([str(bad), "--rest", str(bad)]) == 2
    err = capsys.readouterr().err
    assert str(bad) in err and err.count("\n") == 1
    sc, rest = _files(tmp_path, [("sbm-redraw", 0, 0.1, 0.7)])
    assert main([str(sc), "--rest", str(rest), "--judge", "sbm-redraw:0-1", "--formed", ""]) == 2
    err = capsys.readouterr().err
    assert "no rest state for sbm-redraw/1" in err and str(rest) in err and err.count("\n") == 1
    assert main([str(sc), "--rest", str(rest), "--judge", "sbm-redraw"]) == 2
    assert "--judge" in capsys.readouterr().err
