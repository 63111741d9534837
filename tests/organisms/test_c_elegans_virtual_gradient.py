"""The virtual light gradient of organisms/c_elegans/tools/virtual_gradient.py (Kocabas 2012 assay).

Checks that the light reaches only the lit neurons, with the intensity the tool documents, that the
reversed gradient is the mirror of the up gradient, that the salt sense is off in the brains'
parameter copies, and the pre-registered verdict logic. No episode is run.
"""

import numpy as np
import pytest

from bodies.worm.body import MUSCLE_NAMES
from nervous_systems.bridge import Bridge
from organisms.c_elegans import load_connectome
from organisms.c_elegans.params import PARAMS_DIR, load_params
from organisms.c_elegans.tools import virtual_gradient as vg

DT = 0.01


@pytest.fixture(scope="module")
def connectome():
    return load_connectome()


def obs(conc):
    return {"concentration": np.array([conc], np.float32), "dcdt": np.zeros(1, np.float32),
            "curvature": np.zeros(23, np.float32), "touch": np.zeros(1, np.float32)}


def drive(connectome, gradient, conc, mV=20.0):
    cfg = vg.light_bridge(gradient, ["AIYL", "AIYR"], mV, 100.0)
    b = Bridge(cfg, connectome, list(MUSCLE_NAMES), DT)
    b.reset()
    z = np.zeros(connectome.n_neurons)  # the network at rest: gated proprioception closed
    for _ in range(2000):  # let the salt sensors' adapting filters settle to a constant level
        d = b.encode(obs(conc), z, z)
    return d


def test_light_reaches_only_aiy_with_the_documented_intensity(connectome):
    aiy = connectome.index_of(["AIYL", "AIYR"])
    dark = {c: drive(connectome, "dark", c) for c in (20.0, 70.0)}
    for c in (20.0, 70.0):
        up, rev = drive(connectome, "up", c), drive(connectome, "reversed", c)
        assert np.allclose((up - dark[c])[aiy], 20.0 * c / 100.0, atol=1e-4)
        assert np.allclose((rev - dark[c])[aiy], 20.0 * (1 - c / 100.0), atol=1e-4)
        other = np.ones(connectome.n_neurons, bool)
        other[aiy] = False
        assert np.allclose(up[other], dark[c][other]) and np.allclose(rev[other], dark[c][other])
    # up rises with concentration, reversed falls by the same amount: mirror gradients
    d_up = drive(connectome, "up", 70.0)[aiy] - drive(connectome, "up", 20.0)[aiy]
    d_rev = drive(connectome, "reversed", 70.0)[aiy] - drive(connectome, "reversed", 20.0)[aiy]
    assert np.allclose(d_up, 10.0, atol=1e-4) and np.allclose(d_rev, -10.0, atol=1e-4)


def test_bad_gradient_or_peak_is_refused():
    with pytest.raises(ValueError, match="gradient"):
        vg.light_bridge("sideways", ["AIYL"], 20.0, 100.0)
    with pytest.raises(ValueError, match="peak"):
        vg.light_bridge("up", ["AIYL"], 20.0, 0.0)


@pytest.mark.parametrize("name", ["connectome.yaml", "fitted/shuffled-1.yaml", "fitted/start_values.yaml"])
def test_salt_sense_is_off_in_the_parameter_copies(tmp_path, name):
    p = load_params(vg.salt_off_params(PARAMS_DIR / name, tmp_path / "p.yaml"))
    for s in vg.SALT_SENSORS:
        assert p.parameters[f"bridge.{s}.gain_mV"].value == 0.0
    orig = load_params(PARAMS_DIR / name)
    for k, e in orig.parameters.items():  # nothing else changes
        if not k.startswith("bridge.salt_"):
            assert p.parameters[k].value == e.value


