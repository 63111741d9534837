"""`python -m runners.scoring.omr_closed_loop`: bad input is one line naming the problem, exit 2,
and nothing is written (the table used to land in the package's figures folder by default)."""

import json

import pytest

from runners.scoring import omr_closed_loop as omr


def _run(argv, capsys):
    with pytest.raises(SystemExit) as e:
        omr.main(argv)
    lines = capsys.readouterr().err.strip().splitlines()
    return e.value.code, lines[-1] if lines else ""


def test_out_is_required_and_help_writes_nothing(tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    code, _ = _run(["--help"], capsys)
    assert code == 0
    code, err = _run([str(tmp_path)], capsys)
    assert code == 2 and "--out" in err
    assert list(tmp_path.iterdir()) == []


def test_bad_folders_name_the_problem(tmp_path, capsys):
    code, err = _run([str(tmp_path / "nope"), "--out", str(tmp_path / "t")], capsys)
    assert code == 2 and "nope: not a folder" in err
    code, err = _run([str(tmp_path), "--out", str(tmp_path / "t")], capsys)
    assert code == 2 and "no finished episodes" in err
    ep = tmp_path / "sweep" / "c0" / "episodes"
    ep.mkdir(parents=True)
    (ep / "ep_0000.json").write_text(json.dumps({"status": "ok", "features": {"x": 1.0}, "seed": 0,
                                                 "config": {"task": "celegans/chemotaxis"}}))
    code, err = _run([str(tmp_path / "sweep"), "--out", str(tmp_path / "t")], capsys)
    assert code == 2 and "celegans/chemotaxis" in err and "zebrafish/optomotor" in err
    assert not list(tmp_path.glob("t.*"))


def _fake_episode(folder, cond, seed, brain, wseed, fit, w, a, coh=0.5, rest=None):
    ep = folder / cond / "episodes"
    ep.mkdir(parents=True, exist_ok=True)
    feats = {"omr_turns_with": float(w), "omr_turns_against": float(a), "omr_bouts_with": float(w),
             "omr_bouts_against": float(a), "bout_rate_hz": 1.0, "bout_rate_motion_hz": 1.0}
    (ep / f"ep_{seed:04d}.json").write_text(json.dumps({
        "status": "ok", "seed": seed, "features": feats, "wall_time_s": 1.0,
        "config": {"task": "zebrafish/optomotor", "brain": brain, "duration": 60.0,
                   "task_options": {"coherence": coh, "schedule": "random_dots_60"},
                   "brain_info": {"wiring_seed": wseed, "integrator_fit": fit}},
        **({"task_info": {"stimulus": {"kind": "dots", "rest": rest}}} if rest else {})}))


def test_rests_of_two_kinds_are_not_pooled(tmp_path, capsys):
    """Episodes from before the rest_dots option had static rests; a row mixing them with incoherent
    rests is refused, and a clean set says which rests it scored."""
    sw = tmp_path / "sweep"
    _fake_episode(sw, "a", 201, "connectome", 0, "connectome/0", 9, 1)  # no task_info rest: static
    _fake_episode(sw, "b", 202, "connectome", 0, "connectome/0", 8, 2, rest="incoherent")
    code, err = _run([str(sw), "--out", str(tmp_path / "t")], capsys)
    assert code == 2 and "mix rests with incoherent and static dots" in err
    assert not list(tmp_path.glob("t.*"))
    inc = tmp_path / "inc"
    _fake_episode(inc, "b", 202, "connectome", 0, "connectome/0", 8, 2, rest="incoherent")
    assert omr.main([str(inc), "--out", str(tmp_path / "t")]) == 0
    assert "dots at 0 % coherence in the rests" in (tmp_path / "t.md").read_text()


def test_controls_pooled_over_draws_and_listed_per_draw(tmp_path, capsys):
    """Two draws of a control: one pooled row (turns pooled), one row per draw with its fit, and
    the table says that CIs resample episodes and that draws are pooled."""
    sw = tmp_path / "sweep"
    _fake_episode(sw, "a", 201, "block-shuffled", 0, "block-shuffled/0", 9, 1)
    _fake_episode(sw, "a", 202, "block-shuffled", 0, "block-shuffled/0", 8, 2)
    _fake_episode(sw, "b", 203, "block-shuffled", 1, "block-shuffled/1", 1, 9)
    _fake_episode(sw, "b", 204, "block-shuffled", 1, "block-shuffled/1", 2, 8)
    assert omr.main([str(sw), "--out", str(tmp_path / "t")]) == 0
    md = (tmp_path / "t.md").read_text()
    data = json.loads((tmp_path / "t.json").read_text())
    (row,) = data["rows"]
    assert row["n_episodes"] == 4 and row["wiring_seeds"] == [0, 1]
    assert row["p_with"]["value"] == 0.5 and row["p_with"]["n_turns"] == 40
    per = {d["wiring_seed"]: d for d in data["per_draw"]}
    assert per[0]["p_with"]["value"] == 0.85 and per[1]["p_with"]["value"] == 0.15
    assert per[1]["integrator_fit"] == ["block-shuffled/1"]
    assert "bootstrap over episodes" in md and "pooled over their" in md and "`random_dots_60` (60 s)" in md
    assert (tmp_path / "t.png").exists()


def test_verdict_against_a_real_range_and_the_rate_ratio():
    real = {"mean": 0.7, "lo": 0.66, "hi": 0.76}
    assert omr._verdict({"value": 0.7, "ci_low": 0.67, "ci_high": 0.75}, real) == "pass"
    assert omr._verdict({"value": 0.8, "ci_low": 0.77, "ci_high": 0.83}, real) == "fail"
    assert omr._verdict({"value": 0.75, "ci_low": 0.70, "ci_high": 0.80}, real) == "unclear"
    assert omr._verdict(None, real) == "no data"
    r = omr.ratio_ci([1.2, 1.3, 1.25, 1.35], [1.0, 1.05, 0.95, 1.0])
    assert r["value"] == pytest.approx(1.275, abs=1e-9) and r["ci_low"] < r["value"] < r["ci_high"]
    assert r["ci_low"] > 1.0                       # every resample of a clearly faster condition stays above 1
    assert omr.ratio_ci([1.0], [float("nan")]) is None


def test_the_reference_section_judges_every_brain_it_has(tmp_path):
    from tasks.optomotor.random_dots_reference import summary

    ref = summary()
    rows = [{"brain": "connectome", "coherence": c,
             "p_with_all_bouts": {"value": 0.5, "ci_low": 0.45, "ci_high": 0.55, "n_turns": 100},
             "bout_rate_motion_hz": (1.0, 0.9, 1.1), "bout_rate_ratio_to_0": {"value": 1.0, "ci_low": 0.9, "ci_high": 1.1},
             "after_motion_all_bouts": {"0_2": {"value": 0.5, "ci_low": 0.4, "ci_high": 0.6},
                                        "2_4": {"value": 0.5, "ci_low": 0.49, "ci_high": 0.53}},
             "after_motion_toward": {k: {"value": 0.5} for k in ("0_2", "2_5", "5_10")}} for c in ref["coherence"]]
    text = "\n".join(omr.reference_section(rows, ref))
    assert "| connectome | P(bout toward the motion) | 0.5 | 0.71 [0.66, 0.76] | 0.50 [0.45, 0.55] | fail |" in text
    assert "| connectome | after the motion, 2–4 s | 0.5 |" in text and "sbm-redraw" not in text
    assert "Verdicts per brain: connectome" in text
