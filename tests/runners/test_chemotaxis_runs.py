"""runners.scoring.chemotaxis_runs: one row per chemotaxis run folder, with the project's estimators."""

from __future__ import annotations


def test_row_pools_reversal_klinokinesis_and_names_a_bad_folder(tmp_path, capsys):
    from runners.scoring.chemotaxis_runs import main as table_main, row
    run = tmp_path / "r"
    (run / "episodes").mkdir(parents=True)
    # two animals: 6 reversals in 60 s down the gradient, 1 in 60 s up -> pooled 6/min vs 1/min
    for i, (neg, pos) in enumerate([(4, 1), (2, 0)]):
        f = {"in_target_end": 0.0, "in_control_end": 0.0, "approach": 0.1, "centroid_speed": 0.2,
             "undulation_frequency": 0.5, "forward_fraction": 0.9 - 0.2 * i, "reversal_rate": (neg + pos) / 1.0,
             "reversal_count_dcdt_neg": neg, "reversal_count_dcdt_pos": pos,
             "time_dcdt_neg_s": 30.0, "time_dcdt_pos_s": 30.0}
        (run / "episodes" / f"ep_{i:04d}.json").write_text(__import__("json").dumps({"features": f}))
    r = row(run)
    assert "| 2 |" in r and "| 0.80 |" in r and "| 6 / 1 |" in r and "6.00 / 1.00" in r and "+0.71 [" in r
    assert table_main([str(tmp_path / "missing")]) == 2
    err = capsys.readouterr().err
    assert "missing" in err and err.count("\n") == 1


def test_pool_gives_one_row_for_the_animals_of_several_folders(tmp_path, capsys):
    import json

    from runners.scoring.chemotaxis_runs import main as table_main
    for half, in_target in (("a", [1.0, 1.0]), ("b", [1.0, 0.0])):
        ep = tmp_path / half / "episodes"
        ep.mkdir(parents=True)
        for i, t in enumerate(in_target):
            (ep / f"ep_{i:04d}.json").write_text(json.dumps({"features": {
                "in_target_end": t, "in_control_end": 0.0, "approach": 0.5, "reversal_count_dcdt_neg": 0,
                "reversal_count_dcdt_pos": 0, "time_dcdt_neg_s": 30.0, "time_dcdt_pos_s": 30.0}}))
    assert table_main([str(tmp_path / "a"), str(tmp_path / "b"), "--pool", "both"]) == 0
    rows = [r for r in capsys.readouterr().out.splitlines() if r.startswith("| both |")]
    assert len(rows) == 1 and rows[0].startswith("| both | 4 | +0.75 [")   # 3 of 4 animals at the peak


