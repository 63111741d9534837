"""The draw-level summary groups connectome + sbm-redraw draws as one block model and resamples draws."""

from __future__ import annotations

import json

import pytest

from organisms.zebrafish.tools.draw_level import draw_level, main


def _row(brain, draw, value, coherence=0.5):
    return {"brain": brain, "wiring_seed": draw, "coherence": coherence, "p_with": {"value": value}}


def test_connectome_and_fresh_draws_are_one_group_and_ci_resamples_draws():
    rows = draw_level([_row("connectome", 0, 0.8), _row("sbm-redraw", 1, 0.5), _row("sbm-redraw", 2, 0.6),
                       _row("block-shuffled", 0, 0.55), _row("block-shuffled", 1, 0.45),
                       _row("no-integrator-edges", 0, 0.6)])
    by = {r["group"]: r for r in rows}
    clem = by["CLEM block model"]
    assert clem["n_draws"] == 3 and abs(clem["mean"] - (0.8 + 0.5 + 0.6) / 3) < 1e-12
    assert 0.5 - 1e-9 <= clem["ci_low"] < clem["mean"] < clem["ci_high"] <= 0.8 + 1e-9
    assert by["no-integrator-edges"]["ci_low"] is None          # one row: no draw-level CI
    assert by["block-shuffled"]["n_draws"] == 2


def test_a_file_without_per_draw_rows_is_one_line_error(tmp_path, capsys):
    bad = tmp_path / "x.json"
    bad.write_text(json.dumps({"rows": []}))
    assert main([str(bad)]) == 2
    err = capsys.readouterr().err
    assert str(bad) in err and err.count("\n") == 1


def test_several_scorecards_pool_their_draws_but_not_the_same_draw_twice(tmp_path, capsys):
    a, b = tmp_path / "a.json", tmp_path / "b.json"
    a.write_text(json.dumps({"per_draw": [_row("connectome", 0, 0.8), _row("block-shuffled", 0, 0.5)]}))
    b.write_text(json.dumps({"per_draw": [_row("sbm-redraw", 5, 0.7), _row("block-shuffled", 4, 0.6)]}))
    assert main([str(a), str(b)]) == 0
    out = capsys.readouterr().out
    assert "| 50 % | CLEM block model | 2 | 0.75" in out and "| 50 % | block-shuffled | 2 | 0.55" in out
    assert main([str(a), str(a)]) == 2
    assert "already in an earlier file" in capsys.readouterr().err


def test_difference_resamples_draws_and_its_permutation_p_can_fail():
    from organisms.zebrafish.tools.draw_level import difference
    sep = draw_level([_row("sbm-redraw", d, v) for d, v in enumerate([0.80, 0.82, 0.78, 0.81, 0.79])]
                     + [_row("block-shuffled", d, v) for d, v in enumerate([0.50, 0.52, 0.48, 0.51, 0.49])])
    (d,) = difference(sep)
    assert abs(d["difference"] - 0.30) < 1e-9 and 0.25 < d["ci_low"] < d["ci_high"] < 0.35
    assert d["p_one_sided"] < 0.02                       # 5 vs 5 fully separated: p = 1/252 exactly
    same = draw_level([_row("sbm-redraw", d, v) for d, v in enumerate([0.5, 0.7, 0.6])]
                      + [_row("block-shuffled", d, v) for d, v in enumerate([0.6, 0.5, 0.7])])
    (d,) = difference(same)
    assert abs(d["difference"]) < 1e-9 and d["ci_low"] < 0 < d["ci_high"] and d["p_one_sided"] > 0.3


def _fits_yaml(tmp_path, losses):
    lines = ["fits:"]
    for key, (loss, version) in losses.items():
        lines += [f"  {key}:", f"    loss: {loss}", f"    loss_version: {version}"]
    path = tmp_path / "fits.yaml"
    path.write_text("\n".join(lines) + "\n")
    return path


def test_fit_losses_group_draws_of_one_loss_version_and_the_test_can_fail(tmp_path, capsys):
    sep = _fits_yaml(tmp_path, {"connectome/0": (0.7, "rest"), "sbm-redraw/1": (0.8, "rest"),
                                "sbm-redraw/2": (0.9, "rest"), "sbm-redraw/3": (0.1, "v1"),  # other loss: left out
                                "block-shuffled/0": (1.6, "rest"), "block-shuffled/1": (1.8, "rest"),
                                "block-shuffled/2": (1.7, "rest"), "no-integrator-edges/0": (2.0, "rest")})
    assert main(["--fits", str(sep)]) == 0
    out = capsys.readouterr().out
    assert "| CLEM block model | 3 | 0.80" in out and "sbm/3" not in out
    assert "| block-shuffled (3) − CLEM block model (3) | +0.90" in out
    p = float(out.strip().splitlines()[-1].split("|")[-2])
    assert p < 0.06                                        # 3 vs 3 fully separated: p = 1/20
    same = _fits_yaml(tmp_path, {"sbm-redraw/1": (1.0, "rest"), "sbm-redraw/2": (1.5, "rest"),
                                 "block-shuffled/0": (1.0, "rest"), "block-shuffled/1": (1.5, "rest")})
    assert main(["--fits", str(same)]) == 0
    assert float(capsys.readouterr().out.strip().splitlines()[-1].split("|")[-2]) > 0.3


