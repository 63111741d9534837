"""CLI values are checked before anything is built or written: exit 2, one line naming the
option (issue 14 item 3); a sweep checks every condition before writing; the bench warms up."""

import os
import sys
import time

import numpy as np
import pytest

sys.path.insert(0, os.path.dirname(__file__))

import _runner_fakes as F  # noqa: E402
from nervous_systems.brain import register_brain  # noqa: E402
from runners import cli  # noqa: E402
from runners.execution.bench import bench_table, run_bench  # noqa: E402
from runners.execution.episode import RunConfigError, run_many  # noqa: E402
from runners.execution.sweep import run_sweep  # noqa: E402
from runners.execution.sweep_spec import SweepError, parse_sweep  # noqa: E402


def usage_error(argv, capsys) -> str:
    """Run cgym with argv; assert exit 2 and one line on stderr; return that line."""
    with pytest.raises(SystemExit) as e:
        cli.main(argv)
    assert e.value.code == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1, err
    return err[0]


@pytest.fixture
def a_file(tmp_path):
    f = tmp_path / "a_file.txt"
    f.write_text("not a folder")
    return f


@pytest.mark.parametrize("argv, option", [
    (["--episodes", "0"], "--episodes"),
    (["--episodes", "-3"], "--episodes"),
    (["--episodes", "two"], "--episodes"),
    (["--duration", "inf"], "--duration"),
    (["--duration", "nan"], "--duration"),
    (["--duration", "0"], "--duration"),
    (["--duration", "-1"], "--duration"),
    (["--seed", "-1"], "--seed"),
])
def test_run_values(argv, option, tmp_path, capsys):
    out = tmp_path / "run"
    line = usage_error(["run", F.FAKE_TASK, "--out", str(out), *argv], capsys)
    assert line.startswith("cgym run: error: argument " + option), line
    assert not out.exists()


def test_out_naming_a_file(a_file, tmp_path, capsys):
    for argv in (["run", F.FAKE_TASK, "--out", str(a_file)],
                 ["run", F.FAKE_TASK, "--out", str(a_file / "sub")],
                 ["sweep", "x.yaml", "--out", str(a_file)],
                 ["score", str(tmp_path), "--out", str(a_file)],
                 ["atlas", "celegans", "--out", str(a_file)],
                 ["bench", F.FAKE_TASK, "--out", str(a_file)]):
        line = usage_error(argv, capsys)
        assert "argument --out" in line and "a_file.txt" in line and "is a file" in line \
            or "existing file" in line, line
    assert a_file.read_text() == "not a folder"


@pytest.mark.parametrize("argv, option", [
    (["sweep", "x.yaml", "--out", "o", "--workers", "-1"], "--workers"),
    (["sweep", "x.yaml", "--out", "o", "--dask-local", "0"], "--dask-local"),
    (["sweep", "x.yaml", "--out", "o", "--max-attempts", "0"], "--max-attempts"),
    (["score", "r", "--reps", "0"], "--reps"),
    (["bench", "t", "--duration", "nan"], "--duration"),
    (["bench", "t", "--duration", "0"], "--duration"),
    (["atlas", "celegans", "--pulse", "0"], "--pulse"),
    (["atlas", "celegans", "--epoch", "inf"], "--epoch"),
    (["atlas", "celegans", "--amplitude", "nan"], "--amplitude"),
    (["atlas", "celegans", "--ceiling-reps", "0"], "--ceiling-reps"),
])
def test_other_subcommand_values(argv, option, capsys):
    line = usage_error(argv, capsys)
    assert f"argument {option}" in line, line


