"""The per-brain integrator fit (organisms/zebrafish/tools/fit_integrator.py) and what it feeds."""

from __future__ import annotations

import math

import numpy as np
import pytest

from organisms.zebrafish.circuit import load_params, si
from organisms.zebrafish.integrator_sbm import EDGE_CLASSES, class_gains, edge_class, fitted_overrides, make_wiring
from organisms.zebrafish.tools import fit_integrator as F


def test_edge_classes_follow_sign_and_midline():
    w = make_wiring("connectome", 0, scale=5, completeness=10, g_syn=2.0)
    cls = edge_class(w)
    inh = w.sign[w.pre] < 0
    cross = w.hemisphere[w.pre] != w.hemisphere[w.post]
    assert set(np.unique(cls)) <= {0, 1, 2}
    assert np.all(cls[~inh] == 0) and np.all(cls[inh & cross] == 2) and np.all(cls[inh & ~cross] == 1)
    # the CLEM motif: cross-midline edges are (almost all) cMI inhibition
    assert (cls == 2).sum() > 0.8 * cross.sum()
    g = class_gains(w, {"g_E": 2.0, "g_I_same": 3.0, "g_I_other": 5.0})
    assert np.array_equal(g, np.array([2.0, 3.0, 5.0])[cls])
    assert len(EDGE_CLASSES) == 3
    assert class_gains(make_wiring("no-integrator-edges", 0), {}).size == 0


def test_fitted_overrides_lookup(tmp_path):
    path = tmp_path / "fits.yaml"
    path.write_text("fits:\n  connectome/0:\n    overrides: {integrator.g_E: 1.5}\n")
    assert fitted_overrides("connectome", 0, path) == ({"integrator.g_E": 1.5}, "connectome/0")
    ov, src = fitted_overrides("connectome", 3, path)
    assert ov == {"integrator.g_E": 1.5} and src == "connectome/0 (transferred)"
    assert fitted_overrides("block-shuffled", 0, path) == ({}, "none")
    assert fitted_overrides("connectome", 0, tmp_path / "absent.yaml") == ({}, "none")


def test_fit_option_selects_a_fit_and_names_a_bad_one(tmp_path):
    path = tmp_path / "fits.yaml"
    path.write_text("fits:\n  connectome/0:\n    overrides: {integrator.g_E: 1.5}\n"
                    "  sbm-redraw/1:\n    overrides: {integrator.g_E: 4.0}\n"
                    "  sbm-redraw/2:\n    overrides: {integrator.g_E: 3.0}\n")
    # the rule: each draw its own fit (FIT_RULE empty); fit= selects another, labelled transferred
    assert fitted_overrides("sbm-redraw", 2, path) == ({"integrator.g_E": 3.0}, "sbm-redraw/2")
    assert fitted_overrides("sbm-redraw", 2, path, fit="connectome/0") == ({"integrator.g_E": 1.5},
                                                                          "connectome/0 (transferred)")
    assert fitted_overrides("sbm-redraw", 2, path, fit="own") == ({"integrator.g_E": 3.0}, "sbm-redraw/2")
    assert fitted_overrides("sbm-redraw", 3, path, fit="own")[1] == "sbm-redraw/1 (transferred)"
    with pytest.raises(ValueError, match=r"fit='nope/0'.*fits.yaml.*connectome/0"):
        fitted_overrides("sbm-redraw", 1, path, fit="nope/0")


def test_every_draw_used_in_the_must_show_sweeps_has_its_own_fit():
    """The null-model rule (README "Which fit a control uses"): every wiring draw in the
    omr60 sweeps is judged with the fit made on that draw, never a transferred one."""
    for kind, seeds in (("connectome", [0]), ("sbm-redraw", [1, 2, 3, 4]), ("block-shuffled", [0, 1, 2, 3]),
                        ("no-integrator-edges", [0])):
        for s in seeds:
            ov, src = fitted_overrides(kind, s)
            assert src == f"{kind}/{s}" and "integrator.readout_gain" in ov, (kind, s, src)


def test_write_fits_adds_without_dropping_other_entries(tmp_path):
    from nervous_systems.yaml_file import load_yaml

    path = tmp_path / "fits.yaml"
    path.write_text("fits:\n  connectome/0:\n    overrides: {integrator.g_E: 1.5}\n    loss: 0.5\n")
    res = {"brain": "sbm-redraw", "wiring_seed": 3, "overrides": {"integrator.g_E": 2.0}, "loss": 0.7,
           "initial_loss": 1.9, "loss_per_class": {"iMI": 0.1}, "optimiser": {"evaluations": 300},
           "git_commit": "x", "command": "c"}
    F.write_fits([res], path)
    fits = load_yaml(path)["fits"]
    assert set(fits) == {"connectome/0", "sbm-redraw/3"}
    assert fits["connectome/0"]["overrides"] == {"integrator.g_E": 1.5}
    assert fits["sbm-redraw/3"]["overrides"] == {"integrator.g_E": 2.0} and fits["sbm-redraw/3"]["evaluations"] == 300


def test_collect_refuses_an_unfinished_fit(tmp_path, capsys):
    """--collect of a folder without fit_result.json is a one-line error naming it, and writes
    nothing (it used to skip the folder silently, so a fits file could miss a draw)."""
    (tmp_path / "running").mkdir()
    (tmp_path / "running" / "fit_state.json").write_text("{}")
    out = tmp_path / "fits.yaml"
    assert F.main(["--collect", str(tmp_path / "running"), "--write", "--fits", str(out)]) == 2
    err = capsys.readouterr().err
    assert "running" in err and "not finished" in err and len(err.strip().splitlines()) == 1
    assert not out.exists()