def test_fits_mode_bad_file_is_one_line_error(tmp_path, capsys):
    bad = tmp_path / "bad.yaml"
    bad.write_text("about: no fits here\n")
    assert main(["--fits", str(bad)]) == 2
    err = capsys.readouterr().err
    assert str(bad) in err and err.count("\n") == 1


def test_fit_loss_against_behaviour_rank_correlation_can_fail(tmp_path, capsys):
    """Scorecard + --fits: Spearman's rho over draws between fit loss and P(with), per group and
    pooled; a perfect inverse ranking gives rho -1 with a small p, a scrambled one does not."""
    fits = {f"sbm-redraw/{d}": (0.5 + 0.1 * d, "rest") for d in range(1, 7)}
    fits.update({f"block-shuffled/{d}": (1.5 + 0.1 * d, "rest") for d in range(6)})
    path = _fits_yaml(tmp_path, fits)
    card = tmp_path / "card.json"
    rows = [_row("sbm-redraw", d, 0.9 - 0.05 * d) for d in range(1, 7)]          # better fit, more turning
    rows += [_row("block-shuffled", d, v) for d, v in enumerate([0.6, 0.3, 0.7, 0.4, 0.5, 0.55])]
    card.write_text(json.dumps({"per_draw": rows}))
    assert main([str(card), "--fits", str(path)]) == 0
    out = {line.split("|")[2].strip(): line.split("|") for line in capsys.readouterr().out.splitlines()[2:]}
    clem = out["CLEM block model"]
    assert clem[3].strip() == "6" and float(clem[4]) == -1.0 and float(clem[5]) < 0.01   # 2/720 orderings
    assert float(clem[6]) < 0.01 and float(clem[6]) <= float(clem[5])                    # one-sided, rho < 0: 1/720
    assert float(out["block-shuffled"][5]) > 0.3
    # the one-sided p asks for a negative rho only: a perfect positive ranking gets p near 1
    card.write_text(json.dumps({"per_draw": [_row("sbm-redraw", d, 0.5 + 0.05 * d) for d in range(1, 7)]}))
    assert main([str(card), "--fits", str(path)]) == 0
    pos = {line.split("|")[2].strip(): line.split("|") for line in capsys.readouterr().out.splitlines()[2:]}
    assert float(pos["CLEM block model"][4]) == 1.0 and float(pos["CLEM block model"][6]) > 0.95
    assert "CLEM and block-shuffled" in out


def test_loss_behaviour_plot_is_written_and_needs_both_inputs(tmp_path, capsys):
    """--plot draws the loss-vs-behaviour scatter (one panel per coherence) and is refused without
    both a scorecard and a fits YAML."""
    fits = {f"sbm-redraw/{d}": (0.5 + 0.1 * d, "rest") for d in range(1, 6)}
    fits.update({f"block-shuffled/{d}": (1.5 + 0.1 * d, "rest") for d in range(5)})
    path = _fits_yaml(tmp_path, fits)
    card = tmp_path / "card.json"
    rows = [_row("sbm-redraw", d, 0.9 - 0.05 * d) for d in range(1, 6)]
    rows += [_row("block-shuffled", d, v) for d, v in enumerate([0.6, 0.3, 0.7, 0.4, 0.5])]
    card.write_text(json.dumps({"per_draw": rows}))
    png = tmp_path / "scatter.png"
    assert main([str(card), "--fits", str(path), "--plot", str(png)]) == 0
    assert png.stat().st_size > 5000
    with pytest.raises(SystemExit):
        main(["--fits", str(path), "--plot", str(png)])
    # too few draws for any coherence: a one-line error, not an empty figure
    card.write_text(json.dumps({"per_draw": rows[:2]}))
    assert main([str(card), "--fits", str(path), "--plot", str(tmp_path / "empty.png")]) == 2
    assert "nothing to plot" in capsys.readouterr().err
    assert not (tmp_path / "empty.png").exists()