def test_atlas_pulse_longer_than_epoch(capsys):
    assert cli.main(["atlas", "celegans", "--pulse", "3", "--epoch", "2", "--no-progress"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "--pulse" in err[0] and "--epoch" in err[0]


# ------------------------------------------------------------------ library level, same checks

def test_run_many_checks_before_writing(tmp_path):
    F.register()
    out = tmp_path / "run"
    for kw, word in ((dict(episodes=0), "episodes"), (dict(episodes=2, duration=float("inf")), "duration"),
                     (dict(episodes=2, duration=float("nan")), "duration"),
                     (dict(episodes=2, seed=-1), "seed")):
        kw.setdefault("duration", 0.2)
        with pytest.raises(RunConfigError, match=word):
            run_many(F.FAKE_TASK, "random", out=out, progress=False, **kw)
    assert not out.exists()


def test_sweep_checks_every_condition_before_writing(tmp_path, capsys):
    """The second condition is invalid: nothing at all is written (before: the first
    condition's run.json was)."""
    out = tmp_path / "sweep"
    sweep = tmp_path / "bad.yaml"
    sweep.write_text("task: celegans/chemotaxis\nbrains: [random, no_such_brain]\n"
                     "seeds: [0]\nduration: 0.2\nwcon: false\n")
    assert cli.main(["sweep", str(sweep), "--out", str(out), "--no-progress"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "no_such_brain" in err[0], err
    assert not out.exists()
    with pytest.raises(SweepError, match="no_such_brain"):
        run_sweep(sweep, out, workers=0, progress=False)
    assert not out.exists()


@pytest.mark.parametrize("kw, word", [(dict(workers=-1), "--workers"), (dict(dask_local=0), "--dask-local"),
                                      (dict(max_attempts=0), "--max-attempts"),
                                      (dict(dask_local=2, scheduler="tcp://x:1"), "not both")])
def test_run_sweep_settings(kw, word, tmp_path):
    spec = parse_sweep({"task": "celegans/chemotaxis", "brains": ["random"], "seeds": [0],
                        "duration": 0.2}, "s.yaml")
    with pytest.raises(SweepError, match=word):
        run_sweep(spec, tmp_path / "o", progress=False, **kw)
    assert not (tmp_path / "o").exists()


@pytest.mark.parametrize("bad", [{"duration": float("inf")}, {"duration": ".nan"},
                                 {"record_rate_hz": float("inf")}, {"seeds": [-1]},
                                 {"seeds": {"start": -2, "count": 2}}])
def test_sweep_file_values(bad):
    data = {"task": "celegans/chemotaxis", "brains": ["random"], "seeds": [0], "duration": 1, **bad}
    with pytest.raises(SweepError):
        parse_sweep(data, "s.yaml")


# ------------------------------------------------------------------ bench warm-up

class SlowStartBrain:
    """The first act() takes 0.4 s, as a cold Brian2 compile would; later ones are instant."""

    def __init__(self, organism, observation_space, action_space, **kw):
        self.space, self.first = action_space, True

    def reset(self, seed=None):
        pass

    def act(self, obs):
        if self.first:
            time.sleep(0.4)
            self.first = False
        return np.full(self.space.shape, 0.5, np.float32)


def test_bench_warms_up_before_timing(capsys):
    F.register()
    register_brain("slowstart_test", SlowStartBrain, "fakeworm")
    cold = run_bench(F.FAKE_TASK, "slowstart_test", duration=0.2, warmup_s=0)
    assert cold["brain_alone"]["wall_s"] >= 0.4          # the one-off cost lands in the timing
    warm = run_bench(F.FAKE_TASK, "slowstart_test", duration=0.2)
    assert warm["brain_alone"]["wall_s"] < 0.2             # ... and the warm-up removes it
    assert warm["warmup"]["sim_s_per_part"] == 0.2 and warm["warmup"]["wall_s"] >= 0.4
    assert "warmed up first, untimed" in bench_table(warm)
    assert "no warm-up" in bench_table(cold)
    assert cli.main(["bench", F.FAKE_TASK, "--brain", "slowstart_test", "--duration", "0.2"]) == 0
    assert "warmed up first, untimed" in capsys.readouterr().out
    with pytest.raises(RunConfigError):
        run_bench(F.FAKE_TASK, "slowstart_test", duration=float("inf"))
