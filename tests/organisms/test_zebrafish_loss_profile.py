"""The loss profile: values along a parameter, errors, and one real draw whose fitted point reproduces its fit loss."""

from __future__ import annotations

import importlib.util

import pytest

from organisms.zebrafish.tools import loss_profile as L

FITS = "organisms/zebrafish/models/integrator_fits.yaml"
needs_cma = pytest.mark.skipif(importlib.util.find_spec("cma") is None,
                               reason="the re-fit needs the cma package (the 'fit' extra)")


def test_values_are_multiplied_or_shifted_and_clipped_to_the_bounds():
    assert L.moved_values(2.0, "log", 0.1, 10.0, [0.25, 1, 4, 10]) == [0.5, 2.0, 8.0, 10.0]
    assert L.moved_values(0.1, "linear", -0.3, 0.3, [-0.5, 0, 0.1]) == pytest.approx([-0.3, 0.1, 0.2])
    assert L.param_spec("integrator.bias_shift")[0] == "linear"
    with pytest.raises(ValueError, match="--param integrator.readout_gain"):
        L.param_spec("integrator.readout_gain")   # set by a rule after the fit, not fitted


def test_refit_without_cma_is_a_one_line_error(monkeypatch, capsys):
    real = importlib.util.find_spec
    monkeypatch.setattr(L.importlib.util, "find_spec", lambda name, *a: None if name == "cma" else real(name, *a))
    assert L.main(["--fits", FITS, "--param", "integrator.g_E", "--draws", "connectome/0", "--refit", "1"]) == 2
    (line,) = capsys.readouterr().err.strip().splitlines()
    assert "connectome-gym[fit]" in line


def test_bad_param_or_draw_is_a_one_line_error(capsys):
    assert L.main(["--fits", FITS, "--param", "g_E", "--draws", "connectome/0"]) == 2
    assert L.main(["--fits", FITS, "--param", "integrator.g_E", "--draws", "sbm-redraw/999"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 2 and "--param g_E" in err[0] and "sbm-redraw/999" in err[1]


def test_the_fitted_point_reproduces_the_installed_fit_loss_and_moving_away_costs():
    from organisms.zebrafish.tools.reversal_probe import fit_entries
    entry = fit_entries(FITS)["connectome/0"]
    rows = L.profile("connectome/0", entry, "integrator.g_I_other", [0.1, 1.0], contrasts=(1.0,))
    at_fit = rows[1]
    assert at_fit["d_loss"] == pytest.approx(0.0, abs=1e-9)
    assert at_fit["loss"] == pytest.approx(entry["loss"], abs=2e-3)   # the YAML rounds the overrides
    assert at_fit[1.0]["class"] == "follows"
    assert rows[0]["d_loss"] > 0   # a tenth of the fitted cross-midline inhibition fits the recordings worse


@needs_cma
def test_the_refit_moves_only_the_other_parameters_towards_a_lower_loss():
    import numpy as np

    from organisms.zebrafish.tools.fit_integrator import PARAMS
    target = {"integrator.g_E": 2.0, "integrator.g_I_same": 0.5, "integrator.g_I_other": 3.0,
              "visual.w_visual": 1.0, "integrator.MON_g_a": 1.0, "integrator.bias_shift": 0.1}

    def objective(sets):   # a stand-in for FitObjective: squared log distance to a target
        loss = [sum((np.log(abs(v[k]) + 1) - np.log(abs(target[k]) + 1)) ** 2 for k, *_ in PARAMS) for v in sets]
        return np.array(loss), {}

    start = {**target, "integrator.g_E": 6.0, "integrator.g_I_other": 5.0}
    best, loss = L.refit_others(objective, start, "integrator.g_I_other", generations=15)
    assert best["integrator.g_I_other"] == 5.0                       # held
    assert abs(best["integrator.g_E"] - 2.0) < abs(6.0 - 2.0) / 2      # moved towards the target
    assert loss < objective([start])[0][0]
    same, loss0 = L.refit_others(objective, start, "integrator.g_I_other", generations=0)
    assert same == start and loss0 == objective([start])[0][0]


@pytest.mark.slow
@needs_cma
def test_a_refit_never_ends_worse_than_where_it_starts():
    from organisms.zebrafish.tools.reversal_probe import fit_entries
    entry = fit_entries(FITS)["connectome/0"]
    (row,) = L.profile("connectome/0", entry, "integrator.g_I_other", [0.5], contrasts=(1.0,), refit=1)
    assert row["refit"]["loss"] <= row["loss"] + 1e-12
    assert row["refit"]["values"]["integrator.g_I_other"] == row["value"]   # the moved parameter stays put
    table = L.markdown([row], "integrator.g_I_other", "log", (1.0,))
    assert table.count("|---") == 9 and "re-fitted others" in table