def test_verdict_needs_the_phenotype_and_every_control_below():
    rng = np.random.default_rng(1)
    conn = 0.3 + 0.05 * rng.standard_normal(16)
    ctrl = {"shuffled 1": 0.02 * rng.standard_normal(16), "shuffled 2": 0.02 * rng.standard_normal(16)}
    d = vg.paired_delta(conn, np.zeros(16), 0)
    assert vg.verdict(d, ctrl, conn, 0)[-1].startswith("needs the wiring: YES")
    ctrl["shuffled 3"] = 0.35 + 0.05 * rng.standard_normal(16)  # one control steers as well
    assert vg.verdict(d, ctrl, conn, 0)[-1] == "needs the wiring: no"
    flat = 0.05 * rng.standard_normal(16)  # no phenotype
    d0 = vg.paired_delta(flat, np.zeros(16), 0)
    lines = vg.verdict(d0, {"shuffled 1": ctrl["shuffled 1"]}, flat, 0)
    assert "not reproduced" in lines[0] and lines[-1] == "needs the wiring: no"


def test_speed_caveat_only_when_the_light_stops_the_worm():
    # the recentred connectome of README 5.5: 0.004 mm/s under light against 0.076 in the dark
    line = vg.speed_caveat(0.004, 0.076)
    assert line is not None and "5%" in line and "not klinotaxis" in line
    assert vg.speed_caveat(0.070, 0.076) is None          # barely slowed: no caveat
    assert vg.speed_caveat(float("nan"), 0.076) is None   # no moving animal: nothing to say
    assert vg.speed_caveat(0.01, 0.0) is None


def test_operating_point_census_counts_silent_and_saturated_time():
    from organisms.c_elegans.tools import operating_point as op
    v_th = np.array([0.0, 0.0, 0.0])
    # neuron 0 far below threshold (silent), 1 far above (saturated), 2 swinging through it
    t = np.linspace(0, 6 * np.pi, 3000, endpoint=False)  # three whole periods
    v = np.stack([np.full_like(t, -40.0), np.full_like(t, 40.0), 30.0 * np.sin(t)], axis=1)
    c = op.census([v], v_th, 0.2)
    assert c["silent"][0] == 1.0 and c["saturated"][0] == 0.0 and c["phi"][0] < 0.001
    assert c["saturated"][1] == 1.0 and c["phi"][1] > 0.999
    assert 0.3 < c["silent"][2] < 0.5 and 0.3 < c["saturated"][2] < 0.5 and abs(c["phi"][2] - 0.5) < 0.05
    assert np.allclose(c["dv"], [-40.0, 40.0, np.mean(30.0 * np.sin(t))])
    assert np.isclose(op.release_activation(np.array([[0.0]]), np.array([0.0]), 0.5)[0, 0], 0.5)


def test_recentre_moves_only_the_named_class_thresholds(tmp_path):
    import yaml

    from organisms.c_elegans.tools import recentre as rc
    doc = yaml.safe_load((PARAMS_DIR / "connectome.yaml").read_text())
    doc["parameters"]["class.AIY.threshold_mV"] = {"value": 2.0, "bounds": [-10, 10], "unit": "mV", "fit": True}
    new = rc.shift_thresholds(doc, {"AIY": 14.5, "RIA": -27.0}, "test")
    assert new["parameters"]["class.AIY.threshold_mV"]["value"] == 16.5  # added to the class's own entry
    assert new["parameters"]["class.RIA.threshold_mV"]["value"] == -27.0  # a new entry starts at 0
    assert new["parameters"]["class.RIA.threshold_mV"]["fit"] is False
    assert doc["parameters"]["class.AIY.threshold_mV"]["value"] == 2.0  # the input is not changed
    path = tmp_path / "p.yaml"
    path.write_text(yaml.safe_dump(new))
    p, orig = load_params(path), load_params(PARAMS_DIR / "connectome.yaml")
    changed = {k for k in p.parameters if k not in orig.parameters or p.parameters[k].value != orig.parameters[k].value}
    assert changed == {"class.AIY.threshold_mV", "class.RIA.threshold_mV"}
    with pytest.raises(SystemExit, match="outside"):
        rc.shift_thresholds(doc, {"AIB": 500.0}, "test")


