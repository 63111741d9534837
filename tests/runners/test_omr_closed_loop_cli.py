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


def _fake_episode(folder, cond, seed, brain, wseed, fit, w, a, coh=0.5):
    ep = folder / cond / "episodes"
    ep.mkdir(parents=True, exist_ok=True)
    feats = {"omr_turns_with": float(w), "omr_turns_against": float(a), "omr_bouts_with": float(w),
             "omr_bouts_against": float(a), "bout_rate_hz": 1.0, "bout_rate_motion_hz": 1.0}
    (ep / f"ep_{seed:04d}.json").write_text(json.dumps({
        "status": "ok", "seed": seed, "features": feats, "wall_time_s": 1.0,
        "config": {"task": "zebrafish/optomotor", "brain": brain, "duration": 60.0,
                   "task_options": {"coherence": coh, "schedule": "random_dots_60"},
                   "brain_info": {"wiring_seed": wseed, "integrator_fit": fit}}}))


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
