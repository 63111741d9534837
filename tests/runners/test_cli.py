import os
import sys

sys.path.insert(0, os.path.dirname(__file__))
import _runner_fakes as F  # noqa: E402

from runners import cli  # noqa: E402
from runners.scoring import scorecard as scoring  # noqa: E402


def test_version(capsys):
    import pytest
    with pytest.raises(SystemExit) as e:
        cli.main(["--version"])
    assert e.value.code == 0 and "cgym" in capsys.readouterr().out


def test_list(capsys):
    assert cli.main(["list"]) == 0
    out = capsys.readouterr().out
    assert "tasks:" in out and "brains:" in out and "null" in out and "random" in out


def test_run_and_score_fake(tmp_path, capsys, monkeypatch):
    F.register()
    rc = cli.main(["run", F.FAKE_TASK, "--brain", "random", "--episodes", "3", "--duration",
                   "0.6", "--out", str(tmp_path / "run"), "--no-progress"])
    assert rc == 0
    assert "wrote" in capsys.readouterr().out
    monkeypatch.setattr(scoring, "load_reference_library", lambda name: F.fake_library())
    rc = cli.main(["score", str(tmp_path / "run"), "--out", str(tmp_path / "card"),
                   "--reps", "30", "--no-figures"])
    out = capsys.readouterr().out
    assert rc == 0 and "| what is measured (unit) |" in out and "centroid_speed" in out


def test_errors_are_one_line(tmp_path, capsys):
    F.register()
    rc = cli.main(["run", F.FAKE_TASK, "--brain", "nope", "--out", str(tmp_path / "x"),
                   "--no-progress"])
    err = capsys.readouterr().err
    assert rc == 2 and "no brain 'nope'" in err and "Traceback" not in err
    assert len(err.strip().splitlines()) == 1
    rc = cli.main(["score", str(tmp_path / "missing")])
    assert rc == 2 and "not a run folder" in capsys.readouterr().err


def test_bench_prints_fields(capsys, tmp_path):
    F.register()
    rc = cli.main(["bench", F.FAKE_TASK, "--brain", "random", "--duration", "0.4",
                   "--out", str(tmp_path)])
    out = capsys.readouterr().out
    assert rc == 0
    for word in ("body alone", "brain alone", "closed loop", "overhead", "sim-s/wall-s"):
        assert word in out
    assert (tmp_path / "bench.json").exists()