def test_recentre_block_shuffle_needs_its_start_file_and_the_shuffled_brain(tmp_path):
    from organisms.c_elegans.tools import recentre as rc
    with pytest.raises(SystemExit, match="give --params"):
        rc.main(["--brain", "shuffled", "--shuffle-seed", "1", "--shuffle-blocks", "cell_type", "--out", str(tmp_path)])
    with pytest.raises(SystemExit, match="for --brain shuffled"):
        rc.main(["--brain", "connectome", "--shuffle-blocks", "cell_type", "--out", str(tmp_path)])


def test_navigation_index_is_the_path_weighted_cosine_to_the_peak():
    from organisms.c_elegans.tools.salt_effect import navigation_index
    t = np.arange(0, 20, 0.04)
    toward = np.stack([0.05 * t, 0 * t], axis=1)  # 1 mm in 20 s straight at a peak 5 mm ahead
    assert np.isclose(navigation_index(toward, t, (5.0, 0.0)), 1.0)
    assert np.isclose(navigation_index(toward, t, (-5.0, 0.0)), -1.0)
    assert np.isclose(navigation_index(toward, t, (0.5, 5.0)), 0.0, atol=0.1)  # passing sideways
    fast = np.stack([0.2 * t, 0 * t], axis=1)  # speed does not enter
    assert np.isclose(navigation_index(fast, t, (50.0, 0.0)), navigation_index(toward, t, (50.0, 0.0)))
    assert navigation_index(np.zeros((len(t), 2)), t, (5.0, 0.0)) == 0.0


def test_salt_effect_decomposition_sums_to_the_centroid_approach_difference():
    from organisms.c_elegans.tools.salt_effect import decomposition, path_terms
    t = np.arange(0, 120, 0.1)
    peak = (5.0, 0.0)

    def approach(path):  # geometric centroid approach, (d_start - d_end) / d_start
        d = np.linalg.norm(np.asarray(peak) - path, axis=1)
        return (d[0] - d[-1]) / d[0]

    away_fast = np.stack([-0.1 * t, 0 * t], axis=1)   # straight away from the peak
    away_slow = np.stack([-0.05 * t, 0 * t], axis=1)  # the same direction at half the speed
    a, b = path_terms(away_slow, t, peak), path_terms(away_fast, t, peak)
    terms = decomposition(a, b)
    # slowing alone: all of the effect is path length, none is direction
    assert terms["path length"] > 0.9 and abs(terms["direction"]) < 1e-9
    # exact on the tool's 1 s grid; the last 0.9 s of the path are not on it
    assert np.isclose(terms["sum (centroid approach)"], approach(away_slow) - approach(away_fast), atol=0.015)

    # the same speed, a path that turns up the gradient half way: all of it is direction
    v = 0.05
    heading = np.where(t < 60, np.pi, 0.0)
    step = np.stack([v * np.cos(heading), v * np.sin(heading)], axis=1) * 0.1
    turning = np.cumsum(step, axis=0) - step[0]
    a, b = path_terms(turning, t, peak), path_terms(away_slow, t, peak)
    terms = decomposition(a, b)
    assert terms["direction"] > 0.5 and abs(terms["path length"]) < 0.01
    assert np.isclose(terms["sum (centroid approach)"], approach(turning) - approach(away_slow), atol=0.03)


def test_curving_separates_a_bend_set_by_dc_from_one_towards_the_peak():
    from organisms.c_elegans.tools.salt_effect import curving
    t = np.arange(0, 120, 0.1)
    v, kappa = 0.5, np.radians(10.0)          # 0.5 mm/s, 10 deg/mm counter-clockwise: 1.7 turns
    ang = kappa * v * t
    circle = np.stack([np.sin(ang), 1 - np.cos(ang)], axis=1) / kappa  # a ccw circle from the origin
    peak = (0.0, -100.0)  # far below: while the path heads down, the peak is on either side
    # concentration rising with y: on a ccw circle the bend is +10 deg/mm whether it rises or falls
    r = curving(circle, t, 10 + circle[:, 1], peak)
    assert np.isclose(r["all"], 10.0, atol=0.5)
    assert np.isclose(r["falling"], 10.0, atol=0.5) and np.isclose(r["rising"], 10.0, atol=0.5)
    assert abs(r["falling, peak left"] - r["falling, peak right"]) < 1.0  # one handedness: no contrast
    # a straight path has no bend, and too few steps of a kind give NaN
    straight = np.stack([0.1 * t, 0 * t], axis=1)
    s = curving(straight, t, 10 + straight[:, 0], peak)
    assert abs(s["all"]) < 1e-9 and np.isnan(s["falling"])