def test_weathervane_column_averages_the_animals_that_have_a_slope(tmp_path, capsys):
    import json

    from runners.scoring.chemotaxis_runs import main as table_main
    ep = tmp_path / "r" / "episodes"
    ep.mkdir(parents=True)
    for i, slope in enumerate([0.1, 0.3, None]):   # the third animal ran straight: no slope
        (ep / f"ep_{i:04d}.json").write_text(json.dumps({"features": {
            "in_target_end": 0.0, "in_control_end": 0.0, "approach": 0.0, "weathervane_slope": slope,
            "reversal_count_dcdt_neg": 0, "reversal_count_dcdt_pos": 0,
            "time_dcdt_neg_s": 30.0, "time_dcdt_pos_s": 30.0}}))
    assert table_main([str(tmp_path / "r"), "--weathervane"]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[0].endswith("weathervane slope (deg/mm)/deg [95 % CI] (animals) |")
    assert out[1].count("---") == out[0].count("|") - 1
    assert out[2].endswith(" +0.2000 [+0.1000, +0.3000] (2 of 3) |")
    assert table_main([str(tmp_path / "r")]) == 0
    assert "weathervane" not in capsys.readouterr().out


def test_zone_preference_column_is_the_mean_with_a_dash_for_old_runs(tmp_path, capsys):
    import json

    from runners.scoring.chemotaxis_runs import main as table_main
    for name, prefs in (("new", [0.5, 0.25, 0.75]), ("old", [None, None, None])):
        ep = tmp_path / name / "episodes"
        ep.mkdir(parents=True)
        for i, zp in enumerate(prefs):
            f = {"in_target_end": 0.0, "in_control_end": 0.0, "approach": 0.0, "reversal_count_dcdt_neg": 0,
                 "reversal_count_dcdt_pos": 0, "time_dcdt_neg_s": 30.0, "time_dcdt_pos_s": 30.0}
            if zp is not None:
                f["zone_preference"] = zp
            (ep / f"ep_{i:04d}.json").write_text(json.dumps({"features": f}))
    assert table_main([str(tmp_path / "new"), str(tmp_path / "old"), "--zone-preference"]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[0].endswith(" zone preference [95 % CI] |")
    assert out[1].count("---") == out[0].count("|") - 1
    assert out[2].startswith("| new |") and " +0.500 [+0.250, +0.750] |" in out[2]
    assert out[3].startswith("| old |") and out[3].endswith(" — |")


def test_compare_gives_the_first_runs_klinokinesis_minus_each_others(tmp_path, capsys):
    import json

    from runners.scoring.chemotaxis_runs import main as table_main
    from tasks.chemotaxis.features import klinokinesis_difference
    # 'down': 3 reversals per 30 s while salt falls, 1 while it rises (index +0.5) in every animal;
    # 'flat': 2 and 2 (index 0)
    pops = {"down": (3, 1), "flat": (2, 2)}
    feats = {}
    for name, (neg, pos) in pops.items():
        ep = tmp_path / name / "episodes"
        ep.mkdir(parents=True)
        feats[name] = []
        for i in range(6):
            f = {"in_target_end": 0.0, "in_control_end": 0.0, "approach": 0.0, "reversal_count_dcdt_neg": neg,
                 "reversal_count_dcdt_pos": pos, "time_dcdt_neg_s": 30.0, "time_dcdt_pos_s": 30.0}
            feats[name].append(f)
            (ep / f"ep_{i:04d}.json").write_text(json.dumps({"features": f}))
    d = klinokinesis_difference(feats["down"], feats["flat"], event="reversal")
    assert d["value"] == 0.5 and d["ci_low"] == 0.5 and d["ci_high"] == 0.5 and d["n_a"] == d["n_b"] == 6
    assert table_main([str(tmp_path / "down"), str(tmp_path / "flat"), "--compare"]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[-3] == "| run | down's reversal klinokinesis index − this run's [95 % CI] |"
    assert out[-1] == "| flat | +0.50 [+0.50, +0.50] |"
    assert table_main([str(tmp_path / "down"), "--compare"]) == 2
    assert "--compare" in capsys.readouterr().err


def test_refeature_adds_missing_features_and_keeps_stored_ones(tmp_path, capsys):
    import json

    import numpy as np

    from runners.scoring.chemotaxis_runs import main as table_main
    from tasks.chemotaxis.features import FEATURE_DOCS

    ep = tmp_path / "old" / "episodes"
    ep.mkdir(parents=True)
    t = np.arange(50) / 10.0
    cl = np.broadcast_to(np.stack([np.linspace(4.0, 3.0, 25), np.zeros(25)], -1), (50, 25, 2)).copy()
    np.savez(ep / "ep_0000.npz", t=t, centerline=cl, concentration=np.full(50, 40.0))
    info = {"peak": [5.0, 0.0], "target_zone": {"center": [5.0, 0.0], "radius": 2.0},
            "control_zone": {"center": [-5.0, 0.0], "radius": 2.0}, "start": [0.0, 0.0], "plate_radius": 30.0}
    stored = {"approach": 0.123, "in_target_end": 0.0, "in_control_end": 0.0}   # as if recorded long ago
    (ep / "ep_0000.json").write_text(json.dumps({"status": "ok", "features": stored, "task_info": info}))
    assert table_main([str(tmp_path / "old"), "--refeature", "--zone-preference"]) == 0
    cap = capsys.readouterr()
    assert "1 episode(s) given" in cap.err and "zone_preference" in cap.err
    feats = json.loads((ep / "ep_0000.json").read_text())["features"]
    assert set(feats) == set(FEATURE_DOCS)
    assert feats["approach"] == 0.123                         # stored value kept, not recomputed
    assert feats["zone_preference"] == 0.7                    # centroid at x = 3.5: (8.5 - 1.5) / 10
    assert " +0.700 [+0.700, +0.700] |" in cap.out
    assert table_main([str(tmp_path / "old"), "--refeature"]) == 0   # a second time adds nothing
    assert "no new features" in capsys.readouterr().err