def test_unit_coordinates_round_trip():
    p = load_params()
    vals = F.from_unit(F.to_unit(p))
    for key, *_ in F.PARAMS:
        assert vals[key] == pytest.approx(F.base_value(p, key), rel=1e-9, abs=1e-12)


def test_fast_replica_matches_brian2_with_fitted_class_gains():
    """The numpy replica the fit runs on is the Brian2 brain group: same population rates under
    non-default class gains (same noise draws are not shared, so means are compared)."""
    from organisms.zebrafish.openloop import run_protocol

    vals = {"integrator.g_E": 1.3, "integrator.g_I_same": 0.7, "integrator.g_I_other": 1.6,
            "visual.w_visual": 3.0, "integrator.MON_g_a": 1.0, "integrator.bias_shift": 0.05}
    p = load_params(overrides=vals)
    fb = F.FastBrain("connectome")
    drive = fb.visual_drive(t_total=24.0, t_on=10.0, t_off=20.0)
    sim = fb.simulate([vals], [drive], [0])
    ref = run_protocol(fb.wiring, params=p, t_total=24.0, t_on=10.0, t_off=20.0)
    for pop in ("iMI+_L", "iMI+_R", "cMI_L", "cMI_R", "MON_L", "SMI_L"):
        a = sim[pop][:, 0]
        b = np.asarray(ref["pops"][pop])[: len(a)]
        assert abs(a[20:40].mean() - b[20:40].mean()) < 0.03, pop  # during motion
    # and the class gains matter (the replica is not insensitive to them)
    sim2 = fb.simulate([{**vals, "integrator.g_I_other": 0.2}], [drive], [0])
    assert abs(sim2["iMI+_R"][20:40, 0].mean() - sim["iMI+_R"][20:40, 0].mean()) > 0.03


def test_time_constants_of_exponentials():
    t = np.arange(0, 80, 0.5)
    y = np.where(t < 20, 0, np.where(t < 60, 1 - np.exp(-(t - 20) / 4.0), (1 - np.exp(-10)) * np.exp(-(t - 60) / 6.0)))
    tc = F.time_constants(t, y)
    assert tc["rise_s"] == pytest.approx(4.0, abs=0.5) and tc["decay_s"] == pytest.approx(6.0, abs=0.5)
    assert math.isnan(F.time_constants(t, 0 * t)["rise_s"])


def test_after_motion_bins_use_the_preceding_motion_side():
    from tasks.optomotor.features import extract_features

    fs = 250.0
    t = np.arange(0, 8, 1 / fs)
    ta = np.zeros((t.size, 12))
    heading = np.zeros(t.size)
    for onset, dh in ((2.5, +20.0), (5.0, -20.0)):  # 0.5 s and 3 s after the motion stops at 2 s
        m = (t >= onset) & (t < onset + 0.16)
        ta[m] = 0.05 * np.sin(2 * np.pi * 29 * (t[m] - onset))[:, None]
        heading[t >= onset + 0.08] += math.radians(dh)
    motion = (t < 2.0).astype(float)
    # during rest the record holds the rest epoch's own direction (here: straight ahead): the
    # after-motion bins must use the preceding motion's direction (leftward), not this one
    mdir = np.where(t < 2.0, math.pi / 2, 0.0) - heading
    traj = {"t": t, "tail_angles": ta, "head_xy": np.c_[t, 0 * t], "heading": heading,
            "speed": np.ones_like(t), "motion_on": motion, "motion_direction_fish": mdir}
    f = extract_features(traj, {})
    assert f["n_bouts"] == 2
    assert f["after_motion_toward_fraction_0_2s"] == 1.0 and f["after_motion_toward_fraction_0_2s_with"] == 1
    assert f["after_motion_toward_fraction_2_5s"] == 0.0 and f["after_motion_toward_fraction_2_5s_against"] == 1
    assert math.isnan(f["after_motion_toward_fraction_5_10s"])
    assert f["bout_rate_motion_hz"] == 0.0 and f["bout_rate_rest_hz"] == pytest.approx(2 / 6.0, rel=0.01)


def test_rest_loss_null_ratio_penalises_a_flat_null_and_needs_a_known_version():
    """The pre-registered rest-state term: a flat null (a unit silent at rest) costs the recorded
    ratio squared; a null that goes below baseline like the recordings costs ~0."""
    import numpy as np

    from organisms.zebrafish.neural_metric import recorded_means

    m = recorded_means()
    t = m["time_s"].to_numpy(float)
    rec = {c: float(F.null_ratio(t, m[f"{c}_preferred"].to_numpy(float)[:, None],
                                 m[f"{c}_null"].to_numpy(float)[:, None])[0]) for c in F.NULL_CLASSES}
    assert rec["iMI"] == pytest.approx(-0.46, abs=0.01) and rec["cMI"] == pytest.approx(-0.52, abs=0.01)
    assert rec["SMI"] == pytest.approx(-0.71, abs=0.01)
    pref = np.where((t >= 20) & (t < 60), 1.0, 0.0)[:, None]
    assert F.null_ratio(t, pref, np.zeros_like(pref))[0] == 0.0
    assert F.null_ratio(t, pref, -0.5 * pref)[0] == pytest.approx(-0.5)
    assert F.null_ratio(t, np.zeros_like(pref), -pref)[0] == 0.0  # no preferred response: no ratio
    with pytest.raises(ValueError, match="loss"):
        F.losses({"t": t}, loss="v2")