def test_curving_sees_a_bend_towards_the_peak_on_either_side():
    from organisms.c_elegans.tools.salt_effect import curving
    rng = np.random.default_rng(0)
    dt, v, k = 0.1, 0.2, np.radians(20.0)     # turns 20 deg/mm towards the peak, plus heading noise
    peak = np.array([5.0, 0.0])
    x, th, path = np.zeros(2), np.pi / 2, []
    for _ in range(6000):
        b = np.angle(np.exp(1j * (np.arctan2(*(peak - x)[::-1]) - th)))
        th += k * np.sign(b) * v * dt + 0.05 * rng.standard_normal()
        x = x + v * dt * np.array([np.cos(th), np.sin(th)])
        path.append(x.copy())
    path = np.array(path)
    t = np.arange(len(path)) * dt
    r = curving(path, t, 100 - np.linalg.norm(path - peak, axis=1), peak)
    assert r["falling, peak left"] > 10 and r["falling, peak right"] < -10
    assert abs(r["all"]) < 10  # no handedness


def test_salt_effect_tracks_figure_from_run_folders(tmp_path):
    import json

    from organisms.c_elegans.tools import salt_effect as se
    t = np.arange(0, 10, 0.5)
    runs = []
    for name, vy in (("grad", 0.1), ("plate", -0.1)):
        ep = tmp_path / name / "episodes"
        ep.mkdir(parents=True)
        for seed in (1, 2):
            cl = np.zeros((len(t), 3, 2))
            cl[:, :, 1] = (vy * t)[:, None]
            np.savez(ep / f"ep_{seed:04d}.npz", t=t, centerline=cl, concentration=np.zeros_like(t))
            (ep / f"ep_{seed:04d}.json").write_text(json.dumps(
                {"features": {"approach": 0.0}, "task_info": {"peak": [5.0, 0.0], "target_zone": {"radius": 2.0}}}))
        runs.append(tmp_path / name)
    png = se.plot_tracks(runs, tmp_path / "out" / "tracks.png")
    assert png.exists() and png.stat().st_size > 5000
    with pytest.raises(SystemExit, match="pairs"):
        se.main([str(runs[0])])


def test_animals_needed_for_a_salt_effect_ci_grows_with_the_spread():
    from organisms.c_elegans.tools.salt_effect import animals_needed, main
    assert animals_needed(0.556, 0.05) == 476           # ceil((1.96 * 0.556 / 0.05)^2)
    assert animals_needed(0.1, 0.05) == 16
    assert animals_needed(0.2, 0.05) > 4 * animals_needed(0.1, 0.05) - 4
    with pytest.raises(SystemExit, match="--power"):
        main(["--power", "0", "a", "b"])


def test_ranking_two_candidates_on_the_same_animals_cancels_what_they_share():
    from organisms.c_elegans.tools.salt_effect import ranking_spread
    rng = np.random.default_rng(0)
    animal = rng.normal(0, 0.3, 200)                       # what the animal (seed) brings to both
    a = animal + rng.normal(0, 0.05, 200)
    b = animal + 0.1 + rng.normal(0, 0.05, 200)
    s = ranking_spread(a, b)
    assert s["r"] > 0.9
    assert s["sd_same"] < 0.1 < 0.4 < s["sd_independent"]
    c = rng.normal(0, 0.3, 200)                            # unrelated animals: nothing cancels
    s = ranking_spread(a, c)
    assert abs(s["r"]) < 0.2 and abs(s["sd_same"] - s["sd_independent"]) < 0.05
    with pytest.raises(ValueError):
        ranking_spread(a, b[:10])


