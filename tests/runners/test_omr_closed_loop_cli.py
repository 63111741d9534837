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
