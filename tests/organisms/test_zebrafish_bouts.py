"""Bout vigour and turn drive come from circuit states, not from a per-bout random draw; the
spontaneous scorecard judges synthetic runs as it should."""

from __future__ import annotations

import json

import numpy as np
import pytest

from organisms.zebrafish import integrator_sbm as sbm


def _circuit(overrides=None):
    from organisms.zebrafish.circuit import OMRCircuit, load_params, si

    p = load_params(overrides=overrides)
    w = sbm.make_wiring("connectome", g_syn=si(p["integrator"]["g_syn"]), completeness=si(p["integrator"]["completeness"]))
    return OMRCircuit(w, 4, p), p


def test_no_per_bout_draw_and_descending_pools_read_the_drive_units():
    from organisms.zebrafish.circuit import si

    c, p = _circuit()
    assert not c.bout.events or not getattr(c.bout, "resetter", {})  # the trigger resets nothing
    assert "spike" not in getattr(c.bout, "event_codes", {})
    on = np.asarray(c.G.vig_on[:])
    L = c.layout.brain_pops
    reads = {name: set(np.asarray(on[idx])) for name, idx in L.items() if name.startswith(("nMLF", "vSPN"))}
    assert all(v == {1.0} for v in reads.values())
    others = np.setdiff1d(np.arange(c.layout.n_brain), np.concatenate([L[k] for k in reads]))
    assert not on[others].any()
    assert np.allclose(c.vigour.mu_d[:], [si(p["vigour"]["mu"])] + [si(p["vigour"]["turn_mu"])] * 2)


def test_drive_units_fluctuate_with_the_fitted_statistics():
    """Brain side alone, 60 s: each unit's mean, s.d. and correlation time are those of the YAML."""
    from nervous_systems.brian2_setup import brian2
    from organisms.zebrafish.circuit import si

    b2 = brian2()
    c, p = _circuit()
    mon = b2.StateMonitor(c.vigour, "v", record=True, dt=10 * b2.ms)
    c.net.add(mon)
    b2.seed(3)
    c.net.run(60 * b2.second)
    v = np.asarray(mon.v)
    vg = p["vigour"]
    for k, (mu, sd, tau) in enumerate([(vg["mu"], vg["sigma"], vg["tau"])] + [(vg["turn_mu"], vg["turn_sigma"], vg["turn_tau"])] * 2):
        mu, sd, tau = si(mu), si(sd), si(tau)
        x = v[k]
        assert abs(x.mean() - mu) < 0.5 * sd + 1e-9
        assert abs(x.std() - sd) < 0.35 * sd + 1e-9
        lag = int(round(tau / 0.01))
        if sd > 0:
            r = np.corrcoef(x[:-lag], x[lag:])[0, 1]
            assert 0.15 < r < 0.6  # exp(-1) = 0.37 at lag tau
    assert np.corrcoef(v[1], v[2])[0, 1] < 0.3  # the two sides' turn drives are independent


def _synthetic_run(tmp_path, disp, dh, onsets):
    fs = 250.0
    t = np.arange(0, onsets[-1] + 1.0, 1 / fs)
    ta = np.zeros((t.size, 12))
    x = np.zeros(t.size)
    y = np.zeros(t.size)
    hd = np.zeros(t.size)
    for o, d, h in zip(onsets, disp, dh):
        m = (t >= o) & (t < o + 0.16)
        ta[m] = 0.05 * np.sin(2 * np.pi * 29 * (t[m] - o))[:, None]
        after = t >= o + 0.16
        hd[after] += np.radians(h)
        x[after] += d * np.cos(hd[after][0])
        y[after] += d * np.sin(hd[after][0])
    (tmp_path / "episodes").mkdir(exist_ok=True)
    n = len(list((tmp_path / "episodes").glob("*.npz")))
    np.savez(tmp_path / "episodes" / f"ep_{n:04d}.npz", t=t, tail_angles=ta, head_xy=np.c_[x, y], heading=hd,
             speed=np.r_[0, np.hypot(np.diff(x), np.diff(y))] * fs, motion_on=0 * t, motion_direction_fish=0 * t)


def test_scorecard_passes_a_fish_like_run_and_fails_a_stereotyped_one(tmp_path):
    from tasks.optomotor.tools import spontaneous_scorecard as sc

    if not (sc.DEFAULT_DATA / "legoc2021_free_swimming_bouts").exists():
        pytest.skip("shared zebrafish data not here")
    rng = np.random.default_rng(0)
    good, bad = tmp_path / "good", tmp_path / "bad"
    good.mkdir(); bad.mkdir()
    for ep in range(6):
        n = 40
        on = np.cumsum(rng.uniform(0.5, 0.8, n))
        dh = np.where(rng.random(n) < 0.5, rng.normal(0, 3, n), rng.normal(0, 40, n))
        _synthetic_run(good, rng.lognormal(np.log(1.5), 0.42, n), dh, on)
        _synthetic_run(bad, np.full(n, 5.0), np.full(n, 27.0), np.arange(1, n + 1) * 0.9)
    assert sc.main([str(good), "--out", str(tmp_path / "g.md")]) == 0
    assert sc.main([str(bad), "--out", str(tmp_path / "b.md")]) == 0
    g = {r["metric"]: r for r in json.loads((tmp_path / "g.json").read_text())["summaries"]}
    b = {r["metric"]: r for r in json.loads((tmp_path / "b.json").read_text())["summaries"]}
    assert g["displacement_median_mm"]["Le Goc 2021"]["verdict"] == "pass"
    assert b["displacement_median_mm"]["Le Goc 2021"]["verdict"] == "fail"
    assert b["displacement_cv"]["Le Goc 2021"]["verdict"] == "fail"
    assert b["turn_fraction"]["Le Goc 2021"]["verdict"] == "fail"
    bd = {r["metric"]: r for r in json.loads((tmp_path / "b.json").read_text())["distributions"]}
    gd = {r["metric"]: r for r in json.loads((tmp_path / "g.json").read_text())["distributions"]}
    assert bd["disp"]["Le Goc 2021"]["verdict"] == "fail" and gd["disp"]["Le Goc 2021"]["verdict"] == "pass"
    assert "Karpenko 2020" in (tmp_path / "g.md").read_text()