def test_power_ranks_pairs_against_the_first_on_the_same_seeds(tmp_path, capsys):
    import json

    from organisms.c_elegans.tools.salt_effect import main

    def run(name, approach_by_seed):
        ep = tmp_path / name / "episodes"
        ep.mkdir(parents=True)
        for seed, v in approach_by_seed.items():
            (ep / f"ep_{seed:04d}.json").write_text(json.dumps({"features": {"approach": v, "duration_s": 120.0}}))
        return str(tmp_path / name)

    seeds = range(1, 7)
    a = run("a", {q: 0.1 * q for q in seeds})
    a0 = run("a0", {q: 0.0 for q in seeds})
    b = run("b", {q: 0.1 * q + 0.05 for q in seeds})       # the same animals, shifted: nothing left to rank
    b0 = run("b0", {q: 0.0 for q in seeds})
    assert main(["--power", "0.05", a, a0, b, b0]) == 0
    out = capsys.readouterr().out
    row = [line for line in out.splitlines() if line.startswith("| a | b | approach")][0]
    cells = [c.strip() for c in row.strip("|").split("|")]
    assert cells[4] == "+1.00" and float(cells[5]) == 0.0 and int(cells[6]) <= 1 and int(cells[8]) > 10
    c = run("c", {q: 0.1 for q in range(2, 8)})
    c0 = run("c0", {q: 0.0 for q in range(2, 8)})
    with pytest.raises(SystemExit, match="different seeds"):
        main(["--power", "0.05", a, a0, c, c0])


def test_windows_cut_each_path_to_its_first_seconds_and_cost_an_effect(tmp_path, capsys):
    import json

    from organisms.c_elegans.tools.salt_effect import animal_seconds_for_a_third, first_seconds, main
    t = np.arange(0, 120, 0.5)
    c = np.stack([t, 0 * t], axis=1)
    cut, tc = first_seconds(c, t, 30)
    assert tc[-1] == 30.0 and len(cut) == len(tc) == 61
    assert first_seconds(c, t, None)[0] is c
    assert animal_seconds_for_a_third(1.0, 60) == 2 * 60 * 35     # ceil((1.96 * 3)^2) = 35 animals
    assert animal_seconds_for_a_third(0.0, 60) == float("inf")

    rng = np.random.default_rng(1)

    def run(name, turn_at):   # heads away from the peak, turns towards it at turn_at s (per animal)
        ep = tmp_path / name / "episodes"
        ep.mkdir(parents=True)
        for seed, when in enumerate(turn_at):
            x = np.where(t < when, -0.05 * t, -0.05 * when + 0.05 * (t - when))
            cl = np.repeat(np.stack([x, 0.01 * rng.standard_normal(len(t))], axis=1)[:, None], 3, axis=1)
            np.savez(ep / f"ep_{seed:04d}.npz", t=t, centerline=cl, concentration=np.zeros_like(t))
            (ep / f"ep_{seed:04d}.json").write_text(json.dumps({"features": {"approach": 0.0},
                                                                "task_info": {"peak": [5.0, 0.0]}}))
        return str(tmp_path / name)
    grad = run("grad", 50 + 10 * rng.random(8))            # turns after 50-60 s
    plate = run("plate", [1e9] * 8)                        # never turns
    main([grad, plate, "--windows", "40", "110"])
    rows = [r for r in capsys.readouterr().out.splitlines() if "| navigation index |" in r]
    early, late = (float(r.split("|")[6]) for r in rows)
    assert abs(early) < 0.05 and late > 0.5               # nothing in the first 40 s, most by 110 s
    with pytest.raises(SystemExit, match="--windows"):
        main([grad, plate, "--windows", "0"])


def test_salt_effect_names_the_command_for_runs_recorded_before_zone_preference(tmp_path):
    import json

    import pytest

    from organisms.c_elegans.tools.salt_effect import zone_preferences
    ep = tmp_path / "old" / "episodes"
    ep.mkdir(parents=True)
    (ep / "ep_0007.json").write_text(json.dumps({"status": "ok", "features": {"approach": 0.1}}))
    with pytest.raises(SystemExit, match="ep_0007.json: no zone_preference feature.*--refeature"):
        zone_preferences(tmp_path / "old")
    (ep / "ep_0007.json").write_text(json.dumps({"status": "ok", "features": {"approach": 0.1, "zone_preference": -0.25}}))
    assert zone_preferences(tmp_path / "old") == {7: -0.25}
